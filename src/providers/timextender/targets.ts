/**
 * TimeXtender's inputs and target grammar: a task is `Type/Id` or `Type/Name` in a workspace, a process map an
 * id or a name; the API root comes from the tenant. No HTTP here, so a bad input fails before the provider
 * (and its HTTP client) is loaded.
 */
import {
  DuplicateGuard,
  checkIdentifier,
  checkTargetCount,
  closest,
  isTimeZone,
  quote,
  type InputReader,
  type Line,
} from '../../core/inputs/index.js';
import type { BaseUrlRule, PlatformInputDef } from '../../core/platform.js';
import type { Settings, TargetSpec } from '../../core/settings.js';

declare module '../../core/settings.js' {
  interface TargetSpecs {
    timextender: TimextenderTaskSpec | TimextenderProcessMapSpec;
  }
  interface Settings {
    /** TimeXtender, mode check: the zone of the server's local timestamps. */
    serverTimeZone?: string;
  }
}

export interface TimextenderTaskSpec {
  platform: 'timextender';
  kind: 'task';
  label: string;
  workspace: string;
  /** The `uat` value. */
  environment: string;
  /** Canonical PascalCase task type, e.g. `Package`. */
  taskType: string;
  /** All digits: a task id; otherwise a task name resolved through the task list. */
  ref: string;
}

export interface TimextenderProcessMapSpec {
  platform: 'timextender';
  kind: 'process-map';
  label: string;
  workspace: string;
  environment: string;
  /** All digits: a process map id; otherwise a name resolved through the process map list. */
  ref: string;
}

/** The 11 TDP task types, in the order of the vendor's own 400 message (apis.md §1.4). */
export const TASK_TYPES: readonly string[] = [
  'Query',
  'CompareQuery',
  'Package',
  'ObjectGroup',
  'Process',
  'ScheduleGroup',
  'TestGroup',
  'OrchestrationMap',
  'Link',
  'EmailSummary',
  'Rule',
];

/** The `uat` values TDP documents; other words are passed through, with a warning. */
const KNOWN_ENVIRONMENTS: readonly string[] = ['Production', 'Development', 'Test'];

export const TIMEXTENDER_INPUTS: readonly PlatformInputDef[] = [
  {
    name: 'tenant',
    azureName: 'tenant',
    group: 'connection',
    description: 'TimeXtender only: the tenant name, used to build https://{tenant}.odq.timextender.com when base-url is empty.',
    example: 'acme',
  },
  {
    name: 'workspace',
    azureName: 'workspace',
    group: 'target',
    description: 'TimeXtender: the workspace key that holds the tasks or process maps.',
    example: 'finance',
  },
  {
    name: 'task',
    azureName: 'task',
    group: 'target',
    multiline: true,
    description:
      'TimeXtender: tasks to trigger, one per line, as Type/Id or Type/Name (e.g. Package/1005, Package/Load Customer Dim).',
    example: 'Package/1005',
  },
  {
    name: 'process-map',
    azureName: 'processMap',
    group: 'target',
    multiline: true,
    description: 'TimeXtender: process maps to trigger, one per line, by id or name.',
    example: '42',
  },
  {
    name: 'environment',
    azureName: 'environment',
    group: 'target',
    default: 'Production',
    description:
      'TimeXtender: the environment (uat): Production, Development or Test. Other values are passed on unchanged so the server can answer.',
    example: 'Development',
  },
  {
    name: 'server-time-zone',
    azureName: 'serverTimeZone',
    group: 'waiting',
    after: 'max-age',
    modes: ['check'],
    description:
      "TimeXtender, mode check with max-age: the time zone of the server's local timestamps (IANA name like Europe/Copenhagen, or an offset like +01:00). Without it, the age is measured as if the server were in the zone furthest ahead (UTC+14), so a stale load never passes.",
    example: 'Europe/Copenhagen',
  },
];

const TENANT = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;

/** `https://{tenant}.odq.timextender.com`: each tenant has its own API root, so there is no fixed default. */
export const TIMEXTENDER_BASE_URL: BaseUrlRule = {
  shown: 'https://{tenant}.odq.timextender.com',
  example: 'https://acme.odq.timextender.com',
  fallback(r, overridden) {
    const tenant = readTenant(r);
    if (overridden) {
      if (tenant !== undefined) r.warn(`${r.subject('tenant')} is ignored because a base URL is set`);
      return undefined;
    }
    if (tenant === undefined) {
      return r.fail('tenant', `or ${r.name('base-url')} is required for platform timextender`, {
        example: r.assignment('tenant', 'acme'),
      });
    }
    return `https://${tenant}.odq.timextender.com`;
  },
};

function readTenant(r: InputReader): string | undefined {
  const tenant = r.value('tenant')?.toLowerCase();
  if (tenant !== undefined && !TENANT.test(tenant)) {
    r.fail('tenant', `: ${quote(tenant)} is not a tenant name (one DNS label: letters, digits, hyphens); for a full URL use ${r.name('base-url')}`);
  }
  return tenant;
}

export function parseTimextenderTargets(r: InputReader): TargetSpec[] {
  const workspace = r.value('workspace');
  if (workspace === undefined) r.fail('workspace', 'is required for platform timextender');
  checkIdentifier(r, 'workspace', workspace);

  const environment = r.valueOrDefault('environment');
  if (!KNOWN_ENVIRONMENTS.includes(environment)) {
    r.warn(
      `${r.subject('environment')} ${quote(environment)} is not one TimeXtender documents (${KNOWN_ENVIRONMENTS.join(', ')}); passing it on unchanged`,
    );
  }
  const envSuffix = environment === 'Production' ? '' : ` [${environment}]`;

  checkTargetCount(r, ['task', 'process-map']);
  const tasks = r.lines('task');
  const maps = r.lines('process-map');
  if (tasks.length === 0 && maps.length === 0) {
    r.fail('task', `or ${r.name('process-map')} needs at least one line for platform timextender`);
  }

  const targets: TargetSpec[] = [];
  const seenTasks = new DuplicateGuard(r, 'task');
  for (const line of tasks) {
    const { taskType, ref } = parseTaskLine(r, line);
    seenTasks.check(`${taskType}/${ref}`, line);
    const spec: TimextenderTaskSpec = {
      platform: 'timextender',
      kind: 'task',
      workspace,
      environment,
      taskType,
      ref,
      label: `${workspace}/${taskType}/${ref}${envSuffix}`,
    };
    targets.push(spec);
  }
  const seenMaps = new DuplicateGuard(r, 'process-map');
  for (const line of maps) {
    seenMaps.check(line.text, line);
    const spec: TimextenderProcessMapSpec = {
      platform: 'timextender',
      kind: 'process-map',
      workspace,
      environment,
      ref: line.text,
      label: `${workspace}/process-map/${line.text}${envSuffix}`,
    };
    targets.push(spec);
  }
  return targets;
}

/** `Type/Id` or `Type/Name`; a task id is unique only within its type, so the type is never optional. */
function parseTaskLine(r: InputReader, line: Line): { taskType: string; ref: string } {
  const slash = line.text.indexOf('/');
  const typeText = (slash < 0 ? line.text : line.text.slice(0, slash)).trim();
  const ref = slash < 0 ? '' : line.text.slice(slash + 1).trim();
  const taskType = TASK_TYPES.find((t) => t.toLowerCase() === typeText.toLowerCase());

  if (slash < 0 && taskType === undefined) {
    r.fail('task', `${quote(line.text)} has no task type; write Type/Id or Type/Name`, { line: line.number });
  }
  if (taskType === undefined) {
    const guess = closest(typeText, TASK_TYPES);
    const hint = guess ? ` Did you mean ${guess}?` : '';
    return r.fail('task', `unknown task type ${quote(typeText)}.${hint} Valid types: ${TASK_TYPES.join(', ')}`, {
      line: line.number,
    });
  }
  if (ref === '') {
    r.fail('task', `${quote(taskType)} has no task id or name; write Type/Id or Type/Name`, {
      line: line.number,
      example: `${taskType}/1005`,
    });
  }
  return { taskType, ref };
}

/** `server-time-zone`, checked before any request. */
export function readTimextenderSettings(r: InputReader): Partial<Settings> {
  const serverTimeZone = r.value('server-time-zone');
  if (serverTimeZone === undefined) return {};
  if (!isTimeZone(serverTimeZone)) {
    r.fail('server-time-zone', `: ${quote(serverTimeZone)} is neither an IANA time zone nor a UTC offset`);
  }
  return { serverTimeZone };
}

/**
 * TimeXtender run ids have a fixed shape (an execution id; a process map's `<id>@<start>`): a wrong one is
 * refused before any request instead of waiting for a run that cannot exist.
 */
export function checkTimextenderRunId(r: InputReader, spec: TargetSpec, id: string): void {
  if (spec.platform !== 'timextender') return;
  if (spec.kind === 'task' && !/^\d+$/.test(id)) {
    r.fail('run-id', `: ${quote(id)} is not a TimeXtender execution id (digits)`, { example: '97210' });
  }
  if (spec.kind === 'process-map' && !/^\d+@\S+$/.test(id)) {
    r.fail('run-id', `: ${quote(id)} is not a TimeXtender process map run (<process map id>@<start time>)`, { example: '42@2026-03-15T08:30:00' });
  }
}

/**
 * Planasonix's inputs and target grammar: connections to sync (or backfill, with a window) and pipelines to
 * run, each by id. No HTTP here, so a bad input fails before the provider (and its HTTP client) is loaded.
 */
import {
  DuplicateGuard,
  checkTargetCount,
  isoInstant,
  quote,
  type InputReader,
} from '../../core/inputs/index.js';
import type { BaseUrlRule, PlatformInputDef } from '../../core/platform.js';
import type { Settings, TargetSpec } from '../../core/settings.js';
import { errorText, truncate } from '../../core/text.js';

declare module '../../core/settings.js' {
  interface TargetSpecs {
    planasonix: PlanasonixSyncSpec | PlanasonixBackfillSpec | PlanasonixPipelineSpec;
  }
  interface Settings {
    /** Planasonix: the idempotency key given by the user (else one is built per target). */
    idempotencyKey?: string;
  }
}

export type Priority = 'low' | 'normal' | 'high';
const PRIORITIES: readonly Priority[] = ['low', 'normal', 'high'];
const SYNC_TYPES = ['incremental', 'full'] as const;

export interface PlanasonixSyncSpec {
  platform: 'planasonix';
  kind: 'sync';
  label: string;
  connection: string;
  syncType: 'incremental' | 'full';
  priority: Priority;
  tables: string[];
}

export interface PlanasonixBackfillSpec {
  platform: 'planasonix';
  kind: 'backfill';
  label: string;
  connection: string;
  /** ISO 8601 as given by the user. */
  start: string;
  end: string;
  tables: string[];
  priority: Priority;
}

export interface PlanasonixPipelineSpec {
  platform: 'planasonix';
  kind: 'pipeline';
  label: string;
  pipeline: string;
  parameters: Record<string, unknown>;
}

export const PLANASONIX_INPUTS: readonly PlatformInputDef[] = [
  {
    name: 'pipeline',
    azureName: 'pipeline',
    group: 'target',
    multiline: true,
    description: { lead: 'Pipelines to run, one per line', part: 'a Planasonix pipeline id' },
    example: 'pl_daily_finance',
  },
  {
    name: 'connection',
    azureName: 'connection',
    group: 'target',
    multiline: true,
    description: 'Planasonix: connections to sync (or backfill, with backfill-start and backfill-end), one id per line.',
    example: 'conn_8f2a',
  },
  {
    name: 'sync-type',
    azureName: 'syncType',
    group: 'target',
    default: 'incremental',
    options: SYNC_TYPES,
    description: 'Planasonix: the kind of connection sync, incremental or full.',
    example: 'full',
  },
  {
    name: 'backfill-start',
    azureName: 'backfillStart',
    group: 'target',
    description: 'Planasonix: start of the backfill window (ISO 8601 date or date-time); turns each connection into a backfill.',
    example: '2024-01-01',
  },
  {
    name: 'backfill-end',
    azureName: 'backfillEnd',
    group: 'target',
    description: 'Planasonix: end of the backfill window (ISO 8601 date or date-time), after backfill-start.',
    example: '2024-01-31',
  },
  {
    name: 'tables',
    azureName: 'tables',
    group: 'target',
    multiline: true,
    description: 'Planasonix: tables to sync or backfill, separated by commas or new lines; empty means all.',
    example: 'orders, customers',
  },
  {
    name: 'parameters',
    azureName: 'parameters',
    group: 'target',
    multiline: true,
    description: 'Planasonix: parameters of the pipeline run, as a JSON object or as key=value lines.',
    example: '{"region": "eu"}',
  },
  {
    name: 'priority',
    azureName: 'priority',
    group: 'target',
    default: 'normal',
    options: PRIORITIES,
    description: 'Planasonix: priority of connection syncs and backfills: low, normal or high.',
    example: 'high',
  },
  {
    name: 'idempotency-key',
    azureName: 'idempotencyKey',
    group: 'advanced',
    description:
      'Planasonix: the idempotency key of the trigger (1 to 255 printable ASCII characters). Default: built from the CI run id, attempt and target, so a retried request never starts two runs.',
    example: 'release-2024-06-01',
  },
];

export const PLANASONIX_BASE_URL: BaseUrlRule = {
  shown: 'https://api.planasonix.com',
  example: 'https://api.planasonix.com/v1',
  fallback: () => 'https://api.planasonix.com',
};

export function parsePlanasonixTargets(r: InputReader): TargetSpec[] {
  checkTargetCount(r, ['connection', 'pipeline']);
  const connections = r.lines('connection');
  const pipelines = r.lines('pipeline');
  if (connections.length === 0 && pipelines.length === 0) {
    r.fail('connection', `or ${r.name('pipeline')} needs at least one line for platform planasonix`);
  }

  // Inputs that only mean something for one kind of target are refused when that kind is absent, rather
  // than silently ignored: the user expected them to change what runs.
  const needsConnection = (name: string): void => {
    if (connections.length === 0 && r.isGiven(name)) {
      r.fail(name, `applies to connection targets only, and ${r.name('connection')} is empty`, {
        example: r.assignment('connection', 'conn_8f2a'),
      });
    }
  };
  for (const name of ['backfill-start', 'backfill-end', 'tables', 'sync-type', 'priority']) needsConnection(name);
  if (pipelines.length === 0 && r.isGiven('parameters')) {
    r.fail('parameters', `applies to pipeline targets only, and ${r.name('pipeline')} is empty`, {
      example: r.assignment('pipeline', 'pl_daily'),
    });
  }

  const backfill = readBackfillWindow(r);
  if (backfill && r.isGiven('sync-type')) {
    r.fail('sync-type', `does not apply to a backfill (${r.name('backfill-start')} is set); remove it`, {
      example: r.def('sync-type').default,
    });
  }
  const tables = readTables(r);
  const priority = r.choice<Priority>('priority');
  const syncType = r.choice<(typeof SYNC_TYPES)[number]>('sync-type');
  const parameters = pipelines.length > 0 ? readParameters(r) : {};

  const targets: TargetSpec[] = [];
  const seenConnections = new DuplicateGuard(r, 'connection');
  for (const line of connections) {
    seenConnections.check(line.text, line);
    if (backfill) {
      const spec: PlanasonixBackfillSpec = {
        platform: 'planasonix',
        kind: 'backfill',
        connection: line.text,
        start: backfill.start,
        end: backfill.end,
        tables,
        priority,
        label: `backfill/${line.text}`,
      };
      targets.push(spec);
    } else {
      const spec: PlanasonixSyncSpec = {
        platform: 'planasonix',
        kind: 'sync',
        connection: line.text,
        syncType,
        priority,
        tables,
        label: `connection/${line.text}`,
      };
      targets.push(spec);
    }
  }
  const seenPipelines = new DuplicateGuard(r, 'pipeline');
  for (const line of pipelines) {
    seenPipelines.check(line.text, line);
    const spec: PlanasonixPipelineSpec = {
      platform: 'planasonix',
      kind: 'pipeline',
      pipeline: line.text,
      // Each target gets its own copy, so a provider that adds to it cannot leak into another target.
      parameters: { ...parameters },
      label: `pipeline/${line.text}`,
    };
    targets.push(spec);
  }
  return targets;
}

function readBackfillWindow(r: InputReader): { start: string; end: string } | undefined {
  const start = r.value('backfill-start');
  const end = r.value('backfill-end');
  if (start === undefined && end === undefined) return undefined;
  if (end === undefined) r.fail('backfill-end', `is required when ${r.name('backfill-start')} is set: a backfill needs both ends`);
  if (start === undefined) r.fail('backfill-start', `is required when ${r.name('backfill-end')} is set: a backfill needs both ends`);
  const startAt = isoInstant(start);
  if (startAt === undefined) r.fail('backfill-start', `: ${quote(start)} is not an ISO 8601 date or date-time`);
  const endAt = isoInstant(end);
  if (endAt === undefined) r.fail('backfill-end', `: ${quote(end)} is not an ISO 8601 date or date-time`);
  if (startAt >= endAt) r.fail('backfill-start', `(${start}) must be before ${r.name('backfill-end')} (${end})`);
  // Passed on as written: the server interprets its own time zone rules for offset-less values.
  return { start, end };
}

function readTables(r: InputReader): string[] {
  const text = r.value('tables');
  if (text === undefined) return [];
  const tables = text
    .split(/[,\r\n]+/)
    .map((t) => t.trim())
    .filter((t) => t !== '');
  const seen = new Set<string>();
  for (const table of tables) {
    if (seen.has(table)) r.fail('tables', `lists ${quote(table)} twice`);
    seen.add(table);
  }
  return tables;
}

function readParameters(r: InputReader): Record<string, unknown> {
  const text = r.value('parameters');
  if (text === undefined) return {};
  if (text.startsWith('{') || text.startsWith('[')) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (error) {
      return r.fail('parameters', `is not valid JSON: ${jsonProblem(error)}`);
    }
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
      r.fail('parameters', 'must be a JSON object (or key=value lines), not an array');
    }
    return parsed as Record<string, unknown>;
  }
  // key=value lines; values stay strings, as the user typed them (JSON is there for typed values).
  const parameters: Record<string, unknown> = {};
  for (const line of r.lines('parameters')) {
    const eq = line.text.indexOf('=');
    const key = eq < 0 ? '' : line.text.slice(0, eq).trim();
    if (key === '') {
      r.fail('parameters', `${quote(line.text)} is not key=value (nor a JSON object)`, {
        line: line.number,
        example: 'region=eu',
      });
    }
    if (Object.hasOwn(parameters, key)) {
      r.fail('parameters', `sets ${quote(key)} twice`, { line: line.number, example: 'region=eu' });
    }
    parameters[key] = line.text.slice(eq + 1).trim();
  }
  return parameters;
}

/** V8's JSON messages may quote the input; keep the reason and position only. */
function jsonProblem(error: unknown): string {
  const message = errorText(error);
  return truncate(message.replace(/,?\s*".*" is not valid JSON$/s, '').trim() || 'syntax error', 120);
}

/** `idempotency-key`, checked before any request. */
export function readPlanasonixSettings(r: InputReader): Partial<Settings> {
  const key = r.value('idempotency-key');
  if (key === undefined) return {};
  if (/[^\x20-\x7e]/.test(key)) r.fail('idempotency-key', 'must be printable ASCII characters only');
  if (key.length > 255) r.fail('idempotency-key', `is ${key.length} characters long; the limit is 255`);
  return { idempotencyKey: key };
}

/**
 * The one table of inputs.
 *
 * Every input is defined once: its canonical kebab-case name (GitHub, CLI), its camelCase name (Azure DevOps
 * allows only letters and digits), default, pick-list, group, the platforms and modes it belongs to, a
 * description and an example. The platform-neutral rows are here; each platform brings its own rows (its
 * `targets.ts`), and `composeInputs` merges them into the table the front ends, `action.yml`, `task.json`, the
 * README and the CLI help are generated from or checked against, so nothing about an input is written twice.
 */
import type { PlatformInputDef, PlatformModule } from '../platform.js';
import { MODES, type IfRunning, type LogsPolicy, type Mode, type Platform } from '../settings.js';
import { listWords } from '../text.js';

export type InputGroup = 'connection' | 'target' | 'waiting' | 'logs' | 'advanced';
export const INPUT_GROUPS: readonly InputGroup[] = ['connection', 'target', 'waiting', 'logs', 'advanced'];
export type NameStyle = 'github' | 'azure' | 'cli';

export interface InputDef {
  /** Canonical kebab-case name, used on GitHub and the CLI, e.g. `api-key`. */
  name: string;
  /** camelCase name for Azure DevOps (letters and digits only), e.g. `apiKey`. */
  azureName: string;
  /** One or two user-facing sentences (action.yml, task.json help, README, CLI --help). */
  description: string;
  /** The string a CI system would pass, e.g. `60m`, `true`, `4`. */
  default?: string;
  /** Only `platform`: the API key may come from an Azure service connection, so it is checked in parse. */
  required?: boolean;
  secret?: boolean;
  /** Fixed pick-list values; booleans are `['true', 'false']`. */
  options?: readonly string[];
  /** Several lines (targets, tables, parameters). */
  multiline?: boolean;
  group: InputGroup;
  /** Omitted: every platform. */
  platforms?: readonly Platform[];
  /** Omitted: every mode. */
  modes?: readonly Mode[];
  /** A right value, shown in error messages. */
  example: string;
}

export const BOOLEAN_OPTIONS: readonly string[] = ['true', 'false'];
const IF_RUNNING: readonly IfRunning[] = ['fail', 'attach', 'queue'];
const LOGS_POLICIES: readonly LogsPolicy[] = ['on-failure', 'always', 'never', 'live'];

/** The name as the user writes it: `api-key` (GitHub), `apiKey` (Azure), `--api-key` (CLI). */
export function displayName(def: InputDef, style: NameStyle): string {
  switch (style) {
    case 'github':
      return def.name;
    case 'azure':
      return def.azureName;
    case 'cli':
      return `--${def.name}`;
  }
}

export function isBooleanInput(def: InputDef): boolean {
  return def.options !== undefined && def.options.length === 2 && BOOLEAN_OPTIONS.every((o) => def.options!.includes(o));
}

/** The platform-neutral rows; `platform` and `base-url` name what the registered platforms offer. */
export function coreInputs(platforms: readonly PlatformModule[]): InputDef[] {
  const names = platforms.map((p) => p.name);
  return [
    // connection
    {
      name: 'platform',
      azureName: 'platform',
      group: 'connection',
      required: true,
      options: names,
      description: `The data platform to orchestrate: ${listWords(names, 'or')}.`,
      example: names[0] ?? '',
    },
    {
      name: 'api-key',
      azureName: 'apiKey',
      group: 'connection',
      secret: true,
      description:
        "The platform's API key; pass it from a secret. On Azure DevOps a service connection is the preferred source and this input the fallback.",
      example: '${{ secrets.ORCHESTRATION_API_KEY }}',
    },
    {
      name: 'base-url',
      azureName: 'baseUrl',
      group: 'connection',
      description: `API root. Defaults to ${listWords(
        platforms.map((p) => p.baseUrl.shown),
        'or',
      )}; https only (http is allowed for loopback addresses).`,
      example: platforms[0]?.baseUrl.example ?? 'https://api.example.com',
    },
    // waiting
    {
      name: 'mode',
      azureName: 'mode',
      group: 'waiting',
      default: 'run',
      options: MODES,
      description:
        'run: trigger and follow to the end; trigger: trigger only; wait: follow an existing run; check: pass only if the latest run succeeded (and is recent enough).',
      example: 'run',
    },
    {
      name: 'run-id',
      azureName: 'runId',
      group: 'waiting',
      modes: ['wait'],
      description:
        'For mode wait: the id of the run to follow, as the run-id output of mode trigger gives it (several targets: comma-separated in target order). Empty: the run in flight of the target.',
      example: '97210',
    },
    {
      name: 'max-age',
      azureName: 'maxAge',
      group: 'waiting',
      modes: ['check'],
      description: 'For mode check: the latest successful run must have ended within this time, e.g. 24h (a number needs a unit).',
      example: '24h',
    },
    {
      name: 'timeout',
      azureName: 'timeout',
      group: 'waiting',
      default: '55m',
      description: 'Overall wall-clock limit for following the runs, e.g. 90s, 45m, 2h, 1h30m (at most 7 days; a number needs a unit). Keep it below the job timeout.',
      example: '45m',
    },
    {
      name: 'poll-interval',
      azureName: 'pollInterval',
      group: 'waiting',
      default: '30s',
      description:
        'The usual longest gap between two status reads; the first reads come sooner. With run history, a gap early in a run may be longer, but only while the history gives the run at most a 1% chance of having ended by the next read.',
      example: '30s',
    },
    {
      name: 'if-running',
      azureName: 'ifRunning',
      group: 'waiting',
      default: 'fail',
      options: IF_RUNNING,
      description:
        'When the target is already running: fail, attach (follow that run) or queue (wait for it to end, then trigger).',
      example: 'attach',
    },
    {
      name: 'cancel-on-timeout',
      azureName: 'cancelOnTimeout',
      group: 'waiting',
      default: 'true',
      options: BOOLEAN_OPTIONS,
      description: 'Cancel the remote run when the timeout is reached, where the platform can cancel.',
      example: 'true',
    },
    // logs
    {
      name: 'logs',
      azureName: 'logs',
      group: 'logs',
      default: 'on-failure',
      options: LOGS_POLICIES,
      description:
        'When to fetch and print the logs of the run: on-failure, always, never, or live (also print new log lines while the run runs, read on the status schedule, where the platform has a log endpoint; the failure excerpt then points to them instead of repeating them).',
      example: 'on-failure',
    },
    {
      name: 'log-lines',
      azureName: 'logLines',
      group: 'logs',
      default: '200',
      description: 'Trailing log lines printed inline per failed task (0 to 100000); the whole log always goes to a file.',
      example: '200',
    },
    {
      name: 'junit-file',
      azureName: 'junitFile',
      group: 'logs',
      description: 'Write the results as JUnit XML to this path (one test case per target and failed task). Missing folders are created; a path that cannot be written fails before any request.',
      example: 'reports/orchestration.xml',
    },
    // advanced
    {
      name: 'max-concurrency',
      azureName: 'maxConcurrency',
      group: 'advanced',
      default: '4',
      description: 'How many targets run at the same time (1 to 64).',
      example: '4',
    },
    {
      name: 'fail-fast',
      azureName: 'failFast',
      group: 'advanced',
      default: 'true',
      options: BOOLEAN_OPTIONS,
      description: 'When one target fails, cancel or stop following the others, where the platform allows.',
      example: 'true',
    },
  ];
}

/**
 * The whole table: per group, the platform-neutral rows, then each platform's rows in registry order (a row
 * with `after` right behind that neutral row). A row several platforms declare is one row: its `platforms`
 * lists them all, its description joins their parts; the rest must agree, or the table is refused (a
 * programming error, caught by the tests).
 */
export function composeInputs(platforms: readonly PlatformModule[]): InputDef[] {
  const core = coreInputs(platforms);
  const coreNames = new Set(core.map((d) => d.name));
  const merged = new Map<string, { def: InputDef; declared: Array<{ platform: string; row: PlatformInputDef }> }>();
  const order: string[] = [];
  for (const platform of platforms) {
    for (const row of platform.inputs) {
      if (coreNames.has(row.name)) throw new Error(`platform ${platform.name} redefines the input '${row.name}'`);
      const seen = merged.get(row.name);
      if (!seen) {
        merged.set(row.name, { def: { ...withoutPlacement(row), description: '', platforms: [platform.name] }, declared: [{ platform: platform.name, row }] });
        order.push(row.name);
        continue;
      }
      const differs = (['azureName', 'group', 'default', 'required', 'secret', 'options', 'multiline', 'modes', 'after'] as const).filter(
        (key) => JSON.stringify(row[key]) !== JSON.stringify(seen.declared[0]!.row[key]),
      );
      if (differs.length > 0) {
        throw new Error(`platforms ${seen.declared[0]!.platform} and ${platform.name} define the input '${row.name}' differently (${differs.join(', ')})`);
      }
      seen.def.platforms = [...seen.def.platforms!, platform.name];
      seen.declared.push({ platform: platform.name, row });
    }
  }
  for (const { def, declared } of merged.values()) def.description = mergedDescription(def.name, declared.map((d) => d.row));

  const table: InputDef[] = [];
  for (const group of INPUT_GROUPS) {
    for (const def of core.filter((d) => d.group === group)) {
      table.push(def);
      for (const name of order) {
        const entry = merged.get(name)!;
        if (entry.declared[0]!.row.after === def.name) table.push(entry.def);
      }
    }
    for (const name of order) {
      const entry = merged.get(name)!;
      if (entry.def.group === group && entry.declared[0]!.row.after === undefined) table.push(entry.def);
    }
  }
  for (const name of order) {
    const after = merged.get(name)!.declared[0]!.row.after;
    if (after !== undefined && !coreNames.has(after)) throw new Error(`input '${name}' is placed after '${after}', which is not a platform-neutral input`);
  }
  return table;
}

function withoutPlacement(row: PlatformInputDef): Omit<InputDef, 'description' | 'platforms'> {
  const { after: _after, description: _description, ...def } = row;
  return def;
}

function mergedDescription(name: string, rows: readonly PlatformInputDef[]): string {
  if (rows.length === 1) {
    const only = rows[0]!.description;
    return typeof only === 'string' ? only : `${only.lead}: ${only.part}.`;
  }
  const parts = rows.map((r) => r.description);
  const lead = typeof parts[0] === 'string' ? undefined : parts[0]!.lead;
  if (lead === undefined || parts.some((p) => typeof p === 'string' || p.lead !== lead)) {
    throw new Error(`the input '${name}' is shared by several platforms, so each must describe it as { lead, part } with the same lead`);
  }
  return `${lead}: ${parts.map((p) => (p as { part: string }).part).join(', or ')}.`;
}

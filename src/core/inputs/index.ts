/**
 * The one table of inputs and its validation into `Settings`.
 *
 * Every input is defined once here: its canonical kebab-case name (GitHub, CLI), its camelCase name (Azure
 * DevOps allows only letters and digits), default, pick-list, group, the platforms and modes it belongs to,
 * a description and an example. `action.yml`, `task.json`, the README tables and the CLI help are checked
 * against (or generated from) this table, so nothing about an input is written down twice.
 *
 * Validation runs before the first request. A bad value fails with ONE line that names the input the way the
 * user wrote it (GitHub, Azure or CLI), says what is wrong and shows a right value. The API key is never
 * echoed, not even partly: messages about it describe the problem without quoting it, and every message
 * and warning is redacted against the key before it leaves `parseSettings` in case a user pasted the key
 * into some other input.
 */
import { accessSync, constants as fsConstants, mkdirSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { editDistance } from '../names.js';
import { MODES, PLATFORMS } from '../settings.js';
import type {
  IfRunning,
  LogsPolicy,
  Mode,
  Platform,
  PlanasonixBackfillSpec,
  PlanasonixPipelineSpec,
  PlanasonixSyncSpec,
  Priority,
  QarionPipelineSpec,
  Settings,
  TargetSpec,
  TimextenderProcessMapSpec,
  TimextenderTaskSpec,
} from '../settings.js';

export type InputGroup = 'connection' | 'target' | 'waiting' | 'logs' | 'advanced';
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

const BOOLEAN_OPTIONS: readonly string[] = ['true', 'false'];
const SYNC_TYPES = ['incremental', 'full'] as const;
const PRIORITIES: readonly Priority[] = ['low', 'normal', 'high'];
const IF_RUNNING: readonly IfRunning[] = ['fail', 'attach', 'queue'];
const LOGS_POLICIES: readonly LogsPolicy[] = ['on-failure', 'always', 'never'];
/** The `uat` values TDP documents; other words are passed through, with a warning. */
const KNOWN_ENVIRONMENTS: readonly string[] = ['Production', 'Development', 'Test'];

export const INPUTS: readonly InputDef[] = [
  // connection
  {
    name: 'platform',
    azureName: 'platform',
    group: 'connection',
    required: true,
    options: PLATFORMS,
    description: 'The data platform to orchestrate: timextender, qarion or planasonix.',
    example: 'timextender',
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
    description:
      'API root. Defaults to https://{tenant}.odq.timextender.com, https://api.qarion.com or https://api.planasonix.com; https only (http is allowed for loopback addresses).',
    example: 'https://acme.odq.timextender.com',
  },
  {
    name: 'tenant',
    azureName: 'tenant',
    group: 'connection',
    platforms: ['timextender'],
    description: 'TimeXtender only: the tenant name, used to build https://{tenant}.odq.timextender.com when base-url is empty.',
    example: 'acme',
  },
  // targets
  {
    name: 'workspace',
    azureName: 'workspace',
    group: 'target',
    platforms: ['timextender'],
    description: 'TimeXtender: the workspace key that holds the tasks or process maps.',
    example: 'finance',
  },
  {
    name: 'task',
    azureName: 'task',
    group: 'target',
    multiline: true,
    platforms: ['timextender'],
    description:
      'TimeXtender: tasks to trigger, one per line, as Type/Id or Type/Name (e.g. Package/1005, Package/Load Customer Dim).',
    example: 'Package/1005',
  },
  {
    name: 'process-map',
    azureName: 'processMap',
    group: 'target',
    multiline: true,
    platforms: ['timextender'],
    description: 'TimeXtender: process maps to trigger, one per line, by id or name.',
    example: '42',
  },
  {
    name: 'environment',
    azureName: 'environment',
    group: 'target',
    default: 'Production',
    platforms: ['timextender'],
    description:
      'TimeXtender: the environment (uat): Production, Development or Test. Other values are passed on unchanged so the server can answer.',
    example: 'Development',
  },
  {
    name: 'space',
    azureName: 'space',
    group: 'target',
    platforms: ['qarion'],
    description: 'Qarion: the space slug that holds the pipelines.',
    example: 'analytics',
  },
  {
    name: 'pipeline',
    azureName: 'pipeline',
    group: 'target',
    multiline: true,
    platforms: ['qarion', 'planasonix'],
    description: 'Pipelines to run, one per line: a Qarion pipeline id or name, or a Planasonix pipeline id.',
    example: 'daily_finance',
  },
  {
    name: 'connection',
    azureName: 'connection',
    group: 'target',
    multiline: true,
    platforms: ['planasonix'],
    description: 'Planasonix: connections to sync (or backfill, with backfill-start and backfill-end), one id per line.',
    example: 'conn_8f2a',
  },
  {
    name: 'sync-type',
    azureName: 'syncType',
    group: 'target',
    default: 'incremental',
    options: SYNC_TYPES,
    platforms: ['planasonix'],
    description: 'Planasonix: the kind of connection sync, incremental or full.',
    example: 'full',
  },
  {
    name: 'backfill-start',
    azureName: 'backfillStart',
    group: 'target',
    platforms: ['planasonix'],
    description: 'Planasonix: start of the backfill window (ISO 8601 date or date-time); turns each connection into a backfill.',
    example: '2024-01-01',
  },
  {
    name: 'backfill-end',
    azureName: 'backfillEnd',
    group: 'target',
    platforms: ['planasonix'],
    description: 'Planasonix: end of the backfill window (ISO 8601 date or date-time), after backfill-start.',
    example: '2024-01-31',
  },
  {
    name: 'tables',
    azureName: 'tables',
    group: 'target',
    multiline: true,
    platforms: ['planasonix'],
    description: 'Planasonix: tables to sync or backfill, separated by commas or new lines; empty means all.',
    example: 'orders, customers',
  },
  {
    name: 'parameters',
    azureName: 'parameters',
    group: 'target',
    multiline: true,
    platforms: ['planasonix'],
    description: 'Planasonix: parameters of the pipeline run, as a JSON object or as key=value lines.',
    example: '{"region": "eu"}',
  },
  {
    name: 'priority',
    azureName: 'priority',
    group: 'target',
    default: 'normal',
    options: PRIORITIES,
    platforms: ['planasonix'],
    description: 'Planasonix: priority of connection syncs and backfills: low, normal or high.',
    example: 'high',
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
    name: 'server-time-zone',
    azureName: 'serverTimeZone',
    group: 'waiting',
    platforms: ['timextender'],
    modes: ['check'],
    description:
      "TimeXtender, mode check with max-age: the time zone of the server's local timestamps (IANA name like Europe/Copenhagen, or an offset like +01:00). Without it, the age is measured as if the server were in the zone furthest ahead (UTC+14), so a stale load never passes.",
    example: 'Europe/Copenhagen',
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
      'The usual longest gap between two status reads; the first reads come sooner. With run history, a gap early in a run may be up to 4x longer while the history says the run cannot be ending yet.',
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
    description: 'When to fetch and print the logs of the run: on-failure, always or never.',
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
  {
    name: 'comment',
    azureName: 'comment',
    group: 'advanced',
    default: 'true',
    options: BOOLEAN_OPTIONS,
    platforms: ['qarion'],
    description: 'Qarion: add a comment linking the CI run to each run (a failure to comment only warns).',
    example: 'true',
  },
  {
    name: 'idempotency-key',
    azureName: 'idempotencyKey',
    group: 'advanced',
    platforms: ['planasonix'],
    description:
      'Planasonix: the idempotency key of the trigger (1 to 255 printable ASCII characters). Default: built from the CI run id, attempt and target, so a retried request never starts two runs.',
    example: 'release-2024-06-01',
  },
  {
    name: 'sync-before-poll',
    azureName: 'syncBeforePoll',
    group: 'advanced',
    default: 'false',
    options: BOOLEAN_OPTIONS,
    platforms: ['qarion'],
    description:
      'Qarion: request a connector sync when the triggered run does not show up in time (runs arrive through connector sync; needs edit rights).',
    example: 'true',
  },
];

const INPUTS_BY_NAME: ReadonlyMap<string, InputDef> = new Map(INPUTS.map((def) => [def.name, def]));

/** The definition of an input by its kebab-case name; an unknown name is a programming error. */
export function inputByName(name: string): InputDef {
  const def = INPUTS_BY_NAME.get(name);
  if (!def) throw new Error(`Unknown input '${name}'. Known inputs: ${INPUTS.map((d) => d.name).join(', ')}`);
  return def;
}

/** An invalid input: the message is one line, names the input and gives an example of a right value. */
export class InputError extends Error {
  /** Canonical (kebab-case) name of the input at fault. */
  readonly input: string;
  constructor(input: string, message: string) {
    super(oneLine(message));
    this.name = 'InputError';
    this.input = input;
  }
}

/** Raw input values by kebab-case name; undefined or blank means "not set". */
export type RawInputs = (name: string) => string | undefined;

export interface ParsedInputs {
  settings: Settings;
  /** Problems worth a CI warning that do not stop the step. Never contain the key. */
  warnings: string[];
}

export interface ParseOptions {
  /** How input names appear in messages; default github. */
  nameStyle?: NameStyle;
  /** The key from an Azure service connection, used when `api-key` is empty. */
  apiKeyFallback?: string;
  /** The server URL from an Azure service connection, used when `base-url` is empty. */
  baseUrlFallback?: string;
}

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

// ---------------------------------------------------------------------------------------------------------
// Value parsers shared with the front ends
// ---------------------------------------------------------------------------------------------------------

const DURATION_UNITS_MS: Readonly<Record<string, number>> = {
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
};
const DURATION_HINT = 'use a number with a unit: 90s, 45m, 2h, 1h30m, 500ms or 1d';

/** A number without a unit: `90`, `1.5`. */
const BARE_NUMBER = /^\d+(\.\d+)?$/;

/**
 * A duration in milliseconds: `90s`, `45m`, `2h`, `1h30m`, `500ms`, `1d`. A bare number is refused: read as
 * seconds, `timeout: 90` meant to be 90 minutes would give up after a minute and a half, and `max-age: 24`
 * meant to be a day would refuse every load. Zero and negative values are refused: every duration input
 * here is a limit or a gap, and zero would mean "never wait" or a busy loop.
 */
export function parseDuration(text: string): number {
  const value = text.trim();
  if (value === '') throw new Error(`the duration is empty; ${DURATION_HINT}`);
  if (value.startsWith('-')) throw new Error(`${quote(value)} is negative; a duration must be greater than zero`);
  if (BARE_NUMBER.test(value)) throw new Error(bareNumberProblem(value));

  // Components such as `1h30m` or `1h 30m`; the sticky regex must consume the whole text.
  const component = /\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)/iy;
  let ms = 0;
  let consumed = 0;
  let match: RegExpExecArray | null;
  while ((match = component.exec(value)) !== null) {
    ms += Number(match[1]) * DURATION_UNITS_MS[match[2]!.toLowerCase()]!;
    consumed = component.lastIndex;
  }
  if (consumed === 0 || consumed !== value.length) throw new Error(`${quote(value)} is not a duration; ${DURATION_HINT}`);
  if (!Number.isFinite(ms)) throw new Error(`${quote(value)} is too long`);
  ms = Math.round(ms);
  if (ms <= 0) throw new Error(`${quote(value)} is zero; a duration must be greater than zero`);
  return ms;
}

function bareNumberProblem(value: string): string {
  if (Number(value) === 0) return `${quote(value)} is zero; a duration must be greater than zero, with a unit`;
  return `${quote(value)} has no unit, and a bare number is not a duration; write ${value}s, ${value}m or ${value}h`;
}

/** The unit a bare number most likely meant, per duration input, for the example in the message. */
const LIKELY_UNIT: Readonly<Record<string, string>> = { timeout: 'm', 'poll-interval': 's', 'max-age': 'h' };

const TRUE_WORDS = new Set(['true', 'yes', '1', 'on']);
const FALSE_WORDS = new Set(['false', 'no', '0', 'off']);

/** true/false, yes/no, 1/0, on/off, case-insensitive. */
export function parseBoolean(text: string): boolean {
  const word = text.trim().toLowerCase();
  if (TRUE_WORDS.has(word)) return true;
  if (FALSE_WORDS.has(word)) return false;
  throw new Error(`${quote(text.trim())} is not a boolean; use true or false`);
}

// ---------------------------------------------------------------------------------------------------------
// parseSettings
// ---------------------------------------------------------------------------------------------------------

/**
 * Validates the raw inputs into Settings, or throws an InputError on the first problem.
 * Every message and warning is redacted against the API key before it is returned or thrown.
 */
export function parseSettings(raw: RawInputs, options: ParseOptions = {}): ParsedInputs {
  const secrets = secretFragments([raw('api-key'), options.apiKeyFallback]);
  try {
    const reader = new InputReader(raw, options);
    const settings = buildSettings(reader);
    return { settings, warnings: reader.warnings.map((w) => redact(oneLine(w), secrets)) };
  } catch (error) {
    if (error instanceof InputError) throw new InputError(error.input, redact(error.message, secrets));
    throw error;
  }
}

function buildSettings(r: InputReader): Settings {
  r.checkCharacters();
  const platform = r.choice<Platform>('platform');
  const mode = r.choice<Mode>('mode');
  r.checkOwnership(platform, mode);

  const apiKey = readApiKey(r, platform);
  const baseUrl = readBaseUrl(r, platform);
  // Labels are unique because each target input refuses duplicate lines and each kind has its own prefix.
  const targets = readTargets(r, platform);

  const runId = r.value('run-id');
  if (runId !== undefined && runId.split(',').length !== targets.length) {
    // Each target needs its own id (the run-id output of mode trigger lists them in target order); following
    // the wrong run silently would be worse than refusing.
    r.fail(
      'run-id',
      `lists ${runId.split(',').length} run id(s), but the step has ${targets.length} target(s); give one id per target, comma-separated in target order`,
    );
  }
  if (runId !== undefined && platform === 'timextender') {
    // TimeXtender run ids have a fixed shape (an execution id; a process map's `<id>@<start>`): a wrong one is
    // refused before any request instead of waiting for a run that cannot exist.
    // A target's handle may name several runs (`a+b`) and mark adopted ones (`adopted:`), as mode trigger writes it.
    runId.split(',').forEach((handle, i) => {
      const spec = targets[i];
      if (spec?.platform !== 'timextender') return;
      for (const raw of handle.split('+')) {
        const id = raw.trim().replace(/^adopted:/, '');
        if (spec.kind === 'task' && !/^\d+$/.test(id)) {
          r.fail('run-id', `: ${quote(id)} is not a TimeXtender execution id (digits)`, { example: '97210' });
        }
        if (spec.kind === 'process-map' && !/^\d+@\S+$/.test(id)) {
          r.fail('run-id', `: ${quote(id)} is not a TimeXtender process map run (<process map id>@<start time>)`, { example: '42@2026-03-15T08:30:00' });
        }
      }
    });
  }
  const serverTimeZone = r.value('server-time-zone');
  if (serverTimeZone !== undefined && !isTimeZone(serverTimeZone)) {
    r.fail('server-time-zone', `: ${quote(serverTimeZone)} is neither an IANA time zone nor a UTC offset`);
  }
  const maxAgeMs = r.optionalDuration('max-age');

  const timeoutMs = r.duration('timeout');
  if (timeoutMs > 7 * DURATION_UNITS_MS.d!) r.fail('timeout', `: ${quote(r.valueOrDefault('timeout'))} is longer than 7 days`);
  let pollIntervalMs = r.duration('poll-interval');
  if (pollIntervalMs < 100) r.fail('poll-interval', `: ${quote(r.valueOrDefault('poll-interval'))} is shorter than 100ms`);
  if (pollIntervalMs > timeoutMs && !r.isGiven('poll-interval')) {
    // Only the default gap outlasts a short timeout the user chose: shorten it rather than refuse.
    pollIntervalMs = timeoutMs;
  }
  if (pollIntervalMs > timeoutMs) {
    r.fail(
      'poll-interval',
      `: ${quote(r.valueOrDefault('poll-interval'))} is longer than ${r.name('timeout')} (${r.valueOrDefault('timeout')})`,
    );
  }

  const settings: Settings = {
    platform,
    apiKey,
    baseUrl,
    mode,
    targets,
    timeoutMs,
    pollIntervalMs,
    ifRunning: r.choice<IfRunning>('if-running'),
    cancelOnTimeout: r.boolean('cancel-on-timeout'),
    logs: r.choice<LogsPolicy>('logs'),
    logLines: r.integer('log-lines', 0, 100_000),
    maxConcurrency: r.integer('max-concurrency', 1, 64),
    failFast: r.boolean('fail-fast'),
    comment: r.boolean('comment'),
    syncBeforePoll: r.boolean('sync-before-poll'),
  };
  if (runId !== undefined) settings.runId = runId;
  if (maxAgeMs !== undefined) settings.maxAgeMs = maxAgeMs;
  if (serverTimeZone !== undefined) settings.serverTimeZone = serverTimeZone;
  const idempotencyKey = readIdempotencyKey(r);
  if (idempotencyKey !== undefined) settings.idempotencyKey = idempotencyKey;
  const junitFile = r.value('junit-file');
  if (junitFile !== undefined) settings.junitFile = junitFile;
  return settings;
}

// --- output paths ----------------------------------------------------------------------------------------

/**
 * Makes sure a file can be written at `path` when the step ends: creates its missing folders (like
 * `mkdir -p`) and checks that the folder can be written. The file itself is not created, so a step that
 * stops early leaves no empty report behind. Returns what is wrong, or undefined when the path is usable.
 * Runs before the first request, so a load is never started whose report cannot be written.
 */
export function prepareOutputFile(path: string): string | undefined {
  if (path.trim() === '') return 'is empty; give a file name';
  if (/[\\/]$/.test(path)) return `names a folder (${quote(path)}); give a file name inside it`;
  const full = resolve(path);
  const existing = statOrProblem(full);
  if (typeof existing === 'string') return existing;
  if (existing !== undefined) {
    if (existing.isDirectory()) return `is a folder (${quote(path)}); give a file name inside it`;
    return writable(full) ? undefined : `cannot be written: the file exists and is not writable (${quote(path)})`;
  }
  const folder = dirname(full);
  try {
    mkdirSync(folder, { recursive: true });
  } catch (error) {
    return folderProblem(error, folder);
  }
  return writable(folder) ? undefined : `cannot be written: its folder is not writable (${quote(folder)})`;
}

/**
 * The output paths among the inputs (`junit-file`) prepared by prepareOutputFile, before the first request;
 * throws an InputError naming the input the way the user wrote it, with an example, when one is unusable.
 * Front ends call it right after parseSettings (which stays free of file system effects).
 */
export function prepareOutputPaths(settings: Settings, options: Pick<ParseOptions, 'nameStyle'> = {}): void {
  if (settings.junitFile === undefined) return;
  const problem = prepareOutputFile(settings.junitFile);
  if (problem === undefined) return;
  const def = inputByName('junit-file');
  const name = displayName(def, options.nameStyle ?? 'github');
  throw new InputError(def.name, `Input '${name}' ${problem}. Example: ${def.example}`);
}

function statOrProblem(path: string): ReturnType<typeof statSync> | string | undefined {
  try {
    return statSync(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return undefined;
    if (code === 'ENOTDIR') return `cannot be written: a part of its folder path is a file, not a folder (${quote(path)})`;
    if (code === 'EACCES' || code === 'EPERM') return `cannot be reached: permission denied on its folder (${quote(path)})`;
    return `cannot be checked (${code ?? errorMessage(error)})`;
  }
}

function folderProblem(error: unknown, folder: string): string {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ENOTDIR' || code === 'EEXIST') {
    return `cannot be written: a part of its folder path is a file, not a folder (${quote(folder)})`;
  }
  if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS') {
    return `cannot be written: its folder cannot be created, permission denied (${quote(folder)})`;
  }
  return `cannot be written: its folder cannot be created, ${code ?? errorMessage(error)} (${quote(folder)})`;
}

function writable(path: string): boolean {
  try {
    accessSync(path, fsConstants.W_OK);
    return true;
  } catch {
    return false;
  }
}

/** An IANA zone name the runtime knows, `UTC`/`Z`, or an offset like `+01:00` / `-0530`. */
export function isTimeZone(text: string): boolean {
  if (/^(Z|UTC|[+-]\d{2}:?\d{2})$/i.test(text)) return true;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: text });
    return true;
  } catch {
    return false;
  }
}

// --- connection ------------------------------------------------------------------------------------------

const TDP_KEY = /^txk_[A-Za-z0-9]{32}$/;

function readApiKey(r: InputReader, platform: Platform): string {
  const fromInput = r.value('api-key');
  const fromConnection = r.options.apiKeyFallback?.trim() || undefined;
  const key = fromInput ?? fromConnection;
  const source = fromInput === undefined && fromConnection !== undefined ? 'fallback' : 'input';
  const fail = (problem: string): never => r.fail('api-key', problem, { source });

  if (key === undefined) {
    const where = r.style === 'azure' ? ', or choose a service connection' : '';
    return fail(`is required: the platform's API key, passed from a secret${where}`);
  }
  // None of these messages may quote the key, so each names the problem only.
  if (/[\r\n]/.test(key)) fail('contains a line break; store the key alone in the secret, on one line');
  if (/\s/.test(key)) fail("contains whitespace; store the key alone, without spaces or a 'Bearer ' prefix");
  if (/[\u0000-\u001f\u007f]/.test(key)) fail('contains a control character; copy the key again from the platform');
  if (/[^\x21-\x7e]/.test(key)) {
    // HTTP headers carry ASCII only; a typographic quote pasted with the key would fail later, less clearly.
    fail('contains a character outside printable ASCII (a typographic quote?); copy the key again');
  }
  if (platform === 'timextender' && !TDP_KEY.test(key)) {
    // The vendor's own example key does not match its documented format, so this is only a hint.
    r.warn(
      `${r.subject('api-key', source)} does not look like a TimeXtender API key (txk_ followed by 32 letters or digits); using it anyway`,
    );
  }
  return key;
}

const DEFAULT_BASE_URLS: Readonly<Record<Exclude<Platform, 'timextender'>, string>> = {
  qarion: 'https://api.qarion.com',
  planasonix: 'https://api.planasonix.com',
};
const BASE_URL_EXAMPLES: Readonly<Record<Platform, string>> = {
  timextender: 'https://acme.odq.timextender.com',
  qarion: 'https://api.qarion.com',
  planasonix: 'https://api.planasonix.com/v1',
};
const TENANT = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;

function readBaseUrl(r: InputReader, platform: Platform): string {
  const tenant = readTenant(r);
  const fromInput = r.value('base-url');
  const fromConnection = r.options.baseUrlFallback?.trim() || undefined;
  const text = fromInput ?? fromConnection;
  if (text !== undefined) {
    if (tenant !== undefined) r.warn(`${r.subject('tenant')} is ignored because a base URL is set`);
    return validateBaseUrl(r, text, platform, fromInput === undefined ? 'fallback' : 'input');
  }
  if (platform !== 'timextender') return DEFAULT_BASE_URLS[platform];
  if (tenant === undefined) {
    return r.fail('tenant', `or ${r.name('base-url')} is required for platform timextender`, {
      example: r.assignment('tenant', 'acme'),
    });
  }
  return `https://${tenant}.odq.timextender.com`;
}

function readTenant(r: InputReader): string | undefined {
  const tenant = r.value('tenant')?.toLowerCase();
  if (tenant !== undefined && !TENANT.test(tenant)) {
    r.fail('tenant', `: ${quote(tenant)} is not a tenant name (one DNS label: letters, digits, hyphens); for a full URL use ${r.name('base-url')}`);
  }
  return tenant;
}

/** The URL is never quoted in these messages: it may carry credentials or a key in its query. */
function validateBaseUrl(r: InputReader, text: string, platform: Platform, source: ValueSource): string {
  const fail = (problem: string): never => r.fail('base-url', problem, { source, example: BASE_URL_EXAMPLES[platform] });
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return fail('is not an absolute URL; start it with https://');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') fail(`must be an https URL, not ${url.protocol.replace(':', '')}`);
  if (url.protocol === 'http:' && !isLoopbackHost(url.hostname)) {
    fail('must use https: the key would travel in clear text (http is allowed only for loopback addresses)');
  }
  if (url.username !== '' || url.password !== '') fail(`must not contain a user name or password; the key goes in ${r.name('api-key')}`);
  if (text.includes('?') || text.includes('#')) fail('must not contain a query (?…) or a fragment (#…); give the API root only');
  // A path prefix is legitimate (Planasonix `/v1`); a trailing slash would double up when paths are joined.
  return `${url.protocol}//${url.host}${url.pathname.replace(/\/+$/, '')}`;
}

function isLoopbackHost(hostname: string): boolean {
  const host = hostname.toLowerCase();
  // WHATWG URL has already normalised IPv4 shorthands (127.1) and IPv6 spellings ([0:0:…:1]).
  return host === 'localhost' || host === '[::1]' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

// --- targets ---------------------------------------------------------------------------------------------

/**
 * The most targets one step follows, over all its target inputs together. Each target costs requests,
 * log lines, a summary row and part of the outputs; thousands would flood the platform and the CI log
 * (5,000 lines printed 774 KB). A bigger load belongs in a process map or pipeline, or in several steps.
 */
export const MAX_TARGETS = 200;

/**
 * Refuses more than MAX_TARGETS lines over the target inputs `names` (in the order targets are built),
 * before any line is read, naming the input whose lines go past the bound and the count.
 */
function checkTargetCount(r: InputReader, names: readonly string[]): void {
  const counts = names.map((name) => ({ name, count: r.lines(name).length }));
  const total = counts.reduce((sum, c) => sum + c.count, 0);
  if (total <= MAX_TARGETS) return;
  let before = 0;
  const culprit = counts.find((c) => (before += c.count) > MAX_TARGETS)!;
  const others = counts.filter((c) => c !== culprit && c.count > 0);
  const with_ = others.length ? ` (with ${others.map((c) => `${c.count} in ${r.name(c.name)}`).join(' and ')})` : '';
  r.fail(
    culprit.name,
    `has ${culprit.count} line(s), ${total} targets in all${with_}; a step follows at most ${MAX_TARGETS} targets: split them over several steps, or run them as one process map or pipeline`,
  );
}

function readTargets(r: InputReader, platform: Platform): TargetSpec[] {
  switch (platform) {
    case 'timextender':
      return timextenderTargets(r);
    case 'qarion':
      return qarionTargets(r);
    case 'planasonix':
      return planasonixTargets(r);
  }
}

function timextenderTargets(r: InputReader): TargetSpec[] {
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

function qarionTargets(r: InputReader): TargetSpec[] {
  const space = r.value('space');
  if (space === undefined) r.fail('space', 'is required for platform qarion');
  checkIdentifier(r, 'space', space);

  checkTargetCount(r, ['pipeline']);
  const pipelines = r.lines('pipeline');
  if (pipelines.length === 0) r.fail('pipeline', 'needs at least one line for platform qarion');
  const seen = new DuplicateGuard(r, 'pipeline');
  return pipelines.map((line): QarionPipelineSpec => {
    seen.check(line.text, line);
    return { platform: 'qarion', kind: 'pipeline', space, ref: line.text, label: `${space}/${line.text}` };
  });
}

function planasonixTargets(r: InputReader): TargetSpec[] {
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
      example: inputByName('sync-type').default,
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

const ISO_DATE_TIME =
  /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(\.\d{1,9})?)?(Z|[+-]\d{2}(?::?\d{2})?)?)?$/i;

/**
 * Milliseconds since the epoch of an ISO 8601 date or date-time, or undefined when it is not one or names
 * an impossible day. Values without an offset are read as UTC: good enough to compare start and end.
 */
function isoInstant(text: string): number | undefined {
  const m = ISO_DATE_TIME.exec(text);
  if (!m) return undefined;
  const [year, month, day] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const [hour, minute, second] = [Number(m[4] ?? 0), Number(m[5] ?? 0), Number(m[6] ?? 0)];
  if (month < 1 || month > 12 || hour > 23 || minute > 59 || second > 59) return undefined;
  const utc = Date.UTC(year, month - 1, day, hour, minute, second);
  if (new Date(utc).getUTCDate() !== day) return undefined; // 2024-02-30 rolls over to March
  const fraction = m[7] ? Math.round(Number(m[7]) * 1000) : 0;
  return utc + fraction - offsetMs(m[8]);
}

function offsetMs(zone: string | undefined): number {
  if (zone === undefined || zone.toUpperCase() === 'Z') return 0;
  const sign = zone.startsWith('-') ? -1 : 1;
  const digits = zone.slice(1).replace(':', '');
  return sign * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2) || '0')) * 60_000;
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
  const message = error instanceof Error ? error.message : String(error);
  return truncate(message.replace(/,?\s*".*" is not valid JSON$/s, '').trim() || 'syntax error', 120);
}

function readIdempotencyKey(r: InputReader): string | undefined {
  const key = r.value('idempotency-key');
  if (key === undefined) return undefined;
  if (/[^\x20-\x7e]/.test(key)) r.fail('idempotency-key', 'must be printable ASCII characters only');
  if (key.length > 255) r.fail('idempotency-key', `is ${key.length} characters long; the limit is 255`);
  return key;
}

/** Workspace keys and space slugs go into URL paths as one segment. */
function checkIdentifier(r: InputReader, name: string, value: string): void {
  if (value.includes('/')) r.fail(name, `: ${quote(value)} must not contain '/'; give the name alone`);
  if (/\s/.test(value)) r.fail(name, `: ${quote(value)} must not contain whitespace`);
}

class DuplicateGuard {
  private readonly firstLine = new Map<string, number>();
  constructor(
    private readonly r: InputReader,
    private readonly name: string,
  ) {}
  check(key: string, line: Line): void {
    const first = this.firstLine.get(key);
    if (first !== undefined) {
      this.r.fail(this.name, `repeats ${quote(key)} (first on line ${first}); list each target once`, {
        line: line.number,
      });
    }
    this.firstLine.set(key, line.number);
  }
}

// ---------------------------------------------------------------------------------------------------------
// InputReader: reads, defaults and reports on raw inputs, in the caller's naming style
// ---------------------------------------------------------------------------------------------------------

interface Line {
  text: string;
  /** 1-based, counting blank lines, so it matches what the user sees. */
  number: number;
}

/** Whether a value came from the input itself or from the Azure service connection. */
type ValueSource = 'input' | 'fallback';

interface FailOptions {
  line?: number;
  /** Overrides the input's own example. */
  example?: string | undefined;
  source?: ValueSource;
}

class InputReader {
  readonly style: NameStyle;
  readonly warnings: string[] = [];

  constructor(
    private readonly raw: RawInputs,
    readonly options: ParseOptions,
  ) {
    this.style = options.nameStyle ?? 'github';
  }

  /** The trimmed value, or undefined when not set. */
  value(name: string): string | undefined {
    inputByName(name); // guards against typos in this file
    const text = this.raw(name)?.trim();
    return text === undefined || text === '' ? undefined : text;
  }

  valueOrDefault(name: string): string {
    const value = this.value(name) ?? inputByName(name).default;
    if (value === undefined) throw new Error(`internal: input '${name}' has no default`);
    return value;
  }

  /** Set to something other than its default (GitHub and Azure pass defaults, so those do not count). */
  isGiven(name: string): boolean {
    const value = this.value(name);
    return value !== undefined && !isDefaultValue(inputByName(name), value);
  }

  /** The non-blank lines of a multi-line input, trimmed. */
  lines(name: string): Line[] {
    if (this.value(name) === undefined) return [];
    return (this.raw(name) ?? '')
      .split(/\r\n|\r|\n/)
      .map((text, i) => ({ text: text.trim(), number: i + 1 }))
      .filter((line) => line.text !== '');
  }

  name(name: string): string {
    return `'${displayName(inputByName(name), this.style)}'`;
  }

  subject(name: string, source: ValueSource = 'input'): string {
    const from = source === 'fallback' ? ' (from the service connection)' : '';
    return `Input ${this.name(name)}${from}`;
  }

  /** `name: value` for YAML hosts, `--name value` for the CLI: an example that involves another input. */
  assignment(name: string, value: string): string {
    const def = inputByName(name);
    return this.style === 'cli' ? `${displayName(def, 'cli')} ${value}` : `${displayName(def, this.style)}: ${value}`;
  }

  example(def: InputDef): string {
    if (!def.secret) return def.example;
    // A secret's example is a reference to a secret store, which each host spells differently.
    switch (this.style) {
      case 'github':
        return def.example;
      case 'azure':
        return '$(orchestrationApiKey)';
      case 'cli':
        return '"$ORCHESTRATION_API_KEY"';
    }
  }

  /**
   * Throws `Input 'x' <problem>. Example: <value>`. The problem is either a predicate ("is required") or,
   * starting with ':', a statement ("': 'abc' is not a duration"); with a line number it is always a statement.
   */
  fail(name: string, problem: string, options: FailOptions = {}): never {
    const def = inputByName(name);
    const statement = problem.replace(/^:\s*/, '');
    const body =
      options.line !== undefined
        ? ` line ${options.line}: ${statement}`
        : problem.startsWith(':')
          ? `: ${statement}`
          : ` ${problem}`;
    const text = `${this.subject(name, options.source)}${body}`.replace(/[.\s]+$/, '');
    throw new InputError(name, `${text}. Example: ${options.example ?? this.example(def)}`);
  }

  warn(message: string): void {
    this.warnings.push(message);
  }

  /** Characters no input may hold; the key has its own checks that never quote it. */
  checkCharacters(): void {
    for (const def of INPUTS) {
      if (def.secret) continue;
      const value = this.value(def.name);
      if (value === undefined) continue;
      if (/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/.test(value)) this.fail(def.name, 'contains a control character');
      if (!def.multiline && /[\r\n]/.test(value)) this.fail(def.name, 'must be a single line');
    }
  }

  /** An input of another platform or mode, set to a non-default value, is a mistake worth stopping for. */
  checkOwnership(platform: Platform, mode: Mode): void {
    for (const def of INPUTS) {
      if (!this.isGiven(def.name)) continue;
      if (def.platforms && !def.platforms.includes(platform)) {
        const owners = def.platforms.length === 1 ? `platform ${def.platforms[0]}` : `platforms ${listWords(def.platforms)}`;
        this.fail(def.name, `applies to ${owners} only (platform is ${platform}); remove it or change the platform`, {
          example: this.assignment('platform', def.platforms[0]!),
        });
      }
      if (def.modes && !def.modes.includes(mode)) {
        const owners = def.modes.length === 1 ? `mode ${def.modes[0]}` : `modes ${listWords(def.modes)}`;
        this.fail(def.name, `applies to ${owners} only (mode is ${mode}); remove it or change the mode`, {
          example: this.assignment('mode', def.modes[0]!),
        });
      }
    }
  }

  /** A pick-list value, matched case-insensitively, with a suggestion for a near miss. */
  choice<T extends string>(name: string): T {
    const def = inputByName(name);
    const options = def.options ?? [];
    const value = this.value(name);
    if (value === undefined) {
      if (def.default !== undefined) return def.default as T;
      return this.fail(name, `is required: ${listWords(options, 'or')}`);
    }
    const match = options.find((o) => o.toLowerCase() === value.toLowerCase());
    if (match !== undefined) return match as T;
    const guess = closest(value, options);
    const hint = guess ? `; did you mean ${guess}?` : '.';
    return this.fail(name, `: unknown value ${quote(value)}${hint} Valid values: ${options.join(', ')}`, {
      example: guess ?? def.example,
    });
  }

  boolean(name: string): boolean {
    try {
      return parseBoolean(this.valueOrDefault(name));
    } catch (error) {
      return this.fail(name, `: ${errorMessage(error)}`);
    }
  }

  duration(name: string): number {
    const text = this.valueOrDefault(name).trim();
    if (BARE_NUMBER.test(text) && Number(text) !== 0) {
      return this.fail(name, `: ${bareNumberProblem(text)}`, { example: `${text}${LIKELY_UNIT[name] ?? 'm'}` });
    }
    try {
      return parseDuration(text);
    } catch (error) {
      return this.fail(name, `: ${errorMessage(error)}`);
    }
  }

  optionalDuration(name: string): number | undefined {
    return this.value(name) === undefined ? undefined : this.duration(name);
  }

  integer(name: string, min: number, max: number): number {
    const text = this.valueOrDefault(name);
    const n = /^\d+$/.test(text) ? Number(text) : NaN;
    if (!Number.isSafeInteger(n) || n < min || n > max) {
      this.fail(name, `: ${quote(text)} is not a whole number from ${min} to ${max}`);
    }
    return n;
  }
}

function isBooleanInput(def: InputDef): boolean {
  return def.options !== undefined && def.options.length === 2 && BOOLEAN_OPTIONS.every((o) => def.options!.includes(o));
}

function isDefaultValue(def: InputDef, value: string): boolean {
  if (def.default === undefined) return false;
  if (isBooleanInput(def)) {
    try {
      return parseBoolean(value) === parseBoolean(def.default);
    } catch {
      return false;
    }
  }
  return value.toLowerCase() === def.default.toLowerCase();
}

// ---------------------------------------------------------------------------------------------------------
// Text helpers
// ---------------------------------------------------------------------------------------------------------

/** A user value inside a message: on one line, printable, and short. */
function quote(value: string): string {
  return `'${truncate(value.replace(/[\u0000-\u001f\u007f]+/g, ' '), 60)}'`;
}

function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

function oneLine(text: string): string {
  return text.replace(/\s*[\r\n]+\s*/g, ' ');
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function listWords(words: readonly string[], conjunction = 'and'): string {
  if (words.length <= 1) return words.join('');
  return `${words.slice(0, -1).join(', ')} ${conjunction} ${words[words.length - 1]}`;
}

/** The option nearest to a typo ('timeextender' → 'timextender'), or undefined when none is close. */
function closest(value: string, options: readonly string[]): string | undefined {
  const word = value.toLowerCase();
  let best: { option: string; distance: number } | undefined;
  for (const option of options) {
    const distance = editDistance(word, option.toLowerCase());
    if (distance <= Math.max(2, Math.floor(option.length / 3)) && (!best || distance < best.distance)) {
      best = { option, distance };
    }
  }
  return best?.option;
}

/**
 * The pieces of the key worth redacting: the whole raw and trimmed values, and each whitespace-separated
 * part (a key pasted as `Bearer <key>` or with a line break). Short pieces are skipped: replacing
 * `Bearer` or two letters everywhere would garble messages without protecting anything.
 */
function secretFragments(values: ReadonlyArray<string | undefined>): string[] {
  const fragments = new Set<string>();
  for (const value of values) {
    if (!value) continue;
    for (const piece of [value, value.trim(), ...value.split(/\s+/)]) {
      if (piece.length >= 8) fragments.add(piece);
    }
  }
  // Longest first, so a whole key is replaced before one of its parts.
  return [...fragments].sort((a, b) => b.length - a.length);
}

function redact(text: string, secrets: readonly string[]): string {
  let result = text;
  for (const secret of secrets) result = result.split(secret).join('***');
  return result;
}

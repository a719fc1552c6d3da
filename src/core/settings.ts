/**
 * The typed settings a step runs with, produced once from the raw inputs by `inputs.ts`.
 * Everything after input parsing sees only these types, never raw strings.
 */

export type Platform = 'timextender' | 'qarion' | 'planasonix';
export const PLATFORMS: readonly Platform[] = ['timextender', 'qarion', 'planasonix'];

export type Mode = 'run' | 'trigger' | 'wait' | 'check';
export const MODES: readonly Mode[] = ['run', 'trigger', 'wait', 'check'];

export type IfRunning = 'fail' | 'attach' | 'queue';
export type LogsPolicy = 'on-failure' | 'always' | 'never';

/** One target of the step; every line of a target input is one target. */
export type TargetSpec =
  | TimextenderTaskSpec
  | TimextenderProcessMapSpec
  | QarionPipelineSpec
  | PlanasonixSyncSpec
  | PlanasonixBackfillSpec
  | PlanasonixPipelineSpec;

interface SpecBase {
  /** Short human label, unique within the step, e.g. `finance/Package/1005`. */
  label: string;
}

export interface TimextenderTaskSpec extends SpecBase {
  platform: 'timextender';
  kind: 'task';
  workspace: string;
  /** The `uat` value. */
  environment: string;
  /** Canonical PascalCase task type, e.g. `Package`. */
  taskType: string;
  /** All digits: a task id; otherwise a task name resolved through the task list. */
  ref: string;
}

export interface TimextenderProcessMapSpec extends SpecBase {
  platform: 'timextender';
  kind: 'process-map';
  workspace: string;
  environment: string;
  /** All digits: a process map id; otherwise a name resolved through the process map list. */
  ref: string;
}

export interface QarionPipelineSpec extends SpecBase {
  platform: 'qarion';
  kind: 'pipeline';
  space: string;
  /** A pipeline id, or a name resolved through the list with `q`. */
  ref: string;
}

export type Priority = 'low' | 'normal' | 'high';

export interface PlanasonixSyncSpec extends SpecBase {
  platform: 'planasonix';
  kind: 'sync';
  connection: string;
  syncType: 'incremental' | 'full';
  priority: Priority;
  tables: string[];
}

export interface PlanasonixBackfillSpec extends SpecBase {
  platform: 'planasonix';
  kind: 'backfill';
  connection: string;
  /** ISO 8601 as given by the user. */
  start: string;
  end: string;
  tables: string[];
  priority: Priority;
}

export interface PlanasonixPipelineSpec extends SpecBase {
  platform: 'planasonix';
  kind: 'pipeline';
  pipeline: string;
  parameters: Record<string, unknown>;
}

export interface Settings {
  platform: Platform;
  /** Secret. Never printed. */
  apiKey: string;
  /** API root without a trailing slash; https, or http to a loopback address. */
  baseUrl: string;
  mode: Mode;
  targets: TargetSpec[];
  /** Mode wait: one id per target, comma-separated in target order. */
  runId?: string;
  maxAgeMs?: number;
  /** TimeXtender, mode check: the zone of the server's local timestamps. */
  serverTimeZone?: string;
  timeoutMs: number;
  pollIntervalMs: number;
  ifRunning: IfRunning;
  cancelOnTimeout: boolean;
  logs: LogsPolicy;
  logLines: number;
  maxConcurrency: number;
  failFast: boolean;
  comment: boolean;
  idempotencyKey?: string;
  /** Qarion: request a connector sync when no run appears (see README). */
  syncBeforePoll: boolean;
  /** Write JUnit XML here, when set. */
  junitFile?: string;
}

/** Where the step runs, for traceability (comments, metadata) and the default idempotency key. */
export interface CiContext {
  system: 'github' | 'azure' | 'cli';
  /** A link to this CI run, when known. */
  runUrl?: string;
  runId?: string;
  attempt?: string;
  commit?: string;
  actor?: string;
  /** Workflow or pipeline name. */
  workflow?: string;
  /**
   * This step within the CI run (GitHub: job and step id; Azure: job and task instance), so two steps of one
   * run that ask for the same load are told apart (the default idempotency key).
   */
  step?: string;
  repository?: string;
  /**
   * A random id of this invocation of the step, set by the engine and kept in the saved state, so a GitHub
   * post step sees the same one (e.g. for the default Planasonix idempotency key when the CI names no step).
   */
  invocation?: string;
}

/** Proxy settings handed to the HTTP client (GitHub: environment; Azure: the agent's configuration). */
export interface ProxySettings {
  /** e.g. http://proxy.corp:8080, possibly with credentials. */
  url?: string;
  /** Hosts that bypass the proxy (NO_PROXY syntax). */
  bypass?: string[];
}

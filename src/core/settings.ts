/**
 * The typed settings a step runs with, produced once from the raw inputs by `inputs/parse.ts`.
 * Everything after input parsing sees only these types, never raw strings.
 *
 * The core names no platform. A platform adds what is its own by TypeScript module augmentation in its
 * `targets.ts`: its kinds of target to `TargetSpecs` (so `TargetSpec` is the union of every platform's), and
 * the settings only it reads to `Settings` (e.g. TimeXtender's `serverTimeZone`).
 */

/** A platform's registry name, the value of the `platform` input (e.g. `timextender`). */
export type Platform = string;

export type Mode = 'run' | 'trigger' | 'wait' | 'check';
export const MODES: readonly Mode[] = ['run', 'trigger', 'wait', 'check'];

export type IfRunning = 'fail' | 'attach' | 'queue';
export type LogsPolicy = 'on-failure' | 'always' | 'never' | 'live';

/** What every target has, whatever its platform. */
export interface TargetSpecBase {
  /** The platform's registry name. */
  platform: Platform;
  /** The platform's own kind of target, e.g. `task`, `process-map`, `sync`. */
  kind: string;
  /** Short human label, unique within the step, e.g. `finance/Package/1005`. */
  label: string;
}

/**
 * Each platform's kinds of target, by platform name; every platform adds its own entry (module augmentation
 * in its `targets.ts`), each a TargetSpecBase with a literal `platform`.
 */
export interface TargetSpecs {}

/** One target of the step; every line of a target input is one target. */
export type TargetSpec = [keyof TargetSpecs] extends [never] ? TargetSpecBase : TargetSpecs[keyof TargetSpecs];

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
  timeoutMs: number;
  pollIntervalMs: number;
  ifRunning: IfRunning;
  cancelOnTimeout: boolean;
  logs: LogsPolicy;
  logLines: number;
  maxConcurrency: number;
  failFast: boolean;
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
   * post step sees the same one (e.g. for a default idempotency key when the CI names no step).
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

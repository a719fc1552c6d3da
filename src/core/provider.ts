/**
 * The Provider seam: what a platform gives the engine.
 *
 * The engine drives every platform through the same steps: resolve → (in-flight check) → baseline → trigger
 * → find the run the trigger caused → observe until it ends → failures (logs) → optional cancel.
 * Providers parse server JSON into typed objects once (in their api.ts) and keep their status words in one
 * StatusTable; nothing outside a provider knows a platform's wire format.
 */
import type { Clock } from './clock.js';
import type { HttpClient, RequestLimit } from './http/index.js';
import type { LogSink } from './logs.js';
import type { AccessHints } from './platform.js';
import type { CancelReport, FailedTask, Proof, RunState, StatusTable } from './outcome.js';
import type { CiContext, Platform, Settings, TargetSpec } from './settings.js';

export interface ProviderLog {
  info(message: string): void;
  warn(message: string): void;
  debug(message: string): void;
}

export interface ProviderDeps {
  http: HttpClient;
  settings: Settings;
  ciContext: CiContext;
  log: ProviderLog;
  clock: Clock;
  signal: AbortSignal;
  /**
   * How long a composite run must keep looking finished before it is judged green (the provider's default
   * when absent; tests with fast simulated runs shorten it).
   */
  settleMs?: number;
}

/** A target after its names were resolved to ids. */
export interface ResolvedTarget {
  spec: TargetSpec;
  /** Human label (the spec's label, possibly with the resolved name). */
  label: string;
  /**
   * A run of this target is made of members (a process map's tasks, a pipeline's task runs): the engine then
   * requires the `members` proof on the observation before it counts the run green.
   */
  composite?: boolean;
}

/** Identifies one run on the platform. */
export interface RunHandle {
  /** The platform's id of the run, as shown to users and passed between jobs. */
  runId: string;
}

/** One status read of a run. */
export interface Observation {
  state: RunState;
  rawStatus: string;
  startedAt?: string;
  finishedAt?: string;
  durationSeconds?: number;
  /** e.g. "backfill 40%", "3 of 5 tasks done": shown on status changes, never used as a status. */
  progress?: string;
  /**
   * What shows that the run ended: its end time as the platform gave it (e.g. `endTime 2026-03-15T08:31:02`),
   * or the platform's equivalent. Undefined while no end is seen: the engine never counts such a run green.
   */
  end?: string;
  /**
   * Composite runs only (targets with `composite`): ok only when at least one member of this run was seen,
   * every member that belongs to this run (bounded in time by the run's own start and end) ended, none
   * failed, and the platform's own failure counters agree. The detail is one line, e.g.
   * `5 of 5 member executions ended, none failed; map counters agree (failedTasks 0)`.
   */
  members?: Proof;
  /**
   * The platform does not show this run at all (e.g. its id is not in the task's history). A run that stays
   * unseen for a short window (a wrong `run-id`, a run that vanished) fails the target instead of waiting
   * until the timeout.
   */
  notFound?: boolean;
}

/** What the trigger request answered. */
export type TriggerResult<H extends RunHandle> =
  /** Accepted; `handle` when the answer carried the run's id (no correlation needed). */
  | { kind: 'accepted'; handle?: H; note?: string }
  /** Refused because a run is in flight (409); `handle` when the platform named that run. */
  | { kind: 'already-running'; handle?: H; message: string };

export type FindResult<H extends RunHandle> =
  | {
      kind: 'found';
      handle: H;
      /**
       * How the provider knows this run is ours, when it is more than "not in the baseline" (e.g. "carries
       * this step's idempotency key", "the run id the trigger answered"). Shown as the identity proof.
       */
      identity?: string;
      /**
       * Other runs that also started after the baseline (a schedule or another user). We cannot tell which
       * one the trigger caused, so the engine follows them all and passes only if every one succeeds.
       */
      others?: H[];
    }
  | {
      kind: 'pending';
      /** Why nothing is found yet, e.g. "the task is still queued". */
      reason?: string;
      /** The platform shows the trigger was taken (e.g. the task is queued): wait past the start window. */
      accepted?: boolean;
    };

export interface InFlight<H extends RunHandle> {
  /** The run in flight, when it can be identified. */
  handle?: H;
  description: string;
}

/** The latest ended run of a target, for `mode: check`. */
export interface LatestRun<H extends RunHandle> {
  handle: H;
  observation: Observation;
  /** Age of the run's end in ms, measured on the platform's own clock; undefined when it cannot be told. */
  ageMs?: number;
  /** How the age was measured, when it is an estimate (shown with "too old"). */
  ageNote?: string;
  /**
   * The complete-history proof: every page needed was read (or the server kept a documented newest-first
   * order), and how "latest" was picked (server order, ids documented as increasing, zoned timestamps).
   * Never by re-sorting local-time text. Not ok → the check is not green.
   */
  history: Proof;
}

/**
 * Live logs (`logs: live`): where a live read of a run's log stopped. Opaque to the engine and plain JSON,
 * so it can be kept between status reads (or saved); `undefined` before the first read.
 */
export type LiveLogCursor = { readonly [key: string]: unknown };

/** One new log line of a run in progress. */
export interface LiveLine {
  /** Stable id of what wrote it (a task execution, a map member, a run, a node): lines are grouped by it. */
  source: string;
  /** How to name the source in a prefix or group title, e.g. `Package/1010 (Load Sales Fact) execution 97210`. */
  label: string;
  /**
   * The line as the platform wrote it, one line (no line breaks), control characters and escape sequences
   * removed and the key masked by the same masker as the log file's; printing neutralizes it like any
   * failure excerpt line.
   */
  text: string;
}

/** What one live read returned (the lines themselves went to the `line` callback, in order). */
export interface LiveLogRead {
  cursor: LiveLogCursor;
  /** Lines handed over by this read. */
  lines: number;
  /**
   * Things to say once, printed as information, e.g. "the log of execution 97210 was rewritten: lines are
   * sent again from …", "Query tasks keep no log".
   */
  notes: string[];
  /**
   * Reads that failed, e.g. "the log of node load could not be read: … (the next read resumes)": printed as
   * warnings, never a failure of the step.
   */
  warnings?: string[];
}

export interface Provider<T extends ResolvedTarget = ResolvedTarget, H extends RunHandle = RunHandle, B = unknown> {
  readonly platform: Platform;
  readonly statusTable: StatusTable;
  /** Note on the clock of the times this platform reports (e.g. "server local time, no offset"). */
  readonly timeNote?: string;
  /**
   * After a lost trigger answer, which runs may be adopted (product spec: lost trigger answers):
   * `equivalent`: the trigger carries nothing but the environment, so any run of the target that started
   * after the baseline is an equivalent load (TDP, Qarion); `own-marker`: only a run carrying this step's
   * idempotency key or metadata (Planasonix). The provider's `find` applies the rule; the engine reports it.
   */
  readonly adoption: 'equivalent' | 'own-marker';

  resolve(spec: TargetSpec): Promise<T>;
  /** The run currently in flight for the target, if any (for `if-running` and `mode: wait`). */
  inFlight(target: T): Promise<InFlight<H> | undefined>;
  baseline(target: T): Promise<B>;
  trigger(target: T): Promise<TriggerResult<H>>;
  /** One look for the run the trigger caused: a run that was not in the baseline. Never "the newest run". */
  find(target: T, baseline: B): Promise<FindResult<H>>;
  observe(target: T, handle: H): Promise<Observation>;
  /**
   * One status read for several runs at once, for a step that follows many targets (e.g. one list request
   * per page for all tasks of a workspace, instead of one request per task). Results are in the order of
   * `items`; an item that could not be read is an Error. A terminal state must be as certain as `observe`'s:
   * where a batch view may lag, the provider confirms the end of the run itself before reporting it.
   */
  observeMany?(items: Array<{ target: T; handle: H }>): Promise<Array<Observation | Error>>;
  /** Failed tasks with their logs; the full logs go to `sink`. Called when the run did not succeed (or logs: always). */
  failures(target: T, handle: H, observation: Observation, sink: LogSink, options: { fetchLogs: boolean }): Promise<FailedTask[]>;
  /**
   * Live logs: the log lines written since `cursor` for a run in progress, handed to `line` one by one in
   * the platform's order (streamed: a 200,000-line log never sits in memory), then the cursor to pass next
   * time. At most one log request per running execution, member or node per call (the engine calls it on
   * the status schedule, after a status read, with that read's observation); call it once more with the
   * final observation to drain the last lines (the cursor then says the source is done and it is not read
   * again). Nothing is handed over twice unless the platform rewrote its log (said in `notes`), and nothing
   * is skipped silently. A source whose log cannot be read is a warning and keeps its place in the cursor.
   * When `line` returns a promise (the printed output is backed up), the read waits for it before going on.
   * Absent when the platform has no log endpoint (Qarion): see `liveLogAbsent`.
   */
  liveLog?(target: T, handle: H, observation: Observation, cursor: LiveLogCursor | undefined, line: (line: LiveLine) => void | Promise<void>): Promise<LiveLogRead>;
  /**
   * For a platform without a log endpoint (no `liveLog`), with `logs: live`: where this run's log can be read
   * instead (e.g. "the Airflow UI (DAG daily_finance, run manual__…): https://…"), said once per target in
   * place of the generic line. The same text as the failure details give; no request.
   */
  liveLogAbsent?(target: T, handle: H): string;
  /**
   * Called once when the run of this step is known (after the trigger, or when attaching), e.g. to leave a
   * traceability comment on the run. A failure here only warns.
   */
  announce?(target: T, handle: H): Promise<void>;
  /** Absent when the platform cannot cancel. */
  cancel?(target: T, handle: H): Promise<CancelReport>;
  /** Durations (seconds) of recent ended runs, for history-aware polling. */
  history?(target: T): Promise<number[]>;
  /** A handle for a run id given by the user (`mode: wait`). */
  handleFor?(target: T, runId: string): Promise<H>;
  /** The latest ended (or in-flight) run (`mode: check`). */
  latest?(target: T): Promise<LatestRun<H> | undefined>;
  /** Releases anything held (the engine closes the shared HTTP client itself). */
  close?(): Promise<void>;
}

/**
 * What a platform's provider.ts exports: how to authenticate, and how to build its provider. Loaded only
 * once the inputs are valid (see PlatformModule.load in platform.ts).
 */
export interface ProviderModule {
  readonly platform: Platform;
  /** Headers that carry the key (the HTTP client sends them to the API's origin only). */
  authHeaders(apiKey: string): Record<string, string>;
  create(deps: ProviderDeps): Provider;
  /** What to tell a user whose key was refused (the registry adds the platform module's). */
  readonly accessHints?: AccessHints;
  /** The platform's documented request limit per key (the registry adds the platform module's). */
  readonly requestLimit?: RequestLimit;
}

/** How the engine obtains a provider; adapters pass the registry's, so the core never imports a platform. */
export type ProviderLoader = (platform: Platform) => Promise<ProviderModule>;

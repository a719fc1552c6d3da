/**
 * The simulated Planasonix organisation: API keys, connections (sync jobs, backfills), pipelines and their
 * runs (apis.md §3, §4.3).
 *
 * As in the TDP world, run state is never stored as a word: every job, backfill and run carries its
 * scheduled simulated times (created, started, ended) and its state at an instant is derived from them, so
 * `clock.advance()` moves everything. The one exception is cooperative cancellation, which is driven by
 * polls as the brief asks ("stays running/cancelling for N polls"): each read of a resource with a pending
 * cancel counts one poll, and the cancel resolves on the read after the N-th (or 30 simulated seconds after
 * the request when nobody reads it).
 *
 * Where the sources disagree the options offer every variant; the defaults follow the vendor client where
 * it exists, else the doc.
 */
import type { SimClock } from './clock.js';
import { randomHex, seededRandom, type Random } from './random.js';
import { lifecyclePhaseAt } from './lifecycle.js';

export const PLANASONIX_PLATFORM = 'planasonix';

/** Scopes the simulator checks (apis.md §3.1: the doc calls its scope names "illustrative"). */
export const PLANASONIX_SCOPES = ['sync:trigger', 'sync:read', 'pipelines:run', 'pipelines:read'] as const;
export type PlanasonixScope = (typeof PLANASONIX_SCOPES)[number];

export interface PlanasonixRateLimit {
  /** Requests per window per API key. */
  perKey: number;
  /** Requests per window per workspace (all keys of the workspace together). */
  perWorkspace: number;
  /** Window length in milliseconds: REAL ones by default (clients wait in real time, whatever the simulated clock does). */
  windowMs: number;
  /**
   * 'real' (default): windows and Retry-After follow this machine's clock. 'simulated': they follow the
   * simulator's clock, for tests whose client also waits on a clock sped up with it.
   */
  clock?: 'real' | 'simulated';
}

export interface PlanasonixOptions {
  /** Path before `/api` ('' or '/v1', or a tenant prefix); requests without it get 404 (apis.md §3.1). */
  basePath: string;
  /** Also accept the legacy `X-Planasonix-Api-Key` / `X-Planasonix-Key` headers (apis.md §3.1). */
  acceptLegacyKeyHeaders: boolean;
  /** "Orchestration API disabled / not Enterprise": false, or the status answered (apis.md §5 #28). */
  apiDisabled: false | 403 | 404;
  /** An IP allowlist or session policy blocks every key: 403. */
  policyBlock: boolean;
  /** The 202 of a sync: doc envelope `{data:{job}}`, vendor-client flat `{job_id,status}`, or no id at all. */
  syncResponseShape: 'enveloped' | 'flat' | 'no-id';
  /** GET /api/v1/jobs/{id}: the job object itself (vendor client), `{data: job}` or `{data: {job}}`. */
  jobDetailShape: 'flat' | 'data' | 'data-job';
  /** The answer of POST /api/pipelines/{id}/run (apis.md §3.3, §5 #23). */
  pipelineRunResponseShape: 'success-runId' | 'data-id' | 'data-runId' | 'id' | 'no-id';
  /** Status of a `{success:false, message}` refusal of a pipeline run. */
  refusalStatus: number;
  /** Which idempotency key the server honours: header `Idempotency-Key`, body `idempotency_key`, both, none. */
  idempotency: 'both' | 'header' | 'body' | 'none';
  /** How long a key is remembered (simulated ms; apis.md §5 #24). */
  idempotencyWindowMs: number;
  /** Status of an answer replayed for a repeated key. */
  idempotentReplayStatus: 200 | 202;
  /**
   * A known key sent for ANOTHER target: replay the original resource anyway (the dangerous server; the
   * default, so that clients are tested against it) or 422.
   */
  idempotencyKeyReuse: 'replay' | 422;
  /** A backfill while a job of the connection is active (apis.md: "as for sync", inferred). */
  backfillWhileActive: 'allow' | 409;
  /** A pipeline run while another run of the pipeline is active (apis.md §5 #31). */
  pipelineRunWhileActive: 'queue' | 409;
  /** Reads that still show the run in flight after a cancel (cooperative cancellation). */
  cancelPolls: number;
  /** The word shown meanwhile. */
  cancelWord: 'running' | 'cancelling' | 'canceling';
  /** How a cancelled run ends (cooperative: it may finish its batch and complete, or fail). */
  cancelEndsAs: 'cancelled' | 'completed' | 'failed';
  /** Cancelling a finished job or run (apis.md §3.6: 409 or 400 by policy). */
  cancelFinished: 409 | 400;
  /** Spelling of the cancel word on jobs and backfills (vendor client: cancelled). */
  jobCancelledWord: 'cancelled' | 'canceled';
  /** Run words: doc (succeeded/failed/canceled) or alt (success/failed/cancelled). */
  runWords: 'doc' | 'alt';
  /** The end time of a run (apis.md §3.8: `finishedAt` in the doc, `endedAt` in the vendor client). */
  runEndField: 'finishedAt' | 'endedAt';
  /** GET /api/runs/{id} answers 404 (a deployment without it): clients fall back to execution-status. */
  runDetail404: boolean;
  /** Log format of GET /api/runs/{id}/logs (apis.md §3.6). */
  logFormat: 'text' | 'ndjson' | 'urls';
  /** Most log lines per answer (per object with logFormat 'urls'); the rest comes with `since`. */
  logPageLines: number;
  /**
   * Order of the job and run lists (GET /api/v1/jobs, /api/pipelines/{id}/runs, /api/runs). No source states
   * it (apis.md §3.2, §3.3 and §3.5 name the paging but not the order), so clients must not rely on it:
   * 'newest-first' (the default, what list UIs usually show) or 'oldest-first'.
   */
  listOrder: 'newest-first' | 'oldest-first';
  /** List answers: a bare array, `{data, meta:{cursor}}` or `{data, meta:{page:{cursor}}}`. */
  listShape: 'bare' | 'cursor' | 'page-cursor';
  defaultPageSize: number;
  /**
   * The most items a page holds, whatever `limit` asks (null: `limit` is honoured up to 100). The docs name
   * `limit` but no maximum (apis.md §3.5), so a server may answer shorter pages than asked.
   */
  pageCap: number | null;
  /** null: no limit at all (and no headers). */
  rateLimit: PlanasonixRateLimit | null;
  /** X-RateLimit-Limit/Remaining/Reset on every answer ("when supported", apis.md §3.5). */
  rateLimitHeaders: boolean;
  /** Retry-After on a 429: delta-seconds, an HTTP-date, or absent. */
  retryAfter: 'seconds' | 'http-date' | 'none';
  /** Error bodies (apis.md §3.5). */
  errorShape: 'nested' | 'flat' | 'string';
  /** ISO timestamps with `Z`, or without any offset (apis.md §5 #32). */
  timestamps: 'utc' | 'no-offset';
}

export const DEFAULT_PLANASONIX_OPTIONS: PlanasonixOptions = {
  basePath: '',
  acceptLegacyKeyHeaders: false,
  apiDisabled: false,
  policyBlock: false,
  syncResponseShape: 'enveloped',
  jobDetailShape: 'flat',
  pipelineRunResponseShape: 'success-runId',
  refusalStatus: 200,
  idempotency: 'both',
  idempotencyWindowMs: 24 * 3600_000,
  idempotentReplayStatus: 200,
  idempotencyKeyReuse: 'replay',
  backfillWhileActive: 'allow',
  pipelineRunWhileActive: 'queue',
  cancelPolls: 2,
  cancelWord: 'cancelling',
  cancelEndsAs: 'cancelled',
  cancelFinished: 409,
  jobCancelledWord: 'cancelled',
  runWords: 'doc',
  runEndField: 'finishedAt',
  runDetail404: false,
  logFormat: 'text',
  logPageLines: 10_000,
  listOrder: 'newest-first',
  listShape: 'bare',
  defaultPageSize: 20,
  pageCap: null,
  rateLimit: { perKey: 10_000, perWorkspace: 20_000, windowMs: 60_000 },
  rateLimitHeaders: true,
  retryAfter: 'seconds',
  errorShape: 'string',
  timestamps: 'utc',
};

export type PlanasonixOutcome = 'success' | 'failure' | 'hang' | 'unknown-running' | 'unknown-ended' | 'cancelled';

export interface PlanasonixScenario {
  outcome: PlanasonixOutcome;
  /** Simulated ms between the trigger and the start (default 0). */
  queuedMs?: number;
  /** Simulated ms between the start and the end (default 1000). Ignored by 'hang' and 'unknown-running'. */
  durationMs?: number;
  /** Rows synced (jobs) or written (runs) by the end (default 1000). */
  rows?: number;
  errorMessage?: string;
  errorCode?: string;
  /** The final raw word ('unknown-ended', default 'aborted'), or the word while it runs ('unknown-running', default 'paused'). */
  statusWord?: string;
  /** Pipelines: the id of the node that fails (default: the last). */
  failingNode?: string;
  /** Pipelines: log lines of the failing node (default: a few lines with an ERROR). */
  logLines?: string[];
  /** Pipelines: a synthetic log of this many lines for the failing node, produced lazily (huge logs). */
  logLineCount?: number;
  /** Pipelines, with logLineCount: the synthetic log is written in this many bursts (each at one instant). */
  logBursts?: number;
  /** Pipelines, with logLineCount: every 50th line (from the 8th) carries this many extra characters. */
  logLongLineChars?: number;
  /** Pipelines: the trigger answers `{success: false, message}` and starts nothing. */
  refuse?: string;
  /** Overrides options.cancelEndsAs for this run. */
  cancelEndsAs?: 'cancelled' | 'completed' | 'failed';
  /** Overrides options.cancelPolls for this run. */
  cancelPolls?: number;
}

export interface PlanasonixNodeDefinition {
  id: string;
  name: string;
}

export interface PlanasonixKeyOptions {
  scopes?: readonly PlanasonixScope[];
  workspace?: string;
}

/** One trigger request as the server understood it (for assertions: "which idempotency key was used"). */
export interface PlanasonixTriggerRecord {
  kind: 'sync' | 'backfill' | 'pipeline-run';
  /** Connection or pipeline id. */
  target: string;
  status: number;
  /** The id answered (a replay answers the original id). */
  resourceId?: string;
  /** The key the server honoured, and where it came from. */
  idempotencyKey?: string;
  keySource: 'header' | 'body' | 'none';
  headerKey?: string;
  bodyKey?: string;
  /** The answer replayed an earlier resource for the same key. */
  replay: boolean;
  simTimeMs: number;
}

export interface PlanasonixCancelRecord {
  kind: 'job' | 'run';
  id: string;
  status: number;
  simTimeMs: number;
}

/** What tests read about a job, backfill or run. */
export interface PlanasonixTruth {
  id: string;
  /** Connection id (jobs, backfills) or pipeline id (runs). */
  parent: string;
  origin: 'api' | 'foreign';
  /** The raw word the API shows now. */
  status: string;
  createdMs: number;
  startMs: number;
  endMs: number | null;
  cancelRequested: boolean;
  idempotencyKey?: string;
  metadata: Record<string, unknown>;
}

// ---------------------------------------------------------------------------------------------------------
// Internal model

export type Phase = 'absent' | 'queued' | 'running' | 'cancelling' | 'ended';
export type EndKind = 'success' | 'failure' | 'cancelled' | 'unknown';

export interface CancelState {
  requestedMs: number;
  pollsLeft: number;
  endsAs: 'cancelled' | 'completed' | 'failed';
  resolvedMs?: number;
}

export interface Activity {
  id: string;
  origin: 'api' | 'foreign';
  createdMs: number;
  startMs: number;
  /** Natural end; null when it never ends. */
  endMs: number | null;
  /** How it ends naturally. */
  endKind: EndKind;
  /** The raw word of an 'unknown' end, or of an unknown running word. */
  unknownWord?: string;
  runningWord?: string;
  rows: number;
  errorMessage?: string;
  errorCode?: string;
  cancel?: CancelState;
  cancelPolls: number;
  cancelEndsAs: 'cancelled' | 'completed' | 'failed';
  idempotencyKey?: string;
  metadata: Record<string, unknown>;
}

export interface JobRecord extends Activity {
  type: 'connection_sync';
  connectionId: string;
  syncType: string;
  priority: string;
  streams: string[];
}

export interface BackfillRecord extends Activity {
  connectionId: string;
  startAt: string;
  endAt: string;
  tables: string[];
  priority: string;
  /** Internal jobs the window was split into (apis.md §3.2: "a large window may split"). */
  chunks: number;
}

export interface NodePlan {
  id: string;
  name: string;
  startMs: number;
  /** null: never ends. */
  endMs: number | null;
  /** Never starts (after a failing node). */
  skipped: boolean;
  fails: boolean;
  retries: number;
  rows: number;
}

export interface LogEntry {
  ms: number;
  level: string;
  nodeId: string;
  message: string;
}

/** A node's log: lines spread over its time; huge logs are produced by index, never stored. */
export interface LogSegment {
  nodeId: string;
  count: number;
  entryAt(index: number): LogEntry;
}

export interface RunRecord extends Activity {
  pipelineId: string;
  trigger: 'manual' | 'schedule';
  parameters: Record<string, unknown>;
  nodes: NodePlan[];
  log: LogSegment[];
  stackRef?: string;
}

interface ConnectionRecord {
  id: string;
  name: string;
  tables: string[];
  scenarios: { list: PlanasonixScenario[]; next: number };
  backfillScenarios: { list: PlanasonixScenario[]; next: number };
}

interface PipelineRecord {
  id: string;
  name: string;
  nodes: PlanasonixNodeDefinition[];
  scenarios: { list: PlanasonixScenario[]; next: number };
}

export interface KeyRecord {
  key: string;
  scopes: Set<PlanasonixScope>;
  workspace: string;
  revoked: boolean;
}

interface IdempotencyEntry {
  kind: 'sync' | 'backfill' | 'pipeline-run';
  target: string;
  resourceId: string;
  createdMs: number;
}

const DEFAULT_SCENARIO: PlanasonixScenario = { outcome: 'success', durationMs: 1000 };
const DEFAULT_NODES: PlanasonixNodeDefinition[] = [
  { id: 'extract', name: 'Extract orders' },
  { id: 'transform', name: 'Transform orders' },
  { id: 'load', name: 'Load warehouse' },
];
/** A cancel nobody polls resolves by itself after this long (simulated). */
const CANCEL_MAX_MS = 30_000;

export class PlanasonixWorld {
  readonly options: PlanasonixOptions;
  readonly keys = new Map<string, KeyRecord>();
  readonly connections = new Map<string, ConnectionRecord>();
  readonly pipelines = new Map<string, PipelineRecord>();
  readonly jobList: JobRecord[] = [];
  readonly backfillList: BackfillRecord[] = [];
  readonly runList: RunRecord[] = [];
  protected readonly idempotency = new Map<string, IdempotencyEntry>();
  private readonly triggerLog: PlanasonixTriggerRecord[] = [];
  private readonly cancelLog: PlanasonixCancelRecord[] = [];
  private readonly random: Random;

  constructor(
    readonly clock: SimClock,
    options: Partial<PlanasonixOptions> = {},
    seed = 1,
  ) {
    this.options = { ...DEFAULT_PLANASONIX_OPTIONS, ...options };
    this.random = seededRandom(seed);
  }

  // ----- keys -------------------------------------------------------------------------------------------

  /** Adds an API key (any non-empty text; prefixes disagree between sources). Default: every scope. */
  addKey(key?: string, opts: PlanasonixKeyOptions = {}): string {
    const value = key ?? `plx_live_${randomHex(this.random, 32)}`;
    this.keys.set(value, {
      key: value,
      scopes: new Set(opts.scopes ?? PLANASONIX_SCOPES),
      workspace: opts.workspace ?? 'default',
      revoked: false,
    });
    return value;
  }

  /** A revoked key answers 401 from the next request on. */
  revokeKey(key: string): void {
    const record = this.keys.get(key);
    if (!record) throw new Error('unknown key');
    record.revoked = true;
  }

  // ----- connections, pipelines, scenarios --------------------------------------------------------------

  addConnection(id: string, opts: { name?: string; tables?: string[] } = {}): void {
    this.connections.set(id, {
      id,
      name: opts.name ?? id,
      tables: opts.tables ?? ['orders', 'customers'],
      scenarios: { list: [DEFAULT_SCENARIO], next: 0 },
      backfillScenarios: { list: [DEFAULT_SCENARIO], next: 0 },
    });
  }

  addPipeline(id: string, opts: { name?: string; nodes?: PlanasonixNodeDefinition[] } = {}): void {
    const nodes = opts.nodes ?? DEFAULT_NODES;
    if (nodes.length === 0) throw new Error('a pipeline needs at least one node');
    this.pipelines.set(id, { id, name: opts.name ?? id, nodes: nodes.map((n) => ({ ...n })), scenarios: { list: [DEFAULT_SCENARIO], next: 0 } });
  }

  /** Outcomes of the next sync jobs of a connection, one per job; the last one repeats. */
  setSyncScenario(connectionId: string, s: PlanasonixScenario | PlanasonixScenario[]): void {
    this.connection(connectionId).scenarios = scenarioList(s);
  }

  setBackfillScenario(connectionId: string, s: PlanasonixScenario | PlanasonixScenario[]): void {
    this.connection(connectionId).backfillScenarios = scenarioList(s);
  }

  setPipelineScenario(pipelineId: string, s: PlanasonixScenario | PlanasonixScenario[]): void {
    this.pipeline(pipelineId).scenarios = scenarioList(s);
  }

  /** A schedule or another user starts a sync of the connection (now, or after delayMs simulated ms). */
  startForeignJob(connectionId: string, s: PlanasonixScenario & { delayMs?: number }): string {
    const connection = this.connection(connectionId);
    const job = this.newJob(connection, 'foreign', this.clock.now() + (s.delayMs ?? 0), s, {
      syncType: 'incremental',
      priority: 'normal',
      streams: [],
      metadata: { triggered_by: 'schedule' },
    });
    return job.id;
  }

  startForeignRun(pipelineId: string, s: PlanasonixScenario & { delayMs?: number; trigger?: 'manual' | 'schedule' }): string {
    const pipeline = this.pipeline(pipelineId);
    const run = this.newRun(pipeline, 'foreign', this.clock.now() + (s.delayMs ?? 0), s, {
      parameters: {},
      metadata: { triggered_by: s.trigger ?? 'schedule' },
      trigger: s.trigger ?? 'schedule',
    });
    return run.id;
  }

  // ----- truth for test assertions ----------------------------------------------------------------------

  jobs(connectionId?: string): PlanasonixTruth[] {
    const now = this.clock.now();
    return this.jobList
      .filter((j) => (connectionId === undefined || j.connectionId === connectionId) && j.createdMs <= now)
      .map((j) => this.truth(j, j.connectionId, this.jobWord(j, now), now));
  }

  backfills(connectionId?: string): PlanasonixTruth[] {
    const now = this.clock.now();
    return this.backfillList
      .filter((b) => (connectionId === undefined || b.connectionId === connectionId) && b.createdMs <= now)
      .map((b) => this.truth(b, b.connectionId, this.jobWord(b, now), now));
  }

  runs(pipelineId?: string): PlanasonixTruth[] {
    const now = this.clock.now();
    return this.runList
      .filter((r) => (pipelineId === undefined || r.pipelineId === pipelineId) && r.createdMs <= now)
      .map((r) => this.truth(r, r.pipelineId, this.runWord(r, now), now));
  }

  triggers(): PlanasonixTriggerRecord[] {
    return this.triggerLog.map((t) => ({ ...t }));
  }

  cancels(): PlanasonixCancelRecord[] {
    return this.cancelLog.map((c) => ({ ...c }));
  }

  private truth(a: Activity, parent: string, status: string, now: number): PlanasonixTruth {
    const end = endOf(a, now);
    return {
      id: a.id,
      parent,
      origin: a.origin,
      status,
      createdMs: a.createdMs,
      startMs: a.startMs,
      endMs: end ? end.at : a.endMs,
      cancelRequested: a.cancel !== undefined,
      ...(a.idempotencyKey !== undefined && { idempotencyKey: a.idempotencyKey }),
      metadata: { ...a.metadata },
    };
  }

  // ----- for the HTTP module ----------------------------------------------------------------------------

  protected recordTrigger(record: Omit<PlanasonixTriggerRecord, 'simTimeMs'>): void {
    this.triggerLog.push({ ...record, simTimeMs: this.clock.now() });
  }

  protected recordCancel(record: Omit<PlanasonixCancelRecord, 'simTimeMs'>): void {
    this.cancelLog.push({ ...record, simTimeMs: this.clock.now() });
  }

  protected connection(id: string): ConnectionRecord {
    const connection = this.connections.get(id);
    if (!connection) throw new Error(`unknown connection ${id}`);
    return connection;
  }

  protected pipeline(id: string): PipelineRecord {
    const pipeline = this.pipelines.get(id);
    if (!pipeline) throw new Error(`unknown pipeline ${id}`);
    return pipeline;
  }

  protected nextScenario(holder: { list: PlanasonixScenario[]; next: number }): PlanasonixScenario {
    const s = holder.list[Math.min(holder.next, holder.list.length - 1)]!;
    holder.next++;
    return s;
  }

  protected newJob(
    connection: ConnectionRecord,
    origin: 'api' | 'foreign',
    createdMs: number,
    s: PlanasonixScenario,
    request: { syncType: string; priority: string; streams: string[]; metadata: Record<string, unknown>; idempotencyKey?: string },
  ): JobRecord {
    const job: JobRecord = {
      ...this.activity(`job_${randomHex(this.random, 16)}`, origin, createdMs, s),
      type: 'connection_sync',
      connectionId: connection.id,
      syncType: request.syncType,
      priority: request.priority,
      streams: request.streams,
      metadata: request.metadata,
      ...(request.idempotencyKey !== undefined && { idempotencyKey: request.idempotencyKey }),
    };
    this.jobList.push(job);
    return job;
  }

  protected newBackfill(
    connection: ConnectionRecord,
    createdMs: number,
    s: PlanasonixScenario,
    request: { startAt: string; endAt: string; tables: string[]; priority: string; metadata: Record<string, unknown>; idempotencyKey?: string },
  ): BackfillRecord {
    const backfill: BackfillRecord = {
      ...this.activity(`bf_${randomHex(this.random, 16)}`, 'api', createdMs, s),
      connectionId: connection.id,
      startAt: request.startAt,
      endAt: request.endAt,
      tables: request.tables,
      priority: request.priority,
      metadata: request.metadata,
      chunks: 3,
      ...(request.idempotencyKey !== undefined && { idempotencyKey: request.idempotencyKey }),
    };
    this.backfillList.push(backfill);
    return backfill;
  }

  protected newRun(
    pipeline: PipelineRecord,
    origin: 'api' | 'foreign',
    createdMs: number,
    s: PlanasonixScenario,
    request: { parameters: Record<string, unknown>; metadata: Record<string, unknown>; trigger: 'manual' | 'schedule'; idempotencyKey?: string },
  ): RunRecord {
    let base = this.activity(`run_${randomHex(this.random, 16)}`, origin, createdMs, s);
    // With `queue`, a second run waits for the one in flight (apis.md §5 #31).
    const ahead = this.runList.filter((r) => r.pipelineId === pipeline.id && r.createdMs <= createdMs && phaseAt(r, createdMs) !== 'ended');
    const blockedUntil = ahead.reduce<number | null>((max, r) => {
      const end = r.endMs;
      if (max === null || end === null) return null;
      return Math.max(max, end);
    }, base.startMs);
    if (blockedUntil === null) {
      base = { ...base, startMs: Number.POSITIVE_INFINITY, endMs: null };
    } else if (blockedUntil > base.startMs) {
      const shift = blockedUntil - base.startMs;
      base = { ...base, startMs: base.startMs + shift, endMs: base.endMs === null ? null : base.endMs + shift };
    }
    const nodes = planNodes(pipeline.nodes, base, s);
    // A failing node ends the run (the later nodes never start).
    const failing = nodes.find((n) => n.fails);
    if (failing && failing.endMs !== null) base = { ...base, endMs: failing.endMs };
    const run: RunRecord = {
      ...base,
      pipelineId: pipeline.id,
      trigger: request.trigger,
      parameters: request.parameters,
      metadata: request.metadata,
      nodes,
      log: planLog(nodes, s),
      ...(base.endKind === 'failure' && { stackRef: `trace_${randomHex(this.random, 12)}` }),
      ...(request.idempotencyKey !== undefined && { idempotencyKey: request.idempotencyKey }),
    };
    this.runList.push(run);
    return run;
  }

  private activity(id: string, origin: 'api' | 'foreign', createdMs: number, s: PlanasonixScenario): Activity {
    const startMs = createdMs + Math.max(0, s.queuedMs ?? 0);
    const never = s.outcome === 'hang' || s.outcome === 'unknown-running';
    const endMs = never ? null : startMs + Math.max(1, s.durationMs ?? 1000);
    const endKind: EndKind =
      s.outcome === 'success' ? 'success' : s.outcome === 'failure' ? 'failure' : s.outcome === 'cancelled' ? 'cancelled' : 'unknown';
    const activity: Activity = {
      id,
      origin,
      createdMs,
      startMs,
      endMs,
      endKind,
      rows: s.rows ?? 1000,
      cancelPolls: s.cancelPolls ?? this.options.cancelPolls,
      cancelEndsAs: s.cancelEndsAs ?? this.options.cancelEndsAs,
      metadata: {},
    };
    if (s.outcome === 'unknown-ended') activity.unknownWord = s.statusWord ?? 'aborted';
    if (s.outcome === 'unknown-running') activity.runningWord = s.statusWord ?? 'paused';
    if (s.outcome === 'failure') {
      activity.errorMessage = s.errorMessage ?? 'Source connection lost: read timeout after 30s';
      activity.errorCode = s.errorCode ?? 'source_timeout';
    }
    return activity;
  }

  /** Counts one read of a resource with a pending cancel (cooperative cancellation, see the file comment). */
  protected touch(a: Activity, now: number): void {
    const cancel = a.cancel;
    if (!cancel || cancel.resolvedMs !== undefined) return;
    if (naturalPhase(a, now) === 'ended') return;
    if (cancel.pollsLeft <= 0) cancel.resolvedMs = now;
    else cancel.pollsLeft--;
  }

  /** Requests a cooperative cancel; false when the resource has already ended. */
  protected requestCancel(a: Activity, now: number): boolean {
    if (phaseAt(a, now) === 'ended') return false;
    if (a.cancel) return true;
    const queued = naturalPhase(a, now) === 'queued';
    // A queued run has nothing to finish: it is cancelled at once.
    a.cancel = queued
      ? { requestedMs: now, pollsLeft: 0, endsAs: 'cancelled', resolvedMs: now }
      : { requestedMs: now, pollsLeft: a.cancelPolls, endsAs: a.cancelEndsAs };
    return true;
  }

  /** The raw word of a job or backfill at `t` (vendor client words: queued, running, completed, failed, cancelled). */
  jobWord(a: Activity, t: number): string {
    const phase = phaseAt(a, t);
    if (phase === 'queued' || phase === 'absent') return 'queued';
    if (phase === 'cancelling') return this.options.cancelWord;
    if (phase === 'running') return a.runningWord ?? 'running';
    const end = endOf(a, t)!;
    switch (end.kind) {
      case 'success':
        return 'completed';
      case 'failure':
        return 'failed';
      case 'cancelled':
        return this.options.jobCancelledWord;
      default:
        return a.unknownWord ?? 'aborted';
    }
  }

  /** The raw word of a run at `t` (doc: succeeded/failed/canceled; alt: success/failed/cancelled). */
  runWord(a: Activity, t: number): string {
    const phase = phaseAt(a, t);
    if (phase === 'queued' || phase === 'absent') return 'queued';
    if (phase === 'cancelling') return this.options.cancelWord;
    if (phase === 'running') return a.runningWord ?? 'running';
    const end = endOf(a, t)!;
    const doc = this.options.runWords === 'doc';
    switch (end.kind) {
      case 'success':
        return doc ? 'succeeded' : 'success';
      case 'failure':
        return 'failed';
      case 'cancelled':
        return doc ? 'canceled' : 'cancelled';
      default:
        return a.unknownWord ?? 'aborted';
    }
  }

  protected rememberKey(key: string, entry: Omit<IdempotencyEntry, 'createdMs'>): void {
    this.idempotency.set(key, { ...entry, createdMs: this.clock.now() });
  }

  protected knownKey(key: string): IdempotencyEntry | undefined {
    const entry = this.idempotency.get(key);
    if (!entry) return undefined;
    if (this.clock.now() - entry.createdMs > this.options.idempotencyWindowMs) {
      this.idempotency.delete(key);
      return undefined;
    }
    return entry;
  }
}

// ---------------------------------------------------------------------------------------------------------
// State at an instant

/** The phase ignoring any cancel. */
export const naturalPhase: (a: Activity, t: number) => Phase = lifecyclePhaseAt;

/** When a pending cancel resolves by itself (nobody polled). */
function cancelResolution(a: Activity): number | undefined {
  const cancel = a.cancel;
  if (!cancel) return undefined;
  return cancel.resolvedMs ?? cancel.requestedMs + CANCEL_MAX_MS;
}

export function phaseAt(a: Activity, t: number): Phase {
  const natural = naturalPhase(a, t);
  if (natural === 'absent' || natural === 'ended') return natural;
  const resolved = cancelResolution(a);
  if (resolved !== undefined && t >= resolved) return 'ended';
  if (a.cancel && t >= a.cancel.requestedMs) return 'cancelling';
  return natural;
}

/** How and when it ended, or undefined while it has not. */
export function endOf(a: Activity, t: number): { kind: EndKind; at: number } | undefined {
  if (phaseAt(a, t) !== 'ended') return undefined;
  const resolved = cancelResolution(a);
  if (a.endMs !== null && (resolved === undefined || a.endMs <= resolved)) return { kind: a.endKind, at: a.endMs };
  const endsAs = a.cancel!.endsAs;
  return { kind: endsAs === 'completed' ? 'success' : endsAs === 'failed' ? 'failure' : 'cancelled', at: resolved! };
}

/** Rows done by `t`: a share of the total while running, the total on success, less on a failure. */
export function rowsAt(a: Activity, t: number): number {
  const end = endOf(a, t);
  if (end?.kind === 'success' && a.endMs !== null && end.at >= a.endMs) return a.rows;
  const at = end ? end.at : t;
  let rows: number;
  if (at < a.startMs) rows = 0;
  else if (a.endMs === null) rows = Math.floor((at - a.startMs) / 10);
  else rows = Math.floor((a.rows * Math.min(1, (at - a.startMs) / Math.max(1, a.endMs - a.startMs))));
  return end?.kind === 'failure' ? Math.floor(rows * 0.6) : rows;
}

/** Backfill progress (0..100): never a status. */
export function progressPercentAt(a: Activity, t: number): number {
  const end = endOf(a, t);
  if (end) return end.kind === 'success' ? 100 : Math.min(99, Math.floor((100 * (end.at - a.startMs)) / Math.max(1, (a.endMs ?? end.at) - a.startMs)));
  if (t < a.startMs) return 0;
  if (a.endMs === null) return Math.min(99, Math.floor((t - a.startMs) / 1000));
  return Math.min(99, Math.floor((100 * (t - a.startMs)) / Math.max(1, a.endMs - a.startMs)));
}

// ---------------------------------------------------------------------------------------------------------
// Pipeline nodes and logs

function planNodes(defs: PlanasonixNodeDefinition[], run: Activity, s: PlanasonixScenario): NodePlan[] {
  const failingId = run.endKind === 'failure' ? (s.failingNode ?? defs[defs.length - 1]!.id) : undefined;
  const failingIndex = failingId === undefined ? -1 : defs.findIndex((d) => d.id === failingId);
  if (failingId !== undefined && failingIndex < 0) throw new Error(`failingNode ${failingId} is not a node of the pipeline`);
  const nodes: NodePlan[] = [];
  if (run.endMs === null) {
    // A run that never ends: the first node runs for ever, the others wait.
    defs.forEach((d, i) =>
      nodes.push({ id: d.id, name: d.name, startMs: i === 0 ? run.startMs : Number.POSITIVE_INFINITY, endMs: null, skipped: false, fails: false, retries: 0, rows: 0 }),
    );
    return nodes;
  }
  const slice = Math.max(1, Math.floor((run.endMs - run.startMs) / defs.length));
  defs.forEach((d, i) => {
    const startMs = run.startMs + i * slice;
    const endMs = i === defs.length - 1 ? run.endMs! : startMs + slice;
    const skipped = failingIndex >= 0 && i > failingIndex;
    nodes.push({
      id: d.id,
      name: d.name,
      startMs: skipped ? Number.POSITIVE_INFINITY : startMs,
      endMs: skipped ? null : endMs,
      skipped,
      fails: i === failingIndex,
      retries: i === failingIndex ? 2 : 0,
      rows: run.rows,
    });
  });
  return nodes;
}

function planLog(nodes: NodePlan[], s: PlanasonixScenario): LogSegment[] {
  const segments: LogSegment[] = [];
  for (const node of nodes) {
    if (node.skipped || !Number.isFinite(node.startMs)) continue;
    const endMs = node.endMs;
    const spread = (i: number, count: number): number =>
      endMs === null ? node.startMs + i * 1000 : count <= 1 ? node.startMs : node.startMs + Math.floor((i * (endMs - node.startMs)) / (count - 1));
    if (node.fails && s.logLineCount !== undefined) {
      const count = Math.max(1, s.logLineCount);
      const perBurst = s.logBursts !== undefined && s.logBursts > 0 ? Math.ceil(count / s.logBursts) : 1;
      const long = s.logLongLineChars !== undefined && s.logLongLineChars > 0 ? ` ${'x'.repeat(s.logLongLineChars)}` : '';
      const finalLine = `node failed after 2 retries: ${s.errorMessage ?? 'Source connection lost: read timeout after 30s'}`;
      segments.push({
        nodeId: node.id,
        count,
        entryAt: (i) => ({
          ms: spread(Math.floor(i / perBurst) * perBurst, count),
          level: i === count - 1 ? 'ERROR' : 'INFO',
          nodeId: node.id,
          message: i === count - 1 ? finalLine : `${node.name}: processed batch ${i + 1} of ${count} (5000 rows)${long && i % 50 === 7 ? long : ''}`,
        }),
      });
      continue;
    }
    const messages: Array<[string, string]> = [['INFO', `Node started: ${node.name}`]];
    if (node.fails) {
      const lines = s.logLines ?? [
        `Reading from source for ${node.name}`,
        'WARN retry 1/2 after read timeout',
        'WARN retry 2/2 after read timeout',
        `ERROR ${s.errorMessage ?? 'Source connection lost: read timeout after 30s'}`,
      ];
      for (const line of lines) {
        // A line may start with its level ("ERROR …", "WARN …"); otherwise it is INFO.
        const match = /^(ERROR|WARN|WARNING|INFO|DEBUG|FATAL)\b:?\s*(.*)$/.exec(line);
        messages.push(match ? [match[1]!, match[2]!] : ['INFO', line]);
      }
    } else {
      messages.push(['INFO', `${node.name}: processing`]);
      if (endMs !== null) messages.push(['INFO', `Node finished: ${node.name} (${node.rows} rows)`]);
    }
    const count = messages.length;
    segments.push({
      nodeId: node.id,
      count,
      entryAt: (i) => ({ ms: spread(i, count), level: messages[i]![0], nodeId: node.id, message: messages[i]![1] }),
    });
  }
  return segments;
}

function scenarioList(s: PlanasonixScenario | PlanasonixScenario[]): { list: PlanasonixScenario[]; next: number } {
  const list = Array.isArray(s) ? [...s] : [s];
  if (list.length === 0) throw new Error('a scenario list needs at least one scenario');
  return { list, next: 0 };
}

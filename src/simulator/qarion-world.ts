/**
 * The simulated Qarion orchestration world (apis.md §2, §4.2): users and Bearer keys, spaces with
 * Admin/Editor/Viewer roles, Airflow-backed pipelines with their connectors, DAG runs with task runs, and
 * orchestration comments.
 *
 * As in the TDP world, run state is never stored: each run carries its scheduled simulated times (created,
 * started, ended, and when Qarion starts listing it), and its state at an instant is derived from them, so
 * `clock.advance()` moves everything without timers.
 *
 * Everything the sources leave open (apis.md §5 #13–#22) is a switch in `QarionOptions`; where the sources
 * disagree both variants exist. The defaults are the harder variants for a client, not a claim about Qarion.
 */
import type { SimClock } from './clock.js';
import { randomHex, seededRandom, type Random } from './random.js';
import { lifecyclePhaseAt, type LifecyclePhase } from './lifecycle.js';

// ---------------------------------------------------------------------------------------------------------
// Options

/** What `POST …/pipelines/{id}/trigger` answers (apis.md §4.2 "Trigger answers"; §5 #13). */
export type QarionTriggerAnswer =
  /** 202, empty body. */
  | 'empty-202'
  /** 204, empty body. */
  | 'empty-204'
  /** 200 with a Qarion run `{id, status: "queued", …}`. */
  | 'run-200'
  /** 201 with a Qarion run. */
  | 'run-201'
  /** 200 with an Airflow DAG run `{dag_run_id: "manual__…", state: "queued", …}`. */
  | 'dag-run'
  /** 200 `{run_id: <Qarion run id>}`. */
  | 'run-id'
  /** 200 `{run_id: <Airflow dag_run_id>}`: the same key, holding the provider's id. */
  | 'run-id-airflow'
  /** 200 `{data: {id: <Qarion run id>, status}}`. */
  | 'data-id';

export interface QarionOptions {
  triggerAnswer: QarionTriggerAnswer;
  /**
   * When Qarion starts listing a run created in Airflow (apis.md §4.2 "Run visibility"; §5 #16):
   * immediately, `visibilityDelayMs` later, or only after `POST …/connectors/{id}/sync`.
   * A run answered in full by the trigger ('run-200', 'run-201') is listed at once: Qarion returned it.
   */
  runVisibility: 'immediate' | 'delayed' | 'after-sync';
  visibilityDelayMs: number;
  /**
   * With 'after-sync': how many connector syncs requested after a run was created it takes before Qarion
   * lists (and reads) it. How long a sync takes and what it covers are unknown (apis.md §2.6 step 7, §5 #16):
   * a run may need more than one. Default 1 (the first sync lists it).
   */
  syncsUntilVisible: number;
  /** After a connector sync, its runs are listed this much later (how long a sync takes is unknown). */
  syncDelayMs: number;
  /** Status of a successful orchestration connector sync: 202 `{status: "queued"}`, 200 with counts, or 204. */
  syncAnswer: 200 | 202 | 204;
  /** A key whose user is not a member of the space (apis.md §5 #17). */
  nonMemberStatus: 403 | 404;
  /** Triggering a pipeline that is not Airflow-backed (apis.md §2.7, §5 #22). */
  nonAirflowTriggerStatus: 400 | 409 | 422;
  /** Syncing a connector that is not an Airflow connector. */
  nonAirflowSyncStatus: 400 | 422;
  /** A trigger while a run of the pipeline is queued or running (apis.md §4.2): queue a second run, or 409. */
  secondTriggerWhileActive: 'queue' | 409;
  /** Airflow's max_active_runs: a new run waits (queued) while this many runs are active. */
  maxActiveRuns: number;
  /** A paused DAG: the trigger is accepted and the run stays queued for ever, or Airflow's 400 passes through. */
  pausedDagTrigger: 'queue-forever' | 400;
  /** Lists: the documented envelope `{items, total, page, size}`, or a bare array (headers carry the total). */
  listStyle: 'envelope' | 'array';
  /** "Large pagination defaults" (doc): the real default is unknown (apis.md §5 #15). */
  defaultPageSize: number;
  /** Larger sizes are silently capped (doc: 100). */
  maxPageSize: number;
  /** Per-key budget per window (doc: 60/min on the default tier; 300/min on others, apis.md §5 #19). */
  rateLimit: number;
  rateLimitWindowMs: number;
  /** Status words of runs and task runs: Airflow's (`success`, `queued`) or Qarion-style (`succeeded`, `pending`). */
  wordStyle: 'airflow' | 'qarion';
  /** Field names: the proposed shapes (apis.md §2.2) or Airflow-like aliases (`uuid`, `state`, `start_date`, `tasks`). */
  fieldStyle: 'default' | 'aliases';
  /** Timestamps: `…Z`, `…+00:00`, or no offset at all (format unknown, apis.md §5 #14). */
  timestampStyle: 'z' | 'offset' | 'naive';
  /** Status of `POST …/runs/{id}/comments` (apis.md §4.2 "Comments"). */
  commentStatus: 200 | 201 | 403 | 500;
  /** FastAPI path parameters typed as UUID answer 422 for anything else; 'any' accepts any id (then 404). */
  idFormat: 'uuid' | 'any';
  /**
   * What `started_from`/`started_to` compare with: the start only (a queued run with no start is not
   * listed under these filters), or the start and else the time the run was queued.
   */
  startedFilter: 'started_at' | 'started_or_queued';
  /**
   * Order of `GET …/pipelines/{id}/runs`: undocumented (apis.md §2.2, §5 #14). Newest first (by start, else by
   * the time it was queued), oldest first, or a seeded shuffle; paging applies to that order.
   */
  runListOrder: 'newest-first' | 'oldest-first' | 'shuffled';
  /**
   * Run detail "with task details" (doc, apis.md §2.2): the task runs are listed; 'omitted' gives a detail
   * without any task run (field names and contents are undocumented, apis.md §5 #14).
   */
  taskRunsInDetail: 'listed' | 'omitted';
}

export const DEFAULT_QARION_OPTIONS: QarionOptions = {
  triggerAnswer: 'empty-202',
  runVisibility: 'immediate',
  visibilityDelayMs: 2000,
  syncsUntilVisible: 1,
  syncDelayMs: 0,
  syncAnswer: 202,
  nonMemberStatus: 403,
  nonAirflowTriggerStatus: 400,
  nonAirflowSyncStatus: 400,
  secondTriggerWhileActive: 'queue',
  maxActiveRuns: 1,
  pausedDagTrigger: 'queue-forever',
  listStyle: 'envelope',
  defaultPageSize: 50,
  maxPageSize: 100,
  rateLimit: 60,
  rateLimitWindowMs: 60_000,
  wordStyle: 'airflow',
  fieldStyle: 'default',
  timestampStyle: 'z',
  commentStatus: 201,
  idFormat: 'uuid',
  startedFilter: 'started_at',
  runListOrder: 'newest-first',
  taskRunsInDetail: 'listed',
};

// ---------------------------------------------------------------------------------------------------------
// World definitions (what tests pass in)

export type QarionRole = 'Admin' | 'Editor' | 'Viewer';

export interface QarionConnectorDefinition {
  id?: string;
  name: string;
  /** Only 'airflow' connectors can sync orchestration (doc). */
  kind?: string;
  /** Users allowed to edit (and so sync) the connector. Default: every Admin and Editor of the space. */
  editors?: string[];
}

export interface QarionPipelineDefinition {
  id?: string;
  name: string;
  /** Default: the name. */
  dagId?: string;
  /** Default 'airflow'. */
  provider?: string;
  owner?: string;
  criticality?: string;
  teamId?: string | null;
  connectorId?: string | null;
  description?: string;
  paused?: boolean;
  watchedBy?: string[];
  history?: QarionHistoryItem[];
}

/** A past run, listed from the start. */
export interface QarionHistoryItem {
  startedAgoMs: number;
  durationMs: number;
  /** Final Airflow word: 'success', 'failed', … ('running'/'queued' never end). */
  status: string;
  runType?: string;
  tasks?: QarionTaskSpec[];
}

export type QarionOutcome = 'success' | 'failure' | 'hang' | 'unknown-running' | 'unknown-ended' | 'cancelled';

/** One task of a run, by its final Airflow word. */
export interface QarionTaskSpec {
  taskId: string;
  /** 'success', 'failed', 'upstream_failed', 'skipped', or any other word (e.g. 'removed'). */
  state: string;
  /** Try number at the end; tries before the last one fail and pass through `up_for_retry`. Default 1. */
  tries?: number;
  errorText?: string;
}

export interface QarionScenario {
  outcome: QarionOutcome;
  /** Simulated ms in the queue before the run starts (default 0). */
  queuedMs?: number;
  /** Simulated ms from start to end (default 1000). Ignored by 'hang' and 'unknown-running'. */
  durationMs?: number;
  /** Task runs; default per outcome (see DEFAULT_TASKS). */
  tasks?: QarionTaskSpec[];
  /** Overrides the final run word ('unknown-ended'), or the word shown while running ('unknown-running'). */
  statusWord?: string;
  /** Error text on the run detail (`error_message`); the sources name no such field (apis.md §2.5). */
  errorText?: string;
}

// ---------------------------------------------------------------------------------------------------------
// Internal model

export interface QarionUserRecord {
  id: string;
}

export interface QarionConnectorRecord {
  id: string;
  name: string;
  kind: string;
  space: string;
  editors: Set<string> | undefined;
}

export interface QarionTaskRunRecord {
  id: string;
  taskId: string;
  /** Final Airflow word. */
  finalWord: string;
  tries: number;
  /** Whether it executes (success/failed/unknown words) or is only marked (skipped, upstream_failed). */
  executes: boolean;
  /** Scheduled slot; null start for tasks that never execute. */
  startMs: number;
  endMs: number | null;
  errorText?: string;
}

export type QarionRunOrigin = 'api' | 'foreign' | 'history';

export interface QarionRunRecord {
  id: string;
  pipelineId: string;
  space: string;
  runType: string;
  origin: QarionRunOrigin;
  createdMs: number;
  /** Infinity while it waits for ever (paused DAG, behind a run that never ends). */
  startMs: number;
  /** null: never ends. */
  endMs: number | null;
  /** Word while running ('running', or an unknown word). */
  runningWord: string;
  /** Airflow word once ended ('success', 'failed', 'cancelled' or an unknown word). */
  finalWord: string;
  providerRunId: string;
  /** When Qarion starts listing it; Infinity until a connector sync. */
  visibleMs: number;
  /** Connector syncs requested since it was created while it was not listed yet. */
  syncsSeen: number;
  /** Syncs it needs before it is listed ('after-sync'); default `syncsUntilVisible`. */
  syncsNeeded?: number;
  tasks: QarionTaskRunRecord[];
  errorText?: string;
}

export interface QarionPipelineRecord {
  id: string;
  space: string;
  name: string;
  dagId: string;
  provider: string;
  owner: string;
  criticality: string;
  teamId: string | null;
  connectorId: string | null;
  description: string;
  paused: boolean;
  watchedBy: Set<string>;
  runs: QarionRunRecord[];
  scenarios: { list: QarionScenario[]; next: number } | undefined;
  triggerErrors: Array<{ status: number; detail: string; times: number }>;
  /** Foreign runs to start around the next trigger of this pipeline (see `foreignRunOnTrigger`). */
  aroundTrigger: ForeignAroundTrigger[];
}

/** A foreign run started relative to the next trigger: `offsetMs` < 0 just before ours, >= 0 just after. */
export type ForeignRunSpec = QarionScenario & {
  runType?: string;
  /** Listed this long after it was created, whatever the visibility rule (0: at once). */
  visibleAfterMs?: number;
  /** With 'after-sync': syncs it needs before it is listed (default `syncsUntilVisible`). */
  syncsUntilVisible?: number;
};

export interface ForeignAroundTrigger {
  spec: ForeignRunSpec & { offsetMs: number };
  /** Filled in when the trigger arrives. */
  onStart?: (runId: string) => void;
}

export interface QarionSpaceRecord {
  slug: string;
  name: string;
  members: Map<string, QarionRole>;
  pipelines: Map<string, QarionPipelineRecord>;
  connectors: Map<string, QarionConnectorRecord>;
}

export interface QarionCommentRecord {
  id: string;
  space: string;
  kind: 'run' | 'task-run';
  targetId: string;
  content: string;
  author: string;
  createdMs: number;
  updatedMs: number;
}

/** Every trigger request that reached a known pipeline, whatever it answered. */
export interface QarionTriggerRecord {
  space: string;
  pipelineId: string;
  status: number;
  runId?: string;
  simTimeMs: number;
}

export interface QarionSyncRecord {
  space: string;
  connectorId: string;
  status: number;
  simTimeMs: number;
}

/** A run as a test sees it (truth, not what the API shows). */
export interface QarionRunTruth {
  id: string;
  providerRunId: string;
  origin: QarionRunOrigin;
  runType: string;
  /** Airflow-style phase word now: queued, running, or the final word. */
  status: string;
  visible: boolean;
}

export type QarionRunPhase = LifecyclePhase;
export const qarionRunPhaseAt: (run: QarionRunRecord, t: number) => QarionRunPhase = lifecyclePhaseAt;

/** The Airflow word of a run at t (before word-style translation). */
export function qarionRunWordAt(run: QarionRunRecord, t: number): string {
  const phase = qarionRunPhaseAt(run, t);
  if (phase === 'absent' || phase === 'queued') return 'queued';
  return phase === 'running' ? run.runningWord : run.finalWord;
}

export interface QarionTaskRunView {
  /** Airflow word, or null ("no status" before it is scheduled). */
  word: string | null;
  tryNumber: number;
  startMs: number | null;
  endMs: number | null;
}

/**
 * A task run at t. An executing task with N tries occupies its slot in N equal parts: each failed try runs
 * then waits `up_for_retry` for the last fifth of its part; the last try runs, then ends with the final word.
 */
export function qarionTaskRunAt(run: QarionRunRecord, task: QarionTaskRunRecord, t: number): QarionTaskRunView {
  const runPhase = qarionRunPhaseAt(run, t);
  if (runPhase === 'absent' || runPhase === 'queued') return { word: null, tryNumber: 0, startMs: null, endMs: null };
  if (!task.executes) {
    // Marked, never executed: no start; the mark appears when its slot is reached.
    if (t < task.startMs) return { word: runPhase === 'ended' ? task.finalWord : null, tryNumber: 0, startMs: null, endMs: runPhase === 'ended' ? run.endMs : null };
    return { word: task.finalWord, tryNumber: 0, startMs: null, endMs: task.startMs };
  }
  if (t < task.startMs) return { word: runPhase === 'ended' ? 'upstream_failed' : 'queued', tryNumber: 0, startMs: null, endMs: null };
  if (task.endMs === null) return { word: 'running', tryNumber: 1, startMs: task.startMs, endMs: null };
  if (t >= task.endMs) return { word: task.finalWord, tryNumber: task.tries, startMs: task.startMs, endMs: task.endMs };
  const part = (task.endMs - task.startMs) / task.tries;
  const index = Math.min(task.tries - 1, Math.floor((t - task.startMs) / part));
  const tryStart = task.startMs + index * part;
  const inRetryWait = index < task.tries - 1 && t - tryStart >= part * 0.8;
  return { word: inRetryWait ? 'up_for_retry' : 'running', tryNumber: index + 1, startMs: Math.round(tryStart), endMs: null };
}

const DEFAULT_TASKS: Record<QarionOutcome, QarionTaskSpec[]> = {
  success: [
    { taskId: 'extract_orders', state: 'success' },
    { taskId: 'load_customers', state: 'success', tries: 2 },
    { taskId: 'transform_sales', state: 'success' },
    { taskId: 'notify_failure', state: 'skipped' },
    // An Airflow word the client does not know, on a task of a successful run.
    { taskId: 'legacy_export', state: 'removed' },
  ],
  failure: [
    { taskId: 'extract_orders', state: 'success' },
    { taskId: 'load_customers', state: 'failed', tries: 2 },
    { taskId: 'transform_sales', state: 'upstream_failed' },
    { taskId: 'notify_success', state: 'skipped' },
  ],
  hang: [{ taskId: 'extract_orders', state: 'success' }, { taskId: 'load_customers', state: 'success' }],
  'unknown-running': [{ taskId: 'extract_orders', state: 'success' }],
  'unknown-ended': [{ taskId: 'extract_orders', state: 'success' }, { taskId: 'load_customers', state: 'success' }],
  cancelled: [{ taskId: 'extract_orders', state: 'success' }, { taskId: 'load_customers', state: 'upstream_failed' }],
};

const FINAL_RUN_WORDS: Record<QarionOutcome, string> = {
  success: 'success',
  failure: 'failed',
  cancelled: 'cancelled', // Airflow DAG runs have no such state; Qarion may (apis.md §2.3)
  'unknown-ended': 'completed_with_warnings', // close to a success word, yet not one: must be red
  hang: 'running',
  'unknown-running': 'awaiting_resources',
};

const DEFAULT_SCENARIO: QarionScenario = { outcome: 'success', durationMs: 1000 };

const NON_EXECUTING = new Set(['skipped', 'upstream_failed']);

// ---------------------------------------------------------------------------------------------------------

export class QarionWorld {
  readonly options: QarionOptions;
  readonly users = new Map<string, QarionUserRecord>();
  /** Active keys → user id. A revoked key is gone (→ 401). */
  readonly keys = new Map<string, string>();
  readonly spaces = new Map<string, QarionSpaceRecord>();
  readonly comments = new Map<string, QarionCommentRecord>();
  private readonly triggerLog: QarionTriggerRecord[] = [];
  private readonly syncLog: QarionSyncRecord[] = [];
  private readonly random: Random;

  constructor(
    readonly clock: SimClock,
    options: Partial<QarionOptions> = {},
    seed = 1,
  ) {
    this.options = { ...DEFAULT_QARION_OPTIONS, ...options };
    this.random = seededRandom(seed ^ 0x51a7);
  }

  // ----- users, keys, spaces, connectors, pipelines -----------------------------------------------------

  addUser(id: string): void {
    this.users.set(id, { id });
  }

  /** Keys never expire (doc); `revokeKey` deletes one. */
  addKey(userId: string, key?: string): string {
    if (!this.users.has(userId)) this.addUser(userId);
    const value = key ?? `qrn_${randomHex(this.random, 40)}`;
    if (this.keys.has(value)) throw new Error('this key already exists');
    this.keys.set(value, userId);
    return value;
  }

  revokeKey(key: string): void {
    this.keys.delete(key);
  }

  addSpace(slug: string, opts: { name?: string; members: Record<string, QarionRole> }): void {
    this.spaces.set(slug, {
      slug,
      name: opts.name ?? slug,
      members: new Map(Object.entries(opts.members)),
      pipelines: new Map(),
      connectors: new Map(),
    });
  }

  setRole(space: string, userId: string, role: QarionRole | null): void {
    const record = this.space(space);
    if (role === null) record.members.delete(userId);
    else record.members.set(userId, role);
  }

  addConnector(space: string, c: QarionConnectorDefinition): string {
    const record = this.space(space);
    const id = c.id ?? this.newId();
    record.connectors.set(id, { id, name: c.name, kind: c.kind ?? 'airflow', space, editors: c.editors ? new Set(c.editors) : undefined });
    return id;
  }

  addPipeline(space: string, p: QarionPipelineDefinition): string {
    const record = this.space(space);
    const id = p.id ?? this.newId();
    const pipeline: QarionPipelineRecord = {
      id,
      space,
      name: p.name,
      dagId: p.dagId ?? p.name,
      provider: p.provider ?? 'airflow',
      owner: p.owner ?? 'data-eng',
      criticality: p.criticality ?? 'medium',
      teamId: p.teamId ?? null,
      connectorId: p.connectorId ?? null,
      description: p.description ?? '',
      paused: p.paused ?? false,
      watchedBy: new Set(p.watchedBy ?? []),
      runs: [],
      scenarios: undefined,
      triggerErrors: [],
      aroundTrigger: [],
    };
    record.pipelines.set(id, pipeline);
    for (const item of p.history ?? []) pipeline.runs.push(this.historyRun(pipeline, item));
    return id;
  }

  pipeline(space: string, id: string): QarionPipelineRecord {
    const pipeline = this.space(space).pipelines.get(id);
    if (!pipeline) throw new Error(`unknown pipeline ${space}/${id}`);
    return pipeline;
  }

  space(slug: string): QarionSpaceRecord {
    const record = this.spaces.get(slug);
    if (!record) throw new Error(`unknown space ${slug}`);
    return record;
  }

  /** Pauses (or unpauses) the DAG: runs triggered meanwhile stay queued (or the trigger answers 400). */
  setPaused(space: string, pipelineId: string, paused: boolean): void {
    this.pipeline(space, pipelineId).paused = paused;
  }

  /** Outcomes of the next runs of a pipeline (triggered or foreign), one per run; the last one repeats. */
  setScenario(space: string, pipelineId: string, s: QarionScenario | QarionScenario[]): void {
    const list = Array.isArray(s) ? s : [s];
    if (list.length === 0) throw new Error('setScenario needs at least one scenario');
    this.pipeline(space, pipelineId).scenarios = { list: [...list], next: 0 };
  }

  /**
   * The next `times` triggers of the pipeline answer this provider error, passed through as `{"detail": …}`
   * (apis.md §2.4: 404 DAG not found, 409, 400 DAG paused, 401/403 Airflow credentials, 502/503 Airflow down).
   */
  failTriggers(space: string, pipelineId: string, error: { status: number; detail: string; times?: number }): void {
    this.pipeline(space, pipelineId).triggerErrors.push({ status: error.status, detail: error.detail, times: error.times ?? 1 });
  }

  /**
   * A schedule or another user starts the pipeline (now, or `delayMs` simulated ms from now; a negative delay
   * makes a run that started in the past). It is listed by the same visibility rule as any run created in
   * Airflow, unless `visibleAfterMs` says otherwise. Returns the run id.
   */
  startForeignRun(space: string, pipelineId: string, s: ForeignRunSpec & { delayMs?: number }): string {
    const pipeline = this.pipeline(space, pipelineId);
    return this.addForeignRun(pipeline, this.clock.now() + (s.delayMs ?? 0), s).id;
  }

  /**
   * A colleague's (or a schedule's) run that starts around the next trigger of the pipeline (apis.md §4.0
   * "foreign runs … start before, during or after the trigger"): created `offsetMs` from the moment the
   * trigger request arrives, whether or not the trigger succeeds. With a negative offset the run started
   * just before ours yet is listed no earlier than the trigger (Qarion had not synced it when a client took
   * its baseline); with 0 or more it starts just after ours. `onStart` receives its id.
   */
  foreignRunOnTrigger(space: string, pipelineId: string, spec: ForeignRunSpec & { offsetMs: number }, onStart?: (runId: string) => void): void {
    this.pipeline(space, pipelineId).aroundTrigger.push({ spec, ...(onStart && { onStart }) });
  }

  private addForeignRun(pipeline: QarionPipelineRecord, createdMs: number, s: ForeignRunSpec, notListedBeforeMs?: number): QarionRunRecord {
    const run = this.newRun(pipeline, 'foreign', s.runType ?? 'scheduled', createdMs, s);
    // Overrides the visibility rule for this run (e.g. a scheduled run that Qarion lists before ours).
    if (s.visibleAfterMs !== undefined) run.visibleMs = createdMs + s.visibleAfterMs;
    if (s.syncsUntilVisible !== undefined) run.syncsNeeded = s.syncsUntilVisible;
    if (notListedBeforeMs !== undefined) run.visibleMs = Math.max(run.visibleMs, notListedBeforeMs);
    pipeline.runs.push(run);
    return run;
  }

  /** Starts the foreign runs registered for the next trigger of this pipeline (called by the HTTP layer). */
  protected startRunsAroundTrigger(pipeline: QarionPipelineRecord, now: number, when: 'before' | 'after'): void {
    const due = pipeline.aroundTrigger.filter((a) => (a.spec.offsetMs < 0) === (when === 'before'));
    pipeline.aroundTrigger = pipeline.aroundTrigger.filter((a) => !due.includes(a));
    for (const item of due) {
      const run = this.addForeignRun(pipeline, now + item.spec.offsetMs, item.spec, item.spec.offsetMs < 0 ? now : undefined);
      item.onStart?.(run.id);
    }
  }

  // ----- truth for test assertions ----------------------------------------------------------------------

  runs(space: string, pipelineId: string): QarionRunTruth[] {
    const now = this.clock.now();
    return this.pipeline(space, pipelineId)
      .runs.filter((r) => r.createdMs <= now)
      .sort((a, b) => a.createdMs - b.createdMs)
      .map((r) => ({
        id: r.id,
        providerRunId: r.providerRunId,
        origin: r.origin,
        runType: r.runType,
        status: qarionRunWordAt(r, now),
        visible: r.visibleMs <= now,
      }));
  }

  triggers(): QarionTriggerRecord[] {
    return this.triggerLog.map((t) => ({ ...t }));
  }

  syncs(): QarionSyncRecord[] {
    return this.syncLog.map((s) => ({ ...s }));
  }

  /** Comments on a run (or a task run), oldest first. */
  commentsOn(targetId: string): QarionCommentRecord[] {
    return [...this.comments.values()].filter((c) => c.targetId === targetId).sort((a, b) => a.createdMs - b.createdMs);
  }

  // ----- used by the HTTP layer -------------------------------------------------------------------------

  protected recordTrigger(record: Omit<QarionTriggerRecord, 'simTimeMs'>): void {
    this.triggerLog.push({ ...record, simTimeMs: this.clock.now() });
  }

  protected recordSync(record: Omit<QarionSyncRecord, 'simTimeMs'>): void {
    this.syncLog.push({ ...record, simTimeMs: this.clock.now() });
  }

  /** A run of any pipeline of the space, by id. */
  protected runInSpace(space: QarionSpaceRecord, runId: string): QarionRunRecord | undefined {
    for (const pipeline of space.pipelines.values()) {
      const run = pipeline.runs.find((r) => r.id === runId);
      if (run) return run;
    }
    return undefined;
  }

  protected taskRunInSpace(space: QarionSpaceRecord, taskRunId: string): { run: QarionRunRecord; task: QarionTaskRunRecord } | undefined {
    for (const pipeline of space.pipelines.values()) {
      for (const run of pipeline.runs) {
        const task = run.tasks.find((t) => t.id === taskRunId);
        if (task) return { run, task };
      }
    }
    return undefined;
  }

  /** Queued or running at t. */
  protected activeRuns(pipeline: QarionPipelineRecord, t: number): QarionRunRecord[] {
    return pipeline.runs.filter((r) => {
      const phase = qarionRunPhaseAt(r, t);
      return phase === 'queued' || phase === 'running';
    });
  }

  /** A triggered run: queued behind active runs when max_active_runs is reached; for ever on a paused DAG. */
  protected triggerRun(pipeline: QarionPipelineRecord, now: number, visibleAtOnce: boolean): QarionRunRecord {
    const run = this.newRun(pipeline, 'api', 'manual', now, this.nextScenario(pipeline));
    if (visibleAtOnce) run.visibleMs = now;
    pipeline.runs.push(run);
    return run;
  }

  /**
   * A connector sync: every run of its pipelines that exists now and is not listed yet counts one more sync;
   * a run that has seen the syncs it needs (`syncsUntilVisible`, default 1) is listed `syncDelayMs` from now.
   */
  protected applySync(space: QarionSpaceRecord, connector: QarionConnectorRecord, now: number): number {
    let synced = 0;
    for (const pipeline of space.pipelines.values()) {
      if (pipeline.connectorId !== connector.id) continue;
      for (const run of pipeline.runs) {
        if (run.createdMs <= now && run.visibleMs > now + this.options.syncDelayMs) {
          run.syncsSeen++;
          if (run.syncsSeen < (run.syncsNeeded ?? this.options.syncsUntilVisible)) continue;
          run.visibleMs = now + this.options.syncDelayMs;
          synced++;
        }
      }
    }
    return synced;
  }

  protected newId(): string {
    // A v4-shaped UUID from the seeded generator.
    const hex = randomHex(this.random, 32);
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-${'89ab'[parseInt(hex[16]!, 16) % 4]}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
  }

  // ----- internals --------------------------------------------------------------------------------------

  private nextScenario(pipeline: QarionPipelineRecord): QarionScenario {
    const slot = pipeline.scenarios;
    if (!slot) return DEFAULT_SCENARIO;
    const scenario = slot.list[Math.min(slot.next, slot.list.length - 1)]!;
    slot.next++;
    return scenario;
  }

  private newRun(pipeline: QarionPipelineRecord, origin: QarionRunOrigin, runType: string, createdMs: number, s: QarionScenario): QarionRunRecord {
    // max_active_runs: wait for the runs active at creation to end (Infinity when one never ends).
    const active = pipeline.runs.filter((r) => r.createdMs <= createdMs && (r.endMs === null || r.endMs > createdMs));
    let notBefore = createdMs;
    if (active.length >= this.options.maxActiveRuns) {
      const ends = active.map((r) => (r.endMs === null || !Number.isFinite(r.startMs) ? Number.POSITIVE_INFINITY : r.endMs)).sort((a, b) => a - b);
      notBefore = Math.max(createdMs, ends[active.length - this.options.maxActiveRuns] ?? createdMs);
    }
    const startMs = pipeline.paused ? Number.POSITIVE_INFINITY : notBefore + (s.queuedMs ?? 0);
    const neverEnds = s.outcome === 'hang' || s.outcome === 'unknown-running' || !Number.isFinite(startMs);
    const endMs = neverEnds ? null : startMs + (s.durationMs ?? 1000);
    const runningWord = s.outcome === 'unknown-running' ? (s.statusWord ?? FINAL_RUN_WORDS['unknown-running']) : 'running';
    const finalWord = s.outcome === 'unknown-ended' ? (s.statusWord ?? FINAL_RUN_WORDS['unknown-ended']) : FINAL_RUN_WORDS[s.outcome];
    const prefix = runType === 'manual' ? 'manual' : runType === 'scheduled' ? 'scheduled' : runType;
    const visibleMs =
      this.options.runVisibility === 'immediate'
        ? createdMs
        : this.options.runVisibility === 'delayed'
          ? createdMs + this.options.visibilityDelayMs
          : Number.POSITIVE_INFINITY;
    const run: QarionRunRecord = {
      id: this.newId(),
      pipelineId: pipeline.id,
      space: pipeline.space,
      runType,
      origin,
      createdMs,
      startMs,
      endMs,
      runningWord,
      finalWord,
      providerRunId: this.uniqueRunId(pipeline, `${prefix}__`, createdMs),
      visibleMs,
      syncsSeen: 0,
      tasks: [],
      errorText: s.errorText,
    };
    run.tasks = this.planTasks(run, s.tasks ?? DEFAULT_TASKS[s.outcome]);
    return run;
  }

  /** Executing tasks share the run's duration in order; marked tasks sit at the end of the slot before them. */
  private planTasks(run: QarionRunRecord, specs: QarionTaskSpec[]): QarionTaskRunRecord[] {
    const executing = specs.filter((t) => !NON_EXECUTING.has(t.state.toLowerCase())).length;
    const span = run.endMs === null ? null : run.endMs - run.startMs;
    const slot = span === null ? null : span / Math.max(1, executing);
    let cursor = run.startMs;
    let first = true;
    return specs.map((spec) => {
      const executes = !NON_EXECUTING.has(spec.state.toLowerCase());
      let startMs = cursor;
      let endMs: number | null;
      if (!executes) {
        endMs = cursor;
      } else if (slot === null) {
        // A run that never ends: the first executing task runs for ever, the others never start.
        startMs = first ? run.startMs : Number.POSITIVE_INFINITY;
        endMs = null;
        first = false;
      } else {
        endMs = Math.round(cursor + slot);
        cursor = endMs;
      }
      return {
        id: this.newId(),
        taskId: spec.taskId,
        finalWord: spec.state,
        tries: Math.max(1, spec.tries ?? 1),
        executes,
        startMs,
        endMs,
        errorText: spec.errorText,
      };
    });
  }

  /** Airflow refuses a duplicate dag_run_id: a run created in the same millisecond gets the next microsecond. */
  private uniqueRunId(pipeline: QarionPipelineRecord, prefix: string, ms: number): string {
    const taken = new Set(pipeline.runs.map((r) => r.providerRunId));
    for (let micro = 0; ; micro++) {
      const id = `${prefix}${airflowRunIdTime(ms, micro)}`;
      if (!taken.has(id)) return id;
    }
  }

  private historyRun(pipeline: QarionPipelineRecord, item: QarionHistoryItem): QarionRunRecord {
    const startMs = this.clock.now() - item.startedAgoMs;
    const word = item.status.toLowerCase();
    const neverEnds = word === 'running' || word === 'queued';
    const run: QarionRunRecord = {
      id: this.newId(),
      pipelineId: pipeline.id,
      space: pipeline.space,
      runType: item.runType ?? 'scheduled',
      origin: 'history',
      createdMs: startMs,
      startMs: word === 'queued' ? Number.POSITIVE_INFINITY : startMs,
      endMs: neverEnds ? null : startMs + item.durationMs,
      runningWord: 'running',
      finalWord: item.status,
      providerRunId: this.uniqueRunId(pipeline, `${item.runType ?? 'scheduled'}__`, startMs),
      visibleMs: startMs,
      syncsSeen: 0,
      tasks: [],
    };
    run.tasks = this.planTasks(run, item.tasks ?? [{ taskId: 'extract_orders', state: word === 'success' ? 'success' : 'failed' }]);
    return run;
  }
}

/**
 * Airflow's run-id time (Python's isoformat): `2026-03-15T08:30:00+00:00`, with microseconds when they are not
 * zero (`2026-03-15T08:30:00.250000+00:00`). `extraMicros` (0-999) makes ids unique within a millisecond.
 */
export function airflowRunIdTime(ms: number, extraMicros = 0): string {
  const iso = new Date(ms).toISOString();
  const micros = (ms % 1000) * 1000 + extraMicros;
  return `${iso.slice(0, 19)}${micros === 0 ? '' : `.${String(micros).padStart(6, '0')}`}+00:00`;
}

/**
 * Qarion: trigger an Airflow-backed pipeline, find the run the trigger caused, follow it, and report the task
 * runs that did not succeed (apis.md §2).
 *
 * What makes Qarion awkward (apis.md §2.7): the trigger's answer is undocumented (empty, a Qarion run, an
 * Airflow DAG run, or just an id); runs reach Qarion through a connector sync, so they may show up late or
 * only after a sync; there is no idempotency, no cancel and no log endpoint. So:
 * - an id in the answer is looked up (as a Qarion run id, then as Airflow's id in the runs list) and waited
 *   for until the engine's start window ends: only that run is followed, never another listed run;
 * - otherwise the run followed is one that was not in the baseline taken just before the trigger (and did not
 *   start before it by the server's clock), never "the newest run"; several newcomers are all followed;
 * - with `sync-before-poll`, connector syncs are requested while the run is not listed: the first after a
 *   few looks (at once after a lost answer), then again every few looks;
 * - after a trigger whose answer was lost, the pipeline counts as busy for the rest of the step, so the engine
 *   never sends it again: no answer and no sync can show that Airflow did not start a run (a sync may list
 *   it only later, apis.md §2.6 step 7, §5 #16), and a second load is worse than a red step. A run of the
 *   pipeline that started after the baseline is adopted as an equivalent load (`adoption: 'equivalent'`: the
 *   trigger carries nothing but the pipeline);
 * - an API trigger makes a `manual` DAG run: when the answer was not lost, a scheduled (backfill, dataset)
 *   newcomer is never followed alone as ours, only alongside ours;
 * - a run is a composite of its task runs: the members proof needs at least one task run, all ended, none
 *   failed (see `membersProof`);
 * - failures list the task runs that are not ok, and say where the logs are (the Airflow UI).
 */
import { ApiError, requestScope } from '../../core/http/index.js';
import { editDistance } from '../../core/names.js';
import { errorText } from '../../core/text.js';
import type { LogSink } from '../../core/logs.js';
import { normalizeStatus, type FailedTask, type Proof, type RunState, type StatusTable } from '../../core/outcome.js';
import type { TargetSpec } from '../../core/settings.js';
import type { QarionPipelineSpec } from './targets.js';
import type {
  FindResult,
  InFlight,
  LatestRun,
  Observation,
  Provider,
  ProviderDeps,
  ProviderModule,
  ResolvedTarget,
  RunHandle,
  TriggerResult,
} from '../../core/provider.js';
import { QarionApi, type Listing, type Pipeline, type RunDetail, type RunSummary, type TaskRun, type TriggerAnswer } from './api.js';

/**
 * Run and task-run words (apis.md §2.3). Runs mirror Airflow; Qarion may use its own words, so both are
 * here. A word not listed (e.g. `removed`) is in progress while the run has no end time and a failure once
 * it has one. `upstream_failed` is task-only but harmless for runs.
 */
export const QARION_STATUS: StatusTable = {
  succeeded: ['success', 'succeeded', 'completed', 'complete'],
  failed: ['failed', 'failure', 'error', 'upstream_failed'],
  cancelled: ['cancelled', 'canceled'],
  queued: ['queued', 'scheduled', 'pending', 'none', 'null'],
  running: ['running', 'up_for_retry', 'up_for_reschedule', 'deferred', 'restarting'],
};

/** Task-run words that are neither success nor failure: a skipped task is fine (a run is never skipped). */
export const QARION_TASK_NOT_A_FAILURE: readonly string[] = ['skipped'];

/** The baseline and the look for new runs list runs started since "now" minus this (clock skew). */
const SKEW_MARGIN_MS = 10 * 60_000;
/** With sync-before-poll: the first sync is requested after this many looks, or this long after the trigger. */
const SYNC_AFTER_LOOKS = 3;
const SYNC_AFTER_MS = 10_000;
/**
 * …and again every this many looks while the run is still not listed: one sync may not list it (how long a
 * sync takes and what it covers are unknown, apis.md §5 #16). The engine's start window bounds the looks.
 */
const SYNC_EVERY_LOOKS = 3;
/** Run-list `status` filters for runs in flight (raw words; the server's own words are unknown). */
const IN_FLIGHT_FILTERS = ['running', 'queued'];
const QUEUED_FILTER = 'queued';
/**
 * Run types an API trigger cannot produce (it makes a `manual` DAG run). A newcomer of these types is never
 * followed alone as "the run the trigger started"; it is followed alongside ours once ours shows up.
 */
const NOT_FROM_A_TRIGGER = ['scheduled', 'backfill', 'dataset_triggered', 'asset_triggered'];
const DAY = 86_400_000;
/** `mode: check` looks for the latest run in these windows, then without a window (capped pages). */
const LATEST_WINDOWS_MS = [2 * DAY, 14 * DAY, 90 * DAY];
/** Pages read for `mode: check` at most (per window): past it, the history proof fails clearly. */
const LATEST_MAX_PAGES = 50;
/** Runs for `run-id` lookups by Airflow id (mode wait). */
const UNWINDOWED_MAX_PAGES = 20;
/** How far back a run without a zone in its start time may be newer in real time (a clock change). */
const CLOCK_CHANGE_MS = 60 * 60_000;
/** Run history for polling: successful runs of the last 30 days, a few pages at most. */
const HISTORY_WINDOW_MS = 30 * DAY;
const HISTORY_MAX_PAGES = 3;
/**
 * A pipeline or run id as FastAPI validates it (the simulator's default; real ids are undocumented): only such
 * a ref is read directly by id before the pipeline list (any other ref answers 422 there).
 */
const UUID_SHAPE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/**
 * How old the in-flight check's runs read may be when `baseline` takes it as the baseline: the engine asks for
 * the baseline right after an in-flight check that found the pipeline idle, with no request in between.
 */
const BASELINE_REUSE_MS = 5_000;

interface QarionTarget extends ResolvedTarget {
  spec: QarionPipelineSpec;
  space: string;
  pipelineId: string;
  name: string;
  dagId?: string;
  connectorId?: string;
  airflowUrl?: string;
  /** The DAG is paused: a run may stay queued (without a start) for ever. */
  paused: boolean;
}

/**
 * One read of a pipeline's runs before the trigger, serving the in-flight check, the baseline and the run
 * history at once (`runsBeforeTrigger`).
 */
interface RunsRead {
  /** Every run listed (the 30-day window, plus queued runs when they were read). */
  runs: RunSummary[];
  /** Whether `runs` holds every run the baseline needs (else the baseline reads its own lists). */
  complete: boolean;
  /** The earliest `Date` of the answers read, epoch ms. */
  serverDateMs?: number;
  /** Durations of the successful runs of the window (what `history` returns). */
  durations: number[];
  /** Clock time of the read. */
  atMs: number;
}

interface QarionHandle extends RunHandle {
  /** Airflow's dag_run_id, when known. */
  providerRunId?: string;
}

interface QarionBaseline {
  /** Ids of the runs listed just before the trigger. */
  ids: Set<string>;
  /** `started_from` of the baseline, used again when looking for the new run. */
  from: string;
  /**
   * The server's `Date` header on the baseline's list answer: the server's clock when it answered, rounded
   * down to the second. A run queued before it yet not in that list was listed late: it started before the
   * baseline. Undefined when the server sends no `Date`.
   */
  serverDateMs?: number;
}

/** What the provider knows about the latest trigger of a target (reset by `baseline`). */
interface TriggerState {
  triggeredAtMs?: number;
  answer?: TriggerAnswer;
  looks: number;
  /** Message of a trigger error after which the trigger may still have started a run. */
  lost?: string;
  sync: 'not-yet' | 'done' | 'failed' | 'no-connector';
  /** Connector syncs requested since the trigger, and the look of the last one. */
  syncs: number;
  lastSyncLook?: number;
  syncNote?: string;
  /** New runs seen so far that the trigger cannot have started (scheduled, backfill, …). */
  othersSeen?: string[];
  /** New runs listed while the run the trigger answered was not: never followed in its place. */
  notAnswered?: string[];
  /** New runs that started before the baseline by the server's clock (listed late): never ours. */
  beforeBaseline?: string[];
}

function runState(run: Pick<RunSummary, 'status' | 'endedAt'>): RunState {
  return normalizeStatus(QARION_STATUS, run.status, run.endedAt !== undefined);
}

/** A task run's state: a missing word before it is scheduled means queued (Airflow's "no status"). */
function taskState(task: TaskRun): RunState {
  return normalizeStatus(QARION_STATUS, task.status ?? 'none', task.endedAt !== undefined);
}

function taskIsOk(task: TaskRun): boolean {
  const raw = (task.status ?? '').trim().toLowerCase();
  return taskState(task) === 'succeeded' || QARION_TASK_NOT_A_FAILURE.includes(raw);
}

/** Whether an ISO time carries its zone (`Z` or an offset). */
function hasZone(text: string): boolean {
  return /[zZ]$|[+-]\d\d:?\d\d$/.test(text.trim());
}

/** Epoch ms of an ISO time; a time without an offset is read as UTC (the format is unknown, apis.md §5 #14). */
function timeMs(text: string | undefined): number | undefined {
  if (!text) return undefined;
  const withZone = /[zZ]|[+-]\d\d:?\d\d$/.test(text) || !/T\d/.test(text) ? text : `${text}Z`;
  const ms = Date.parse(withZone);
  return Number.isNaN(ms) ? undefined : ms;
}

function runStartMs(run: RunSummary): number {
  return timeMs(run.startedAt) ?? timeMs(run.queuedAt) ?? Number.POSITIVE_INFINITY;
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

/** The message of an ApiError without its "phase: " prefix (the engine adds the phase again). */
function withoutPhase(error: ApiError): string {
  return error.message.startsWith(`${error.phase}: `) ? error.message.slice(error.phase.length + 2) : error.message;
}

function isAbort(error: unknown): boolean {
  return error instanceof ApiError ? error.kind === 'aborted' : error instanceof Error && error.name === 'AbortError';
}

export class QarionProvider implements Provider<QarionTarget, QarionHandle, QarionBaseline> {
  readonly platform = 'qarion' as const;
  readonly statusTable = QARION_STATUS;
  /** Qarion's trigger carries nothing but the pipeline: a run of it started after the baseline is an equivalent load. */
  readonly adoption = 'equivalent' as const;
  readonly timeNote = 'Times are as Qarion sends them (ISO 8601); a time without an offset is read as UTC.';
  private readonly api: QarionApi;
  private readonly states = new Map<string, TriggerState>();
  /** Runs found after a trigger of this step (the comment says "triggered" rather than "followed"). */
  private readonly ours = new Set<string>();
  /** Runs already commented on by this step: never twice. */
  private readonly announced = new Set<string>();
  /** Server clock minus client clock, from the last `Date` header seen. */
  private serverOffsetMs: number | undefined;
  /** Pipeline lists of this step, by space and query: one list serves every target that names a pipeline. */
  private readonly pipelineLists = new Map<string, Promise<Listing<Pipeline>>>();
  /** The last in-flight check's runs read per target, taken as its baseline when the pipeline was idle. */
  private readonly runsReads = new Map<string, RunsRead>();
  /** Durations of recent successful runs per target, from the read the baseline was taken from. */
  private readonly histories = new Map<string, number[]>();
  /**
   * Runs this step's own trigger made, found alone (the answer named it, or it was the only new run): no
   * step of this CI run can have commented on them yet (see `announce`).
   */
  private readonly fresh = new Set<string>();


  constructor(private readonly deps: ProviderDeps) {
    this.api = new QarionApi(deps.http, deps.settings.baseUrl);
  }

  // --- resolve -------------------------------------------------------------------------------------

  async resolve(spec: TargetSpec): Promise<QarionTarget> {
    if (spec.platform !== 'qarion') throw new Error(`not a Qarion target: ${spec.label}`);
    const ref = spec.ref.trim();
    // A ref shaped like an id is read directly (404: it may still be a name). Any other ref is looked up in
    // the step's pipeline list: a GET by it would only answer 422 (FastAPI validates the id).
    let pipeline = UUID_SHAPE.test(ref) ? await this.api.getPipeline(spec.space, ref, 'resolve', true) : undefined;
    let byId = pipeline !== undefined;
    if (!pipeline) ({ pipeline, byId } = await this.pipelineByRef(spec.space, ref));
    const target: QarionTarget = {
      spec,
      // A run's detail lists its task runs (apis.md §2.2 "one run with task details"): a run is green only
      // with the members proof (membersProof).
      composite: true,
      space: spec.space,
      pipelineId: pipeline.id,
      name: pipeline.name,
      label: byId ? (pipeline.name !== ref ? `${spec.label} (${pipeline.name})` : spec.label) : `${spec.label} (${pipeline.id})`,
      paused: pipeline.paused,
      ...(pipeline.dagId !== undefined && { dagId: pipeline.dagId }),
      ...(pipeline.connectorId !== undefined && { connectorId: pipeline.connectorId }),
      ...(pipeline.airflowUrl !== undefined && { airflowUrl: pipeline.airflowUrl }),
    };
    this.warnAbout(target, pipeline);
    return target;
  }

  private warnAbout(target: QarionTarget, pipeline: Pipeline): void {
    const { log, settings } = this.deps;
    if (pipeline.provider && pipeline.provider.toLowerCase() !== 'airflow') {
      log.warn(`${target.label}: the pipeline's provider is '${pipeline.provider}'; Qarion triggers Airflow-backed pipelines only, so the trigger will probably be refused`);
    }
    if (pipeline.paused && settings.mode !== 'check') {
      log.warn(`${target.label}: the DAG${target.dagId ? ` ${target.dagId}` : ''} is paused in Airflow: a triggered run may stay queued until the timeout`);
    }
    if (settings.syncBeforePoll && !pipeline.connectorId && (settings.mode === 'run' || settings.mode === 'trigger')) {
      log.warn(`${target.label}: sync-before-poll is set, but the pipeline names no connector to sync`);
    }
  }

  /**
   * The pipeline list this ref is looked up in, read once per step and shared by every target that needs it:
   * `q=<name>` when the ref is the only name to look up in its space, else the space's whole list (one list
   * for all the names of the step rather than one search per target). The list is read under the step's
   * signal, not the first asking target's: stopping that target must not stop the others' lookups.
   */
  private pipelineList(space: string, ref: string): Promise<Listing<Pipeline>> {
    const names = new Set(
      this.deps.settings.targets
        .filter((t): t is QarionPipelineSpec => t.platform === 'qarion' && t.space === space && !UUID_SHAPE.test(t.ref.trim()))
        .map((t) => t.ref.trim()),
    );
    names.add(ref);
    const filters = names.size === 1 ? { q: ref } : {};
    const key = `${space}\n${filters.q ?? '*'}`;
    let list = this.pipelineLists.get(key);
    if (!list) {
      list = requestScope.run({ signal: this.deps.signal }, () => this.api.allPipelines(space, filters, 'resolve'));
      this.pipelineLists.set(key, list);
    }
    return untilAborted(list, requestScope.getStore()?.signal);
  }

  private async pipelineByRef(space: string, ref: string): Promise<{ pipeline: Pipeline; byId: boolean }> {
    const hits = (await this.pipelineList(space, ref)).items;
    // A server whose ids are not UUIDs: the list names it.
    const withId = hits.find((p) => p.id === ref);
    if (withId) return { pipeline: withId, byId: true };
    let exact = hits.filter((p) => p.name === ref);
    if (exact.length === 0) exact = hits.filter((p) => p.name.toLowerCase() === ref.toLowerCase());
    if (exact.length === 0) exact = hits.filter((p) => p.dagId !== undefined && p.dagId.toLowerCase() === ref.toLowerCase());
    if (exact.length === 1) return { pipeline: exact[0]!, byId: false };
    if (exact.length > 1) {
      throw new ResolveError(
        `${exact.length} pipelines in space '${space}' are named '${ref}' (${exact.map((p) => p.id).join(', ')}): use the pipeline id instead`,
      );
    }
    // Nothing by that name: an id of a form we did not expect (a search by text may not match ids) is read
    // directly, once, before the step fails.
    if (!UUID_SHAPE.test(ref)) {
      const direct = await this.api.getPipeline(space, ref, 'resolve', true);
      if (direct) return { pipeline: direct, byId: true };
    }
    // Close matches: what the text search found, or else the whole list by edit distance.
    const pool = hits.length > 0 ? hits : (await this.api.allPipelines(space, {}, 'resolve')).items;
    const wanted = ref.toLowerCase();
    const close = pool
      .map((p) => ({ p, d: editDistance(p.name.toLowerCase(), wanted) }))
      .filter((x) => x.d <= Math.max(3, Math.floor(wanted.length / 3)) || x.p.name.toLowerCase().includes(wanted) || wanted.includes(x.p.name.toLowerCase()))
      .sort((a, b) => a.d - b.d)
      .slice(0, 5)
      .map((x) => `'${x.p.name}' (${x.p.id})`);
    throw new ResolveError(
      `no pipeline with the id or name '${ref}' in space '${space}' (or not visible to this key). ` +
        (close.length > 0 ? `Close matches: ${close.join(', ')}` : 'Nothing similar is visible to this key.'),
    );
  }

  // --- runs in flight, baseline -------------------------------------------------------------------

  private noteServerDate(serverDateMs: number | undefined): void {
    if (serverDateMs !== undefined) this.serverOffsetMs = serverDateMs - this.deps.clock.now();
  }

  /** The server's clock when known (from its `Date` header), else ours. */
  private serverNow(): number {
    return this.deps.clock.now() + (this.serverOffsetMs ?? 0);
  }

  /** Runs in flight among `runs`: listed as running or queued, and not ended by the status table. */
  private static inFlightAmong(runs: Iterable<RunSummary>): RunSummary[] {
    // The words the in-flight check has always asked the server for (`status=running`, `status=queued`); a
    // server ignoring a filter, or a list read without one, must not make ended runs look busy.
    return [...runs].filter((r) => {
      if (!IN_FLIGHT_FILTERS.includes((r.status ?? '').trim().toLowerCase())) return false;
      const state = runState(r);
      return state === 'queued' || state === 'running' || state === 'unknown';
    });
  }

  /**
   * One read of the pipeline's runs before the trigger that serves the in-flight check, the baseline and the
   * run history (apis.md §2.6 steps 2-3; §2.5: 60 requests a minute per key): the runs started in the
   * history window (30 days, at most HISTORY_MAX_PAGES pages, as the history read always was).
   * - The baseline needs every run a later look may list: the runs started since its `from` (a subset of the
   *   window) and the queued runs (a queued run may have no start, and a `started_from` filter may leave it
   *   out). Queued runs are read as well only when one can be waiting without a start: when the window shows
   *   a run in flight (then the engine does not trigger now anyway), or when the DAG is paused. On an idle,
   *   unpaused pipeline a run waits without a start only for the moments before the scheduler starts it; such
   *   a run, queued just before this read, is then what a run queued just after it always was: a new run
   *   beside ours, followed with it (never alone as ours, unless it started before the baseline by the
   *   server's clock), and the step passes only if both succeed.
   * - A window with more pages than that is not read to its end here: the in-flight check and the baseline
   *   then read their own filtered lists, as before (`complete: false`).
   * - In flight: runs listed as running or queued. A run started before the window and still running (30
   *   days) is not seen; the run list's `status=running` filter would have shown it.
   */
  private async runsBeforeTrigger(target: QarionTarget, withQueued = false): Promise<RunsRead> {
    const atMs = this.deps.clock.now();
    const window = await this.api.allRuns(target.space, target.pipelineId, { started_from: iso(this.serverNow() - HISTORY_WINDOW_MS) }, 'baseline', HISTORY_MAX_PAGES);
    this.noteServerDate(window.serverDateMs);
    const durations = window.items
      .filter((r) => runState(r) === 'succeeded')
      .map((r) => observationOf(r).durationSeconds)
      .filter((d): d is number => d !== undefined);
    if (window.incomplete !== undefined || window.truncated) return { runs: window.items, complete: false, durations, atMs };
    const byId = new Map(window.items.map((r) => [r.id, r] as const));
    const dates = [window.serverDateMs];
    if (withQueued || target.paused || QarionProvider.inFlightAmong(byId.values()).length > 0) {
      const queued = await this.api.allRuns(target.space, target.pipelineId, { status: QUEUED_FILTER }, 'baseline');
      dates.push(queued.serverDateMs);
      for (const run of queued.items) byId.set(run.id, run);
    }
    const known = dates.filter((d): d is number => d !== undefined);
    return { runs: [...byId.values()], complete: true, durations, atMs, ...(known.length > 0 && { serverDateMs: Math.min(...known) }) };
  }

  /** The runs in flight, by the filtered lists (when the window was too long to read whole). */
  private async inFlightRuns(target: QarionTarget, phase: 'baseline' | 'find'): Promise<RunSummary[]> {
    const byId = new Map<string, RunSummary>();
    for (const status of IN_FLIGHT_FILTERS) {
      const listing = await this.api.allRuns(target.space, target.pipelineId, { status }, phase);
      this.noteServerDate(listing.serverDateMs);
      for (const run of listing.items) byId.set(run.id, run);
    }
    return QarionProvider.inFlightAmong(byId.values());
  }

  /**
   * Runs started since `from`, plus queued runs (a queued run may have no start yet, and a `started_from`
   * filter may leave it out). The baseline and every look use the same queries, so they compare.
   */
  private async recentRuns(target: QarionTarget, from: string, phase: 'baseline' | 'find'): Promise<RunSummary[]> {
    return (await this.recentListing(target, from, phase)).runs;
  }

  private async recentListing(target: QarionTarget, from: string, phase: 'baseline' | 'find'): Promise<{ runs: RunSummary[]; serverDateMs?: number }> {
    const byId = new Map<string, RunSummary>();
    const started = await this.api.allRuns(target.space, target.pipelineId, { started_from: from }, phase);
    this.noteServerDate(started.serverDateMs);
    for (const run of started.items) byId.set(run.id, run);
    const queued = await this.api.allRuns(target.space, target.pipelineId, { status: QUEUED_FILTER }, phase);
    for (const run of queued.items) byId.set(run.id, run);
    // The earlier of the two answers' dates: both lists were answered no earlier than it.
    const dates = [started.serverDateMs, queued.serverDateMs].filter((d): d is number => d !== undefined);
    return { runs: [...byId.values()], ...(dates.length > 0 && { serverDateMs: Math.min(...dates) }) };
  }

  /** `withQueued`: read the queued runs whatever the window shows (after a 409, where the answer matters more than a request). */
  async inFlight(target: QarionTarget, withQueued = false): Promise<InFlight<QarionHandle> | undefined> {
    const read = await this.runsBeforeTrigger(target, withQueued);
    this.runsReads.set(target.spec.label, read);
    const runs = read.complete ? QarionProvider.inFlightAmong(read.runs) : await this.inFlightRuns(target, 'baseline');
    if (runs.length === 0) {
      // After a lost trigger answer, "nothing listed" never means idle: the run may exist in Airflow unsynced,
      // and no sync is documented to list everything (one may not be enough). Saying busy keeps the engine from
      // sending a second trigger.
      const state = this.states.get(target.spec.label);
      if (state?.lost !== undefined) {
        return {
          description:
            "the trigger's answer was lost, and Qarion may list the run it started only after one or more connector syncs, so the pipeline " +
            `cannot be shown to be idle${this.deps.settings.syncBeforePoll ? ` (${state.syncs} sync(s) requested so far)` : ' (sync-before-poll is off)'}`,
        };
      }
      return undefined;
    }
    runs.sort((a, b) => runStartMs(a) - runStartMs(b) || a.id.localeCompare(b.id));
    const first = runs[0]!;
    return {
      handle: handleOf(first),
      description: `run ${first.id} is ${first.status ?? 'without a status'}${runs.length > 1 ? `; ${runs.length} runs are in flight` : ''}`,
    };
  }

  private state(target: QarionTarget): TriggerState {
    let state = this.states.get(target.spec.label);
    if (!state) {
      state = { looks: 0, sync: 'not-yet', syncs: 0 };
      this.states.set(target.spec.label, state);
    }
    return state;
  }

  /**
   * The runs listed just before the trigger. Right after an in-flight check that found the pipeline idle (the
   * engine's order), that check's read is the baseline: it lists every run a look may list (see
   * `runsBeforeTrigger`), and a run that started between it and the trigger is new either way.
   */
  async baseline(target: QarionTarget): Promise<QarionBaseline> {
    const label = target.spec.label;
    this.states.set(label, { looks: 0, sync: 'not-yet', syncs: 0 });
    const from = iso(this.serverNow() - SKEW_MARGIN_MS);
    let read = this.runsReads.get(label);
    this.runsReads.delete(label);
    if (read && this.deps.clock.now() - read.atMs > BASELINE_REUSE_MS) read = undefined;
    read ??= await this.runsBeforeTrigger(target);
    this.histories.set(label, read.durations);
    if (read.complete) return { ids: new Set(read.runs.map((r) => r.id)), from, ...(read.serverDateMs !== undefined && { serverDateMs: read.serverDateMs }) };
    const { runs, serverDateMs } = await this.recentListing(target, from, 'baseline');
    return { ids: new Set(runs.map((r) => r.id)), from, ...(serverDateMs !== undefined && { serverDateMs }) };
  }

  // --- trigger ---------------------------------------------------------------------------------------

  async trigger(target: QarionTarget): Promise<TriggerResult<QarionHandle>> {
    const state = this.state(target);
    if (state.lost !== undefined) {
      // Defence in depth: `inFlight` already reports such a pipeline busy, so the engine does not resend. Should
      // it try anyway, fail closed: a second load is worse than a red step.
      throw new Error(
        `not sending the trigger again: its first answer was lost (${state.lost}), and Qarion may list the run it started ` +
          'only after one or more connector syncs' +
          (this.deps.settings.syncBeforePoll ? '' : ' (set sync-before-poll: true to let the step sync and look)'),
      );
    }
    this.runsReads.delete(target.spec.label);
    state.triggeredAtMs = this.deps.clock.now();
    state.looks = 0;
    delete state.answer;
    try {
      const answer = await this.api.triggerPipeline(target.space, target.pipelineId);
      state.answer = answer;
      delete state.lost;
      return { kind: 'accepted', note: describeAnswer(answer) };
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      if (error.status === 409) return this.conflict(target, error);
      if (error.mayHaveApplied) {
        state.lost = withoutPhase(error);
        throw error;
      }
      if (error.status === 401) {
        // The same key just read the pipeline: the 401 most likely comes from Airflow, passed through (apis.md §2.4).
        throw new Error(
          `${withoutPhase(error)}. The API key worked for reading a moment ago, so this 401 most likely comes from Airflow ` +
            "(Qarion passes the provider's answers through): Qarion's own Airflow credentials were refused. Ask the space's admin to check the Airflow connector",
        );
      }
      if (error.status === 403) {
        throw new ApiError(
          `${error.message} (if the key's user is an Editor or Admin of space '${target.space}', this 403 may come from Airflow, passed through by Qarion)`,
          {
            kind: error.kind,
            phase: error.phase,
            method: error.method,
            path: error.path,
            status: 403,
            mayHaveApplied: error.mayHaveApplied,
            attempts: error.attempts,
            ...(error.problem !== undefined && { problem: error.problem }),
            ...(error.bodyText !== undefined && { bodyText: error.bodyText }),
          },
        );
      }
      throw error;
    }
  }

  /**
   * A 409 is Airflow's answer passed through: "already running" only when a run is in flight; otherwise
   * (e.g. a dag_run_id conflict) it is quoted as an error, so `if-running: queue` cannot loop on it.
   */
  private async conflict(target: QarionTarget, error: ApiError): Promise<TriggerResult<QarionHandle>> {
    const busy = await this.inFlight(target, true);
    const said = error.problem?.detail ?? error.problem?.title ?? '409';
    if (busy) return { kind: 'already-running', ...(busy.handle && { handle: busy.handle }), message: `Qarion answered 409 (${said}); ${busy.description}` };
    throw new Error(
      `${withoutPhase(error)}. No run of the pipeline is queued or running, so this conflict is not "already running": ` +
        'Qarion passes Airflow\'s answer through; check the DAG in Airflow',
    );
  }

  // --- find ------------------------------------------------------------------------------------------

  /**
   * One look for the run the trigger caused.
   * - The answer named a run: only that run (by Qarion id, or by Airflow id in the list) is ever returned. Until
   *   it is listed the answer is `pending` (with syncs where configured); the engine's start window bounds the
   *   wait. Another new run is never followed in its place (issue 12, defect 5).
   * - No id (or a lost answer): runs not in the baseline that did not start before it (server clock), all of
   *   them. When the answer was lost any such run is an equivalent load (`adoption`); otherwise a scheduled
   *   newcomer is followed only alongside a run a trigger can have made.
   */
  async find(target: QarionTarget, baseline: QarionBaseline): Promise<FindResult<QarionHandle>> {
    const state = this.state(target);
    state.looks++;
    const ids = [state.answer?.runId, state.answer?.providerRunId].filter((id): id is string => id !== undefined && id !== '');
    const look = async (): Promise<FindResult<QarionHandle> | undefined> => {
      if (ids.length > 0) return this.answered(target, state, baseline, ids);
      return this.pick(state, baseline, await this.recentRuns(target, baseline.from, 'find'));
    };
    let result = await look();
    if (result) return result;
    if (this.shouldSync(state) && (await this.sync(target, state))) {
      result = await look();
      if (result) return result;
    }
    return { kind: 'pending', reason: this.pendingReason(target, state) };
  }

  /** The run the trigger answered, when Qarion shows it; other new runs are noted, never returned. */
  private async answered(target: QarionTarget, state: TriggerState, baseline: QarionBaseline, ids: string[]): Promise<FindResult<QarionHandle> | undefined> {
    const identity = `the run id the trigger answered (${ids.join(' / ')})`;
    if (state.answer?.runId) {
      // The id may be Qarion's (found here) or Airflow's (404/422 here; matched in the list below).
      const run = await this.api.getRun(target.space, state.answer.runId, 'find', true);
      if (run && (run.pipelineId === undefined || run.pipelineId === target.pipelineId)) return this.found([run], identity, true);
    }
    const candidates = await this.recentRuns(target, baseline.from, 'find');
    // Normally one match; should two runs carry the answered id, both are followed rather than one guessed.
    const matches = candidates.filter((r) => ids.includes(r.id) || (r.providerRunId !== undefined && ids.includes(r.providerRunId)));
    if (matches.length > 0) return this.found(matches, identity, matches.length === 1);
    const others = candidates.filter((r) => !baseline.ids.has(r.id)).map((r) => `${r.id}${r.runType ? ` (${r.runType})` : ''}`);
    if (others.length > 0) state.notAnswered = others;
    return undefined;
  }

  private pick(state: TriggerState, baseline: QarionBaseline, candidates: RunSummary[]): FindResult<QarionHandle> | undefined {
    const notInBaseline = candidates.filter((r) => !baseline.ids.has(r.id));
    // A run Qarion listed late (after a sync) may have started before the baseline: by the server's clock, it
    // is not a load started after this step asked for it.
    const before = notInBaseline.filter((r) => this.startedBeforeBaseline(r, baseline));
    if (before.length > 0) state.beforeBaseline = before.map((r) => `${r.id} (started ${r.queuedAt ?? r.startedAt})`);
    const fresh = notInBaseline.filter((r) => !before.includes(r));
    if (fresh.length === 0) return undefined;
    if (state.lost !== undefined) {
      // Any run of the pipeline started after the baseline is an equivalent load; all of them are followed.
      fresh.sort((a, b) => runStartMs(a) - runStartMs(b) || a.id.localeCompare(b.id));
      return this.found(
        fresh,
        `a run of this pipeline not in the baseline taken just before the trigger, and not started before it by Qarion's clock ` +
          "(an equivalent load: Qarion's trigger carries nothing but the pipeline)",
        false,
      );
    }
    // Only scheduled (or backfill, dataset) runs so far: none of them is ours; wait for one that can be.
    const couldBeOurs = fresh.filter((r) => !NOT_FROM_A_TRIGGER.includes(r.runType?.trim().toLowerCase() ?? ''));
    if (couldBeOurs.length === 0) {
      state.othersSeen = fresh.map((r) => `${r.id} (${r.runType})`);
      return undefined;
    }
    // Manual runs first (an API trigger makes a manual DAG run), then by start. Never "the newest" alone:
    // every newcomer is returned and followed.
    fresh.sort(
      (a, b) =>
        Number(b.runType?.toLowerCase() === 'manual') - Number(a.runType?.toLowerCase() === 'manual') ||
        runStartMs(a) - runStartMs(b) ||
        a.id.localeCompare(b.id),
    );
    return this.found(fresh, "a new run: not in the baseline taken just before the trigger (the trigger's answer named no run)", fresh.length === 1);
  }

  /**
   * Whether the run surely started before the baseline, by the server's own clock: its queued (else start)
   * time is earlier than the `Date` of the baseline's list answer, yet the baseline did not list it. Only
   * zoned times are compared: a time without an offset may be in any zone (apis.md §5 #14). The `Date` is
   * whole seconds, so a run queued less than a second before the baseline's answer and listed only later
   * cannot be told from one queued just after it (it is taken as started after the baseline).
   */
  private startedBeforeBaseline(run: RunSummary, baseline: QarionBaseline): boolean {
    if (baseline.serverDateMs === undefined) return false;
    const text = run.queuedAt ?? run.startedAt;
    if (!text || !hasZone(text)) return false;
    const ms = timeMs(text);
    return ms !== undefined && ms < baseline.serverDateMs;
  }

  /** `alone`: the run this step's own trigger made, and no other candidate (see `fresh`). */
  private found(runs: RunSummary[], identity: string, alone: boolean): FindResult<QarionHandle> {
    const [first, ...rest] = runs.map(handleOf);
    this.ours.add(first!.runId);
    if (alone) this.fresh.add(first!.runId);
    return { kind: 'found', handle: first!, identity, ...(rest.length > 0 && { others: rest }) };
  }

  private shouldSync(state: TriggerState): boolean {
    if (!this.deps.settings.syncBeforePoll || state.sync === 'failed' || state.sync === 'no-connector') return false;
    if (state.syncs > 0) return state.looks - (state.lastSyncLook ?? 0) >= SYNC_EVERY_LOOKS;
    if (state.lost !== undefined) return true;
    const since = state.triggeredAtMs === undefined ? 0 : this.deps.clock.now() - state.triggeredAtMs;
    return state.looks >= SYNC_AFTER_LOOKS || since >= SYNC_AFTER_MS;
  }

  /** Requests a connector sync; a refusal only warns (it needs edit rights on the connector) and ends the syncs. */
  private async sync(target: QarionTarget, state: TriggerState): Promise<boolean> {
    const { log } = this.deps;
    if (!target.connectorId) {
      state.sync = 'no-connector';
      log.warn(`${target.label}: no run showed up, and the pipeline names no connector to sync`);
      return false;
    }
    try {
      await this.api.syncConnector(target.space, target.connectorId, 'find');
      state.sync = 'done';
      state.syncs++;
      state.lastSyncLook = state.looks;
      const what = state.answer?.runId ?? state.answer?.providerRunId;
      log.info(
        `${target.label}: ${what ? `run ${what} (the trigger's answer) is not listed yet` : 'no run showed up yet'}: ` +
          `requested a sync of connector ${target.connectorId} (sync-before-poll${state.syncs > 1 ? `, sync ${state.syncs}` : ''})`,
      );
      return true;
    } catch (error) {
      if (!(error instanceof ApiError) || isAbort(error)) throw error;
      state.sync = 'failed';
      state.syncNote =
        error.status === 403
          ? `refused (403): the key's user needs edit rights on connector ${target.connectorId}`
          : withoutPhase(error);
      log.warn(`${target.label}: the connector sync (sync-before-poll) failed: ${state.syncNote}`);
      return false;
    }
  }

  private pendingReason(target: QarionTarget, state: TriggerState): string {
    const parts: string[] = [];
    if (state.lost !== undefined) parts.push(`the trigger's answer was lost (${state.lost}) and it was not sent again, so as not to start a second run`);
    const answered = [state.answer?.runId, state.answer?.providerRunId].filter(Boolean);
    parts.push(
      answered.length > 0
        ? `the trigger answered run ${answered.join(' / ')}, which Qarion does not list yet; only that run is followed`
        : `no new run of pipeline '${target.name}' is listed`,
    );
    if (state.notAnswered?.length) parts.push(`other new runs are listed but were not started by this trigger, so they are not followed: ${state.notAnswered.join(', ')}`);
    if (state.othersSeen?.length) {
      parts.push(`only runs a trigger cannot have started appeared: ${state.othersSeen.join(', ')}`);
    }
    if (state.beforeBaseline?.length) parts.push(`runs listed late that started before this step's baseline (not ours): ${state.beforeBaseline.join(', ')}`);
    parts.push(`the run may exist in Airflow${target.dagId ? ` (DAG ${target.dagId})` : ''} but not be synced to Qarion yet`);
    switch (state.sync) {
      case 'not-yet':
        parts.push(
          this.deps.settings.syncBeforePoll
            ? 'a connector sync will be requested (sync-before-poll)'
            : "set sync-before-poll: true to let the step request connector syncs (the key's user needs edit rights on the connector)",
        );
        break;
      case 'done':
        parts.push(`${state.syncs} connector sync(s) were requested (sync-before-poll), but the run is still not listed`);
        break;
      case 'failed':
        parts.push(`the connector sync (sync-before-poll) failed: ${state.syncNote}`);
        break;
      case 'no-connector':
        parts.push('sync-before-poll is set, but the pipeline names no connector to sync');
        break;
    }
    return parts.join('; ');
  }

  // --- observe, failures -----------------------------------------------------------------------------

  async observe(target: QarionTarget, handle: QarionHandle): Promise<Observation> {
    const run = await this.api.getRun(target.space, handle.runId, 'follow', true);
    if (!run) return { state: 'unknown', rawStatus: '', progress: `run ${handle.runId} is not listed (404)` };
    return observationOf(run);
  }

  async failures(target: QarionTarget, handle: QarionHandle, observation: Observation, sink: LogSink): Promise<FailedTask[]> {
    const run = await this.api.getRun(target.space, handle.runId, 'logs', true);
    if (!run) {
      const note = `the run can no longer be read (404); see ${logsWhere(target, handle.providerRunId, undefined)}`;
      sink.note(`${target.label} run ${handle.runId}: ${note}`);
      return [{ name: `run ${handle.runId}`, type: 'run', id: handle.runId, status: observation.rawStatus || '(no status)', logExcerpt: [], errorLines: [], logNote: note }];
    }
    const where = logsWhere(target, run.providerRunId ?? handle.providerRunId, run.dagId);
    const succeeded = observation.state === 'succeeded';
    const started = (t: TaskRun) => t.startedAt !== undefined || t.endedAt !== undefined;
    // Not ok: failed, cancelled or unknown words; a task still queued or running in an ended run only if it started.
    const notOk = run.taskRuns.filter((t) => !taskIsOk(t) && (!['queued', 'running'].includes(taskState(t)) || started(t)));
    const neverRan = run.taskRuns.filter((t) => !taskIsOk(t) && !notOk.includes(t));
    const wanted = succeeded ? run.taskRuns : notOk;

    this.writeRun(target, run, where, neverRan, sink);
    const out: FailedTask[] = wanted.map((task) => this.describeTask(task, where));
    if (run.errorText && !succeeded) {
      const lines = run.errorText.split(/\r?\n/).filter((l) => l.trim());
      out.push({
        name: 'run',
        type: 'run',
        id: run.id,
        status: run.status ?? '(no status)',
        ...(run.startedAt !== undefined && { startedAt: run.startedAt }),
        ...(run.endedAt !== undefined && { finishedAt: run.endedAt }),
        logExcerpt: lines,
        errorLines: lines.slice(0, 3),
        logNote: `error text of the run; see ${where}`,
      });
    }
    if (out.length === 0 && !succeeded) {
      out.push({
        name: `run ${run.id}`,
        type: 'run',
        id: run.id,
        status: run.status ?? observation.rawStatus ?? '(no status)',
        logExcerpt: [],
        errorLines: [],
        logNote: `Qarion lists no task run that failed${run.taskRuns.length === 0 ? ' (no task details)' : ''}; see ${where}`,
      });
    }
    return out;
  }

  /** logs: live: Qarion has no log endpoint; where this run's task logs are, as the failure details say. */
  liveLogAbsent(target: QarionTarget, handle: QarionHandle): string {
    return logsWhere(target, handle.providerRunId, undefined);
  }

  private describeTask(task: TaskRun, where: string): FailedTask {
    const tries = task.tryNumber !== undefined && task.tryNumber > 1 ? ` (try ${task.tryNumber})` : '';
    const lines = task.errorText ? task.errorText.split(/\r?\n/).filter((l) => l.trim()) : [];
    return {
      name: `${task.taskId}${tries}`,
      type: 'task',
      id: task.id ?? task.taskId,
      status: task.status ?? 'none',
      ...(task.startedAt !== undefined && { startedAt: task.startedAt }),
      ...(task.endedAt !== undefined && { finishedAt: task.endedAt }),
      logExcerpt: lines,
      errorLines: lines.slice(0, 3),
      logNote: `Qarion has no log endpoint: the task log is in ${where}, task ${task.taskId}${task.tryNumber ? `, try ${task.tryNumber}` : ''}`,
    };
  }

  /** Everything known about the run goes to the log file: run facts and every task run. */
  private writeRun(target: QarionTarget, run: RunDetail, where: string, neverRan: TaskRun[], sink: LogSink): void {
    const log = sink.open(`${target.label} run ${run.id}${run.providerRunId ? ` (Airflow ${run.providerRunId})` : ''}: ${run.status ?? '(no status)'}`);
    log.write(`status: ${run.status ?? '(none)'}${run.runType ? `, run type ${run.runType}` : ''}`);
    log.write(`started: ${run.startedAt ?? '-'}, ended: ${run.endedAt ?? '-'}${run.durationSeconds !== undefined ? `, ${run.durationSeconds}s` : ''}`);
    if (run.errorText) for (const line of run.errorText.split(/\r?\n/)) log.write(`error: ${line}`);
    log.write(`task runs (${run.taskRuns.length}):`);
    for (const t of run.taskRuns) {
      log.write(
        `  ${t.taskId}: ${t.status ?? 'none'}${t.tryNumber !== undefined ? `, try ${t.tryNumber}` : ''}, ${t.startedAt ?? '-'} → ${t.endedAt ?? '-'}` +
          (t.errorText ? `: ${t.errorText.replace(/\s*\r?\n\s*/g, ' ')}` : ''),
      );
    }
    if (neverRan.length > 0) log.write(`never ran: ${neverRan.map((t) => t.taskId).join(', ')}`);
    log.write(`Qarion has no log endpoint; the task logs are in ${where}`);
    log.finish();
  }

  // --- traceability ----------------------------------------------------------------------------------

  /**
   * A run comment linking the CI run (settings.comment); once per run; a failure only warns (engine).
   *
   * The comments are listed first so that one CI run never comments twice on a run: a later step of the same
   * CI run that follows it again (mode wait after mode trigger, if-running: attach), or a run adopted or
   * followed by several steps. A run that this step's own trigger made and that was found alone (the answer
   * named it, or it was the only new run) is younger than this step's baseline, and no step but this one has
   * identified it as its own: no comment of this CI run can be on it yet, so the list is not read (one
   * request less per target within the key's budget). Left open: two jobs of one CI run triggering the same
   * pipeline at the same moment, each taking the other's run for its own when its own is listed late; the
   * list would not have closed that race either (both may read it before either posts).
   */
  async announce(target: QarionTarget, handle: QarionHandle): Promise<void> {
    if (!this.deps.settings.comment || this.announced.has(handle.runId)) return;
    this.announced.add(handle.runId);
    const content = this.commentText(handle);
    // The same CI run (and attempt) never comments twice on a run, even from two steps (run, then wait).
    const ciLine = content.split('\n').find((line) => line.startsWith('CI run'));
    const already = (text: string) =>
      ciLine !== undefined ? text.split(/\r?\n/).some((line) => line.trim() === ciLine) : text.trim() === content.trim();
    if (!this.fresh.has(handle.runId)) {
      try {
        const existing = await this.api.listRunComments(target.space, handle.runId);
        if (existing.some((c) => c.content !== undefined && already(c.content))) {
          this.deps.log.debug(`${target.label}: run ${handle.runId} already carries this CI run's comment`);
          return;
        }
      } catch (error) {
        if (isAbort(error)) throw error;
        this.deps.log.debug(`${target.label}: could not list the comments of run ${handle.runId}: ${errorText(error)}`);
      }
    }
    await this.api.createRunComment(target.space, handle.runId, content);
    this.deps.log.info(`${target.label}: commented on run ${handle.runId} with a link to this CI run`);
  }

  private commentText(handle: QarionHandle): string {
    const ci = this.deps.ciContext;
    const system = ci.system === 'github' ? 'GitHub Actions' : ci.system === 'azure' ? 'Azure Pipelines' : 'the command line';
    const lines = [`${this.ours.has(handle.runId) ? 'Triggered' : 'Followed'} from ${system} by orchestration-run.`];
    if (ci.runUrl) lines.push(`CI run: ${ci.runUrl}${ci.attempt && ci.attempt !== '1' ? ` (attempt ${ci.attempt})` : ''}`);
    else if (ci.runId) lines.push(`CI run id: ${ci.runId}${ci.attempt && ci.attempt !== '1' ? ` (attempt ${ci.attempt})` : ''}`);
    if (ci.workflow) lines.push(`Workflow: ${ci.workflow}`);
    if (ci.repository) lines.push(`Repository: ${ci.repository}`);
    if (ci.commit) lines.push(`Commit: ${ci.commit}`);
    if (ci.actor) lines.push(`Actor: ${ci.actor}`);
    return lines.join('\n');
  }

  // --- modes wait and check ------------------------------------------------------------------------

  /** Durations of recent successful runs, for history-aware polling (fewer reads within the rate budget). */
  async history(target: QarionTarget): Promise<number[]> {
    // Read with the baseline (the same 30-day window): no request of its own.
    const known = this.histories.get(target.spec.label);
    if (known) {
      this.histories.delete(target.spec.label);
      return known;
    }
    const filters = { started_from: iso(this.serverNow() - HISTORY_WINDOW_MS) };
    const listing = await this.api.allRuns(target.space, target.pipelineId, filters, 'baseline', HISTORY_MAX_PAGES);
    this.noteServerDate(listing.serverDateMs);
    return listing.items
      .filter((r) => runState(r) === 'succeeded')
      .map((r) => observationOf(r).durationSeconds)
      .filter((d): d is number => d !== undefined);
  }

  /** A Qarion run id, or an Airflow dag_run_id of this pipeline. */
  async handleFor(target: QarionTarget, runId: string): Promise<QarionHandle> {
    const wanted = runId.trim();
    const run = await this.api.getRun(target.space, wanted, 'find', true);
    if (run) {
      if (run.pipelineId !== undefined && run.pipelineId !== target.pipelineId) {
        throw new ResolveError(`run ${wanted} belongs to another pipeline (${run.pipelineId}), not to ${target.label}`);
      }
      return handleOf(run);
    }
    const listing = await this.api.allRuns(target.space, target.pipelineId, {}, 'find', UNWINDOWED_MAX_PAGES);
    const hit = listing.items.find((r) => r.id === wanted || r.providerRunId === wanted);
    if (hit) return handleOf(hit);
    throw new ResolveError(
      `run-id '${wanted}' is not a run of pipeline '${target.name}' in space '${target.space}' (neither a Qarion run id nor an Airflow dag_run_id listed for it)`,
    );
  }

  /**
   * The run with the newest start (`mode: check`), read from every page of the runs list (bound: 50 pages per
   * window; past it the history proof fails). Qarion documents no list order, so "newest" is chosen by the
   * server's start times: by instant when they carry a zone; without a zone the text may be local time, and
   * across a clock change a run up to an hour "older" by its text may be the newer one, so when such a run
   * ended otherwise than the newest by text the history proof fails instead of guessing. The run detail is
   * read for the end and members proofs. Its age is measured against the server's clock (the `Date` header
   * of the list answer) when the server sends one, else against this machine's clock.
   */
  async latest(target: QarionTarget): Promise<LatestRun<QarionHandle> | undefined> {
    for (const windowMs of [...LATEST_WINDOWS_MS, undefined]) {
      const filters = windowMs === undefined ? {} : { started_from: iso(this.serverNow() - windowMs) };
      const listing = await this.api.allRuns(target.space, target.pipelineId, filters, 'check', LATEST_MAX_PAGES);
      this.noteServerDate(listing.serverDateMs);
      if (listing.items.length === 0) continue;
      const scope = windowMs === undefined ? 'all runs' : `runs started since ${filters.started_from}`;
      const read = `read ${listing.pages} page(s) of ${scope} (${listing.items.length} run(s))`;
      const sorted = [...listing.items].sort((a, b) => runStartMs(b) - runStartMs(a) || b.id.localeCompare(a.id));
      const newest = sorted[0]!;
      const history = this.historyProof(read, listing.incomplete, newest, sorted);
      const detail = (await this.api.getRun(target.space, newest.id, 'check', true)) ?? newest;
      const endMs = timeMs(detail.endedAt);
      const serverMs = listing.serverDateMs;
      return {
        handle: handleOf(detail),
        observation: observationOf(detail),
        history,
        ...(endMs !== undefined && { ageMs: Math.max(0, (serverMs ?? this.deps.clock.now()) - endMs) }),
        ...(endMs !== undefined && serverMs === undefined && { ageNote: "measured on this machine's clock (Qarion sent no Date header)" }),
      };
    }
    return undefined;
  }

  /** The complete-history proof of `latest`: every page read, and "newest" told by the server's times. */
  private historyProof(read: string, incomplete: string | undefined, newest: RunSummary, sorted: RunSummary[]): Proof {
    if (incomplete !== undefined) return { ok: false, detail: `${read}, but the list is not complete: ${incomplete}` };
    const start = newest.startedAt ?? newest.queuedAt;
    if (start === undefined) return { ok: true, detail: `${read}; the newest has no start time yet (in flight)` };
    if (hasZone(start)) return { ok: true, detail: `${read}; newest by zoned start time (${start})` };
    const newestMs = runStartMs(newest);
    const state = runState(newest);
    const rivals = sorted.filter((r) => r !== newest && newestMs - runStartMs(r) <= CLOCK_CHANGE_MS && runState(r) !== state);
    if (rivals.length > 0) {
      return {
        ok: false,
        detail:
          `${read}; start times carry no zone, and run ${rivals[0]!.id} (${rivals[0]!.status ?? 'no status'}, started ${rivals[0]!.startedAt ?? rivals[0]!.queuedAt}) ` +
          `started within an hour of run ${newest.id} (${newest.status ?? 'no status'}, ${start}) by the text: across a clock change either may be the newer`,
      };
    }
    return { ok: true, detail: `${read}; newest by start time (${start}, no zone; no run within an hour before it ended otherwise)` };
  }
}

// ---------------------------------------------------------------------------------------------------------

class ResolveError extends Error {}

/** `promise`, or the reason of `signal` as soon as it aborts (a shared read keeps going for the others). */
function untilAborted<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return promise;
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}

function handleOf(run: RunSummary): QarionHandle {
  return { runId: run.id, ...(run.providerRunId !== undefined && { providerRunId: run.providerRunId }) };
}

function observationOf(run: RunSummary | RunDetail): Observation {
  const startMs = timeMs(run.startedAt);
  const endMs = timeMs(run.endedAt);
  const duration = run.durationSeconds ?? (startMs !== undefined && endMs !== undefined ? Math.max(0, Math.round((endMs - startMs) / 1000)) : undefined);
  const observation: Observation = { state: runState(run), rawStatus: run.status ?? '' };
  if (run.startedAt !== undefined) observation.startedAt = run.startedAt;
  if (run.endedAt !== undefined) {
    observation.finishedAt = run.endedAt;
    // The end proof: the run's own end time, under the field the server used.
    observation.end = `${run.endedAtField ?? 'ended_at'} ${run.endedAt}`;
  }
  if (duration !== undefined) observation.durationSeconds = duration;
  if ('taskRuns' in run) {
    if (run.taskRuns.length > 0) observation.progress = taskProgress(run.taskRuns);
    observation.members = membersProof(run.taskRuns);
  } else {
    observation.members = { ok: false, detail: 'only the run list was read (no task runs)' };
  }
  return observation;
}

/**
 * The members proof of a run from its task runs (the run detail lists only this run's task runs, so no time
 * bounding is needed; Qarion has no failure counters to compare). Ok when at least one task run is listed,
 * every one has ended (an end word, `skipped`, or an end time) and none failed (a failure or cancel word,
 * `upstream_failed` included). A task word not in the table with an end time counts as ended, not failed, and
 * is named in the detail. A run whose detail lists no task run at all fails the proof: Qarion documents the
 * detail "with task details", and a run that shows no task cannot be shown to have loaded anything (an
 * honest red rather than a green on the run's word alone).
 */
export function membersProof(tasks: TaskRun[]): Proof {
  if (tasks.length === 0) return { ok: false, detail: 'Qarion lists no task run for this run, so no task of it can be shown to have run' };
  const notEnded: string[] = [];
  const failed: string[] = [];
  const unknownWords: string[] = [];
  let skipped = 0;
  for (const task of tasks) {
    const raw = (task.status ?? '').trim().toLowerCase();
    const explicit = normalizeStatus(QARION_STATUS, task.status ?? 'none', false);
    if (explicit === 'failed' || explicit === 'cancelled') failed.push(`${task.taskId} (${task.status})`);
    else if (QARION_TASK_NOT_A_FAILURE.includes(raw)) skipped++;
    else if (explicit === 'succeeded') continue;
    else if (explicit === 'unknown' && task.endedAt !== undefined) unknownWords.push(`${task.taskId} (${task.status ?? 'no status'})`);
    else notEnded.push(`${task.taskId} (${task.status ?? 'no status'})`);
  }
  const n = tasks.length;
  const extras = [skipped > 0 ? `${skipped} skipped` : '', unknownWords.length > 0 ? `ended with a word not in the table: ${unknownWords.join(', ')}` : '']
    .filter(Boolean)
    .join('; ');
  if (failed.length > 0) return { ok: false, detail: `${failed.length} of ${n} task runs failed: ${failed.join(', ')}` };
  if (notEnded.length > 0) return { ok: false, detail: `${notEnded.length} of ${n} task runs have not ended: ${notEnded.join(', ')}` };
  return { ok: true, detail: `${n} of ${n} task runs ended, none failed${extras ? ` (${extras})` : ''}` };
}

/** e.g. "3 of 5 task runs ended (1 failed), 1 running": explicit words only, no end-time rule (display only). */
function taskProgress(tasks: TaskRun[]): string {
  let ended = 0;
  let failed = 0;
  let running = 0;
  for (const task of tasks) {
    const explicit = normalizeStatus(QARION_STATUS, task.status ?? 'none', false);
    const skipped = QARION_TASK_NOT_A_FAILURE.includes((task.status ?? '').trim().toLowerCase());
    if (explicit === 'running') running++;
    else if (explicit === 'failed' || explicit === 'cancelled') {
      ended++;
      failed++;
    } else if (explicit === 'succeeded' || skipped || task.endedAt !== undefined) ended++;
  }
  return `${ended} of ${tasks.length} task runs ended${failed > 0 ? ` (${failed} failed)` : ''}${running > 0 ? `, ${running} running` : ''}`;
}

/** Where the logs are: Qarion has no log endpoint (apis.md §2.5). */
function logsWhere(target: QarionTarget, providerRunId: string | undefined, dagId: string | undefined): string {
  const dag = dagId ?? target.dagId;
  const facts = [dag ? `DAG ${dag}` : undefined, providerRunId ? `run ${providerRunId}` : undefined].filter(Boolean);
  let where = `the Airflow UI${facts.length > 0 ? ` (${facts.join(', ')})` : ''}`;
  if (target.airflowUrl && dag) {
    const base = target.airflowUrl.replace(/\/+$/, '');
    where += `: ${base}/dags/${encodeURIComponent(dag)}/grid${providerRunId ? `?dag_run_id=${encodeURIComponent(providerRunId)}` : ''}`;
  }
  return where;
}

function describeAnswer(answer: TriggerAnswer): string {
  const ids = [
    answer.runId !== undefined ? `run id ${answer.runId}` : undefined,
    answer.providerRunId !== undefined ? `Airflow run ${answer.providerRunId}` : undefined,
  ].filter(Boolean);
  if (ids.length > 0) return `the trigger answered ${answer.httpStatus} with ${ids.join(' and ')}${answer.status ? ` (${answer.status})` : ''}`;
  return `the trigger answered ${answer.httpStatus}${answer.body === 'empty' ? ' with no body' : ' without a run id'}`;
}

export const qarionModule: ProviderModule = {
  platform: 'qarion',
  authHeaders: (apiKey: string) => ({ Authorization: `Bearer ${apiKey}` }),
  create: (deps: ProviderDeps) => new QarionProvider(deps) as unknown as Provider,
};

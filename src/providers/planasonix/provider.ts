/**
 * Planasonix: trigger a connection sync, a backfill or a pipeline run; follow the job, backfill or run the
 * trigger answered with; explain failures (the job's error, the run's error, failing nodes and their logs);
 * cancel on timeout, CI cancellation and fail-fast.
 *
 * Every trigger carries an idempotency key, in the `Idempotency-Key` header AND the body field
 * `idempotency_key`, and in its `metadata` (with the CI run it came from). Planasonix does not document
 * idempotency for what we send (apis.md §3.5: the header name is unknown; the body field is seen only in the
 * vendor client, for syncs), so a server may ignore the key and start a second load on a resend. A trigger
 * that may have been applied is therefore never sent again blindly (the engine looks first):
 * the engine first looks (`find`) for a job or run carrying this step's key, and adopts only such a one
 * (`adoption: 'own-marker'`); a run without our marker is never taken for ours. The key is unique per
 * invocation of the step and the same on every resend within it (see `idempotencyKeyFor`).
 */
import { createHash, randomUUID } from 'node:crypto';
import type { Clock } from '../../core/clock.js';
import type { LogSink } from '../../core/logs.js';
import { isTerminal, normalizeStatus, type CancelReport, type FailedTask, type RunState, type StatusTable } from '../../core/outcome.js';
import type { CiContext, Settings, TargetSpec } from '../../core/settings.js';
import type { PlanasonixBackfillSpec, PlanasonixPipelineSpec, PlanasonixSyncSpec } from './targets.js';
import { ApiError } from '../../core/http/index.js';
import type { Proof } from '../../core/outcome.js';
import { secretMasker } from '../../core/untrusted.js';
import type {
  FindResult,
  InFlight,
  LatestRun,
  LiveLine,
  LiveLogCursor,
  LiveLogRead,
  Observation,
  Provider,
  ProviderDeps,
  ProviderLog,
  ProviderModule,
  ResolvedTarget,
  RunHandle,
  TriggerResult,
} from '../../core/provider.js';
import {
  MAX_PAGES,
  PlanasonixApi,
  PlanasonixError,
  type Backfill,
  type ConflictKind,
  type Job,
  type ListResult,
  type Run,
  type RunNode,
  type TriggerAnswer,
} from './api.js';
import { plxCursor, readRunLog } from './live.js';

/**
 * Planasonix status words (apis.md §3.4), one table for jobs, backfills, runs and nodes. Both cancel
 * spellings everywhere. `cancelling`/`canceling`: a cancel was requested and the run has not ended
 * (cooperative cancellation), so it is still running. Any other word is in progress until the run has an
 * end time, and a failure once it has one.
 */
export const PLANASONIX_STATUS: StatusTable = {
  succeeded: ['completed', 'succeeded', 'success'],
  failed: ['failed', 'error'],
  cancelled: ['cancelled', 'canceled'],
  queued: ['queued', 'pending'],
  running: ['running', 'cancelling', 'canceling'],
};

export const TRIGGERED_BY = 'orchestration-run';

interface TargetBase extends ResolvedTarget {
  /** The idempotency key of this target's trigger, the same on every resend. */
  idempotencyKey: string;
}

interface SyncTarget extends TargetBase {
  kind: 'sync';
  spec: PlanasonixSyncSpec;
}

interface BackfillTarget extends TargetBase {
  kind: 'backfill';
  spec: PlanasonixBackfillSpec;
}

interface PipelineTarget extends TargetBase {
  kind: 'pipeline';
  spec: PlanasonixPipelineSpec;
}

type PlxTarget = SyncTarget | BackfillTarget | PipelineTarget;

interface PlxHandle extends RunHandle {
  kind: ConflictKind;
}

/** Ids seen before the trigger; `undefined` when the list cannot be read (then only an id in the answer correlates). */
interface PlxBaseline {
  ids: Set<string> | undefined;
}

/** A 409 of this step's trigger: what the platform named as running (if-running: queue waits for it). */
interface Conflict {
  id?: string;
  kind?: ConflictKind;
  /** A 409 naming nothing gives one wait before the next trigger, so `queue` never spins. */
  waited: boolean;
}

const WHAT: Record<ConflictKind, string> = { job: 'sync job', backfill: 'backfill', run: 'pipeline run' };
/** Detail reads per `find` of new runs whose list entry shows no key (run lists carry no metadata). */
const DETAIL_READS_PER_LOOK = 10;
/** Consecutive 404s of the (guessed) backfill status path before following gives up. */
const BACKFILL_404_LIMIT = 3;

function hash(...parts: string[]): string {
  return createHash('sha256').update(parts.join('\u0000')).digest('hex').slice(0, 12);
}

function keyPart(value: string): string {
  return value.replace(/[^A-Za-z0-9._-]+/g, '_').slice(0, 64);
}

/** What the trigger asks for, so two different requests of one CI run never share a key. */
function requestFingerprint(spec: PlanasonixSyncSpec | PlanasonixBackfillSpec | PlanasonixPipelineSpec): string {
  switch (spec.kind) {
    case 'sync':
      return JSON.stringify(['sync', spec.connection, spec.syncType, spec.priority, spec.tables]);
    case 'backfill':
      return JSON.stringify(['backfill', spec.connection, spec.start, spec.end, spec.priority, spec.tables]);
    default:
      return JSON.stringify(['pipeline', spec.pipeline, spec.parameters]);
  }
}

/**
 * The idempotency key of one target, unique per invocation of the step and the same on every resend within
 * it (apis.md §3.5: "derive the key from the CI run id, the attempt and the target, and reuse it on every
 * retry"; issue 12: two invocations in one CI job must each start their own load):
 * - the `idempotency-key` input as given when the step has one target; with several targets each gets
 *   `<input>-<hash of the target>`, so two targets never share a key (a server that replays by key alone
 *   would otherwise answer every target with the first target's job);
 * - else, when the CI names the step (GitHub: job and GITHUB_ACTION; Azure: job and task instance),
 *   `orun-<ci>-<run id>-<attempt>-<hash of repository, step, target and request>`: a re-run of the CI job
 *   (new attempt) triggers again, and two steps of one run asking for the same load each get their own;
 * - else, with a CI run id but no step id (GitLab, Jenkins, CircleCI through the CLI), the same plus this
 *   invocation's random nonce: `orun-<ci>-<run id>-<attempt>-<nonce>-<hash>`, so a second invocation in the
 *   same CI job is never answered with the first one's job;
 * - else (no CI run id: a local CLI run) `orun-local-<nonce>-<hash>`.
 * `stepNonce` is random per invocation (per provider instance). At most 255 printable ASCII characters.
 */
export function idempotencyKeyFor(
  settings: Pick<Settings, 'idempotencyKey' | 'targets'>,
  ci: CiContext,
  spec: PlanasonixSyncSpec | PlanasonixBackfillSpec | PlanasonixPipelineSpec,
  stepNonce: string,
): string {
  const target = hash(spec.label, requestFingerprint(spec));
  if (settings.idempotencyKey) {
    return settings.targets.length > 1 ? `${settings.idempotencyKey.slice(0, 240)}-${target}` : settings.idempotencyKey;
  }
  const nonce = keyPart(stepNonce).replace(/-/g, '').slice(0, 16);
  if (ci.runId) {
    const base = `orun-${keyPart(ci.system)}-${keyPart(ci.runId)}-${keyPart(ci.attempt ?? '1')}`;
    const tail = hash(ci.repository ?? '', ci.runUrl ?? '', ci.step ?? '', spec.label, requestFingerprint(spec));
    return ci.step ? `${base}-${tail}` : `${base}-${nonce}-${tail}`;
  }
  return `orun-local-${nonce}-${target}`;
}

/** Traceability (product spec): the CI run URL, commit, actor and workflow, as `metadata`. */
export function metadataFor(ci: CiContext, label: string, key: string): Record<string, string> {
  const metadata: Record<string, string> = { triggered_by: TRIGGERED_BY, ci_system: ci.system, target: label, idempotency_key: key };
  const add = (name: string, value: string | undefined) => {
    if (value) metadata[name] = value;
  };
  add('ci_run_url', ci.runUrl);
  add('ci_run_id', ci.runId);
  add('ci_run_attempt', ci.attempt);
  add('ci_step', ci.step);
  add('commit', ci.commit);
  add('actor', ci.actor);
  add('workflow', ci.workflow);
  add('repository', ci.repository);
  return metadata;
}

const OFFSET = /(z|[+-]\d\d:?\d\d)$/i;

/** An ISO time that carries an offset (`Z`, `+02:00`), as epoch ms; undefined otherwise (apis.md §5 #32). */
function absoluteMs(time: string | null | undefined): number | undefined {
  if (!time || !OFFSET.test(time.trim())) return undefined;
  const ms = Date.parse(time);
  return Number.isNaN(ms) ? undefined : ms;
}

/**
 * A server timestamp as a number to compare with others OF THE SAME LIST: epoch ms when it carries an
 * offset; without one, its wall-clock text read as if it were UTC (never in this machine's zone), which
 * orders times of one server consistently. Undefined when missing or unreadable.
 */
function sortableMs(time: string | null | undefined): number | undefined {
  if (!time) return undefined;
  const trimmed = time.trim();
  const ms = Date.parse(OFFSET.test(trimmed) ? trimmed : `${trimmed.replace(' ', 'T')}Z`);
  return Number.isNaN(ms) ? undefined : ms;
}

/** The end proof of an observation: the end time as the platform gave it, with its field name. */
function endText(field: string | null, finishedAt: string | null): string | undefined {
  return finishedAt ? `${field ?? 'end'} ${finishedAt}` : undefined;
}

function seconds(start: string | null, end: string | null, given: number | null): number | undefined {
  if (given !== null) return given;
  if (!start || !end) return undefined;
  const a = Date.parse(start);
  const b = Date.parse(end);
  return Number.isNaN(a) || Number.isNaN(b) || b < a ? undefined : Math.round((b - a) / 1000);
}

/**
 * Rows done, for progress lines. The engine prints a line whenever the progress text changes, so while a run
 * is in flight the count is rounded down on a 1-2-5 scale ("20000+ rows"): a few lines per order of
 * magnitude, never one per poll. Once it ended, the exact count.
 */
export function rowsText(rows: number, ended: boolean, verb: string): string {
  if (ended) return `${rows} rows ${verb}`;
  if (rows < 1000) return `under 1000 rows ${verb}`;
  const magnitude = 10 ** Math.floor(Math.log10(rows));
  const step = [5, 2, 1].find((m) => rows >= m * magnitude)!;
  return `${step * magnitude}+ rows ${verb}`;
}

/** Backfill progress in steps of 10%, for the same reason. */
export function percentText(percent: number, ended: boolean): string {
  return `backfill ${ended ? Math.round(percent) : Math.floor(percent / 10) * 10}%`;
}

function stateOf(status: string | null, finishedAt: string | null): RunState {
  return normalizeStatus(PLANASONIX_STATUS, status, finishedAt !== null);
}

/** Queued, running, or an unknown word without an end time (in progress until it ends, apis.md §3.4). */
function inProgress(status: string | null, finishedAt: string | null): boolean {
  return status !== null && !isTerminal(stateOf(status, finishedAt));
}

type Timed = { createdAt: string | null; startedAt: string | null };

/** When an item was created (or else started), comparable within its list; +∞ without either (still queued). */
function timeOf(item: Timed): number {
  return sortableMs(item.createdAt) ?? sortableMs(item.startedAt) ?? Number.POSITIVE_INFINITY;
}

/**
 * Newest first by the server's timestamps (creation, else start; the list order is undocumented, so it is
 * never used, apis.md §3.5); an item without either (still queued) counts as the newest.
 */
function newestFirst<T extends Timed>(items: T[]): T[] {
  return items
    .map((item, index) => ({ item, index, at: timeOf(item) }))
    .sort((a, b) => (a.at === b.at ? a.index - b.index : b.at > a.at ? 1 : -1))
    .map((x) => x.item);
}

/**
 * The latest item of a whole list, by the server's timestamps, never by list position. Items that share
 * the newest time (or several without any time) cannot be ordered: the one that did not succeed is taken,
 * so the check is green only if all of them succeeded. Also says how it was picked.
 */
function latestOf<T extends Timed & { status: string | null; finishedAt: string | null }>(items: T[], what: string): { item: T; how: string } | undefined {
  if (items.length === 0) return undefined;
  const newest = Math.max(...items.map(timeOf));
  const tied = items.filter((i) => timeOf(i) === newest);
  const item = tied.find((i) => stateOf(i.status, i.finishedAt) !== 'succeeded') ?? tied[0]!;
  const field = item.createdAt ? 'creation time' : item.startedAt ? 'start time' : undefined;
  const zoned = items.every((i) => absoluteMs(i.createdAt ?? i.startedAt) !== undefined || (!i.createdAt && !i.startedAt));
  let how = field
    ? `the latest ${what} picked by its ${field} (${zoned ? 'ISO with offset' : 'server times without offset, compared within this one list'}), not by list position`
    : `the latest ${what} has no creation or start time yet (still queued), so it is the newest`;
  if (tied.length > 1) how += `; ${tied.length} ${what}s share the newest time, so the check takes the worst of them`;
  return { item, how };
}

/** The complete-history proof of a list read for mode check. */
function historyProof<T>(list: ListResult<T>, what: string, how: string): Proof {
  if (!list.complete) {
    return { ok: false, detail: `the ${what} list could not be read whole: ${list.incomplete ?? 'it did not end'} (read ${list.pages} pages, ${list.items.length} ${what}s); without every page the latest ${what} cannot be told` };
  }
  return { ok: true, detail: `read every page of the ${what} list (${list.pages} page${list.pages === 1 ? '' : 's'}, ${list.items.length} ${what}s); ${how}` };
}

export class PlanasonixProvider implements Provider<PlxTarget, PlxHandle, PlxBaseline> {
  readonly platform = 'planasonix' as const;
  readonly statusTable = PLANASONIX_STATUS;
  /** A run is ours only if it carries this step's idempotency key (top-level or in its metadata). */
  readonly adoption = 'own-marker' as const;
  readonly timeNote = 'Times are as Planasonix reports them (ISO 8601).';
  private readonly api: PlanasonixApi;
  private readonly settings: Settings;
  private readonly ci: CiContext;
  private readonly log: ProviderLog;
  /**
   * Random per step invocation (kept by the engine in the saved state, so a GitHub post step derives the same
   * key and recognises the run of a trigger that was in flight): part of the key when the CI names no step.
   */
  private readonly stepNonce: string;
  private readonly conflicts = new Map<string, Conflict>();
  private readonly backfill404 = new Map<string, number>();
  /** Ids of new jobs or runs whose detail was read and that do not carry this step's key (per target). */
  private readonly notOurs = new Map<string, Set<string>>();
  private readonly clock: Clock;
  private readonly signal: AbortSignal;
  private readonly http: ProviderDeps['http'];

  constructor(deps: ProviderDeps) {
    this.http = deps.http;
    this.api = new PlanasonixApi(deps.http, deps.settings.baseUrl);
    this.settings = deps.settings;
    this.ci = deps.ciContext;
    this.stepNonce = deps.ciContext.invocation ?? randomUUID();
    this.log = deps.log;
    this.clock = deps.clock;
    this.signal = deps.signal;
  }

  // --- resolve ---------------------------------------------------------------------------------

  async resolve(spec: TargetSpec): Promise<PlxTarget> {
    if (spec.platform !== 'planasonix') throw new Error(`not a Planasonix target: ${spec.label}`);
    // Ids only (no name lookup is documented for connections or pipelines): a wrong id is the trigger's 404.
    const idempotencyKey = idempotencyKeyFor(this.settings, this.ci, spec, this.stepNonce);
    switch (spec.kind) {
      case 'sync':
        return { kind: 'sync', spec, label: spec.label, idempotencyKey };
      case 'backfill':
        return { kind: 'backfill', spec, label: spec.label, idempotencyKey };
      default:
        return { kind: 'pipeline', spec, label: spec.label, idempotencyKey };
    }
  }

  private handleKind(target: PlxTarget): ConflictKind {
    return target.kind === 'sync' ? 'job' : target.kind === 'backfill' ? 'backfill' : 'run';
  }

  private handle(kind: ConflictKind, id: string): PlxHandle {
    return { kind, runId: id };
  }

  // --- in flight, baseline ---------------------------------------------------------------------

  async inFlight(target: PlxTarget): Promise<InFlight<PlxHandle> | undefined> {
    const remembered = await this.rememberedConflict(target);
    if (remembered) return remembered;
    if (target.kind === 'sync') {
      const connection = target.spec.connection;
      const found: Job[] = [];
      for (const status of ['running', 'queued']) {
        const jobs = await this.api.listJobs({ connection_id: connection, status }, 'baseline', 2);
        found.push(...jobs.filter((j) => (j.connectionId === null || j.connectionId === connection) && inProgress(j.status, j.finishedAt)));
      }
      if (found.length === 0) return undefined;
      const running = found.find((j) => stateOf(j.status, j.finishedAt) === 'running') ?? newestFirst(found)[0]!;
      return { handle: this.handle('job', running.id), description: `sync job ${running.id} of connection ${connection} is ${running.status}` };
    }
    if (target.kind === 'pipeline') {
      const pipeline = target.spec.pipeline;
      const status = await this.api.executionStatus(pipeline, 'baseline');
      if (status) {
        if (status.runId && inProgress(status.status, status.finishedAt)) {
          return { handle: this.handle('run', status.runId), description: `run ${status.runId} of pipeline ${pipeline} is ${status.status}` };
        }
        return undefined;
      }
      const runs = (await this.api.pipelineRuns(pipeline, 'baseline')).filter((r) => inProgress(r.status, r.finishedAt));
      const run = newestFirst(runs)[0];
      return run ? { handle: this.handle('run', run.id), description: `run ${run.id} of pipeline ${pipeline} is ${run.status}` } : undefined;
    }
    // Backfills: no list or status-by-connection path is documented (apis.md §5 #25); a 409 is remembered.
    return undefined;
  }

  /** What an earlier 409 of this step named, while it is still in flight. */
  private async rememberedConflict(target: PlxTarget): Promise<InFlight<PlxHandle> | undefined> {
    const conflict = this.conflicts.get(target.label);
    if (!conflict) return undefined;
    if (!conflict.id || !conflict.kind) {
      if (conflict.waited) {
        this.conflicts.delete(target.label);
        return undefined;
      }
      conflict.waited = true;
      return { description: 'the last trigger answered 409 (already running) without naming the run' };
    }
    const handle = this.handle(conflict.kind, conflict.id);
    let observation: Observation;
    try {
      observation = await this.observeHandle(target, handle, 'baseline');
    } catch (error) {
      // The named run cannot be read (gone, or never readable): it no longer holds the trigger back.
      if (!(error instanceof ApiError) || error.status !== 404) throw error;
      this.conflicts.delete(target.label);
      return undefined;
    }
    if (isTerminal(observation.state)) {
      this.conflicts.delete(target.label);
      return undefined;
    }
    const description = `${WHAT[conflict.kind]} ${conflict.id} is ${observation.rawStatus || observation.state}`;
    // Only a run of the same kind can be followed in place of ours (a sync job is not the backfill asked for).
    return conflict.kind === this.handleKind(target) ? { handle, description } : { description };
  }

  /**
   * The ids listed before the trigger (every page, bounded): a job or run not among them is new. A new one is
   * still adopted only when it carries this step's key (see `find`).
   */
  async baseline(target: PlxTarget): Promise<PlxBaseline> {
    try {
      if (target.kind === 'sync') {
        const jobs = await this.api.listJobs({ connection_id: target.spec.connection }, 'baseline');
        return { ids: new Set(jobs.map((j) => j.id)) };
      }
      if (target.kind === 'pipeline') {
        return { ids: new Set((await this.api.pipelineRuns(target.spec.pipeline, 'baseline')).map((r) => r.id)) };
      }
    } catch (error) {
      // Only needed when the trigger answer carries no id (or is lost); a missing list is no reason to stop.
      if (!(error instanceof ApiError) || ![404, 405, 501].includes(error.status ?? 0)) throw error;
      this.log.debug(`${target.label}: no baseline (${error.message})`);
    }
    return { ids: undefined };
  }

  // --- trigger ---------------------------------------------------------------------------------

  private triggerBody(target: PlxTarget): Record<string, unknown> {
    const metadata = metadataFor(this.ci, target.label, target.idempotencyKey);
    switch (target.kind) {
      case 'sync': {
        const { syncType, priority, tables } = target.spec;
        return {
          sync_type: syncType,
          priority,
          ...(tables.length > 0 && { streams: tables }),
          metadata,
          idempotency_key: target.idempotencyKey,
        };
      }
      case 'backfill': {
        const { start, end, tables, priority } = target.spec;
        return { start_at: start, end_at: end, tables, priority, metadata, idempotency_key: target.idempotencyKey };
      }
      default:
        return { parameters: target.spec.parameters, metadata, idempotency_key: target.idempotencyKey };
    }
  }

  async trigger(target: PlxTarget): Promise<TriggerResult<PlxHandle>> {
    const body = this.triggerBody(target);
    const key = target.idempotencyKey;
    const kind = this.handleKind(target);
    let answer: TriggerAnswer;
    try {
      answer =
        target.kind === 'sync'
          ? await this.api.triggerSync(target.spec.connection, body, key)
          : target.kind === 'backfill'
            ? await this.api.triggerBackfill(target.spec.connection, body, key)
            : await this.api.triggerRun(target.spec.pipeline, body, key);
    } catch (error) {
      // The answer was lost after the server may have acted on it. Syncs and pipeline runs: the engine looks
      // for a job or run carrying our key (`find`) before it sends anything again. Backfills cannot be
      // listed (apis.md §5 #25), so whether one started cannot be told: never sent again, a clear failure.
      if (target.kind === 'backfill' && error instanceof ApiError && error.mayHaveApplied && error.kind !== 'aborted' && !this.signal.aborted) {
        throw new PlanasonixError(
          `the backfill trigger's answer was lost (${error.message}); the server may have started it. Planasonix lists no backfills, so ` +
            'whether it did cannot be told, and it is not sent again (that could start a second backfill). Check the Planasonix app before running the step again',
        );
      }
      throw error;
    }
    if (answer.kind === 'refused') {
      throw new PlanasonixError(`Planasonix refused to start ${WHAT[kind]} of ${target.label}: ${answer.message}`);
    }
    if (answer.kind === 'conflict') {
      const named = answer.existingId !== undefined ? this.handle(answer.existingKind ?? kind, answer.existingId) : undefined;
      // Our own trigger, sent again after a lost answer to a server that ignores idempotency keys: it
      // answers 409 naming the job the first attempt started. It carries our key: follow it.
      if (named && named.kind === kind && (await this.carriesOurKey(named, target))) {
        this.conflicts.delete(target.label);
        return {
          kind: 'accepted',
          handle: named,
          note: `the trigger answered 409 naming ${WHAT[kind]} ${named.runId}, which carries this step's idempotency key: it is the one this step started`,
        };
      }
      this.conflicts.set(target.label, { ...(named && { id: named.runId, kind: named.kind }), waited: false });
      const what = named ? `; ${WHAT[named.kind]} ${named.runId} is in flight` : '';
      return {
        kind: 'already-running',
        ...(named && named.kind === kind && { handle: named }),
        message: `already running: Planasonix answered 409 (${answer.message})${what}`,
      };
    }
    this.conflicts.delete(target.label);
    if (answer.id === undefined) {
      return { kind: 'accepted', note: `the trigger was accepted but its answer carried no ${WHAT[kind]} id` };
    }
    // 200 where a new job answers 202: the server may have returned an earlier job for this key.
    const replay =
      kind !== 'run' && answer.httpStatus === 200
        ? `the server answered 200 (not 202): ${WHAT[kind]} ${answer.id} may be one it had already started for idempotency key ${key}`
        : undefined;
    return { kind: 'accepted', handle: this.handle(kind, answer.id), ...(replay && { note: replay }) };
  }

  private async carriesOurKey(handle: PlxHandle, target: PlxTarget): Promise<boolean> {
    try {
      if (handle.kind === 'job') return (await this.api.getJob(handle.runId, 'trigger')).idempotencyKey === target.idempotencyKey;
      if (handle.kind === 'backfill') return (await this.api.getBackfill(handle.runId, 'trigger'))?.idempotencyKey === target.idempotencyKey;
      return (await this.api.getRun(handle.runId, 'trigger'))?.idempotencyKey === target.idempotencyKey;
    } catch (error) {
      this.log.debug(`${target.label}: could not read ${WHAT[handle.kind]} ${handle.runId}: ${error instanceof Error ? error.message : String(error)}`);
      return false;
    }
  }

  /**
   * The job or run this step's trigger started, when its answer carried no id (apis.md §3.7 #4) or was lost:
   * among the connection's jobs or the pipeline's runs that were not in the baseline, only one carrying this
   * step's idempotency key (top-level or in its metadata) is ours (`adoption: 'own-marker'`; the parameters of
   * other runs may differ). A list entry without the key is read in detail (run lists carry no metadata).
   * A new run that carries no marker is reported, never adopted. Two carrying our key (a resend the server
   * did not dedupe): both are followed.
   */
  async find(target: PlxTarget, baseline: PlxBaseline): Promise<FindResult<PlxHandle>> {
    if (target.kind === 'backfill') {
      return { kind: 'pending', reason: 'Planasonix lists no backfills: a backfill is known only by the id in its trigger answer' };
    }
    if (baseline.ids === undefined) {
      return { kind: 'pending', reason: `the ${target.kind === 'sync' ? 'job' : 'run'} list could not be read before the trigger, so no new one can be told` };
    }
    const known = baseline.ids;
    const kind = this.handleKind(target);
    const what = target.kind === 'sync' ? 'job' : 'run';
    let fresh: Array<Job | Run>;
    try {
      fresh =
        target.kind === 'sync'
          ? (await this.api.listJobs({ connection_id: target.spec.connection }, 'find')).filter(
              (j) => !known.has(j.id) && (j.connectionId === null || j.connectionId === target.spec.connection),
            )
          : (await this.api.pipelineRuns(target.spec.pipeline, 'find')).filter((r) => !known.has(r.id));
    } catch (error) {
      if (!(error instanceof ApiError) || ![404, 405, 501].includes(error.status ?? 0)) throw error;
      return { kind: 'pending', reason: `the ${what} list cannot be read (${error.message})` };
    }
    if (fresh.length === 0) return { kind: 'pending', reason: `no new ${what} is listed yet` };
    const notOurs = this.notOurs.get(target.label) ?? new Set<string>();
    this.notOurs.set(target.label, notOurs);
    const ours: Array<{ id: string; field: string }> = [];
    let reads = 0;
    for (const listed of newestFirst(fresh)) {
      if (notOurs.has(listed.id)) continue;
      let item: Job | Run | undefined = listed;
      if (listed.idempotencyKey === null) {
        if (reads >= DETAIL_READS_PER_LOOK) continue;
        reads++;
        item = target.kind === 'sync' ? await this.readJobOrUndefined(listed.id) : await this.api.getRun(listed.id, 'find');
        // Unreadable now (e.g. a 404 just after listing): looked at again on the next call.
        if (!item) continue;
      }
      if (item.idempotencyKey === target.idempotencyKey) ours.push({ id: listed.id, field: item.keyField ?? 'idempotency_key' });
      else notOurs.add(listed.id);
    }
    if (ours.length === 0) {
      const others = fresh.filter((f) => notOurs.has(f.id)).map((f) => f.id);
      return {
        kind: 'pending',
        reason:
          others.length > 0
            ? `new ${what}${others.length > 1 ? 's' : ''} ${others.slice(0, 5).join(', ')} appeared, but ${others.length > 1 ? 'none carries' : 'it does not carry'} this step's idempotency key or metadata: not adopted`
            : `a new ${what} is listed, but whether it carries this step's idempotency key cannot be read yet`,
      };
    }
    const [first, ...rest] = ours;
    const identity = `it carries this step's idempotency key (${first!.field})` + (rest.length > 0 ? `; ${rest.length + 1} ${what}s carry it` : '');
    return { kind: 'found', handle: this.handle(kind, first!.id), identity, ...(rest.length > 0 && { others: rest.map((r) => this.handle(kind, r.id)) }) };
  }

  private async readJobOrUndefined(id: string): Promise<Job | undefined> {
    try {
      return await this.api.getJob(id, 'find');
    } catch (error) {
      if (error instanceof ApiError && error.status === 404) return undefined;
      throw error;
    }
  }

  // --- observe ---------------------------------------------------------------------------------

  async observe(target: PlxTarget, handle: PlxHandle): Promise<Observation> {
    return this.observeHandle(target, handle, 'follow');
  }

  private async observeHandle(target: PlxTarget, handle: PlxHandle, phase: 'baseline' | 'follow' | 'check'): Promise<Observation> {
    if (handle.kind === 'job') {
      const job = await this.api.getJob(handle.runId, phase);
      const observation = this.jobObservation(job);
      if (observation.state === 'succeeded' && phase === 'follow') {
        // The rows synced, from the results (vendor client); a failure here only loses that detail.
        try {
          const results = await this.api.jobResults(job.id, phase);
          if (results.totalRowsSynced !== null) observation.progress = `${results.totalRowsSynced} rows synced`;
        } catch (error) {
          this.log.debug(`${target.label}: no results for job ${job.id}: ${error instanceof Error ? error.message : String(error)}`);
        }
      }
      return observation;
    }
    if (handle.kind === 'backfill') return this.observeBackfill(handle.runId, phase);
    return this.observeRun(target, handle.runId, phase);
  }

  private jobObservation(job: Job): Observation {
    const state = stateOf(job.status, job.finishedAt);
    return {
      state,
      rawStatus: job.status ?? '',
      ...(job.startedAt && { startedAt: job.startedAt }),
      ...(job.finishedAt && { finishedAt: job.finishedAt }),
      ...(job.finishedAt && { end: endText(job.endField, job.finishedAt)! }),
      ...(seconds(job.startedAt, job.finishedAt, job.durationSeconds) !== undefined && {
        durationSeconds: seconds(job.startedAt, job.finishedAt, job.durationSeconds)!,
      }),
      ...(job.rowsSynced !== null && { progress: rowsText(job.rowsSynced, isTerminal(state), 'synced') }),
    };
  }

  private async observeBackfill(id: string, phase: 'baseline' | 'follow' | 'check'): Promise<Observation> {
    const backfill = await this.api.getBackfill(id, phase);
    if (!backfill) {
      const misses = (this.backfill404.get(id) ?? 0) + 1;
      this.backfill404.set(id, misses);
      if (misses >= BACKFILL_404_LIMIT) {
        throw new PlanasonixError(
          `GET /api/v1/backfills/${id} answered 404 ${misses} times: Planasonix documents no backfill status path, and this deployment ` +
            `does not serve the one we guess. The backfill was started (id ${id}); follow it in the Planasonix app, or use mode: trigger for backfills`,
        );
      }
      return { state: 'unknown', rawStatus: '', progress: `backfill ${id} is not readable yet (404)` };
    }
    this.backfill404.delete(id);
    return this.backfillObservation(backfill);
  }

  private backfillObservation(backfill: Backfill): Observation {
    const parts: string[] = [];
    const state = stateOf(backfill.status, backfill.finishedAt);
    // progress_percent is progress, never a status (apis.md §3.4).
    if (backfill.progressPercent !== null) parts.push(percentText(backfill.progressPercent, isTerminal(state)));
    if (backfill.internalJobs.length > 0) {
      const done = backfill.internalJobs.filter((j) => stateOf(j.status, null) === 'succeeded').length;
      parts.push(`${done} of ${backfill.internalJobs.length} internal jobs completed`);
    }
    return {
      state,
      rawStatus: backfill.status ?? '',
      ...(backfill.startedAt && { startedAt: backfill.startedAt }),
      ...(backfill.finishedAt && { finishedAt: backfill.finishedAt }),
      ...(backfill.finishedAt && { end: endText(backfill.endField, backfill.finishedAt)! }),
      ...(seconds(backfill.startedAt, backfill.finishedAt, null) !== undefined && { durationSeconds: seconds(backfill.startedAt, backfill.finishedAt, null)! }),
      ...(parts.length > 0 && { progress: parts.join(', ') }),
    };
  }

  private runObservation(run: Run): Observation {
    const state = stateOf(run.status, run.finishedAt);
    return {
      state,
      rawStatus: run.status ?? '',
      ...(run.startedAt && { startedAt: run.startedAt }),
      ...(run.finishedAt && { finishedAt: run.finishedAt }),
      ...(run.finishedAt && { end: endText(run.endField, run.finishedAt)! }),
      ...(seconds(run.startedAt, run.finishedAt, run.durationSeconds) !== undefined && {
        durationSeconds: seconds(run.startedAt, run.finishedAt, run.durationSeconds)!,
      }),
      ...(run.rowsWritten !== null && { progress: rowsText(run.rowsWritten, isTerminal(state), 'written') }),
    };
  }

  /**
   * GET /api/runs/{id}; when it answers 404, the pipeline's execution-status, then its runs list, but only
   * for OUR run id: another run's status is never taken for ours.
   */
  private async observeRun(target: PlxTarget, id: string, phase: 'baseline' | 'follow' | 'check'): Promise<Observation> {
    const run = await this.readRun(target, id, phase);
    if (run) return this.runObservation(run);
    return { state: 'unknown', rawStatus: '', progress: `run ${id} is not readable (GET /api/runs/${id} answered 404, and the pipeline does not show it)` };
  }

  private async readRun(target: PlxTarget, id: string, phase: 'baseline' | 'follow' | 'check' | 'logs'): Promise<Run | undefined> {
    const run = await this.api.getRun(id, phase);
    if (run || target.kind !== 'pipeline') return run;
    const pipeline = target.spec.pipeline;
    const status = await this.api.executionStatus(pipeline, phase);
    if (status && status.runId === id) {
      return {
        id,
        pipelineId: pipeline,
        status: status.status,
        createdAt: null,
        startedAt: status.startedAt,
        finishedAt: status.finishedAt,
        durationSeconds: null,
        rowsRead: null,
        rowsWritten: null,
        errorMessage: null,
        errorCode: null,
        errorStack: null,
        errorNode: null,
        idempotencyKey: null,
        keyField: null,
        endField: status.endField,
      };
    }
    return (await this.api.pipelineRuns(pipeline, phase)).find((r) => r.id === id);
  }

  // --- failures --------------------------------------------------------------------------------

  async failures(target: PlxTarget, handle: PlxHandle, observation: Observation, sink: LogSink, options: { fetchLogs: boolean }): Promise<FailedTask[]> {
    if (handle.kind === 'job') return [await this.jobFailure(target, handle.runId, sink, options)];
    if (handle.kind === 'backfill') return [await this.backfillFailure(target, handle.runId, sink, options)];
    return this.runFailures(target, handle.runId, observation, sink, options);
  }

  private async jobFailure(target: PlxTarget, id: string, sink: LogSink, options: { fetchLogs: boolean }): Promise<FailedTask> {
    const job = await this.api.getJob(id, 'logs');
    const task: FailedTask = {
      name: `sync job ${job.id}`,
      type: 'sync job',
      id: job.id,
      status: job.status ?? '(no status)',
      ...(job.startedAt && { startedAt: job.startedAt }),
      ...(job.finishedAt && { finishedAt: job.finishedAt }),
      logExcerpt: [],
      errorLines: job.errorMessage ? [job.errorMessage] : [],
    };
    if (!options.fetchLogs) {
      task.logNote = 'details were not fetched (logs: never)';
      return task;
    }
    const log = sink.open(`${target.label} sync job ${job.id}: ${task.status}`);
    if (job.errorMessage) log.write(`ERROR ${job.errorCode ? `[${job.errorCode}] ` : ''}${job.errorMessage}`);
    if (job.rowsSynced !== null) log.write(`rows synced: ${job.rowsSynced}`);
    try {
      const results = await this.api.jobResults(job.id, 'logs');
      if (results.totalRowsSynced !== null) log.write(`results: ${results.totalRowsSynced} rows synced in total`);
      for (const stream of results.streams) log.write(`results: ${stream.name}: ${stream.rows ?? '?'} rows`);
    } catch (error) {
      this.log.debug(`${target.label}: no results for job ${job.id}: ${error instanceof Error ? error.message : String(error)}`);
    }
    this.finishTask(task, log.finish(), job.errorMessage, `Planasonix keeps no log for sync jobs; its status is ${task.status} and it gave no error message`);
    return task;
  }

  private async backfillFailure(target: PlxTarget, id: string, sink: LogSink, options: { fetchLogs: boolean }): Promise<FailedTask> {
    const backfill = await this.api.getBackfill(id, 'logs');
    const task: FailedTask = {
      name: `backfill ${id}`,
      type: 'backfill',
      id,
      status: backfill?.status ?? '(unknown)',
      ...(backfill?.startedAt && { startedAt: backfill.startedAt }),
      ...(backfill?.finishedAt && { finishedAt: backfill.finishedAt }),
      logExcerpt: [],
      errorLines: backfill?.errorMessage ? [backfill.errorMessage] : [],
    };
    if (!backfill) {
      task.logNote = 'the backfill could not be read (404)';
      return task;
    }
    if (!options.fetchLogs) {
      task.logNote = 'details were not fetched (logs: never)';
      return task;
    }
    const log = sink.open(`${target.label} backfill ${id}: ${task.status}`);
    if (backfill.errorMessage) log.write(`ERROR ${backfill.errorCode ? `[${backfill.errorCode}] ` : ''}${backfill.errorMessage}`);
    if (backfill.progressPercent !== null) log.write(`progress: ${backfill.progressPercent}%`);
    for (const job of backfill.internalJobs) log.write(`internal job ${job.id}: ${job.status ?? '?'}`);
    this.finishTask(task, log.finish(), backfill.errorMessage, `Planasonix keeps no log for backfills; its status is ${task.status} and it gave no error message`);
    return task;
  }

  /**
   * The run's error (message + optional stack reference), its failing nodes (state, retries, rows) and their
   * logs. The run's error goes with the node it names (or the first failing node); without failing nodes,
   * the run itself is reported with the whole run log.
   */
  private async runFailures(target: PlxTarget, id: string, observation: Observation, sink: LogSink, options: { fetchLogs: boolean }): Promise<FailedTask[]> {
    const run = await this.readRun(target, id, 'logs');
    const nodes = (await this.api.runNodes(id, 'logs')) ?? [];
    const succeeded = observation.state === 'succeeded';
    // With logs: always on a succeeded run, every node is shown; otherwise the nodes that did not succeed.
    const wanted = succeeded
      ? nodes
      : nodes.filter((n) => {
          const state = stateOf(n.state, n.finishedAt);
          return state === 'failed' || state === 'cancelled' || n.id === run?.errorNode;
        });
    if (wanted.length === 0) return [await this.runTask(target, id, run, observation, sink, options)];
    const primary = wanted.find((n) => n.id === run?.errorNode) ?? wanted.find((n) => stateOf(n.state, n.finishedAt) !== 'succeeded');
    const tasks: FailedTask[] = [];
    for (const node of wanted) tasks.push(await this.nodeTask(target, id, node, node === primary ? run : undefined, sink, options));
    return tasks;
  }

  /** The run as one entry, with its error and the whole run log (no node to attribute them to). */
  private async runTask(target: PlxTarget, id: string, run: Run | undefined, observation: Observation, sink: LogSink, options: { fetchLogs: boolean }): Promise<FailedTask> {
    const task: FailedTask = {
      name: `run ${id}`,
      type: 'pipeline run',
      id,
      status: run?.status ?? (observation.rawStatus || '(no status)'),
      ...(run?.startedAt && { startedAt: run.startedAt }),
      ...(run?.finishedAt && { finishedAt: run.finishedAt }),
      logExcerpt: [],
      errorLines: run?.errorMessage ? [run.errorMessage] : [],
    };
    if (!options.fetchLogs) {
      task.logNote = 'logs were not fetched (logs: never)';
      return task;
    }
    const log = sink.open(`${target.label} run ${id}: ${task.status}`);
    this.writeRunError(run, log);
    const cut = await this.copyLog(id, undefined, log);
    this.finishTask(task, log.finish(), run?.errorMessage ?? null, 'the run log is empty');
    if (cut) this.noteCut(task, cut, sink);
    return task;
  }

  private writeRunError(run: Run | undefined, log: { write(line: string): void }): void {
    if (run?.errorMessage) log.write(`ERROR ${run.errorCode ? `[${run.errorCode}] ` : ''}${run.errorMessage}`);
    if (run?.errorStack) log.write(`stack reference: ${run.errorStack}`);
  }

  private async nodeTask(
    target: PlxTarget,
    runId: string,
    node: RunNode,
    run: Run | undefined,
    sink: LogSink,
    options: { fetchLogs: boolean },
  ): Promise<FailedTask> {
    const facts = [
      node.retries !== null ? `${node.retries} retries` : undefined,
      node.rowsRead !== null ? `${node.rowsRead} rows read` : undefined,
      node.rowsWritten !== null ? `${node.rowsWritten} rows written` : undefined,
    ].filter((f): f is string => f !== undefined);
    const errorMessage = run?.errorMessage ?? null;
    const task: FailedTask = {
      name: node.name,
      type: 'node',
      id: node.id,
      status: node.state ?? '(no state)',
      ...(node.startedAt && { startedAt: node.startedAt }),
      ...(node.finishedAt && { finishedAt: node.finishedAt }),
      logExcerpt: [],
      errorLines: errorMessage ? [errorMessage] : [],
    };
    if (!options.fetchLogs) {
      task.logNote = `logs were not fetched (logs: never)${facts.length ? `; ${facts.join(', ')}` : ''}`;
      return task;
    }
    const log = sink.open(`${target.label} run ${runId} › node ${node.name} (${node.id}): ${task.status}${facts.length ? ` — ${facts.join(', ')}` : ''}`);
    this.writeRunError(run, log);
    const cut = await this.copyLog(runId, node.id, log);
    this.finishTask(task, log.finish(), errorMessage, `the node's log is empty${facts.length ? `; ${facts.join(', ')}` : ''}`);
    if (cut) this.noteCut(task, cut, sink);
    return task;
  }

  /** Streams a run's (or node's) log into the sink; returns why it stopped early, if it did. */
  private async copyLog(runId: string, nodeId: string | undefined, log: { write(line: string): void }): Promise<{ reason: string; lines: number } | undefined> {
    let lines = 0;
    try {
      for await (const line of this.api.runLog(runId, nodeId)) {
        log.write(line);
        lines++;
      }
      return undefined;
    } catch (error) {
      return { reason: error instanceof Error ? error.message : String(error), lines };
    }
  }

  private noteCut(task: FailedTask, cut: { reason: string; lines: number }, sink: LogSink): void {
    task.logNote = cut.lines > 0 ? `the log was cut off after ${cut.lines} lines: ${cut.reason}` : `the log could not be fetched: ${cut.reason}`;
    sink.note(`(${task.logNote})`);
  }

  private finishTask(task: FailedTask, summary: { excerpt: string[]; errorLines: string[]; count: number }, errorMessage: string | null, emptyNote: string): void {
    task.logExcerpt = summary.excerpt;
    task.logLineCount = summary.count;
    if (!errorMessage) task.errorLines = summary.errorLines;
    else if (!summary.errorLines.some((l) => l.includes(errorMessage))) task.errorLines = [errorMessage, ...summary.errorLines].slice(0, 5);
    else task.errorLines = summary.errorLines;
    if (summary.count === 0) task.logNote = emptyNote;
  }

  // --- live logs -------------------------------------------------------------------------------

  /**
   * Live logs of a pipeline run: one GET /api/runs/{id}/logs per read, from where the last one stopped (see
   * live.ts), while the run runs and once more after it ended (then it is done). Sync jobs and backfills
   * have no log endpoint: said once (their error message comes with the failure details).
   */
  async liveLog(target: PlxTarget, handle: PlxHandle, observation: Observation, from: LiveLogCursor | undefined, line: (line: LiveLine) => void | Promise<void>): Promise<LiveLogRead> {
    const cursor = plxCursor(from);
    if (handle.kind !== 'run') {
      const once = `nolog:${handle.kind}`;
      if (cursor.said.includes(once)) return { cursor, lines: 0, notes: [] };
      cursor.said.push(once);
      const what = handle.kind === 'job' ? 'sync jobs' : 'backfills';
      return { cursor, lines: 0, notes: [`${target.label}: Planasonix ${what} have no log endpoint (only pipeline runs do); the job's error message is shown if it fails`] };
    }
    if (cursor.done || observation.state === 'queued') return { cursor, lines: 0, notes: [] };
    this.liveMask ??= secretMasker([this.settings.apiKey]);
    const read = await readRunLog(
      (since, answer) => this.api.runLogPage(handle.runId, undefined, since, answer),
      cursor,
      { id: handle.runId, label: `${target.label} run ${handle.runId}` },
      this.liveMask,
      line,
    );
    if (read.note === undefined && isTerminal(observation.state)) read.cursor.done = true;
    // The only note of a pipeline run's read is a failed read: a warning.
    return { cursor: read.cursor, lines: read.lines, notes: [], warnings: read.note ? [read.note] : [] };
  }

  /** The log file's masker (the same key), for live log lines. */
  private liveMask: ((text: string) => string) | undefined;

  // --- cancel ----------------------------------------------------------------------------------

  /**
   * Jobs: POST /api/v1/jobs/{id}/cancel; runs: DELETE /api/runs/{id}. Cooperative: the engine then reads
   * the run until it ends, and reports what really happened (cancelled, completed or failed).
   */
  async cancel(target: PlxTarget, handle: PlxHandle): Promise<CancelReport> {
    const what = `${WHAT[handle.kind]} ${handle.runId}`;
    if (handle.kind === 'backfill') {
      return {
        requested: false,
        accepted: false,
        note: `Planasonix documents no way to cancel a backfill: ${what} keeps going on the server (stop it in the Planasonix app)`,
      };
    }
    const answer = handle.kind === 'job' ? await this.api.cancelJob(handle.runId) : await this.api.cancelRun(handle.runId);
    if (answer.kind === 'accepted') {
      return {
        requested: true,
        accepted: true,
        note:
          `cancel of ${what} accepted (${answer.httpStatus}); Planasonix cancels cooperatively: the ${WHAT[handle.kind]} may finish its ` +
          'current batch and can still end completed or failed. Whatever it ends as, this step does not pass: it did not finish in time, or was cancelled',
      };
    }
    // 409/400: it had already ended (apis.md §3.6). Say how, so the report is true.
    let final = '';
    try {
      const observation = await this.observeHandle(target, handle, 'follow');
      final = `; it ended ${observation.rawStatus || observation.state}`;
    } catch {
      // the note stays without the final state
    }
    const why = answer.httpStatus === 404 ? 'was not found' : 'had already ended';
    return { requested: true, accepted: false, note: `cancel of ${what} refused (${answer.httpStatus}: ${answer.message}): it ${why}${final}` };
  }

  // --- wait, check -------------------------------------------------------------------------------

  async handleFor(target: PlxTarget, runId: string): Promise<PlxHandle> {
    const id = runId.trim();
    if (!id || /\s/.test(id)) throw new PlanasonixError(`run-id '${runId}' is not a Planasonix ${WHAT[this.handleKind(target)]} id (e.g. job_8f2a…, run_…)`);
    return this.handle(this.handleKind(target), id);
  }

  /**
   * The latest job of the connection or run of the pipeline (mode check): every page of the list (up to
   * MAX_PAGES), the latest picked by the server's timestamps, never by list position (the order of the lists
   * is undocumented, apis.md §3.5). A list that could not be read whole fails the complete-history proof.
   */
  async latest(target: PlxTarget): Promise<LatestRun<PlxHandle> | undefined> {
    if (target.kind === 'backfill') {
      throw new PlanasonixError('mode check cannot gate on a backfill: Planasonix documents no backfill list to find the latest one in');
    }
    if (target.kind === 'sync') {
      const list = await this.api.listJobsAll({ connection_id: target.spec.connection }, 'check', MAX_PAGES);
      const jobs = list.items.filter((j) => j.connectionId === null || j.connectionId === target.spec.connection);
      const picked = latestOf(jobs, 'job');
      if (!picked) return list.complete ? undefined : this.unreadable(list, 'job');
      const history = historyProof({ ...list, items: jobs }, 'job', picked.how);
      return this.latestRun(this.handle('job', picked.item.id), this.jobObservation(picked.item), picked.item.finishedAt, history);
    }
    const list = await this.api.pipelineRunsAll(target.spec.pipeline, 'check', MAX_PAGES);
    const picked = latestOf(list.items, 'run');
    if (!picked) return list.complete ? undefined : this.unreadable(list, 'run');
    return this.latestRun(this.handle('run', picked.item.id), this.runObservation(picked.item), picked.item.finishedAt, historyProof(list, 'run', picked.how));
  }

  private unreadable(list: ListResult<unknown>, what: string): never {
    throw new PlanasonixError(`the ${what} list could not be read whole: ${list.incomplete ?? 'it did not end'}`);
  }

  private latestRun(handle: PlxHandle, observation: Observation, finishedAt: string | null, history: Proof): LatestRun<PlxHandle> {
    const end = absoluteMs(finishedAt);
    // The age on the platform's own clock (its Date header), not this machine's.
    const now = this.http.serverNow() ?? this.clock.now();
    return { handle, observation, history, ...(end !== undefined && { ageMs: Math.max(0, now - end) }) };
  }
}

export const planasonixModule: ProviderModule = {
  platform: 'planasonix',
  authHeaders: (apiKey: string) => ({ Authorization: `Bearer ${apiKey}` }),
  create: (deps: ProviderDeps) => new PlanasonixProvider(deps) as unknown as Provider,
};

/**
 * TimeXtender Data Platform: trigger a task or a whole process map, find the execution the trigger caused,
 * follow it, and read the logs of what failed.
 *
 * The trigger answers 202 with no body and no id, and execution ids are not ordered by time (the doc's own
 * example: 98231 started before 97210). So the run we follow is an execution whose id was not in the
 * baseline taken just before the trigger: never "the highest id", never "the newest start".
 */
import { ApiError } from '../../core/http/index.js';
import { editDistance } from '../../core/names.js';
import { LogTail, type LogSink } from '../../core/logs.js';
import { isTerminal, normalizeStatus, type FailedTask, type Proof, type RunState, type StatusTable } from '../../core/outcome.js';
import type { TargetSpec } from '../../core/settings.js';
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
  ProviderModule,
  ResolvedTarget,
  RunHandle,
  TriggerResult,
} from '../../core/provider.js';
import { entryText, readExecutionLog, tdpCursor } from './live.js';
import type { TimextenderProcessMapSpec, TimextenderTaskSpec } from './targets.js';
import { LIST_PAGE_SIZE, TimextenderApi, type Execution, type ExecutionSummary, type HistoryRead, type ProcessMap, type Task } from './api.js';

/**
 * TDP status words (apis.md §1.7). Only `Finished` is documented as success. A word we do not know (e.g.
 * `Aborted`) is in progress while the execution has no end time, and a failure once it has one.
 */
export const TIMEXTENDER_STATUS: StatusTable = {
  succeeded: ['Finished'],
  failed: ['Failed'],
  cancelled: ['Cancelled', 'Canceled', 'Stopped'],
  queued: ['Queued'],
  running: ['Running'],
};

/** Task types whose log endpoint always answers [] (doc). */
const LOGLESS_TYPES = new Set(['Query', 'CompareQuery']);

/**
 * The largest shift a clock change makes in server-local times (apis.md §1.11: "when clocks go back, local
 * times repeat"). Two local times closer than this cannot be ordered across a change.
 */
const CLOCK_SHIFT_MS = 3_600_000;
/** Safety stop for paging the dashboard (GET /{workspace}/executions) in one batched read. */
const MAX_DASHBOARD_PAGES = 50;
/**
 * A dashboard entry that still shows an execution older than ours (the dashboard lags the history) is
 * trusted as "no news" for this long; then the run is read from its history directly, and again after as long.
 */
const DASHBOARD_STALE_MS = 60_000;
/** History reads sent at once when a batch must confirm several runs. */
const CONFIRM_CONCURRENCY = 8;
/** Two server-local times within this are the same start (the API shows whole seconds). */
const SAME_START_MS = 1000;
/**
 * How long a process map run must keep looking finished, on the step's clock, before it is judged green (the
 * default of ProviderDeps.settleMs). The server moves the map's lastExecutionDate at once and may dispatch the
 * members a moment later, and may pause between stages (apis.md §1.9: execution is asynchronous); in such a
 * moment the map shows no running or queued task, and a standalone run of a member that starts and ends then
 * cannot be told from the map's own member execution. Once the map dispatches, its member shows a second new
 * execution (the run is then ambiguous: red) or the counters show it working. A dispatch pause longer than
 * this with such a standalone run inside it is the one case no reading can tell apart (docs/timextender.md).
 */
export const MAP_SETTLE_MS = 10_000;

interface TaskTarget extends ResolvedTarget {
  kind: 'task';
  workspace: string;
  uat: string;
  taskType: string;
  taskId: number;
  taskName: string;
}

interface MapMember {
  taskType: string;
  taskId: number;
  taskName: string;
  /** The member's task shows `Disabled`: it never runs in a map run (apis.md §1.7). */
  disabled?: boolean;
}

interface MapTarget extends ResolvedTarget {
  kind: 'process-map';
  workspace: string;
  uat: string;
  processMapId: number;
  name: string;
}

type TdpTarget = TaskTarget | MapTarget;

interface TaskHandle extends RunHandle {
  kind: 'task';
  executionId: number;
}

/**
 * A process map has no execution id of its own; its run is named `<processMapId>@<start>` from the map's
 * `lastExecutionDate` (server local time). Member executions of this run are those not in `knownIds`
 * (taken before the trigger) or, when attaching to a run we did not start, those started at or after `since`.
 */
interface MapHandle extends RunHandle {
  kind: 'process-map';
  since: string | null;
  knownIds?: Record<string, number[]>;
}

type TdpHandle = TaskHandle | MapHandle;

interface TaskBaseline {
  kind: 'task';
  ids: Set<number>;
  /** The whole history was read (not cut short by the page bound). */
  complete: boolean;
  /** The latest start in it (server local time read as if UTC; compared with server times only). */
  latestStartMs?: number;
}

interface MapBaseline {
  kind: 'process-map';
  lastExecutionDate: string | null;
  knownIds: Record<string, number[]>;
}

type TdpBaseline = TaskBaseline | MapBaseline;

const memberKey = (m: { taskType: string; taskId: number }) => `${m.taskType}/${m.taskId}`;

function isRunningWord(status: string | null): boolean {
  const state = normalizeStatus(TIMEXTENDER_STATUS, status, false);
  return state === 'queued' || state === 'running';
}

/**
 * An execution has ended only when it has an end time AND a terminal status (apis.md §1.10 step 8): a
 * `Finished` without an end time is still in progress, never green.
 */
function executionState(e: Execution): RunState {
  const state = normalizeStatus(TIMEXTENDER_STATUS, e.status, e.endTime !== null);
  return e.endTime === null && isTerminal(state) ? 'running' : state;
}

/** Local server times compared with local server times only: 'YYYY-MM-DDTHH:mm:ss' sorts as text. */
function localTimeMs(text: string | null): number | undefined {
  if (!text) return undefined;
  const ms = Date.parse(/[zZ]|[+-]\d\d:?\d\d$/.test(text) ? text : `${text}Z`);
  return Number.isNaN(ms) ? undefined : ms;
}

export class TimextenderProvider implements Provider<TdpTarget, TdpHandle, TdpBaseline> {
  readonly platform = 'timextender' as const;
  readonly statusTable = TIMEXTENDER_STATUS;
  /** The trigger carries nothing but the environment: a run of the target started after the baseline is equivalent. */
  readonly adoption = 'equivalent' as const;
  readonly timeNote = 'Times are the TimeXtender server’s local time (the API gives no offset).';
  private readonly api: TimextenderApi;
  /** Members of each map, read once per step. */
  private readonly members = new Map<string, MapMember[]>();
  /** The latest history page read for each task target (the baseline's), reused by `history`. */
  private readonly recentHistory = new Map<string, Execution[]>();
  /** What the history last said about each followed task execution, for reading the dashboard safely. */
  private readonly known = new Map<string, KnownRun>();
  /** The baseline this step took of each map (to tell a map run of ours that has not dispatched its members yet). */
  private readonly mapBaselines = new Map<string, MapBaseline>();
  /**
   * The first lastExecutionDate seen to differ from the baseline, per map (the start of the run this step's
   * trigger started, unless the date moved twice between two looks): the date may move on to a later run
   * (a colleague's, queued behind ours) before ours is found.
   */
  private readonly firstMoved = new Map<object, string | null>();
  /**
   * Per map run followed (target and run id): since when (step clock) every proof has held, and for how many
   * member executions; see MAP_SETTLE_MS.
   */
  private readonly doneSince = new Map<string, { at: number; runs: number }>();
  /** Per map run followed: the member executions its latest status read accounted for (live logs read these). */
  private readonly lastAccounts = new Map<string, RunAccount>();
  /** The log file's masker (the same key), for live log lines. */
  private readonly mask: (text: string) => string;

  constructor(private readonly deps: ProviderDeps) {
    this.api = new TimextenderApi(deps.http);
    this.mask = secretMasker([deps.settings.apiKey]);
  }

  // --- resolve ---------------------------------------------------------------------------------

  async resolve(spec: TargetSpec): Promise<TdpTarget> {
    if (spec.platform !== 'timextender') throw new Error(`not a TimeXtender target: ${spec.label}`);
    return spec.kind === 'task' ? this.resolveTask(spec) : this.resolveMap(spec);
  }

  private async resolveTask(spec: TimextenderTaskSpec): Promise<TaskTarget> {
    const base = { spec, kind: 'task' as const, workspace: spec.workspace, uat: spec.environment, taskType: spec.taskType };
    if (/^\d+$/.test(spec.ref)) {
      const task = await this.api.getTask(spec.workspace, spec.taskType, Number(spec.ref), spec.environment);
      return { ...base, taskId: Number(spec.ref), taskName: task.taskName, label: spec.label };
    }
    const tasks = (await this.api.allTasks(spec.workspace, spec.environment)).filter((t) => t.taskType === spec.taskType);
    const task = chooseByName(tasks, spec.ref, (t) => t.taskName, (t) => `${t.taskType}/${t.taskId}`, `${spec.taskType} task`, spec.workspace);
    return { ...base, taskId: task.taskId, taskName: task.taskName, label: `${spec.label} (${task.taskType}/${task.taskId})` };
  }

  private async resolveMap(spec: TimextenderProcessMapSpec): Promise<MapTarget> {
    const maps = await this.api.allProcessMaps(spec.workspace, spec.environment);
    let map: ProcessMap | undefined;
    if (/^\d+$/.test(spec.ref)) {
      map = maps.find((m) => m.processMapId === Number(spec.ref));
      if (!map) {
        throw new ResolveError(
          `process map ${spec.ref} is not in workspace '${spec.workspace}' (or not visible to this key). ` +
            suggest(maps.map((m) => `${m.processMapId} (${m.name})`)),
        );
      }
    } else {
      map = chooseByName(maps, spec.ref, (m) => m.name, (m) => String(m.processMapId), 'process map', spec.workspace);
    }
    const label = /^\d+$/.test(spec.ref) ? `${spec.label} (${map.name})` : `${spec.label} (${map.processMapId})`;
    return { spec, kind: 'process-map', workspace: spec.workspace, uat: spec.environment, processMapId: map.processMapId, name: map.name, label, composite: true };
  }

  // --- task ------------------------------------------------------------------------------------

  /** Every page of a task's history that is needed (the order is unreliable and pages may be capped). */
  private readAll(
    t: { workspace: string; uat: string; taskType: string; taskId: number },
    phase: 'baseline' | 'find' | 'follow' | 'check',
    stop?: (page: Execution[]) => boolean,
  ): Promise<HistoryRead> {
    return this.api.allTaskExecutions(t.workspace, t.taskType, t.taskId, t.uat, phase, stop);
  }

  /** Finds an execution by id wherever it sits in the (unreliably ordered, possibly capped) history. */
  private async executionById(target: TaskTarget, executionId: number): Promise<Execution | undefined> {
    const read = await this.readAll(target, 'follow', (page) => page.some((e) => e.executionId === executionId));
    return read.items.find((e) => e.executionId === executionId);
  }

  private taskObservation(e: Execution): Observation {
    const state = executionState(e);
    return {
      state,
      rawStatus: e.status ?? '',
      startedAt: e.startTime ?? undefined,
      finishedAt: e.endTime ?? undefined,
      durationSeconds: e.durationSeconds ?? undefined,
      // The end is shown only by an end time on an execution whose status is terminal (apis.md §1.10 step 8).
      end: e.endTime !== null && isTerminal(state) ? `endTime ${e.endTime} (execution ${e.executionId})` : undefined,
    };
  }

  // --- process map -------------------------------------------------------------------------------

  /** The members of the map (read once per step; `fresh` reads them again, e.g. to see which are disabled now). */
  private async mapMembers(target: MapTarget, phase: 'baseline' | 'find' | 'follow' | 'check' = 'baseline', fresh = false): Promise<MapMember[]> {
    const key = `${target.workspace}/${target.processMapId}/${target.uat}`;
    let members = fresh ? undefined : this.members.get(key);
    if (!members) {
      const tasks = await this.api.processMapTasks(target.workspace, target.processMapId, target.uat, phase);
      members = tasks.map((t) => ({
        taskType: t.taskType,
        taskId: t.taskId,
        taskName: t.taskName,
        disabled: (t.status ?? '').trim().toLowerCase() === 'disabled',
      }));
      this.members.set(key, members);
    }
    return members;
  }

  private async readMap(target: MapTarget, phase: 'baseline' | 'find' | 'follow' | 'check'): Promise<ProcessMap> {
    const maps = await this.api.allProcessMaps(target.workspace, target.uat, phase);
    const map = maps.find((m) => m.processMapId === target.processMapId);
    if (!map) throw new ResolveError(`process map ${target.processMapId} is no longer visible in workspace '${target.workspace}'`);
    return map;
  }

  /** Every member's history, all pages. */
  private async memberReads(target: MapTarget, members: MapMember[], phase: 'baseline' | 'find' | 'follow' | 'check'): Promise<MemberRead[]> {
    const out: MemberRead[] = [];
    for (const member of members) out.push({ member, history: await this.readAll({ workspace: target.workspace, uat: target.uat, taskType: member.taskType, taskId: member.taskId }, phase) });
    return out;
  }

  /** Reads the map, its members and their histories, and accounts for this map run's member executions. */
  private async mapRun(target: MapTarget, handle: MapHandle, phase: 'follow' | 'check'): Promise<{ map: ProcessMap; account: RunAccount }> {
    const map = await this.readMap(target, phase);
    const members = await this.mapMembers(target, phase, true);
    const reads = await this.memberReads(target, members, phase);
    // With this step's baseline, every member execution since it belongs to the runs followed (see find).
    if (handle.knownIds || phase === 'check' || handle.since === null || map.lastExecutionDate === null || map.lastExecutionDate === handle.since) {
      return { map, account: accountMapRun(reads, handle.since, handle.knownIds) };
    }
    // A run followed without our baseline (attach, wait) whose map date has moved on: from its creation to its
    // start (it waited in a queue), or to a later run. Executions since the run's date may then be standalone
    // runs of members from the queue window, so the account widens conservatively: every execution since the
    // run's date is judged, and the members must also have run since the map's new date.
    const sinceMs = localTimeMs(handle.since);
    const known: Record<string, number[]> = {};
    for (const { member, history } of reads) {
      known[memberKey(member)] = history.items.filter((e) => sinceMs !== undefined && startMs(e) < sinceMs - SAME_START_MS).map((e) => e.executionId);
    }
    return { map, account: accountMapRun(reads, map.lastExecutionDate, known) };
  }

  /**
   * A map run that looks finished and green is reported in progress until it has looked so for MAP_SETTLE_MS
   * (the same member executions, every proof holding on each read): it may not have dispatched every member.
   */
  private settled(key: string, observation: Observation, runs: number): Observation {
    if (observation.state !== 'succeeded') {
      this.doneSince.delete(key);
      return observation;
    }
    const now = this.deps.clock.now();
    const since = this.doneSince.get(key);
    if (since === undefined || since.runs !== runs) this.doneSince.set(key, { at: now, runs });
    const leftMs = (this.deps.settleMs ?? MAP_SETTLE_MS) - (now - this.doneSince.get(key)!.at);
    if (leftMs <= 0) return observation;
    const why = `every member execution seen has ended; looking again in ${Math.ceil(leftMs / 1000)} s in case the map has not dispatched every member yet (a standalone run of a member looks the same)`;
    return { ...observation, state: 'running', rawStatus: 'Running', finishedAt: undefined, durationSeconds: undefined, end: undefined, progress: `${why}; ${observation.progress ?? ''}` };
  }

  private mapHandle(target: MapTarget, since: string | null, knownIds?: Record<string, number[]>): MapHandle {
    return { kind: 'process-map', runId: `${target.processMapId}@${since ?? 'unknown'}`, since, knownIds };
  }

  // --- the Provider steps ----------------------------------------------------------------------

  async inFlight(target: TdpTarget): Promise<InFlight<TdpHandle> | undefined> {
    if (target.kind === 'task') {
      const task = await this.api.getTask(target.workspace, target.taskType, target.taskId, target.uat, 'baseline');
      if (!isRunningWord(task.status)) return undefined;
      const isActive = (e: Execution) => e.endTime === null && isRunningWord(e.status);
      const running = (await this.readAll(target, 'baseline', (page) => page.some(isActive))).items.find(isActive);
      return {
        description: `task status ${task.status}${running ? `, execution ${running.executionId}` : ''}`,
        handle: running ? { kind: 'task', runId: String(running.executionId), executionId: running.executionId } : undefined,
      };
    }
    const map = await this.readMap(target, 'baseline');
    if (map.runningTasks + map.queuedTasks > 0) {
      // Busy. But a handle (what if-running: attach and mode wait follow) only when a member execution of the
      // map's last run is itself in flight: running counters may come from a standalone run of a member, and
      // attaching then would judge the map's last run, which may have ended long ago.
      const reads = await this.memberReads(target, await this.mapMembers(target, 'baseline'), 'baseline');
      const account = accountMapRun(reads, map.lastExecutionDate, undefined);
      const ownInFlight = account.runs.some((r) => !hasEnded(r.execution));
      return {
        description:
          `${map.runningTasks} task(s) running, ${map.queuedTasks} queued since ${map.lastExecutionDate ?? 'an unknown time'}` +
          (ownInFlight ? '' : ' (no member execution of the last map run is in flight: a standalone run of a member, or members not dispatched yet)'),
        handle: ownInFlight ? this.mapHandle(target, map.lastExecutionDate) : undefined,
      };
    }
    // The map's last run has no member execution at all: it has not dispatched its members yet (the server
    // moves lastExecutionDate at once and dispatches a moment later, apis.md §1.5 #4), so it is in flight
    // although no counter shows it. Triggering now could queue our run behind it, and its members would look
    // like ours. (A last run that ran no member at all also lands here: busy is the safe reading.)
    if (map.lastExecutionDate !== null) {
      const reads = await this.memberReads(target, await this.mapMembers(target, 'baseline'), 'baseline');
      if (reads.length > 0 && accountMapRun(reads, map.lastExecutionDate, undefined).runs.length === 0) {
        return { description: `the process map's last run (${map.lastExecutionDate}) shows no member execution yet: its members are not dispatched yet` };
      }
    }
    // A map run this step may have started (its trigger's answer lost) moves lastExecutionDate at once but may
    // dispatch its members a moment later (apis.md §1.5 #4): until a member shows up it is in flight, not idle.
    const baseline = this.mapBaselines.get(mapKeyOf(target));
    if (baseline && map.lastExecutionDate !== baseline.lastExecutionDate) {
      const reads = await this.memberReads(target, await this.mapMembers(target, 'baseline'), 'baseline');
      const account = accountMapRun(reads, map.lastExecutionDate, baseline.knownIds);
      if (account.runs.length === 0) {
        return {
          description: `the process map's last execution date moved to ${map.lastExecutionDate ?? 'empty'} but no member has been dispatched yet`,
          handle: this.mapHandle(target, map.lastExecutionDate, baseline.knownIds),
        };
      }
    }
    return undefined;
  }

  async baseline(target: TdpTarget): Promise<TdpBaseline> {
    if (target.kind === 'task') {
      const read = await this.readAll(target, 'baseline');
      this.recentHistory.set(taskKeyOf(target), read.items);
      const starts = read.items.map((e) => localTimeMs(e.startTime)).filter((ms): ms is number => ms !== undefined);
      if (!read.complete) this.deps.log.debug(`${target.label}: baseline history: ${read.note}`);
      return {
        kind: 'task',
        ids: new Set(read.items.map((e) => e.executionId)),
        complete: read.complete,
        latestStartMs: starts.length > 0 ? Math.max(...starts) : undefined,
      };
    }
    const map = await this.readMap(target, 'baseline');
    const knownIds: Record<string, number[]> = {};
    for (const read of await this.memberReads(target, await this.mapMembers(target), 'baseline')) {
      knownIds[memberKey(read.member)] = read.history.items.map((e) => e.executionId);
    }
    const baseline: MapBaseline = { kind: 'process-map', lastExecutionDate: map.lastExecutionDate, knownIds };
    this.mapBaselines.set(mapKeyOf(target), baseline);
    return baseline;
  }

  async trigger(target: TdpTarget): Promise<TriggerResult<TdpHandle>> {
    try {
      if (target.kind === 'task') await this.api.triggerTask(target.workspace, target.taskType, target.taskId, target.uat);
      else await this.api.triggerProcessMap(target.workspace, target.processMapId, target.uat);
      return { kind: 'accepted' };
    } catch (error) {
      if (error instanceof ApiError && error.status === 409) {
        const what = target.kind === 'task' ? 'the task is already running or queued' : 'the process map is already running';
        return { kind: 'already-running', message: `${what} (409${error.problem?.title ? `: ${error.problem.title}` : ''})` };
      }
      throw error;
    }
  }

  async find(target: TdpTarget, baseline: TdpBaseline): Promise<FindResult<TdpHandle>> {
    if (target.kind === 'task' && baseline.kind === 'task') {
      // Every page: with an oldest-first order or capped pages the new execution is not on page 1.
      const read = await this.readAll(target, 'find');
      const fresh = read.items.filter((e) => {
        if (baseline.ids.has(e.executionId)) return false;
        // A baseline cut short by the page bound may have missed old executions: only a start no earlier
        // than the baseline's latest one (less a clock change) is then new.
        if (baseline.complete || baseline.latestStartMs === undefined) return true;
        const start = localTimeMs(e.startTime);
        return start === undefined || start >= baseline.latestStartMs - CLOCK_SHIFT_MS;
      });
      if (fresh.length > 0) {
        // Earliest start first: the trigger's own run is the likeliest first newcomer; the rest are reported.
        fresh.sort((a, b) => (localTimeMs(a.startTime) ?? Infinity) - (localTimeMs(b.startTime) ?? Infinity) || a.executionId - b.executionId);
        for (const e of fresh) this.remember(target, e);
        const [first, ...rest] = fresh.map((e): TaskHandle => ({ kind: 'task', runId: String(e.executionId), executionId: e.executionId }));
        return { kind: 'found', handle: first!, others: rest, identity: 'an execution of this task and environment whose id was not in the history read just before the trigger' };
      }
      const task = await this.api.getTask(target.workspace, target.taskType, target.taskId, target.uat, 'find');
      return isRunningWord(task.status)
        ? { kind: 'pending', accepted: true, reason: `the task is ${task.status} but no new execution is listed yet` }
        : { kind: 'pending', reason: `the task status is ${task.status ?? 'empty'}` };
    }
    if (target.kind === 'process-map' && baseline.kind === 'process-map') {
      const map = await this.readMap(target, 'find');
      const moved = map.lastExecutionDate !== baseline.lastExecutionDate;
      if (moved) {
        if (!this.firstMoved.has(baseline)) this.firstMoved.set(baseline, map.lastExecutionDate);
        const runStart = this.firstMoved.get(baseline) ?? map.lastExecutionDate;
        // A moved lastExecutionDate alone is not a start (defect: the server moves it at once and dispatches
        // the members a moment later). The run has started when a member execution of it is listed. Every
        // member execution not in the baseline counts, whatever lastExecutionDate says now: it may already
        // have moved on to a later run (a colleague's, queued behind ours), and ours must not be dropped.
        const reads = await this.memberReads(target, await this.mapMembers(target, 'find'), 'find');
        const account = accountMapRun(reads, runStart, baseline.knownIds);
        if (account.runs.length > 0) {
          return {
            kind: 'found',
            handle: this.mapHandle(target, runStart, baseline.knownIds),
            identity:
              `the process map's last execution date moved from ${baseline.lastExecutionDate ?? 'empty'} to ${runStart ?? 'empty'} ` +
              `and ${account.runs.length} member execution(s) not in the baseline started since`,
          };
        }
        return {
          kind: 'pending',
          accepted: true,
          reason: `the process map's last execution date moved to ${map.lastExecutionDate ?? 'empty'}, but no member execution of this run is listed yet`,
        };
      }
      if (map.runningTasks + map.queuedTasks > 0) {
        return { kind: 'pending', accepted: true, reason: `the process map shows ${map.runningTasks} running and ${map.queuedTasks} queued task(s), but its last execution date is still ${map.lastExecutionDate ?? 'empty'}` };
      }
      return { kind: 'pending', reason: `the process map's last execution date is still ${map.lastExecutionDate ?? 'empty'}` };
    }
    throw new Error('baseline does not match the target');
  }

  async observe(target: TdpTarget, handle: TdpHandle): Promise<Observation> {
    if (target.kind === 'task' && handle.kind === 'task') {
      const execution = await this.executionById(target, handle.executionId);
      if (!execution) {
        return { state: 'unknown', rawStatus: '', progress: `execution ${handle.executionId} is not in the task's history`, notFound: true };
      }
      return this.remember(target, execution).observation;
    }
    if (target.kind === 'process-map' && handle.kind === 'process-map') {
      const { map, account } = await this.mapRun(target, handle, 'follow');
      this.lastAccounts.set(`${mapKeyOf(target)}#${handle.runId}`, account);
      const observation = mapObservation(map, account, 'follow');
      return this.settled(`${mapKeyOf(target)}#${handle.runId}`, observation, account.runs.length);
    }
    throw new Error('handle does not match the target');
  }

  /**
   * Several runs at once. Task runs of one workspace and environment are read from the dashboard
   * (GET /{workspace}/executions: one entry per task, its latest state; one request per page for all of
   * them). The dashboard has no execution ids and may lag the history (apis.md §1.11), so it is only
   * trusted to say "still going": an entry that shows an end, a later start than ours, or nothing, is
   * confirmed by reading our execution id from the task's history, and only that read ends a run. An entry
   * still showing an older execution is "no news" for up to DASHBOARD_STALE_MS, then the history is read.
   * Process maps, and a lone task of a workspace, are read one by one.
   */
  async observeMany(items: Array<{ target: TdpTarget; handle: TdpHandle }>): Promise<Array<Observation | Error>> {
    const results: Array<Observation | Error | undefined> = new Array(items.length);
    const groups = new Map<string, number[]>();
    const direct: number[] = [];
    items.forEach(({ target, handle }, i) => {
      if (target.kind === 'task' && handle.kind === 'task') {
        const key = `${target.workspace}\u0000${target.uat}`;
        groups.set(key, [...(groups.get(key) ?? []), i]);
      } else {
        direct.push(i);
      }
    });
    for (const indices of groups.values()) {
      if (indices.length < 2) {
        direct.push(...indices);
        continue;
      }
      try {
        const confirm = await this.readDashboard(items, indices, results);
        direct.push(...confirm);
      } catch (error) {
        // The dashboard could not be read: read each run from its history instead (correctness first).
        this.deps.log.debug(`dashboard read failed (${error instanceof Error ? error.message : String(error)}); reading ${indices.length} runs one by one`);
        direct.push(...indices);
      }
    }
    await eachLimited(direct, CONFIRM_CONCURRENCY, async (i) => {
      try {
        results[i] = await this.observe(items[i]!.target, items[i]!.handle);
      } catch (error) {
        results[i] = error instanceof Error ? error : new Error(String(error));
      }
    });
    return results.map((r) => r ?? new Error('no status was read'));
  }

  /**
   * Fills `results` for the task runs at `indices` (one workspace and environment) from the dashboard, and
   * returns the indices whose state must be read from the history instead.
   */
  private async readDashboard(
    items: Array<{ target: TdpTarget; handle: TdpHandle }>,
    indices: number[],
    results: Array<Observation | Error | undefined>,
  ): Promise<number[]> {
    const first = items[indices[0]!]!.target as TaskTarget;
    const wanted = new Set(indices.map((i) => taskKeyOf(items[i]!.target as TaskTarget)));
    const entries = new Map<string, ExecutionSummary>();
    const seen = new Set<string>();
    for (let page = 0; page < MAX_DASHBOARD_PAGES; page++) {
      const list = await this.api.listExecutionSummaries(first.workspace, first.uat, { limit: LIST_PAGE_SIZE, offset: page * LIST_PAGE_SIZE }, 'follow');
      let added = 0;
      for (const entry of list) {
        if (entry.taskId === null) continue;
        const key = taskKeyOf({ workspace: first.workspace, uat: first.uat, taskType: entry.taskType, taskId: entry.taskId });
        if (!seen.has(key)) added++;
        seen.add(key);
        if (wanted.has(key)) entries.set(key, entry);
      }
      // Stop at the last page, at a page that adds nothing (a server ignoring offset), or once every run is found.
      if (list.length < LIST_PAGE_SIZE || added === 0 || entries.size === wanted.size) break;
    }
    const confirm: number[] = [];
    const now = this.deps.clock.now();
    for (const i of indices) {
      const target = items[i]!.target as TaskTarget;
      const handle = items[i]!.handle as TaskHandle;
      const known = this.known.get(runKeyOf(target, handle.executionId));
      const verdict = dashboardVerdict(entries.get(taskKeyOf(target)), known, now);
      if (verdict.kind === 'confirm') {
        confirm.push(i);
      } else if (verdict.kind === 'running') {
        if (known) known.staleSince = undefined;
        results[i] = verdict.observation;
      } else {
        known!.staleSince ??= now;
        results[i] = known!.observation;
      }
    }
    return confirm;
  }

  /** Notes what the history says about one of our executions (its start and state), and returns it. */
  private remember(target: TaskTarget, e: Execution): KnownRun {
    const run: KnownRun = { startMs: localTimeMs(e.startTime), observation: this.taskObservation(e) };
    this.known.set(runKeyOf(target, e.executionId), run);
    return run;
  }

  async failures(target: TdpTarget, handle: TdpHandle, _observation: Observation, sink: LogSink, options: { fetchLogs: boolean }): Promise<FailedTask[]> {
    if (target.kind === 'task' && handle.kind === 'task') {
      const execution = await this.executionById(target, handle.executionId);
      if (!execution) return [];
      return [await this.describeExecution(target.workspace, { taskType: target.taskType, taskId: target.taskId, taskName: target.taskName }, execution, sink, options)];
    }
    if (target.kind === 'process-map' && handle.kind === 'process-map') {
      const runs = (await this.mapRun(target, handle, 'follow')).account.runs;
      const failed = runs.filter((r) => executionState(r.execution) !== 'succeeded');
      const wanted = _observation.state === 'succeeded' ? runs : failed;
      const out: FailedTask[] = [];
      for (const run of wanted) out.push(await this.describeExecution(target.workspace, run.member, run.execution, sink, options));
      return out;
    }
    return [];
  }

  /** One execution as a FailedTask, its full log streamed to the sink. */
  private async describeExecution(
    workspace: string,
    member: MapMember,
    execution: Execution,
    sink: LogSink,
    options: { fetchLogs: boolean },
  ): Promise<FailedTask> {
    const task: FailedTask = {
      name: member.taskName || memberKey(member),
      type: member.taskType,
      id: String(member.taskId),
      status: execution.status ?? '(no status)',
      startedAt: execution.startTime ?? undefined,
      finishedAt: execution.endTime ?? undefined,
      logExcerpt: [],
      errorLines: [],
    };
    if (!options.fetchLogs) {
      task.logNote = 'logs were not fetched (logs: never)';
      return task;
    }
    if (LOGLESS_TYPES.has(member.taskType)) {
      task.logNote = `${member.taskType} tasks keep no execution log in the API (it always answers an empty list); see the TimeXtender web application for the query result`;
      return task;
    }
    const title = `${workspace}/${memberKey(member)} (${member.taskName}) execution ${execution.executionId}: ${task.status}`;
    const kept = this.liveKept.get(`${workspace}/${memberKey(member)}#${execution.executionId}`);
    if (kept?.done && kept.whole) {
      // logs: live saw the whole log after the end: its lines are in the file already, and printed.
      const summary = kept.tail.summary();
      sink.note(`===== ${title} =====`);
      sink.note(`(its ${summary.count} log lines are above in this file, as printed live; not downloaded again)`);
      task.logExcerpt = summary.excerpt;
      task.errorLines = summary.errorLines;
      task.logLineCount = summary.count;
      if (summary.count === 0) task.logNote = 'the execution log is empty';
      return task;
    }
    const log = sink.open(title);
    let written = 0;
    let lastError: unknown;
    // A log cut off mid-way (or garbled) is fetched again from where it stopped: three times at most, and only
    // once more after an attempt that read nothing (the HTTP client has already retried the request itself).
    for (let attempt = 0; attempt < 3; attempt++) {
      const before = written;
      try {
        for await (const entry of this.api.executionLog(workspace, member.taskType, member.taskId, execution.executionId, written)) {
          log.write(entryText(entry));
          written++;
        }
        lastError = undefined;
        break;
      } catch (error) {
        lastError = error;
        if (written === before && attempt > 0) break;
      }
    }
    const summary = log.finish();
    task.logExcerpt = summary.excerpt;
    task.errorLines = summary.errorLines;
    task.logLineCount = summary.count;
    if (lastError) {
      const reason = lastError instanceof Error ? lastError.message : String(lastError);
      task.logNote = summary.count > 0 ? `the log was cut off after ${summary.count} lines: ${reason}` : `the log could not be fetched: ${reason}`;
      sink.note(`(${task.logNote})`);
    } else if (summary.count === 0) {
      task.logNote = 'the execution log is empty';
    }
    return task;
  }

  /**
   * Live logs: one log read per execution of the run that is running, or that ended since its log was last
   * read (then it is done). A task run is its execution; a map run is the member executions its latest
   * status read accounted for (no extra status request). Query and CompareQuery logs are always empty: said
   * once per task. See live.ts for how a log without a cursor is followed.
   */
  async liveLog(target: TdpTarget, handle: TdpHandle, observation: Observation, from: LiveLogCursor | undefined, line: (line: LiveLine) => void | Promise<void>): Promise<LiveLogRead> {
    const cursor = tdpCursor(from);
    const notes: string[] = [];
    const warnings: string[] = [];
    let lines = 0;
    const items: Array<{ member: MapMember; executionId: number; state: RunState }> = [];
    if (target.kind === 'task' && handle.kind === 'task') {
      items.push({ member: { taskType: target.taskType, taskId: target.taskId, taskName: target.taskName }, executionId: handle.executionId, state: observation.state });
    } else if (target.kind === 'process-map' && handle.kind === 'process-map') {
      const account = this.lastAccounts.get(`${mapKeyOf(target)}#${handle.runId}`);
      for (const run of account?.runs ?? []) items.push({ member: run.member, executionId: run.execution.executionId, state: executionState(run.execution) });
    }
    for (const { member, executionId, state } of items) {
      const key = `${memberKey(member)}#${executionId}`;
      const label = `${memberName(member)} execution ${executionId}`;
      if (LOGLESS_TYPES.has(member.taskType)) {
        const once = `logless:${memberKey(member)}`;
        if (!cursor.said.includes(once)) {
          cursor.said.push(once);
          notes.push(`${label}: ${member.taskType} tasks keep no execution log in the API (it always answers an empty list)`);
        }
        continue;
      }
      const place = cursor.x[key];
      if (place?.done) continue;
      // A queued execution has written nothing yet; an unknown state is read (it may be running).
      if (state === 'queued') continue;
      const id = `${target.workspace}/${key}`;
      // What the failure details need (last lines, error lines), kept as the lines go by: bounded.
      let kept = this.liveKept.get(id);
      if (!kept) this.liveKept.set(id, (kept = { tail: new LogTail(this.deps.settings.logLines), whole: true, done: false }));
      const tail = kept.tail;
      const read = await readExecutionLog(
        (skip) => this.api.executionLog(target.workspace, member.taskType, member.taskId, executionId, skip),
        place,
        { id, label },
        this.mask,
        (l) => {
          tail.add(l.text);
          return line(l);
        },
      );
      lines += read.lines;
      if (read.note) (read.failed ? warnings : notes).push(read.note);
      // Rewritten or shortened: lines may come twice, so the kept lines are no longer the log.
      if (read.note && !read.failed) kept.whole = false;
      // Done once a read after the end went through whole (a rewritten log is read again next time).
      const complete = read.note === undefined && !read.place.scan;
      if (complete && isTerminal(state)) kept.done = true;
      cursor.x[key] = { ...read.place, ...(complete && isTerminal(state) && { done: true }) };
    }
    return { cursor, lines, notes, warnings };
  }

  /**
   * Per execution (`workspace/taskType/taskId#executionId`), what its live read handed over: the failure
   * details reuse it instead of downloading the log again, when the live read saw the whole log once.
   */
  private readonly liveKept = new Map<string, { tail: LogTail; whole: boolean; done: boolean }>();

  /** Durations of the task's recent successful executions: the baseline's page when there was one, else one read. */
  async history(target: TdpTarget): Promise<number[]> {
    if (target.kind !== 'task') return [];
    const items = this.recentHistory.get(taskKeyOf(target)) ?? (await this.readAll(target, 'baseline')).items;
    return items.filter((e) => executionState(e) === 'succeeded' && e.durationSeconds !== null).map((e) => e.durationSeconds!);
  }

  async handleFor(target: TdpTarget, runId: string): Promise<TdpHandle> {
    if (target.kind === 'task') {
      if (!/^\d+$/.test(runId)) throw new ResolveError(`run-id '${runId}' is not a TimeXtender execution id (digits, e.g. 97210)`);
      return { kind: 'task', runId, executionId: Number(runId) };
    }
    const match = /^(\d+)@(.+)$/.exec(runId);
    if (!match || Number(match[1]) !== target.processMapId) {
      throw new ResolveError(`run-id '${runId}' is not a run of process map ${target.processMapId} (expected ${target.processMapId}@<start time>)`);
    }
    return this.mapHandle(target, match[2] === 'unknown' ? null : match[2]!);
  }

  async latest(target: TdpTarget): Promise<LatestRun<TdpHandle> | undefined> {
    if (target.kind === 'task') {
      const read = await this.readAll(target, 'check');
      if (read.items.length === 0 && read.complete) return undefined;
      if (read.items.length === 0) {
        // Nothing readable, and no proof the history is empty: not a "never ran".
        const observation: Observation = { state: 'unknown', rawStatus: '', progress: read.note };
        return { handle: { kind: 'task', runId: 'unknown', executionId: -1 }, observation, history: { ok: false, detail: read.note } };
      }
      const pick = pickLatest(read.items);
      const chosen = pick.execution;
      const handle: TaskHandle = { kind: 'task', runId: String(chosen.executionId), executionId: chosen.executionId };
      const observation = this.taskObservation(chosen);
      const history: Proof = read.complete ? { ok: true, detail: `${read.note}; ${pick.how}` } : { ok: false, detail: `${read.note}; the latest run cannot be told` };
      return { handle, observation, history, ...this.ageOf(observation.finishedAt) };
    }
    let { map, reads, account, observation } = await this.lastMapRun(target);
    if (!map.lastExecutionDate) return undefined;
    // A green last run whose every member execution ended within MAP_SETTLE_MS of the map's start may be
    // standalone runs of its members from before the map dispatched its own: look again once that has passed.
    const startMs = localTimeMs(map.lastExecutionDate);
    const endMs = localTimeMs(observation.finishedAt ?? null);
    const settleMs = this.deps.settleMs ?? MAP_SETTLE_MS;
    if (observation.state === 'succeeded' && startMs !== undefined && endMs !== undefined && endMs - startMs < settleMs) {
      await this.deps.clock.sleep(settleMs, this.deps.signal);
      const again = await this.lastMapRun(target);
      if (again.map.lastExecutionDate === map.lastExecutionDate) ({ map, reads, account, observation } = again);
      else observation = { ...observation, state: 'failed', rawStatus: 'Unproven', progress: `the map started another run while its last one was being confirmed; ${observation.progress ?? ''}` };
    }
    const handle = this.mapHandle(target, map.lastExecutionDate);
    const incomplete = reads.filter((r) => !r.history.complete);
    const pages = reads.reduce((n, r) => n + r.history.pages, 0);
    const history: Proof =
      incomplete.length === 0
        ? {
            ok: true,
            detail:
              `the map's last run started ${map.lastExecutionDate} (its lastExecutionDate); the histories of its ${reads.length} member(s) were read to their end (${pages} page(s)); ` +
              `member executions from that start up to the run's end belong to it` +
              (account.later.length > 0 ? `; ${account.later.length} later standalone execution(s) of members not counted` : ''),
          }
        : { ok: false, detail: `the history of ${incomplete.map((r) => memberKey(r.member)).join(', ')} could not be read to its end (${incomplete[0]!.history.note})` };
    return { handle, observation, history, ...this.ageOf(observation.finishedAt) };
  }

  /** The map's last run (from its lastExecutionDate), as check mode judges it. */
  private async lastMapRun(target: MapTarget): Promise<{ map: ProcessMap; reads: MemberRead[]; account: RunAccount; observation: Observation }> {
    const map = await this.readMap(target, 'check');
    const members = await this.mapMembers(target, 'check', true);
    const reads = await this.memberReads(target, members, 'check');
    const account = accountMapRun(reads, map.lastExecutionDate, undefined);
    return { map, reads, account, observation: mapObservation(map, account, 'check') };
  }

  /**
   * How long ago a server-local time was, on the platform's clock. "Now" is the server's `Date` header (UTC);
   * the local time is turned into UTC with `server-time-zone`. Without it the zone is unknown, and the age is
   * taken as if the server were at UTC+14, the zone furthest ahead: the longest the age can be, so a stale
   * load never passes max-age (a fresh one may fail; setting server-time-zone makes it exact).
   */
  private ageOf(localEnd: string | undefined): { ageMs?: number; ageNote?: string } {
    const endAsUtc = localTimeMs(localEnd ?? null);
    if (endAsUtc === undefined) return {};
    const now = this.deps.http.serverNow() ?? this.deps.clock.now();
    const zone = this.deps.settings.serverTimeZone;
    if (!zone) {
      return {
        ageMs: now - (endAsUtc - 14 * 3_600_000),
        ageNote: 'measured as if the server were at UTC+14, the zone furthest ahead, because its local times carry no offset; set server-time-zone for the exact age',
      };
    }
    // A local time names one instant, two (the repeated hour when clocks go back) or none (the skipped hour
    // when they go forward). Of the instants it may name, the earliest gives the longest age: a stale load
    // never passes max-age across a clock change.
    const offsets = new Set([-86_400_000, 0, 86_400_000].map((shift) => zoneOffsetMs(zone, endAsUtc + shift)));
    const instants = [...offsets].map((offset) => endAsUtc - offset);
    const valid = instants.filter((utc) => utc + zoneOffsetMs(zone, utc) === endAsUtc);
    const earliest = Math.min(...(valid.length > 0 ? valid : instants));
    return {
      ageMs: now - earliest,
      ...(valid.length > 1 ? { ageNote: `measured from the earlier of the two instants ${localEnd} names in ${zone} (clocks went back)` } : {}),
    };
  }
}

/** What the history last said about a followed execution. */
interface KnownRun {
  /** Its start, server-local time read as if UTC (compared only with other server times). */
  startMs: number | undefined;
  observation: Observation;
  /** Since when (clock ms) the dashboard has shown an older execution than this one. */
  staleSince?: number;
}

type DashboardVerdict =
  | { kind: 'running'; observation: Observation }
  | { kind: 'no-news' }
  | { kind: 'confirm' };

/**
 * What a dashboard entry says about our execution. Never "ended": an end is always confirmed from the history.
 * - no entry, or nothing known about our run: confirm;
 * - an entry started after ours: ours has ended (or was superseded): confirm;
 * - our start: in progress (queued, running, an unknown word without an end) is still going; an end: confirm;
 * - an older start, or none: the dashboard has not caught up with our run (it lags the history): no news,
 *   until it has lagged DASHBOARD_STALE_MS, then confirm.
 */
function dashboardVerdict(entry: ExecutionSummary | undefined, known: KnownRun | undefined, now: number): DashboardVerdict {
  if (!entry || !known || known.startMs === undefined || isTerminal(known.observation.state)) return { kind: 'confirm' };
  const shown = localTimeMs(entry.lastStartTime);
  const ours = known.startMs;
  if (shown !== undefined && shown > ours + SAME_START_MS) return { kind: 'confirm' };
  if (shown !== undefined && Math.abs(shown - ours) <= SAME_START_MS) {
    const state = normalizeStatus(TIMEXTENDER_STATUS, entry.status, entry.lastEndTime !== null);
    if (isTerminal(state)) return { kind: 'confirm' };
    return { kind: 'running', observation: { ...known.observation, state, rawStatus: entry.status ?? '' } };
  }
  const lagging = known.staleSince === undefined ? 0 : now - known.staleSince;
  return lagging >= DASHBOARD_STALE_MS ? { kind: 'confirm' } : { kind: 'no-news' };
}

function mapKeyOf(t: MapTarget): string {
  return `${t.workspace}\u0000${t.uat}\u0000${t.processMapId}`;
}

// --- process map runs ------------------------------------------------------------------------------

interface MemberRead {
  member: MapMember;
  history: HistoryRead;
}

interface MemberExecution {
  member: MapMember;
  execution: Execution;
}

/** Which member executions belong to one map run. */
interface RunAccount {
  /** Member executions of this run (bounded by the run's start and, once known, its end). */
  runs: MemberExecution[];
  /** Executions of members that started after this run ended: standalone runs, not part of it. */
  later: MemberExecution[];
  /** Members not disabled that have no execution in this run. */
  missing: MapMember[];
  /** The latest end of this run's member executions, when every one of them has ended. */
  lastEnd?: string;
  /**
   * Members with more than one execution in this run: a map run runs each member once, so another run of the
   * member (a user, a schedule) overlapped it, and which execution is the map's cannot be told from the API.
   */
  ambiguous: MapMember[];
}

function startMs(e: Execution): number {
  // No start (yet): as recent as can be, so it is never taken for an older execution.
  return localTimeMs(e.startTime) ?? Number.POSITIVE_INFINITY;
}

function hasEnded(e: Execution): boolean {
  return e.endTime !== null && isTerminal(executionState(e));
}

/**
 * With `knownIds` (the baseline of this step, for a run it triggered), conservatively: the run has been seen
 * once a member execution started at or after `since` (the map's lastExecutionDate when the run was found),
 * and from then on EVERY member execution not in the baseline is judged, whatever its start: the map's date
 * may already name a later run (a colleague's, queued behind ours), and a standalone run of a member between
 * the baseline and the dispatch cannot be told from a member of this run. Every member that is not disabled
 * must have an execution from `since` on. A failure of any of them is not green (a false red is possible when
 * a standalone member run fails; a false green is not).
 *
 * Otherwise (a run followed by attach or wait), the member executions of the map run that started at `since`
 * (the map's lastExecutionDate). A map run runs
 * each member once, so each member's first execution from that start on is its execution in this run; once
 * every one of those has ended, the run's end is the latest of their ends, and executions that started after
 * it are standalone runs of the member (a user, a schedule), not part of this run. Executions started between
 * the run's start and end that are not a member's first are kept (they cannot be told apart: conservative).
 * With `knownIds` (the baseline of this step), executions listed before the trigger never belong to it.
 */
function accountMapRun(reads: MemberRead[], since: string | null, knownIds: Record<string, number[]> | undefined): RunAccount {
  const sinceMs = localTimeMs(since);
  if (knownIds !== undefined) return accountSinceBaseline(reads, sinceMs, knownIds);
  const candidates: MemberExecution[][] = [];
  for (const { member, history } of reads) {
    const list = history.items
      .filter((e) => sinceMs !== undefined && startMs(e) >= sinceMs - SAME_START_MS)
      .sort((a, b) => startMs(a) - startMs(b) || a.executionId - b.executionId)
      .map((execution) => ({ member, execution }));
    candidates.push(list);
  }
  const firsts = candidates.filter((list) => list.length > 0).map((list) => list[0]!);
  const allEnded = firsts.length > 0 && firsts.every((m) => hasEnded(m.execution));
  let endMs: number | undefined;
  let lastEnd: string | undefined;
  if (allEnded) {
    for (const { execution } of firsts) {
      const ms = localTimeMs(execution.endTime);
      if (ms !== undefined && (endMs === undefined || ms > endMs)) {
        endMs = ms;
        lastEnd = execution.endTime!;
      }
    }
  }
  const runs: MemberExecution[] = [];
  const later: MemberExecution[] = [];
  for (const list of candidates) {
    list.forEach((m, i) => {
      if (i > 0 && endMs !== undefined && startMs(m.execution) > endMs + SAME_START_MS) later.push(m);
      else runs.push(m);
    });
  }
  const missing = reads.filter((r, i) => !r.member.disabled && candidates[i]!.length === 0).map((r) => r.member);
  const everyRunEnded = runs.length > 0 && runs.every((m) => hasEnded(m.execution));
  return { runs, later, missing, lastEnd: everyRunEnded ? lastEnd : undefined, ambiguous: ambiguousMembers(runs) };
}

/** accountMapRun for a run this step triggered: every member execution not in the baseline (see above). */
function accountSinceBaseline(reads: MemberRead[], sinceMs: number | undefined, knownIds: Record<string, number[]>): RunAccount {
  const fromRunStart = (e: Execution) => sinceMs === undefined || startMs(e) >= sinceMs - SAME_START_MS;
  const runs: MemberExecution[] = [];
  const missing: MapMember[] = [];
  let seen = false;
  for (const { member, history } of reads) {
    const known = new Set(knownIds[memberKey(member)] ?? []);
    const fresh = history.items.filter((e) => !known.has(e.executionId));
    for (const execution of fresh) runs.push({ member, execution });
    if (fresh.some(fromRunStart)) seen = true;
    else if (!member.disabled) missing.push(member);
  }
  if (!seen) return { runs: [], later: [], missing, lastEnd: undefined, ambiguous: [] };
  runs.sort((a, b) => startMs(a.execution) - startMs(b.execution) || a.execution.executionId - b.execution.executionId);
  const everyRunEnded = runs.every((m) => hasEnded(m.execution));
  let lastEnd: string | undefined;
  if (everyRunEnded) {
    for (const { execution } of runs) {
      if ((localTimeMs(execution.endTime) ?? -Infinity) > (localTimeMs(lastEnd ?? null) ?? -Infinity)) lastEnd = execution.endTime!;
    }
  }
  return { runs, later: [], missing, lastEnd, ambiguous: ambiguousMembers(runs) };
}

function ambiguousMembers(runs: MemberExecution[]): MapMember[] {
  const count = new Map<string, { member: MapMember; n: number }>();
  for (const { member } of runs) {
    const entry = count.get(memberKey(member)) ?? { member, n: 0 };
    entry.n++;
    count.set(memberKey(member), entry);
  }
  return [...count.values()].filter((e) => e.n > 1).map((e) => e.member);
}

const memberName = (m: MapMember) => `${memberKey(m)}${m.taskName ? ` (${m.taskName})` : ''}`;

/**
 * One observation of a map run from its member executions and the map's own counters. Green only on proof:
 * at least one member execution of this run seen, every one ended, none failed or cancelled, every member
 * that is not disabled ran, and the map's counters agree (no failed, running or queued task). Every state is
 * reached by an explicit condition; what is not proven stays in progress (`follow`) or fails (`check`).
 */
function mapObservation(map: ProcessMap, account: RunAccount, mode: 'follow' | 'check'): Observation {
  const states = account.runs.map((r) => executionState(r.execution));
  const count = (...wanted: RunState[]) => states.filter((s) => wanted.includes(s)).length;
  const ended = account.runs.filter((r) => hasEnded(r.execution)).length;
  const failed = count('failed');
  const cancelled = count('cancelled');
  const succeeded = account.runs.filter((r) => hasEnded(r.execution) && executionState(r.execution) === 'succeeded').length;
  const inFlight = account.runs.length - ended;
  const idle = map.runningTasks + map.queuedTasks === 0;
  const counters = `map counters: failedTasks ${map.failedTasks}, runningTasks ${map.runningTasks}, queuedTasks ${map.queuedTasks}`;
  const laterNote = account.later.length > 0 ? `; ${account.later.length} later standalone execution(s) of members not counted` : '';
  const missingNote = account.missing.length > 0 ? `; no execution in this run of ${account.missing.map(memberName).join(', ')}` : '';
  const tally = `${ended} of ${account.runs.length} member execution(s) of this run ended (${succeeded} Finished, ${failed} failed, ${cancelled} cancelled)`;
  const ambiguousNote =
    account.ambiguous.length > 0
      ? `; ${account.ambiguous.map(memberName).join(', ')} ran more than once during this run (another run of the task overlapped it): which execution is the map's cannot be told`
      : '';
  const membersOk =
    account.runs.length > 0 &&
    inFlight === 0 &&
    succeeded === account.runs.length &&
    account.missing.length === 0 &&
    account.ambiguous.length === 0 &&
    map.failedTasks === 0 &&
    idle;
  const members: Proof = {
    ok: membersOk,
    detail: account.runs.length === 0 ? `no member execution of this run seen yet; ${counters}` : `${tally}; ${counters}${missingNote}${laterNote}${ambiguousNote}`,
  };
  const starts = account.runs.map((r) => r.execution.startTime).filter((t): t is string => !!t);
  const startedAt = map.lastExecutionDate ?? [...starts].sort()[0];
  const base = { startedAt: startedAt ?? undefined, members, progress: `${tally}; ${counters}${missingNote}` };

  const inProgress = (why: string): Observation => {
    const running = count('running') > 0 || map.runningTasks > 0;
    return { ...base, state: running ? 'running' : 'queued', rawStatus: running ? 'Running' : 'Queued', progress: `${why}; ${base.progress}` };
  };
  const finished = (state: RunState, rawStatus: string): Observation => {
    const finishedAt = account.lastEnd;
    const s = localTimeMs(startedAt ?? null);
    const e = localTimeMs(finishedAt ?? null);
    return {
      ...base,
      state,
      rawStatus,
      finishedAt,
      durationSeconds: s !== undefined && e !== undefined ? Math.max(0, Math.round((e - s) / 1000)) : undefined,
      end: finishedAt !== undefined ? `every member execution of this run ended, the last at ${finishedAt}` : undefined,
    };
  };

  if (account.runs.length === 0) {
    if (mode === 'check') return finished('failed', 'NoMemberRun');
    return inProgress('no member execution of this run is listed yet');
  }
  if (inFlight > 0) return inProgress(`${inFlight} member execution(s) of this run still in progress`);
  // Every member execution of this run has ended from here on.
  if (!idle) {
    // The counters still show work although every member execution of this run ended: a member not yet
    // dispatched, or a later standalone run of a member. A failure of this run is already final in check mode.
    if (mode === 'check' && failed > 0) return finished('failed', 'Failed');
    return inProgress('every member execution of this run seen has ended, but the map still shows running or queued tasks (a member not yet dispatched, or a standalone run of a member)');
  }
  if (failed > 0) return finished('failed', 'Failed');
  if (cancelled > 0) return finished('cancelled', 'Cancelled');
  if (map.failedTasks > 0) return finished('failed', 'Failed');
  if (account.missing.length > 0) {
    if (mode === 'follow') return inProgress('waiting for members that have not run yet');
    return finished('failed', 'Incomplete');
  }
  // Every execution ended and succeeded, but a member ran more than once: nothing proves which one the map ran.
  if (account.ambiguous.length > 0) return finished('failed', 'Ambiguous');
  if (membersOk && succeeded === account.runs.length) return finished('succeeded', 'Finished');
  return mode === 'follow' ? inProgress('the run is not proven ended') : finished('failed', 'Unproven');
}

// --- check mode: which execution is the latest ------------------------------------------------------

/**
 * The latest execution of a task by what the server says (apis.md §1.5 #9: "newest first"), never by re-sorting
 * server-local text (local times repeat when clocks go back, §1.11):
 * - an execution with no end time anywhere in the list: the latest run is in flight;
 * - the server's order agrees with the start times: its first execution;
 * - otherwise the order may be off (oldest first, running last, shuffled) or the start times may cross a clock
 *   change: every execution that could be the latest (a start within CLOCK_SHIFT_MS of the latest start text,
 *   and the server's first) is judged, and the check is green only if all of them succeeded. The one returned
 *   is a non-success if there is one, else the one that ended first (the oldest age).
 */
export function pickLatest(items: Execution[]): { execution: Execution; how: string } {
  const running = items.find((e) => !hasEnded(e));
  if (running) {
    return { execution: running, how: `execution ${running.executionId} has not ended: the latest run is in flight` };
  }
  let inversionMs = 0;
  let minBefore = Number.POSITIVE_INFINITY;
  for (const e of items) {
    const t = localTimeMs(e.startTime);
    if (t === undefined) continue;
    if (minBefore !== Number.POSITIVE_INFINITY) inversionMs = Math.max(inversionMs, t - minBefore);
    minBefore = Math.min(minBefore, t);
  }
  if (inversionMs <= 0) {
    return { execution: items[0]!, how: 'newest first as documented, and the server kept that order' };
  }
  const maxStart = Math.max(...items.map((e) => localTimeMs(e.startTime) ?? Number.NEGATIVE_INFINITY));
  const candidates = items.filter((e, i) => {
    const t = localTimeMs(e.startTime);
    return i === 0 || t === undefined || t >= maxStart - CLOCK_SHIFT_MS;
  });
  const bad = candidates.find((e) => executionState(e) !== 'succeeded');
  const why =
    inversionMs > CLOCK_SHIFT_MS
      ? `the server's order contradicts the start times by ${Math.round(inversionMs / 60_000)} min, more than a clock change explains, so it is not trusted`
      : `the server's order contradicts the start times by ${Math.round(inversionMs / 60_000)} min (a clock change may explain it)`;
  const ids = candidates.map((e) => e.executionId).join(', ');
  if (bad) {
    return { execution: bad, how: `${why}; ${candidates.length} execution(s) could be the latest (${ids}) and ${bad.executionId} did not succeed` };
  }
  const oldest = [...candidates].sort((a, b) => (localTimeMs(a.endTime) ?? 0) - (localTimeMs(b.endTime) ?? 0))[0]!;
  return { execution: oldest, how: `${why}; every execution that could be the latest (${ids}) succeeded; the age is that of ${oldest.executionId}` };
}

function taskKeyOf(t: { workspace: string; uat: string; taskType: string; taskId: number }): string {
  return `${t.workspace}\u0000${t.uat}\u0000${t.taskType}/${t.taskId}`;
}

function runKeyOf(target: TaskTarget, executionId: number): string {
  return `${taskKeyOf(target)}#${executionId}`;
}

/** Runs `fn` over `items`, at most `limit` at a time. */
async function eachLimited<T>(items: T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await fn(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

class ResolveError extends Error {}

/** The offset of a zone (IANA name or `+01:00`) from UTC at an instant, in ms. */
export function zoneOffsetMs(zone: string, utcMs: number): number {
  const fixed = /^([+-])(\d{2}):?(\d{2})$/.exec(zone);
  if (fixed) return (fixed[1] === '-' ? -1 : 1) * (Number(fixed[2]) * 60 + Number(fixed[3])) * 60_000;
  if (/^(Z|UTC)$/i.test(zone)) return 0;
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone: zone,
    hourCycle: 'h23',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
  }).formatToParts(new Date(utcMs));
  const get = (type: string) => Number(parts.find((p) => p.type === type)?.value);
  const wall = Date.UTC(get('year'), get('month') - 1, get('day'), get('hour'), get('minute'), get('second'));
  return wall - Math.floor(utcMs / 1000) * 1000;
}

/** Exactly one match by name (exact, then case-insensitive); otherwise an error listing close matches. */
function chooseByName<T>(items: T[], wanted: string, nameOf: (t: T) => string, idOf: (t: T) => string, what: string, workspace: string): T {
  let hits = items.filter((t) => nameOf(t) === wanted);
  if (hits.length === 0) hits = items.filter((t) => nameOf(t).toLowerCase() === wanted.toLowerCase());
  if (hits.length === 1) return hits[0]!;
  if (hits.length > 1) {
    throw new ResolveError(`${hits.length} ${what}s in workspace '${workspace}' are named '${wanted}' (${hits.map(idOf).join(', ')}): use the id instead`);
  }
  const close = items
    .map((t) => ({ t, d: editDistance(nameOf(t).toLowerCase(), wanted.toLowerCase()) }))
    .filter((x) => x.d <= Math.max(3, Math.floor(wanted.length / 3)) || nameOf(x.t).toLowerCase().includes(wanted.toLowerCase()))
    .sort((a, b) => a.d - b.d)
    .slice(0, 5)
    .map((x) => `'${nameOf(x.t)}' (${idOf(x.t)})`);
  throw new ResolveError(`no ${what} named '${wanted}' in workspace '${workspace}' (or not visible to this key). ${suggest(close)}`);
}

function suggest(candidates: string[]): string {
  return candidates.length > 0 ? `Close matches: ${candidates.slice(0, 5).join(', ')}` : 'Nothing similar is visible to this key.';
}

export const timextenderModule: ProviderModule = {
  platform: 'timextender',
  authHeaders: (apiKey: string) => ({ 'X-API-Key': apiKey }),
  create: (deps: ProviderDeps) => new TimextenderProvider(deps) as unknown as Provider,
};

export type { Task };

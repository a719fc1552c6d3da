/**
 * TimeXtender Data Platform: trigger a task or a whole process map, find the execution the trigger caused,
 * follow it, and read the logs of what failed.
 *
 * The trigger answers 202 with no body and no id, and execution ids are not ordered by time (the doc's own
 * example: 98231 started before 97210). So the run we follow is an execution whose id was not in the
 * baseline taken just before the trigger: never "the highest id", never "the newest start".
 */
import { ApiError } from '../../core/http.js';
import { editDistance } from '../../core/names.js';
import type { LogSink } from '../../core/logs.js';
import { isTerminal, normalizeStatus, type FailedTask, type RunState, type StatusTable } from '../../core/outcome.js';
import type { TargetSpec, TimextenderProcessMapSpec, TimextenderTaskSpec } from '../../core/settings.js';
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
} from '../provider.js';
import { LIST_PAGE_SIZE, TimextenderApi, type Execution, type ExecutionSummary, type ProcessMap, type Task } from './api.js';

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

/** How much history to read per look; a run that fell off this page is looked for on the next pages. */
const HISTORY_PAGE = 100;
const MAX_HISTORY_PAGES = 5;
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
  readonly triggerSafety = 'look-before-resend' as const;
  readonly timeNote = 'Times are the TimeXtender server’s local time (the API gives no offset).';
  private readonly api: TimextenderApi;
  /** Members of each map, read once per step. */
  private readonly members = new Map<string, MapMember[]>();
  /** The latest history page read for each task target (the baseline's), reused by `history`. */
  private readonly recentHistory = new Map<string, Execution[]>();
  /** What the history last said about each followed task execution, for reading the dashboard safely. */
  private readonly known = new Map<string, KnownRun>();

  constructor(private readonly deps: ProviderDeps) {
    this.api = new TimextenderApi(deps.http);
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
    return { spec, kind: 'process-map', workspace: spec.workspace, uat: spec.environment, processMapId: map.processMapId, name: map.name, label };
  }

  // --- task ------------------------------------------------------------------------------------

  private readHistory(target: TaskTarget, phase: 'baseline' | 'find' | 'follow' | 'check', offset = 0): Promise<Execution[]> {
    return this.api.taskExecutions(target.workspace, target.taskType, target.taskId, target.uat, { limit: HISTORY_PAGE, offset }, phase);
  }

  /** Finds an execution by id wherever it sits in the (unreliably ordered) history. */
  private async executionById(target: TaskTarget, executionId: number): Promise<Execution | undefined> {
    for (let page = 0; page < MAX_HISTORY_PAGES; page++) {
      const items = await this.readHistory(target, 'follow', page * HISTORY_PAGE);
      const hit = items.find((e) => e.executionId === executionId);
      if (hit) return hit;
      if (items.length < HISTORY_PAGE) return undefined;
    }
    return undefined;
  }

  private taskObservation(e: Execution): Observation {
    return {
      state: executionState(e),
      rawStatus: e.status ?? '',
      startedAt: e.startTime ?? undefined,
      finishedAt: e.endTime ?? undefined,
      durationSeconds: e.durationSeconds ?? undefined,
    };
  }

  // --- process map -------------------------------------------------------------------------------

  private async mapMembers(target: MapTarget, phase: 'baseline' | 'follow' = 'baseline'): Promise<MapMember[]> {
    const key = `${target.workspace}/${target.processMapId}/${target.uat}`;
    let members = this.members.get(key);
    if (!members) {
      const tasks = await this.api.processMapTasks(target.workspace, target.processMapId, target.uat, phase);
      members = tasks.map((t) => ({ taskType: t.taskType, taskId: t.taskId, taskName: t.taskName }));
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

  private memberHistory(target: MapTarget, member: MapMember, phase: 'baseline' | 'follow' | 'check'): Promise<Execution[]> {
    return this.api.taskExecutions(target.workspace, member.taskType, member.taskId, target.uat, { limit: HISTORY_PAGE, offset: 0 }, phase);
  }

  /** The member executions that belong to this map run. */
  private async runExecutions(target: MapTarget, handle: MapHandle, phase: 'follow' | 'check'): Promise<Array<{ member: MapMember; execution: Execution }>> {
    const out: Array<{ member: MapMember; execution: Execution }> = [];
    for (const member of await this.mapMembers(target, 'follow')) {
      const known = new Set(handle.knownIds?.[memberKey(member)] ?? []);
      const sinceMs = localTimeMs(handle.since);
      for (const execution of await this.memberHistory(target, member, phase)) {
        const isNew = handle.knownIds
          ? !known.has(execution.executionId)
          : sinceMs !== undefined && (localTimeMs(execution.startTime) ?? -Infinity) >= sinceMs;
        if (isNew) out.push({ member, execution });
      }
    }
    return out;
  }

  private mapObservation(map: ProcessMap, runs: Array<{ member: MapMember; execution: Execution }>): Observation {
    const states = runs.map((r) => executionState(r.execution));
    const busy = map.runningTasks + map.queuedTasks > 0 || states.some((s) => s === 'queued' || s === 'running' || s === 'unknown');
    const ended = states.filter((s) => s === 'succeeded' || s === 'failed' || s === 'cancelled').length;
    const progress = `${ended} task execution(s) ended, ${map.runningTasks} running, ${map.queuedTasks} queued`;
    const starts = runs.map((r) => r.execution.startTime).filter((t): t is string => !!t).sort();
    const ends = runs.map((r) => r.execution.endTime).filter((t): t is string => !!t).sort();
    const startedAt = map.lastExecutionDate ?? starts[0];
    let state: RunState;
    let rawStatus: string;
    if (busy) {
      state = map.runningTasks > 0 || states.includes('running') ? 'running' : 'queued';
      rawStatus = state === 'running' ? 'Running' : 'Queued';
    } else if (states.some((s) => s === 'failed')) {
      state = 'failed';
      rawStatus = 'Failed';
    } else if (states.some((s) => s === 'cancelled')) {
      state = 'cancelled';
      rawStatus = 'Cancelled';
    } else {
      // Ended with every member execution of this run Finished (members that did not run are not failures).
      state = 'succeeded';
      rawStatus = 'Finished';
    }
    const finishedAt = busy ? undefined : ends[ends.length - 1];
    const startMs = localTimeMs(startedAt ?? null);
    const endMs = localTimeMs(finishedAt ?? null);
    return {
      state,
      rawStatus,
      startedAt: startedAt ?? undefined,
      finishedAt,
      durationSeconds: startMs !== undefined && endMs !== undefined ? Math.max(0, Math.round((endMs - startMs) / 1000)) : undefined,
      progress,
    };
  }

  private mapHandle(target: MapTarget, since: string | null, knownIds?: Record<string, number[]>): MapHandle {
    return { kind: 'process-map', runId: `${target.processMapId}@${since ?? 'unknown'}`, since, knownIds };
  }

  // --- the Provider steps ----------------------------------------------------------------------

  async inFlight(target: TdpTarget): Promise<InFlight<TdpHandle> | undefined> {
    if (target.kind === 'task') {
      const task = await this.api.getTask(target.workspace, target.taskType, target.taskId, target.uat, 'baseline');
      if (!isRunningWord(task.status)) return undefined;
      const running = (await this.readHistory(target, 'baseline')).find((e) => e.endTime === null && isRunningWord(e.status));
      return {
        description: `task status ${task.status}${running ? `, execution ${running.executionId}` : ''}`,
        handle: running ? { kind: 'task', runId: String(running.executionId), executionId: running.executionId } : undefined,
      };
    }
    const map = await this.readMap(target, 'baseline');
    if (map.runningTasks + map.queuedTasks === 0) return undefined;
    return {
      description: `${map.runningTasks} task(s) running, ${map.queuedTasks} queued since ${map.lastExecutionDate ?? 'an unknown time'}`,
      handle: this.mapHandle(target, map.lastExecutionDate),
    };
  }

  async baseline(target: TdpTarget): Promise<TdpBaseline> {
    if (target.kind === 'task') {
      const ids = new Set<number>();
      for (let page = 0; page < MAX_HISTORY_PAGES; page++) {
        const items = await this.readHistory(target, 'baseline', page * HISTORY_PAGE);
        if (page === 0) this.recentHistory.set(taskKeyOf(target), items);
        items.forEach((e) => ids.add(e.executionId));
        if (items.length < HISTORY_PAGE) break;
      }
      return { kind: 'task', ids };
    }
    const map = await this.readMap(target, 'baseline');
    const knownIds: Record<string, number[]> = {};
    for (const member of await this.mapMembers(target)) {
      knownIds[memberKey(member)] = (await this.memberHistory(target, member, 'baseline')).map((e) => e.executionId);
    }
    return { kind: 'process-map', lastExecutionDate: map.lastExecutionDate, knownIds };
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
      const fresh = (await this.readHistory(target, 'find')).filter((e) => !baseline.ids.has(e.executionId));
      if (fresh.length > 0) {
        // Earliest start first: the trigger's own run is the likeliest first newcomer; the rest are reported.
        fresh.sort((a, b) => (a.startTime ?? '').localeCompare(b.startTime ?? '') || a.executionId - b.executionId);
        for (const e of fresh) this.remember(target, e);
        const [first, ...rest] = fresh.map((e): TaskHandle => ({ kind: 'task', runId: String(e.executionId), executionId: e.executionId }));
        return { kind: 'found', handle: first!, others: rest };
      }
      const task = await this.api.getTask(target.workspace, target.taskType, target.taskId, target.uat, 'find');
      return isRunningWord(task.status)
        ? { kind: 'pending', accepted: true, reason: `the task is ${task.status} but no new execution is listed yet` }
        : { kind: 'pending', reason: `the task status is ${task.status ?? 'empty'}` };
    }
    if (target.kind === 'process-map' && baseline.kind === 'process-map') {
      const map = await this.readMap(target, 'find');
      const started = map.lastExecutionDate !== baseline.lastExecutionDate || map.runningTasks + map.queuedTasks > 0;
      if (started) return { kind: 'found', handle: this.mapHandle(target, map.lastExecutionDate, baseline.knownIds) };
      return { kind: 'pending', reason: `the process map's last execution date is still ${map.lastExecutionDate ?? 'empty'}` };
    }
    throw new Error('baseline does not match the target');
  }

  async observe(target: TdpTarget, handle: TdpHandle): Promise<Observation> {
    if (target.kind === 'task' && handle.kind === 'task') {
      const execution = await this.executionById(target, handle.executionId);
      if (!execution) {
        return { state: 'unknown', rawStatus: '', progress: `execution ${handle.executionId} is not in the task's recent history` };
      }
      return this.remember(target, execution).observation;
    }
    if (target.kind === 'process-map' && handle.kind === 'process-map') {
      const map = await this.readMap(target, 'follow');
      return this.mapObservation(map, await this.runExecutions(target, handle, 'follow'));
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
      const runs = await this.runExecutions(target, handle, 'follow');
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
    const log = sink.open(`${workspace}/${memberKey(member)} (${member.taskName}) execution ${execution.executionId}: ${task.status}`);
    let written = 0;
    let lastError: unknown;
    // A log cut off mid-way (or garbled) is fetched again from where it stopped: three times at most, and only
    // once more after an attempt that read nothing (the HTTP client has already retried the request itself).
    for (let attempt = 0; attempt < 3; attempt++) {
      const before = written;
      try {
        for await (const entry of this.api.executionLog(workspace, member.taskType, member.taskId, execution.executionId, written)) {
          log.write(entry.logTime ? `${entry.logTime} ${entry.log}` : entry.log);
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

  /** Durations of the task's recent successful executions: the baseline's page when there was one, else one read. */
  async history(target: TdpTarget): Promise<number[]> {
    if (target.kind !== 'task') return [];
    const items = this.recentHistory.get(taskKeyOf(target)) ?? (await this.readHistory(target, 'baseline'));
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
    let handle: TdpHandle;
    let observation: Observation;
    if (target.kind === 'task') {
      const items = await this.readHistory(target, 'check');
      if (items.length === 0) return undefined;
      // The latest run is the one that started last (server times compared with server times).
      const newest = [...items].sort((a, b) => (b.startTime ?? '').localeCompare(a.startTime ?? ''))[0]!;
      handle = { kind: 'task', runId: String(newest.executionId), executionId: newest.executionId };
      observation = this.taskObservation(newest);
    } else {
      const map = await this.readMap(target, 'check');
      if (!map.lastExecutionDate) return undefined;
      handle = this.mapHandle(target, map.lastExecutionDate);
      observation = this.mapObservation(map, await this.runExecutions(target, handle, 'check'));
    }
    const age = this.ageOf(observation.finishedAt);
    return { handle, observation, ...age };
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
    // Two rounds find the offset in force at the end itself (it may differ from today's across a DST change).
    let offset = zoneOffsetMs(zone, endAsUtc);
    offset = zoneOffsetMs(zone, endAsUtc - offset);
    return { ageMs: now - (endAsUtc - offset) };
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

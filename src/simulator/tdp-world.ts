/**
 * The simulated TimeXtender Data Platform: users, keys, workspaces, tasks, process maps and executions.
 *
 * Run state is never stored: every execution carries its scheduled simulated times (created, started,
 * ended), and its state at an instant is derived from them. A process-map run is planned in full when it is
 * triggered (stage k starts when stage k-1 ends), and its member executions only "exist" once the clock
 * reaches their creation time. So `clock.advance()` moves everything, with no timers.
 */
import type { SimClock } from './clock.js';
import { randomAlphanumeric, randomInt, seededRandom, type Random } from './random.js';
import { lifecyclePhaseAt, type LifecyclePhase } from './lifecycle.js';

// ---------------------------------------------------------------------------------------------------------
// Public types (the world API used by tests)

export const TASK_TYPES = [
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
] as const;

/** Task types whose log endpoint always answers [] (apis.md §1.4, §1.9). */
export const LOGLESS_TASK_TYPES: readonly string[] = ['Query', 'CompareQuery'];

export interface TdpOptions {
  /** IANA zone for server-local timestamps ('YYYY-MM-DDTHH:mm:ss', no offset). Far from any test machine by default. */
  timeZone: string;
  /** apis.md §1.2: 401 (unconfirmed) or 403 for a deactivated user. */
  deactivatedUserStatus: 401 | 403;
  /** apis.md §1.11: the doc's cause texts say 404 on map/task routes, 403 on /executions, history and log. */
  unknownWorkspace: { mapsAndTasks: 403 | 404; executions: 403 | 404 };
  /** apis.md §1.3: the third `uat` word is unconfirmed ('Test' in the article, 'Testing' elsewhere). */
  testEnvironmentWord: 'Test' | 'Testing';
  uatCaseSensitive: boolean;
  defaultListLimit: number;
  defaultHistoryLimit: number;
  /** apis.md §1.9: endpoint 3 lists no limit/offset; with this switch it returns everything whatever they say. */
  processMapTasksIgnorePaging: boolean;
  /** The execution row appears this long after the trigger (apis.md §5 #5). */
  rowDelayMs: number;
  /** The row is created only when the run leaves the queue; until then the task status is 'Queued'. */
  rowOnlyWhenStarted: boolean;
  /** apis.md §1.10: new ids are LOWER than the seeded history ids by default (98231 on 03-14, 97210 on 03-15). */
  idMode: 'non-monotonic' | 'random' | 'monotonic';
  /**
   * apis.md §1.11, §5 #6: "newest first" per the doc (default), but its own example lists the running execution
   * last, so the real order is unknown: running-last (the doc's example), shuffled, oldest-first, or by
   * execution id descending (ids are not ordered by time, §1.10, so this is not newest first either).
   */
  historyOrder: 'newest-first' | 'running-last' | 'shuffled' | 'oldest-first' | 'id-descending';
  /**
   * apis.md §1.3, §5 #4: the maximum `limit` is unknown. A number: the history answers at most this many
   * executions per page whatever `limit` asks (so a page shorter than `limit` is not the last one).
   * Default undefined: `limit` is honoured as documented.
   */
  historyPageCap: number | undefined;
  /**
   * apis.md §1.5 #4 ("runs asynchronously"), §1.10 process map step 5: a map trigger answers 202 and moves
   * `lastExecutionDate` at once, but its members are dispatched this many simulated ms later. Until then no
   * member is queued, running or has a new execution, and the counters show the members' previous state.
   * Default 0: members are dispatched with the trigger.
   */
  mapDispatchDelayMs: number;
  /** The dashboard (/executions) shows each task as it was this long ago (the doc's Finished vs Running mismatch). */
  dashboardLagMs: number;
  /** Adds dashboard entries with taskId null (apis.md §1.6: taskId int|null). */
  dashboardNullTaskIds: boolean;
  /** apis.md §5 #9: what /log answers for an unknown execId. */
  unknownExecLog: 404 | 'empty';
  /** apis.md §1.4/§5 #8 (unverified): an OrchestrationMap task with taskId == processMapId stands for the map. */
  orchestrationMapTask: boolean;
  /** A trigger while the target is running or queued: 409 (doc, code unconfirmed) or queue a second run. */
  secondTriggerWhileRunning: 409 | 'queue';
  /**
   * Not in the brief's list, added because the doc says nothing: what a trigger of a disabled task does.
   * 'accept-no-run' (default): 202 and no execution ever appears. Or 400 / 409 problem JSON.
   */
  disabledTaskTrigger: 'accept-no-run' | 400 | 409;
}

export const DEFAULT_TDP_OPTIONS: TdpOptions = {
  timeZone: 'Pacific/Kiritimati',
  deactivatedUserStatus: 401,
  unknownWorkspace: { mapsAndTasks: 404, executions: 403 },
  testEnvironmentWord: 'Test',
  uatCaseSensitive: true,
  defaultListLimit: 100,
  defaultHistoryLimit: 50,
  processMapTasksIgnorePaging: true,
  rowDelayMs: 0,
  rowOnlyWhenStarted: false,
  idMode: 'non-monotonic',
  historyOrder: 'newest-first',
  historyPageCap: undefined,
  mapDispatchDelayMs: 0,
  dashboardLagMs: 0,
  dashboardNullTaskIds: false,
  unknownExecLog: 404,
  orchestrationMapTask: false,
  secondTriggerWhileRunning: 409,
  disabledTaskTrigger: 'accept-no-run',
};

export type ScenarioOutcome = 'success' | 'failure' | 'hang' | 'unknown-running' | 'unknown-ended' | 'cancelled';

export interface Scenario {
  outcome: ScenarioOutcome;
  /** Simulated ms between the trigger and the start (default 0). */
  queuedMs?: number;
  /** Simulated ms between the start and the end (default 1000). Ignored by 'hang' and 'unknown-running'. */
  durationMs?: number;
  logLines?: string[];
  /** Synthetic log of this many lines, generated lazily and streamed (huge logs). Wins over logLines. */
  logLineCount?: number;
  /** Overrides the final raw word (e.g. 'Aborted', 'Stopped'); for 'unknown-running', the word shown while it runs. */
  statusWord?: string;
  /** How the log is written over the execution's life (default: lines spread evenly, as written). */
  logShape?: LogShape;
}

/**
 * The shape of a live log: lines come in bursts, some are long, and the server may rewrite or shorten the
 * log while the execution runs (switchable, for live-log tests).
 */
export interface LogShape {
  /** Lines are written in this many bursts (every line of a burst at the same instant). */
  bursts?: number;
  /** Every 50th line (from the 8th) carries this many extra characters. */
  longLineChars?: number;
  /**
   * From `afterMs` after the start, the server has rewritten the log: 'shorten' drops the first half of the
   * entries written by then (a rotated head), 'rewrite' replaces them by one compaction entry.
   */
  rewrite?: { afterMs: number; kind: 'shorten' | 'rewrite' };
}

export interface HistoryItem {
  executionId?: number;
  startedAgoMs: number;
  durationMs: number;
  /** Final raw word, shown once startedAgoMs - durationMs has passed. 'Running' or 'Queued' never end. */
  status: 'Finished' | 'Failed' | string;
  logLines?: string[];
  /** Environment of this past execution (default Production). */
  env?: string;
}

export interface TaskDefinition {
  taskType: string;
  taskId: number;
  taskName: string;
  /** Explicit containing map (null: none). When absent, the first map listing the task as a member. */
  processMapId?: number | null;
  disabled?: boolean;
  hiddenFrom?: string[];
  /** Environments the task exists in (default all three). */
  environments?: string[];
  history?: HistoryItem[];
  /** Default log of this task's executions when the scenario has none. */
  logLines?: string[];
}

export interface ProcessMapMember {
  taskType: string;
  taskId: number;
  stage: number;
  disabled?: boolean;
}

export interface ProcessMapDefinition {
  processMapId: number;
  name: string;
  members: ProcessMapMember[];
  failurePolicy: 'fail-parent' | 'ignore-failure';
  hiddenFrom?: string[];
  /** Start of a past run, for lastExecutionDate before any triggered run (default: never ran → null). */
  lastRunStartedAgoMs?: number;
}

export type ExecutionOrigin = 'history' | 'api' | 'foreign' | 'map';

export interface ExecutionTruth {
  executionId: number;
  /** The raw word the API shows now ('Queued', 'Running', 'Finished', …). */
  status: string;
  /** Scheduled start (simulated ms); Infinity while it waits behind a run that never ends. */
  startMs: number;
  /** Scheduled end; null when it never ends ('hang', 'unknown-running'). */
  endMs: number | null;
  origin: ExecutionOrigin;
  /** Whether the history endpoint lists it yet (rowDelayMs / rowOnlyWhenStarted). */
  rowVisible: boolean;
}

export interface TriggerRecord {
  kind: 'task' | 'process-map';
  ws: string;
  /** 'Package/1005' for a task, '42' for a process map. */
  target: string;
  env: string;
  accepted: boolean;
  /** The HTTP status answered. */
  status: number;
  simTimeMs: number;
}

// ---------------------------------------------------------------------------------------------------------
// Internal model

/** Environments are stored under these keys; the third one is spelled per `testEnvironmentWord` on the wire. */
export type EnvKey = 'Production' | 'Development' | 'Test';
export const ENV_KEYS: readonly EnvKey[] = ['Production', 'Development', 'Test'];

export type LogSource = (
  | { kind: 'lines'; lines: string[] }
  | { kind: 'synthetic'; count: number; finalLine: string | null; taskName: string }
) & { shape?: LogShape };

export interface Execution {
  executionId: number;
  env: EnvKey;
  origin: ExecutionOrigin;
  /** When it came into existence (trigger accepted, map stage reached, foreign run fired). */
  createdMs: number;
  /** When it leaves the queue; Infinity when it waits for a run that never ends. */
  startMs: number;
  /** null: never ends ('hang', 'unknown-running'). */
  endMs: number | null;
  /** Raw word while running: 'Running', or an unknown word such as 'Paused'. */
  runningWord: string;
  /** Raw word once ended. */
  finalWord: string;
  /** Whether the end counts as a success (map failure policy, map counters); the word alone may be overridden. */
  succeeded: boolean;
  /** When the history endpoint starts listing it. */
  rowVisibleMs: number;
  log: LogSource;
}

export type ExecutionPhase = LifecyclePhase;
export const phaseAt: (e: Execution, t: number) => ExecutionPhase = lifecyclePhaseAt;

export function rawStatusAt(e: Execution, t: number): string {
  const phase = phaseAt(e, t);
  if (phase === 'queued' || phase === 'absent') return 'Queued';
  return phase === 'running' ? e.runningWord : e.finalWord;
}

export interface TaskRecord {
  ws: string;
  taskType: string;
  taskId: number;
  taskName: string;
  explicitProcessMapId: number | null | undefined;
  disabled: boolean;
  hiddenFrom: Set<string>;
  environments: Set<EnvKey>;
  logLines: string[] | undefined;
  executions: Execution[];
  scenarios: Map<EnvKey | '*', { list: Scenario[]; next: number }>;
  /** Set on the virtual OrchestrationMap task that stands for a process map. */
  standsForMap?: MapRecord;
}

export interface MapRun {
  env: EnvKey;
  /** The run as one execution (used by the virtual OrchestrationMap task). */
  execution: Execution;
  /** Member executions, including those of later stages that only exist from their stage's start. */
  memberExecutions: Array<{ taskKey: string; execution: Execution }>;
  /** When the members are dispatched (the run's start plus `mapDispatchDelayMs`). */
  dispatchMs: number;
}

export interface MapRecord {
  ws: string;
  processMapId: number;
  name: string;
  members: ProcessMapMember[];
  failurePolicy: 'fail-parent' | 'ignore-failure';
  hiddenFrom: Set<string>;
  seededLastRunMs: number | null;
  runs: MapRun[];
}

export interface WorkspaceRecord {
  key: string;
  name: string;
  description: string | null;
  access: Map<string, 'viewer' | 'contributor'>;
  tasks: Map<string, TaskRecord>;
  maps: Map<number, MapRecord>;
}

export interface UserRecord {
  id: string;
  active: boolean;
}

export const taskKey = (taskType: string, taskId: number): string => `${taskType}/${taskId}`;

const DEFAULT_SCENARIO: Scenario = { outcome: 'success', durationMs: 1000 };
const MAX_ACTIVE_KEYS_PER_USER = 3; // apis.md §1.1

// ---------------------------------------------------------------------------------------------------------

export class TdpWorld {
  readonly options: TdpOptions;
  readonly users = new Map<string, UserRecord>();
  /** Active keys → user id. A revoked key is simply gone (→ 401). */
  readonly keys = new Map<string, string>();
  readonly workspaces = new Map<string, WorkspaceRecord>();
  private readonly triggerLog: TriggerRecord[] = [];
  private readonly usedIds = new Set<number>();
  private readonly random: Random;
  private nextNewId: number;
  private highestId = 0;

  constructor(
    readonly clock: SimClock,
    options: Partial<TdpOptions> = {},
    seed = 1,
  ) {
    this.options = { ...DEFAULT_TDP_OPTIONS, ...options, unknownWorkspace: { ...DEFAULT_TDP_OPTIONS.unknownWorkspace, ...options.unknownWorkspace } };
    this.random = seededRandom(seed);
    // New ids start far below the seeded history ids (90000-99999), so they are not monotonic in time.
    this.nextNewId = 10000 + randomInt(this.random, 0, 5000);
  }

  // ----- users, keys, workspaces ------------------------------------------------------------------------

  addUser(id: string, opts: { active?: boolean } = {}): void {
    this.users.set(id, { id, active: opts.active ?? true });
  }

  addKey(userId: string, key?: string): string {
    if (!this.users.has(userId)) this.addUser(userId);
    const active = [...this.keys.values()].filter((owner) => owner === userId).length;
    if (active >= MAX_ACTIVE_KEYS_PER_USER) throw new Error(`user ${userId} already has ${MAX_ACTIVE_KEYS_PER_USER} active keys`);
    const value = key ?? `txk_${randomAlphanumeric(this.random, 32)}`;
    if (this.keys.has(value)) throw new Error('this key already exists');
    this.keys.set(value, userId);
    return value;
  }

  /** A deleted key answers 401 from the next request on (apis.md §1.1). */
  revokeKey(key: string): void {
    this.keys.delete(key);
  }

  deactivateUser(userId: string): void {
    const user = this.users.get(userId);
    if (!user) throw new Error(`unknown user ${userId}`);
    user.active = false;
  }

  activateUser(userId: string): void {
    const user = this.users.get(userId);
    if (!user) throw new Error(`unknown user ${userId}`);
    user.active = true;
  }

  addWorkspace(key: string, opts: { name: string; description?: string | null; access: Record<string, 'viewer' | 'contributor'> }): void {
    if (key === 'all') throw new Error("'all' is reserved: it means every accessible workspace");
    this.workspaces.set(key, {
      key,
      name: opts.name,
      description: opts.description ?? null,
      access: new Map(Object.entries(opts.access)),
      tasks: new Map(),
      maps: new Map(),
    });
  }

  setAccess(ws: string, userId: string, level: 'viewer' | 'contributor' | null): void {
    const workspace = this.workspace(ws);
    if (level === null) workspace.access.delete(userId);
    else workspace.access.set(userId, level);
  }

  // ----- tasks, maps, scenarios -------------------------------------------------------------------------

  addTask(ws: string, t: TaskDefinition): void {
    const workspace = this.workspace(ws);
    if (!(TASK_TYPES as readonly string[]).includes(t.taskType)) throw new Error(`unknown taskType ${t.taskType}`);
    const record: TaskRecord = {
      ws,
      taskType: t.taskType,
      taskId: t.taskId,
      taskName: t.taskName,
      explicitProcessMapId: t.processMapId,
      disabled: t.disabled ?? false,
      hiddenFrom: new Set(t.hiddenFrom ?? []),
      environments: new Set((t.environments ?? ENV_KEYS).map((e) => this.envKeyOf(e))),
      logLines: t.logLines,
      executions: [],
      scenarios: new Map(),
    };
    workspace.tasks.set(taskKey(t.taskType, t.taskId), record);
    for (const item of t.history ?? []) record.executions.push(this.historyExecution(record, item));
  }

  addProcessMap(ws: string, m: ProcessMapDefinition): void {
    const workspace = this.workspace(ws);
    workspace.maps.set(m.processMapId, {
      ws,
      processMapId: m.processMapId,
      name: m.name,
      members: m.members.map((member) => ({ ...member })),
      failurePolicy: m.failurePolicy,
      hiddenFrom: new Set(m.hiddenFrom ?? []),
      seededLastRunMs: m.lastRunStartedAgoMs === undefined ? null : this.clock.now() - m.lastRunStartedAgoMs,
      runs: [],
    });
  }

  /** Outcomes for the next executions of a task, consumed one per new execution; the last one repeats. */
  setScenario(ws: string, taskType: string, taskId: number, s: Scenario | Scenario[], env?: string): void {
    const task = this.task(ws, taskType, taskId);
    const list = Array.isArray(s) ? s : [s];
    if (list.length === 0) throw new Error('setScenario needs at least one scenario');
    task.scenarios.set(env === undefined ? '*' : this.envKeyOf(env), { list: [...list], next: 0 });
  }

  /** A schedule or another user runs the task (now, or after delayMs simulated ms). */
  startForeignRun(ws: string, taskType: string, taskId: number, s: Scenario & { delayMs?: number }, env?: string): void {
    const task = this.task(ws, taskType, taskId);
    const envKey = this.envKeyOf(env ?? 'Production');
    const createdMs = this.clock.now() + (s.delayMs ?? 0);
    task.executions.push(this.newExecution(task, envKey, 'foreign', createdMs, s));
  }

  /**
   * A member task (or any task) run on its own, outside any map run: by a user or a schedule, at `atMs`
   * (absolute simulated ms; default now; may lie in the past, e.g. between two map runs). Its execution is a
   * 'foreign' one: it belongs to no map run (apis.md §1.10 process map step 7, §4.1 process maps).
   */
  runStandalone(ws: string, taskType: string, taskId: number, s: Scenario, atMs?: number, env?: string): number {
    const task = this.task(ws, taskType, taskId);
    const envKey = this.envKeyOf(env ?? 'Production');
    const execution = this.newExecution(task, envKey, 'foreign', atMs ?? this.clock.now(), s);
    task.executions.push(execution);
    return execution.executionId;
  }

  // ----- truth for test assertions ----------------------------------------------------------------------

  executions(ws: string, taskType: string, taskId: number, env?: string): ExecutionTruth[] {
    const task = this.findTask(ws, taskType, taskId) ?? this.mapTask(ws, taskType, taskId);
    if (!task) throw new Error(`unknown task ${ws}/${taskKey(taskType, taskId)}`);
    const envKey = this.envKeyOf(env ?? 'Production');
    const now = this.clock.now();
    return this.executionsOf(task, envKey, now)
      .sort((a, b) => a.createdMs - b.createdMs)
      .map((e) => ({
        executionId: e.executionId,
        status: rawStatusAt(e, now),
        startMs: e.startMs,
        endMs: e.endMs,
        origin: e.origin,
        rowVisible: e.rowVisibleMs <= now,
      }));
  }

  triggers(): TriggerRecord[] {
    return this.triggerLog.map((t) => ({ ...t }));
  }

  recordTrigger(record: Omit<TriggerRecord, 'simTimeMs'>): void {
    this.triggerLog.push({ ...record, simTimeMs: this.clock.now() });
  }

  // ----- lookups used by the HTTP layer -----------------------------------------------------------------

  workspace(ws: string): WorkspaceRecord {
    const workspace = this.workspaces.get(ws);
    if (!workspace) throw new Error(`unknown workspace ${ws}`);
    return workspace;
  }

  task(ws: string, taskType: string, taskId: number): TaskRecord {
    const task = this.findTask(ws, taskType, taskId);
    if (!task) throw new Error(`unknown task ${ws}/${taskKey(taskType, taskId)}`);
    return task;
  }

  findTask(ws: string, taskType: string, taskId: number): TaskRecord | undefined {
    return this.workspaces.get(ws)?.tasks.get(taskKey(taskType, taskId));
  }

  /** The virtual OrchestrationMap task of a map, when the switch is on (unverified mapping, apis.md §5 #8). */
  mapTask(ws: string, taskType: string, taskId: number): TaskRecord | undefined {
    if (!this.options.orchestrationMapTask || taskType !== 'OrchestrationMap') return undefined;
    const map = this.workspaces.get(ws)?.maps.get(taskId);
    return map ? this.virtualTaskOf(map) : undefined;
  }

  /** Real tasks, then (with the switch) one OrchestrationMap task per map whose id is not taken by a real one. */
  tasksOf(workspace: WorkspaceRecord): TaskRecord[] {
    const tasks = [...workspace.tasks.values()];
    if (this.options.orchestrationMapTask) {
      for (const map of workspace.maps.values()) {
        if (!workspace.tasks.has(taskKey('OrchestrationMap', map.processMapId))) tasks.push(this.virtualTaskOf(map));
      }
    }
    return tasks;
  }

  virtualTaskOf(map: MapRecord): TaskRecord {
    return {
      ws: map.ws,
      taskType: 'OrchestrationMap',
      taskId: map.processMapId,
      taskName: map.name,
      explicitProcessMapId: map.processMapId,
      disabled: false,
      hiddenFrom: map.hiddenFrom,
      environments: new Set(ENV_KEYS),
      logLines: undefined,
      executions: map.runs.map((run) => run.execution),
      scenarios: new Map(),
      standsForMap: map,
    };
  }

  /** The map a task belongs to: explicit, else the first map listing it as a member. */
  containingMap(task: TaskRecord): MapRecord | undefined {
    const maps = this.workspaces.get(task.ws)?.maps;
    if (!maps) return undefined;
    if (task.explicitProcessMapId === null) return undefined;
    if (task.explicitProcessMapId !== undefined) return maps.get(task.explicitProcessMapId);
    for (const map of maps.values()) {
      if (map.members.some((m) => m.taskType === task.taskType && m.taskId === task.taskId)) return map;
    }
    return undefined;
  }

  /** Disabled on the task itself, or as a member of its containing map. */
  isDisabled(task: TaskRecord): boolean {
    if (task.disabled) return true;
    const map = this.containingMap(task);
    return map?.members.some((m) => m.disabled && m.taskType === task.taskType && m.taskId === task.taskId) ?? false;
  }

  /** Executions of the task in the environment that exist at t. */
  executionsOf(task: TaskRecord, env: EnvKey, t: number): Execution[] {
    return task.executions.filter((e) => e.env === env && e.createdMs <= t);
  }

  /** The most recently created execution at t (its phase gives the task status). */
  latestExecution(task: TaskRecord, env: EnvKey, t: number): Execution | undefined {
    let latest: Execution | undefined;
    for (const e of this.executionsOf(task, env, t)) if (!latest || e.createdMs >= latest.createdMs) latest = e;
    return latest;
  }

  /** The execution that started last before t (its times fill lastExecutionStartTime/EndTime). */
  latestStartedExecution(task: TaskRecord, env: EnvKey, t: number): Execution | undefined {
    let latest: Execution | undefined;
    for (const e of this.executionsOf(task, env, t)) {
      if (e.startMs <= t && (!latest || e.startMs >= latest.startMs)) latest = e;
    }
    return latest;
  }

  /** Running or queued at t (the 409 guard, apis.md §1.9). */
  activeExecutions(task: TaskRecord, env: EnvKey, t: number): Execution[] {
    return this.executionsOf(task, env, t).filter((e) => {
      const phase = phaseAt(e, t);
      return phase === 'queued' || phase === 'running';
    });
  }

  activeMapRun(map: MapRecord, env: EnvKey, t: number): MapRun | undefined {
    return map.runs.find((run) => {
      const phase = phaseAt(run.execution, t);
      return run.env === env && (phase === 'queued' || phase === 'running');
    });
  }

  // ----- triggering -------------------------------------------------------------------------------------

  /** Accepts a task trigger: a new execution from the task's next scenario (queued behind active runs in 'queue' mode). */
  runTask(task: TaskRecord, env: EnvKey, now: number): Execution {
    const waitFor = this.endOfActive(this.activeExecutions(task, env, now));
    const execution = this.newExecution(task, env, 'api', now, this.nextScenario(task, env), waitFor);
    task.executions.push(execution);
    return execution;
  }

  /** Plans a whole map run: stage by stage, members of a stage concurrently, per the failure policy. */
  runProcessMap(map: MapRecord, env: EnvKey, now: number): MapRun {
    const previous = map.runs.filter((r) => r.env === env).map((r) => r.execution);
    const runStart = Math.max(now, this.endOfActive(previous.filter((e) => phaseAt(e, now) !== 'ended')) ?? now);
    const memberExecutions: MapRun['memberExecutions'] = [];
    // lastExecutionDate moves at runStart; the members are dispatched mapDispatchDelayMs later (apis.md §1.5 #4).
    const dispatchMs = runStart + Math.max(0, this.options.mapDispatchDelayMs);
    let stageStart = dispatchMs;
    let runEnd: number | null = dispatchMs;
    let anyFailed = false;
    for (const stage of this.runnableStages(map, env)) {
      if (!Number.isFinite(stageStart)) {
        runEnd = null;
        break;
      }
      let stageEnd = stageStart;
      for (const task of stage) {
        const execution = this.newExecution(task, env, 'map', stageStart, this.nextScenario(task, env));
        task.executions.push(execution);
        memberExecutions.push({ taskKey: taskKey(task.taskType, task.taskId), execution });
        if (execution.endMs === null) stageEnd = Number.POSITIVE_INFINITY;
        else stageEnd = Math.max(stageEnd, execution.endMs);
        if (!execution.succeeded) anyFailed = true;
      }
      if (!Number.isFinite(stageEnd)) {
        runEnd = null; // a member never ends: the later stages never start
        break;
      }
      runEnd = stageEnd;
      stageStart = stageEnd;
      if (anyFailed && map.failurePolicy === 'fail-parent') break;
    }
    const execution: Execution = {
      executionId: this.allocateExecutionId(),
      env,
      origin: 'map',
      createdMs: now,
      startMs: runStart,
      endMs: runEnd,
      runningWord: 'Running',
      finalWord: anyFailed ? 'Failed' : 'Finished',
      succeeded: !anyFailed,
      rowVisibleMs: now + this.options.rowDelayMs,
      log: { kind: 'lines', lines: [`Starting process map: ${map.name}`, anyFailed ? 'ERROR: One or more tasks failed.' : 'Process map finished.'] },
    };
    const run: MapRun = { env, execution, memberExecutions, dispatchMs };
    map.runs.push(run);
    return run;
  }

  /** Members that can run in env, grouped by stage number in ascending order. Disabled members never run. */
  runnableStages(map: MapRecord, env: EnvKey): TaskRecord[][] {
    const byStage = new Map<number, TaskRecord[]>();
    for (const member of map.members) {
      const task = this.findTask(map.ws, member.taskType, member.taskId);
      if (!task || member.disabled || task.disabled || !task.environments.has(env)) continue;
      byStage.set(member.stage, [...(byStage.get(member.stage) ?? []), task]);
    }
    return [...byStage.entries()].sort(([a], [b]) => a - b).map(([, tasks]) => tasks);
  }

  // ----- environments -----------------------------------------------------------------------------------

  /** World-API environment names: Production, Development, Test or Testing (any case). */
  envKeyOf(name: string): EnvKey {
    const lower = name.toLowerCase();
    if (lower === 'production') return 'Production';
    if (lower === 'development') return 'Development';
    if (lower === 'test' || lower === 'testing') return 'Test';
    throw new Error(`unknown environment ${name}`);
  }

  /** How the environment is spelled on the wire. */
  envWireName(env: EnvKey): string {
    return env === 'Test' ? this.options.testEnvironmentWord : env;
  }

  // ----- internals --------------------------------------------------------------------------------------

  private nextScenario(task: TaskRecord, env: EnvKey): Scenario {
    const slot = task.scenarios.get(env) ?? task.scenarios.get('*');
    if (!slot) return DEFAULT_SCENARIO;
    const scenario = slot.list[Math.min(slot.next, slot.list.length - 1)]!;
    slot.next++;
    return scenario;
  }

  /** When the last of these executions ends; Infinity when one never ends; undefined when there are none. */
  private endOfActive(active: Execution[]): number | undefined {
    if (active.length === 0) return undefined;
    let end = 0;
    for (const e of active) end = Math.max(end, e.endMs === null ? Number.POSITIVE_INFINITY : e.endMs);
    return end;
  }

  private newExecution(task: TaskRecord, env: EnvKey, origin: ExecutionOrigin, createdMs: number, s: Scenario, notBeforeMs?: number): Execution {
    const startMs = Math.max(createdMs, notBeforeMs ?? createdMs) + (s.queuedMs ?? 0);
    const neverEnds = s.outcome === 'hang' || s.outcome === 'unknown-running';
    const endMs = neverEnds ? null : startMs + (s.durationMs ?? 1000);
    const finalWord = s.outcome === 'unknown-running' ? 'Paused' : (s.statusWord ?? FINAL_WORDS[s.outcome]);
    const runningWord = s.outcome === 'unknown-running' ? (s.statusWord ?? 'Paused') : 'Running';
    const rowVisibleMs = this.options.rowOnlyWhenStarted
      ? Math.max(startMs, createdMs + this.options.rowDelayMs)
      : createdMs + this.options.rowDelayMs;
    return {
      executionId: this.allocateExecutionId(),
      env,
      origin,
      createdMs,
      startMs,
      endMs,
      runningWord,
      finalWord,
      succeeded: s.outcome === 'success',
      rowVisibleMs,
      log: this.logSource(task, s, finalWord),
    };
  }

  private logSource(task: TaskRecord, s: Scenario, finalWord: string): LogSource {
    const shape = s.logShape ? { shape: s.logShape } : {};
    if (s.logLineCount !== undefined) {
      const finalLine = s.outcome === 'success' ? null : `ERROR: ${task.taskName} ended with status ${finalWord}.`;
      return { kind: 'synthetic', count: s.logLineCount, finalLine, taskName: task.taskName, ...shape };
    }
    return { kind: 'lines', lines: s.logLines ?? task.logLines ?? defaultLogLines(task, finalWord), ...shape };
  }

  private historyExecution(task: TaskRecord, item: HistoryItem): Execution {
    const startMs = this.clock.now() - item.startedAgoMs;
    const neverEnds = item.status === 'Running' || item.status === 'Queued';
    const executionId = item.executionId ?? this.allocateHistoryId();
    this.claimId(executionId);
    return {
      executionId,
      env: this.envKeyOf(item.env ?? 'Production'),
      origin: 'history',
      createdMs: startMs,
      startMs: item.status === 'Queued' ? Number.POSITIVE_INFINITY : startMs,
      endMs: neverEnds ? null : startMs + item.durationMs,
      runningWord: 'Running',
      finalWord: item.status,
      succeeded: item.status === 'Finished',
      rowVisibleMs: startMs,
      log: { kind: 'lines', lines: item.logLines ?? task.logLines ?? defaultLogLines(task, item.status) },
    };
  }

  /** Seeded history ids live in 90000-99999, above the ids new executions get (non-monotonic mode). */
  private allocateHistoryId(): number {
    for (;;) {
      const id = randomInt(this.random, 90000, 99999);
      if (!this.usedIds.has(id)) return id;
    }
  }

  private allocateExecutionId(): number {
    let id: number;
    switch (this.options.idMode) {
      case 'monotonic':
        id = this.highestId + 1;
        break;
      case 'random':
        do id = randomInt(this.random, 10000, 999999);
        while (this.usedIds.has(id));
        break;
      case 'non-monotonic':
        do {
          id = this.nextNewId;
          this.nextNewId += randomInt(this.random, 1, 9);
        } while (this.usedIds.has(id));
        break;
    }
    this.claimId(id);
    return id;
  }

  private claimId(id: number): void {
    this.usedIds.add(id);
    this.highestId = Math.max(this.highestId, id);
  }
}

const FINAL_WORDS: Record<ScenarioOutcome, string> = {
  success: 'Finished',
  failure: 'Failed',
  cancelled: 'Cancelled', // inferred word (apis.md §1.7: no cancel word is documented)
  'unknown-ended': 'Aborted',
  hang: 'Running',
  'unknown-running': 'Paused',
};

function defaultLogLines(task: TaskRecord, finalWord: string): string[] {
  const lines = [`Starting ${task.taskType} execution: ${task.taskName}`];
  if (finalWord === 'Finished') lines.push('Execution finished successfully.');
  else if (finalWord === 'Failed') lines.push(`ERROR: ${task.taskName} failed.`);
  else lines.push(`Execution ended with status ${finalWord}.`);
  return lines;
}

/**
 * One case's world: a simulator of its own (so every case may use different server freedoms and a clock of
 * its own, e.g. just after a daylight-saving fall-back), the one target the step runs, the runs of others,
 * the fault schedule, and the simulator's ground truth about the target's runs, triggers and cancels.
 *
 * The truth is read from the worlds' records (scheduled times, final words, origins), never from what the
 * client printed.
 */
import { startSimulator, formatServerLocal, type FaultRule, type Simulator } from '../../src/simulator/index.js';
import type { MapRecord, MapRun, TdpOptions } from '../../src/simulator/tdp-world.js';
import type { QarionOptions } from '../../src/simulator/qarion-world.js';
import type { PlanasonixOptions } from '../../src/simulator/planasonix-world.js';
import type { Case, FaultSpec, ForeignSpec, RunSpec } from './scenario.js';

/** Simulated ms per real ms: a 4 s run takes 200 ms. */
export const TIME_SCALE = 20;

export const KEYS = {
  timextender: 'txk_ExploreContributorKey00000000000001',
  qarion: 'qrn_ExploreEditorKey0000000000000000000000001',
  planasonix: 'plx_live_ExploreKey000000000000000000001',
} as const;

const WS = 'explore';
const TASK_ID = 5001;
const MAP_ID = 77;
const MEMBER_BASE = 6001;
const SPACE = 'explore';
const CONN = 'conn_explore';
const PIPE = 'pl_explore';
const TDP_API = `/api/v0/orchestration/${WS}`;

/** The first DST fall-back of Europe/Copenhagen after which the cases' clocks start (2026-10-25 03:00 CEST → 02:00 CET). */
export const FALL_BACK_UTC = Date.UTC(2026, 9, 25, 1, 0, 0);

/** Success words per apis.md §2.3 (Qarion runs) and §3.4 (Planasonix jobs and runs); TDP's is `Finished` (§1.7). */
const QARION_SUCCESS_WORDS = ['success', 'succeeded', 'completed', 'complete'];
const PLANASONIX_SUCCESS_WORDS = ['completed', 'succeeded', 'success'];

/** One run of the target as the simulator knows it. */
export interface TruthRun {
  /** The ids a step may report for it (TDP map runs: `<mapId>@<local start>`; Qarion: run id and Airflow id). */
  ids: string[];
  origin: 'api' | 'foreign' | 'history';
  createdMs: number;
  /** Start (Infinity while it waits for ever). */
  startMs: number;
  /** End; null when it never ends. */
  endMs: number | null;
  /** It ends with the platform's own success word (and, for a map, every member succeeded). */
  success: boolean;
  /** The raw word it shows now. */
  word: string;
  /** When the platform starts listing it (Infinity: only after something, e.g. a connector sync). */
  visibleMs: number;
  /** This step's idempotency key, when the run carries one. */
  idempotencyKey?: string;
}

export interface TriggerTruth {
  simTimeMs: number;
}

export interface CancelTruth {
  id: string;
  simTimeMs: number;
  /** What the request was (method and path), for the report. */
  request: string;
}

export interface CaseWorld {
  sim: Simulator;
  platform: 'timextender' | 'qarion' | 'planasonix';
  key: string;
  baseUrl: string;
  /** Step inputs naming the target (and the platform's extras). */
  inputs: Record<string, string>;
  /** Every run of the target (for a map: its map runs), now. */
  runs(): TruthRun[];
  /** Trigger requests the server applied for this target (a run was created, not an idempotent replay). */
  appliedTriggers(): TriggerTruth[];
  /** Requests that cancel (or try to cancel) a run, whatever the platform. */
  cancels(): CancelTruth[];
  /** The fault rules' ids (to count how many were applied). */
  faultIds: string[];
  /** The path of the target's trigger request. */
  triggerPath: string;
  close(): Promise<void>;
}

export function runSucceededBy(run: TruthRun, t: number): boolean {
  return run.success && run.endMs !== null && run.endMs <= t;
}

export function runEndedBy(run: TruthRun, t: number): boolean {
  return run.endMs !== null && run.endMs <= t;
}

function scenarioOf(spec: RunSpec) {
  return {
    outcome: spec.outcome,
    queuedMs: spec.queuedMs,
    durationMs: spec.durationMs,
    ...(spec.statusWord !== undefined && { statusWord: spec.statusWord }),
  };
}

function foreignScenario(f: ForeignSpec) {
  return { outcome: f.outcome, durationMs: f.durationMs, queuedMs: 0 };
}

/** Real-time timers of the case (foreign map runs at their time); cleared when the case closes. */
class Timers {
  private readonly list: NodeJS.Timeout[] = [];
  at(simDelayMs: number, fn: () => void): void {
    const t = setTimeout(fn, Math.max(0, simDelayMs / TIME_SCALE));
    t.unref?.();
    this.list.push(t);
  }
  /** Calls fn once, as soon as `seen()` holds (checked every real millisecond). */
  when(seen: () => boolean, fn: () => void): void {
    const t = setInterval(() => {
      if (!seen()) return;
      clearInterval(t);
      fn();
    }, 1);
    t.unref?.();
    this.list.push(t);
  }
  clear(): void {
    for (const t of this.list) clearTimeout(t);
  }
}

export async function buildWorld(c: Case, seed: number): Promise<CaseWorld> {
  const tdpOptions: Partial<TdpOptions> = { ...(c.tdp as Partial<TdpOptions>) };
  if (c.dst) tdpOptions.timeZone = 'Europe/Copenhagen';
  // Start between 2 and 50 minutes after the fall-back: the hour before it repeats in local time.
  const startEpochMs = c.dst ? FALL_BACK_UTC + 120_000 + (seed % 48) * 60_000 : undefined;
  const sim = await startSimulator({
    seed: (seed % 1_000_000) + 1,
    timeScale: TIME_SCALE,
    ...(startEpochMs !== undefined && { startEpochMs }),
    timextender: tdpOptions,
    // The per-key budget is not a freedom explored here (429s come from the fault schedule).
    qarion: { ...(c.qarion as Partial<QarionOptions>), rateLimit: 1_000_000_000 },
    planasonix: { ...(c.planasonix as Partial<PlanasonixOptions>), rateLimit: null },
  });
  const timers = new Timers();
  try {
    const world =
      c.target === 'tdp-task' ? tdpTask(sim, c) : c.target === 'tdp-map' ? tdpMap(sim, c, timers) : c.target === 'qarion' ? qarion(sim, c) : planasonix(sim, c);
    world.faultIds = c.faults.map((f) => sim.faults.add(faultRule(f, world.triggerPath)));
    // Runs of others that start around the step's trigger: when its first trigger request reaches the server.
    const around = c.foreign.filter((f) => f.when === 'around-trigger');
    if (around.length > 0 && world.startAround) {
      const start = world.startAround;
      const triggered = () => sim.journal.count({ method: 'POST', path: world.triggerPath }) > 0;
      // These worlds cannot list a run retroactively: "just before ours" is "at the same moment" here (the
      // 'during' runs start just before the trigger); the Qarion world does it itself, listed from the trigger on.
      timers.when(triggered, () => around.forEach((f) => start({ ...f, atMs: Math.max(0, f.atMs) })));
    }
    const close = world.close;
    world.close = async () => {
      timers.clear();
      await close();
    };
    return world;
  } catch (error) {
    timers.clear();
    await sim.close();
    throw error;
  }
}

function faultRule(f: FaultSpec, triggerPath: string): FaultRule {
  const rule: FaultRule = { kind: f.kind as FaultRule['kind'], skip: f.skip, times: f.times };
  if (f.status !== undefined) rule.status = f.status;
  if (f.delayMs !== undefined) rule.delayMs = f.delayMs;
  if (f.headers !== undefined) rule.headers = f.headers;
  if (f.route === 'trigger') {
    rule.method = 'POST';
    rule.path = triggerPath;
  } else if (f.route === 'read') {
    rule.method = 'GET';
  }
  return rule;
}

type Built = CaseWorld & {
  /** Starts a run of others `f.atMs` from now (for 'around-trigger' runs; absent when the world does it itself). */
  startAround?: (f: ForeignSpec) => void;
};

/** Runs the world creates when it is built (the others start around the trigger). */
const atSetup = (f: ForeignSpec) => f.when !== 'around-trigger';

const closeSim = (sim: Simulator) => () => sim.close();

// ---------------------------------------------------------------------------------------------------------
// TimeXtender

function tdpSetup(sim: Simulator): void {
  sim.tdp.addUser('explorer');
  sim.tdp.addKey('explorer', KEYS.timextender);
  sim.tdp.addWorkspace(WS, { name: 'Explore', access: { explorer: 'contributor' } });
}

function tdpRunsOf(sim: Simulator, taskType: string, taskId: number): TruthRun[] {
  const now = sim.clock.now();
  return sim.tdp
    .task(WS, taskType, taskId)
    .executions.filter((e) => e.env === 'Production')
    .map((e) => ({
      ids: [String(e.executionId)],
      origin: e.origin === 'api' ? 'api' : e.origin === 'history' ? 'history' : 'foreign',
      createdMs: e.createdMs,
      startMs: e.startMs,
      endMs: e.endMs,
      success: e.succeeded && e.finalWord.trim().toLowerCase() === 'finished',
      word: e.createdMs <= now ? (e.endMs !== null && e.endMs <= now ? e.finalWord : e.startMs <= now ? e.runningWord : 'Queued') : '(not yet)',
      visibleMs: e.rowVisibleMs,
    }));
}

function tdpTriggers(sim: Simulator, kind: 'task' | 'process-map', target: string): TriggerTruth[] {
  return sim.tdp
    .triggers()
    .filter((t) => t.kind === kind && t.ws === WS && t.target === target && t.accepted)
    .map((t) => ({ simTimeMs: t.simTimeMs }));
}

/** Cancels on a platform without a cancel route: any DELETE, or a path that says cancel/stop/abort. */
function journalCancels(sim: Simulator): CancelTruth[] {
  return sim.journal
    .entries()
    .filter((e) => e.method === 'DELETE' || /\/(cancel|stop|abort)\b/i.test(e.path))
    .map((e) => ({ id: e.path, simTimeMs: e.simTimeMs, request: `${e.method} ${e.path}` }));
}

function tdpTask(sim: Simulator, c: Case): Built {
  tdpSetup(sim);
  const past = c.foreign.filter((f) => f.when === 'past');
  sim.tdp.addTask(WS, {
    taskType: 'Package',
    taskId: TASK_ID,
    taskName: 'Explore Load',
    processMapId: null,
    history: past.map((f) => ({ startedAgoMs: -f.atMs, durationMs: f.durationMs, status: f.outcome === 'success' ? 'Finished' : 'Failed' })),
  });
  const start = (f: ForeignSpec) => sim.tdp.startForeignRun(WS, 'Package', TASK_ID, { ...foreignScenario(f), delayMs: f.atMs });
  for (const f of c.foreign.filter((x) => x.when !== 'past' && atSetup(x))) start(f);
  sim.tdp.setScenario(WS, 'Package', TASK_ID, scenarioOf(c.own));
  const base = `${TDP_API}/tasks/Package/${TASK_ID}`;
  return {
    sim,
    platform: 'timextender',
    key: KEYS.timextender,
    baseUrl: sim.url,
    inputs: { workspace: WS, task: `Package/${TASK_ID}` },
    runs: () => tdpRunsOf(sim, 'Package', TASK_ID),
    appliedTriggers: () => tdpTriggers(sim, 'task', `Package/${TASK_ID}`),
    cancels: () => journalCancels(sim),
    faultIds: [],
    triggerPath: `${base}/trigger`,
    startAround: start,
    close: closeSim(sim),
  };
}

function tdpMap(sim: Simulator, c: Case, timers: Timers): Built {
  tdpSetup(sim);
  const members = c.members.map((m, i) => ({ ...m, taskId: MEMBER_BASE + i }));
  for (const m of members) {
    sim.tdp.addTask(WS, { taskType: 'Package', taskId: m.taskId, taskName: `Explore Member ${m.taskId}`, processMapId: MAP_ID });
  }
  sim.tdp.addProcessMap(WS, {
    processMapId: MAP_ID,
    name: 'Explore Map',
    failurePolicy: c.failurePolicy,
    members: members.map((m) => ({ taskType: 'Package', taskId: m.taskId, stage: m.stage })),
  });
  const map = sim.tdp.workspace(WS).maps.get(MAP_ID) as MapRecord;
  const foreignRuns = new Set<MapRun>();
  const setMembers = (spec: (i: number) => RunSpec) => members.forEach((m, i) => sim.tdp.setScenario(WS, 'Package', m.taskId, scenarioOf(spec(i))));
  const ownMembers = () => setMembers((i) => members[i]!);
  // Runs of the whole map by others, in time order; and standalone runs of one member task.
  const startMapRun = (f: ForeignSpec, now: number) => {
    const asMember = (): RunSpec => ({ outcome: f.outcome, queuedMs: 0, durationMs: Math.max(50, Math.floor(f.durationMs / 2)) });
    if (f.atMs <= 0) {
      setMembers(asMember);
      foreignRuns.add(sim.tdp.runProcessMap(map, 'Production', now + f.atMs));
      ownMembers();
    } else {
      timers.at(f.atMs, () => {
        setMembers(asMember);
        foreignRuns.add(sim.tdp.runProcessMap(map, 'Production', sim.clock.now()));
        ownMembers();
      });
    }
  };
  const startMember = (f: ForeignSpec) => {
    const member = members[f.member! % members.length]!;
    sim.tdp.startForeignRun(WS, 'Package', member.taskId, { ...foreignScenario(f), delayMs: f.atMs });
  };
  const start = (f: ForeignSpec) => (f.member === undefined ? startMapRun(f, sim.clock.now()) : startMember(f));
  const now = sim.clock.now();
  for (const f of c.foreign.filter((x) => x.member === undefined && atSetup(x)).sort((a, b) => a.atMs - b.atMs)) startMapRun(f, now);
  for (const f of c.foreign.filter((x) => x.member !== undefined && atSetup(x))) startMember(f);
  ownMembers();
  const zone = sim.tdp.options.timeZone;
  const local = (ms: number) => formatServerLocal(ms, zone);
  return {
    sim,
    platform: 'timextender',
    key: KEYS.timextender,
    baseUrl: sim.url,
    inputs: { workspace: WS, 'process-map': String(MAP_ID) },
    runs: () => {
      const t = sim.clock.now();
      return map.runs
        .filter((r) => r.env === 'Production')
        .map((r) => {
          const e = r.execution;
          // The handle names the run by lastExecutionDate: its start, or its creation while it waits.
          const ids = [`${MAP_ID}@${local(e.createdMs)}`];
          if (Number.isFinite(e.startMs) && e.startMs !== e.createdMs) ids.unshift(`${MAP_ID}@${local(e.startMs)}`);
          const ended = e.endMs !== null && e.endMs <= t;
          return {
            ids,
            origin: foreignRuns.has(r) ? 'foreign' : 'api',
            createdMs: e.createdMs,
            startMs: e.startMs,
            endMs: e.endMs,
            success: e.succeeded && e.finalWord === 'Finished' && r.memberExecutions.length > 0,
            word: ended ? e.finalWord : e.startMs <= t ? e.runningWord : 'Queued',
            visibleMs: e.createdMs,
          } satisfies TruthRun;
        });
    },
    appliedTriggers: () => tdpTriggers(sim, 'process-map', String(MAP_ID)),
    cancels: () => journalCancels(sim),
    faultIds: [],
    triggerPath: `${TDP_API}/process-maps/${MAP_ID}/trigger`,
    startAround: start,
    close: closeSim(sim),
  };
}

// ---------------------------------------------------------------------------------------------------------
// Qarion

function qarion(sim: Simulator, c: Case): Built {
  const q = sim.qarion;
  q.addKey('explorer', KEYS.qarion);
  q.addSpace(SPACE, { name: 'Explore', members: { explorer: 'Editor' } });
  const connectorId = q.addConnector(SPACE, { name: 'Airflow explore' });
  const past = c.foreign.filter((f) => f.when === 'past');
  const pipelineId = q.addPipeline(SPACE, {
    name: 'explore_load',
    connectorId,
    history: past.map((f) => ({ startedAgoMs: -f.atMs, durationMs: f.durationMs, status: f.outcome === 'success' ? 'success' : 'failed' })),
  });
  for (const f of c.foreign.filter((x) => x.when !== 'past' && atSetup(x))) q.startForeignRun(SPACE, pipelineId, { ...foreignScenario(f), delayMs: f.atMs });
  // A colleague's run just before or just after ours: the world starts it when our trigger arrives.
  for (const f of c.foreign.filter((x) => !atSetup(x))) q.foreignRunOnTrigger(SPACE, pipelineId, { ...foreignScenario(f), offsetMs: f.atMs });
  q.setScenario(SPACE, pipelineId, scenarioOf(c.own));
  const orch = `/api/v1.0/spaces/${SPACE}/orchestration`;
  return {
    sim,
    platform: 'qarion',
    key: KEYS.qarion,
    baseUrl: sim.url,
    inputs: { space: SPACE, pipeline: pipelineId, ...(c.syncBeforePoll && { 'sync-before-poll': 'true' }) },
    runs: () => {
      const t = sim.clock.now();
      return q.pipeline(SPACE, pipelineId).runs.map((r) => ({
        ids: [r.id, r.providerRunId],
        origin: r.origin,
        createdMs: r.createdMs,
        startMs: r.startMs,
        endMs: r.endMs,
        // The success words of the status table in apis.md §2.3 (the run's own final word, raw).
        success: QARION_SUCCESS_WORDS.includes(r.finalWord.trim().toLowerCase()),
        word: r.createdMs <= t ? (r.endMs !== null && r.endMs <= t ? r.finalWord : r.startMs <= t ? r.runningWord : 'queued') : '(not yet)',
        visibleMs: r.visibleMs,
      }));
    },
    appliedTriggers: () =>
      q
        .triggers()
        .filter((t) => t.pipelineId === pipelineId && t.status >= 200 && t.status < 300)
        .map((t) => ({ simTimeMs: t.simTimeMs })),
    cancels: () => journalCancels(sim),
    faultIds: [],
    triggerPath: `${orch}/pipelines/${pipelineId}/trigger`,
    close: closeSim(sim),
  };
}

// ---------------------------------------------------------------------------------------------------------
// Planasonix: a connection sync, or a pipeline run

function planasonix(sim: Simulator, c: Case): Built {
  const plx = sim.planasonix;
  plx.addKey(KEYS.planasonix);
  const sync = c.target === 'plx-sync';
  const base = plx.options.basePath;
  if (sync) {
    plx.addConnection(CONN, { name: 'Explore connection', tables: ['orders'] });
    plx.setSyncScenario(CONN, { ...scenarioOf(c.own), rows: 100, ...(c.own.outcome === 'failure' && { errorMessage: 'ERROR: source did not answer', errorCode: 'SOURCE_TIMEOUT' }) });
  } else {
    plx.addPipeline(PIPE, { name: 'Explore pipeline', nodes: [{ id: 'extract', name: 'Extract' }, { id: 'load', name: 'Load' }] });
    plx.setPipelineScenario(PIPE, { ...scenarioOf(c.own), rows: 100 });
  }
  // Past and in-flight runs of others are created in the past (negative delay); the others at their time.
  const start = (f: ForeignSpec) => {
    if (sync) plx.startForeignJob(CONN, { ...foreignScenario(f), delayMs: f.atMs });
    else plx.startForeignRun(PIPE, { ...foreignScenario(f), delayMs: f.atMs });
  };
  for (const f of c.foreign.filter(atSetup)) start(f);
  const truth = () => (sync ? plx.jobs(CONN) : plx.runs(PIPE));
  return {
    sim,
    platform: 'planasonix',
    key: KEYS.planasonix,
    baseUrl: `${sim.url}${base}`,
    inputs: {
      ...(sync ? { connection: CONN } : { pipeline: PIPE }),
      ...(c.idempotencyKey && { 'idempotency-key': 'explore-step-key-1' }),
    },
    runs: () => {
      const t = sim.clock.now();
      return truth().map((r) => {
        const ended = r.endMs !== null && r.endMs <= t;
        return {
          ids: [r.id],
          origin: r.origin,
          createdMs: r.createdMs,
          startMs: r.startMs,
          endMs: ended ? r.endMs : null,
          success: ended && PLANASONIX_SUCCESS_WORDS.includes(r.status.trim().toLowerCase()),
          word: r.status,
          visibleMs: r.createdMs,
          ...(r.idempotencyKey !== undefined && { idempotencyKey: r.idempotencyKey }),
        };
      });
    },
    appliedTriggers: () =>
      plx
        .triggers()
        .filter((t) => t.kind === (sync ? 'sync' : 'pipeline-run') && t.target === (sync ? CONN : PIPE) && t.status >= 200 && t.status < 300 && !t.replay && t.resourceId !== undefined)
        .map((t) => ({ simTimeMs: t.simTimeMs })),
    cancels: () => [
      ...plx.cancels().map((x) => ({ id: x.id, simTimeMs: x.simTimeMs, request: `cancel ${x.kind} ${x.id} (${x.status})` })),
    ],
    faultIds: [],
    triggerPath: sync ? `${base}/api/v1/connections/${CONN}/sync` : `${base}/api/pipelines/${PIPE}/run`,
    startAround: start,
    close: closeSim(sim),
  };
}

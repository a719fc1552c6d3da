/**
 * What the fault matrix and the soak need to know about each platform: how to seed one target in the
 * simulator, which requests (route + method) make up each phase of a step, and the simulator's truth about
 * the runs started. PLATFORMS follows the registry (src/providers/registry.ts): every registered platform
 * must have an entry here.
 *
 * A phase begins when the engine first calls the provider method(s) of that phase (resolve → resolve;
 * baseline → inFlight, baseline; trigger → trigger; follow → find, observe; logs → failures; cancel →
 * cancel). `phaseLoader` wraps the real provider (behaviour unchanged) to note that moment, so a fault rule
 * for the phase's routes is added then: the first matching request from there on is the phase's first
 * request, whatever number of earlier requests the same route had (Qarion and Planasonix read a run with
 * the same route while following it and while fetching its failure details).
 */
import type { Platform } from '../../src/core/settings.js';
import { loadProvider, PLATFORMS as REGISTERED } from '../../src/providers/registry.js';
import type { Provider, ProviderLoader, ProviderModule } from '../../src/core/provider.js';
import type { FaultRule, ScenarioOutcome, Simulator } from '../../src/simulator/index.js';
import { createPlanasonixModule, type PlanasonixModule } from '../../src/simulator/planasonix.js';
import { createQarionModule, qarionRunWordAt, type QarionModule, type QarionRunRecord } from '../../src/simulator/qarion.js';

export type MatrixPhase = 'resolve' | 'baseline' | 'trigger' | 'follow' | 'logs' | 'cancel';
export const PHASES: readonly MatrixPhase[] = ['resolve', 'baseline', 'trigger', 'follow', 'logs', 'cancel'];

/** The provider methods whose first call starts each phase. */
export const PHASE_METHODS: Record<MatrixPhase, readonly string[]> = {
  resolve: ['resolve'],
  baseline: ['inFlight', 'baseline'],
  trigger: ['trigger'],
  follow: ['find', 'observe'],
  logs: ['failures'],
  cancel: ['cancel'],
};

/** The words an error line may use for each phase (the engine splits "follow" into find + follow). */
export const PHASE_WORDS: Record<MatrixPhase, RegExp> = {
  resolve: /\bresolve\b/,
  baseline: /\bbaseline\b/,
  trigger: /\btrigger\b/,
  follow: /\b(find|follow)\b/,
  logs: /\blogs?\b|failure details/,
  cancel: /\bcancel/,
};

export type Outcome = ScenarioOutcome;

export interface Route {
  method: string;
  path: string | RegExp;
}

export interface RunTruth {
  runId: string;
  /** The platform's raw status word now. */
  status: string;
  ended: boolean;
  /** Ended with the platform's own success word. */
  green: boolean;
}

export interface SeedOptions {
  queuedMs?: number;
  durationMs?: number;
  statusWord?: string;
  logLines?: string[];
}

/** One target seeded in a simulator. */
export interface SeededTarget {
  /** Step inputs (kebab-case) besides platform, base-url, api-key, timeout and poll-interval. */
  inputs: Record<string, string>;
  /** The requests of each phase (empty: the platform sends none in that phase). */
  routes(phase: MatrixPhase): Route[];
  /** This target's own routes (no route another target shares), for the soak's fault schedule. */
  allRoutes(): Route[];
  /** Runs of this target started through the API (not history, schedules or other users). */
  apiRuns(): RunTruth[];
  /** Truth for one run id as the step reports it. */
  truthOf(runId: string): RunTruth | undefined;
  /** Trigger requests the server applied (a run was created), whatever the client saw. */
  appliedTriggers(): number;
  /** Trigger requests the server received. */
  triggerRequests(): number;
  /** Cancel requests the server received for this target. */
  cancelRequests(): number;
  /** A schedule or another user starts the target. */
  startForeignRun(outcome: 'success' | 'failure', durationMs: number, delayMs: number): void;
}

export interface ProofPlatform {
  name: Platform;
  key: string;
  /** Whether the platform can cancel a run (the cancel phase then has requests). */
  canCancel: boolean;
  /** Phases in which the platform sends no request (the matrix has no case there, and says so). */
  silentPhases: readonly MatrixPhase[];
  /** What each of a target's `allRoutes()` is, in order (the soak puts lost answers on triggers only). */
  routeKinds: ReadonlyArray<'read' | 'trigger'>;
  /** Mounts the platform's module if needed, and seeds users, keys, a workspace/space; once per simulator. */
  prepare(sim: Simulator): void;
  /** The base URL for this simulator. */
  baseUrl(sim: Simulator): string;
  /** A fresh target (unique per call) with this outcome. */
  seed(sim: Simulator, outcome: Outcome, options?: SeedOptions): SeededTarget;
  /** Releases what `prepare` opened besides the simulator. */
  close(sim: Simulator): Promise<void>;
}

export const FAILURE_LINES = ['Starting package execution', 'ERROR: Proof failure: the source did not answer.', '   at Proof.Source.Open()'];

const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

// ---------------------------------------------------------------------------------------------------------
// TimeXtender

export const TDP_KEY = 'txk_ProofMatrixContributorKey0000001';
export const TDP_WS = 'proof';
const TDP_API = '/api/v0/orchestration';
let nextTdpTask = 20_000;

export const timextender: ProofPlatform = {
  name: 'timextender',
  key: TDP_KEY,
  canCancel: false,
  silentPhases: [],
  routeKinds: ['read', 'read', 'trigger', 'read'],
  prepare(sim) {
    sim.tdp.addUser('prover');
    sim.tdp.addKey('prover', TDP_KEY);
    sim.tdp.addWorkspace(TDP_WS, { name: 'Proof', access: { prover: 'contributor' } });
    // A second trigger while one runs would start a second execution instead of a 409: a double trigger by
    // the client cannot hide behind the server's own guard.
    sim.tdp.options.secondTriggerWhileRunning = 'queue';
  },
  baseUrl: (sim) => sim.url,
  async close() {},
  seed(sim, outcome, options = {}) {
    const taskId = nextTdpTask++;
    const history = [1, 2].map((i) => ({ startedAgoMs: i * 86_400_000, durationMs: 60_000, status: 'Finished' }));
    sim.tdp.addTask(TDP_WS, { taskType: 'Package', taskId, taskName: `Proof Load ${taskId}`, processMapId: null, history });
    sim.tdp.setScenario(TDP_WS, 'Package', taskId, {
      outcome,
      queuedMs: options.queuedMs ?? 0,
      durationMs: options.durationMs ?? 300,
      logLines: options.logLines ?? (outcome === 'failure' ? FAILURE_LINES : ['Execution finished successfully.']),
      ...(options.statusWord !== undefined && { statusWord: options.statusWord }),
    });
    const base = `${TDP_API}/${TDP_WS}/tasks/Package/${taskId}`;
    const task: Route = { method: 'GET', path: base };
    const history_: Route = { method: 'GET', path: `${base}/executions` };
    const trigger: Route = { method: 'POST', path: `${base}/trigger` };
    const log: Route = { method: 'GET', path: new RegExp(`^${escape(base)}/executions/\\d+/log$`) };
    const truth = (e: { executionId: number; status: string; endMs: number | null }): RunTruth => {
      const ended = e.endMs !== null && e.endMs <= sim.clock.now();
      return { runId: String(e.executionId), status: e.status, ended, green: ended && e.status.trim().toLowerCase() === 'finished' };
    };
    const executions = () => sim.tdp.executions(TDP_WS, 'Package', taskId);
    return {
      inputs: { workspace: TDP_WS, task: `Package/${taskId}` },
      routes: (phase) => ({ resolve: [task], baseline: [task, history_], trigger: [trigger], follow: [history_], logs: [log], cancel: [] })[phase],
      allRoutes: () => [task, history_, trigger, log],
      apiRuns: () => executions().filter((e) => e.origin === 'api').map(truth),
      truthOf: (runId) => {
        const e = executions().find((x) => String(x.executionId) === runId);
        return e ? truth(e) : undefined;
      },
      appliedTriggers: () => sim.tdp.triggers().filter((t) => t.target === `Package/${taskId}` && t.ws === TDP_WS && t.accepted).length,
      triggerRequests: () => sim.journal.count(trigger),
      cancelRequests: () => sim.journal.count({ path: new RegExp(`^${escape(base)}.*(cancel|stop|abort)`, 'i') }) + sim.journal.count({ method: 'DELETE', path: new RegExp(`^${escape(base)}`) }),
      startForeignRun: (o, durationMs, delayMs) => sim.tdp.startForeignRun(TDP_WS, 'Package', taskId, { outcome: o, durationMs, delayMs }),
    };
  },
};

// ---------------------------------------------------------------------------------------------------------
// Qarion (mounted as test/helpers/qarion.ts does)

export const QARION_KEY = 'qrn_ProofMatrixEditorKey000000000000000001';
const Q_SPACE = 'proof';
const qarionModules = new WeakMap<Simulator, QarionModule>();

function qarionOf(sim: Simulator): QarionModule {
  const q = qarionModules.get(sim);
  if (!q) throw new Error('qarion.prepare(sim) was not called');
  return q;
}

let nextQarionPipeline = 1;

export const qarion: ProofPlatform = {
  name: 'qarion',
  key: QARION_KEY,
  canCancel: false,
  silentPhases: [],
  routeKinds: ['read', 'read', 'trigger', 'read'],
  prepare(sim) {
    // Rate limits have their own case in the matrix (429): the per-key budget must not interfere.
    const q = createQarionModule({ clock: sim.clock, seed: 11, options: { rateLimit: 1_000_000_000, secondTriggerWhileActive: 'queue' } });
    sim.mount(q);
    qarionModules.set(sim, q);
    q.addKey('prover', QARION_KEY);
    q.addSpace(Q_SPACE, { name: 'Proof', members: { prover: 'Editor' } });
  },
  baseUrl: (sim) => sim.url,
  async close() {},
  seed(sim, outcome, options = {}) {
    const q = qarionOf(sim);
    const connectorId = q.addConnector(Q_SPACE, { name: `Airflow ${nextQarionPipeline}` });
    const history = [1, 2].map((i) => ({ startedAgoMs: i * 86_400_000, durationMs: 120_000, status: 'success' }));
    const pipelineId = q.addPipeline(Q_SPACE, { name: `proof_load_${nextQarionPipeline++}`, connectorId, history });
    const tasks = outcome === 'failure' ? [{ taskId: 'extract', state: 'success' }, { taskId: 'load', state: 'failed', errorText: FAILURE_LINES[1] }] : undefined;
    q.setScenario(Q_SPACE, pipelineId, {
      outcome,
      queuedMs: options.queuedMs ?? 0,
      durationMs: options.durationMs ?? 300,
      ...(tasks && { tasks }),
      ...(options.statusWord !== undefined && { statusWord: options.statusWord }),
    });
    const orch = `/api/v1.0/spaces/${Q_SPACE}/orchestration`;
    const pipeline: Route = { method: 'GET', path: `${orch}/pipelines/${pipelineId}` };
    const runsList: Route = { method: 'GET', path: `${orch}/pipelines/${pipelineId}/runs` };
    const trigger: Route = { method: 'POST', path: `${orch}/pipelines/${pipelineId}/trigger` };
    const ids = () => new Set(q.pipeline(Q_SPACE, pipelineId).runs.map((r) => r.id));
    // A run of THIS pipeline: its id is a UUID the journal path carries.
    const run: Route = { method: 'GET', path: { test: (p: string) => { const m = /\/orchestration\/runs\/([^/]+)$/.exec(p); return !!m && ids().has(m[1]!); }, lastIndex: 0 } as unknown as RegExp };
    const records = () => q.pipeline(Q_SPACE, pipelineId).runs;
    const truth = (r: QarionRunRecord): RunTruth => {
      const now = sim.clock.now();
      const status = qarionRunWordAt(r, now);
      const ended = r.endMs !== null && r.endMs <= now;
      return { runId: r.id, status, ended, green: ended && status.trim().toLowerCase() === 'success' };
    };
    return {
      inputs: { space: Q_SPACE, pipeline: pipelineId },
      routes: (phase) => ({ resolve: [pipeline], baseline: [runsList], trigger: [trigger], follow: [runsList, run], logs: [run], cancel: [] })[phase],
      allRoutes: () => [pipeline, runsList, trigger, run],
      apiRuns: () => records().filter((r) => r.origin === 'api' && r.createdMs <= sim.clock.now()).map(truth),
      truthOf: (runId) => {
        const r = records().find((x) => x.id === runId || x.providerRunId === runId);
        return r ? truth(r) : undefined;
      },
      appliedTriggers: () => q.triggers().filter((t) => t.pipelineId === pipelineId && t.status >= 200 && t.status < 300).length,
      triggerRequests: () => sim.journal.count(trigger),
      cancelRequests: () => sim.journal.count({ path: new RegExp(`(cancel|stop|abort)`, 'i') }) + sim.journal.count({ method: 'DELETE', path: /\/runs\// }),
      startForeignRun: (o, durationMs, delayMs) => void q.startForeignRun(Q_SPACE, pipelineId, { outcome: o, durationMs, delayMs }),
    };
  },
};

// ---------------------------------------------------------------------------------------------------------
// Planasonix (mounted as test/helpers/planasonix.ts does): connection sync jobs

export const PLANASONIX_KEY = 'plx_live_ProofMatrixKey0000000000000001';
const planasonixModules = new WeakMap<Simulator, PlanasonixModule>();
let nextConnection = 1;

function planasonixOf(sim: Simulator): PlanasonixModule {
  const plx = planasonixModules.get(sim);
  if (!plx) throw new Error('planasonix.prepare(sim) was not called');
  return plx;
}

export const planasonix: ProofPlatform = {
  name: 'planasonix',
  key: PLANASONIX_KEY,
  canCancel: true,
  // Connection ids are used as given: resolving a sync target sends no request.
  silentPhases: ['resolve'],
  routeKinds: ['trigger', 'read', 'read'],
  prepare(sim) {
    const plx = createPlanasonixModule({ clock: sim.clock, seed: 7, options: { rateLimit: null } });
    sim.mount(plx);
    planasonixModules.set(sim, plx);
    plx.addKey(PLANASONIX_KEY);
  },
  baseUrl: (sim) => `${sim.url}${planasonixOf(sim).options.basePath}`,
  close: (sim) => planasonixOf(sim).close(),
  seed(sim, outcome, options = {}) {
    const plx = planasonixOf(sim);
    const conn = `conn_proof_${nextConnection++}`;
    plx.addConnection(conn, { name: `Proof ${conn}`, tables: ['orders'] });
    plx.setSyncScenario(conn, {
      outcome,
      queuedMs: options.queuedMs ?? 0,
      durationMs: options.durationMs ?? 300,
      rows: 100,
      ...(outcome === 'failure' && { errorMessage: FAILURE_LINES[1], errorCode: 'SOURCE_TIMEOUT' }),
      ...(options.statusWord !== undefined && { statusWord: options.statusWord }),
    });
    const base = plx.options.basePath;
    const jobsList: Route = { method: 'GET', path: `${base}/api/v1/jobs` };
    const trigger: Route = { method: 'POST', path: `${base}/api/v1/connections/${conn}/sync` };
    const ids = () => new Set(plx.jobs(conn).map((j) => j.id));
    const matcher = (suffix: string) => ({ test: (p: string) => { const m = new RegExp(`/api/v1/jobs/([^/]+)${suffix}$`).exec(p); return !!m && ids().has(m[1]!); }, lastIndex: 0 }) as unknown as RegExp;
    const job: Route = { method: 'GET', path: matcher('') };
    const results: Route = { method: 'GET', path: matcher('/results') };
    const cancel: Route = { method: 'POST', path: matcher('/cancel') };
    const truth = (j: { id: string; status: string; endMs: number | null }): RunTruth => {
      const ended = j.endMs !== null && j.endMs <= sim.clock.now();
      return { runId: j.id, status: j.status, ended, green: ended && j.status.trim().toLowerCase() === 'completed' };
    };
    return {
      inputs: { connection: conn },
      routes: (phase) => ({ resolve: [], baseline: [jobsList], trigger: [trigger], follow: [job], logs: [job, results], cancel: [cancel] })[phase],
      // Not the job list: its path is the same for every connection (the connection is a query parameter),
      // so a fault rule on it in the soak's shared simulator would hit other scenarios.
      allRoutes: () => [trigger, job, results],
      apiRuns: () => plx.jobs(conn).filter((j) => j.origin === 'api').map(truth),
      truthOf: (runId) => {
        const j = plx.jobs(conn).find((x) => x.id === runId);
        return j ? truth(j) : undefined;
      },
      appliedTriggers: () => plx.triggers().filter((t) => t.kind === 'sync' && t.target === conn && t.status >= 200 && t.status < 300 && !t.replay).length,
      triggerRequests: () => sim.journal.count(trigger),
      cancelRequests: () => sim.journal.count(cancel),
      startForeignRun: (o, durationMs, delayMs) => void plx.startForeignJob(conn, { outcome: o, durationMs, delayMs }),
    };
  },
};

// ---------------------------------------------------------------------------------------------------------

/** Fault rules for the phase's routes (added when the phase begins: see phaseLoader). */
export function phaseRules(target: SeededTarget, phase: MatrixPhase, fault: Omit<FaultRule, 'method' | 'path' | 'skip'>): FaultRule[] {
  return target.routes(phase).map((r) => ({ ...fault, method: r.method, path: r.path, skip: 0 }));
}

/**
 * The real provider, wrapped only to notice when the engine enters each phase (the first call of one of the
 * phase's methods); `onPhase` runs synchronously before the method, so its fault rules catch the phase's
 * first request.
 */
export function phaseLoader(onPhase: (phase: MatrixPhase) => void): ProviderLoader {
  const entered = new Set<MatrixPhase>();
  const phaseOf = new Map<string, MatrixPhase>();
  for (const phase of PHASES) for (const method of PHASE_METHODS[phase]) phaseOf.set(method, phase);
  return async (name) => {
    const real = await loadProvider(name);
    const module: ProviderModule = {
      platform: real.platform,
      authHeaders: (key) => real.authHeaders(key),
      ...(real.accessHints && { accessHints: real.accessHints }),
      create: (deps) => {
        const provider = real.create(deps);
        return new Proxy(provider, {
          get(target, prop, receiver) {
            const value = Reflect.get(target, prop, receiver) as unknown;
            if (typeof value !== 'function') return value;
            const phase = typeof prop === 'string' ? phaseOf.get(prop) : undefined;
            if (!phase) return (value as (...a: unknown[]) => unknown).bind(target);
            return (...args: unknown[]) => {
              if (!entered.has(phase)) {
                entered.add(phase);
                onPhase(phase);
              }
              return (value as (...a: unknown[]) => unknown).apply(target, args);
            };
          },
        }) as Provider;
      },
    };
    return module;
  };
}

/** How the proof drives each platform, by registry name. */
const PROOF_PLATFORMS: Readonly<Record<string, ProofPlatform>> = { timextender, qarion, planasonix };

/**
 * The platforms covered: every platform of the registry (src/providers/registry.ts), in its order. A platform
 * registered without an entry above is refused here, so a new platform cannot silently escape the proof.
 */
export const PLATFORMS: readonly ProofPlatform[] = REGISTERED.map((name) => {
  const platform = PROOF_PLATFORMS[name];
  if (!platform) throw new Error(`platform '${name}' is registered, but the proof has no entry for it (test/proof/platforms.ts)`);
  return platform;
});

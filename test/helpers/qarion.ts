/** A small Qarion world on the loopback simulator, and a way to run the engine against it (contract tests). */
import { runStep, type EngineOptions, type StepOutcome } from '../../src/core/engine/index.js';
import { parseSettings } from '../../src/providers/registry.js';
import type { CiContext } from '../../src/core/settings.js';
import type { Clock } from '../../src/core/clock.js';
import { loadProvider } from '../../src/providers/registry.js';
import { startSimulator, type Simulator, type SimulatorOptions } from '../../src/simulator/index.js';
import { createQarionModule, type QarionModule, type QarionOptions } from '../../src/simulator/qarion.js';
import { machineClock } from './machine-clock.js';
import { RecordingHost } from './recording-host.js';

export const Q_KEY = 'qrn_EditorKeyForContractTests000000000001';
export const Q_ADMIN_KEY = 'qrn_AdminKeyForContractTests0000000000001';
export const Q_VIEWER_KEY = 'qrn_ViewerKeyForContractTests000000000001';
export const Q_OUTSIDER_KEY = 'qrn_OutsiderKeyForContractTests00000000001';
export const SPACE = 'finance';
export const OTHER_SPACE = 'marketing';

export interface QarionWorldIds {
  /** `daily_finance`: the main pipeline, on an Airflow connector the Editor may edit. */
  daily: string;
  /** `hourly_sales`: on a connector only `ops` may edit (the Editor's sync gets 403). */
  hourly: string;
  /** `dbt_models`: a pipeline that is not Airflow-backed. */
  dbt: string;
  /** `daily_finance_backfill`: a second pipeline with a similar name. */
  backfill: string;
  connector: string;
  lockedConnector: string;
  otherSpaceConnector: string;
}

export interface QarionSim {
  sim: Simulator;
  q: QarionModule;
  ids: QarionWorldIds;
  /** The engine's clock in runQarion: real time, or sped up with the simulator (`timeScale`, see machine-clock.ts). */
  machine: Clock;
}

/**
 * A simulator with the Qarion module mounted: users editor/admin/viewer/outsider on space `finance`.
 * `simOptions.timeScale` above 1 speeds up the simulator and the engine's clock alike (machine-clock.ts).
 */
export async function qarionWorld(options: Partial<QarionOptions> = {}, simOptions: SimulatorOptions = {}): Promise<QarionSim> {
  const sim = await startSimulator({ seed: 11, ...simOptions });
  // A generous budget by default: tests poll every 100 ms. The rate-limit test sets its own.
  const q = createQarionModule({ clock: sim.clock, seed: 11, options: { rateLimit: 100_000, ...options } });
  sim.mount(q);
  const machine = machineClock(sim, simOptions.startEpochMs !== undefined);
  q.addKey('engineer', Q_KEY);
  q.addKey('boss', Q_ADMIN_KEY);
  q.addKey('analyst', Q_VIEWER_KEY);
  q.addKey('stranger', Q_OUTSIDER_KEY);
  q.addSpace(SPACE, { name: 'Finance', members: { engineer: 'Editor', boss: 'Admin', analyst: 'Viewer' } });
  q.addSpace(OTHER_SPACE, { name: 'Marketing', members: { engineer: 'Editor', stranger: 'Admin' } });
  const connector = q.addConnector(SPACE, { name: 'Airflow prod' });
  const lockedConnector = q.addConnector(SPACE, { name: 'Airflow ops', editors: ['ops'] });
  const dbtConnector = q.addConnector(SPACE, { name: 'dbt Cloud', kind: 'dbt' });
  const otherSpaceConnector = q.addConnector(OTHER_SPACE, { name: 'Airflow marketing' });
  const history = [1, 2, 3].map((i) => ({ startedAgoMs: i * 86_400_000, durationMs: 120_000, status: 'success' }));
  const daily = q.addPipeline(SPACE, { name: 'daily_finance', connectorId: connector, criticality: 'high', history });
  const hourly = q.addPipeline(SPACE, { name: 'hourly_sales', connectorId: lockedConnector });
  const dbt = q.addPipeline(SPACE, { name: 'dbt_models', provider: 'dbt', connectorId: dbtConnector });
  const backfill = q.addPipeline(SPACE, { name: 'daily_finance_backfill', connectorId: connector });
  q.addPipeline(OTHER_SPACE, { name: 'daily_finance', connectorId: otherSpaceConnector });
  for (const id of [daily, hourly, dbt, backfill]) q.setScenario(SPACE, id, { outcome: 'success', durationMs: 300 });
  return { sim, q, ids: { daily, hourly, dbt, backfill, connector, lockedConnector, otherSpaceConnector }, machine };
}

export interface RunResult {
  outcome: StepOutcome;
  host: RecordingHost;
}

/** Fast engine settings for tests: short request timeouts and retry gaps, short windows. */
export const FAST: Partial<EngineOptions> = {
  http: { requestTimeoutMs: 1500, retry: { maxAttempts: 5, baseDelayMs: 5, maxDelayMs: 40 } },
  startWindowMs: 4000,
  confirmWindowMs: 800,
  cancelBudgetMs: 3000,
};

export const CI: CiContext = {
  system: 'github',
  runUrl: 'https://github.com/acme/data/actions/runs/4242/attempts/1',
  runId: '4242',
  attempt: '1',
  commit: '0123abcd',
  actor: 'octocat',
  workflow: 'release',
  repository: 'acme/data',
};

export async function runQarion(
  world: QarionSim,
  inputs: Record<string, string>,
  engine: Partial<EngineOptions> = {},
  ci: CiContext = CI,
): Promise<RunResult> {
  const values: Record<string, string> = {
    platform: 'qarion',
    'base-url': world.sim.url,
    'api-key': Q_KEY,
    space: SPACE,
    'poll-interval': '100ms',
    timeout: '20s',
    ...inputs,
  };
  const { settings } = parseSettings((name) => values[name]);
  const host = new RecordingHost(ci);
  const outcome = await runStep(settings, host, { loadProvider, clock: world.machine, ...FAST, ...engine });
  return { outcome, host };
}

export function triggerPosts(world: QarionSim): number {
  return world.sim.journal.count({ method: 'POST', path: /\/trigger$/ });
}

/** Runs of a pipeline started by the API (triggers), as the server knows them. */
export function apiRuns(world: QarionSim, pipelineId: string) {
  return world.q.runs(SPACE, pipelineId).filter((r) => r.origin === 'api');
}

/** A small Planasonix world and a way to run the engine against it, for contract and e2e tests. */
import { runStep, type EngineOptions, type StepOutcome } from '../../src/core/engine/index.js';
import { parseSettings } from '../../src/providers/registry.js';
import type { CiContext } from '../../src/core/settings.js';
import type { Clock } from '../../src/core/clock.js';
import { loadProvider } from '../../src/providers/registry.js';
import { startSimulator, type Simulator, type SimulatorOptions } from '../../src/simulator/index.js';
import { createPlanasonixModule, type PlanasonixModule, type PlanasonixOptions } from '../../src/simulator/planasonix.js';
import { machineClock } from './machine-clock.js';
import { RecordingHost } from './recording-host.js';

export const PLX_KEY = 'plx_live_ContractTestKey00000000000001';
export const READ_ONLY_KEY = 'plx_live_ContractTestReadOnly000000002';
export const CONN = 'conn_orders';
export const CONN2 = 'conn_crm';
export const PIPELINE = 'pl_daily_finance';

export const NODE_FAILURE_LOG = [
  'Reading orders from source orders_db',
  'WARN retry 1/2 after read timeout',
  'ERROR Source connection lost: read timeout after 30s',
  '   at planasonix.connectors.postgres.read(orders)',
];

export interface PlxWorld {
  sim: Simulator;
  plx: PlanasonixModule;
  /** base-url for the client: the simulator URL plus the configured base path. */
  baseUrl: string;
  /** The engine's clock in runPlx: real time, or sped up with the simulator (`timeScale`, see machine-clock.ts). */
  machine: Clock;
  close(): Promise<void>;
}

/**
 * A simulator with the Planasonix module mounted: two connections and one pipeline, all succeeding fast.
 * `simulator.timeScale` above 1 speeds up the simulator and the engine's clock alike (machine-clock.ts).
 */
export async function plxWorld(options: Partial<PlanasonixOptions> = {}, simulator: SimulatorOptions = {}): Promise<PlxWorld> {
  const sim = await startSimulator({ seed: 7, ...simulator });
  const plx = createPlanasonixModule({ clock: sim.clock, seed: 7, options });
  sim.mount(plx);
  const machine = machineClock(sim, simulator.startEpochMs !== undefined);
  plx.addKey(PLX_KEY);
  plx.addKey(READ_ONLY_KEY, { scopes: ['sync:read', 'pipelines:read'] });
  plx.addConnection(CONN, { name: 'Orders DB', tables: ['orders', 'order_lines'] });
  plx.addConnection(CONN2, { name: 'CRM' });
  plx.addPipeline(PIPELINE, {
    name: 'Daily finance',
    nodes: [
      { id: 'extract', name: 'Extract orders' },
      { id: 'transform', name: 'Transform orders' },
      { id: 'load', name: 'Load warehouse' },
    ],
  });
  for (const conn of [CONN, CONN2]) {
    plx.setSyncScenario(conn, { outcome: 'success', durationMs: 300, rows: 1200 });
    plx.setBackfillScenario(conn, { outcome: 'success', durationMs: 400 });
  }
  plx.setPipelineScenario(PIPELINE, { outcome: 'success', durationMs: 300, rows: 500 });
  return {
    sim,
    plx,
    baseUrl: `${sim.url}${plx.options.basePath}`,
    machine,
    close: async () => {
      await sim.close();
      await plx.close();
    },
  };
}

export interface RunResult {
  outcome: StepOutcome;
  host: RecordingHost;
}

/** Fast engine settings for tests: short request timeouts and retry gaps, short windows. */
export const FAST: Partial<EngineOptions> = {
  http: { requestTimeoutMs: 1500, retry: { maxAttempts: 5, baseDelayMs: 5, maxDelayMs: 40 } },
  startWindowMs: 3000,
  confirmWindowMs: 800,
  cancelBudgetMs: 4000,
};

export const CI: CiContext = {
  system: 'github',
  runUrl: 'https://github.com/acme/data/actions/runs/4242/attempts/1',
  runId: '4242',
  attempt: '1',
  commit: 'abc123def',
  actor: 'octocat',
  workflow: 'release',
  repository: 'acme/data',
  // GitHub names the step (GITHUB_JOB/GITHUB_ACTION): the default idempotency key needs no nonce.
  step: 'release/__run',
};

export async function runPlx(
  world: PlxWorld,
  inputs: Record<string, string>,
  engine: Partial<EngineOptions> = {},
  ciContext: CiContext = CI,
): Promise<RunResult> {
  const values: Record<string, string> = {
    platform: 'planasonix',
    'base-url': world.baseUrl,
    'api-key': PLX_KEY,
    'poll-interval': '100ms',
    timeout: '20s',
    ...inputs,
  };
  const { settings } = parseSettings((name) => values[name]);
  const host = new RecordingHost(ciContext);
  const outcome = await runStep(settings, host, { loadProvider, clock: world.machine, ...FAST, ...engine });
  return { outcome, host };
}

/** Trigger POSTs the simulator saw (sync, backfill, pipeline run). */
export function triggerPosts(world: PlxWorld): number {
  return world.sim.journal.count({ method: 'POST', path: /\/(sync|backfill|run)$/ });
}

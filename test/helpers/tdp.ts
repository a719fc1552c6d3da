/** A small TimeXtender world and a way to run the engine against it, for contract tests. */
import { runStep, type EngineOptions, type StepOutcome } from '../../src/core/engine/index.js';
import { parseSettings } from '../../src/providers/registry.js';
import { loadProvider } from '../../src/providers/registry.js';
import { startSimulator, type Simulator, type SimulatorOptions } from '../../src/simulator/index.js';
import type { Clock } from '../../src/core/clock.js';
import { machineClock } from './machine-clock.js';
import { RecordingHost } from './recording-host.js';

export const KEY = 'txk_ContractTestContributorKey00001';
export const VIEWER_KEY = 'txk_ContractTestViewerOnlyKey000001';
export const WS = 'finance';

export const FAILURE_LOG = [
  'Starting package execution: Load Sales Fact',
  'Connecting to source: dw-prod.database.windows.net',
  'ERROR: Connection timeout after 30s. The remote server did not respond.',
  '   at TimeXtender.Execution.SqlSource.Open()',
];

/**
 * Starts a simulator with two users (Contributor, Viewer) on workspace `finance` and a few tasks and a map.
 * With `timeScale` above 1, the world's time runs only while the engine of runTdp sleeps, from the start
 * (machine-clock.ts): what the test sets up before the step takes no simulated time; `sim.clock.advance`
 * moves it on.
 */
export async function tdpWorld(options: SimulatorOptions = {}): Promise<Simulator> {
  const sim = await startSimulator({ seed: 7, ...options });
  if ((options.timeScale ?? 1) > 1) engineClock(sim);
  const tdp = sim.tdp;
  tdp.addUser('engineer');
  tdp.addUser('analyst');
  tdp.addKey('engineer', KEY);
  tdp.addKey('analyst', VIEWER_KEY);
  tdp.addWorkspace(WS, { name: 'Finance', access: { engineer: 'contributor', analyst: 'viewer' } });
  const history = (ids: number[]) =>
    ids.map((executionId, i) => ({ executionId, startedAgoMs: (i + 1) * 86_400_000, durationMs: 60_000, status: 'Finished' }));
  tdp.addTask(WS, { taskType: 'Package', taskId: 1005, taskName: 'Load Customer Dim', history: history([98231, 98100, 97990]) });
  tdp.addTask(WS, { taskType: 'Package', taskId: 1010, taskName: 'Load Sales Fact', history: history([98232, 98101]), logLines: FAILURE_LOG });
  tdp.addTask(WS, { taskType: 'Query', taskId: 2010, taskName: 'Validate Customer Count' });
  tdp.addTask(WS, { taskType: 'EmailSummary', taskId: 3001, taskName: 'Send Summary Email' });
  tdp.addTask(WS, { taskType: 'Package', taskId: 42, taskName: 'Package Forty-Two' });
  tdp.addTask(WS, { taskType: 'Query', taskId: 42, taskName: 'Query Forty-Two' });
  tdp.addProcessMap(WS, {
    processMapId: 42,
    name: 'Daily Finance Load',
    failurePolicy: 'ignore-failure',
    members: [
      { taskType: 'Package', taskId: 1005, stage: 1 },
      { taskType: 'Package', taskId: 1010, stage: 2 },
      { taskType: 'Query', taskId: 2010, stage: 2 },
      { taskType: 'EmailSummary', taskId: 3001, stage: 3 },
    ],
  });
  for (const [type, id] of [['Package', 1005], ['Package', 1010], ['Query', 2010], ['EmailSummary', 3001], ['Package', 42], ['Query', 42]] as const) {
    tdp.setScenario(WS, type, id, { outcome: 'success', durationMs: 300 });
  }
  return sim;
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
  // A map must keep looking finished this long before it is green (the product waits 10 s); the worlds here
  // dispatch members within 1.5 s unless a test says otherwise.
  settleMs: 1000,
};

/** One engine clock per world: the system clock at real time, else the machine's clock (machine-clock.ts). */
const engineClocks = new WeakMap<Simulator, Clock>();
export function engineClock(sim: Simulator): Clock {
  let clock = engineClocks.get(sim);
  if (clock === undefined) {
    clock = machineClock(sim);
    engineClocks.set(sim, clock);
  }
  return clock;
}

export async function runTdp(sim: Simulator, inputs: Record<string, string>, engine: Partial<EngineOptions> = {}): Promise<RunResult> {
  const values: Record<string, string> = {
    platform: 'timextender',
    'base-url': sim.url,
    'api-key': KEY,
    workspace: WS,
    'poll-interval': '100ms',
    timeout: '20s',
    ...inputs,
  };
  const { settings } = parseSettings((name) => values[name]);
  const host = new RecordingHost();
  const outcome = await runStep(settings, host, { loadProvider, clock: engineClock(sim), ...FAST, ...engine });
  return { outcome, host };
}

export function triggerPosts(sim: Simulator): number {
  return sim.journal.count({ method: 'POST', path: /\/trigger$/ });
}

/**
 * Issue 12, TDP run mode: the execution a trigger started is found wherever the server lists it: with an
 * oldest-first order or pages capped below `limit` (apis.md §5 #4, #6) it is not on page 1.
 */
import type { Simulator } from '../../src/simulator/index.js';
import type { TdpOptions } from '../../src/simulator/tdp-world.js';
import { runTdp, tdpWorld, triggerPosts, WS } from '../helpers/tdp.js';

let sim: Simulator;

afterEach(async () => {
  await sim?.close();
});

async function world(options: Partial<TdpOptions>, count: number) {
  sim = await tdpWorld({ timextender: options });
  const history = Array.from({ length: count }, (_, i) => ({ executionId: 90_000 + i, startedAgoMs: (i + 1) * 3_600_000, durationMs: 60_000, status: 'Finished' }));
  sim.tdp.addTask(WS, { taskType: 'Package', taskId: 801, taskName: 'Long History Load', history });
  sim.tdp.setScenario(WS, 'Package', 801, { outcome: 'failure', durationMs: 300 });
}

test.each<[string, Partial<TdpOptions>, number]>([
  ['oldest first, 150 executions (the new one on page 2)', { historyOrder: 'oldest-first' }, 150],
  ['oldest first, pages capped at 40', { historyOrder: 'oldest-first', historyPageCap: 40 }, 120],
  ['newest first, pages capped at 40', { historyPageCap: 40 }, 120],
])('%s: the new execution is found and its true outcome reported', async (_name, options, count) => {
  await world(options, count);
  const { outcome } = await runTdp(sim, { task: 'Package/801' });
  const started = sim.tdp.executions(WS, 'Package', 801).filter((e) => e.origin === 'api');
  expect(started).toHaveLength(1);
  expect(outcome.results[0]!.runId).toBe(String(started[0]!.executionId));
  expect(outcome.status).toBe('failed');
  expect(outcome.results[0]!.rawStatus).toBe('Failed');
  expect(triggerPosts(sim)).toBe(1);
});

/**
 * Defect 2 of issue 12 (TDP half): check mode read only the first history page and re-sorted it. It must read
 * every page it needs (apis.md §1.9), cope with pages capped below `limit` (§5 #4), with the running execution
 * listed last (the doc's own example, §1.11) and with orders that are not newest first, and fail clearly past
 * its page bound.
 */
import type { Simulator } from '../../src/simulator/index.js';
import type { TdpOptions } from '../../src/simulator/tdp-world.js';
import { runTdp, tdpWorld, WS } from '../helpers/tdp.js';

const HOUR = 3_600_000;
let sim: Simulator;

afterEach(async () => {
  await sim?.close();
});

/** `count` ended executions of Package/601, one a day, the newest `newestAgoMs` ago; ids chosen by `idOf`. */
async function world(options: Partial<TdpOptions>, count: number, idOf: (i: number) => number, statusOf: (i: number) => string = () => 'Finished', newestAgoMs = 2 * HOUR) {
  sim = await tdpWorld({ timextender: options });
  const history = Array.from({ length: count }, (_, i) => ({
    executionId: idOf(i),
    startedAgoMs: newestAgoMs + i * 24 * HOUR,
    durationMs: 60_000,
    status: statusOf(i),
  }));
  sim.tdp.addTask(WS, { taskType: 'Package', taskId: 601, taskName: 'Nightly Load', history });
  return sim;
}

test('151 executions with the running one listed last (page 2): not green, the running one is the latest', async () => {
  await world({ historyOrder: 'running-last' }, 150, (i) => 90_000 + i);
  sim.tdp.startForeignRun(WS, 'Package', 601, { outcome: 'hang' });
  const running = sim.tdp.executions(WS, 'Package', 601).find((e) => e.origin === 'foreign')!;
  const { outcome } = await runTdp(sim, { mode: 'check', task: 'Package/601', 'max-age': '24h' });
  expect(outcome.status).toBe('failed');
  expect(outcome.results[0]!.runId).toBe(String(running.executionId));
  expect(outcome.results[0]!.message).toMatch(/still Running/);
  // Both pages were read.
  expect(sim.journal.count({ method: 'GET', path: /\/tasks\/Package\/601\/executions$/ })).toBeGreaterThanOrEqual(2);
});

test('ids descending, the newest execution failed and sits on page 2: not green, that failure is reported', async () => {
  // Index 0 is the newest; its id is the lowest, so by id it is listed last (page 2).
  await world({ historyOrder: 'id-descending' }, 151, (i) => (i === 0 ? 10_001 : 99_000 - i), (i) => (i === 0 ? 'Failed' : 'Finished'));
  const { outcome } = await runTdp(sim, { mode: 'check', task: 'Package/601', 'max-age': '24h' });
  expect(outcome.status).toBe('failed');
  expect(outcome.results[0]!.runId).toBe('10001');
  expect(outcome.results[0]!.message).toMatch(/the latest run 10001 Failed/);
});

test('oldest first with pages capped at 50 (below the limit asked): the newest failure on page 3 is found', async () => {
  await world({ historyOrder: 'oldest-first', historyPageCap: 50 }, 120, (i) => 90_000 + i, (i) => (i === 0 ? 'Failed' : 'Finished'));
  const { outcome } = await runTdp(sim, { mode: 'check', task: 'Package/601' });
  expect(outcome.status).toBe('failed');
  expect(outcome.results[0]!.runId).toBe('90000');
  expect(sim.journal.count({ method: 'GET', path: /\/tasks\/Package\/601\/executions$/ })).toBeGreaterThanOrEqual(3);
});

test('a history longer than the page bound is not judged: the history proof fails, saying so', async () => {
  await world({ historyPageCap: 1 }, 60, (i) => 90_000 + i);
  const { outcome } = await runTdp(sim, { mode: 'check', task: 'Package/601' });
  expect(outcome.status).toBe('failed');
  expect(outcome.results[0]!.message).toMatch(/cannot be told: .*longer than 50 pages/);
  expect(outcome.results[0]!.evidence?.history?.ok).toBe(false);
});

test('control: 151 executions newest first, all Finished: green, every page read and said so', async () => {
  await world({}, 151, (i) => 90_000 + i);
  const { outcome } = await runTdp(sim, { mode: 'check', task: 'Package/601', 'max-age': '24h' });
  expect(outcome.status).toBe('succeeded');
  expect(outcome.results[0]!.runId).toBe('90000');
  expect(outcome.results[0]!.evidence?.history?.ok).toBe(true);
  expect(outcome.results[0]!.evidence?.history?.detail).toMatch(/151 execution\(s\) on 2 page\(s\).*newest first/);
});

test('control: pages capped at 50, newest first, all Finished: green after reading to the short page', async () => {
  await world({ historyPageCap: 50 }, 120, (i) => 90_000 + i);
  const { outcome } = await runTdp(sim, { mode: 'check', task: 'Package/601', 'max-age': '24h' });
  expect(outcome.status).toBe('succeeded');
  expect(outcome.results[0]!.evidence?.history?.detail).toMatch(/120 execution\(s\) on 3 page\(s\)/);
});

/**
 * Defect 4 of issue 12: check mode re-sorted the history by its server-local time text. In the hour after
 * the clocks go back (Europe/Copenhagen, last Sunday of October) an earlier-in-real-time success reads as
 * newer than a later failure (apis.md §1.11: local times repeat when clocks go back).
 */
import type { Simulator } from '../../src/simulator/index.js';
import { runTdp, tdpWorld, WS } from '../helpers/tdp.js';

const MIN = 60_000;
let sim: Simulator;

afterEach(async () => {
  await sim?.close();
});

async function world(nowIso: string, history: Array<{ executionId: number; startedAgoMs: number; status: string }>) {
  sim = await tdpWorld({ startEpochMs: Date.parse(nowIso), timextender: { timeZone: 'Europe/Copenhagen' } });
  sim.tdp.addTask(WS, { taskType: 'Package', taskId: 701, taskName: 'Fall-back Load', history: history.map((h) => ({ ...h, durationMs: 5 * MIN })) });
}

test('success at 02:30 CEST, then failure at 02:10 CET (later in real time): not green', async () => {
  // Now: 01:30 UTC = 02:30 CET, after the change at 01:00 UTC (03:00 CEST → 02:00 CET).
  await world('2026-10-25T01:30:00Z', [
    { executionId: 91_111, startedAgoMs: 60 * MIN, status: 'Finished' }, // 00:30 UTC = 02:30 CEST
    { executionId: 92_222, startedAgoMs: 20 * MIN, status: 'Failed' }, //   01:10 UTC = 02:10 CET
  ]);
  const rows = await (await fetch(`${sim.url}/api/v0/orchestration/${WS}/tasks/Package/701/executions`, { headers: { 'X-API-Key': 'txk_ContractTestContributorKey00001' } })).json() as Array<{ executionId: number; startTime: string }>;
  // The server's own text: the later failure reads as earlier.
  expect(rows.map((r) => [r.executionId, r.startTime])).toEqual([
    [92_222, '2026-10-25T02:10:00'],
    [91_111, '2026-10-25T02:30:00'],
  ]);
  const { outcome } = await runTdp(sim, { mode: 'check', task: 'Package/701', 'server-time-zone': 'Europe/Copenhagen' });
  expect(outcome.status).toBe('failed');
  expect(outcome.results[0]!.runId).toBe('92222');
  expect(outcome.results[0]!.message).toMatch(/Failed/);
});

test('control: the same two runs in summer time (no clock change), success last: green', async () => {
  await world('2026-10-25T00:50:00Z', [
    { executionId: 92_222, startedAgoMs: 40 * MIN, status: 'Failed' }, //   00:10 UTC = 02:10 CEST
    { executionId: 91_111, startedAgoMs: 20 * MIN, status: 'Finished' }, // 00:30 UTC = 02:30 CEST
  ]);
  const { outcome } = await runTdp(sim, { mode: 'check', task: 'Package/701' });
  expect(outcome.status).toBe('succeeded');
  expect(outcome.results[0]!.runId).toBe('91111');
});

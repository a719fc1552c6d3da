/**
 * Defect 3 of issue 12: check on a process map counted later standalone runs of member tasks as part of the
 * map's last run (no upper time bound), and ignored the map's own `failedTasks` counter (apis.md §1.10
 * process map step 7: the run failed if a member execution failed, or if failedTasks > 0).
 */
import type { Simulator } from '../../src/simulator/index.js';
import { KEY, runTdp, tdpWorld, WS } from '../helpers/tdp.js';
import { CONTRACT_TIME_SCALE } from '../helpers/machine-clock.js';

let sim: Simulator;

afterEach(async () => {
  await sim?.close();
});

test('a failed map run, then a standalone run of that member still running: the map run failed (not "still running")', async () => {
  sim = await tdpWorld({ timeScale: CONTRACT_TIME_SCALE });
  sim.tdp.setScenario(WS, 'Package', 1010, { outcome: 'failure', durationMs: 100 });
  await runTdp(sim, { 'process-map': '42' });
  sim.clock.advance(60_000);
  const id = sim.tdp.runStandalone(WS, 'Package', 1010, { outcome: 'hang' });
  const { outcome } = await runTdp(sim, { mode: 'check', 'process-map': '42' });
  expect(outcome.status).toBe('failed');
  expect(outcome.results[0]!.message).not.toMatch(/still/);
  expect(outcome.results[0]!.message).toMatch(/Failed/);
  expect(outcome.results[0]!.failedTasks.map((t) => t.id)).toEqual(['1010']);
  // The standalone execution is not reported as part of the map's run.
  expect(outcome.results[0]!.evidence?.history?.detail).toMatch(/1 later standalone execution/);
  expect(sim.tdp.executions(WS, 'Package', 1010).some((e) => e.executionId === id && e.status === 'Running')).toBe(true);
});

test('a map whose counters show a failed task the key cannot see: not green', async () => {
  sim = await tdpWorld({ timeScale: CONTRACT_TIME_SCALE });
  sim.tdp.addTask(WS, { taskType: 'Package', taskId: 1020, taskName: 'Restricted Load', hiddenFrom: ['engineer'] });
  sim.tdp.addProcessMap(WS, {
    processMapId: 43,
    name: 'Restricted Map',
    failurePolicy: 'ignore-failure',
    members: [
      { taskType: 'Package', taskId: 1005, stage: 1 },
      { taskType: 'Package', taskId: 1020, stage: 1 },
    ],
  });
  sim.tdp.setScenario(WS, 'Package', 1020, { outcome: 'failure', durationMs: 100 });
  const run = await runTdp(sim, { 'process-map': '43' });
  expect(run.outcome.status).toBe('failed');
  expect(run.outcome.results[0]!.evidence?.members?.detail).toMatch(/failedTasks 1/);
  const { outcome } = await runTdp(sim, { mode: 'check', 'process-map': '43' });
  expect(outcome.status).toBe('failed');
  expect(outcome.results[0]!.message).toMatch(/failedTasks 1/);
});

test('control: a successful map run, then a later standalone success of a member: green, the standalone run not counted', async () => {
  sim = await tdpWorld({ timeScale: CONTRACT_TIME_SCALE });
  await runTdp(sim, { 'process-map': '42' });
  sim.clock.advance(60_000);
  sim.tdp.runStandalone(WS, 'Package', 1005, { outcome: 'success', durationMs: 100 });
  sim.clock.advance(1_000);
  const { outcome } = await runTdp(sim, { mode: 'check', 'process-map': '42' });
  expect(outcome.status).toBe('succeeded');
  expect(outcome.results[0]!.evidence?.members?.detail).toMatch(/4 of 4 member execution\(s\) of this run ended .*1 later standalone execution/);
});

test("check: the map's last run has not dispatched its member yet, and a standalone run of it just succeeded: not green", async () => {
  sim = await tdpWorld({ timeScale: CONTRACT_TIME_SCALE, timextender: { mapDispatchDelayMs: 2000 } });
  sim.tdp.addProcessMap(WS, { processMapId: 77, name: 'One Member', failurePolicy: 'ignore-failure', members: [{ taskType: 'Package', taskId: 1005, stage: 1 }] });
  sim.tdp.setScenario(WS, 'Package', 1005, { outcome: 'failure', durationMs: 300 });
  // A colleague triggers the map; before the server dispatches its member, someone runs the member alone.
  const answer = await fetch(`${sim.url}/api/v0/orchestration/${WS}/process-maps/77/trigger`, {
    method: 'POST',
    headers: { 'X-API-Key': KEY, 'Content-Type': 'application/json' },
    body: JSON.stringify({ uat: 'Production' }),
  });
  expect(answer.status).toBe(202);
  sim.tdp.runStandalone(WS, 'Package', 1005, { outcome: 'success', durationMs: 50 });
  sim.clock.advance(300);
  const { outcome } = await runTdp(sim, { mode: 'check', 'process-map': '77' }, { settleMs: 3000 });
  expect(outcome.status).toBe('failed');
  expect(outcome.results[0]!.evidence?.members?.ok).toBe(false);
});

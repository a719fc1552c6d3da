/**
 * Defect 1 of issue 12: a process map green before any member ran. The server answers the map trigger 202
 * and moves `lastExecutionDate` at once, but dispatches the members a moment later (apis.md §1.5 #4: the run
 * is asynchronous; simulator switch `mapDispatchDelayMs`). For that moment no member is queued, running or
 * has a new execution: that is not a start, and certainly not a success.
 */
import type { Simulator } from '../../src/simulator/index.js';
import { runTdp, tdpWorld, triggerPosts, WS } from '../helpers/tdp.js';
import { CONTRACT_TIME_SCALE } from '../helpers/machine-clock.js';

let sim: Simulator;

afterEach(async () => {
  await sim?.close();
});

const memberRuns = (s: Simulator, id: number) => s.tdp.executions(WS, 'Package', id).filter((e) => e.origin === 'map');

test('members dispatched 1.5 s after the 202: not green before they ran, and red once a member fails', async () => {
  sim = await tdpWorld({ timeScale: CONTRACT_TIME_SCALE, timextender: { mapDispatchDelayMs: 1500 } });
  sim.tdp.setScenario(WS, 'Package', 1010, { outcome: 'failure', durationMs: 200 });
  const { outcome } = await runTdp(sim, { 'process-map': '42' });
  expect(outcome.status).toBe('failed');
  expect(outcome.results[0]!.failedTasks.map((t) => t.id)).toContain('1010');
  // The member really ran and failed (the verdict is the run's, not a guess made before it).
  expect(memberRuns(sim, 1010)).toHaveLength(1);
  expect(memberRuns(sim, 1010)[0]!.status).toBe('Failed');
  expect(outcome.results[0]!.evidence?.members?.ok).toBe(false);
  expect(triggerPosts(sim)).toBe(1);
});

test('members dispatched late and all succeed: green only after every member execution ended', async () => {
  sim = await tdpWorld({ timeScale: CONTRACT_TIME_SCALE, timextender: { mapDispatchDelayMs: 1500 } });
  const { outcome } = await runTdp(sim, { 'process-map': '42' });
  expect(outcome.status).toBe('succeeded');
  const members = [1005, 1010].flatMap((id) => memberRuns(sim, id));
  expect(members).toHaveLength(2);
  for (const m of members) {
    expect(m.status).toBe('Finished');
    expect(m.endMs).not.toBeNull();
  }
  // The members ran well after the map's start: the step could only be green after they ended.
  expect(outcome.results[0]!.evidence?.members?.ok).toBe(true);
  expect(outcome.results[0]!.evidence?.members?.detail).toMatch(/4 of 4 member execution\(s\) of this run ended/);
  expect(outcome.results[0]!.evidence?.end?.ok).toBe(true);
});

test("a lost trigger answer while the members are not dispatched yet: the map is not sent again, and the run decides", async () => {
  // With 'queue' (the documented alternative to 409) a second trigger would start a second load.
  sim = await tdpWorld({ timeScale: CONTRACT_TIME_SCALE, timextender: { mapDispatchDelayMs: 1500, secondTriggerWhileRunning: 'queue' } });
  sim.tdp.setScenario(WS, 'Package', 1010, { outcome: 'failure', durationMs: 200 });
  sim.faults.add({ method: 'POST', path: /\/trigger$/, kind: 'apply-then-reset' });
  const { outcome } = await runTdp(sim, { 'process-map': '42' });
  const accepted = sim.tdp.triggers().filter((t) => t.accepted);
  expect(accepted).toHaveLength(1);
  expect(memberRuns(sim, 1010)).toHaveLength(1);
  expect(outcome.status).toBe('failed');
  expect(outcome.results[0]!.failedTasks.map((t) => t.id)).toContain('1010');
});

test('a standalone run of the only member starts and ends before the map dispatches it: never green', async () => {
  // The map's date moves at the 202; the member is dispatched 2 s later. Meanwhile a colleague runs the member
  // on its own and it finishes: for a moment the map looks exactly like a finished run of one member.
  sim = await tdpWorld({ timeScale: CONTRACT_TIME_SCALE, timextender: { mapDispatchDelayMs: 2000 } });
  sim.tdp.addProcessMap(WS, { processMapId: 77, name: 'One Member', failurePolicy: 'ignore-failure', members: [{ taskType: 'Package', taskId: 1005, stage: 1 }] });
  sim.tdp.setScenario(WS, 'Package', 1005, { outcome: 'failure', durationMs: 300 });
  let standalone: number | undefined;
  const watch = setInterval(() => {
    if (standalone === undefined && triggerPosts(sim) > 0) standalone = sim.tdp.runStandalone(WS, 'Package', 1005, { outcome: 'success', durationMs: 50 });
  }, 5);
  try {
    const { outcome } = await runTdp(sim, { 'process-map': '77' }, { settleMs: 3000 });
    expect(standalone).toBeDefined();
    // The map's own member ran (and failed) after the standalone one: the step must not have passed.
    expect(memberRuns(sim, 1005)).toHaveLength(1);
    expect(outcome.status).toBe('failed');
    expect(outcome.results[0]!.evidence?.members?.ok).toBe(false);
    expect(triggerPosts(sim)).toBe(1);
  } finally {
    clearInterval(watch);
  }
});

/**
 * Defect 1 of issue 12: a process map green before any member ran. The server answers the map trigger 202
 * and moves `lastExecutionDate` at once, but dispatches the members a moment later (apis.md §1.5 #4: the run
 * is asynchronous; simulator switch `mapDispatchDelayMs`). For that moment no member is queued, running or
 * has a new execution: that is not a start, and certainly not a success.
 */
import type { Simulator } from '../../src/simulator/index.js';
import { runTdp, tdpWorld, triggerPosts, WS } from '../helpers/tdp.js';

let sim: Simulator;

afterEach(async () => {
  await sim?.close();
});

const memberRuns = (s: Simulator, id: number) => s.tdp.executions(WS, 'Package', id).filter((e) => e.origin === 'map');

test('members dispatched 1.5 s after the 202: not green before they ran, and red once a member fails', async () => {
  sim = await tdpWorld({ timextender: { mapDispatchDelayMs: 1500 } });
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
  sim = await tdpWorld({ timextender: { mapDispatchDelayMs: 1500 } });
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
  sim = await tdpWorld({ timextender: { mapDispatchDelayMs: 1500, secondTriggerWhileRunning: 'queue' } });
  sim.tdp.setScenario(WS, 'Package', 1010, { outcome: 'failure', durationMs: 200 });
  sim.faults.add({ method: 'POST', path: /\/trigger$/, kind: 'apply-then-reset' });
  const { outcome } = await runTdp(sim, { 'process-map': '42' });
  const accepted = sim.tdp.triggers().filter((t) => t.accepted);
  expect(accepted).toHaveLength(1);
  expect(memberRuns(sim, 1010)).toHaveLength(1);
  expect(outcome.status).toBe('failed');
  expect(outcome.results[0]!.failedTasks.map((t) => t.id)).toContain('1010');
});

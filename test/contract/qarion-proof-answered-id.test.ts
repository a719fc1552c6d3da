/**
 * Issue 12, defect 5: a run id in the trigger's answer is the run this step started. It is waited for (with
 * connector syncs where configured) until the start window ends, and only that run is followed: a colleague's
 * run that Qarion lists earlier is never substituted for it, whatever its outcome.
 *
 * Time is simulated (helpers/machine-clock.ts): both clocks run CONTRACT_TIME_SCALE times faster than real time
 * while the engine sleeps, and stand still while it works; every duration below is simulated time.
 */
import type { QarionOptions, QarionTriggerAnswer } from '../../src/simulator/qarion.js';
import { CONTRACT_TIME_SCALE } from '../helpers/machine-clock.js';
import { apiRuns, qarionWorld as qarionWorldAt, runQarion, SPACE, triggerPosts, type QarionSim } from '../helpers/qarion.js';

let w: QarionSim;

const qarionWorld = (options: Partial<QarionOptions> = {}) => qarionWorldAt(options, { timeScale: CONTRACT_TIME_SCALE });

afterEach(async () => {
  await w?.sim.close();
});

const syncPosts = (world: QarionSim) => world.sim.journal.count({ method: 'POST', path: /\/connectors\/[^/]+\/sync$/ });
/** Reads of one run by id (what following a run means on Qarion). */
const readsOf = (world: QarionSim, runId: string) => world.sim.journal.count({ method: 'GET', path: new RegExp(`/runs/${runId}$`) });

/** A world where our run is listed only after 3 syncs, and a colleague's manual run starts just after ours, listed at once. */
async function answeredIdWorld(answer: QarionTriggerAnswer, colleague: 'success' | 'failure', ours: 'success' | 'failure') {
  w = await qarionWorld({ triggerAnswer: answer, runVisibility: 'after-sync', syncsUntilVisible: 3, maxActiveRuns: 16 });
  w.q.setScenario(SPACE, w.ids.daily, { outcome: ours, durationMs: 300 });
  let colleagueRun = '';
  w.q.foreignRunOnTrigger(
    SPACE,
    w.ids.daily,
    { offsetMs: 1, outcome: colleague, durationMs: 100, runType: 'manual', visibleAfterMs: 0 },
    (id) => (colleagueRun = id),
  );
  return () => colleagueRun;
}

describe.each(['run-id', 'dag-run', 'data-id'] as QarionTriggerAnswer[])('trigger answer %s', (answer) => {
  test("the answered run is waited for through three syncs; the colleague's run (listed first, succeeding) is never followed; our failure makes the step red", async () => {
    const colleague = await answeredIdWorld(answer, 'success', 'failure');
    const { outcome, host } = await runQarion(w, { pipeline: 'daily_finance', 'sync-before-poll': 'true' });

    const ours = apiRuns(w, w.ids.daily);
    expect(triggerPosts(w)).toBe(1);
    expect(ours).toHaveLength(1);
    expect(outcome.status).toBe('failed');
    expect(outcome.results[0]!.runId).toBe(ours[0]!.id);
    // World truth: the colleague's run succeeded, ours failed (and the step saw it end).
    expect(w.q.runs(SPACE, w.ids.daily).find((r) => r.id === colleague())!.status).toBe('success');
    expect(ours[0]!.status).toBe('failed');
    expect(host.outputs.get('run-id')).toBe(ours[0]!.id);
    expect(outcome.results[0]!.failedTasks.map((t) => t.name)).toContain('load_customers (try 2)');
    // Connector syncs were requested until the answered run was listed.
    expect(syncPosts(w)).toBeGreaterThanOrEqual(3);
    // The colleague's run was never followed, nor mentioned as ours.
    expect(readsOf(w, colleague())).toBe(0);
    expect(outcome.results[0]!.runId).not.toContain(colleague());
  });
});

test("with the roles swapped (ours succeeds, the colleague's fails) the step is green on our run alone", async () => {
  const colleague = await answeredIdWorld('run-id', 'failure', 'success');
  const { outcome } = await runQarion(w, { pipeline: 'daily_finance', 'sync-before-poll': 'true' });
  expect(outcome.status).toBe('succeeded');
  expect(outcome.results[0]!.runId).toBe(apiRuns(w, w.ids.daily)[0]!.id);
  expect(readsOf(w, colleague())).toBe(0);
  expect(syncPosts(w)).toBeGreaterThanOrEqual(3);
});

test('an answered run that is never listed within the start window: red, naming the answered id; the listed colleague run is not followed', async () => {
  const colleague = await answeredIdWorld('run-id', 'success', 'success');
  w.q.options.syncsUntilVisible = 1_000;
  const { outcome } = await runQarion(w, { pipeline: 'daily_finance', 'sync-before-poll': 'true' });
  const ours = apiRuns(w, w.ids.daily)[0]!;
  expect(outcome.status).toBe('failed');
  expect(outcome.results[0]!.message).toContain(`the trigger answered run ${ours.id}`);
  expect(outcome.results[0]!.message).toMatch(/connector sync/);
  expect(outcome.results[0]!.runId ?? '').not.toContain(colleague());
  expect(readsOf(w, colleague())).toBe(0);
  expect(syncPosts(w)).toBeGreaterThanOrEqual(2);
  expect(triggerPosts(w)).toBe(1);
});

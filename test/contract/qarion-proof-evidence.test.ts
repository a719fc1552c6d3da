/**
 * Qarion's side of issue 12: the evidence behind a verdict (end, members, complete history) and the lost-answer
 * rule (a run started after the baseline is adopted; one that started before it is not), against the simulator.
 *
 * Time is simulated (helpers/machine-clock.ts): both clocks run CONTRACT_TIME_SCALE times faster than real time
 * while the engine sleeps, and stand still while it works; every duration below is simulated time.
 */
import type { QarionOptions } from '../../src/simulator/qarion.js';
import { CONTRACT_TIME_SCALE } from '../helpers/machine-clock.js';
import { apiRuns, qarionWorld as qarionWorldAt, runQarion, SPACE, triggerPosts, type QarionSim } from '../helpers/qarion.js';

let w: QarionSim;

const qarionWorld = (options: Partial<QarionOptions> = {}) => qarionWorldAt(options, { timeScale: CONTRACT_TIME_SCALE });

afterEach(async () => {
  await w?.sim.close();
});

describe('evidence of a green run', () => {
  test('end (the ended_at field) and members (every task run ended, none failed) are recorded', async () => {
    w = await qarionWorld();
    const { outcome } = await runQarion(w, { pipeline: 'daily_finance' });
    expect(outcome.status).toBe('succeeded');
    const evidence = outcome.results[0]!.evidence!;
    expect(evidence.identity).toEqual({ ok: true, detail: expect.stringMatching(/not in the baseline/) });
    expect(evidence.end).toEqual({ ok: true, detail: expect.stringMatching(/^ended_at \d{4}-/) });
    expect(evidence.members).toEqual({ ok: true, detail: expect.stringMatching(/^5 of 5 task runs ended, none failed \(1 skipped; .*legacy_export \(removed\)\)/) });
  });

  test('alias fields: the end proof names end_date', async () => {
    w = await qarionWorld({ fieldStyle: 'aliases' });
    const { outcome } = await runQarion(w, { pipeline: 'daily_finance' });
    expect(outcome.status).toBe('succeeded');
    expect(outcome.results[0]!.evidence!.end!.detail).toMatch(/^end_date /);
  });

  test('a run whose detail lists no task run is not green: the members proof fails and says why', async () => {
    w = await qarionWorld({ taskRunsInDetail: 'omitted' });
    const { outcome } = await runQarion(w, { pipeline: 'daily_finance' });
    expect(apiRuns(w, w.ids.daily)[0]!.status).toBe('success');
    expect(outcome.status).toBe('failed');
    expect(outcome.results[0]!.message).toMatch(/missing proof: members/);
    expect(outcome.results[0]!.evidence!.members).toEqual({ ok: false, detail: expect.stringMatching(/lists no task run/) });
  });
});

describe('lost trigger answer (adoption: equivalent)', () => {
  test("a colleague's run that started before the baseline (listed only later) is never adopted; ours is, and its failure is the verdict", async () => {
    w = await qarionWorld({ maxActiveRuns: 16 });
    w.q.setScenario(SPACE, w.ids.daily, { outcome: 'failure', durationMs: 300 });
    let colleague = '';
    // Created 2.5 s before our trigger, but Qarion lists it only from the trigger on (it was not in the baseline).
    w.q.foreignRunOnTrigger(SPACE, w.ids.daily, { offsetMs: -2500, outcome: 'success', durationMs: 4000, runType: 'manual' }, (id) => (colleague = id));
    w.sim.faults.add({ platform: 'qarion', method: 'POST', path: /\/trigger$/, kind: 'apply-then-reset' });
    const { outcome } = await runQarion(w, { pipeline: 'daily_finance' });
    const ours = apiRuns(w, w.ids.daily);
    expect(triggerPosts(w)).toBe(1);
    expect(ours).toHaveLength(1);
    expect(colleague).not.toBe('');
    expect(outcome.results[0]!.runId).toBe(`adopted:${ours[0]!.id}`);
    expect(outcome.status).toBe('failed');
    expect(w.sim.journal.count({ method: 'GET', path: new RegExp(`/runs/${colleague}$`) })).toBe(0);
  });

  test('two runs started after the baseline (ours and a colleague\'s): both adopted, green only if both succeed', async () => {
    w = await qarionWorld({ maxActiveRuns: 16 });
    w.q.setScenario(SPACE, w.ids.daily, { outcome: 'success', durationMs: 300 });
    let colleague = '';
    w.q.foreignRunOnTrigger(SPACE, w.ids.daily, { offsetMs: 0, outcome: 'failure', durationMs: 200, runType: 'manual' }, (id) => (colleague = id));
    w.sim.faults.add({ platform: 'qarion', method: 'POST', path: /\/trigger$/, kind: 'apply-then-reset' });
    const { outcome } = await runQarion(w, { pipeline: 'daily_finance' });
    expect(outcome.status).toBe('failed');
    const ids = outcome.results[0]!.runId!.split('+').map((id) => id.replace(/^adopted:/, ''));
    expect(ids.sort()).toEqual([apiRuns(w, w.ids.daily)[0]!.id, colleague].sort());
    expect(triggerPosts(w)).toBe(1);
  });
});

describe('mode check: complete history', () => {
  /** 150 runs ten minutes apart, all inside the first window (page size capped at 30: five pages); the newest one failed. */
  async function longHistory(order: 'newest-first' | 'oldest-first' | 'shuffled') {
    w = await qarionWorld({ runListOrder: order, maxPageSize: 30 });
    const history = Array.from({ length: 150 }, (_, i) => ({ startedAgoMs: (i + 2) * 600_000, durationMs: 60_000, status: i === 0 ? 'failed' : 'success' }));
    return w.q.addPipeline(SPACE, { name: 'hourly_loads', connectorId: w.ids.connector, history });
  }

  test.each(['newest-first', 'oldest-first', 'shuffled'] as const)('%s: every page is read and the newest (failed) run decides', async (order) => {
    const id = await longHistory(order);
    const { outcome } = await runQarion(w, { pipeline: 'hourly_loads', mode: 'check' });
    expect(outcome.status).toBe('failed');
    expect(outcome.results[0]!.message).toMatch(/the latest run .* failed/);
    const newest = w.q.runs(SPACE, id).at(-1)!;
    expect(outcome.results[0]!.runId).toBe(newest.id);
    expect(outcome.results[0]!.evidence!.history).toEqual({ ok: true, detail: expect.stringMatching(/read 5 page\(s\) .*150 run\(s\).*zoned start time/) });
  });

  test('start times without a zone: a run within an hour that ended otherwise makes "latest" unknowable, so the check is red', async () => {
    w = await qarionWorld({ timestampStyle: 'naive' });
    const history = [
      { startedAgoMs: 2 * 3_600_000, durationMs: 60_000, status: 'success' },
      { startedAgoMs: 2 * 3_600_000 + 30 * 60_000, durationMs: 60_000, status: 'failed' },
    ];
    w.q.addPipeline(SPACE, { name: 'naive_loads', connectorId: w.ids.connector, history });
    const { outcome } = await runQarion(w, { pipeline: 'naive_loads', mode: 'check' });
    expect(outcome.status).toBe('failed');
    expect(outcome.results[0]!.message).toMatch(/latest run cannot be told: .*carry no zone.*either may be the newer/);
  });

  test('start times without a zone, runs far apart: the newest decides (green when it succeeded)', async () => {
    w = await qarionWorld({ timestampStyle: 'naive' });
    const { outcome } = await runQarion(w, { pipeline: 'daily_finance', mode: 'check' });
    expect(outcome.status).toBe('succeeded');
    expect(outcome.results[0]!.evidence!.history!.detail).toMatch(/no zone; no run within an hour/);
    expect(outcome.results[0]!.evidence!.members!.ok).toBe(true);
  });
});

/**
 * Issue 12, defect 2 (Planasonix): mode check reads the whole job or run list it needs and picks the latest by
 * the server's timestamps, never by list position: the order of the lists is undocumented (apis.md §3.5), so
 * a server listing oldest first must not make an older success win over a failed newest job.
 */
import { CONN, PIPELINE, plxWorld, runPlx, type PlxWorld } from '../helpers/planasonix.js';

const HOUR = 3_600_000;
let w: PlxWorld;
afterEach(async () => {
  await w?.close();
});

/** Past jobs (or runs), oldest first, `gapMs` apart; the clock ends just after the last one ended. */
function history(outcomes: Array<'success' | 'failure'>, gapMs: number, start: (o: 'success' | 'failure') => void): void {
  for (const outcome of outcomes) {
    start(outcome);
    w.sim.clock.advance(gapMs);
  }
}

describe.each(['oldest-first', 'newest-first'] as const)('a list given %s', (listOrder) => {
  test('sync: newest job failed, an older success 10 h earlier, max-age 24h → not green, naming the failed job', async () => {
    w = await plxWorld({ listOrder });
    // Many successes long ago (more than one page), then a success 10 h before the failed newest job.
    history(Array(60).fill('success'), 60_000, (outcome) => w.plx.startForeignJob(CONN, { outcome, durationMs: 10 }));
    w.sim.clock.advance(HOUR);
    w.plx.startForeignJob(CONN, { outcome: 'success', durationMs: 10 });
    w.sim.clock.advance(10 * HOUR);
    const failed = w.plx.startForeignJob(CONN, { outcome: 'failure', durationMs: 10, errorMessage: 'source unreachable' });
    w.sim.clock.advance(60_000);
    const { outcome } = await runPlx(w, { connection: CONN, mode: 'check', 'max-age': '24h' });
    expect(outcome.status).toBe('failed');
    expect(outcome.results[0]!.runId).toBe(failed);
    expect(outcome.results[0]!.message).toMatch(new RegExp(`the latest run ${failed} failed`));
  });

  test('pipeline: newest run failed after many older successes → not green', async () => {
    w = await plxWorld({ listOrder });
    history(Array(55).fill('success'), 60_000, (outcome) => w.plx.startForeignRun(PIPELINE, { outcome, durationMs: 10 }));
    w.sim.clock.advance(10 * HOUR);
    const failed = w.plx.startForeignRun(PIPELINE, { outcome: 'failure', durationMs: 10 });
    w.sim.clock.advance(60_000);
    const { outcome } = await runPlx(w, { pipeline: PIPELINE, mode: 'check', 'max-age': '24h' });
    expect(outcome.status).toBe('failed');
    expect(outcome.results[0]!.runId).toBe(failed);
  });

  test('sync: the newest job succeeded → green, with the complete-history proof', async () => {
    w = await plxWorld({ listOrder });
    history(['failure', ...Array(59).fill('success')], 60_000, (outcome) => w.plx.startForeignJob(CONN, { outcome, durationMs: 10 }));
    const { outcome } = await runPlx(w, { connection: CONN, mode: 'check', 'max-age': '24h' });
    expect(outcome.status).toBe('succeeded');
    expect(outcome.results[0]!.evidence?.history).toMatchObject({ ok: true, detail: expect.stringMatching(/every page/) });
  });
});

test('a list longer than the page bound is not proof: not green, saying so', async () => {
  // The server caps every page at one item, whatever limit is asked: 55 jobs need 55 pages, past the bound.
  w = await plxWorld({ listOrder: 'oldest-first', pageCap: 1 });
  history(Array(55).fill('success'), 60_000, (outcome) => w.plx.startForeignJob(CONN, { outcome, durationMs: 10 }));
  const { outcome } = await runPlx(w, { connection: CONN, mode: 'check' });
  expect(outcome.status).toBe('failed');
  expect(outcome.results[0]!.message ?? '').toMatch(/50 pages/);
  expect(w.sim.journal.count({ method: 'GET', path: '/api/v1/jobs' })).toBeLessThanOrEqual(50);
});

test('a page cap below the requested limit: every page is read', async () => {
  w = await plxWorld({ listOrder: 'oldest-first', pageCap: 7 });
  history(Array(30).fill('success'), 60_000, (outcome) => w.plx.startForeignJob(CONN, { outcome, durationMs: 10 }));
  const failed = w.plx.startForeignJob(CONN, { outcome: 'failure', durationMs: 10 });
  w.sim.clock.advance(60_000);
  const { outcome } = await runPlx(w, { connection: CONN, mode: 'check' });
  expect(outcome.status).toBe('failed');
  expect(outcome.results[0]!.runId).toBe(failed);
});

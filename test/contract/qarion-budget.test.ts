/**
 * The step's request budget against the Qarion simulator at the documented limit (60 requests a minute per
 * key, a fixed window, apis.md §2.5): sixteen targets started at once queue through one budget, so the server
 * never has to answer 429, and their requests are spread over time rather than sent in one rush.
 */
import type { JournalEntry } from '../../src/simulator/journal.js';
import { REQUEST_BURST } from '../../src/core/http/budget.js';
import { apiRuns, qarionWorld, runQarion, SPACE, type QarionSim } from '../helpers/qarion.js';

let w: QarionSim;

afterEach(async () => {
  await w?.sim.close();
});

/** The most requests in any `windowMs` of simulated time. */
function busiest(entries: JournalEntry[], windowMs: number): number {
  const times = entries.map((e) => e.simTimeMs).sort((a, b) => a - b);
  let most = 0;
  for (let i = 0, j = 0; i < times.length; i++) {
    while (times[i]! - times[j]! >= windowMs) j++;
    most = Math.max(most, i - j + 1);
  }
  return most;
}

test('sixteen targets started at once at 60/min: no answer 429, and the requests spread out', async () => {
  w = await qarionWorld({ rateLimit: 60, rateLimitWindowMs: 60_000 }, { timeScale: 40 });
  const ids: string[] = [];
  const names: string[] = [];
  for (let i = 0; i < 16; i++) {
    const name = `load_part_${String(i).padStart(2, '0')}`;
    const id = w.q.addPipeline(SPACE, { name, connectorId: w.ids.connector });
    w.q.setScenario(SPACE, id, { outcome: 'success', durationMs: 30_000 });
    ids.push(id);
    names.push(name);
  }
  const { outcome } = await runQarion(
    w,
    { pipeline: names.join('\n'), 'max-concurrency': '16', 'poll-interval': '10s', timeout: '30m' },
    { startWindowMs: 5 * 60_000, confirmWindowMs: 30_000 },
  );
  expect(outcome.results.map((r) => r.status)).toEqual(new Array(16).fill('succeeded'));
  for (const id of ids) expect(apiRuns(w, id)).toHaveLength(1);
  const entries = w.sim.journal.entries({ platform: 'qarion' });
  // Sixteen targets need about 80 requests to start: more than a minute's budget, so they must queue.
  expect(entries.length).toBeGreaterThan(80);
  expect(entries.filter((e) => e.status === 429).map((e) => `${e.method} ${e.path} at ${(e.simTimeMs - entries[0]!.simTimeMs) / 1000}s`)).toEqual([]);
  // A burst of 10, then about one a second: never the whole minute's budget in one rush. (A sliding minute may
  // hold a few more than 60: the server's window is fixed, and a new one starts with a new burst.)
  expect(busiest(entries, 10_000)).toBeLessThanOrEqual(25);
}, 60_000);

test('sixteen pipelines by id: before the first answer, the documented limit already paces the reads (a burst, not all sixteen)', async () => {
  w = await qarionWorld({ rateLimit: 60, rateLimitWindowMs: 60_000 }, { timeScale: 40 });
  const ids: string[] = [];
  for (let i = 0; i < 16; i++) {
    const id = w.q.addPipeline(SPACE, { name: `load_part_${String(i).padStart(2, '0')}`, connectorId: w.ids.connector });
    w.q.setScenario(SPACE, id, { outcome: 'success', durationMs: 30_000 });
    ids.push(id);
  }
  const { outcome } = await runQarion(
    w,
    { pipeline: ids.join('\n'), 'max-concurrency': '16', 'poll-interval': '10s', timeout: '30m' },
    { startWindowMs: 5 * 60_000, confirmWindowMs: 30_000 },
  );
  expect(outcome.results.map((r) => r.status)).toEqual(new Array(16).fill('succeeded'));
  const entries = w.sim.journal.entries({ platform: 'qarion' });
  expect(entries.filter((e) => e.status === 429)).toHaveLength(0);
  // Sixteen pipeline reads are asked for at once; the answers' headers come too late to spread them. In the
  // first second: the burst, the token that refills within it, and one more for arrival jitter (a simulated
  // second is 25 ms here, and a loaded machine can hold the first request back that long).
  const first = entries[0]!.simTimeMs;
  expect(entries.filter((e) => e.simTimeMs < first + 1000).length).toBeLessThanOrEqual(REQUEST_BURST + 2);
}, 60_000);

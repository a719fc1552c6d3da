/**
 * Issue 12, defect 6: a Planasonix trigger whose answer is lost after the server applied it is never sent
 * again blindly. The header name of Planasonix idempotency is undocumented (apis.md §3.5, §5 #24), so a
 * server may ignore our key: a resend would start a second load. The step looks first, for a run carrying
 * this step's idempotency key or metadata, and adopts only such a run (the lost-answer rule of issue 12).
 *
 * Time is simulated (helpers/machine-clock.ts): both clocks run CONTRACT_TIME_SCALE times faster than real time
 * while the engine sleeps, and stand still while it works; every duration below is simulated time.
 */
import type { PlanasonixOptions } from '../../src/simulator/planasonix.js';
import { CONTRACT_TIME_SCALE } from '../helpers/machine-clock.js';
import { CONN, PIPELINE, plxWorld as plxWorldAt, runPlx, triggerPosts, type PlxWorld } from '../helpers/planasonix.js';

let w: PlxWorld;

const plxWorld = (options: Partial<PlanasonixOptions> = {}) => plxWorldAt(options, { timeScale: CONTRACT_TIME_SCALE });
afterEach(async () => {
  await w?.close();
});

const apiRuns = () => w.plx.runs(PIPELINE).filter((r) => r.origin === 'api');
const apiJobs = () => w.plx.jobs(CONN).filter((j) => j.origin === 'api');

describe.each([502, 504])('a trigger applied by the server, then answered %i by a gateway; the server ignores idempotency keys', (status) => {
  test('pipeline run: exactly one run started, the step follows it, and the normal log says the answer was lost and the run was adopted', async () => {
    w = await plxWorld({ idempotency: 'none' });
    w.sim.faults.add({ platform: 'planasonix', method: 'POST', path: /\/run$/, kind: 'apply-then-status', status });
    const { outcome, host } = await runPlx(w, { pipeline: PIPELINE });
    // The world's truth: one trigger reached the server, one run exists.
    expect(triggerPosts(w)).toBe(1);
    expect(w.plx.triggers()).toEqual([expect.objectContaining({ kind: 'pipeline-run', status: 200, keySource: 'none' })]);
    const runs = apiRuns();
    expect(runs).toHaveLength(1);
    // The step follows that run (not some other), and it carries this step's key in its metadata.
    expect(outcome.results[0]!.runId).toContain(runs[0]!.id);
    expect(outcome.results[0]!.runId).not.toContain('+');
    expect(host.outputs.get('run-id')).toContain(runs[0]!.id);
    expect(outcome.status).toBe('succeeded');
    // Said in the normal log (debug lines excluded), not only with --verbose.
    const text = host.text();
    expect(text).toMatch(new RegExp(`answer was lost \\(.*${status}`));
    expect(text).toMatch(new RegExp(`adopted run ${runs[0]!.id}.*idempotency key`));
    expect(text).not.toMatch(/sending the trigger again/);
  });

  test('sync: exactly one job started and followed', async () => {
    w = await plxWorld({ idempotency: 'none' });
    w.sim.faults.add({ platform: 'planasonix', method: 'POST', path: /\/sync$/, kind: 'apply-then-status', status });
    const { outcome, host } = await runPlx(w, { connection: CONN });
    expect(triggerPosts(w)).toBe(1);
    expect(apiJobs()).toHaveLength(1);
    expect(outcome.results[0]!.runId).toContain(apiJobs()[0]!.id);
    expect(outcome.status).toBe('succeeded');
    expect(host.text()).toMatch(new RegExp(`adopted run ${apiJobs()[0]!.id}`));
  });
});

test('a foreign run that appears after the lost answer, without our marker, is never adopted', async () => {
  // The POST is NOT applied (a plain 502), and a schedule starts a run at that moment: not ours.
  w = await plxWorld({ idempotency: 'none' });
  w.plx.setPipelineScenario(PIPELINE, { outcome: 'success', durationMs: 300 });
  w.sim.faults.add({ platform: 'planasonix', method: 'POST', path: /\/run$/, kind: 'status', status: 502 });
  const watcher = setInterval(() => {
    if (triggerPosts(w) > 0) {
      clearInterval(watcher);
      w.plx.startForeignRun(PIPELINE, { outcome: 'success', durationMs: 60_000, trigger: 'schedule' });
    }
  }, 2);
  const { outcome } = await runPlx(w, { pipeline: PIPELINE }).finally(() => clearInterval(watcher));
  const foreign = w.plx.runs(PIPELINE).filter((r) => r.origin === 'foreign');
  expect(foreign).toHaveLength(1);
  expect(outcome.results[0]!.runId ?? '').not.toContain(foreign[0]!.id);
  // The target was busy with the foreign run: nothing was sent again, and nothing unproven was counted green.
  expect(apiRuns()).toHaveLength(0);
  expect(outcome.status).not.toBe('succeeded');
});

test('a backfill whose answer is lost is never sent again (no backfill list to look in): a clear failure', async () => {
  w = await plxWorld({ idempotency: 'none' });
  w.sim.faults.add({ platform: 'planasonix', method: 'POST', path: /\/backfill$/, kind: 'apply-then-status', status: 502 });
  const { outcome } = await runPlx(w, { connection: CONN, 'backfill-start': '2024-01-01', 'backfill-end': '2024-01-31' });
  expect(triggerPosts(w)).toBe(1);
  expect(w.plx.backfills(CONN)).toHaveLength(1);
  expect(outcome.status).toBe('failed');
  expect(outcome.results[0]!.message).toMatch(/answer was lost.*not sent again/);
});

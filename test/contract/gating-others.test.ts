/**
 * Release gating on Qarion and Planasonix (TimeXtender: gating-timextender.test.ts): mode check finds the
 * latest run and says what it found (succeeded and fresh, failed, running, too old, never ran) on the
 * platform's own clock; mode wait follows a run by id to success and to failure with its details.
 */
import { CONN, CONN2, PIPELINE, plxWorld, runPlx, type PlxWorld } from '../helpers/planasonix.js';
import { qarionWorld, runQarion, SPACE, triggerPosts as qarionTriggers, type QarionSim } from '../helpers/qarion.js';

const HOUR = 3_600_000;
const settle = (ms = 30) => new Promise((resolve) => setTimeout(resolve, ms));

describe('Planasonix', () => {
  let w: PlxWorld;
  beforeEach(async () => {
    w = await plxWorld();
    w.plx.addKey('plx_live_ContractTestKey00000000000001');
    w.plx.addConnection(CONN, { name: 'Orders DB' });
    w.plx.addConnection(CONN2, { name: 'CRM' });
    w.plx.addPipeline(PIPELINE, { name: 'Daily finance' });
  });
  afterEach(async () => {
    await w.close();
  });
  const posts = () => w.sim.journal.count({ method: 'POST' });

  test('check a connection: its latest sync succeeded and is fresh → pass, nothing triggered', async () => {
    w.plx.startForeignJob(CONN, { outcome: 'success', durationMs: 10 });
    await settle();
    const { outcome } = await runPlx(w, { connection: CONN, mode: 'check', 'max-age': '1h' });
    expect(outcome.status).toBe('succeeded');
    expect(outcome.results[0]!.message).toMatch(/the latest run job_\S+ succeeded/);
    expect(posts()).toBe(0);
  });

  test('check a connection: failed, running and never ran each say what was found', async () => {
    w.plx.startForeignJob(CONN, { outcome: 'failure', durationMs: 10, errorMessage: 'source unreachable' });
    await settle();
    const failed = await runPlx(w, { connection: CONN, mode: 'check' });
    expect(failed.outcome.status).toBe('failed');
    expect(failed.outcome.results[0]!.message).toMatch(/the latest run job_\S+ failed/);

    w.plx.startForeignJob(CONN, { outcome: 'hang' });
    await settle();
    const running = await runPlx(w, { connection: CONN, mode: 'check' });
    expect(running.outcome.results[0]!.message).toMatch(/is still (running|queued)/);

    const never = await runPlx(w, { connection: CONN2, mode: 'check' });
    expect(never.outcome.status).toBe('failed');
    expect(never.outcome.results[0]!.message).toMatch(/never ran/);
    expect(posts()).toBe(0);
  });

  test('check a pipeline: too old on the server clock', async () => {
    w.plx.startForeignRun(PIPELINE, { outcome: 'success', durationMs: 10 });
    await settle();
    w.sim.clock.advance(30 * HOUR);
    const { outcome } = await runPlx(w, { pipeline: PIPELINE, mode: 'check', 'max-age': '24h' });
    expect(outcome.status).toBe('failed');
    expect(outcome.results[0]!.message).toMatch(/too old: .* succeeded (29h 59m|30h)/);
  });

  test('wait by run id: a pipeline run followed to its failure, with the failing node and its logs', async () => {
    const runId = w.plx.startForeignRun(PIPELINE, { outcome: 'failure', durationMs: 300, failingNode: 'load' });
    const { outcome, host } = await runPlx(w, { pipeline: PIPELINE, mode: 'wait', 'run-id': runId });
    expect(outcome.status).toBe('failed');
    expect(host.outputs.get('run-id')).toBe(runId);
    expect(outcome.results[0]!.failedTasks.length).toBeGreaterThan(0);
    expect(posts()).toBe(0);
  });
});

describe('Qarion', () => {
  let w: QarionSim;
  beforeEach(async () => {
    w = await qarionWorld();
  });
  afterEach(async () => {
    await w.sim.close();
  });

  test('check: the latest run still running, and a pipeline that never ran', async () => {
    w.q.startForeignRun(SPACE, w.ids.daily, { outcome: 'hang' });
    await settle();
    const running = await runQarion(w, { pipeline: 'daily_finance', mode: 'check' });
    expect(running.outcome.status).toBe('failed');
    expect(running.outcome.results[0]!.message).toMatch(/is still (running|queued)/);
    const never = await runQarion(w, { pipeline: 'hourly_sales', mode: 'check' });
    expect(never.outcome.status).toBe('failed');
    expect(never.outcome.results[0]!.message).toMatch(/never ran/);
    expect(qarionTriggers(w)).toBe(0);
  });

  test('wait by run id: followed to success', async () => {
    const runId = w.q.startForeignRun(SPACE, w.ids.daily, { outcome: 'success', durationMs: 300 });
    const { outcome, host } = await runQarion(w, { pipeline: 'daily_finance', mode: 'wait', 'run-id': runId });
    expect(outcome.status).toBe('succeeded');
    expect(host.outputs.get('run-id')).toBe(runId);
    expect(qarionTriggers(w)).toBe(0);
  });
});

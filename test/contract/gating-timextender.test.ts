/**
 * Release gating on TimeXtender: mode check (latest run succeeded, and recently), mode wait (follow a run
 * by id, or the run in flight), and detach/resume (trigger in one process, wait in another).
 */
import { spawn } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Simulator } from '../../src/simulator/index.js';
import { KEY, runTdp, tdpWorld, triggerPosts, WS } from '../helpers/tdp.js';

const HOUR = 3_600_000;
let sim: Simulator;

async function world(timeZone = 'Pacific/Kiritimati'): Promise<Simulator> {
  const s = await tdpWorld({ timextender: { timeZone } });
  const tdp = s.tdp;
  // Ended 2 hours ago, succeeded.
  tdp.addTask(WS, { taskType: 'Package', taskId: 501, taskName: 'Fresh Load', history: [{ startedAgoMs: 2 * HOUR + 60_000, durationMs: 60_000, status: 'Finished' }] });
  // Its latest run failed (an older one succeeded).
  tdp.addTask(WS, {
    taskType: 'Package',
    taskId: 502,
    taskName: 'Broken Load',
    logLines: ['Loading', 'ERROR: primary key violation in DimCustomer'],
    history: [
      { startedAgoMs: 3 * HOUR, durationMs: 60_000, status: 'Failed', logLines: ['Loading', 'ERROR: primary key violation in DimCustomer'] },
      { startedAgoMs: 27 * HOUR, durationMs: 60_000, status: 'Finished' },
    ],
  });
  // Succeeded, but three days ago.
  tdp.addTask(WS, { taskType: 'Package', taskId: 503, taskName: 'Stale Load', history: [{ startedAgoMs: 72 * HOUR, durationMs: 60_000, status: 'Finished' }] });
  // Never ran.
  tdp.addTask(WS, { taskType: 'Package', taskId: 504, taskName: 'New Load' });
  return s;
}

afterEach(async () => {
  await sim?.close();
});

describe('mode check', () => {
  beforeEach(async () => {
    sim = await world();
  });

  test('latest run succeeded and is fresh: pass, and nothing is triggered', async () => {
    const { outcome } = await runTdp(sim, { mode: 'check', task: 'Package/501', 'max-age': '24h' });
    expect(outcome.status).toBe('succeeded');
    expect(outcome.results[0]!.message).toMatch(/succeeded 2h( 0m)? ago/);
    expect(triggerPosts(sim)).toBe(0);
  });

  test('latest run failed: fail, saying so, with its log', async () => {
    const { outcome } = await runTdp(sim, { mode: 'check', task: 'Package/502', 'max-age': '24h' });
    expect(outcome.status).toBe('failed');
    expect(outcome.results[0]!.message).toMatch(/the latest run \d+ Failed/);
    expect(outcome.results[0]!.failedTasks[0]!.errorLines[0]).toContain('primary key violation');
  });

  test('latest run still running: fail, saying it is running', async () => {
    sim.tdp.startForeignRun(WS, 'Package', 501, { outcome: 'success', durationMs: 600_000 });
    const { outcome } = await runTdp(sim, { mode: 'check', task: 'Package/501' });
    expect(outcome.status).toBe('failed');
    expect(outcome.results[0]!.message).toMatch(/still Running/);
  });

  test('too old: fail, saying how old', async () => {
    const { outcome } = await runTdp(sim, { mode: 'check', task: 'Package/503', 'max-age': '24h' });
    expect(outcome.status).toBe('failed');
    expect(outcome.results[0]!.message).toMatch(/too old: .* succeeded 71h 59m ago \(max-age 24h\)/);
  });

  test('never ran: fail, saying so', async () => {
    const { outcome } = await runTdp(sim, { mode: 'check', task: 'Package/504' });
    expect(outcome.status).toBe('failed');
    expect(outcome.results[0]!.message).toMatch(/never ran/);
  });

  test('several targets: one line per target that is not green', async () => {
    const { outcome } = await runTdp(sim, { mode: 'check', task: 'Package/501\nPackage/503\nPackage/504', 'max-age': '24h' });
    expect(outcome.results.map((r) => r.status)).toEqual(['succeeded', 'failed', 'failed']);
    expect(outcome.failureLine).toMatch(/2 of 3 targets/);
  });

  test('a process map: its latest run is judged by its members', async () => {
    sim.tdp.setScenario(WS, 'Package', 1010, { outcome: 'failure', durationMs: 100 });
    await runTdp(sim, { 'process-map': '42' });
    const { outcome } = await runTdp(sim, { mode: 'check', 'process-map': '42', 'max-age': '1h' });
    expect(outcome.status).toBe('failed');
    expect(outcome.results[0]!.failedTasks.map((t) => t.id)).toContain('1010');
  });
});

describe('max-age on the server clock, whose local times carry no offset', () => {
  test('without server-time-zone the age is the longest it can be: a stale load never passes', async () => {
    sim = await world('America/New_York');
    // Ended 2h ago in New York; measured as if at UTC+14 it reads 2h + 19h = 21h.
    const loose = await runTdp(sim, { mode: 'check', task: 'Package/501', 'max-age': '24h' });
    expect(loose.outcome.status).toBe('succeeded');
    const tight = await runTdp(sim, { mode: 'check', task: 'Package/501', 'max-age': '12h' });
    expect(tight.outcome.status).toBe('failed');
    expect(tight.outcome.results[0]!.message).toMatch(/set server-time-zone/);
  });

  test('with server-time-zone the age is exact', async () => {
    sim = await world('America/New_York');
    const { outcome } = await runTdp(sim, { mode: 'check', task: 'Package/501', 'max-age': '3h', 'server-time-zone': 'America/New_York' });
    expect(outcome.status).toBe('succeeded');
    const stale = await runTdp(sim, { mode: 'check', task: 'Package/501', 'max-age': '90m', 'server-time-zone': 'America/New_York' });
    expect(stale.outcome.status).toBe('failed');
  });
});

describe('mode wait', () => {
  beforeEach(async () => {
    sim = await world();
  });

  test('by run id: followed to success, nothing triggered', async () => {
    sim.tdp.startForeignRun(WS, 'Package', 1005, { outcome: 'success', durationMs: 500 });
    const id = sim.tdp.executions(WS, 'Package', 1005).find((e) => e.origin === 'foreign')!.executionId;
    const { outcome, host } = await runTdp(sim, { mode: 'wait', task: 'Package/1005', 'run-id': String(id) });
    expect(outcome.status).toBe('succeeded');
    expect(host.outputs.get('run-id')).toBe(String(id));
    expect(triggerPosts(sim)).toBe(0);
  });

  test('by run id: followed to failure, with the same logs and summary as mode run', async () => {
    sim.tdp.setScenario(WS, 'Package', 1010, { outcome: 'failure', durationMs: 300 });
    sim.tdp.startForeignRun(WS, 'Package', 1010, { outcome: 'failure', durationMs: 300 });
    const id = sim.tdp.executions(WS, 'Package', 1010).find((e) => e.origin === 'foreign')!.executionId;
    const { outcome, host } = await runTdp(sim, { mode: 'wait', task: 'Package/1010', 'run-id': String(id) });
    expect(outcome.status).toBe('failed');
    expect(outcome.results[0]!.failedTasks[0]!.errorLines[0]).toContain('ERROR: Connection timeout');
    expect(host.summary).toContain('ERROR: Connection timeout');
  });

  test('without run id: the run in flight; none in flight is a clear failure', async () => {
    const none = await runTdp(sim, { mode: 'wait', task: 'Package/1005' });
    expect(none.outcome.status).toBe('failed');
    expect(none.outcome.results[0]!.message).toMatch(/no run in flight/);
    sim.tdp.startForeignRun(WS, 'Package', 1005, { outcome: 'success', durationMs: 400 });
    const { outcome } = await runTdp(sim, { mode: 'wait', task: 'Package/1005' });
    expect(outcome.status).toBe('succeeded');
  });
});

describe('detach and resume across two processes', () => {
  const CLI = join(process.cwd(), 'lib', 'adapters', 'cli', 'index.js');
  const cli = (args: string[]) =>
    new Promise<{ code: number | null; stdout: string }>((resolve) => {
      const child = spawn(process.execPath, [CLI, ...args], {
        env: { PATH: process.env.PATH ?? '', ORCHESTRATION_RUN_API_KEY: KEY, ORCHESTRATION_RUN_LOG_DIR: tmpdir() },
      });
      let stdout = '';
      child.stdout.on('data', (d) => (stdout += d));
      child.on('close', (code) => resolve({ code, stdout }));
    });

  beforeEach(async () => {
    sim = await world();
  });

  test('mode trigger in one process, mode wait in another with the run-id handed over', async () => {
    sim.tdp.setScenario(WS, 'Package', 1010, { outcome: 'failure', durationMs: 1500 });
    sim.tdp.setScenario(WS, 'Package', 1005, { outcome: 'success', durationMs: 1500 });
    const common = ['--platform', 'timextender', '--base-url', sim.url, '--workspace', WS, '--poll-interval', '200ms', '--task', 'Package/1005', '--task', 'Package/1010', '--json'];
    const first = await cli([...common, '--mode', 'trigger']);
    expect(first.code).toBe(0);
    const triggered = JSON.parse(first.stdout) as Array<{ runId: string; status: string }>;
    expect(triggered.map((r) => r.status)).toEqual(['triggered', 'triggered']);
    const runIds = triggered.map((r) => r.runId).join(',');
    const second = await cli([...common, '--mode', 'wait', '--run-id', runIds, '--fail-fast', 'false']);
    expect(second.code).toBe(1);
    const waited = JSON.parse(second.stdout) as Array<{ runId: string; status: string; failedTasks: unknown[] }>;
    expect(waited.map((r) => [r.runId, r.status])).toEqual([
      [triggered[0]!.runId, 'succeeded'],
      [triggered[1]!.runId, 'failed'],
    ]);
    expect(waited[1]!.failedTasks).toHaveLength(1);
    expect(triggerPosts(sim)).toBe(2);
  });
});

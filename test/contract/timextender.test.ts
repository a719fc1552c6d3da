/**
 * The TimeXtender provider and the engine against the simulator over real loopback HTTP.
 * Every case checks what a user would notice (status, outputs, messages) and what the server saw (the
 * journal): exactly one trigger, the run followed is the one this step started, never a false green.
 */
import { readFileSync } from 'node:fs';
import type { Simulator } from '../../src/simulator/index.js';
import { engineClock, FAILURE_LOG, KEY, runTdp, tdpWorld, triggerPosts, VIEWER_KEY, WS } from '../helpers/tdp.js';
import { afterSimulated, CONTRACT_TIME_SCALE } from '../helpers/machine-clock.js';

let sim: Simulator;

beforeEach(async () => {
  sim = await tdpWorld({ timeScale: CONTRACT_TIME_SCALE });
});

afterEach(async () => {
  await sim.close();
});

const result = (json: string | undefined) => JSON.parse(json ?? '[]') as Array<Record<string, unknown>>;

describe('a task', () => {
  test('that succeeds: green, with the id of the execution this trigger started', async () => {
    const { outcome, host } = await runTdp(sim, { task: 'Package/1005' });
    expect(outcome.status).toBe('succeeded');
    expect(outcome.exitCode).toBe(0);
    expect(triggerPosts(sim)).toBe(1);
    const started = sim.tdp.executions(WS, 'Package', 1005).filter((e) => e.origin === 'api');
    expect(started).toHaveLength(1);
    expect(started[0]!.status).toBe('Finished');
    expect(host.outputs.get('run-id')).toBe(String(started[0]!.executionId));
    // The new id is lower than ids already in the history: correlation never uses "the highest id".
    expect(started[0]!.executionId).toBeLessThan(98231);
    expect(host.outputs.get('raw-status')).toBe('Finished');
    expect(host.outputs.get('duration-seconds')).toMatch(/^\d+$/);
    expect(result(host.outputs.get('result'))[0]).toMatchObject({ target: 'finance/Package/1005', status: 'succeeded' });
    expect(host.summary).toContain('finance/Package/1005');
    expect(host.text()).toContain(`found run ${started[0]!.executionId}`);
    // The trigger carries the environment in its JSON body.
    const post = sim.journal.entries({ method: 'POST' })[0]!;
    expect(JSON.parse(post.body)).toEqual({ uat: 'Production' });
  });

  test('that fails: red, with the failing log lines printed, annotated and written to the log file', async () => {
    sim.tdp.setScenario(WS, 'Package', 1010, { outcome: 'failure', durationMs: 200 });
    const { outcome, host } = await runTdp(sim, { task: 'Package/1010', 'log-lines': '3' });
    expect(outcome.status).toBe('failed');
    expect(outcome.exitCode).toBe(1);
    const [target] = outcome.results;
    expect(target!.failedTasks).toHaveLength(1);
    expect(target!.failedTasks[0]!.logExcerpt).toEqual(FAILURE_LOG.slice(-3).map((l) => expect.stringContaining(l.trim())));
    expect(host.annotations().map((a) => a.text)).toEqual([expect.stringContaining('ERROR: Connection timeout after 30s')]);
    expect(outcome.failureLine).toContain('Failed');
    const file = readFileSync(outcome.logFile, 'utf8');
    for (const line of FAILURE_LOG) expect(file).toContain(line);
    expect(host.summary).toContain('ERROR: Connection timeout');
  });

  test('a name is resolved through the paged task list', async () => {
    for (let i = 0; i < 240; i++) sim.tdp.addTask(WS, { taskType: 'Package', taskId: 5000 + i, taskName: `Filler ${i}` });
    sim.tdp.addTask(WS, { taskType: 'Package', taskId: 7777, taskName: 'Load Late Arrivals' });
    sim.tdp.setScenario(WS, 'Package', 7777, { outcome: 'success', durationMs: 100 });
    const { outcome } = await runTdp(sim, { task: 'Package/Load Late Arrivals' });
    expect(outcome.status).toBe('succeeded');
    expect(outcome.results[0]!.target).toContain('Package/7777');
    const pages = sim.journal.entries({ method: 'GET', path: `/api/v0/orchestration/${WS}/tasks` });
    expect(pages.length).toBeGreaterThanOrEqual(3);
  });

  test('an unknown name lists close matches', async () => {
    const { outcome } = await runTdp(sim, { task: 'Package/Load Customer Dimm' });
    expect(outcome.status).toBe('failed');
    expect(outcome.results[0]!.message).toContain("'Load Customer Dim'");
    expect(triggerPosts(sim)).toBe(0);
  });

  test('the same id under two task types are two tasks', async () => {
    sim.tdp.setScenario(WS, 'Query', 42, { outcome: 'failure', durationMs: 100 });
    const ok = await runTdp(sim, { task: 'Package/42' });
    expect(ok.outcome.status).toBe('succeeded');
    const bad = await runTdp(sim, { task: 'Query/42' });
    expect(bad.outcome.status).toBe('failed');
    // Query tasks keep no log: say so instead of printing nothing.
    expect(bad.outcome.results[0]!.failedTasks[0]!.logNote).toMatch(/Query tasks keep no execution log/);
  });

  test('an unknown status word is in progress until the execution ends, then a failure', async () => {
    sim.tdp.setScenario(WS, 'Package', 1005, { outcome: 'unknown-ended', durationMs: 200 });
    const { outcome } = await runTdp(sim, { task: 'Package/1005' });
    expect(outcome.status).toBe('failed');
    expect(outcome.results[0]!.rawStatus).toBe('Aborted');
  });

  test('a run that never ends times out (exit 3) and says TimeXtender cannot cancel it', async () => {
    sim.tdp.setScenario(WS, 'Package', 1005, { outcome: 'unknown-running' });
    // On the engine's clock (simulated time: this world runs faster than real time while the engine sleeps).
    const started = engineClock(sim).now();
    const { outcome, host } = await runTdp(sim, { task: 'Package/1005', timeout: '1500ms' });
    expect(engineClock(sim).now() - started).toBeLessThan(6000);
    expect(outcome.status).toBe('timed-out');
    expect(outcome.exitCode).toBe(3);
    expect(outcome.results[0]!.cancel?.note).toMatch(/no way to cancel/);
    expect(host.text()).toMatch(/keeps going on the server/);
  });

  test('the execution row appearing only when the task leaves the queue is waited for', async () => {
    sim.tdp.options.rowOnlyWhenStarted = true;
    sim.tdp.setScenario(WS, 'Package', 1005, { outcome: 'success', queuedMs: 600, durationMs: 200 });
    const { outcome } = await runTdp(sim, { task: 'Package/1005' });
    expect(outcome.status).toBe('succeeded');
    expect(triggerPosts(sim)).toBe(1);
  });

  test('history listing the running execution last, or shuffled, is matched by id', async () => {
    sim.tdp.options.historyOrder = 'shuffled';
    sim.tdp.setScenario(WS, 'Package', 1005, { outcome: 'failure', durationMs: 300 });
    const { outcome } = await runTdp(sim, { task: 'Package/1005' });
    const ours = sim.tdp.executions(WS, 'Package', 1005).find((e) => e.origin === 'api')!;
    expect(outcome.results[0]!.runId).toBe(String(ours.executionId));
    expect(outcome.status).toBe('failed');
  });
});

describe('correlation and safety', () => {
  test('a trigger applied by the server whose answer is lost starts exactly one execution, and that one is followed', async () => {
    sim.faults.add({ method: 'POST', path: /\/trigger$/, kind: 'apply-then-reset' });
    const { outcome, host } = await runTdp(sim, { task: 'Package/1005' });
    const started = sim.tdp.executions(WS, 'Package', 1005).filter((e) => e.origin === 'api');
    expect(started).toHaveLength(1);
    expect(started[0]!.status).toBe('Finished');
    expect(triggerPosts(sim)).toBe(1);
    // The run-id handle names the adopted execution (and says it was adopted).
    expect(outcome.results[0]!.runId).toContain(String(started[0]!.executionId));
    expect(host.text()).toMatch(/answer was lost/);
    // Lost-answer rule: a run of this task and environment started after the baseline is an equivalent load;
    // it is adopted, said so plainly, and its outcome decides the step.
    expect(outcome.status).toBe('succeeded');
    expect(outcome.results[0]!.message).toMatch(/adopted/);
    expect(outcome.results[0]!.evidence?.identity?.detail).toMatch(/adopted after the trigger's answer was lost/);
  });

  test('a trigger that never reached the server (connection reset before it was applied) is sent again once', async () => {
    sim.faults.add({ method: 'POST', path: /\/trigger$/, kind: 'reset' });
    const { outcome } = await runTdp(sim, { task: 'Package/1005' });
    expect(outcome.status).toBe('succeeded');
    expect(sim.tdp.executions(WS, 'Package', 1005).filter((e) => e.origin === 'api')).toHaveLength(1);
    expect(triggerPosts(sim)).toBe(2);
  });

  test('a foreign run starting in the same window is followed too: its failure is not hidden', async () => {
    sim.tdp.setScenario(WS, 'Package', 1005, { outcome: 'success', queuedMs: 0, durationMs: 500 });
    sim.tdp.options.secondTriggerWhileRunning = 'queue';
    // Rows show up late, and a schedule starts the task just after our trigger: by the time we look,
    // two new executions are listed and nothing tells which one is ours.
    sim.tdp.options.rowDelayMs = 300;
    const watcher = setInterval(() => {
      if (triggerPosts(sim) > 0) {
        clearInterval(watcher);
        sim.tdp.startForeignRun(WS, 'Package', 1005, { outcome: 'failure', durationMs: 400 });
      }
    }, 2);
    const { outcome, host } = await runTdp(sim, { task: 'Package/1005' }).finally(() => clearInterval(watcher));
    const truth = sim.tdp.executions(WS, 'Package', 1005).filter((e) => e.origin !== 'history');
    expect(truth).toHaveLength(2);
    // Whichever order they showed up in, a failed candidate makes the step red.
    expect(outcome.status).toBe('failed');
    expect(host.lines.some((l) => l.level === 'warning' && /new runs started after the trigger/.test(l.text))).toBe(true);
  });

  test('5xx bursts and 429 on reads are retried and the run still ends with its true outcome', async () => {
    sim.tdp.setScenario(WS, 'Package', 1010, { outcome: 'failure', durationMs: 400 });
    sim.faults.add({ method: 'GET', path: /\/executions$/, kind: 'status', status: 503, times: 3 });
    sim.faults.add({ method: 'GET', path: /\/executions$/, kind: 'rate-limit', skip: 4, times: 1, headers: { 'Retry-After': '0' } });
    sim.faults.add({ method: 'GET', path: /\/log$/, kind: 'status', status: 502, times: 2 });
    const { outcome } = await runTdp(sim, { task: 'Package/1010' });
    expect(outcome.status).toBe('failed');
    expect(outcome.results[0]!.failedTasks[0]!.errorLines[0]).toContain('ERROR: Connection timeout');
    expect(triggerPosts(sim)).toBe(1);
  });
});

describe('errors a user must understand', () => {
  test('401: a wrong key', async () => {
    const { outcome, host } = await runTdp(sim, { task: 'Package/1005', 'api-key': 'txk_WrongWrongWrongWrongWrongWrong12' });
    expect(outcome.status).toBe('failed');
    expect(outcome.results[0]!.message).toMatch(/401/);
    expect(outcome.results[0]!.message).toMatch(/missing, wrong or revoked/);
    expect(host.text()).not.toContain('WrongWrongWrong');
  });

  test('403 on trigger: the key user is only a Viewer and needs Contributor', async () => {
    const { outcome } = await runTdp(sim, { task: 'Package/1005', 'api-key': VIEWER_KEY });
    expect(outcome.status).toBe('failed');
    expect(outcome.results[0]!.message).toMatch(/403/);
    expect(outcome.results[0]!.message).toMatch(/Contributor/);
    expect(sim.tdp.executions(WS, 'Package', 1005).filter((e) => e.origin === 'api')).toHaveLength(0);
  });

  test('404: an unknown task id', async () => {
    const { outcome } = await runTdp(sim, { task: 'Package/9999' });
    expect(outcome.results[0]!.message).toMatch(/404/);
    expect(outcome.results[0]!.message).toMatch(/not visible to the key/);
    expect(triggerPosts(sim)).toBe(0);
  });

  test('409 / already running with if-running: fail', async () => {
    sim.tdp.startForeignRun(WS, 'Package', 1005, { outcome: 'success', durationMs: 5000 });
    const { outcome } = await runTdp(sim, { task: 'Package/1005' });
    expect(outcome.status).toBe('failed');
    expect(outcome.results[0]!.message).toMatch(/already running/);
    expect(triggerPosts(sim)).toBe(0);
  });

  test('a key revoked between two polls is an auth failure, not a run failure', async () => {
    sim.tdp.setScenario(WS, 'Package', 1005, { outcome: 'success', durationMs: 3000 });
    afterSimulated(sim, 600, () => sim.tdp.revokeKey(KEY));
    const { outcome } = await runTdp(sim, { task: 'Package/1005' });
    expect(outcome.status).toBe('failed');
    expect(outcome.results[0]!.message).toMatch(/401.*key was rejected/);
  });
});

describe('if-running', () => {
  test('attach follows the run in flight and triggers nothing', async () => {
    sim.tdp.startForeignRun(WS, 'Package', 1005, { outcome: 'failure', durationMs: 600 });
    const { outcome, host } = await runTdp(sim, { task: 'Package/1005', 'if-running': 'attach' });
    expect(triggerPosts(sim)).toBe(0);
    const foreign = sim.tdp.executions(WS, 'Package', 1005).find((e) => e.origin === 'foreign')!;
    expect(outcome.results[0]!.runId).toBe(String(foreign.executionId));
    expect(outcome.status).toBe('failed');
    expect(host.text()).toMatch(/attaching to run/);
  });

  test('queue behind a run that never ends times out, and triggers nothing', async () => {
    sim.tdp.startForeignRun(WS, 'Package', 1005, { outcome: 'hang' });
    const { outcome } = await runTdp(sim, { task: 'Package/1005', 'if-running': 'queue', timeout: '1500ms' });
    expect(outcome.status).toBe('timed-out');
    expect(outcome.exitCode).toBe(3);
    expect(triggerPosts(sim)).toBe(0);
  });

  test('queue waits for the run in flight to end, then triggers once', async () => {
    sim.tdp.startForeignRun(WS, 'Package', 1005, { outcome: 'success', durationMs: 500 });
    const { outcome } = await runTdp(sim, { task: 'Package/1005', 'if-running': 'queue' });
    expect(outcome.status).toBe('succeeded');
    expect(triggerPosts(sim)).toBe(1);
    const ours = sim.tdp.executions(WS, 'Package', 1005).find((e) => e.origin === 'api')!;
    expect(outcome.results[0]!.runId).toBe(String(ours.executionId));
  });
});

describe('a process map', () => {
  test('with one failed task: red, the failed task and its log reported, the logless Query explained', async () => {
    sim.tdp.setScenario(WS, 'Package', 1010, { outcome: 'failure', durationMs: 200 });
    sim.tdp.setScenario(WS, 'Query', 2010, { outcome: 'failure', durationMs: 100 });
    const { outcome, host } = await runTdp(sim, { 'process-map': 'Daily Finance Load' });
    expect(triggerPosts(sim)).toBe(1);
    expect(outcome.status).toBe('failed');
    const tasks = outcome.results[0]!.failedTasks;
    expect(tasks.map((t) => `${t.type}/${t.id}`).sort()).toEqual(['Package/1010', 'Query/2010']);
    expect(tasks.find((t) => t.id === '1010')!.errorLines[0]).toContain('ERROR: Connection timeout');
    expect(tasks.find((t) => t.id === '2010')!.logNote).toMatch(/no execution log/);
    // Ignore Failure: the last stage still ran, and the map ended only after it.
    expect(sim.tdp.executions(WS, 'EmailSummary', 3001).filter((e) => e.origin === 'map')).toHaveLength(1);
    expect(host.outputs.get('run-id')).toMatch(/^42@/);
  });

  test('that succeeds: green once every member ended', async () => {
    const { outcome } = await runTdp(sim, { 'process-map': '42' });
    expect(outcome.status).toBe('succeeded');
    for (const [type, id] of [['Package', 1005], ['Package', 1010], ['Query', 2010], ['EmailSummary', 3001]] as const) {
      const ran = sim.tdp.executions(WS, type, id).filter((e) => e.origin === 'map');
      expect(ran).toHaveLength(1);
      expect(ran[0]!.status).toBe('Finished');
    }
  });
});

describe('several targets', () => {
  test('run concurrently; the step passes only if all pass; fail-fast stops the rest', async () => {
    sim.tdp.setScenario(WS, 'Package', 1010, { outcome: 'failure', durationMs: 100 });
    sim.tdp.setScenario(WS, 'Package', 1005, { outcome: 'success', durationMs: 4000 });
    const { outcome, host } = await runTdp(sim, { task: 'Package/1010\nPackage/1005', 'fail-fast': 'true' });
    expect(outcome.status).toBe('failed');
    expect(outcome.results.map((r) => r.status)).toEqual(['failed', 'cancelled']);
    expect(outcome.results[1]!.message).toMatch(/fail-fast/);
    expect(host.outputs.get('run-id')!.split(',')).toHaveLength(2);
  });

  test('without fail-fast, every target is followed to its end', async () => {
    sim.tdp.setScenario(WS, 'Package', 1010, { outcome: 'failure', durationMs: 100 });
    const { outcome } = await runTdp(sim, { task: 'Package/1010\nPackage/1005', 'fail-fast': 'false' });
    expect(outcome.results.map((r) => r.status)).toEqual(['failed', 'succeeded']);
  });
});

describe('mode trigger', () => {
  test('reports the execution id and does not wait', async () => {
    sim.tdp.setScenario(WS, 'Package', 1005, { outcome: 'success', durationMs: 60_000 });
    const { outcome, host } = await runTdp(sim, { task: 'Package/1005', mode: 'trigger' });
    expect(outcome.status).toBe('triggered');
    expect(outcome.exitCode).toBe(0);
    const ours = sim.tdp.executions(WS, 'Package', 1005).find((e) => e.origin === 'api')!;
    expect(host.outputs.get('run-id')).toBe(String(ours.executionId));
  });
});

test('the key never appears in anything the step printed or wrote', async () => {
  sim.tdp.setScenario(WS, 'Package', 1010, { outcome: 'failure', durationMs: 100 });
  const { outcome, host } = await runTdp(sim, { task: 'Package/1010' });
  const everything = [host.text(), host.summary, ...host.outputs.values(), readFileSync(outcome.logFile, 'utf8')].join('\n');
  for (const form of [KEY, encodeURIComponent(KEY), Buffer.from(KEY).toString('base64')]) expect(everything).not.toContain(form);
});

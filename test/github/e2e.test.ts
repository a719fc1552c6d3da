/**
 * The GitHub Action as the runner runs it: the committed bundles (dist/main/index.js, dist/post/index.js)
 * started with `node`, every scenario on Node 24 (action.yml's `node24`) and the core ones on Node 20 too
 * (test/helpers/runtimes.ts `scenario`), inputs in INPUT_* variables (dashes kept, upper-cased), the
 * runner's file commands (GITHUB_OUTPUT, GITHUB_STATE, GITHUB_STEP_SUMMARY), RUNNER_TEMP and the GITHUB_*
 * context, against the loopback simulator. Server text carries workflow-command payloads and the key in
 * several encodings; none may drive the runner or leak.
 *
 * dist/ missing (or, outside CI, older than the sources): the bundles are built first, in a temporary copy
 * of the project (scripts/check-dist.mjs --out), and those are tested; dist/ and lib/ are never rewritten
 * under other test files.
 */
import { type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { STATE_RUNS } from '../../src/core/engine/index.js';
import { DEMO_USER, seedDemoWorld } from '../../src/simulator/demo-world.js';
import { startSimulator, type Simulator } from '../../src/simulator/index.js';
import { CONN, PLX_KEY, plxWorld, type PlxWorld } from '../helpers/planasonix.js';
import { runtimes, scenario } from '../helpers/runtimes.js';
import { ALL_OUTPUTS, ensureBundles, runAction, SIM_RUN_ID, until, visibleLines, waitForExit, type ActionRun } from './action-runner.js';
import { foreignCommands, parseRunnerCommands } from './runner-commands.js';

/** The bundles under test (action-runner.ts: dist/, or a private fresh build when dist/ is missing or stale). */
let MAIN = '';
let POST = '';

/** A key with characters that URL-encoding and base64 change, so every form is a different string. */
const KEY = 'txk_E2e+Key/With=Specials%26&x9AbCd';
const KEY_FORMS = [KEY, encodeURIComponent(KEY), Buffer.from(KEY).toString('base64'), Buffer.from(KEY).toString('base64url')];
const WS = 'finance';

/** Workflow commands an attacker-controlled server could send in names and log lines. */
const PAYLOADS = [
  '::set-output name=x::y',
  '::add-mask::x',
  '::stop-commands::tok',
  '##[error]injected error',
  '##[group]injected group',
  '##vso[task.complete result=Succeeded]',
  '  ::warning::indented',
  '\x1b[31m::error::coloured\x1b[0m',
];
/** Line breaks inside one server string: the part after the break would start a line of its own. */
const SPLIT_PAYLOADS = ['ok\n::set-output name=x::y', 'ok\r::add-mask::x', 'ok\r\n::stop-commands::tok', 'ok\u2028::error::ls', 'ok\n##[error]x'];
const KEY_LINES = [`ERROR: rejected X-API-Key ${KEY}`, `request url ...?key=${encodeURIComponent(KEY)}`, `ERROR: Authorization: Basic ${Buffer.from(KEY).toString('base64')}`];

let sim: Simulator;

beforeAll(async () => {
  ({ main: MAIN, post: POST } = ensureBundles());
  sim = await startSimulator({ seed: 11 });
  seedDemoWorld(sim);
  const tdp = sim.tdp;
  tdp.addKey(DEMO_USER, KEY);
  const errorLog = (n: number) => [
    ...PAYLOADS,
    ...SPLIT_PAYLOADS,
    ...KEY_LINES,
    ...Array.from({ length: n }, (_, i) => `ERROR: step ${i + 1} failed ::set-output name=e${i}::v`),
  ];
  // Task names that are commands themselves, or hide one behind a line break.
  tdp.addTask(WS, { taskType: 'Package', taskId: 7001, taskName: '::set-output name=task::hijacked', processMapId: null });
  tdp.setScenario(WS, 'Package', 7001, { outcome: 'failure', durationMs: 400, logLines: errorLog(6) });
  tdp.addTask(WS, { taskType: 'Package', taskId: 7002, taskName: 'Load\n::add-mask::x', processMapId: null });
  tdp.setScenario(WS, 'Package', 7002, { outcome: 'failure', durationMs: 400, logLines: errorLog(6) });
  tdp.addTask(WS, { taskType: 'Package', taskId: 7003, taskName: '##vso[task.complete result=Succeeded]', processMapId: null });
  tdp.setScenario(WS, 'Package', 7003, { outcome: 'failure', durationMs: 400, logLines: errorLog(6) });
  tdp.addTask(WS, { taskType: 'Package', taskId: 7004, taskName: '##[endgroup]', processMapId: null });
  tdp.setScenario(WS, 'Package', 7004, { outcome: 'success', durationMs: 300 });
  tdp.addProcessMap(WS, {
    processMapId: 77,
    name: '::stop-commands::evil map',
    failurePolicy: 'ignore-failure',
    members: [
      { taskType: 'Package', taskId: 7001, stage: 1 },
      { taskType: 'Package', taskId: 7002, stage: 1 },
      { taskType: 'Package', taskId: 7003, stage: 1 },
      { taskType: 'Package', taskId: 7004, stage: 2 },
    ],
  });
  // A log long enough that the full result is far above the 32,000 characters `result` may hold.
  tdp.addTask(WS, { taskType: 'Package', taskId: 7005, taskName: 'Verbose Load', processMapId: null });
  tdp.setScenario(WS, 'Package', 7005, {
    outcome: 'failure',
    durationMs: 400,
    logLines: Array.from({ length: 800 }, (_, i) => `ERROR: row batch ${i + 1} rejected: ${'constraint violation on column amount; '.repeat(4)}`),
  });
  tdp.addTask(WS, { taskType: 'Package', taskId: 7100, taskName: 'Quick Load', processMapId: null });
  tdp.setScenario(WS, 'Package', 7100, { outcome: 'success', durationMs: 300 });
}, 180_000);

let nextEndlessTask = 7200;
/** A new task whose runs never end (TimeXtender cannot cancel them, so each test needs its own). */
function endlessTask(): string {
  const taskId = nextEndlessTask++;
  sim.tdp.addTask(WS, { taskType: 'Package', taskId, taskName: `Endless Load ${taskId}`, processMapId: null });
  sim.tdp.setScenario(WS, 'Package', taskId, { outcome: 'hang' });
  return `Package/${taskId}`;
}

afterAll(async () => {
  await sim?.close();
});

// ---------------------------------------------------------------------------------------------------------
// Running the bundle like the runner does

function tdpInputs(extra: Record<string, string>): Record<string, string> {
  return { platform: 'timextender', 'api-key': KEY, 'base-url': sim.url, workspace: WS, 'poll-interval': '200ms', timeout: '2m', ...extra };
}

/** Everything the step leaves behind, except the add-mask command itself (the runner swallows that line). */
function leftBehind(run: ActionRun): Record<string, string> {
  const logFiles = existsSync(run.tempDir) ? readdirSync(run.tempDir).map((f) => readFileSync(join(run.tempDir, f), 'utf8')) : [];
  return {
    stdout: run.stdout.split('\n').filter((l) => !l.startsWith('::add-mask::')).join('\n'),
    stderr: run.stderr,
    outputs: run.outputFile,
    state: run.stateFile,
    summary: run.summary,
    'log file': logFiles.join('\n'),
  };
}

function expectNoLeak(run: ActionRun, places: string[]): void {
  const texts = leftBehind(run);
  for (const place of places) {
    for (const form of KEY_FORMS) {
      if (texts[place]!.includes(form)) throw new Error(`the key (${form === KEY ? 'raw' : 'encoded'}) leaked into ${place}`);
    }
  }
}

/**
 * The runner keeps at most 10 error annotations per step (actions/runner ExecutionContext) and drops the rest:
 * at most 10 `::error` commands, and the last is the step's failure message (no title), so it always shows.
 */
function expectAnnotationBudget(run: ActionRun, failure: RegExp): void {
  const errors = parseRunnerCommands(run.stdout).filter((c) => c.name === 'error');
  expect(errors.length).toBeGreaterThan(1);
  expect(errors.length).toBeLessThanOrEqual(10);
  const last = errors[errors.length - 1]!;
  expect(last.properties).toBe('');
  expect(last.data).toMatch(failure);
  expect(errors.slice(0, -1).every((c) => c.properties.startsWith('title='))).toBe(true);
}

// ---------------------------------------------------------------------------------------------------------

const RUNTIMES = runtimes();

describe.each(RUNTIMES)('GitHub Action bundle on $name', (runtime) => {
  const it = scenario(RUNTIMES, runtime);
  it('core')('a task that succeeds: exit 0, every output, summary, and a quiet post step', async () => {
    const run = await runAction(runtime, MAIN, tdpInputs({ task: 'Package/7100' }));
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(Object.keys(run.outputs).sort()).toEqual([...ALL_OUTPUTS].sort());
    expect(run.outputs.status).toBe('succeeded');
    expect(run.outputs['run-id']).toMatch(/^\d+$/);
    expect(run.outputs['raw-status']).toBe('Finished');
    expect(run.outputs['duration-seconds']).toMatch(/^\d+$/);
    expect(run.outputs['started-at']).not.toBe('');
    expect(run.outputs['log-file'].startsWith(run.tempDir)).toBe(true);
    expect(JSON.parse(run.outputs.result!)).toEqual([expect.objectContaining({ target: 'finance/Package/7100', status: 'succeeded', runId: run.outputs['run-id'] })]);
    expect(run.outputs['result-file'].startsWith(run.tempDir)).toBe(true);
    expect(JSON.parse(readFileSync(run.outputs['result-file']!, 'utf8'))).toEqual(JSON.parse(run.outputs.result!));
    expect(run.summary).toContain('finance/Package/7100');
    expect(run.summary).toContain(`https://github.com/acme/data-app/actions/runs/${SIM_RUN_ID}/attempts/3`);
    expect(run.stdout.split('\n')[0]).toBe(`::add-mask::${KEY.replace(/%/g, '%25')}`);
    expect(parseRunnerCommands(run.stdout).filter((c) => c.name === 'error')).toEqual([]);
    expect(run.state['main-finished']).toBe('true');
    expectNoLeak(run, ['stdout', 'stderr', 'outputs', 'state', 'summary', 'log file']);

    const post = await runAction(runtime, POST, tdpInputs({ task: 'Package/7100' }), { state: run.state });
    expect(post.code).toBe(0);
    expect(visibleLines(post.stdout)).toEqual([]);
    expect(post.stderr).toBe('');
  });

  it('core')('failing tasks whose names and logs carry workflow commands: none reaches the runner, ≤ 10 error annotations, the failure last', async () => {
    const run = await runAction(runtime, MAIN, tdpInputs({ 'process-map': '::stop-commands::evil map', 'log-lines': '50' }));
    expect(run.code).toBe(1);
    expect(run.stderr).toBe('');
    expect(run.outputs.status).toBe('failed');
    expect(Object.keys(run.outputs).sort()).toEqual([...ALL_OUTPUTS].sort());

    // Nothing from the server became a command: every command on stdout is one the action issues itself.
    expect(foreignCommands(run.stdout, [KEY])).toEqual([]);
    expect(parseRunnerCommands(run.stderr)).toEqual([]);
    const commands = parseRunnerCommands(run.stdout);
    const titled = commands.filter((c) => c.name === 'error' && c.properties.startsWith('title='));
    expect(titled.length).toBeGreaterThan(0);
    // The runner keeps 10 error annotations per step: 3 failed tasks × 5 error lines share 9, the rest are
    // plain lines, and the step's failure message is the 10th, so it is never the one dropped.
    expectAnnotationBudget(run, /^finance\/process-map\/.*evil map \(77\): run /);
    expect(run.stdout).toMatch(/^Error: .*ERROR: step/m);
    expect(commands.filter((c) => c.name === 'error' && c.properties === '')).toHaveLength(1);
    expect(commands.filter((c) => c.name === 'group')).toHaveLength(commands.filter((c) => c.name === 'endgroup').length);
    // Still readable: the words of the payloads are in the log and the summary.
    expect(run.stdout).toContain('set-output name=task');
    expect(run.summary).toContain('stop-commands');
    expect(run.summary).toContain('❌');

    expectNoLeak(run, ['stdout', 'stderr', 'outputs', 'state', 'summary', 'log file']);
  });

  it()('a bad input: one ::error line naming it, exit 1, no request sent, no stack trace', async () => {
    const before = sim.journal.entries().length;
    const run = await runAction(runtime, MAIN, tdpInputs({ task: 'Package/7100', 'poll-interval': 'often' }));
    expect(run.code).toBe(1);
    expect(sim.journal.entries().length).toBe(before);
    expect(visibleLines(run.stdout)).toEqual([expect.stringMatching(/^::error::Input 'poll-interval': 'often' is not a duration.*Example: /)]);
    expect(run.stderr).toBe('');
    // A later step (if: always()) reading `status` sees the failure, not an empty value.
    expect(run.outputs).toEqual({ status: 'failed' });
    expect(run.state['main-finished']).toBe('true');
  });

  it('core')('an unexpected fault: one clear line, exit 1, never a stack trace in the visible log', async () => {
    // The runner's output file vanished: writing the outputs throws inside the engine.
    const run = await runAction(runtime, MAIN, tdpInputs({ task: 'Package/7100' }), { env: { GITHUB_OUTPUT: join(tmpdir(), 'no-such-dir', 'output') } });
    expect(run.code).toBe(1);
    const errors = visibleLines(run.stdout).filter((l) => l.startsWith('::error'));
    expect(errors).toEqual([expect.stringMatching(/^::error::orchestration-run: internal error: Missing file at path/)]);
    expect(visibleLines(run.stdout).join('\n')).not.toMatch(/\n\s+at /);
    expect(run.stderr).toBe('');
  });

  it('core')('SIGINT mid-run: says TimeXtender cannot cancel, writes outputs and summary, exits non-zero within 5 s', async () => {
    let signalledAt = 0;
    const task = endlessTask();
    const run = await runAction(runtime, MAIN, tdpInputs({ task }), {
      onLine: (line, child) => {
        if (signalledAt === 0 && /found run|triggered: run/.test(line)) {
          signalledAt = Date.now();
          child.kill('SIGINT');
        }
      },
    });
    expect(signalledAt).toBeGreaterThan(0);
    const exitAfterMs = Date.now() - signalledAt;
    expect(exitAfterMs).toBeLessThan(5000);
    expect(run.signal).toBeNull();
    expect(run.code).toBe(1);
    expect(run.stdout).toContain('SIGINT received');
    expect(run.stdout).toMatch(new RegExp(`^::warning::finance/${task}: timextender`, 'm'));
    expect(run.stdout).toMatch(/^::warning::finance\/Package\/\d+: timextender offers no way to cancel a run: run \d+ keeps going on the server$/m);
    expect(run.outputs.status).toBe('cancelled');
    expect(run.summary).toContain(`finance/${task}`);
    expect(visibleLines(run.stdout).filter((l) => l.startsWith('::error::'))).toHaveLength(1);
    // Finished with the target stopped: the post step would settle only an unconfirmed cancel or a trigger in flight.
    expect(run.state['main-finished']).toBe('stopped:0');
    expectNoLeak(run, ['stdout', 'stderr', 'outputs', 'state', 'summary', 'log file']);

    // The main step handled it: the post step stays quiet.
    const post = await runAction(runtime, POST, tdpInputs({ task }), { state: run.state });
    expect(post.code).toBe(0);
    expect(visibleLines(post.stdout)).toEqual([]);
  });

  it()('SIGINT while a status read hangs on the server: still a prompt non-zero exit', async () => {
    const task = endlessTask();
    let faultId: string | undefined;
    let signalledAt = 0;
    try {
      const run = await runAction(runtime, MAIN, tdpInputs({ task }), {
        onLine: (line, child) => {
          if (faultId === undefined && /: run \d+ is /.test(line)) {
            // From now on every read hangs for a minute; signal once the next poll is stuck.
            faultId = sim.faults.add({ kind: 'slow', delayMs: 60_000, method: 'GET', times: Infinity });
            setTimeout(() => {
              signalledAt = Date.now();
              child.kill('SIGINT');
            }, 1000);
          }
        },
      });
      expect(signalledAt).toBeGreaterThan(0);
      expect(Date.now() - signalledAt).toBeLessThan(5000);
      expect(run.code).toBe(1);
      expect(run.stdout).toContain('SIGINT received');
      expect(run.outputs.status).toBe('cancelled');
    } finally {
      if (faultId !== undefined) sim.faults.remove(faultId);
    }
  });

  it()('main killed with SIGKILL mid-run: the post step, from the saved state, says the run cannot be cancelled', async () => {
    let child: ChildProcess | undefined;
    const task = endlessTask();
    const run = await runAction(runtime, MAIN, tdpInputs({ task }), {
      onLine: (line, c) => {
        // The first status read comes after the run was saved in the state (the "found run" line comes before).
        if (!child && /: run \d+ is /.test(line)) {
          child = c;
          c.kill('SIGKILL');
        }
      },
    });
    expect(run.signal).toBe('SIGKILL');
    await waitForExit(child!);
    expect(run.state['main-finished']).toBeUndefined();
    const saved = JSON.parse(run.state[STATE_RUNS]!) as Array<{ runId: string; done: boolean }>;
    expect(saved).toEqual([expect.objectContaining({ done: false })]);

    const post = await runAction(runtime, POST, tdpInputs({ task }), { state: run.state });
    expect(post.code).toBe(0);
    expect(post.stderr).toBe('');
    expect(post.elapsedMs).toBeLessThan(10_000);
    const visible = visibleLines(post.stdout);
    expect(visible).toEqual([
      expect.stringMatching(/main step was stopped before it finished/),
      expect.stringMatching(new RegExp(`^::warning::finance/${task}: the main step ended before run ${saved[0]!.runId} did; timextender offers no way to cancel it`)),
    ]);
    expect(foreignCommands(post.stdout, [KEY])).toEqual([]);
    expectNoLeak(post, ['stdout', 'stderr', 'outputs', 'state', 'summary']);
  });

  it()('two failing targets with many error lines: ≤ 10 error annotations, the failure message last', async () => {
    const run = await runAction(runtime, MAIN, tdpInputs({ task: 'Package/7001\nPackage/7002', 'log-lines': '50', 'fail-fast': 'false' }));
    expect(run.code).toBe(1);
    expect(run.outputs.status).toBe('failed');
    // Each target has more error lines than its share: the log-line annotations run out, the failure does not.
    expect(run.stdout).toMatch(/^Error: .*ERROR: step/m);
    expectAnnotationBudget(run, /^2 of 2 targets did not succeed/);
    expect(foreignCommands(run.stdout, [KEY])).toEqual([]);
  });

  it()('a long log: result capped at 32,000 characters and still valid JSON; result-file holds the full JSON', async () => {
    const run = await runAction(runtime, MAIN, tdpInputs({ task: 'Package/7005\nPackage/7100', 'log-lines': '1000', 'fail-fast': 'false' }));
    expect(run.code).toBe(1);
    expect(Object.keys(run.outputs).sort()).toEqual([...ALL_OUTPUTS].sort());
    const result = run.outputs.result!;
    expect(result.length).toBeLessThanOrEqual(32_000);
    const capped = JSON.parse(result) as Array<Record<string, unknown>>;
    // The README's gate reads fromJSON(…outputs.result).*.target and the statuses: both survive the cap.
    expect(capped.map((o) => o.target)).toEqual(['finance/Package/7005', 'finance/Package/7100']);
    expect(capped.map((o) => o.status)).toEqual(['failed', 'succeeded']);
    expect(capped[0]).toEqual(expect.objectContaining({ truncated: true, runId: expect.stringMatching(/^\d+$/) }));

    const file = run.outputs['result-file']!;
    expect(file.startsWith(run.tempDir)).toBe(true);
    const text = readFileSync(file, 'utf8');
    expect(text.length).toBeGreaterThan(32_000);
    const full = JSON.parse(text) as Array<{ target: string; truncated?: boolean; failedTasks: Array<{ logExcerpt: string }> }>;
    expect(full.map((o) => o.target)).toEqual(['finance/Package/7005', 'finance/Package/7100']);
    expect(full.every((o) => o.truncated === undefined)).toBe(true);
    expect(full[0]!.failedTasks[0]!.logExcerpt).toContain('row batch 1 rejected');
    expect(full[0]!.failedTasks[0]!.logExcerpt).toContain('row batch 800 rejected');
    // The runner's limit for all of a job's outputs together is 1 MB: every output of this step stays far below.
    expect(Buffer.byteLength(run.outputFile)).toBeLessThan(64 * 1024);
    expectNoLeak(run, ['outputs', 'log file']);
  });

  it()('the post step never fails the job, even with inputs that are not valid', async () => {
    const state = { [STATE_RUNS]: JSON.stringify([{ index: 0, runId: '1', done: false }]) };
    const post = await runAction(runtime, POST, { platform: 'nonsense' }, { state });
    expect(post.code).toBe(0);
    expect(parseRunnerCommands(post.stdout).filter((c) => c.name === 'error')).toEqual([]);
  });
});

describe.each(RUNTIMES)('GitHub Action bundle on $name, Planasonix (a platform that can cancel)', (runtime) => {
  const it = scenario(RUNTIMES, runtime);
  let w: PlxWorld;
  beforeEach(async () => {
    w = await plxWorld({}, { seed: 5 });
    w.plx.setSyncScenario(CONN, { outcome: 'hang' });
  });
  afterEach(async () => {
    await w.close();
  });
  const plxInputs = () => ({ platform: 'planasonix', 'api-key': PLX_KEY, 'base-url': w.baseUrl, connection: CONN, 'poll-interval': '200ms', timeout: '2m' });
  const followed = (line: string) => /: run \S+ is /.test(line);
  /** Cancel requests that reached the server (answered or not): POST …/jobs/{id}/cancel, DELETE …/runs/{id}. */
  const cancelRequests = () => w.sim.journal.entries().filter((e) => (e.method === 'POST' && /\/jobs\/[^/]+\/cancel$/.test(e.path)) || e.method === 'DELETE');
  /** Sends SIGINT at the first line showing the step follows a run. */
  const sigintWhenFollowing = () => {
    const sent = { at: 0 };
    const onLine = (line: string, child: ChildProcess) => {
      if (sent.at === 0 && followed(line)) {
        sent.at = Date.now();
        child.kill('SIGINT');
      }
    };
    return { sent, onLine };
  };

  it()('mode wait without run-id follows a job someone else started: SIGINT does not cancel it, the log says it keeps going', async () => {
    const foreign = w.plx.startForeignJob(CONN, { outcome: 'hang' });
    const { sent, onLine } = sigintWhenFollowing();
    const run = await runAction(runtime, MAIN, { ...plxInputs(), mode: 'wait' }, { onLine });
    expect(sent.at).toBeGreaterThan(0);
    expect(Date.now() - sent.at).toBeLessThan(5000);
    expect(run.code).toBe(1);
    expect(run.stderr).toBe('');
    expect(run.outputs.status).toBe('cancelled');
    expect(run.outputs['run-id']).toBe(foreign);
    expect(w.plx.triggers()).toEqual([]);
    expect(cancelRequests()).toEqual([]);
    expect(run.stdout).toContain(`run ${foreign} was not started by this step: not cancelled, it keeps going on the server`);
    expect(w.plx.jobs(CONN).find((j) => j.id === foreign)).toEqual(expect.objectContaining({ id: foreign }));

    // Nothing for the post step either: the run is not this step's.
    const post = await runAction(runtime, POST, { ...plxInputs(), mode: 'wait' }, { state: run.state });
    expect(post.code).toBe(0);
    expect(visibleLines(post.stdout)).toEqual([]);
    expect(cancelRequests()).toEqual([]);
  });

  it()('mode wait without run-id: the timeout (cancel-on-timeout defaults to true) does not cancel a job someone else started', async () => {
    const foreign = w.plx.startForeignJob(CONN, { outcome: 'hang' });
    const run = await runAction(runtime, MAIN, { ...plxInputs(), mode: 'wait', timeout: '2s' });
    expect(run.code).toBe(1);
    expect(run.outputs.status).toBe('timed-out');
    expect(run.outputs['run-id']).toBe(foreign);
    expect(cancelRequests()).toEqual([]);
    expect(run.stdout).toContain(`run ${foreign} was not started by this step: not cancelled, it keeps going on the server`);
    const post = await runAction(runtime, POST, { ...plxInputs(), mode: 'wait', timeout: '2s' }, { state: run.state });
    expect(visibleLines(post.stdout)).toEqual([]);
    expect(cancelRequests()).toEqual([]);
  });

  it()('a cancel the server does not answer is saved as unconfirmed: the post step sends it again and reports the final state', async () => {
    // Every cancel request of the main step loses its connection before the server acts on it.
    const fault = w.sim.faults.add({ kind: 'reset', method: 'POST', path: /\/jobs\/[^/]+\/cancel$/, times: Infinity });
    const { sent, onLine } = sigintWhenFollowing();
    const run = await runAction(runtime, MAIN, plxInputs(), { onLine });
    w.sim.faults.remove(fault);
    expect(sent.at).toBeGreaterThan(0);
    expect(run.code).toBe(1);
    expect(run.outputs.status).toBe('cancelled');
    const [job] = w.plx.jobs(CONN);
    expect(cancelRequests().length).toBeGreaterThan(0);
    expect(w.plx.cancels()).toEqual([]);
    expect(JSON.parse(run.state[STATE_RUNS]!)).toEqual([expect.objectContaining({ runId: job!.id, done: false, cancel: 'unconfirmed' })]);

    const post = await runAction(runtime, POST, plxInputs(), { state: run.state });
    expect(post.code).toBe(0);
    expect(post.stderr).toBe('');
    expect(w.plx.cancels()).toEqual([expect.objectContaining({ kind: 'job', id: job!.id, status: 202 })]);
    expect(post.stdout).toMatch(new RegExp(`cancel of sync job ${job!.id} accepted.*sent again`));
    // The final state it read, whatever it is.
    expect(post.stdout).toMatch(new RegExp(`: run ${job!.id} (ended|is still) `));
    expect(foreignCommands(post.stdout, [PLX_KEY])).toEqual([]);
  });

  it()('SIGINT while the server holds the trigger: the trigger is saved, and the post step finds the job it started and cancels it', async () => {
    const fault = w.sim.faults.add({ kind: 'slow', delayMs: 2500, method: 'POST', path: /\/connections\/[^/]+\/sync$/ });
    const triggerSent = () => w.sim.journal.entries().some((e) => e.method === 'POST' && /\/sync$/.test(e.path));
    let signalledAt = 0;
    const run = await runAction(runtime, MAIN, plxInputs(), {
      onStart: (child) => {
        void until(triggerSent, 30_000, 'the trigger request').then(() =>
          setTimeout(() => {
            signalledAt = Date.now();
            child.kill('SIGINT');
          }, 200),
        );
      },
    });
    w.sim.faults.remove(fault);
    expect(signalledAt).toBeGreaterThan(0);
    expect(run.code).toBe(1);
    expect(run.outputs.status).toBe('cancelled');
    expect(run.stdout).toMatch(/the trigger had been sent/);
    const saved = JSON.parse(run.state[STATE_RUNS]!) as Array<Record<string, unknown>>;
    expect(saved).toEqual([expect.objectContaining({ index: 0, done: false, trigger: expect.objectContaining({ sentAt: expect.any(String) }) })]);
    expect(saved[0]!.runId).toBeUndefined();

    // The server applies the held trigger after all: a job starts that nobody follows.
    await until(() => w.plx.jobs(CONN).length === 1, 15_000, 'the held trigger to start a job');
    const [job] = w.plx.jobs(CONN);
    expect(w.plx.cancels()).toEqual([]);

    const post = await runAction(runtime, POST, plxInputs(), { state: run.state });
    expect(post.code).toBe(0);
    expect(post.stderr).toBe('');
    expect(post.stdout).toMatch(new RegExp(`was in flight; found run ${job!.id}`));
    expect(w.plx.cancels()).toEqual([expect.objectContaining({ kind: 'job', id: job!.id, status: 202 })]);
    expect(post.stdout).toMatch(new RegExp(`cancel of sync job ${job!.id} accepted`));
    expect(w.plx.triggers()).toHaveLength(1);
  });

  it('core')('SIGINT mid-run: the job is cancelled on the server, and the step exits non-zero within 5 s', async () => {
    let signalledAt = 0;
    const run = await runAction(runtime, MAIN, plxInputs(), {
      onLine: (line, child) => {
        if (signalledAt === 0 && followed(line)) {
          signalledAt = Date.now();
          child.kill('SIGINT');
        }
      },
    });
    expect(signalledAt).toBeGreaterThan(0);
    expect(Date.now() - signalledAt).toBeLessThan(5000);
    expect(run.code).toBe(1);
    expect(run.stderr).toBe('');
    const [job] = w.plx.jobs(CONN);
    expect(w.plx.cancels()).toEqual([expect.objectContaining({ kind: 'job', id: job!.id, status: 202 })]);
    expect(run.stdout).toMatch(new RegExp(`cancel of sync job ${job!.id} accepted`));
    expect(run.outputs.status).toBe('cancelled');
    expect(run.state['main-finished']).toBe('stopped:0');
    expect(JSON.parse(run.state[STATE_RUNS]!)).toEqual([expect.objectContaining({ runId: job!.id, done: true })]);
    expect(foreignCommands(run.stdout, [PLX_KEY])).toEqual([]);

    // Handled by the main step: the post step sends nothing.
    const post = await runAction(runtime, POST, plxInputs(), { state: run.state });
    expect(post.code).toBe(0);
    expect(visibleLines(post.stdout)).toEqual([]);
    expect(w.plx.cancels()).toHaveLength(1);
  });

  it('core')('main killed with SIGKILL mid-run: the post step cancels the job it left running', async () => {
    let child: ChildProcess | undefined;
    const run = await runAction(runtime, MAIN, plxInputs(), {
      onLine: (line, c) => {
        if (!child && followed(line)) {
          child = c;
          c.kill('SIGKILL');
        }
      },
    });
    expect(run.signal).toBe('SIGKILL');
    expect(w.plx.cancels()).toEqual([]);
    const [job] = w.plx.jobs(CONN);
    expect(JSON.parse(run.state[STATE_RUNS]!)).toEqual([expect.objectContaining({ runId: job!.id, done: false })]);

    const post = await runAction(runtime, POST, plxInputs(), { state: run.state });
    expect(post.code).toBe(0);
    expect(post.stderr).toBe('');
    expect(w.plx.cancels()).toEqual([expect.objectContaining({ kind: 'job', id: job!.id, status: 202 })]);
    expect(post.stdout).toMatch(new RegExp(`cancel of sync job ${job!.id} accepted`));
    expect(post.stdout).toMatch(/cancel requested for 1 run\(s\)/);
    expect(foreignCommands(post.stdout, [PLX_KEY])).toEqual([]);
    // The key only in the add-mask command the runner swallows.
    for (const text of [post.stdout, post.stderr, run.stdout, run.stderr, run.outputFile, run.stateFile]) {
      expect(text.replace(/^::add-mask::.*$/gm, '')).not.toContain(PLX_KEY);
    }
  });
});

describe('the key in server logs', () => {
  let run: ActionRun;
  beforeAll(async () => {
    run = await runAction(RUNTIMES[0]!, MAIN, tdpInputs({ 'process-map': '::stop-commands::evil map' }));
  });

  test('is masked in the log, annotations, outputs, state and summary', () => {
    expect(run.code).toBe(1);
    expect(run.stdout).toContain('rejected X-API-Key ***');
    expectNoLeak(run, ['stdout', 'stderr', 'outputs', 'state', 'summary']);
  });

  test('the full logs are in the log file', () => {
    expect(leftBehind(run)['log file']).toContain('ERROR: step 6 failed');
  });

  test('never reaches the log file on the runner\'s disk', () => {
    expectNoLeak(run, ['log file']);
    expect(leftBehind(run)['log file']).toContain('rejected X-API-Key ***');
  });
});

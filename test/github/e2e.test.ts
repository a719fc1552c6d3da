/**
 * The GitHub Action as the runner runs it: the committed bundles (dist/main/index.js, dist/post/index.js)
 * started with `node` on Node 20 and Node 24, inputs in INPUT_* variables (dashes kept, upper-cased), the
 * runner's file commands (GITHUB_OUTPUT, GITHUB_STATE, GITHUB_STEP_SUMMARY), RUNNER_TEMP and the GITHUB_*
 * context, against the loopback simulator. Server text carries workflow-command payloads and the key in
 * several encodings; none may drive the runner or leak.
 *
 * dist/ missing (or, outside CI, older than the sources): the bundles are built first, in a temporary copy
 * of the project (scripts/check-dist.mjs --out), and those are tested; dist/ and lib/ are never rewritten
 * under other test files.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { STATE_RUNS } from '../../src/core/engine.js';
import { INPUTS } from '../../src/core/inputs.js';
import { DEMO_USER, seedDemoWorld } from '../../src/simulator/demo-world.js';
import { startSimulator, type Simulator } from '../../src/simulator/index.js';
import { CONN, PLX_KEY, plxWorld, type PlxWorld } from '../helpers/planasonix.js';
import { runtimes, type Runtime } from '../helpers/runtimes.js';
import { foreignCommands, parseRunnerCommands } from './runner-commands.js';

const ROOT = process.cwd();
const COMMITTED = join(ROOT, 'dist');
/** The bundles under test: dist/ itself, or a private fresh build when dist/ is missing or stale (see below). */
let MAIN = join(COMMITTED, 'main', 'index.js');
let POST = join(COMMITTED, 'post', 'index.js');

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

const SIM_RUN_ID = '4242';
const CONTEXT_ENV = {
  GITHUB_ACTIONS: 'true',
  GITHUB_SERVER_URL: 'https://github.com',
  GITHUB_REPOSITORY: 'acme/data-app',
  GITHUB_RUN_ID: SIM_RUN_ID,
  GITHUB_RUN_ATTEMPT: '3',
  GITHUB_SHA: '0123456789abcdef0123456789abcdef01234567',
  GITHUB_ACTOR: 'octocat',
  GITHUB_WORKFLOW: 'release',
};

let sim: Simulator;

/**
 * Uses the committed dist/ when it is there and (outside CI) not older than the sources. Otherwise builds the
 * bundles into a private directory and tests those: dist/ is never rewritten here, since other test files may
 * be running the committed bundle at the same time. In CI the committed bundle is what the runner runs, so it
 * is tested as it is (scripts/check-dist.mjs fails the build when it is stale).
 */
function ensureBundles(): void {
  const sources = ['src/core', 'src/providers', 'src/adapters/github'].map((d) => join(ROOT, d));
  const newest = Math.max(...sources.flatMap((dir) => listFiles(dir)).map((f) => statSync(f).mtimeMs));
  const missing = !existsSync(MAIN) || !existsSync(POST);
  const stale = !missing && !process.env.CI && newest > Math.min(statSync(MAIN).mtimeMs, statSync(POST).mtimeMs);
  if (!missing && !stale) return;
  const out = mkdtempSync(join(tmpdir(), 'gh-e2e-dist-'));
  const built = spawnSync(process.execPath, [join(ROOT, 'scripts', 'check-dist.mjs'), '--out', out], { cwd: ROOT, encoding: 'utf8' });
  if (built.status !== 0) throw new Error(`building the bundles failed:\n${built.stdout}\n${built.stderr}`);
  MAIN = join(out, 'main', 'index.js');
  POST = join(out, 'post', 'index.js');
}

function listFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? listFiles(join(dir, e.name)) : [join(dir, e.name)]));
}

beforeAll(async () => {
  ensureBundles();
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

interface ActionRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  outputs: Record<string, string>;
  state: Record<string, string>;
  outputFile: string;
  stateFile: string;
  summary: string;
  elapsedMs: number;
  tempDir: string;
}

interface RunOptions {
  /** STATE_* values for the post step. */
  state?: Record<string, string>;
  env?: Record<string, string>;
  /** Called for each stdout line while the process runs (to send signals). */
  onLine?: (line: string, child: ChildProcess) => void;
}

/** Parses the runner's file-command format: `name<<DELIMITER` heredocs and `name=value` lines; the last value wins. */
function parseFileCommands(text: string): Record<string, string> {
  const values: Record<string, string> = {};
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const heredoc = /^([^=<]+)<<(.+)$/.exec(line);
    if (heredoc) {
      const [, name, delimiter] = heredoc;
      const body: string[] = [];
      for (i++; i < lines.length && lines[i] !== delimiter; i++) body.push(lines[i]!);
      if (i >= lines.length) throw new Error(`unterminated heredoc for ${name}`);
      values[name!] = body.join('\n');
    } else if (line.includes('=')) {
      values[line.slice(0, line.indexOf('='))] = line.slice(line.indexOf('=') + 1);
    } else if (line.trim() !== '') {
      throw new Error(`bad file-command line: ${line}`);
    }
  }
  return values;
}

/** INPUT_* as the runner sets them: every input with a value or a default, name upper-cased, dashes kept. */
function inputEnv(inputs: Record<string, string>): Record<string, string> {
  const env: Record<string, string> = {};
  for (const def of INPUTS) {
    const value = inputs[def.name] ?? def.default;
    if (value !== undefined) env[`INPUT_${def.name.toUpperCase()}`] = value;
  }
  return env;
}

function runAction(runtime: Runtime, entry: string, inputs: Record<string, string>, options: RunOptions = {}): Promise<ActionRun> {
  const dir = mkdtempSync(join(tmpdir(), 'gh-e2e-'));
  const tempDir = join(dir, '_temp');
  mkdirSync(tempDir);
  const outputFile = join(dir, 'output');
  const stateFile = join(dir, 'state');
  const summaryFile = join(dir, 'summary');
  for (const file of [outputFile, stateFile, summaryFile]) writeFileSync(file, '');
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    ...CONTEXT_ENV,
    RUNNER_TEMP: tempDir,
    GITHUB_OUTPUT: outputFile,
    GITHUB_STATE: stateFile,
    GITHUB_STEP_SUMMARY: summaryFile,
    ...inputEnv(inputs),
    ...Object.fromEntries(Object.entries(options.state ?? {}).map(([k, v]) => [`STATE_${k}`, v])),
    ...options.env,
  };
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(runtime.bin, [entry], { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let partial = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
      partial += chunk;
      const lines = partial.split('\n');
      partial = lines.pop()!;
      for (const line of lines) options.onLine?.(line, child);
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const killer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(killer);
      resolve({
        code,
        signal,
        stdout,
        stderr,
        outputs: parseFileCommands(readFileSync(outputFile, 'utf8')),
        state: parseFileCommands(readFileSync(stateFile, 'utf8')),
        outputFile: readFileSync(outputFile, 'utf8'),
        stateFile: readFileSync(stateFile, 'utf8'),
        summary: readFileSync(summaryFile, 'utf8'),
        elapsedMs: Date.now() - started,
        tempDir,
      });
    });
  });
}

function tdpInputs(extra: Record<string, string>): Record<string, string> {
  return { platform: 'timextender', 'api-key': KEY, 'base-url': sim.url, workspace: WS, 'poll-interval': '200ms', timeout: '2m', ...extra };
}

/** Lines a reader sees in the log: not the runner's own commands that it hides (add-mask, debug). */
function visibleLines(stdout: string): string[] {
  return stdout.split('\n').filter((l) => l !== '' && !l.startsWith('::add-mask::') && !l.startsWith('::debug::'));
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

const ALL_OUTPUTS = ['status', 'run-id', 'raw-status', 'started-at', 'finished-at', 'duration-seconds', 'result', 'log-file'];

async function waitForExit(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  await new Promise((resolve) => child.once('exit', resolve));
}

// ---------------------------------------------------------------------------------------------------------

const RUNTIMES = runtimes();

describe.each(RUNTIMES)('GitHub Action bundle on $name', (runtime) => {
  test('a task that succeeds: exit 0, every output, summary, and a quiet post step', async () => {
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

  test('failing tasks whose names and logs carry workflow commands: none reaches the runner, ≤ 10 annotations', async () => {
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
    expect(titled.length).toBeLessThanOrEqual(10);
    // 3 failed tasks × 5 error lines: the ones past 10 are plain lines; the step's failure is one more ::error.
    expect(run.stdout).toMatch(/^Error: .*ERROR: step/m);
    expect(commands.filter((c) => c.name === 'error' && c.properties === '')).toHaveLength(1);
    expect(commands.filter((c) => c.name === 'group')).toHaveLength(commands.filter((c) => c.name === 'endgroup').length);
    // Still readable: the words of the payloads are in the log and the summary.
    expect(run.stdout).toContain('set-output name=task');
    expect(run.summary).toContain('stop-commands');
    expect(run.summary).toContain('❌');

    expectNoLeak(run, ['stdout', 'stderr', 'outputs', 'state', 'summary', 'log file']);
  });

  test('a bad input: one ::error line naming it, exit 1, no request sent, no stack trace', async () => {
    const before = sim.journal.entries().length;
    const run = await runAction(runtime, MAIN, tdpInputs({ task: 'Package/7100', 'poll-interval': 'often' }));
    expect(run.code).toBe(1);
    expect(sim.journal.entries().length).toBe(before);
    expect(visibleLines(run.stdout)).toEqual([expect.stringMatching(/^::error::Input 'poll-interval': 'often' is not a duration.*Example: /)]);
    expect(run.stderr).toBe('');
    expect(run.outputs).toEqual({});
  });

  test('an unexpected fault: one clear line, exit 1, never a stack trace in the visible log', async () => {
    // The runner's output file vanished: writing the outputs throws inside the engine.
    const run = await runAction(runtime, MAIN, tdpInputs({ task: 'Package/7100' }), { env: { GITHUB_OUTPUT: join(tmpdir(), 'no-such-dir', 'output') } });
    expect(run.code).toBe(1);
    const errors = visibleLines(run.stdout).filter((l) => l.startsWith('::error'));
    expect(errors).toEqual([expect.stringMatching(/^::error::orchestration-run: internal error: Missing file at path/)]);
    expect(visibleLines(run.stdout).join('\n')).not.toMatch(/\n\s+at /);
    expect(run.stderr).toBe('');
  });

  test('SIGINT mid-run: says TimeXtender cannot cancel, writes outputs and summary, exits non-zero within 5 s', async () => {
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
    expect(run.state['main-finished']).toBe('true');
    expectNoLeak(run, ['stdout', 'stderr', 'outputs', 'state', 'summary', 'log file']);

    // The main step handled it: the post step stays quiet.
    const post = await runAction(runtime, POST, tdpInputs({ task }), { state: run.state });
    expect(post.code).toBe(0);
    expect(visibleLines(post.stdout)).toEqual([]);
  });

  test('SIGINT while a status read hangs on the server: still a prompt non-zero exit', async () => {
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

  test('main killed with SIGKILL mid-run: the post step, from the saved state, says the run cannot be cancelled', async () => {
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

  test('the post step never fails the job, even with inputs that are not valid', async () => {
    const state = { [STATE_RUNS]: JSON.stringify([{ index: 0, runId: '1', done: false }]) };
    const post = await runAction(runtime, POST, { platform: 'nonsense' }, { state });
    expect(post.code).toBe(0);
    expect(parseRunnerCommands(post.stdout).filter((c) => c.name === 'error')).toEqual([]);
  });
});

describe.each(RUNTIMES)('GitHub Action bundle on $name, Planasonix (a platform that can cancel)', (runtime) => {
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

  test('SIGINT mid-run: the job is cancelled on the server, and the step exits non-zero within 5 s', async () => {
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
    expect(run.state['main-finished']).toBe('true');
    expect(foreignCommands(run.stdout, [PLX_KEY])).toEqual([]);

    // Handled by the main step: the post step sends nothing.
    const post = await runAction(runtime, POST, plxInputs(), { state: run.state });
    expect(post.code).toBe(0);
    expect(visibleLines(post.stdout)).toEqual([]);
    expect(w.plx.cancels()).toHaveLength(1);
  });

  test('main killed with SIGKILL mid-run: the post step cancels the job it left running', async () => {
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

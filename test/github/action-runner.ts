/**
 * Runs the GitHub Action's built bundles the way the runner does: `node dist/main/index.js` (or post) with the
 * inputs in INPUT_* variables (dashes kept, upper-cased), the runner's file commands (GITHUB_OUTPUT,
 * GITHUB_STATE, GITHUB_STEP_SUMMARY), RUNNER_TEMP and the GITHUB_* context, and signals sent as the runner
 * sends them on a cancel. Shared by the bundle tests (e2e*.test.ts).
 *
 * Which bundles: dist/ when it is there and, outside CI, either git shows neither the sources nor dist/ changed
 * since the commit (CI checks that a commit's dist/ is what its sources build to; file times after a checkout
 * say nothing) or dist/ is not older than the sources; otherwise a private build in a temporary directory
 * (scripts/check-dist.mjs --out), so dist/ and lib/ are never rewritten under other test files. ACTION_BUNDLE_DIR names another build to test instead (a folder holding main/index.js and
 * post/index.js), e.g. one made from an older revision to see a new test fail there.
 */
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ACTION_INPUTS } from '../../src/adapters/github/action-metadata.js';
import type { Runtime } from '../helpers/runtimes.js';

const ROOT = process.cwd();

export interface Bundles {
  main: string;
  post: string;
}

/** The bundles under test (see the file comment); builds them privately when dist/ is missing or stale. */
export function ensureBundles(): Bundles {
  const given = process.env.ACTION_BUNDLE_DIR;
  if (given) {
    const bundles = { main: join(given, 'main', 'index.js'), post: join(given, 'post', 'index.js') };
    if (!existsSync(bundles.main) || !existsSync(bundles.post)) throw new Error(`ACTION_BUNDLE_DIR=${given} holds no main/index.js and post/index.js`);
    return bundles;
  }
  const committed = { main: join(ROOT, 'dist', 'main', 'index.js'), post: join(ROOT, 'dist', 'post', 'index.js') };
  const sourceDirs = ['src/core', 'src/providers', 'src/adapters/github'];
  const missing = !existsSync(committed.main) || !existsSync(committed.post);
  const olderThanSources = () => {
    const newest = Math.max(...sourceDirs.map((d) => join(ROOT, d)).flatMap((dir) => listFiles(dir)).map((f) => statSync(f).mtimeMs));
    return newest > Math.min(statSync(committed.main).mtimeMs, statSync(committed.post).mtimeMs);
  };
  const stale = !missing && !process.env.CI && !unchangedSinceCommit([...sourceDirs, 'dist']) && olderThanSources();
  if (!missing && !stale) return committed;
  const out = mkdtempSync(join(tmpdir(), 'gh-e2e-dist-'));
  const built = spawnSync(process.execPath, [join(ROOT, 'scripts', 'check-dist.mjs'), '--out', out], { cwd: ROOT, encoding: 'utf8' });
  if (built.status !== 0) throw new Error(`building the bundles failed:\n${built.stdout}\n${built.stderr}`);
  return { main: join(out, 'main', 'index.js'), post: join(out, 'post', 'index.js') };
}

/** True when git shows no change (staged, unstaged or untracked) under `paths` since HEAD; false when it cannot tell. */
function unchangedSinceCommit(paths: string[]): boolean {
  try {
    const status = execFileSync('git', ['status', '--porcelain', '--untracked-files=all', '--', ...paths], { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    return status.trim() === '';
  } catch {
    return false;
  }
}

function listFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? listFiles(join(dir, e.name)) : [join(dir, e.name)]));
}

export const SIM_RUN_ID = '4242';

/** The runner's default context variables (GITHUB_JOB and GITHUB_ACTION are set for every step, post steps too). */
export const CONTEXT_ENV = {
  GITHUB_ACTIONS: 'true',
  GITHUB_SERVER_URL: 'https://github.com',
  GITHUB_REPOSITORY: 'acme/data-app',
  GITHUB_RUN_ID: SIM_RUN_ID,
  GITHUB_RUN_ATTEMPT: '3',
  GITHUB_SHA: '0123456789abcdef0123456789abcdef01234567',
  GITHUB_ACTOR: 'octocat',
  GITHUB_WORKFLOW: 'release',
  GITHUB_JOB: 'load',
  GITHUB_ACTION: 'gate',
};

export interface ActionRun {
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

export interface RunOptions {
  /** STATE_* values for the post step. */
  state?: Record<string, string>;
  env?: Record<string, string>;
  /** Called for each stdout line while the process runs (to send signals). */
  onLine?: (line: string, child: ChildProcess) => void;
  /** Called once the process started (to send signals on other events, e.g. a request reaching the server). */
  onStart?: (child: ChildProcess) => void;
}

/** Parses the runner's file-command format: `name<<DELIMITER` heredocs and `name=value` lines; the last value wins. */
export function parseFileCommands(text: string): Record<string, string> {
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
export function inputEnv(inputs: Record<string, string>): Record<string, string> {
  const env: Record<string, string> = {};
  for (const def of ACTION_INPUTS) {
    const value = inputs[def.name] ?? def.default;
    if (value !== undefined) env[`INPUT_${def.name.toUpperCase()}`] = value;
  }
  return env;
}

export function runAction(runtime: Runtime, entry: string, inputs: Record<string, string>, options: RunOptions = {}): Promise<ActionRun> {
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
    options.onStart?.(child);
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

/** Lines a reader sees in the log: not the runner's own commands that it hides (add-mask, debug). */
export function visibleLines(stdout: string): string[] {
  return stdout.split('\n').filter((l) => l !== '' && !l.startsWith('::add-mask::') && !l.startsWith('::debug::'));
}

export async function waitForExit(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  await new Promise((resolve) => child.once('exit', resolve));
}

/** Every output the main step writes when it gets to report (action.yml lists the same). */
export const ALL_OUTPUTS = ['status', 'run-id', 'raw-status', 'started-at', 'finished-at', 'duration-seconds', 'result', 'result-file', 'log-file'];

/** Resolves once `check` holds (polled every 20 ms), or rejects after `ms`. */
export async function until(check: () => boolean, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

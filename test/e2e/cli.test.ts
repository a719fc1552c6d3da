/**
 * The CLI as a user runs it: a subprocess (the compiled lib/, built by `npm test` before jest) against the
 * simulator over loopback. Exit codes: 0 succeeded, 1 failed, 2 bad input, 3 timed out.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { helpText, KEY_ON_COMMAND_LINE, VERSION } from '../../src/adapters/cli/main.js';
import type { Simulator } from '../../src/simulator/index.js';
import { KEY, tdpWorld, triggerPosts, WS } from '../helpers/tdp.js';

const CLI = join(process.cwd(), 'lib', 'adapters', 'cli', 'index.js');

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function cli(args: string[], env: Record<string, string> = {}, onStart?: (pid: number) => void): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], {
      env: { PATH: process.env.PATH ?? '', ORCHESTRATION_RUN_API_KEY: KEY, ORCHESTRATION_RUN_LOG_DIR: tmpdir(), ...env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    if (onStart && child.pid) onStart(child.pid);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

let sim: Simulator;
beforeEach(async () => {
  sim = await tdpWorld();
});
afterEach(async () => {
  await sim.close();
});

const base = () => ['--platform', 'timextender', '--base-url', sim.url, '--workspace', WS, '--poll-interval', '200ms'];

test('a task that succeeds: exit 0, JSON results on stdout, progress on stderr', async () => {
  const run = await cli([...base(), '--task', 'Package/1005', '--json']);
  expect(run.code).toBe(0);
  const results = JSON.parse(run.stdout) as Array<Record<string, unknown>>;
  expect(results).toEqual([expect.objectContaining({ target: 'finance/Package/1005', status: 'succeeded', rawStatus: 'Finished' })]);
  expect(run.stderr).toMatch(/found run \d+/);
  expect(triggerPosts(sim)).toBe(1);
});

test('a failed process map: exit 1, the failing log lines and the summary table printed', async () => {
  sim.tdp.setScenario(WS, 'Package', 1010, { outcome: 'failure', durationMs: 200 });
  const dir = mkdtempSync(join(tmpdir(), 'cli-'));
  const summary = join(dir, 'summary.md');
  const junit = join(dir, 'results.xml');
  const run = await cli([...base(), '--process-map', 'Daily Finance Load', '--summary', summary, '--junit', junit]);
  expect(run.code).toBe(1);
  expect(run.stdout).toContain('ERROR: Connection timeout after 30s');
  expect(run.stdout).toMatch(/Target\s+Run id\s+Status/);
  expect(run.stdout).toMatch(/Load Sales Fact \(Package 1010\): Failed/);
  expect(run.stderr).toMatch(/^error: 1 of 1 target did not succeed: .*Daily Finance Load/m);
  expect(readFileSync(summary, 'utf8')).toContain('Load Sales Fact');
  expect(readFileSync(junit, 'utf8')).toContain('<testsuite');
  for (const out of [run.stdout, run.stderr]) expect(out).not.toContain(KEY);
});

test('a failed process map prints each failure once: no error line repeats what the log already shows', async () => {
  sim.tdp.setScenario(WS, 'Package', 1010, { outcome: 'failure', durationMs: 200 });
  const run = await cli([...base(), '--process-map', 'Daily Finance Load']);
  expect(run.code).toBe(1);
  const all = `${run.stdout}\n${run.stderr}`;
  const count = (text: string) => all.split(text).length - 1;
  // The task's error line: once, in its log excerpt (the CLI has no annotations to raise it again).
  expect(count('ERROR: Connection timeout after 30s')).toBe(1);
  // The run's failure message: once, on the summary's ✗ line; the last stderr line only names what failed.
  expect(count('ended Failed (failed); failed: ')).toBe(1);
  const last = run.stderr.trim().split('\n').at(-1)!;
  expect(last).toMatch(/^error: 1 of 1 targets? did not succeed: finance\/process-map\/Daily Finance Load \(\d+\) \(failed\)$/);
});

test('bad input: exit 2 with one line naming the flag, before any request', async () => {
  const run = await cli([...base(), '--task', 'Pkg/1005']);
  expect(run.code).toBe(2);
  expect(run.stderr.trim().split('\n')).toHaveLength(1);
  expect(run.stderr).toMatch(/--task/);
  expect(run.stderr).toMatch(/Valid types: .*Package/);
  expect(sim.journal.count()).toBe(0);
});

test('an unknown flag: exit 2 with a suggestion', async () => {
  const run = await cli([...base(), '--taks', 'Package/1005']);
  expect(run.code).toBe(2);
  expect(run.stderr).toMatch(/unknown flag --taks; did you mean --task\?/);
  expect(sim.journal.count()).toBe(0);
});

test('a run that outlives the timeout: exit 3', async () => {
  sim.tdp.setScenario(WS, 'Package', 1005, { outcome: 'hang' });
  const run = await cli([...base(), '--task', 'Package/1005', '--timeout', '2s']);
  expect(run.code).toBe(3);
  expect(run.stderr + run.stdout).toMatch(/timed out/);
});

test('SIGINT mid-run: says TimeXtender cannot cancel, exits non-zero promptly', async () => {
  sim.tdp.setScenario(WS, 'Package', 1005, { outcome: 'hang' });
  let pid = 0;
  const started = Date.now();
  const done = cli([...base(), '--task', 'Package/1005'], {}, (p) => (pid = p));
  // Interrupt once the run has been found.
  while (Date.now() - started < 10_000 && sim.journal.count({ method: 'POST' }) === 0) await new Promise((r) => setTimeout(r, 50));
  await new Promise((r) => setTimeout(r, 700));
  const interruptedAt = Date.now();
  process.kill(pid, 'SIGINT');
  const run = await done;
  expect(Date.now() - interruptedAt).toBeLessThan(5000);
  expect(run.code).toBe(1);
  expect(run.stderr + run.stdout).toMatch(/offers no way to cancel/);
  expect(run.stdout).toMatch(/cancelled/);
});

test('--help lists every input', async () => {
  const run = await cli(['--help']);
  expect(run.code).toBe(0);
  for (const flag of ['--platform', '--api-key', '--process-map', '--if-running', '--max-age']) expect(run.stdout).toContain(flag);
});

test('--version prints the version alone; -h is --help', async () => {
  const version = await cli(['--version']);
  expect(version).toEqual({ code: 0, stdout: `${VERSION}\n`, stderr: '' });
  const help = await cli(['-h']);
  expect(help.code).toBe(0);
  expect(help.stdout).toBe(`${helpText()}\n`);
});

test('the key as a flag: the run works, one warning about process lists, the key never printed', async () => {
  const run = await cli([...base(), '--task', 'Package/1005', '--api-key', KEY], { ORCHESTRATION_RUN_API_KEY: '' });
  expect(run.code).toBe(0);
  expect(run.stderr.split('\n').filter((l) => l.includes('process lists'))).toEqual([`warning: ${KEY_ON_COMMAND_LINE}`]);
  expect(run.stdout + run.stderr).not.toContain(KEY);
});

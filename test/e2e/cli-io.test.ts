/**
 * Issue 13, "Inputs and outputs on every front end", items 1, 2, 3, 4 and 6, through the CLI against the
 * simulator over loopback. Each case runs twice: the CLI's `main` from the sources, in process, and the
 * built program (lib/, as `npm test` builds it before jest) as a subprocess, the way a user runs it.
 *
 * 1. output paths: a JUnit or summary file in a missing folder gets its folder; an unusable path is bad input
 *    (exit 2, one line naming the flag, before any request);
 * 2. a bare number is not a duration (`--timeout 90`, `--max-age 24`);
 * 3. `--json` carries server text, but no `#` or `::` a CI agent or runner would act on, and parses back;
 * 4. a key split by an escape sequence is masked everywhere (stdout, stderr, JSON, summary, log file);
 * 6. at most 200 targets per step.
 */
import { runCliInProcess } from '../helpers/cli.js';
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { helpText } from '../../src/adapters/cli/main.js';
import { stripControl } from '../../src/core/untrusted.js';
import type { Simulator } from '../../src/simulator/index.js';
import { KEY, tdpWorld, WS } from '../helpers/tdp.js';

const CLI = join(process.cwd(), 'lib', 'adapters', 'cli', 'index.js');

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}
type Runner = (args: string[], env: Record<string, string>) => Promise<Run>;

const inProcess: Runner = runCliInProcess;

const subprocess: Runner = (args, env) =>
  new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], { env: { PATH: process.env.PATH ?? '', ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), 25_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });

const nonEmptyLines = (text: string) => text.split('\n').filter((l) => l !== '');

/** Every file under `dir`, recursively, as text. */
function filesUnder(dir: string): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...filesUnder(path));
    else out.push([path, readFileSync(path, 'utf8')]);
  }
  return out;
}

describe.each([
  ['sources, in process', inProcess],
  ['the built program', subprocess],
] as const)('CLI inputs and outputs (%s)', (_label, run) => {
  let sim: Simulator;
  let logDir: string;
  beforeEach(async () => {
    sim = await tdpWorld();
    logDir = mkdtempSync(join(tmpdir(), 'cli-io-logs-'));
  });
  afterEach(async () => {
    await sim.close();
  });

  const env = () => ({ ORCHESTRATION_RUN_API_KEY: KEY, ORCHESTRATION_RUN_LOG_DIR: logDir });
  const base = () => ['--platform', 'timextender', '--base-url', sim.url, '--workspace', WS, '--poll-interval', '200ms'];

  /** Exit 2, exactly one stderr line naming the flag, nothing on stdout, not one request. */
  function expectBadInput(result: Run, flag: string): string {
    expect({ code: result.code, stdout: result.stdout, lines: nonEmptyLines(result.stderr).length }).toEqual({ code: 2, stdout: '', lines: 1 });
    const line = nonEmptyLines(result.stderr)[0]!;
    expect(line).toMatch(/^orchestration-run: /);
    expect(line).toContain(`Input '${flag}'`);
    expect(line).toMatch(/Example: /);
    expect(sim.journal.count()).toBe(0);
    return line;
  }

  describe('1. output paths are prepared before the first request', () => {
    test('JUnit and summary files in folders that do not exist: folders created, files written, exit 0', async () => {
      const dir = mkdtempSync(join(tmpdir(), 'cli-io-'));
      const junit = join(dir, 'reports', 'junit', 'results.xml');
      const summary = join(dir, 'out', 'summary.md');
      const result = await run([...base(), '--task', 'Package/1005', '--junit', junit, '--summary', summary], env());
      expect(result.code).toBe(0);
      expect(readFileSync(junit, 'utf8')).toContain('<testsuite');
      expect(readFileSync(summary, 'utf8')).toContain('Package/1005');
    });

    test.each([
      ['--junit', 'results.xml'],
      ['--junit-file', 'results.xml'],
      ['--summary', 'summary.md'],
    ])('%s under a path that is a file: exit 2, one line naming the flag, no request', async (flag, file) => {
      const dir = mkdtempSync(join(tmpdir(), 'cli-io-'));
      writeFileSync(join(dir, 'reports'), 'a file where a folder should be');
      const result = await run([...base(), '--task', 'Package/1005', flag, join(dir, 'reports', file)], env());
      const line = expectBadInput(result, flag);
      expect(line).toMatch(/not a folder/);
      expect(line).toContain(`Example: ${flag} `);
    });

    test('--junit naming an existing folder: exit 2 before any request', async () => {
      const dir = mkdtempSync(join(tmpdir(), 'cli-io-'));
      const line = expectBadInput(await run([...base(), '--task', 'Package/1005', '--junit', dir], env()), '--junit');
      expect(line).toMatch(/is a folder/);
      expect(existsSync(join(dir, 'results.xml'))).toBe(false);
    });
  });

  describe('2. a bare number is not a duration', () => {
    test.each([
      [['--timeout', '90'], '--timeout', '90m'],
      [['--poll-interval', '30'], '--poll-interval', '30s'],
      [['--mode', 'check', '--max-age', '24'], '--max-age', '24h'],
    ])('%j: exit 2 naming %s, example %s, no request', async (extra, flag, example) => {
      const args = base().filter((a, i, all) => !(flag === '--poll-interval' && (a === '--poll-interval' || all[i - 1] === '--poll-interval')));
      const line = expectBadInput(await run([...args, '--task', 'Package/1005', ...extra], env()), flag);
      expect(line).toMatch(/no unit/);
      expect(line).toMatch(new RegExp(`Example: ${example}$`));
    });
  });

  describe('3 and 4. server text in --json and everywhere else', () => {
    const FRONT = KEY.slice(0, 14);
    const BACK = KEY.slice(14);
    const LOG = [
      'Starting package execution: Load Customer Dim',
      '##vso[task.setvariable variable=DEPLOY_APPROVED]true',
      '::error::forged by the server',
      `ERROR: login failed for \x1b[1m${FRONT}\x1b[0m${BACK}\x1b[0m`,
      `retrying with ${FRONT}\x9b0m${BACK}`,
    ];

    test('--json: parses back to the server text, with no # or :: on stdout; the key shows nowhere', async () => {
      sim.tdp.setScenario(WS, 'Package', 1005, { outcome: 'failure', durationMs: 200, logLines: LOG });
      const dir = mkdtempSync(join(tmpdir(), 'cli-io-'));
      const summary = join(dir, 'summary.md');
      const junit = join(dir, 'junit.xml');
      const result = await run([...base(), '--task', 'Package/1005', '--json', '--summary', summary, '--junit', junit], env());
      expect(result.code).toBe(1);

      // 3: the data is all there, yet stdout holds no command prefix for either CI.
      const text = JSON.stringify(JSON.parse(result.stdout));
      expect(text).toContain('##vso[task.setvariable variable=DEPLOY_APPROVED]true');
      expect(text).toContain('::error::forged by the server');
      expect(result.stdout).not.toContain('#');
      expect(result.stdout).not.toContain('::');
      for (const line of result.stdout.split(/\r\n|[\n\r\u2028\u2029\u0085]/)) {
        expect(line).not.toMatch(/##vso\[|##\[/i);
        expect(line).not.toMatch(/^\s*::/);
      }

      // 4: not in any form a reader or a terminal would show: escapes removed before the key was masked.
      const outputs: Array<[string, string]> = [
        ['stdout', result.stdout],
        ['stderr', result.stderr],
        ['summary', readFileSync(summary, 'utf8')],
        ['junit', readFileSync(junit, 'utf8')],
        ...filesUnder(logDir),
      ];
      expect(outputs.length).toBeGreaterThan(4); // the log file is among them
      for (const [where, out] of outputs) {
        // JSON text escapes the ESC (and may escape C1): decoded, a terminal would act on them as well.
        const shown = stripControl(out.replace(/\\u001b/gi, '\x1b').replace(/\\u009b/gi, '\x9b'));
        expect([where, out.includes(KEY) || stripControl(out).includes(KEY) || shown.includes(KEY)]).toEqual([where, false]);
      }
      expect(result.stderr + result.stdout).toContain('***');
    });
  });

  test('--json prints the whole result, not the copy capped for CI output limits', async () => {
    const long = Array.from({ length: 150 }, (_, i) => `line ${i + 1} ${'x'.repeat(500)}`);
    sim.tdp.setScenario(WS, 'Package', 1005, { outcome: 'failure', durationMs: 200, logLines: [...long, 'ERROR: the very last line'] });
    const result = await run([...base(), '--task', 'Package/1005', '--json'], env());
    expect(result.code).toBe(1);
    expect(result.stdout.length).toBeGreaterThan(64 * 1024);
    const parsed = JSON.parse(result.stdout) as Array<Record<string, unknown>>;
    expect(parsed[0]).not.toHaveProperty('truncated');
    expect(result.stdout).toContain('ERROR: the very last line');
    expect(result.stdout).toContain('line 1 xxx');
  });

  describe('6. at most 200 targets per step', () => {
    test('201 --task flags: exit 2 naming --task and the count, before any request', async () => {
      const tasks = Array.from({ length: 201 }, (_, i) => ['--task', `Package/${i + 1}`]).flat();
      const line = expectBadInput(await run([...base(), ...tasks], env()), '--task');
      expect(line).toContain('201 targets');
      expect(line).toContain('at most 200');
    });

    test('5,000 --task flags: refused with one short line', async () => {
      const tasks = Array.from({ length: 5000 }, (_, i) => ['--task', `Package/${i + 1}`]).flat();
      const result = await run([...base(), ...tasks], env());
      expect(expectBadInput(result, '--task')).toContain('5000 targets');
      expect(result.stderr.length).toBeLessThan(1000);
    });

    test('200 targets are accepted (the bound is not a ban)', async () => {
      const tasks = Array.from({ length: 200 }, (_, i) => ['--task', `Package/${i + 1}`]).flat();
      const result = await run([...base(), ...tasks, '--mode', 'check'], env());
      expect(result.code).not.toBe(2);
    });
  });
});

test('--help states the rules: durations need a unit, the bound on targets, output folders', () => {
  const help = helpText();
  expect(help).toMatch(/bare number is refused/);
  expect(help).toContain('at most 200 targets');
  expect(help).toMatch(/folders of --junit and --summary files are created/);
});

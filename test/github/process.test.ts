/**
 * The entry points' process wiring (src/adapters/github/process.ts), run in child processes from the
 * compiled lib/ (`npm test` compiles it first): signals, the hard exit backstop, faults reported as one line.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const PROCESS_JS = join(process.cwd(), 'lib', 'adapters', 'github', 'process.js');

interface Exit {
  code: number | null;
  stdout: string;
  stderr: string;
  /** Milliseconds from the first signal (or the start) to the exit. */
  afterMs: number;
}

/**
 * Runs `runEntry` with a core that prints what it is asked to, and `step` as the step's body (JavaScript
 * source of an async function of `signal`). `signals` are sent once the child printed "ready".
 */
function runEntryChild(options: { step: string; faultExitCode?: number; signals?: NodeJS.Signals[]; signalGapMs?: number }): Promise<Exit> {
  const script = `
    const { runEntry } = await import(${JSON.stringify(pathToFileURL(PROCESS_JS).href)});
    const out = (s) => process.stdout.write(s + '\\n');
    const core = {
      info: (m) => out(m), warning: (m) => out('::warning::' + m), error: (m) => out('::error::' + m),
      debug: (m) => out('::debug::' + m), setFailed: (m) => { process.exitCode = 1; out('::error::' + m); },
      startGroup() {}, endGroup() {}, setOutput() {}, setSecret() {}, saveState() {}, getState: () => '', getInput: () => '',
    };
    runEntry(core, { label: 'test-step', signalExitCode: 1, faultExitCode: ${options.faultExitCode ?? 1} }, ${options.step});
  `;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], { env: process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let start = Date.now();
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
      if (chunk.includes('ready') && options.signals) {
        start = Date.now();
        options.signals.forEach((signal, i) => setTimeout(() => child.kill(signal), i * (options.signalGapMs ?? 200)));
      }
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr, afterMs: Date.now() - start }));
  });
}

/** A step that ignores cancellation and never ends, holding the event loop open. */
const STUCK = `async () => { console.log('ready'); setInterval(() => {}, 1000); await new Promise(() => {}); }`;

beforeAll(() => {
  if (!existsSync(PROCESS_JS)) throw new Error(`${PROCESS_JS} is missing: run \`npm run build:lib\` (npm test does it first)`);
});

test('a step that ignores the signal is ended by the hard exit, non-zero, within 5 s', async () => {
  const exit = await runEntryChild({ step: STUCK, signals: ['SIGINT'] });
  expect(exit.code).toBe(1);
  expect(exit.afterMs).toBeLessThan(5000);
  expect(exit.afterMs).toBeGreaterThan(3000);
  expect(exit.stdout).toContain('test-step: SIGINT received');
  expect(exit.stdout).toMatch(/still busy [\d.]+s after SIGINT: exiting before the runner kills the step/);
});

test('a second signal exits at once', async () => {
  const exit = await runEntryChild({ step: STUCK, signals: ['SIGINT', 'SIGTERM'], signalGapMs: 100 });
  expect(exit.code).toBe(1);
  expect(exit.afterMs).toBeLessThan(2000);
  expect(exit.stdout).toContain('SIGTERM received again: exiting now');
});

test('the step sees its signal abort and its exit code is kept', async () => {
  const step = `async (signal) => { console.log('ready'); const keepAlive = setInterval(() => {}, 1000); await new Promise((r) => signal.addEventListener('abort', r)); clearInterval(keepAlive); console.log('aborted: ' + signal.reason.message); return 1; }`;
  const exit = await runEntryChild({ step, signals: ['SIGTERM'] });
  expect(exit.code).toBe(1);
  expect(exit.stdout).toContain('aborted: SIGTERM received');
  expect(exit.afterMs).toBeLessThan(2000);
});

test('a step that rejects: one ::error line, exit 1, the stack only in a debug line', async () => {
  const exit = await runEntryChild({ step: `async () => { throw new Error('boom\\n  at nowhere'); }` });
  expect(exit.code).toBe(1);
  const visible = exit.stdout.split('\n').filter((l) => l && !l.startsWith('::debug::'));
  expect(visible).toEqual(['::error::test-step: internal error: boom at nowhere']);
  expect(exit.stderr).toBe('');
});

test('an uncaught exception thrown later: one ::error line, exit 1', async () => {
  const exit = await runEntryChild({ step: `async () => { setTimeout(() => { throw new TypeError('late'); }, 10); return new Promise(() => {}); }` });
  expect(exit.code).toBe(1);
  expect(exit.stdout).toContain('::error::test-step: internal error: late');
  expect(exit.stderr).toBe('');
});

test('a step that must not fail the job (post) reports a fault as a warning and exits 0', async () => {
  const exit = await runEntryChild({ step: `async () => { throw new Error('post fault'); }`, faultExitCode: 0 });
  expect(exit.code).toBe(0);
  expect(exit.stdout).toContain('::warning::test-step: internal error: post fault');
  expect(exit.stdout).not.toContain('::error::');
});

test('a lingering handle after the step resolved does not keep the job waiting', async () => {
  const exit = await runEntryChild({ step: `async () => { setInterval(() => {}, 1000); return 0; }` });
  expect(exit.code).toBe(0);
  expect(exit.afterMs).toBeLessThan(4000);
});

test('the key from INPUT_API-KEY is masked in the fault line', async () => {
  process.env['INPUT_API-KEY'] = 'txk_SecretInFaultLine0123456789abcd';
  try {
    const exit = await runEntryChild({ step: `async () => { throw new Error('bad key txk_SecretInFaultLine0123456789abcd'); }` });
    expect(exit.stdout).toContain('internal error: bad key ***');
    expect(exit.stdout).not.toContain('txk_SecretInFaultLine');
  } finally {
    delete process.env['INPUT_API-KEY'];
  }
});

describe('entry modules: run themselves only when started as the process', () => {
  test('isProcessEntry compares the module with the script node was started with, through links', async () => {
    const { isProcessEntry } = await import('../../src/adapters/github/process.js');
    const { mkdtempSync, symlinkSync, writeFileSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const dir = mkdtempSync(join(tmpdir(), 'gh-entry-'));
    const file = join(dir, 'index.js');
    writeFileSync(file, '');
    symlinkSync(file, join(dir, 'link.js'));
    expect(isProcessEntry(pathToFileURL(file).href, file)).toBe(true);
    expect(isProcessEntry(pathToFileURL(file).href, join(dir, 'link.js'))).toBe(true);
    expect(isProcessEntry(pathToFileURL(file).href, join(dir, 'other.js'))).toBe(false);
    expect(isProcessEntry(pathToFileURL(file).href, undefined)).toBe(false);
    expect(isProcessEntry('data:text/javascript,0', file)).toBe(false);
  });

  test.each(['main', 'post'])('lib/adapters/github/%s.js imported: exports run(), runs nothing, prints nothing', async (entry) => {
    const url = pathToFileURL(join(process.cwd(), 'lib', 'adapters', 'github', `${entry}.js`)).href;
    const script = `const m = await import(${JSON.stringify(url)}); console.log(typeof m.run);`;
    const exit = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
      const child = spawn(process.execPath, ['--input-type=module', '-e', script], { env: { PATH: process.env.PATH ?? '' }, stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
      child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
      child.on('error', reject);
      child.on('close', (code) => resolve({ code, stdout, stderr }));
    });
    expect(exit).toEqual({ code: 0, stdout: 'function\n', stderr: '' });
  });
});

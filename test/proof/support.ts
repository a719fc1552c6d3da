/**
 * Shared pieces of the reliability and security proof (test/proof/*.test.ts): a host that records what the
 * engine did, bounded parallelism, the CLI as a subprocess, the real `process` (for an unhandled-rejection
 * counter jest cannot swallow) and the figures each proof file leaves for scripts/proof.mjs.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import vm from 'node:vm';
import type { Annotation, Host, OutputName } from '../../src/core/host.js';
import type { CiContext } from '../../src/core/settings.js';
import { maskSecrets, neutralize } from '../../src/core/untrusted.js';

export const ROOT = process.cwd();
export const CLI = join(ROOT, 'lib', 'adapters', 'cli', 'index.js');
export const GITHUB_BUNDLE = join(ROOT, 'dist', 'main', 'index.js');
export const AZURE_BUNDLE = join(ROOT, 'azure-task', 'OrchestrationRunV1', 'dist', 'index.js');

/**
 * The process object of the main realm. Inside a jest test `process` is a sandbox copy whose listeners never
 * fire; jest's own handler only fails the current test. This one counts rejections the engine leaves behind.
 */
export const realProcess = vm.runInThisContext('process') as NodeJS.Process;

/** Writes this proof file's figures for scripts/proof.mjs (only when PROOF_FIGURES_DIR is set). */
export function writeFigures(name: string, figures: Record<string, unknown>): void {
  const dir = process.env.PROOF_FIGURES_DIR;
  if (!dir) return;
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, `${name}.json`), `${JSON.stringify({ name, ...figures }, null, 2)}\n`);
}

/** Runs `fn` over the items, at most `limit` at a time; results in input order. */
export async function pool<T, R>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    for (;;) {
      const index = next++;
      if (index >= items.length) return;
      results[index] = await fn(items[index]!, index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

export interface HostCall {
  method: 'info' | 'warning' | 'error' | 'debug' | 'group' | 'setOutput' | 'setSecret' | 'writeSummary' | 'saveState';
  /** As a real host would print it: masked with the secrets registered so far, then neutralized. */
  text: string;
  title?: string;
}

let sharedTemp: string | undefined;
/** One temp directory for every ProofHost of the process (thousands of soak steps must not make thousands). */
export function proofTempDir(): string {
  sharedTemp ??= mkdtempSync(join(tmpdir(), 'orchestration-proof-'));
  return sharedTemp;
}

/**
 * A host that behaves like the real ones (masks registered secrets, neutralizes server text) and records
 * every call in order, so tests can check what was printed and that the key was registered first.
 */
export class ProofHost implements Host {
  readonly name = 'cli' as const;
  readonly calls: HostCall[] = [];
  readonly outputs = new Map<OutputName, string>();
  readonly state = new Map<string, string>();
  readonly secrets: string[] = [];
  readonly controller = new AbortController();
  readonly signal = this.controller.signal;
  readonly tempDir: string;
  summary: string | undefined;
  /** Replace to make writeSummary fail (crash-safety tests). */
  summaryWriter: (markdown: string) => Promise<void> = async (markdown) => {
    this.summary = maskSecrets(markdown, this.secrets);
  };

  constructor(
    readonly ciContext: CiContext = { system: 'cli', runUrl: 'https://ci.example/run/7', runId: '7', attempt: '1', commit: 'c0ffee', actor: 'proof' },
    tempDir?: string,
  ) {
    this.tempDir = tempDir ?? proofTempDir();
  }

  private record(method: HostCall['method'], text: string, title?: string): void {
    const call: HostCall = { method, text: neutralize(maskSecrets(text, this.secrets)) };
    if (title !== undefined) call.title = neutralize(maskSecrets(title, this.secrets));
    this.calls.push(call);
  }

  info(message: string): void {
    this.record('info', message);
  }
  warning(message: string, annotation?: Annotation): void {
    this.record('warning', message, annotation?.title);
  }
  error(message: string, annotation?: Annotation): void {
    this.record('error', message, annotation?.title);
  }
  debug(message: string): void {
    this.record('debug', message);
  }
  async group<T>(title: string, fn: () => Promise<T>): Promise<T> {
    this.record('group', title);
    return fn();
  }
  setOutput(name: OutputName, value: string): void {
    this.outputs.set(name, maskSecrets(value, this.secrets));
    this.calls.push({ method: 'setOutput', text: name });
  }
  setSecret(value: string): void {
    // Recorded without the value: the call order is what matters.
    this.calls.push({ method: 'setSecret', text: '' });
    if (value) this.secrets.push(value);
  }
  async writeSummary(markdown: string): Promise<void> {
    this.calls.push({ method: 'writeSummary', text: '' });
    await this.summaryWriter(markdown);
  }
  saveState(key: string, value: string): void {
    this.state.set(key, maskSecrets(value, this.secrets));
    this.calls.push({ method: 'saveState', text: key });
  }
  getState(key: string): string {
    return this.state.get(key) ?? '';
  }

  /** What a user would see printed (debug included: --verbose shows it). */
  printed(): string {
    return this.calls
      .filter((c) => ['info', 'warning', 'error', 'debug', 'group'].includes(c.method))
      .map((c) => (c.title ? `${c.title}: ${c.text}` : c.text))
      .join('\n');
  }

  warnings(): string[] {
    return this.calls.filter((c) => c.method === 'warning').map((c) => c.text);
  }
}

export interface ProcessRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  ms: number;
}

/** Runs `node <args>` with exactly `env` (plus PATH), collecting its output. */
export function runNode(args: string[], env: Record<string, string>, options: { cwd?: string; timeoutMs?: number } = {}): Promise<ProcessRun> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { env: { PATH: process.env.PATH ?? '', ...env }, cwd: options.cwd ?? ROOT });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8');
    child.stderr.setEncoding('utf8');
    child.stdout.on('data', (d: string) => (stdout += d));
    child.stderr.on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 30_000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, ms: Date.now() - started });
    });
  });
}

/** Lines of a process's output, without the empty last one. */
export function lines(text: string): string[] {
  const out = text.split(/\r\n|\n/);
  if (out[out.length - 1] === '') out.pop();
  return out;
}

/** A stack trace line as Node prints it (`    at fn (file:1:2)`). */
export const STACK_LINE = /^\s+at\s.+(:\d+:\d+\)?|\(native\)|<anonymous>\)?)$/m;

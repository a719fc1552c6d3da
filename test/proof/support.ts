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
import type { CiContext } from '../../src/core/settings.js';
import { RecordingHost } from '../helpers/recording-host.js';

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

export type { HostCall } from '../helpers/recording-host.js';

let sharedTemp: string | undefined;
/** One temp directory for every ProofHost of the process (thousands of soak steps must not make thousands). */
export function proofTempDir(): string {
  sharedTemp ??= mkdtempSync(join(tmpdir(), 'orchestration-proof-'));
  return sharedTemp;
}

/**
 * The tests' recording host (test/helpers/recording-host.ts) as the proofs use it: masking what it writes too,
 * like the real hosts, with the proofs' CI context and one shared temp folder.
 */
export class ProofHost extends RecordingHost {
  constructor(ciContext: CiContext = { system: 'cli', runUrl: 'https://ci.example/run/7', runId: '7', attempt: '1', commit: 'c0ffee', actor: 'proof' }, tempDir?: string) {
    super(ciContext, tempDir ?? proofTempDir(), { maskWrites: true });
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

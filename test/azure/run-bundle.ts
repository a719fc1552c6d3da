/**
 * Runs the BUILT Azure task bundle the way the agent does: a child process with the agent's environment
 * (INPUT_*, ENDPOINT_*, AGENT_TEMPDIRECTORY, SYSTEM_* and BUILD_* variables), stdout read like the agent reads
 * it (agent-log.ts), signals sent as the agent sends them on a cancel.
 *
 * The bundle is azure-task/OrchestrationRunV1/dist/index.js, made from lib/ (built by `npm test`) with
 * scripts/bundle-azure.mjs when it is older than lib/. `npm test` brings it up to date before jest starts, so
 * the test files that run it in parallel find it current and never build it at the same time. AZURE_TASK_BUNDLE names another built bundle instead
 * (a private build), and then nothing is rebuilt.
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import type { Runtime } from '../helpers/runtimes.js';
import { commandsNamed, parseAgentLog, secretForms, withoutSetSecret, type AgentLog } from './agent-log.js';

const root = process.cwd();
export const BUNDLE = process.env.AZURE_TASK_BUNDLE || join(root, 'azure-task', 'OrchestrationRunV1', 'dist', 'index.js');
/** The project the bundle was built in (its scripts package it). */
export const BUILD_ROOT = process.env.AZURE_TASK_BUNDLE ? resolve(dirname(BUNDLE), '..', '..', '..') : root;
export const ENDPOINT = '5b1c3a70-6a0e-4d2c-9a41-0d9e2f6c7a11';

export const PIPELINE_VARIABLES = {
  SYSTEM_COLLECTIONURI: 'https://dev.azure.com/acme/',
  SYSTEM_TEAMPROJECT: 'Data Platform',
  BUILD_BUILDID: '4711',
  SYSTEM_JOBATTEMPT: '1',
  BUILD_SOURCEVERSION: '0123456789abcdef0123456789abcdef01234567',
  BUILD_REQUESTEDFOR: 'Jane Doe',
  BUILD_DEFINITIONNAME: 'warehouse-release',
  SYSTEM_DEBUG: 'false',
};

/** Builds the bundle from lib/ when it is stale (not for a bundle named by AZURE_TASK_BUNDLE). */
export function ensureBundle(): void {
  if (!process.env.AZURE_TASK_BUNDLE) {
    execFileSync(process.execPath, [join(root, 'scripts', 'bundle-azure.mjs'), '--if-stale'], { cwd: root, stdio: 'pipe' });
  }
  if (!existsSync(BUNDLE)) throw new Error(`the Azure task bundle is missing: ${BUNDLE}`);
}

/** Temp folders made by a test file; `removeTempDirs` in its afterAll. */
const tempDirs: string[] = [];
export function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  tempDirs.push(dir);
  return dir;
}
export function removeTempDirs(): void {
  for (const dir of tempDirs.splice(0)) rmSync(dir, { recursive: true, force: true });
}

export interface TaskRun {
  code: number | null;
  stdout: string;
  stderr: string;
  log: AgentLog;
  agentTemp: string;
  /** Milliseconds from the first signal (when one was sent) to the exit. */
  exitAfterSignalMs?: number;
}

export interface RunOptions {
  inputs: Record<string, string>;
  env?: Record<string, string>;
  endpoint?: { url: string; token: string };
  /** Node options before the bundle's path (e.g. `--import` of a preload). */
  nodeArgs?: string[];
  /** Called for every stdout line; may send signals. */
  onLine?: (line: string, signal: (name: NodeJS.Signals) => void) => void;
}

/** Starts the bundle the way the agent does and collects what it prints. */
export function runBundle(runtime: Runtime, options: RunOptions): Promise<TaskRun> {
  const agentTemp = tempDir('azure-agent-');
  const env: Record<string, string> = { PATH: process.env.PATH ?? '', AGENT_TEMPDIRECTORY: agentTemp, ...PIPELINE_VARIABLES };
  for (const [name, value] of Object.entries(options.inputs)) env[`INPUT_${name.toUpperCase()}`] = value;
  if (options.endpoint) {
    env[`ENDPOINT_URL_${ENDPOINT}`] = options.endpoint.url;
    env[`ENDPOINT_AUTH_${ENDPOINT}`] = JSON.stringify({ parameters: { apitoken: options.endpoint.token }, scheme: 'Token' });
    env[`ENDPOINT_AUTH_PARAMETER_${ENDPOINT}_APITOKEN`] = options.endpoint.token;
    env[`ENDPOINT_AUTH_SCHEME_${ENDPOINT}`] = 'Token';
  }
  Object.assign(env, options.env);
  return new Promise((resolve, reject) => {
    const child = spawn(runtime.bin, [...(options.nodeArgs ?? []), BUNDLE], { env, cwd: agentTemp });
    let stdout = '';
    let stderr = '';
    let pending = '';
    let signalledAt: number | undefined;
    const signal = (name: NodeJS.Signals) => {
      signalledAt ??= Date.now();
      child.kill(name);
    };
    child.stdout.setEncoding('utf8');
    child.stderr.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      stdout += chunk;
      pending += chunk;
      const lines = pending.split('\n');
      pending = lines.pop()!;
      for (const line of lines) options.onLine?.(line, signal);
    });
    child.stderr.on('data', (chunk: string) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code) => {
      const run: TaskRun = { code, stdout, stderr, log: parseAgentLog(stdout), agentTemp };
      if (signalledAt !== undefined) run.exitAfterSignalMs = Date.now() - signalledAt;
      resolve(run);
    });
  });
}

export function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}

/** The results the task reported with task.complete (the agent takes the task's result from there). */
export function results(run: TaskRun): string[] {
  return commandsNamed(run.log, 'task.complete').map((c) => c.properties.result!);
}

/** The one summary the task attached, read from its file under the agent's temp directory. */
export function summaryOf(run: TaskRun): string {
  const uploads = commandsNamed(run.log, 'task.uploadsummary');
  if (uploads.length !== 1) throw new Error(`expected one task.uploadsummary, got ${uploads.length}`);
  if (!uploads[0]!.message.startsWith(run.agentTemp)) throw new Error(`the summary is not under the agent's temp directory: ${uploads[0]!.message}`);
  return readFileSync(uploads[0]!.message, 'utf8');
}

/**
 * The key (and the other secrets) in no form: not on stdout (but in task.setsecret), stderr, or any file
 * under the agent's temp directory (`skipFile` leaves out a file another test looks at on its own).
 */
export function expectNoSecret(run: TaskRun, secrets: string[], skipFile: (path: string) => boolean = () => false): void {
  const places: Array<[string, string]> = [
    ['stdout', withoutSetSecret(run.stdout)],
    ['stderr', run.stderr],
    ...filesUnder(run.agentTemp)
      .filter((f) => !skipFile(f))
      .map((f): [string, string] => [f, readFileSync(f, 'utf8')]),
  ];
  for (const secret of secrets) {
    for (const form of secretForms(secret)) {
      for (const [where, text] of places) {
        if (text.includes(form)) throw new Error(`a form of a secret (${form.length} chars) appears in ${where}`);
      }
    }
  }
}

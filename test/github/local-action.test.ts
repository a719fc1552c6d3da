/**
 * The Action run by `@github/local-action` (a dev dependency), the way an action author debugs it on a
 * workstation: `local-action run <action dir> <entry> <dotenv> --post <post entry>` imports the compiled
 * entry modules (lib/adapters/github/main.js and post.js, built by `npm test` first), replaces `@actions/core`
 * with its own recording version, and calls their exported `run()`. Inputs come from the dotenv file; the
 * data load runs against the simulator started here. No network: npm runs offline.
 *
 * The outputs table local-action prints at the end lists what the action set through its `@actions/core`
 * replacement, so it shows that the action went through `@actions/core` (not around it).
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Simulator } from '../../src/simulator/index.js';
import { FAILURE_LOG, KEY, tdpWorld, WS } from '../helpers/tdp.js';

const ROOT = process.cwd();
const LOCAL_ACTION = join(ROOT, 'node_modules', '@github', 'local-action', 'bin', 'local-action.js');
const MAIN = 'lib/adapters/github/main.js';
const POST = 'lib/adapters/github/post.js';

let sim: Simulator;

beforeAll(async () => {
  for (const entry of [MAIN, POST]) {
    if (!existsSync(join(ROOT, entry))) throw new Error(`${entry} is missing: run \`npm run build:lib\` (npm test does it first)`);
  }
  sim = await tdpWorld();
  sim.tdp.setScenario(WS, 'Package', 1005, { outcome: 'success', durationMs: 300 });
  sim.tdp.setScenario(WS, 'Package', 1010, { outcome: 'failure', durationMs: 300, logLines: FAILURE_LOG });
});

afterAll(async () => {
  await sim?.close();
});

interface LocalRun {
  code: number | null;
  stdout: string;
  summary: string;
}

/** Runs local-action on the main and post entries with these inputs, in a fresh folder. */
function localAction(inputs: Record<string, string>): Promise<LocalRun> {
  const dir = mkdtempSync(join(tmpdir(), 'gh-local-action-'));
  const summary = join(dir, 'summary.md');
  const dotenv = join(dir, '.env');
  const vars: Record<string, string> = {
    ...Object.fromEntries(Object.entries(inputs).map(([name, value]) => [`INPUT_${name.toUpperCase()}`, value])),
    RUNNER_TEMP: dir,
    GITHUB_STEP_SUMMARY: summary,
    GITHUB_REPOSITORY: 'acme/data-app',
    GITHUB_RUN_ID: '4242',
    GITHUB_RUN_ATTEMPT: '1',
    GITHUB_WORKFLOW: 'local',
  };
  writeFileSync(dotenv, Object.entries(vars).map(([k, v]) => `${k}=${v}`).join('\n') + '\n');
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: process.env.HOME ?? dir,
    // No registry: local-action starts its TypeScript runner with `npm exec`, which must find it installed.
    npm_config_offline: 'true',
    npm_config_update_notifier: 'false',
    // local-action finds @actions/core where npm lists it, which may be through a linked node_modules; the
    // action must import it by the same path for the replacement to apply (a no-op in a plain checkout).
    NODE_OPTIONS: '--preserve-symlinks',
  };
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [LOCAL_ACTION, 'run', ROOT, MAIN, dotenv, '--post', POST], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    const killer = setTimeout(() => child.kill('SIGKILL'), 100_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(killer);
      resolve({ code, stdout, summary: existsSync(summary) ? readFileSync(summary, 'utf8') : '' });
    });
  });
}

/** The rows of local-action's final "Action Outputs" table: output name → value. */
function outputsTable(stdout: string): Record<string, string> {
  const table = stdout.slice(stdout.lastIndexOf('Action Outputs'));
  const rows: Record<string, string> = {};
  for (const m of table.matchAll(/│\s*\d+\s*│\s*'([a-z-]+)'\s*│\s*(['"`])(.*?)\2\s*│/g)) rows[m[1]!] = m[3]!;
  return rows;
}

const inputs = (extra: Record<string, string>) => ({
  platform: 'timextender',
  'api-key': KEY,
  'base-url': sim.url,
  workspace: WS,
  'poll-interval': '100ms',
  timeout: '1m',
  ...extra,
});

test('runs the main and post steps against the simulator: outputs through @actions/core, the job summary', async () => {
  const before = sim.journal.count();
  const run = await localAction(inputs({ task: 'Package/1005' }));
  expect(run.stdout).toContain('Running Action');
  expect(run.code).toBe(0);
  expect(sim.journal.count()).toBeGreaterThan(before);
  const outputs = outputsTable(run.stdout);
  expect(outputs.status).toBe('succeeded');
  expect(outputs['run-id']).toMatch(/^\d+$/);
  expect(Object.keys(outputs)).toEqual(expect.arrayContaining(['status', 'run-id', 'result', 'result-file', 'log-file']));
  expect(run.summary).toContain('| finance/Package/1005 |');
  expect(run.summary).toContain('https://github.com/acme/data-app/actions/runs/4242/attempts/1');
  // The post step read the state the main step saved (through the same replacement) and stayed quiet.
  const post = run.stdout.slice(run.stdout.indexOf('Running Post Step'), run.stdout.indexOf('Action Outputs'));
  expect(post).not.toMatch(/cancel|settling/);
  // The key was registered with the replacement's masker, never printed.
  expect(run.stdout).not.toContain(KEY);
}, 120_000);

test('a failing task: status failed, the failure reported through setFailed', async () => {
  const run = await localAction(inputs({ task: 'Package/1010' }));
  expect(outputsTable(run.stdout).status).toBe('failed');
  expect(run.stdout).toMatch(/finance\/Package\/1010.*Failed/);
  expect(run.summary).toContain('❌');
}, 120_000);

/**
 * Where the built task meets the Azure Pipelines agent's limits and protocols (run as the agent runs it,
 * run-bundle.ts):
 * - output variables reach every later step of the job as environment variables: `result` is capped, the
 *   full JSON is a file (`resultFile`), and a later step can still start;
 * - the result goes over `task.complete` and the process then exits 0 (a non-zero exit makes the agent add
 *   its own "Exit code 1 returned from process" error);
 * - a cancel whose clean-up does not end within the 5-second backstop still leaves what is known: status,
 *   run id, result, summary;
 * - on a Node older than the task needs (an agent falling back to Node 16) the task fails with one line
 *   naming the requirement.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { runtimes } from '../helpers/runtimes.js';
import { CONN, PLX_KEY, plxWorld, type PlxWorld } from '../helpers/planasonix.js';
import { tdpWorld, KEY, WS } from '../helpers/tdp.js';
import type { Simulator } from '../../src/simulator/index.js';
import { commandsNamed, outputVariables } from './agent-log.js';
import { ensureBundle, expectNoSecret, removeTempDirs, results, runBundle, summaryOf } from './run-bundle.js';

const RUNTIMES = runtimes();
/** The task's cap on `result` (OUTPUT_VARIABLE_DESCRIPTIONS says so to the user). */
const RESULT_MAX = 32_000;
/** Windows: the largest environment variable, name=value included (32,767 with the terminating NUL). */
const WINDOWS_ENV_MAX = 32_766;

beforeAll(() => {
  ensureBundle();
}, 180_000);
afterAll(removeTempDirs);

/**
 * A process map whose member packages all fail, with long logs: its full result JSON is well over 128 KiB.
 * `long logs`: 12 members, 200 lines each (a process-map failure as users see it). `names and logs of #`:
 * 25 members whose names and log lines are mostly `#`, which the `result` variable escapes as `\u0023` (six
 * characters each), so a result the core capped at 32,000 characters grows far past it unless it is fitted
 * again with the escapes counted.
 */
const MAP_FAILURES = {
  'long logs': { members: 12, name: (id: number) => `Load partition ${id}`, line: (id: number, n: number) => `ERROR ${id}/${n}: row rejected by constraint FK_${n} on table sales_fact_partition_${id}`, logLines: 200 },
  'names and logs of #': { members: 25, name: (id: number) => `Load ${'#'.repeat(190)} ${id}`, line: (id: number, n: number) => `${'#'.repeat(300)} constraint FK_${n} ${id}`, logLines: 20 },
} as const;

function bigMapFailure(sim: Simulator, kind: keyof typeof MAP_FAILURES): Record<string, string> {
  const shape = MAP_FAILURES[kind];
  const members = Array.from({ length: shape.members }, (_, i) => ({ taskType: 'Package', taskId: 5100 + i, stage: 1 }));
  for (const m of members) {
    sim.tdp.addTask(WS, { taskType: m.taskType, taskId: m.taskId, taskName: shape.name(m.taskId) });
    sim.tdp.setScenario(WS, m.taskType, m.taskId, {
      outcome: 'failure',
      durationMs: 200,
      logLines: Array.from({ length: shape.logLines }, (_, n) => shape.line(m.taskId, n)),
    });
  }
  sim.tdp.addProcessMap(WS, { processMapId: 77, name: 'Big Nightly Load', failurePolicy: 'ignore-failure', members });
  return {
    platform: 'timextender',
    apiKey: KEY,
    baseUrl: sim.url,
    workspace: WS,
    processMap: 'Big Nightly Load',
    pollInterval: '200ms',
    timeout: '90s',
    logLines: String(shape.logLines),
  };
}

describe.each(RUNTIMES.map((r) => [r.name, r] as const))('OrchestrationRun@1 bundle on %s', (_, runtime) => {
  test.each(Object.keys(MAP_FAILURES) as Array<keyof typeof MAP_FAILURES>)('a big process-map failure (%s): result ≤ 32,000 characters and valid JSON, resultFile has it all, a later step still starts', async (kind) => {
    const sim = await tdpWorld();
    const shape = MAP_FAILURES[kind];
    try {
      const run = await runBundle(runtime, { inputs: bigMapFailure(sim, kind) });
      expect(results(run)).toEqual(['Failed']);
      expect(run.log.violations).toEqual([]);
      const vars = outputVariables(run.log);
      expect(vars.get('status')).toBe('failed');

      const result = vars.get('result')!;
      expect(result.length).toBeLessThanOrEqual(RESULT_MAX);
      const parsed = JSON.parse(result) as Array<Record<string, unknown>>;
      expect(parsed).toHaveLength(1);
      expect(parsed[0]).toEqual(expect.objectContaining({ status: 'failed', truncated: true }));

      // The full JSON is on disk, under the agent's temp directory, with every failed member and its log.
      const file = vars.get('resultFile')!;
      expect(file.startsWith(run.agentTemp)).toBe(true);
      expect(existsSync(file)).toBe(true);
      const fullText = readFileSync(file, 'utf8');
      expect(fullText.length).toBeGreaterThan(128 * 1024);
      const full = JSON.parse(fullText) as Array<{ status: string; failedTasks: Array<{ name: string; logExcerpt: string }> }>;
      expect(full[0]!.status).toBe('failed');
      expect(full[0]!.failedTasks).toHaveLength(shape.members);
      // Each member's last log line is in the file, uncut.
      const lastLine = new RegExp(`constraint FK_${shape.logLines - 1}\\b`);
      expect(full[0]!.failedTasks.every((t) => lastLine.test(t.logExcerpt))).toBe(true);

      // A later step of the job (reference name `load`) gets every output variable as an environment variable.
      const env: Record<string, string> = { PATH: process.env.PATH ?? '' };
      for (const [name, value] of vars) env[`LOAD_${name.toUpperCase()}`] = value;
      for (const [name, value] of Object.entries(env)) expect(`${name}=${value}`.length).toBeLessThan(WINDOWS_ENV_MAX);
      const seen = execFileSync(process.execPath, ['-e', 'process.stdout.write(String(process.env.LOAD_RESULT.length))'], { env, encoding: 'utf8' });
      expect(Number(seen)).toBe(result.length);
      expectNoSecret(run, [KEY]);
    } finally {
      await sim.close();
    }
  }, 120_000);

  describe('a cancel whose clean-up outlasts the 5-second backstop still writes what is known', () => {
    let world: PlxWorld;
    beforeEach(async () => {
      world = await plxWorld();
      world.plx.setSyncScenario(CONN, { outcome: 'hang' });
      // The cancel request hangs far longer than the backstop.
      world.sim.faults.add({ platform: 'planasonix', method: 'POST', path: /\/cancel$/, kind: 'slow', delayMs: 20_000, times: Infinity });
    });
    afterEach(async () => {
      await world.close();
    });

    test.each([
      ['SIGINT only', ['SIGINT'] as NodeJS.Signals[]],
      ['SIGINT, then SIGTERM while stopping', ['SIGINT', 'SIGTERM'] as NodeJS.Signals[]],
    ])('%s: status, run id, result, summary; task.complete Failed; exit 0 within the backstop', async (_, signals) => {
      let sent = false;
      const run = await runBundle(runtime, {
        inputs: { platform: 'planasonix', apiKey: PLX_KEY, baseUrl: world.baseUrl, connection: CONN, pollInterval: '200ms', timeout: '60s' },
        onLine: (line, signal) => {
          if (sent || !/\bjob_\w+/.test(line)) return;
          sent = true;
          signal(signals[0]!);
          if (signals[1]) setTimeout(() => signal(signals[1]!), 1500);
        },
      });
      expect(sent).toBe(true);
      expect(run.exitAfterSignalMs!).toBeLessThan(6_500);
      expect(run.code).toBe(0);
      expect(run.log.violations).toEqual([]);
      expect(run.stdout).toMatch(/exiting now/);
      // The cancel was sent and never answered.
      expect(world.sim.journal.count({ method: 'POST', path: /\/cancel$/ })).toBeGreaterThan(0);

      const jobId = /\b(job_\w+)/.exec(run.stdout)![1]!;
      expect(results(run)).toEqual(['Failed']);
      expect(commandsNamed(run.log, 'task.complete')[0]!.message).toMatch(/cancelled/);
      const vars = outputVariables(run.log);
      expect(vars.get('status')).toBe('cancelled');
      expect(vars.get('runId')).toBe(jobId);
      const result = JSON.parse(vars.get('result')!) as Array<Record<string, unknown>>;
      expect(result).toEqual([expect.objectContaining({ runId: jobId, status: 'cancelled' })]);
      expect(existsSync(vars.get('resultFile')!)).toBe(true);
      const summary = summaryOf(run);
      expect(summary.replace(/\\_/g, '_')).toContain(jobId); // markdown escapes the underscore
      expect(summary).toMatch(/cancel/i);
      expectNoSecret(run, [PLX_KEY]);
    }, 60_000);
  });

  test('on Node 16 (an agent falling back to an old handler): one line naming the requirement, nothing else loads', async () => {
    // What Node 16 lacks and the bundle's HTTP client needs at load time, and its version.
    const node16 =
      'data:text/javascript,' +
      encodeURIComponent(
        'Object.defineProperty(process,"versions",{value:{...process.versions,node:"16.20.2"}});' +
          'Object.defineProperty(process,"version",{value:"v16.20.2"});delete globalThis.ReadableStream;',
      );
    const run = await runBundle(runtime, {
      inputs: { platform: 'timextender', apiKey: KEY, baseUrl: 'http://127.0.0.1:9', workspace: WS, task: 'Package/1005' },
      nodeArgs: ['--import', node16],
    });
    expect(run.log.violations).toEqual([]);
    expect(results(run)).toEqual(['Failed']);
    const message = commandsNamed(run.log, 'task.complete')[0]!.message;
    expect(message).toMatch(/Node(\.js)? 20\.18 or later/);
    expect(message).toContain('16.20.2');
    expect(run.stdout).not.toMatch(/ReadableStream|internal error/);
    // One error line: the issue and the result say the same.
    const errors = commandsNamed(run.log, 'task.logissue').filter((c) => c.properties.type === 'error');
    expect(errors.map((c) => c.message)).toEqual([message]);
    expect(run.code).toBe(0);
  }, 60_000);
});

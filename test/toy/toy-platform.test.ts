/**
 * The house has room for a fourth platform: Toy Flow (test/toy/) is one folder (platform.ts, provider.ts),
 * one registry line (`registerPlatform(toy)`) and a simulator module (simulator.ts). Nothing in src/ names it,
 * yet it runs end to end through the engine and through the command line (in process: the toy is not in the
 * built bundle), with its inputs in the one input table.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../src/adapters/cli/main.js';
import { runStep } from '../../src/core/engine/index.js';
import { InputError } from '../../src/core/inputs/index.js';
import { INPUTS, PLATFORMS, loadProvider, parseSettings, registerPlatform } from '../../src/providers/registry.js';
import { startSimulator, type Simulator } from '../../src/simulator/index.js';
import { RecordingHost } from '../helpers/recording-host.js';
import { toy } from './platform.js';
import { ToySimModule } from './simulator.js';

const KEY = 'toy_k3y0f7oy';

registerPlatform(toy);

let sim: Simulator;
let world: ToySimModule;

beforeAll(async () => {
  sim = await startSimulator();
  world = new ToySimModule(sim.clock, KEY);
  world.flows.set('nightly', { outcome: 'done', durationMs: 150, log: ['loading', 'done'] });
  world.flows.set('hourly', { outcome: 'failed', durationMs: 150, log: ['loading orders', 'ERROR: toy failure: the source did not answer', 'stopped'] });
  sim.mount(world);
});

afterAll(async () => {
  await sim.close();
});

const FAST = {
  http: { requestTimeoutMs: 1500, retry: { maxAttempts: 3, baseDelayMs: 5, maxDelayMs: 40 } },
  startWindowMs: 4000,
  confirmWindowMs: 800,
  cancelBudgetMs: 1000,
};

function toyInputs(extra: Record<string, string> = {}): (name: string) => string | undefined {
  const values: Record<string, string> = {
    platform: 'toy',
    'base-url': sim.url,
    'api-key': KEY,
    'poll-interval': '100ms',
    timeout: '20s',
    ...extra,
  };
  return (name) => values[name];
}

describe('the registry', () => {
  test('takes the toy in: the platform pick list, the input table and input ownership follow', () => {
    expect(PLATFORMS).toEqual(['timextender', 'qarion', 'planasonix', 'toy']);
    expect(INPUTS.find((d) => d.name === 'platform')!.options).toContain('toy');
    expect(INPUTS.find((d) => d.name === 'platform')!.description).toBe('The data platform to orchestrate: timextender, qarion, planasonix or toy.');
    expect(INPUTS.find((d) => d.name === 'flow')).toMatchObject({ platforms: ['toy'], group: 'target', multiline: true });
    expect(sim.platforms).toContain('toy');

    // Another platform's step that sets `flow` is refused, naming the toy as its owner.
    let error: unknown;
    try {
      parseSettings((name) => ({ platform: 'qarion', 'api-key': 'k'.repeat(20), space: 's', pipeline: 'p', flow: 'nightly' })[name]);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(InputError);
    expect((error as InputError).message).toBe(
      "Input 'flow' applies to platform toy only (platform is qarion); remove it or change the platform. Example: platform: toy",
    );
  });

  test('a platform name is registered once', () => {
    expect(() => registerPlatform(toy)).toThrow("platform 'toy' is registered twice");
  });
});

describe('through the engine', () => {
  test('a flow that succeeds and one that fails: verdicts from evidence, the failing log lines, exit code 1', async () => {
    // fail-fast off: each flow's verdict is its own, whichever ends first.
    const { settings, warnings } = parseSettings(toyInputs({ flow: 'nightly\nhourly', 'fail-fast': 'false' }));
    expect(warnings).toEqual([]);
    expect(settings.targets).toEqual([
      { platform: 'toy', kind: 'flow', flow: 'nightly', label: 'flow/nightly' },
      { platform: 'toy', kind: 'flow', flow: 'hourly', label: 'flow/hourly' },
    ]);
    const host = new RecordingHost();
    const outcome = await runStep(settings, host, { loadProvider, ...FAST, polling: { batch: false } });

    expect(outcome.results.map((r) => [r.target, r.status])).toEqual([
      ['flow/nightly', 'succeeded'],
      ['flow/hourly', 'failed'],
    ]);
    const [nightly, hourly] = outcome.results;
    expect(nightly!.evidence).toMatchObject({ identity: { ok: true, detail: 'the run id the trigger answered' }, success: { ok: true }, end: { ok: true } });
    expect(nightly!.runId).toMatch(/^r\d+$/);
    expect(hourly!.message).toMatch(/^run r\d+ ended failed \(failed\); failed: hourly$/);
    expect(hourly!.failedTasks[0]!.logExcerpt).toEqual(['loading orders', 'ERROR: toy failure: the source did not answer', 'stopped']);
    expect(host.lines).toContainEqual({ level: 'error', text: 'ERROR: toy failure: the source did not answer', title: 'flow/hourly › hourly' });
    expect(outcome.exitCode).toBe(1);
    expect(host.outputs.get('status')).toBe('failed');
    // Two triggers, one per flow: the key went in the toy's own header.
    const triggers = sim.journal.entries({ platform: 'toy' }).filter((e) => e.method === 'POST');
    expect(triggers).toHaveLength(2);
    expect(triggers.every((e) => e.authHeaders.includes('authorization'))).toBe(true);
  });

  test('a 403 names what the toy key needs (the access hints come from the platform module)', async () => {
    sim.faults.add({ platform: 'toy', method: 'POST', path: /^\/toy\/flows\/nightly\/runs$/, kind: 'status', status: 403, times: 1 });
    const { settings } = parseSettings(toyInputs({ flow: 'nightly' }));
    const outcome = await runStep(settings, new RecordingHost(), { loadProvider, ...FAST });
    expect(outcome.results[0]!.message).toMatch(/403.*The key's user may read but not trigger: it needs the runner role on the flow$/);
  });
});

describe('through the command line', () => {
  const logDir = mkdtempSync(join(tmpdir(), 'orchestration-run-toy-'));

  async function cli(argv: string[]): Promise<{ code: number; stdout: string[]; stderr: string[] }> {
    const stdout: string[] = [];
    const stderr: string[] = [];
    const code = await main(argv, {
      stdout: (line) => stdout.push(line),
      stderr: (line) => stderr.push(line),
      env: { ORCHESTRATION_RUN_API_KEY: KEY, ORCHESTRATION_RUN_LOG_DIR: logDir },
      signal: new AbortController().signal,
    });
    return { code, stdout, stderr };
  }

  test('runs a flow: exit 0 and the JSON result', async () => {
    const { code, stdout } = await cli(['--platform', 'toy', '--base-url', sim.url, '--flow', 'nightly', '--poll-interval', '100ms', '--json']);
    expect(code).toBe(0);
    const result = JSON.parse(stdout.join('\n')) as Array<{ target: string; status: string; evidence: { end: { ok: boolean } } }>;
    expect(result.map((r) => [r.target, r.status, r.evidence.end.ok])).toEqual([['flow/nightly', 'succeeded', true]]);
  });

  test('lists --flow in its help', async () => {
    const { code, stdout } = await cli(['--help']);
    expect(code).toBe(0);
    expect(stdout.join('\n')).toMatch(/^ {2}--flow +Toy Flow: flows to run, one id per line\.$/m);
  });

  test('refuses a bad flow in one line naming --flow, before any request', async () => {
    const before = sim.journal.entries().length;
    const { code, stderr } = await cli(['--platform', 'toy', '--base-url', sim.url, '--flow', 'Bad Flow']);
    expect(code).toBe(2);
    expect(stderr).toEqual(["orchestration-run: Input '--flow': 'Bad Flow' must not contain whitespace. Example: nightly"]);
    expect(sim.journal.entries().length).toBe(before);
  });
});

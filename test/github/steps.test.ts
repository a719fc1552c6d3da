/**
 * The Action's main and post steps with a recording core (workflow commands), against the simulator over loopback
 * HTTP: validation before any request, pass/fail through setFailed, the state the post step reads, and a
 * post step that cancels only what a killed main step left running and never fails the job.
 */
import { STATE_RUNS } from '../../src/core/engine/index.js';
import type { RunContext } from '../../src/adapters/github/context.js';
import { runMainStep } from '../../src/adapters/github/main-step.js';
import { runPostStep, runsToSettle, STATE_MAIN_FINISHED, type StepDeps } from '../../src/adapters/github/steps.js';
import { loadProvider } from '../../src/providers/registry.js';
import type { ProviderLoader, RunHandle } from '../../src/core/provider.js';
import type { Simulator } from '../../src/simulator/index.js';
import { FAILURE_LOG, FAST, KEY, tdpWorld, WS } from '../helpers/tdp.js';
import { RecordingCore } from './recording-core.js';

let sim: Simulator;

beforeEach(async () => {
  sim = await tdpWorld();
});

afterEach(async () => {
  await sim.close();
});

function inputs(extra: Record<string, string> = {}): Record<string, string> {
  // What the runner passes: every input, defaults included (action.yml), as INPUT_* strings.
  return {
    platform: 'timextender',
    'api-key': KEY,
    'base-url': sim.url,
    workspace: WS,
    environment: 'Production',
    mode: 'run',
    timeout: '20s',
    'poll-interval': '100ms',
    'if-running': 'fail',
    'cancel-on-timeout': 'true',
    logs: 'on-failure',
    'log-lines': '200',
    'max-concurrency': '4',
    'fail-fast': 'true',
    ...extra,
  };
}

/** A push to acme/app: no pull request. */
const CONTEXT: RunContext = {
  serverUrl: 'https://github.com',
  apiUrl: 'http://127.0.0.1:9',
  repository: 'acme/app',
  runId: 99,
  runAttempt: 1,
  workflow: 'release',
  job: 'load',
  action: 'gate',
  eventName: 'push',
  payload: {},
};

function deps(core: RecordingCore, signal = new AbortController().signal, loader: ProviderLoader = loadProvider): StepDeps {
  return { core, env: {}, context: CONTEXT, signal, loadProvider: loader, engine: FAST };
}

const requests = () => sim.journal.entries().length;

describe('main step', () => {
  test('a bad input fails with one line naming it, before any request; the key is registered first', async () => {
    const core = new RecordingCore(inputs({ task: 'Package/1005', 'poll-interval': 'often' }));
    await expect(runMainStep(deps(core))).resolves.toBe(1);
    expect(core.failed).toMatch(/^Input 'poll-interval'.*Example: /);
    expect(core.failed).not.toContain('\n');
    expect(requests()).toBe(0);
    expect(core.calls[0]!.fn).toBe('setSecret');
    expect(core.secrets).toContain(KEY);
    expect(core.savedState.get(STATE_MAIN_FINISHED)).toBe('true');
    // A later step reading `status` sees the failure, not an empty value.
    expect([...core.outputs]).toEqual([['status', 'failed']]);
  });

  test.each([
    [{ 'pr-comment': 'maybe' }, /^Input 'pr-comment': 'maybe' is not a boolean; use true or false\. Example: true$/],
    [{ 'pr-comment': 'true', 'github-token': ' ' }, /^Input 'github-token' is empty, and pr-comment: true needs a token.*Example: \$\{\{ secrets\.GITHUB_TOKEN \}\}$/],
  ])('a bad GitHub-only input %j fails with one line naming it, before any request', async (extra, message) => {
    const core = new RecordingCore(inputs({ task: 'Package/1005', ...extra }));
    await expect(runMainStep(deps(core))).resolves.toBe(1);
    expect(core.failed).toMatch(message);
    expect(requests()).toBe(0);
    expect([...core.outputs]).toEqual([['status', 'failed']]);
  });

  test('the workflow token is registered as a secret only when a comment is asked for', async () => {
    const token = 'ghs_StepsTestToken0123456789';
    const quiet = new RecordingCore(inputs({ task: 'Package/1005', 'pr-comment': 'false', 'github-token': token }));
    await expect(runMainStep(deps(quiet))).resolves.toBe(0);
    expect(quiet.secrets).not.toContain(token);
    // A push, not a pull request: nothing to comment on, said once in the log, and the step passes.
    const asked = new RecordingCore(inputs({ task: 'Package/1005', 'pr-comment': 'true', 'github-token': token }));
    await expect(runMainStep(deps(asked))).resolves.toBe(0);
    expect(asked.secrets).toContain(token);
    expect(asked.text()).toContain('pr-comment: this run is not for a pull request (event push): no comment posted');
    expect(quiet.text()).not.toContain('pr-comment');
  });

  test('a key pasted with a Bearer prefix fails without quoting it; every part was masked first', async () => {
    const core = new RecordingCore(inputs({ 'api-key': `  Bearer ${KEY}\n` }));
    await expect(runMainStep(deps(core))).resolves.toBe(1);
    expect(core.failed).toMatch(/^Input 'api-key' contains/);
    expect(core.text()).not.toContain(KEY);
    expect(core.secrets).toEqual(expect.arrayContaining([KEY, `Bearer ${KEY}`]));
    expect(requests()).toBe(0);
  });

  test('a task that succeeds: outputs set, no failure, state marks the main step finished', async () => {
    const core = new RecordingCore(inputs({ task: 'Package/1005' }));
    await expect(runMainStep(deps(core))).resolves.toBe(0);
    expect(core.failed).toBeUndefined();
    expect(core.outputs.get('status')).toBe('succeeded');
    expect(core.outputs.get('run-id')).toMatch(/^\d+$/);
    expect(JSON.parse(core.outputs.get('result')!)).toEqual([expect.objectContaining({ target: 'finance/Package/1005', status: 'succeeded' })]);
    expect(core.savedState.get(STATE_MAIN_FINISHED)).toBe('true');
    expect(JSON.parse(core.savedState.get(STATE_RUNS)!)).toEqual([expect.objectContaining({ done: true })]);
  });

  test('a task that fails: setFailed with the failure line, annotations with titles, logs in a group', async () => {
    sim.tdp.setScenario(WS, 'Package', 1010, { outcome: 'failure', durationMs: 300, logLines: FAILURE_LOG });
    const core = new RecordingCore(inputs({ task: 'Package/1010' }));
    await expect(runMainStep(deps(core))).resolves.toBe(1);
    expect(core.failed).toMatch(/^finance\/Package\/1010.*Failed/);
    expect(core.outputs.get('status')).toBe('failed');
    expect(core.calls.filter((c) => c.fn === 'error' && c.title)).not.toHaveLength(0);
    expect(core.calls.some((c) => c.fn === 'startGroup')).toBe(true);
    expect(core.calls.filter((c) => c.fn === 'startGroup')).toHaveLength(core.calls.filter((c) => c.fn === 'endGroup').length);
  });

  test('multi-line inputs keep their lines: two tasks, two run ids', async () => {
    const core = new RecordingCore(inputs({ task: '\nPackage/1005\n  Package/42\n' }));
    await expect(runMainStep(deps(core))).resolves.toBe(0);
    expect(core.outputs.get('run-id')!.split(',')).toHaveLength(2);
  });

  test('cancellation mid-run: TimeXtender cannot cancel, so the step says so and fails', async () => {
    sim.tdp.setScenario(WS, 'Package', 1005, { outcome: 'hang' });
    const core = new RecordingCore(inputs({ task: 'Package/1005' }));
    const controller = new AbortController();
    const running = runMainStep(deps(core, controller.signal));
    // Until the run is found (up to 20 s: on a loaded machine it may take more than a few seconds), then cancel.
    for (let i = 0; i < 400 && !core.text().includes('found run'); i++) await new Promise((r) => setTimeout(r, 50));
    controller.abort();
    await expect(running).resolves.toBe(1);
    expect(core.outputs.get('status')).toBe('cancelled');
    expect(core.calls.filter((c) => c.fn === 'warning').map((c) => c.message).join('\n')).toMatch(/timextender offers no way to cancel a run/);
    expect(core.failed).toMatch(/cancelled/);
    // Finished, but with a stopped target: the post step may still have something of it to settle.
    expect(core.savedState.get(STATE_MAIN_FINISHED)).toBe('stopped:0');
  });

  test('a provider that cannot start: every target failed, one failure line, outputs still written', async () => {
    const core = new RecordingCore(inputs({ task: 'Package/1005' }));
    const broken: ProviderLoader = async () => {
      throw new Error('provider exploded');
    };
    await expect(runMainStep(deps(core, undefined, broken))).resolves.toBe(1);
    expect(core.failed).toMatch(/provider exploded/);
    expect(core.outputs.get('status')).toBe('failed');
    expect(requests()).toBe(0);
  });

  test('an unexpected fault rejects (the entry point turns it into one line and exit 1)', async () => {
    const core = new RecordingCore(inputs({ task: 'Package/1005' }));
    // As when the runner's GITHUB_OUTPUT file is gone: setOutput throws (as @actions/core does).
    core.setOutput = () => {
      throw new Error('Missing file at path: /gone/output');
    };
    await expect(runMainStep(deps(core))).rejects.toThrow('Missing file at path');
    // Not marked finished: the post step will look at what was saved.
    expect(core.savedState.has(STATE_MAIN_FINISHED)).toBe(false);
  });
});

describe('post step', () => {
  const unfinished = JSON.stringify([{ index: 0, runId: '4242', done: false }]);

  test('what it settles, by how the main step ended', () => {
    const trigger = { sentAt: '2026-01-01T00:00:00.000Z', baseline: '{}' };
    const state = JSON.stringify([
      { index: 0, runId: 'a', done: false },
      { index: 1, runId: 'b', done: false, cancel: 'unconfirmed' },
      { index: 2, done: false, trigger },
      { index: 3, done: false, trigger },
      { index: 4, runId: 'e', done: true },
    ]);
    const ids = (finished: string) => runsToSettle(finished, state).map((r) => r.index);
    // Killed: everything not done.
    expect(ids('')).toEqual([0, 1, 2, 3]);
    // Finished without a stopped target: nothing (a failed trigger started nothing to look for).
    expect(ids('true')).toEqual([]);
    // Targets 2 stopped: its trigger in flight, and every unconfirmed cancel; not target 0's run or target 3's trigger.
    expect(ids('stopped:2')).toEqual([1, 2]);
  });

  test('after a stopped main step with a cancel not confirmed: the cancel is sent again', async () => {
    const cancelled: string[] = [];
    const state = JSON.stringify([{ index: 0, runId: '4242', done: false, cancel: 'unconfirmed' }]);
    const core = new RecordingCore(inputs({ task: 'Package/1005' }), { [STATE_MAIN_FINISHED]: 'stopped:0', [STATE_RUNS]: state });
    const loader: ProviderLoader = async (platform) => {
      const real = await loadProvider(platform);
      return {
        ...real,
        create: (providerDeps) => {
          const provider = real.create(providerDeps);
          return Object.assign(Object.create(provider) as typeof provider, {
            handleFor: async (_target: unknown, runId: string): Promise<RunHandle> => ({ runId }),
            observe: async () => ({ state: 'cancelled', rawStatus: 'Cancelled' }),
            cancel: async (_target: unknown, handle: RunHandle) => {
              cancelled.push(handle.runId);
              return { requested: true, accepted: true, note: `cancel requested for run ${handle.runId}` };
            },
          });
        },
      };
    };
    await expect(runPostStep(deps(core, undefined, loader))).resolves.toBe(0);
    expect(cancelled).toEqual(['4242']);
    expect(core.text()).toMatch(/cancel requested for run 4242 \(the main step's cancel was not confirmed: sent again\)/);
    expect(core.text()).toMatch(/run 4242 ended/);
  });

  test('after a main step that finished: nothing but debug lines', async () => {
    const core = new RecordingCore(inputs({ task: 'Package/1005' }), { [STATE_MAIN_FINISHED]: 'true', [STATE_RUNS]: unfinished });
    await expect(runPostStep(deps(core))).resolves.toBe(0);
    expect(core.visible()).toEqual([]);
    expect(requests()).toBe(0);
  });

  test('nothing saved, or every saved run done: nothing to do', async () => {
    for (const state of [{} as Record<string, string>, { [STATE_RUNS]: JSON.stringify([{ index: 0, runId: '1', done: true }]) }, { [STATE_RUNS]: 'not json' }]) {
      const core = new RecordingCore(inputs({ task: 'Package/1005' }), state);
      await expect(runPostStep(deps(core))).resolves.toBe(0);
      expect(core.visible()).toEqual([]);
    }
  });

  test('main killed with a TimeXtender run in flight: says the platform cannot cancel it, passes', async () => {
    const core = new RecordingCore(inputs({ task: 'Package/1005' }), { [STATE_RUNS]: unfinished });
    await expect(runPostStep(deps(core))).resolves.toBe(0);
    expect(core.failed).toBeUndefined();
    const warnings = core.calls.filter((c) => c.fn === 'warning').map((c) => c.message);
    expect(warnings).toEqual([expect.stringMatching(/run 4242.*timextender offers no way to cancel it/)]);
    expect(core.secrets).toContain(KEY);
  });

  test('on a platform that can cancel, the saved run is cancelled', async () => {
    const cancelled: string[] = [];
    const cancellable: ProviderLoader = async (platform) => {
      const real = await loadProvider(platform);
      return {
        ...real,
        authHeaders: real.authHeaders,
        create: (providerDeps) => {
          const provider = real.create(providerDeps);
          return Object.assign(Object.create(provider) as typeof provider, {
            handleFor: async (_target: unknown, runId: string): Promise<RunHandle> => ({ runId }),
            cancel: async (_target: unknown, handle: RunHandle) => {
              cancelled.push(handle.runId);
              return { requested: true, accepted: true, note: `cancel requested for run ${handle.runId}` };
            },
          });
        },
      };
    };
    const core = new RecordingCore(inputs({ task: 'Package/1005' }), { [STATE_RUNS]: unfinished });
    await expect(runPostStep(deps(core, undefined, cancellable))).resolves.toBe(0);
    expect(cancelled).toEqual(['4242']);
    expect(core.text()).toContain('cancel requested for run 4242');
  });

  test('bad inputs never fail the post step', async () => {
    const core = new RecordingCore(inputs({ task: 'Package/1005', timeout: 'forever' }), { [STATE_RUNS]: unfinished });
    await expect(runPostStep(deps(core))).resolves.toBe(0);
    expect(core.failed).toBeUndefined();
    expect(core.calls.filter((c) => c.fn === 'error' || c.fn === 'warning')).toEqual([]);
    expect(core.text()).toMatch(/inputs are not valid/);
  });
});

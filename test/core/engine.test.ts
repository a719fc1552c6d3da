/**
 * The engine on its own: a scripted fake provider and a fake clock, no platform, no socket. Every wait of the
 * engine is one `waitFor` with named acceptors (run found, start window closed, target idle, run ended,
 * cancel settled), bounded by the step's deadline, on the injected clock: these tests take milliseconds of
 * real time while the step lives minutes of fake time, and they check when each read happens.
 */
import { runStep, type StepOutcome } from '../../src/core/engine/index.js';
import { ApiError } from '../../src/core/http/index.js';
import type { StatusTable } from '../../src/core/outcome.js';
import type { FindResult, InFlight, Observation, Provider, ProviderModule, RunHandle, TriggerResult } from '../../src/core/provider.js';
import type { Settings, TargetSpec } from '../../src/core/settings.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { RecordingHost } from '../helpers/recording-host.js';

const T0 = 1_700_000_000_000;


const TABLE: StatusTable = { succeeded: ['done'], failed: ['broken'], cancelled: ['stopped'], queued: ['waiting'], running: ['busy'] };
const running: Observation = { state: 'running', rawStatus: 'busy' };
const done = (at: string): Observation => ({ state: 'succeeded', rawStatus: 'done', finishedAt: at, end: `endedAt ${at}` });
const stopped: Observation = { state: 'cancelled', rawStatus: 'stopped', end: 'endedAt later' };

/** A provider whose answers are functions of the fake clock; it records when each method was called. */
interface Script {
  clock: FakeClock;
  trigger?: () => TriggerResult<RunHandle>;
  find?: () => FindResult<RunHandle>;
  observe?: () => Observation;
  inFlight?: () => InFlight<RunHandle> | undefined;
  /** The provider can cancel; called when it does. */
  onCancel?: () => void;
}

function fakePlatform(script: Script): { module: ProviderModule; calls: Array<[string, number]> } {
  const calls: Array<[string, number]> = [];
  const note = (name: string) => calls.push([name, script.clock.seconds]);
  const provider: Provider = {
    platform: 'fake',
    statusTable: TABLE,
    adoption: 'equivalent',
    async resolve(spec) {
      note('resolve');
      return { spec, label: spec.label };
    },
    async inFlight() {
      note('inFlight');
      return script.inFlight?.();
    },
    async baseline() {
      note('baseline');
      return [];
    },
    async trigger() {
      note('trigger');
      return script.trigger?.() ?? { kind: 'accepted' };
    },
    async find() {
      note('find');
      return script.find?.() ?? { kind: 'found', handle: { runId: 'r1' } };
    },
    async observe() {
      note('observe');
      return script.observe?.() ?? done('now');
    },
    async failures() {
      return [];
    },
    ...(script.onCancel && {
      async cancel(_target: unknown, handle: RunHandle) {
        note('cancel');
        script.onCancel!();
        return { requested: true, accepted: true, note: `cancel of ${handle.runId} accepted` };
      },
    }),
  };
  return { module: { platform: 'fake', authHeaders: () => ({}), create: () => provider }, calls };
}

function settings(overrides: Partial<Settings> = {}): Settings {
  const target = { platform: 'fake', kind: 'thing', label: 'thing/1' } as unknown as TargetSpec;
  return {
    platform: 'fake',
    apiKey: 'fake-key-0123456789',
    baseUrl: 'http://127.0.0.1:9',
    mode: 'run',
    targets: [target],
    timeoutMs: 10 * 60_000,
    pollIntervalMs: 30_000,
    ifRunning: 'fail',
    cancelOnTimeout: true,
    logs: 'on-failure',
    logLines: 200,
    maxConcurrency: 4,
    failFast: true,
    ...overrides,
  };
}

async function run(script: Script, overrides: Partial<Settings> = {}, startWindowMs?: number): Promise<{ outcome: StepOutcome; calls: Array<[string, number]>; host: RecordingHost }> {
  const { module, calls } = fakePlatform(script);
  const host = new RecordingHost();
  const outcome = await runStep(settings(overrides), host, {
    loadProvider: async () => module,
    clock: script.clock,
    cancelBudgetMs: 15_000,
    ...(startWindowMs !== undefined && { startWindowMs }),
  });
  return { outcome, calls, host };
}

const times = (calls: Array<[string, number]>, name: string) => calls.filter(([n]) => n === name).map(([, s]) => s);

describe('run found', () => {
  test('the run shows up on the third look: looks at 0, 0.5 and 1.25 s, then follows it to its end', async () => {
    const clock = new FakeClock(T0);
    const { outcome, calls } = await run({
      clock,
      find: () => (clock.seconds >= 1 ? { kind: 'found', handle: { runId: 'r1' } } : { kind: 'pending', reason: 'nothing yet' }),
      observe: () => (clock.seconds >= 20 ? done('t+20s') : running),
    });
    expect(times(calls, 'find')).toEqual([0, 0.5, 1.25]);
    expect(outcome.results[0]).toMatchObject({ status: 'succeeded', runId: 'r1', evidence: { identity: { ok: true }, success: { ok: true }, end: { ok: true } } });
    // Quick reads every 2 s for 4 s after the first, then a ramp: the end at 20 s is seen by the 32 s read at the latest.
    const reads = times(calls, 'observe');
    expect(reads.slice(0, 3)).toEqual([1.25, 3.25, 5.25]);
    expect(reads.at(-1)!).toBeGreaterThanOrEqual(20);
    expect(reads.at(-1)!).toBeLessThanOrEqual(32);
  });
});

describe('start window closed', () => {
  test('no run within the start window: the target fails at the window, one line, on fake time', async () => {
    const clock = new FakeClock(T0);
    const { outcome, calls } = await run({ clock, find: () => ({ kind: 'pending', reason: 'the task is not listed' }) }, {}, 60_000);
    expect(outcome.results[0]!.status).toBe('failed');
    expect(outcome.results[0]!.message).toBe('the trigger was accepted, but no new run appeared within 1m (the task is not listed)');
    const looks = times(calls, 'find');
    expect(looks.at(-1)!).toBeGreaterThanOrEqual(60);
    expect(looks.at(-1)!).toBeLessThan(90);
  });

  test('a trigger the platform shows as taken (queued) waits past the window, until the step times out', async () => {
    const clock = new FakeClock(T0);
    const { outcome, calls } = await run({ clock, find: () => ({ kind: 'pending', accepted: true }) }, { timeoutMs: 5 * 60_000 }, 60_000);
    expect(outcome.results[0]!.status).toBe('timed-out');
    expect(outcome.results[0]!.message).toMatch(/^timed out after 5m/);
    // The looks of the wait stop before the deadline; one more look when the step stops, for the run of the
    // trigger it sent (so it can be reported, and cancelled where it is provably ours).
    const looks = times(calls, 'find');
    expect(looks.slice(-3)).toEqual([265.528, 295.528, 300]);
    expect(outcome.results[0]!.message).toBe('timed out after 5m; the trigger had been sent, and no run it started was seen yet');
  });
});

describe('a lost trigger answer', () => {
  test('looks for the run it may have started (confirm window) and adopts it: never a second trigger', async () => {
    const clock = new FakeClock(T0);
    let triggers = 0;
    const { outcome, calls } = await run({
      clock,
      trigger: () => {
        triggers++;
        throw new ApiError('trigger: POST /run failed: connection reset', { kind: 'network', phase: 'trigger', method: 'POST', path: '/run', mayHaveApplied: true, attempts: 1 });
      },
      find: () => (clock.seconds >= 2 ? { kind: 'found', handle: { runId: 'r9' } } : { kind: 'pending' }),
      observe: () => done('t'),
    });
    expect(triggers).toBe(1);
    expect(times(calls, 'find')).toEqual([0, 0.5, 1.25, 2.375]);
    expect(outcome.results[0]).toMatchObject({ status: 'succeeded', runId: 'adopted:r9' });
  });
});

describe('target idle', () => {
  test('if-running: queue waits on the schedule until the target is idle, then triggers', async () => {
    const clock = new FakeClock(T0);
    const { outcome, calls } = await run(
      { clock, inFlight: () => (clock.seconds < 10 ? { handle: { runId: 'r0' }, description: 'run r0 is busy' } : undefined), observe: () => done('t') },
      { ifRunning: 'queue' },
    );
    // The if-running look at 0 (busy), then the wait: a read at once and after each gap of the plain schedule.
    expect(times(calls, 'inFlight')).toEqual([0, 0, 1, 2.5, 4.75, 8.125, 13.188]);
    expect(times(calls, 'trigger')).toHaveLength(1);
    expect(times(calls, 'trigger')[0]!).toBeGreaterThanOrEqual(10);
    expect(outcome.results[0]!.status).toBe('succeeded');
  });
});

describe('run ended, cancel settled', () => {
  test('a run still going at the timeout: timed out at the deadline, cancelled, and followed until the cancel settled', async () => {
    const clock = new FakeClock(T0);
    let cancelledAt: number | undefined;
    const { outcome, calls } = await run(
      {
        clock,
        onCancel: () => (cancelledAt = clock.seconds),
        trigger: () => ({ kind: 'accepted', handle: { runId: 'r1' } }),
        observe: () => {
          if (cancelledAt === undefined) return running;
          return clock.seconds >= cancelledAt + 3 ? stopped : running;
        },
      },
      { timeoutMs: 2 * 60_000 },
    );
    expect(outcome.results[0]!.status).toBe('timed-out');
    expect(times(calls, 'cancel')).toEqual([120]);
    // Reads while following stop before the deadline; after the cancel they go on until the run has ended.
    const reads = times(calls, 'observe');
    expect(reads.filter((s) => s < 120).length).toBeGreaterThan(3);
    expect(reads.at(-1)!).toBeGreaterThanOrEqual(123);
    expect(outcome.results[0]!.cancel).toMatchObject({ requested: true, accepted: true });
    expect(outcome.results[0]!.cancel!.note).toMatch(/run r1 ended stopped \(cancelled\) after the cancel/);
  });
});

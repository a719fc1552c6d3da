/**
 * Batched sweeps: when one request reads the runs of many targets (a provider's `observeMany`), the sweep goes
 * out when the first target needs a read, its answer is a read for every target it covers, and their
 * schedules count from it. A scripted fake provider and a shared virtual clock: every target's waits move
 * one clock, which jumps to the earliest wake-up once every waiter sleeps.
 */
import type { Clock } from '../../src/core/clock.js';
import { runStep, type StepOutcome } from '../../src/core/engine/index.js';
import type { StatusTable } from '../../src/core/outcome.js';
import type { Observation, Provider, ProviderModule, RunHandle } from '../../src/core/provider.js';
import type { Settings, TargetSpec } from '../../src/core/settings.js';
import { RecordingHost } from '../helpers/recording-host.js';

const T0 = 1_700_000_000_000;

/** One clock for many waiters: it moves to the earliest wake-up once nothing else is left to run. */
class SharedClock implements Clock {
  private sleepers: Array<{ at: number; wake(): void }> = [];
  constructor(public t = T0) {}

  now(): number {
    return this.t;
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    return new Promise((resolve, reject) => {
      const sleeper = {
        at: this.t + Math.max(0, ms),
        wake: () => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        },
      };
      const onAbort = () => {
        this.sleepers = this.sleepers.filter((s) => s !== sleeper);
        reject(signal!.reason);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.sleepers.push(sleeper);
    });
  }

  /** Runs `work` to its end, moving time whenever every waiter sleeps. */
  async drive<T>(work: Promise<T>): Promise<T> {
    let done = false;
    void work.finally(() => (done = true)).catch(() => undefined);
    let quiet = 0;
    let seen = -1;
    while (!done) {
      await new Promise((resolve) => setTimeout(resolve, 0));
      // Nothing but sleepers for a few turns of the event loop: every waiter is asleep.
      quiet = this.sleepers.length === seen ? quiet + 1 : 0;
      seen = this.sleepers.length;
      if (quiet < 3 || this.sleepers.length === 0) continue;
      const at = Math.min(...this.sleepers.map((s) => s.at));
      this.t = Math.max(this.t, at);
      const due = this.sleepers.filter((s) => s.at <= at);
      this.sleepers = this.sleepers.filter((s) => s.at > at);
      for (const s of due) s.wake();
      quiet = 0;
      seen = -1;
    }
    return work;
  }
}

const TABLE: StatusTable = { succeeded: ['done'], failed: ['broken'], cancelled: ['stopped'], queued: ['waiting'], running: ['busy'] };

interface Job {
  /** When its run ends (s after the step starts) and how. */
  endS: number;
  failed?: boolean;
  /** Past durations (s): what the history says. */
  historyS: number[];
  /** The run shows up this long after the trigger (s). */
  foundAfterS?: number;
}

interface Recorded {
  /** Each batched read: when (s), and the runs it read. */
  sweeps: Array<{ s: number; runs: string[] }>;
  /** Each lone read: when (s), and the run. */
  lone: Array<{ s: number; run: string }>;
}

function fakePlatform(clock: SharedClock, jobs: Record<string, Job>): { module: ProviderModule; recorded: Recorded } {
  const recorded: Recorded = { sweeps: [], lone: [] };
  const seconds = () => (clock.now() - T0) / 1000;
  const status = (runId: string): Observation => {
    const job = jobs[runId]!;
    if (seconds() < job.endS) return { state: 'running', rawStatus: 'busy' };
    return job.failed ? { state: 'failed', rawStatus: 'broken', end: 'ended' } : { state: 'succeeded', rawStatus: 'done', end: 'ended' };
  };
  const provider: Provider = {
    platform: 'fake',
    statusTable: TABLE,
    adoption: 'equivalent',
    async resolve(spec) {
      return { spec, label: spec.label };
    },
    async inFlight() {
      return undefined;
    },
    async baseline() {
      return [];
    },
    async trigger() {
      return { kind: 'accepted' };
    },
    async find(target) {
      const label = (target as { label: string }).label;
      const after = jobs[label]!.foundAfterS ?? 0;
      return seconds() >= after ? { kind: 'found', handle: { runId: label } } : { kind: 'pending', reason: 'not listed yet' };
    },
    async observe(_target, handle: RunHandle) {
      recorded.lone.push({ s: seconds(), run: handle.runId });
      return status(handle.runId);
    },
    async observeMany(items: Array<{ target: unknown; handle: RunHandle }>) {
      recorded.sweeps.push({ s: seconds(), runs: items.map((i) => i.handle.runId) });
      return items.map((i) => status(i.handle.runId));
    },
    async history(target) {
      return jobs[(target as { label: string }).label]!.historyS;
    },
    async failures() {
      return [];
    },
  };
  return { module: { platform: 'fake', authHeaders: () => ({}), create: () => provider }, recorded };
}

function settings(labels: string[], timeoutMs = 60 * 60_000): Settings {
  return {
    platform: 'fake',
    apiKey: 'fake-key-0123456789',
    baseUrl: 'http://127.0.0.1:9',
    mode: 'run',
    targets: labels.map((label) => ({ platform: 'fake', kind: 'thing', label }) as unknown as TargetSpec),
    timeoutMs,
    pollIntervalMs: 30_000,
    ifRunning: 'fail',
    cancelOnTimeout: true,
    logs: 'never',
    logLines: 200,
    maxConcurrency: 8,
    failFast: false,
  };
}

async function run(jobs: Record<string, Job>, timeoutMs?: number): Promise<{ outcome: StepOutcome; recorded: Recorded }> {
  const clock = new SharedClock();
  const { module, recorded } = fakePlatform(clock, jobs);
  const outcome = await clock.drive(runStep(settings(Object.keys(jobs), timeoutMs), new RecordingHost(), { loadProvider: async () => module, clock, heartbeatMs: 3_600_000 }));
  return { outcome, recorded };
}

/** When a run was last read (s): the read that saw its end. */
const lastRead = (recorded: Recorded, run: string) =>
  Math.max(...recorded.sweeps.filter((w) => w.runs.includes(run)).map((w) => w.s), ...recorded.lone.filter((r) => r.run === run).map((r) => r.s));

const around = (medianS: number) => [0.9, 0.95, 1, 1.02, 1.05, 1.1, 0.97].map((f) => Math.round(medianS * f));

describe('batched sweeps', () => {
  test('a sweep made for one target reads every followed run: an early failure is seen at the first sweep after it', async () => {
    // b's history says 30 minutes, so its own schedule would not read it until its 1 % point (~24 min); a's
    // end near 10 minutes brings sweeps, and the first one after b’s failure at 575 s sees it.
    const { outcome, recorded } = await run({
      a: { endS: 610, historyS: around(600) },
      b: { endS: 575, failed: true, historyS: around(1800) },
      c: { endS: 1810, historyS: around(1800) },
    });
    expect(outcome.results.map((r) => r.status)).toEqual(['succeeded', 'failed', 'succeeded']);
    const firstAfter = recorded.sweeps.find((w) => w.s >= 575)!;
    expect(firstAfter.runs).toEqual(expect.arrayContaining(['a', 'b', 'c']));
    expect(lastRead(recorded, 'b')).toBe(firstAfter.s);
    expect(lastRead(recorded, 'b') - 575).toBeLessThanOrEqual(10);
    // Every read while several targets follow is a sweep of all their open runs.
    for (const w of recorded.sweeps) expect(w.runs.length).toBeGreaterThanOrEqual(2);
  });

  test('the targets read on the soonest one’s schedule, not each on its own: few sweeps, each end seen well within poll-interval', async () => {
    // Three runs with the same history, found at different times: alone, each would read on its own plan.
    const jobs: Record<string, Job> = {
      a: { endS: 310, historyS: around(300) },
      b: { endS: 318, historyS: around(300), foundAfterS: 5 },
      c: { endS: 290, historyS: around(300), foundAfterS: 11 },
    };
    const { outcome, recorded } = await run(jobs);
    expect(outcome.results.every((r) => r.status === 'succeeded')).toBe(true);
    for (const [label, job] of Object.entries(jobs)) expect(lastRead(recorded, label) - job.endS).toBeLessThanOrEqual(12);
    // One target alone, same history: its own reads.
    const alone = await run({ a: { endS: 318, historyS: around(300) } });
    // Past the quick reads of each target's first seconds, the three read together, about as often as one alone.
    const late = (times: number[]) => times.filter((s) => s > 30).length;
    const together = late([...recorded.sweeps.map((w) => w.s), ...recorded.lone.map((r) => r.s)]);
    expect(together).toBeLessThanOrEqual(late(alone.recorded.lone.map((r) => r.s)) + 1);
  });
});

describe('the history’s long early gap and the deadline', () => {
  test('a gap that would run past the timeout ends with a read just before it: an early end is seen, not timed out', async () => {
    // The history says 30 minutes (its 1 % point is past the 10-minute timeout); the run fails at 5 minutes.
    const { outcome, recorded } = await run({ a: { endS: 300, failed: true, historyS: around(1800) } }, 10 * 60_000);
    expect(outcome.results[0]!.status).toBe('failed');
    expect(lastRead(recorded, 'a')).toBeGreaterThan(590);
    expect(lastRead(recorded, 'a')).toBeLessThan(600);
  });

  test('a run still going at the timeout times out as before', async () => {
    const { outcome } = await run({ a: { endS: 1800, historyS: around(1800) } }, 10 * 60_000);
    expect(outcome.results[0]!.status).toBe('timed-out');
  });
});

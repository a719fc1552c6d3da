import type { Clock } from '../../src/core/clock.js';
import { DeadlineError, PollSchedule, pollUntil } from '../../src/core/poll.js';

/** Fake time: sleeping moves the clock instantly and records the gap. */
function fakeClock(): Clock & { gaps: number[] } {
  let now = 0;
  const gaps: number[] = [];
  return {
    gaps,
    now: () => now,
    sleep: async (ms: number, signal?: AbortSignal) => {
      signal?.throwIfAborted();
      gaps.push(ms);
      now += ms;
    },
  };
}

describe('PollSchedule', () => {
  test('starts short and grows geometrically up to poll-interval, never beyond', () => {
    const schedule = new PollSchedule({ maxDelayMs: 30_000 });
    const gaps = Array.from({ length: 14 }, () => schedule.next());
    expect(gaps[0]).toBe(1000);
    expect(gaps[1]).toBe(1500);
    for (let i = 1; i < gaps.length; i++) expect(gaps[i]).toBeGreaterThanOrEqual(gaps[i - 1]!);
    expect(Math.max(...gaps)).toBe(30_000);
    expect(gaps.at(-1)).toBe(30_000);
  });

  test('a poll-interval shorter than the first gap caps every gap', () => {
    const schedule = new PollSchedule({ maxDelayMs: 200 });
    expect([schedule.next(), schedule.next(), schedule.next()]).toEqual([200, 200, 200]);
  });

  test('a run ending within seconds is noticed within two seconds of its end', () => {
    const schedule = new PollSchedule({ maxDelayMs: 30_000 });
    // reads at 0, 1.0, 2.5, 4.75 s …: a run ending at 3 s is seen at 4.75 s
    let t = 0;
    const reads = [0];
    for (let i = 0; i < 4; i++) reads.push((t += schedule.next()));
    for (const end of [0.5, 1.2, 2.0, 3.0]) {
      const seen = reads.find((r) => r >= end * 1000)!;
      expect(seen - end * 1000).toBeLessThanOrEqual(2000);
    }
  });

  test('reset starts again from a short gap', () => {
    const schedule = new PollSchedule({ maxDelayMs: 10_000 });
    for (let i = 0; i < 10; i++) schedule.next();
    schedule.reset(500);
    expect(schedule.next()).toBe(500);
  });
});

describe('pollUntil', () => {
  test('reads until a value comes back, sleeping by the schedule', async () => {
    const clock = fakeClock();
    let reads = 0;
    const value = await pollUntil(async () => (++reads === 4 ? 'done' : undefined), {
      schedule: new PollSchedule({ maxDelayMs: 5000 }),
      clock,
      deadline: 60_000,
    });
    expect(value).toBe('done');
    expect(clock.gaps).toEqual([1000, 1500, 2250]);
  });

  test('never sleeps past the deadline and then throws DeadlineError', async () => {
    const clock = fakeClock();
    await expect(
      pollUntil(async () => undefined, { schedule: new PollSchedule({ maxDelayMs: 4000 }), clock, deadline: 5000 }),
    ).rejects.toBeInstanceOf(DeadlineError);
    expect(clock.now()).toBe(5000);
    expect(clock.gaps.reduce((a, b) => a + b, 0)).toBe(5000);
  });

  test('an aborted signal stops the loop with its reason', async () => {
    const clock = fakeClock();
    const controller = new AbortController();
    let reads = 0;
    const promise = pollUntil(
      async () => {
        if (++reads === 2) controller.abort(new Error('cancelled by CI'));
        return undefined;
      },
      { schedule: new PollSchedule({ maxDelayMs: 1000 }), clock, deadline: 60_000, signal: controller.signal },
    );
    await expect(promise).rejects.toThrow('cancelled by CI');
    expect(reads).toBe(2);
  });
});

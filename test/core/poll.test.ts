import { FakeClock } from '../helpers/fake-clock.js';
import { EARLY_END_CHANCE, expectedFromHistory, normalCdf, PollSchedule } from '../../src/core/poll.js';
import { waitFor, type Acceptor } from '../../src/core/wait.js';

const fakeClock = () => new FakeClock(0);

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

// --- the follow schedule ---------------------------------------------------------------------------------

/** Read times (ms) of a schedule over `untilMs`, sleeping exactly the gaps it asks for. */
function readTimes(schedule: PollSchedule, untilMs: number, startMs = 0): number[] {
  const reads = [startMs];
  while (reads.at(-1)! < untilMs) reads.push(reads.at(-1)! + schedule.next());
  return reads;
}

/** Seeded log-normal durations around `medianMs`. */
function logNormalRuns(count: number, medianMs: number, spread: number, seed = 7): number[] {
  let s = seed;
  const uniform = () => {
    s = (s * 16807) % 2147483647;
    return s / 2147483647;
  };
  return Array.from({ length: count }, () => medianMs * Math.exp(spread * Math.sqrt(-2 * Math.log(uniform())) * Math.cos(2 * Math.PI * uniform())));
}

/** Reads needed and lag for a run ending at `endMs`, given the read times. */
function notice(reads: number[], endMs: number): { reads: number; lagMs: number } {
  const i = reads.findIndex((r) => r >= endMs);
  return { reads: i + 1, lagMs: reads[i]! - endMs };
}

const middle = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

describe('follow schedule without history', () => {
  test('quick reads at 2 and 4 s, then each gap as long as the time followed, then every poll-interval on the grid', () => {
    const reads = readTimes(new PollSchedule({ maxDelayMs: 30_000, follow: {} }), 150_000);
    expect(reads.slice(0, 9)).toEqual([0, 2000, 4000, 8000, 16_000, 30_000, 60_000, 90_000, 120_000]);
  });

  test('never a gap longer than poll-interval, whatever the interval', () => {
    for (const interval of [100, 1500, 5000, 30_000, 300_000]) {
      const reads = readTimes(new PollSchedule({ maxDelayMs: interval, follow: { gridPhaseMs: 1234 } }), 40 * interval);
      for (let i = 1; i < reads.length; i++) expect(reads[i]! - reads[i - 1]!).toBeLessThanOrEqual(interval);
    }
  });

  test('runs of one step that started following at different times read together on the shared grid', () => {
    // Two targets: one follows from 0 s, the other from 7.3 s (times on the step's scale, grid at 0).
    const a = readTimes(new PollSchedule({ maxDelayMs: 30_000, follow: { elapsedMs: 0, gridPhaseMs: 0 } }), 200_000);
    const b = readTimes(new PollSchedule({ maxDelayMs: 30_000, follow: { elapsedMs: 7300, gridPhaseMs: 0 } }), 200_000, 7300);
    const late = (reads: number[]) => reads.filter((r) => r >= 60_000);
    expect(late(b)).toEqual(late(a));
    for (const r of late(a)) expect(r % 30_000).toBe(0);
  });

  test('a run that ends within seconds is noticed within two seconds', () => {
    const reads = readTimes(new PollSchedule({ maxDelayMs: 30_000, follow: {} }), 10_000);
    for (const end of [100, 500, 1200, 2000, 2500, 3000, 3999, 4000]) expect(notice(reads, end).lagMs).toBeLessThanOrEqual(2000);
  });

  test('time spent in requests does not shift the reads: the schedule is told the elapsed time', () => {
    const schedule = new PollSchedule({ maxDelayMs: 30_000, follow: {} });
    // Each read took 300 ms: the gaps shrink by as much, so the reads stay at 2 s, 4 s, 8 s…
    let now = 300;
    const reads: number[] = [];
    for (let i = 0; i < 6; i++) {
      now += schedule.next(now);
      reads.push(now);
      now += 300;
    }
    expect(reads).toEqual([2000, 4000, 8000, 16_000, 30_000, 60_000]);
  });
});

describe('expectedFromHistory', () => {
  test('median and spread of regular durations', () => {
    const expected = expectedFromHistory([230, 240, 250, 245, 235, 260, 220])!;
    expect(expected.medianMs).toBe(240_000);
    expect(expected.spread).toBeGreaterThanOrEqual(0.1);
    expect(expected.spread).toBeLessThan(0.2);
  });

  test('no history worth using: too few runs, too short to matter, or too scattered', () => {
    expect(expectedFromHistory([])).toBeUndefined();
    expect(expectedFromHistory([240, 250])).toBeUndefined();
    expect(expectedFromHistory([3, 4, 5, 4])).toBeUndefined();
    expect(expectedFromHistory([10, 600, 3600, 30, 7200])).toBeUndefined();
  });
});

describe('follow schedule with history', () => {
  const interval = 30_000;
  const expected = { medianMs: 720_000, spread: 0.2 };
  const runs = logNormalRuns(2000, expected.medianMs, expected.spread);
  const fixedReads = Array.from({ length: 200 }, (_, k) => k * interval);

  /** The history's chance that the run has ended by `t` (its log-normal model). */
  const endedBy = (t: number) => normalCdf(Math.log(t / expected.medianMs) / expected.spread);

  test('half of fixed polling’s median lag for fewer reads than fixed polling, on runs that match the history', () => {
    const reads = readTimes(new PollSchedule({ maxDelayMs: interval, follow: { expected } }), 3 * expected.medianMs);
    const ours = runs.map((end) => notice(reads, end));
    const fixed = runs.map((end) => notice(fixedReads, end));
    const total = (list: Array<{ reads: number }>) => list.reduce((n, x) => n + x.reads, 0);
    expect(total(ours)).toBeLessThanOrEqual(0.92 * total(fixed));
    expect(middle(ours.map((x) => x.lagMs))).toBeLessThanOrEqual(middle(fixed.map((x) => x.lagMs)) * 0.5);
  });

  test('a read budget given as a share of fixed polling’s reads is spent, and no more', () => {
    const total = (reads: number[]) => runs.reduce((n, end) => n + notice(reads, end).reads, 0);
    const fixedTotal = total(fixedReads);
    for (const budgetShare of [0.75, 1]) {
      const reads = readTimes(new PollSchedule({ maxDelayMs: interval, follow: { expected, budgetShare } }), 3 * expected.medianMs);
      expect(total(reads) / fixedTotal).toBeGreaterThan(budgetShare - 0.06);
      expect(total(reads) / fixedTotal).toBeLessThanOrEqual(budgetShare + 0.02);
    }
  });

  test('sparse early, dense near the expected end; a gap beyond poll-interval only while the run has at most a 1 % chance of having ended by its read', () => {
    const reads = readTimes(new PollSchedule({ maxDelayMs: interval, follow: { expected } }), 3 * expected.medianMs);
    expect(reads.slice(0, 3)).toEqual([0, 2000, 4000]);
    for (let i = 1; i < reads.length; i++) {
      if (reads[i]! - reads[i - 1]! > interval) expect(endedBy(reads[i]!)).toBeLessThanOrEqual(EARLY_END_CHANCE + 1e-6);
    }
    const gapAt = (t: number) => {
      const i = reads.findIndex((r) => r > t);
      return reads[i]! - reads[i - 1]!;
    };
    expect(gapAt(expected.medianMs)).toBeLessThan(interval / 2);
    // No fixed cap on the early gap: the bound alone decides (the history's 1 % point is at 452 s).
    expect(gapAt(expected.medianMs / 4)).toBeGreaterThan(8 * interval);
  });

  test('earlyGapFactor still caps the early gap when asked (for comparisons)', () => {
    const reads = readTimes(new PollSchedule({ maxDelayMs: interval, follow: { expected, earlyGapFactor: 4 } }), 3 * expected.medianMs);
    for (let i = 1; i < reads.length; i++) expect(reads[i]! - reads[i - 1]!).toBeLessThanOrEqual(4 * interval);
    expect(Math.max(...reads.slice(1).map((r, i) => r - reads[i]!))).toBeGreaterThan(interval);
  });

  test('a run that outlives its history goes back to reading every poll-interval', () => {
    const reads = readTimes(new PollSchedule({ maxDelayMs: interval, follow: { expected } }), 6 * expected.medianMs);
    const late = reads.filter((r) => r > 2.5 * expected.medianMs);
    for (let i = 1; i < late.length; i++) expect(late[i]! - late[i - 1]!).toBe(interval);
  });

  test("earlyGaps 'poll-interval' keeps the hard cap, at the price of more reads", () => {
    const capped = readTimes(new PollSchedule({ maxDelayMs: interval, follow: { expected, earlyGaps: 'poll-interval' } }), 3 * expected.medianMs);
    for (let i = 1; i < capped.length; i++) expect(capped[i]! - capped[i - 1]!).toBeLessThanOrEqual(interval);
    const sparse = readTimes(new PollSchedule({ maxDelayMs: interval, follow: { expected } }), 3 * expected.medianMs);
    const total = (reads: number[]) => runs.reduce((n, end) => n + notice(reads, end).reads, 0);
    expect(total(capped)).toBeGreaterThan(total(sparse));
  });

  test('an early failure is still noticed within two seconds in the first seconds, and by the history’s 1 % point later', () => {
    const reads = readTimes(new PollSchedule({ maxDelayMs: interval, follow: { expected } }), expected.medianMs);
    for (const end of [300, 1500, 3500]) expect(notice(reads, end).lagMs).toBeLessThanOrEqual(2000);
    const onePercent = expected.medianMs * Math.exp(-2.326 * expected.spread);
    for (const end of [10_000, 100_000, 300_000]) expect(end + notice(reads, end).lagMs).toBeLessThanOrEqual(onePercent + 1);
  });

  test('with fake time: waitFor follows a history-aware schedule to the end of the run', async () => {
    const clock = fakeClock();
    const end = 700_000;
    const schedule = new PollSchedule({ maxDelayMs: interval, follow: { expected } });
    const ended: Acceptor<boolean> = { name: 'run ended', state: 'success', matches: (done) => done };
    const result = await waitFor({ read: async () => clock.now() >= end, accept: [ended], schedule: () => schedule.next(), clock, deadline: 3_600_000 });
    expect(result.state).toBe('success');
    expect(clock.now() - end).toBeLessThan(interval / 3);
    expect(clock.gaps.length).toBeLessThan(end / interval);
  });

  test('a run already under way when following starts: reads are placed on the run’s own clock', () => {
    const startMs = 90_000;
    const started = readTimes(new PollSchedule({ maxDelayMs: interval, follow: { expected, elapsedMs: startMs } }), 2 * expected.medianMs, startMs);
    const gapAt = (t: number) => {
      const i = started.findIndex((r) => r > t);
      return started[i]! - started[i - 1]!;
    };
    // Sparse until the history's 1 % point of the RUN (452 s), not of the following (542 s); dense at 720 s.
    const onePercent = expected.medianMs * Math.exp(-2.326 * expected.spread);
    const lastLongGap = started.filter((r, i) => i > 0 && r - started[i - 1]! > interval).at(-1)!;
    expect(lastLongGap).toBeGreaterThan(onePercent - interval);
    expect(lastLongGap).toBeLessThanOrEqual(onePercent + 1);
    expect(gapAt(expected.medianMs)).toBeLessThan(interval / 2);
    const fixedFrom = fixedReads.map((r) => r + startMs);
    const late = runs.filter((end) => end > startMs);
    const total = (reads: number[]) => late.reduce((n, end) => n + notice(reads, end).reads, 0);
    expect(total(started)).toBeLessThanOrEqual(total(fixedFrom));
  });
});

describe('a read made for another target (a batched sweep) counts as a read', () => {
  const interval = 30_000;
  const expected = { medianMs: 720_000, spread: 0.2 };

  /** Read times when, besides its own reads, the schedule is told of reads at `covered` (elapsed ms). */
  function withCovered(schedule: PollSchedule, covered: number[], untilMs: number): number[] {
    const reads = [0];
    const extra = [...covered];
    let next = schedule.next(0);
    let now = 0;
    while (now < untilMs) {
      if (extra.length > 0 && extra[0]! < now + next) {
        now = extra.shift()!;
        schedule.resetAt(now);
      } else {
        now += next;
      }
      reads.push(now);
      next = schedule.next(now);
    }
    return reads;
  }

  test('with history: the next read comes one of the plan’s gaps after the covering read, not at the planned time', () => {
    const alone = readTimes(new PollSchedule({ maxDelayMs: interval, follow: { expected } }), 2 * expected.medianMs);
    const planned = alone.find((r) => r > expected.medianMs)!;
    const before = alone[alone.indexOf(planned) - 1]!;
    const gap = planned - before;
    const covered = before + gap / 2;
    const reads = withCovered(new PollSchedule({ maxDelayMs: interval, follow: { expected } }), [covered], 2 * expected.medianMs);
    expect(reads).toContain(covered);
    expect(reads).not.toContain(planned);
    expect(reads[reads.indexOf(covered) + 1]).toBeCloseTo(covered + gap, 0);
  });

  test('with history: a covering read in the long early gap does not move the read at the 1 % point', () => {
    const alone = readTimes(new PollSchedule({ maxDelayMs: interval, follow: { expected } }), 2 * expected.medianMs);
    const onePercentRead = alone[3]!;
    expect(onePercentRead - alone[2]!).toBeGreaterThan(interval);
    const reads = withCovered(new PollSchedule({ maxDelayMs: interval, follow: { expected } }), [100_000], 2 * expected.medianMs);
    expect(reads.slice(0, 5)).toEqual([0, 2000, 4000, 100_000, onePercentRead]);
  });

  test('with history: a covering read within poll-interval of the 1 % point stands for it; no gap after it exceeds poll-interval', () => {
    const alone = readTimes(new PollSchedule({ maxDelayMs: interval, follow: { expected } }), 2 * expected.medianMs);
    const onePercentRead = alone[3]!;
    const covered = onePercentRead - 10_000;
    const reads = withCovered(new PollSchedule({ maxDelayMs: interval, follow: { expected } }), [covered], 2 * expected.medianMs);
    expect(reads.slice(0, 4)).toEqual([0, 2000, 4000, covered]);
    expect(reads).not.toContain(onePercentRead);
    for (let i = 4; i < reads.length; i++) expect(reads[i]! - reads[i - 1]!).toBeLessThanOrEqual(interval);
  });

  test('quick reads stay at most 2 s apart through the first 4 s, whatever covers them', () => {
    for (const covered of [500, 1000, 2500, 3000, 3900]) {
      for (const follow of [{}, { expected }]) {
        const reads = withCovered(new PollSchedule({ maxDelayMs: interval, follow }), [covered], 10_000);
        const early = reads.slice(0, reads.findIndex((r) => r >= 4000) + 1);
        expect(early.at(-1)).toBeLessThanOrEqual(covered > 3750 ? 4250 : 4000);
        for (let i = 1; i < early.length; i++) expect(early[i]! - early[i - 1]!).toBeLessThanOrEqual(2000);
      }
    }
  });

  test('without history: never a gap longer than poll-interval, however the covering reads fall', () => {
    const covered = [1300, 6100, 17_000, 44_000, 45_000, 101_000, 130_500, 200_000];
    const reads = withCovered(new PollSchedule({ maxDelayMs: interval, follow: { gridPhaseMs: 0 } }), covered, 400_000);
    for (const c of covered) expect(reads).toContain(c);
    for (let i = 1; i < reads.length; i++) expect(reads[i]! - reads[i - 1]!).toBeLessThanOrEqual(interval);
  });
});

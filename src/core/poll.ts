/**
 * When to read next: the schedules of gaps the one waiter (wait.ts) sleeps by; what a status means lives in
 * the providers' status tables.
 *
 * Two shapes of schedule:
 *
 * - The plain schedule (no `follow` option; used while looking for a run, waiting for a target to be idle,
 *   confirming a cancel): the gap starts short and grows geometrically up to `maxDelayMs`.
 *
 * - The follow schedule (`follow` option; used while following a run until it ends):
 *   1. quick reads every 2 s for the first 4 s, so a run that ends within seconds is noticed within 2 s;
 *   2. then, without history, each gap equals the time followed so far (reads at 4, 8, 16 s…) until it
 *      reaches `poll-interval`, and from there reads fall on a grid of `poll-interval` steps (shared by all
 *      runs of a step, so their reads coincide and can be served by one list request);
 *   3. with history (`follow.expected`: median and spread of the target's recent durations), reads are
 *      placed by the chance that the run ends in each moment: read density ∝ √hazard, which minimises the
 *      mean detection lag for a given number of reads, scaled to the fewest reads that still meet the lag
 *      goal (the end seen within poll-interval / 4 — half of fixed polling's median lag — with a 65 % chance
 *      under the model), and never more reads than 98 % of what fixed polling at `poll-interval` would need
 *      for the same run (see `historyReads`).
 *
 * `poll-interval` and history: the spec calls `poll-interval` "the longest gap between two reads; the poller
 * may read sooner". Any schedule whose gaps never exceed `poll-interval` needs at least as many reads as
 * fixed polling (which reads exactly every `poll-interval`), so denser reads near the expected end can only
 * be paid for by sparser reads early. The follow schedule therefore lets a gap exceed `poll-interval` only
 * while the history gives the run at most a 1 % chance (`EARLY_END_CHANCE`) of having ended by the read
 * that ends the gap; that bound alone limits the gap (in practice one long gap from the quick reads to the
 * history's 1 % point). An early failure, which the history of successful durations does not predict, is
 * thus noticed by the 1 % point at the latest. `earlyGapFactor` caps the gap at that many poll-intervals
 * besides (for comparisons), `earlyGaps: 'poll-interval'` keeps the hard cap instead: the same lag, at the
 * cost of more reads than fixed polling (both measured in bench/polling.mjs). Once the run outlives the
 * history (past its 99th percentile), the schedule falls back to step 2's ramp.
 *
 * What the history can buy (bench/polling.mjs, runs of 12 and 30 min whose durations scatter log-normally,
 * σ 0.2, around their history's median): the reads after the 1 % point are at most `poll-interval` apart,
 * which alone costs about 0.55× fixed polling's reads at about fixed polling's median lag; half of fixed
 * polling's median lag costs 0.75× its reads. "Half the lag for half the reads" is out of reach for runs
 * this scattered: even a schedule that knew each run's true distribution would need 0.70× fixed polling's
 * reads for half its median lag under these rules (bench/polling-bound.mjs), so the default buys the lag
 * goal with the fewest reads the model allows.
 *
 * Reads shared by several targets (a batched sweep, engine/follow.ts): a sweep made for one target is a read
 * for every target it covers; `resetAt` then counts that target's next gap from the sweep.
 */

/** What the target's run history says about the next run's duration (a log-normal model). */
export interface ExpectedDuration {
  /** Median of the recent durations, ms. */
  medianMs: number;
  /** Standard deviation of ln(duration): 0.2 means most runs within about ±20 % of the median. */
  spread: number;
  /** How many past durations it was drawn from. */
  samples?: number;
}

export interface FollowScheduleOptions {
  /** How long the run has been going when following starts (ms; default 0). */
  elapsedMs?: number;
  /** From the target's history; without it the schedule ramps up to `poll-interval` and stays there. */
  expected?: ExpectedDuration;
  /**
   * Where the `poll-interval` grid falls, on the same time scale as `elapsedMs` (default 0): reads at
   * `gridPhaseMs + k × poll-interval`. The runs of one step share it, so their reads coincide.
   */
  gridPhaseMs?: number;
  /** 'history' (default): early gaps may exceed poll-interval while the history rules out an end; 'poll-interval': never. */
  earlyGaps?: 'history' | 'poll-interval';
  /** With earlyGaps 'history': the longest early gap, in poll-intervals (default Infinity: the bound alone decides; a number caps it, for comparisons). */
  earlyGapFactor?: number;
  /**
   * With history: spend this share of fixed polling's expected reads, whatever the lag (for comparisons; the
   * default aims at the lag goal with the fewest reads, never more than BUDGET_SHARE of fixed polling's).
   */
  budgetShare?: number;
}

export interface PollScheduleOptions {
  /** `poll-interval`: the longest gap between two reads (see the module note for the history exception). */
  maxDelayMs: number;
  /** The first gap of the plain schedule (default 1 s, never more than maxDelayMs). */
  firstDelayMs?: number;
  /** Growth of the plain schedule's gap per read (default 1.5). */
  factor?: number;
  /** Following a run: quick reads, then the ramp and grid, or the history-aware reads. */
  follow?: FollowScheduleOptions;
}

/** Quick reads while following: every QUICK_GAP_MS for the first QUICK_WINDOW_MS. */
export const QUICK_GAP_MS = 2000;
export const QUICK_WINDOW_MS = 4000;
/** "Cannot have ended yet": the history gives the run at most this chance of having ended by the next read. */
export const EARLY_END_CHANCE = 0.01;
/** Past this quantile of the history the run is an outlier: back to the plain ramp. */
const LATE_QUANTILE_Z = 2.326; // 99 %
/** Share of fixed polling's expected reads the history-aware schedule may spend, at most. */
const BUDGET_SHARE = 0.98;
/**
 * The lag goal with history: half of fixed polling's median lag (poll-interval / 2), i.e. the end seen
 * within poll-interval / 4, with this chance under the history's model (above one half: real runs stray from
 * the model, whose spread comes from a handful of past durations).
 */
const LAG_GOAL_FRACTION = 0.25;
const LAG_GOAL_CHANCE = 0.65;
/** The densest reads the history may ask for. */
const MIN_GAP_MS = 1000;
/** Fewer durations than this, or a wider spread, and the history is not used. */
export const MIN_HISTORY_SAMPLES = 3;
const MAX_SPREAD = 0.8;
const MIN_SPREAD = 0.1;
/** Runs shorter than this are covered by the quick reads; history adds nothing. */
const MIN_HISTORY_MEDIAN_MS = 10_000;

export class PollSchedule {
  private gap: number;
  private readonly max: number;
  private readonly factor: number;
  private readonly follow: FollowPlan | undefined;
  private lastGiven = 0;

  constructor(options: PollScheduleOptions) {
    this.max = Math.max(1, options.maxDelayMs);
    this.gap = Math.min(options.firstDelayMs ?? 1000, this.max);
    this.factor = options.factor ?? 1.5;
    this.follow = options.follow ? new FollowPlan(this.max, options.follow) : undefined;
  }

  /** Whether this schedule places its reads by the target's history. */
  get historyAware(): boolean {
    return this.follow?.historyAware ?? false;
  }

  /**
   * The sparse early phase of a follow schedule: the last gap handed out was longer than `poll-interval`,
   * which only the history's early gaps are (the run very unlikely to have ended). Live log reads skip the
   * status reads of this phase that saw no change (engine/live.ts).
   */
  get sparse(): boolean {
    return this.follow !== undefined && this.lastGiven > this.max;
  }

  /**
   * The gap before the next read; each call moves the schedule on. A follow schedule may be told the time
   * since the run started (same scale as `follow.elapsedMs`), so time spent in requests does not shift its
   * reads; without it, the schedule assumes the previous gap was slept exactly.
   */
  next(elapsedMs?: number): number {
    if (this.follow) return (this.lastGiven = this.follow.next(elapsedMs));
    const current = this.gap;
    this.gap = Math.min(this.max, Math.ceil(this.gap * this.factor));
    return current;
  }

  /**
   * A read this schedule did not ask for served it (a batched sweep made for another target, at `elapsedMs`
   * on the follow scale): the next gap counts from that read. Quick reads stay at most QUICK_GAP_MS apart
   * through the quick window, and the read that ends a long early gap (the history's end-chance bound) does
   * not move. No effect on a plain schedule.
   */
  resetAt(elapsedMs: number): void {
    this.follow?.resetAt(elapsedMs);
  }

  /** Start again from the short first gap (e.g. after a status change). */
  reset(firstDelayMs: number): void {
    this.gap = Math.min(firstDelayMs, this.max);
  }
}

/** The follow schedule: read times planned on the run's elapsed-time scale. */
class FollowPlan {
  private readonly startMs: number;
  private readonly gridPhase: number;
  private readonly quickUntil: number;
  /** Planned reads by history (elapsed ms, ascending); empty without history. */
  private readonly planned: number[];
  /** Where the history stops applying: after it, the plain ramp. */
  private readonly historyUntil: number;
  private elapsed: number;
  /** The last read this schedule planned (elapsed ms): the ramp doubles planned times, not request-delayed ones. */
  private lastPlanned: number;
  /** The read before `lastPlanned` (which may not have happened yet: a covering read can replace it). */
  private previousPlanned: number;
  private lastGap = QUICK_GAP_MS;
  /** After the history: the ramp's own gap, doubling up to poll-interval (grid snaps do not restart it). */
  private rampGap: number | undefined;
  readonly historyAware: boolean;

  constructor(
    private readonly interval: number,
    options: FollowScheduleOptions,
  ) {
    this.startMs = Math.max(0, options.elapsedMs ?? 0);
    this.elapsed = this.startMs;
    this.lastPlanned = this.startMs;
    this.previousPlanned = this.startMs;
    this.gridPhase = options.gridPhaseMs ?? 0;
    this.quickUntil = this.startMs + QUICK_WINDOW_MS;
    const plan = options.expected
      ? historyReads(interval, options.expected, this.startMs, {
          earlyGaps: options.earlyGaps,
          earlyGapFactor: options.earlyGapFactor,
          budgetShare: options.budgetShare,
        })
      : undefined;
    this.planned = plan?.reads ?? [];
    this.historyUntil = plan?.until ?? this.startMs;
    this.historyAware = plan !== undefined;
  }

  next(elapsedMs?: number): number {
    const now = Math.max(elapsedMs ?? this.elapsed, this.elapsed);
    const at = this.nextReadAfter(now);
    const gap = Math.max(1, Math.round(at - now));
    this.elapsed = now + gap;
    this.lastGap = Math.max(1, Math.round(at - this.lastPlanned));
    this.previousPlanned = this.lastPlanned;
    this.lastPlanned = at;
    return gap;
  }

  /** A read at `elapsedMs` that this plan did not ask for: later reads count from it (see PollSchedule.resetAt). */
  resetAt(elapsedMs: number): void {
    // It replaces the read last handed out (not taken yet) when it came before it.
    const previous = elapsedMs < this.lastPlanned ? this.previousPlanned : this.lastPlanned;
    if (!(elapsedMs > previous)) return;
    this.lastGap = Math.max(1, Math.round(elapsedMs - previous));
    this.previousPlanned = previous;
    this.lastPlanned = elapsedMs;
    this.elapsed = elapsedMs;
  }

  /** The next read after the last one (`lastPlanned`, planned or not), no sooner than a moment after `now`. */
  private nextReadAfter(now: number): number {
    const soonest = now + Math.min(MIN_GAP_MS, this.interval) / 4;
    const last = this.lastPlanned;
    // 1. quick reads: at most QUICK_GAP_MS apart, and one at the end of the quick window
    if (last < this.quickUntil) {
      let at = last + QUICK_GAP_MS;
      while (at < soonest) at += QUICK_GAP_MS;
      // The window's end is read too: at it, or a moment after when a covering read came just before it.
      if (at > this.quickUntil) at = Math.max(this.quickUntil, soonest);
      return Math.min(at, now + this.interval);
    }
    // 3. history, while it applies
    if (now < this.historyUntil) {
      const at = this.plannedAfter(last, soonest);
      if (at !== undefined) return at;
    }
    // 2. the ramp: each gap as long as the time followed so far (or, once the run outlived its history,
    //    twice the last gap), up to poll-interval; reads snap to the shared grid when it comes first.
    let ramp: number;
    if (this.historyAware) {
      this.rampGap = Math.min(this.interval, Math.max(QUICK_GAP_MS, (this.rampGap ?? this.lastGap) * 2));
      ramp = this.rampGap;
    } else {
      ramp = Math.max(QUICK_GAP_MS, last - this.startMs);
    }
    return Math.min(Math.max(last + ramp, soonest), this.nextGridPoint(now));
  }

  /**
   * The history's next read after a read at `last`: one of the plan's gaps later (the gap of the plan where
   * `last` falls, so a read the plan did not ask for shifts the ones after it). A long early gap ends at its
   * planned read, where the end-chance bound put it, unless a read came within poll-interval of it: that
   * read stands for it, and the next gap (never longer than poll-interval) counts from it.
   */
  private plannedAfter(last: number, soonest: number): number | undefined {
    const planned = this.planned;
    let at = last;
    let i = 0;
    for (let guard = 0; guard < planned.length + 2; guard++) {
      while (i < planned.length && planned[i]! <= at + 0.5) i++;
      if (i >= planned.length) return undefined;
      const next = planned[i]!;
      const gap = next - (i > 0 ? planned[i - 1]! : this.startMs);
      if (gap > this.interval) {
        const after = planned[i + 1];
        at = next - at > this.interval || after === undefined ? next : at + Math.min(after - next, this.interval);
      } else {
        at = at + gap <= next + 0.5 ? next : at + gap;
      }
      if (at >= soonest) return at;
    }
    return undefined;
  }

  /** The first grid point at least MIN_GAP_MS after now (never more than one interval ahead). */
  private nextGridPoint(now: number): number {
    const k = Math.floor((now - this.gridPhase) / this.interval) + 1;
    let at = this.gridPhase + k * this.interval;
    if (at - now < Math.min(MIN_GAP_MS, this.interval)) at += this.interval;
    return Math.min(at, now + this.interval);
  }
}

// ---------------------------------------------------------------------------------------------------------
// History

/**
 * The expected duration of the next run from the durations (seconds) of recent successful runs, or
 * undefined when they are too few, too short to matter, or too scattered to say anything.
 */
export function expectedFromHistory(durationsSeconds: readonly number[]): ExpectedDuration | undefined {
  const ms = durationsSeconds.filter((d) => Number.isFinite(d) && d >= 0).map((d) => Math.max(500, d * 1000));
  if (ms.length < MIN_HISTORY_SAMPLES) return undefined;
  const sorted = [...ms].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  const medianMs = sorted.length % 2 ? sorted[mid]! : Math.sqrt(sorted[mid - 1]! * sorted[mid]!);
  if (medianMs < MIN_HISTORY_MEDIAN_MS) return undefined;
  const logs = ms.map((d) => Math.log(d));
  const mean = logs.reduce((a, b) => a + b, 0) / logs.length;
  const sd = Math.sqrt(logs.reduce((a, b) => a + (b - mean) ** 2, 0) / (logs.length - 1));
  // A handful of samples underestimates the spread: widen it a little (√(1 + 2/n)), and never trust it below 10 %.
  const spread = Math.max(MIN_SPREAD, sd * Math.sqrt(1 + 2 / logs.length));
  if (spread > MAX_SPREAD) return undefined;
  return { medianMs, spread, samples: ms.length };
}

interface HistoryPlan {
  /** Read times (elapsed ms), after the quick reads. */
  reads: number[];
  /** Elapsed ms after which the history no longer applies. */
  until: number;
}

export interface HistoryReadOptions {
  earlyGaps?: 'history' | 'poll-interval';
  earlyGapFactor?: number;
  budgetShare?: number;
}

/**
 * Read times for a run expected to take `expected` (log-normal), starting `startMs` into the run.
 *
 * Gaps are c/√hazard(t), clamped to [MIN_GAP_MS, limit(t)] where limit is `poll-interval`, or more while
 * the history gives the run at most EARLY_END_CHANCE of having ended by the read that ends the gap (no
 * other cap, unless `earlyGapFactor` sets one). The constant c is the largest (fewest reads) for which the
 * model still sees the end within the lag goal (LAG_GOAL_FRACTION × poll-interval) with LAG_GOAL_CHANCE,
 * but never so small that the expected number of reads (given that the run is going at `startMs`) exceeds
 * BUDGET_SHARE of fixed polling's at `poll-interval` — or, for runs so short that the quick reads alone
 * cost more than that, two reads beyond the quick ones. With `budgetShare`, c spends that share instead.
 */
export function historyReads(interval: number, expected: ExpectedDuration, startMs: number, options: HistoryReadOptions = {}): HistoryPlan | undefined {
  const earlyGapFactor = options.earlyGapFactor ?? Infinity;
  const model = logNormal(expected.medianMs, expected.spread);
  const until = model.quantile(LATE_QUANTILE_Z);
  const s0 = model.survival(startMs);
  if (!(s0 > 1e-6) || until <= startMs + QUICK_WINDOW_MS) return undefined;
  const survival = (t: number) => model.survival(t) / s0;
  const earlyEnd = model.quantile(inverseNormal(EARLY_END_CHANCE));
  const quick = [startMs + QUICK_GAP_MS, startMs + QUICK_WINDOW_MS];

  const plan = (c: number, sparse: boolean): number[] => {
    const reads = [...quick];
    let t = reads[reads.length - 1]!;
    while (t < until && reads.length < 10_000) {
      const h = model.hazard(t);
      let gap = h > 0 ? c / Math.sqrt(h) : Infinity;
      let limit = interval;
      if (sparse && t + interval <= earlyEnd) limit = Math.max(interval, Math.min(earlyGapFactor * interval, earlyEnd - t));
      gap = Math.max(Math.min(MIN_GAP_MS, interval), Math.min(gap, limit));
      t += gap;
      reads.push(t);
    }
    return reads;
  };
  /** Expected reads after the first one at startMs: read i happens if the run was still going at read i-1. */
  const cost = (reads: number[]): number => {
    let n = 1;
    let previous = startMs;
    for (const at of reads) {
      n += survival(previous);
      previous = at;
    }
    return n;
  };
  /** The model's chance that the end is seen within the lag goal. */
  const goalLag = LAG_GOAL_FRACTION * interval;
  const withinGoal = (reads: number[]): number => {
    let p = 0;
    let previous = startMs;
    for (const at of reads) {
      p += survival(Math.max(previous, at - goalLag)) - survival(at);
      previous = at;
    }
    return p;
  };
  let fixed = 1;
  for (let k = 0; k < 100_000; k++) {
    const s = survival(startMs + k * interval);
    fixed += s;
    if (s < 1e-9) break;
  }
  // Both cost and the chance of meeting the lag goal fall as c grows (sparser reads): bisections on a log
  // scale. The budget: a little under fixed polling's count, so that runs scattered around the model do not
  // tip it over. With the hard cap no c meets it; the capped plan keeps the density near the end that the
  // sparse plan affords, and pays for it with more reads than fixed polling.
  /** Where `ok` (true for small c, false for large c) flips: the largest c for which it holds. */
  const largestOk = (ok: (c: number) => boolean): number | undefined => {
    let [low, high] = [1e-3, 1e6];
    if (ok(high)) return high;
    if (!ok(low)) return undefined;
    for (let i = 0; i < 60; i++) [low, high] = ok(Math.sqrt(low * high)) ? [Math.sqrt(low * high), high] : [low, Math.sqrt(low * high)];
    return low;
  };
  const budget = Math.max((options.budgetShare ?? BUDGET_SHARE) * fixed, cost(quick) + 2);
  // The fewest reads within budget: the smallest c whose cost fits (just above the largest that does not).
  const overBudget = largestOk((c) => cost(plan(c, true)) > budget);
  const withinBudget = overBudget === undefined ? 1e-3 : Math.min(1e6, overBudget * (1 + 1e-9));
  const forGoal = options.budgetShare === undefined ? largestOk((c) => withinGoal(plan(c, true)) >= LAG_GOAL_CHANCE) : undefined;
  const c = Math.max(withinBudget, forGoal ?? 0);
  return { reads: plan(c, (options.earlyGaps ?? 'history') === 'history'), until };
}

/** Log-normal duration model (ms). */
function logNormal(medianMs: number, spread: number) {
  const mu = Math.log(medianMs);
  const z = (t: number) => (Math.log(Math.max(t, 1e-9)) - mu) / spread;
  return {
    survival: (t: number): number => (t <= 0 ? 1 : 1 - normalCdf(z(t))),
    hazard: (t: number): number => {
      if (t <= 0) return 0;
      const zt = z(t);
      const s = 1 - normalCdf(zt);
      const density = Math.exp(-0.5 * zt * zt) / (Math.sqrt(2 * Math.PI) * t * spread);
      return s > 1e-12 ? density / s : density / 1e-12;
    },
    quantile: (zq: number): number => medianMs * Math.exp(spread * zq),
  };
}

/** Φ(x), from the complementary error function (Numerical Recipes erfcc, |error| < 1.2e-7). */
export function normalCdf(x: number): number {
  const z = Math.abs(x) / Math.SQRT2;
  const t = 1 / (1 + 0.5 * z);
  const erfc =
    t *
    Math.exp(
      -z * z -
        1.26551223 +
        t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))),
    );
  return x >= 0 ? 1 - erfc / 2 : erfc / 2;
}

function inverseNormal(p: number): number {
  let low = -10;
  let high = 10;
  for (let i = 0; i < 80; i++) {
    const mid = (low + high) / 2;
    if (normalCdf(mid) < p) low = mid;
    else high = mid;
  }
  return (low + high) / 2;
}

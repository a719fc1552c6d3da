/**
 * The simulator's virtual clock.
 *
 * Simulated time runs `timeScale` times faster than real time, and tests can jump it forward with
 * `advance(ms)`. Nothing in the simulator uses timers for run progress: every state (queued → running →
 * terminal) is derived from scheduled simulated times when a request arrives (apis.md §4.0 "virtual clock").
 */
export interface SimClockOptions {
  /** Simulated epoch ms at start (default: the real time now). */
  startEpochMs?: number;
  /** Simulated ms per real ms (default 1; 0 freezes the clock, which makes tests fully deterministic). */
  timeScale?: number;
  /** Source of real time, for unit tests of the clock itself. */
  realNow?: () => number;
}

export class SimClock {
  private readonly realNow: () => number;
  /** Simulated time at `anchorReal`. Re-anchored on every scale change so that `now()` never jumps. */
  private anchorSim: number;
  private anchorReal: number;
  private scale: number;

  constructor(options: SimClockOptions = {}) {
    this.realNow = options.realNow ?? (() => Date.now());
    this.anchorReal = this.realNow();
    this.anchorSim = options.startEpochMs ?? this.anchorReal;
    this.scale = checkScale(options.timeScale ?? 1);
  }

  /** Simulated epoch milliseconds (integer). */
  now(): number {
    return Math.floor(this.anchorSim + (this.realNow() - this.anchorReal) * this.scale);
  }

  get timeScale(): number {
    return this.scale;
  }

  set timeScale(value: number) {
    const current = this.now();
    this.anchorReal = this.realNow();
    this.anchorSim = current;
    this.scale = checkScale(value);
  }

  /** Jump simulated time forward (never backward: runs would un-finish). */
  advance(ms: number): void {
    if (!Number.isFinite(ms) || ms < 0) throw new RangeError(`SimClock.advance needs a finite ms >= 0, got ${ms}`);
    this.anchorSim += ms;
  }

  /** Simulated time → real ms from now (for callers that want to wait in real time). */
  realDelayUntil(simMs: number): number {
    if (this.scale === 0) return Number.POSITIVE_INFINITY;
    return Math.max(0, (simMs - this.now()) / this.scale);
  }
}

function checkScale(value: number): number {
  if (!Number.isFinite(value) || value < 0) throw new RangeError(`timeScale must be a finite number >= 0, got ${value}`);
  return value;
}

/**
 * Virtual time for tests that drive the engine, a waiter or a schedule: every sleep returns at once (after one
 * turn of the event loop, so other work can run) and moves the clock; `gaps` records each sleep.
 */
import type { Clock } from '../../src/core/clock.js';

export class FakeClock implements Clock {
  readonly gaps: number[] = [];

  constructor(
    public t = 1_700_000_000_000,
    private readonly start = t,
  ) {}

  now(): number {
    return this.t;
  }

  async sleep(ms: number, signal?: AbortSignal): Promise<void> {
    signal?.throwIfAborted();
    this.gaps.push(ms);
    this.t += Math.max(0, ms);
    await new Promise((resolve) => setImmediate(resolve));
    signal?.throwIfAborted();
  }

  /** Seconds since the clock was made. */
  get seconds(): number {
    return (this.t - this.start) / 1000;
  }
}

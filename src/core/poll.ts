/**
 * When to read next. Waiting is data, as in the AWS SDK waiters: a schedule of gaps, a deadline and an
 * abort signal; what a status means lives in the providers' status tables.
 *
 * The default schedule starts with a short first read (a run that ends within seconds is noticed within
 * about two seconds) and grows the gap geometrically up to `poll-interval`, the longest gap ever allowed.
 */
import type { Clock } from './clock.js';

export interface PollScheduleOptions {
  /** `poll-interval`: the longest gap between two reads. */
  maxDelayMs: number;
  /** The first gap (default 1 s, never more than maxDelayMs). */
  firstDelayMs?: number;
  /** Growth of the gap per read (default 1.5). */
  factor?: number;
}

export class PollSchedule {
  private gap: number;
  private readonly max: number;
  private readonly factor: number;

  constructor(options: PollScheduleOptions) {
    this.max = Math.max(1, options.maxDelayMs);
    this.gap = Math.min(options.firstDelayMs ?? 1000, this.max);
    this.factor = options.factor ?? 1.5;
  }

  /** The gap before the next read; each call moves the schedule on. */
  next(): number {
    const current = this.gap;
    this.gap = Math.min(this.max, Math.ceil(this.gap * this.factor));
    return current;
  }

  /** Start again from the short first gap (e.g. after a status change). */
  reset(firstDelayMs: number): void {
    this.gap = Math.min(firstDelayMs, this.max);
  }
}

export class DeadlineError extends Error {
  constructor(message = 'deadline reached') {
    super(message);
    this.name = 'DeadlineError';
  }
}

export interface PollOptions {
  schedule: PollSchedule;
  clock: Clock;
  /** Epoch ms on `clock`; the loop never sleeps past it. */
  deadline: number;
  signal?: AbortSignal;
}

/**
 * Calls `read` until it returns a value other than undefined, sleeping by the schedule in between.
 * Throws DeadlineError when the deadline passes first, or the signal's reason when it aborts.
 */
export async function pollUntil<T>(read: () => Promise<T | undefined>, options: PollOptions): Promise<T> {
  const { schedule, clock, deadline, signal } = options;
  for (;;) {
    signal?.throwIfAborted();
    const value = await read();
    if (value !== undefined) return value;
    const left = deadline - clock.now();
    if (left <= 0) throw new DeadlineError();
    await clock.sleep(Math.min(schedule.next(), left), signal);
  }
}

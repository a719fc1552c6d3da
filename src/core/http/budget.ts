/**
 * The step's request budget: one per step (one platform, one key), shared by every request the step sends to
 * the platform's API, whatever the target and the phase (resolve, baseline, trigger, status, logs, comments).
 * Targets that start together queue through it instead of colliding into 429s.
 *
 * A schedule in the manner of GCRA (a token bucket whose requests queue rather than fail): requests go one
 * `gapMs` apart, with up to `burst` of them ahead of that pace. The pace starts from the platform's documented
 * limit (Qarion: 60 a minute per key) and is corrected by the rate-limit headers of every answer: what remains
 * is spread evenly over the time until the reset, long before it is nearly spent, and never faster than the
 * headers' limit over the server's window. The burst is a quarter of what remains beyond a reserve of a
 * tenth of the limit (at most REQUEST_BURST), so it shrinks as the budget does and is gone near the end. A
 * 429's `Retry-After` holds every request of the step, not only the one answered. With neither a documented
 * limit nor headers, nothing is paced.
 */
import type { Clock } from '../clock.js';
import type { RateLimitInfo } from './rate-limit.js';

/** A platform's documented request limit for one key: `requests` per `perMs`. */
export interface RequestLimit {
  requests: number;
  perMs: number;
}

/** Requests that may go at once, ahead of the steady pace (a step's start: a few targets' first reads). */
export const REQUEST_BURST = 10;

/** The longest a request is held back to spread the budget (a Retry-After is honoured by the retry loop). */
const MAX_PACING_MS = 60_000;

/** The burst out of `available` requests: a quarter of them, at most REQUEST_BURST, at least 1 (no burst). */
function burstOf(available: number): number {
  return Math.max(1, Math.min(REQUEST_BURST, Math.floor(available / 4)));
}

export interface BudgetWait {
  /** How long to wait before sending (0: at once). */
  waitMs: number;
  /** Why it waits, for the debug log: a 429's Retry-After, the documented limit, or what the headers say remains. */
  reason?: string;
}

interface Pace {
  gapMs: number;
  burst: number;
}

export class RequestBudget {
  /** The pace from the documented limit (gap 0: none documented). */
  private readonly documented: Pace;
  /** The longest time to a reset the headers have shown: about the length of the server's window. */
  private windowMs = 0;
  /** The pace from the last headers, until `headersUntil` (their reset). */
  private fromHeaders: (Pace & { remaining: number }) | undefined;
  private headersUntil = 0;
  /** The pace in force: what `tat` was counted in. */
  private pace: Pace;
  /** GCRA's theoretical arrival time: when every request handed out so far would have gone at the steady pace. */
  private tat: number;
  /** Send time of the latest request handed out. */
  private lastSendAt = -Infinity;
  /** No request before this (a 429's Retry-After, or a spent budget's reset). */
  private notBefore = 0;

  constructor(
    private readonly clock: Clock,
    limit?: RequestLimit,
  ) {
    const valid = limit !== undefined && limit.requests >= 1 && limit.perMs > 0;
    this.documented = valid
      ? { gapMs: limit.perMs / limit.requests, burst: burstOf(limit.requests) }
      : { gapMs: 0, burst: REQUEST_BURST };
    this.pace = this.documented;
    this.tat = clock.now();
  }

  /** The steady gap between requests now in force (ms; 0 when nothing paces). */
  get gapMs(): number {
    return this.current(this.clock.now()).gapMs;
  }

  /**
   * A place in the schedule for one request: how long it waits before it is sent (never past `deadline`, and
   * at most a minute). Every call takes a place, so concurrent requests queue one gap apart.
   */
  take(deadline?: number): BudgetWait {
    const now = this.clock.now();
    const pace = this.current(now);
    const tolerance = (pace.burst - 1) * pace.gapMs;
    const sendAt = Math.max(now, this.notBefore, this.tat - tolerance);
    this.tat = Math.max(this.tat, sendAt) + pace.gapMs;
    this.lastSendAt = Math.max(this.lastSendAt, sendAt);
    const waitMs = Math.max(0, Math.round(Math.min(sendAt - now, MAX_PACING_MS, (deadline ?? Infinity) - now)));
    if (waitMs <= 0) return { waitMs };
    const reason =
      sendAt === this.notBefore
        ? 'held by an earlier 429 or a spent budget'
        : this.fromHeaders
          ? `${this.fromHeaders.remaining} left until the reset`
          : "the platform's documented limit";
    return { waitMs, reason };
  }

  /** Corrects the pace from an answer's rate-limit headers (rate-limit.ts reads them). */
  note(info: RateLimitInfo | undefined): void {
    const now = this.clock.now();
    if (info?.remaining === undefined || info.resetAtMs === undefined || info.resetAtMs <= now) return;
    const { remaining, resetAtMs } = info;
    if (remaining <= 0) {
      // Spent: nothing until the reset; then the documented pace until the next answer says more.
      this.notBefore = Math.max(this.notBefore, resetAtMs);
      this.fromHeaders = undefined;
      this.headersUntil = 0;
      this.repace(now, this.documented);
      return;
    }
    const reserve = Math.max(1, Math.ceil((info.limit ?? 0) / 10));
    // Never faster than the headers' limit spread over the window (as long as the longest time to a reset
    // seen): a window that ends with much left is not rushed, and a server that counts a sliding window is
    // not surprised.
    this.windowMs = Math.max(this.windowMs, resetAtMs - now);
    const steadyMs = info.limit !== undefined && info.limit > 0 ? this.windowMs / info.limit : 0;
    this.fromHeaders = { gapMs: Math.max((resetAtMs - now) / remaining, steadyMs), burst: burstOf(remaining - reserve), remaining };
    this.headersUntil = resetAtMs;
    this.repace(now, this.fromHeaders);
  }

  /** No request of the step before `untilMs` (a 429's Retry-After). */
  hold(untilMs: number): void {
    this.notBefore = Math.max(this.notBefore, untilMs);
  }

  /** The pace in force at `now`: the headers' until their reset, then the documented one. */
  private current(now: number): Pace {
    if (this.fromHeaders && now >= this.headersUntil) {
      this.fromHeaders = undefined;
      this.repace(now, this.documented);
    }
    return this.pace;
  }

  /**
   * A new pace: the requests already counted ahead of now are counted again at the new gap (a faster pace
   * pulls the queue in, a slower one pushes it out), and the next request goes at least one new gap after the
   * latest one handed out.
   */
  private repace(now: number, pace: Pace): void {
    const ahead = this.pace.gapMs > 0 ? Math.max(0, this.tat - now) / this.pace.gapMs : 0;
    this.tat = Math.max(now + ahead * pace.gapMs, this.lastSendAt + pace.gapMs);
    this.pace = pace;
  }
}

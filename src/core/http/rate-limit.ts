/**
 * Rate limits: `Retry-After` in its three forms, and the `X-RateLimit-*` (or `RateLimit-*`) headers of every
 * answer, which the step's request budget (budget.ts) paces by, so the client spaces out its requests before
 * the server has to answer 429. Also the server's own clock (its `Date` header), for ages measured on the
 * platform's clock.
 */
import type { Clock } from '../clock.js';

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];
const IMF_FIXDATE = /^[a-z]{3}, (\d{1,2}) ([a-z]{3}) (\d{4}) (\d{2}):(\d{2}):(\d{2}) gmt$/i;
const RFC850_DATE = /^[a-z]+, (\d{1,2})-([a-z]{3})-(\d{2}) (\d{2}):(\d{2}):(\d{2}) gmt$/i;
const ASCTIME_DATE = /^[a-z]{3} ([a-z]{3}) +(\d{1,2}) (\d{2}):(\d{2}):(\d{2}) (\d{4})$/i;

/**
 * `Retry-After` as milliseconds from `nowMs` (never negative): delta-seconds or one of the three HTTP-date
 * forms. Anything else is undefined; `Date.parse` is not used because it accepts almost any text.
 */
export function parseRetryAfter(value: string | undefined, nowMs: number): number | undefined {
  if (value === undefined) return undefined;
  const text = value.trim();
  if (/^\d+$/.test(text)) {
    const ms = Number(text) * 1000;
    return Number.isFinite(ms) ? ms : undefined;
  }
  let parts: [day: string, month: string, year: string, h: string, m: string, s: string] | undefined;
  let match = IMF_FIXDATE.exec(text);
  if (match) parts = [match[1]!, match[2]!, match[3]!, match[4]!, match[5]!, match[6]!];
  else if ((match = RFC850_DATE.exec(text))) {
    // RFC 9110: a two-digit year more than 50 years in the future means the previous century.
    const yy = Number(match[3]);
    const thisYear = new Date(nowMs).getUTCFullYear();
    let year = Math.floor(thisYear / 100) * 100 + yy;
    if (year > thisYear + 50) year -= 100;
    parts = [match[1]!, match[2]!, String(year), match[4]!, match[5]!, match[6]!];
  } else if ((match = ASCTIME_DATE.exec(text))) {
    parts = [match[2]!, match[1]!, match[6]!, match[3]!, match[4]!, match[5]!];
  }
  if (!parts) return undefined;
  const month = MONTHS.indexOf(parts[1].toLowerCase());
  const [day, hour, minute, second] = [Number(parts[0]), Number(parts[3]), Number(parts[4]), Number(parts[5])];
  if (month < 0 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60) return undefined;
  const at = Date.UTC(Number(parts[2]), month, day, hour, minute, second);
  return Number.isFinite(at) ? Math.max(0, at - nowMs) : undefined;
}

export interface RateLimitInfo {
  limit?: number;
  remaining?: number;
  resetAtMs?: number;
}

export class RateLimiter {
  private limits: RateLimitInfo | undefined;
  private lastServerDate: { serverMs: number; seenAtMs: number } | undefined;

  constructor(private readonly clock: Clock) {}

  /** The last rate-limit headers seen. */
  get info(): RateLimitInfo | undefined {
    return this.limits ? { ...this.limits } : undefined;
  }

  /**
   * The server's clock at its last answer (the `Date` header, UTC), corrected for the time since: the
   * platform's own "now", for ages measured on the platform's clock (mode check).
   */
  serverNow(): number | undefined {
    if (this.lastServerDate === undefined) return undefined;
    return this.lastServerDate.serverMs + (this.clock.now() - this.lastServerDate.seenAtMs);
  }

  /**
   * Reads the budget (and the server's date) from an answer's headers (lower-case names); returns it, or
   * undefined when the answer carries no rate-limit header.
   */
  note(headers: Record<string, string>): RateLimitInfo | undefined {
    const date = headers['date'] ? Date.parse(headers['date']) : NaN;
    if (!Number.isNaN(date)) this.lastServerDate = { serverMs: date, seenAtMs: this.clock.now() };
    const read = (name: string): number | undefined => {
      const raw = headers[`x-ratelimit-${name}`] ?? headers[`ratelimit-${name}`];
      if (raw === undefined) return undefined;
      const value = Number((raw.split(',')[0] ?? '').trim());
      return raw.trim() !== '' && Number.isFinite(value) && value >= 0 ? value : undefined;
    };
    const limit = read('limit');
    const remaining = read('remaining');
    const reset = read('reset');
    if (limit === undefined && remaining === undefined && reset === undefined) return undefined;
    const info: RateLimitInfo = {};
    if (limit !== undefined) info.limit = limit;
    if (remaining !== undefined) info.remaining = remaining;
    // A reset as epoch seconds (some platforms) or as seconds from now (others).
    if (reset !== undefined) info.resetAtMs = reset > 1e9 ? reset * 1000 : this.clock.now() + reset * 1000;
    this.limits = info;
    return { ...info };
  }

  /**
   * How long to wait after a 429 or 503: its `Retry-After`, else (429 with the budget spent) until the budget
   * resets; undefined when neither says.
   */
  retryAfter(status: number, headers: Record<string, string>): number | undefined {
    let retryAfterMs: number | undefined;
    if (status === 429 || status === 503) retryAfterMs = parseRetryAfter(headers['retry-after'], this.clock.now());
    if (status === 429 && retryAfterMs === undefined && this.limits?.remaining === 0 && this.limits.resetAtMs !== undefined) {
      retryAfterMs = Math.max(0, this.limits.resetAtMs - this.clock.now());
    }
    return retryAfterMs;
  }
}

/**
 * Fault injection (apis.md §4.0): a rule matches requests by platform, method and path, lets the first
 * `skip` matches through, then applies its fault `times` times.
 */
import { matchesFilter } from './journal.js';

export type FaultKind =
  | 'status'
  | 'refuse'
  | 'reset'
  | 'reset-mid-body'
  | 'slow'
  | 'malformed-json'
  | 'html'
  | 'empty'
  | 'apply-then-reset'
  /**
   * The module applies the request (e.g. starts a run), then the answer is replaced by `status` (default 502;
   * also 504): a gateway that lost the upstream answer after the server acted on it (apis.md §4.0: "a trigger
   * that the server applies but whose answer times out at the client"; issue: 502/504 after a POST was applied).
   */
  | 'apply-then-status'
  | 'redirect'
  | 'rate-limit';

export interface FaultRule {
  platform?: string;
  method?: string;
  /** Exact pathname, or a RegExp tested against the pathname. */
  path?: string | RegExp;
  /** Let the first N matching requests through untouched. */
  skip?: number;
  /** How many matching requests (after the skipped ones) get the fault. Default 1; Infinity allowed. */
  times?: number;
  kind: FaultKind;
  /**
   * 'status': the status to answer (default 503); 'apply-then-status': the status answered after the request
   * was applied (default 502). Also overrides the status of 'html', 'malformed-json', 'redirect'.
   */
  status?: number;
  /** Extra headers. For 'rate-limit' they REPLACE the default `Retry-After: 1` (pass {} for a 429 without it). */
  headers?: Record<string, string>;
  body?: string;
  /** 'slow': real milliseconds to wait before handling the request. */
  delayMs?: number;
  /** 'redirect': the Location header. */
  location?: string;
}

interface ActiveRule {
  id: string;
  rule: FaultRule;
  seen: number;
  applied: number;
}

export interface AppliedFault {
  id: string;
  rule: FaultRule;
}

export class Faults {
  private rules: ActiveRule[] = [];
  private nextId = 1;

  /** Adds a rule; returns its id (for `remove`). Rules are tried in the order they were added. */
  add(rule: FaultRule): string {
    const times = rule.times ?? 1;
    if (!(times > 0)) throw new RangeError(`fault times must be > 0, got ${times}`);
    if ((rule.skip ?? 0) < 0) throw new RangeError(`fault skip must be >= 0, got ${rule.skip}`);
    if (rule.kind === 'redirect' && !rule.location) throw new TypeError("a 'redirect' fault needs a location");
    const id = `fault-${this.nextId++}`;
    this.rules.push({ id, rule: { ...rule }, seen: 0, applied: 0 });
    return id;
  }

  remove(id: string): void {
    this.rules = this.rules.filter((r) => r.id !== id);
  }

  clear(): void {
    this.rules = [];
  }

  /** How many times the rule has been applied so far. */
  appliedCount(id: string): number {
    return this.rules.find((r) => r.id === id)?.applied ?? 0;
  }

  /**
   * Finds the fault for this request, consuming one use of it. Every matching rule counts the request
   * (so `skip` means "the first N matching requests"), but only the first applicable rule is applied.
   */
  take(request: { platform: string; method: string; path: string }): AppliedFault | undefined {
    let chosen: ActiveRule | undefined;
    for (const active of this.rules) {
      if (!matchesFilter(active.rule, request)) continue;
      active.seen++;
      if (chosen) continue;
      if (active.seen <= (active.rule.skip ?? 0)) continue;
      if (active.applied >= (active.rule.times ?? 1)) continue;
      active.applied++;
      chosen = active;
    }
    return chosen ? { id: chosen.id, rule: chosen.rule } : undefined;
  }
}

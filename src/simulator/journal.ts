/**
 * The request journal: every request the simulator saw, including faulted and refused ones.
 * Tests use it to assert "exactly one trigger POST", "the key was redacted", "nothing left loopback"
 * (apis.md §4.0 "Request journal").
 */
export interface JournalEntry {
  /** 1, 2, 3… in arrival order. */
  seq: number;
  realTimeMs: number;
  simTimeMs: number;
  /** Name of the module that claimed the request ('none' when no module did). */
  platform: string;
  method: string;
  /** URL pathname, still percent-encoded as sent. */
  path: string;
  query: Record<string, string>;
  /** Lower-case names; secret values replaced by '<redacted>'. */
  headers: Record<string, string>;
  /** Names of the auth headers present (lower-case), e.g. ['x-api-key']. */
  authHeaders: string[];
  body: string;
  /** The status the client saw; 0 when no status line was sent (refuse, reset, apply-then-reset). */
  status: number;
  /** Fault kind applied to this request, if any. */
  fault?: string;
  /** Status the module produced when a fault ran the module but hid its answer (apply-then-reset, reset-mid-body). */
  handledStatus?: number;
}

export interface JournalFilter {
  platform?: string;
  method?: string;
  path?: string | RegExp;
}

/** Headers whose values are secrets on at least one platform. */
export const AUTH_HEADER_NAMES: readonly string[] = [
  'x-api-key',
  'authorization',
  'x-planasonix-api-key',
  'x-planasonix-key',
];

export const REDACTED = '<redacted>';

export function redactHeaders(raw: Record<string, string | string[] | undefined>): {
  headers: Record<string, string>;
  authHeaders: string[];
} {
  const headers: Record<string, string> = {};
  const authHeaders: string[] = [];
  for (const [name, value] of Object.entries(raw)) {
    if (value === undefined) continue;
    const lower = name.toLowerCase();
    if (AUTH_HEADER_NAMES.includes(lower)) {
      headers[lower] = REDACTED;
      authHeaders.push(lower);
    } else {
      headers[lower] = Array.isArray(value) ? value.join(', ') : value;
    }
  }
  return { headers, authHeaders };
}

export function matchesPath(pattern: string | RegExp | undefined, path: string): boolean {
  if (pattern === undefined) return true;
  if (typeof pattern === 'string') return pattern === path;
  pattern.lastIndex = 0; // a /g regex keeps state between test() calls
  return pattern.test(path);
}

export function matchesFilter(filter: JournalFilter | undefined, entry: Pick<JournalEntry, 'platform' | 'method' | 'path'>): boolean {
  if (!filter) return true;
  if (filter.platform !== undefined && filter.platform !== entry.platform) return false;
  if (filter.method !== undefined && filter.method.toUpperCase() !== entry.method.toUpperCase()) return false;
  return matchesPath(filter.path, entry.path);
}

export class Journal {
  private readonly list: JournalEntry[] = [];
  private nextSeq = 1;

  /** Adds an entry (status 0 until the server fills it in) and returns it, so the server can complete it. */
  record(entry: Omit<JournalEntry, 'seq'>): JournalEntry {
    const full: JournalEntry = { seq: this.nextSeq++, ...entry };
    this.list.push(full);
    return full;
  }

  /** Copies of the entries, oldest first. */
  entries(filter?: JournalFilter): JournalEntry[] {
    return this.list.filter((e) => matchesFilter(filter, e)).map((e) => ({ ...e, headers: { ...e.headers }, query: { ...e.query }, authHeaders: [...e.authHeaders] }));
  }

  count(filter?: JournalFilter): number {
    return this.list.filter((e) => matchesFilter(filter, e)).length;
  }

  clear(): void {
    this.list.length = 0;
  }
}

/** What a caller tells the HTTP client (client.ts), and what it gets back. */
import type { Clock } from '../clock.js';
import type { ProxySettings } from '../settings.js';
import type { RequestBudget } from './budget.js';
import type { Phase } from './errors.js';

/**
 * 'safe': reads and idempotent POSTs, retried on network errors, timeouts, 5xx (but 501), 408, 429 and
 * unparseable JSON. 'unsafe': retried only when the server surely did not act (refused connection, DNS
 * failure, 429); any other failure throws at once with `mayHaveApplied: true`.
 */
export type RetryPolicy = 'safe' | 'unsafe';

export interface HttpClientOptions {
  /** API root, e.g. https://acme.odq.timextender.com or http://127.0.0.1:4567/v1 (may include a path prefix). */
  baseUrl: string;
  /** Sent only to the baseUrl's origin (e.g. the API key). */
  headers?: Record<string, string>;
  /** Per request, headers and body together (default 30000). */
  requestTimeoutMs?: number;
  retry?: { maxAttempts?: number; baseDelayMs?: number; maxDelayMs?: number };
  /** Explicit proxy (Azure agent); when absent, HTTPS_PROXY/HTTP_PROXY/NO_PROXY from `env` apply. */
  proxy?: ProxySettings;
  /** Default process.env. */
  env?: Record<string, string | undefined>;
  /** Default 'orchestration-run'. */
  userAgent?: string;
  /** Epoch ms (clock time); no retry waits past it. */
  deadline?: () => number | undefined;
  /** Aborts everything (cancellation). */
  signal?: AbortSignal;
  /** Default systemClock; every wait goes through clock.sleep. */
  clock?: Clock;
  /** Default Math.random (full jitter). */
  random?: () => number;
  /** Debug lines. */
  log?: (message: string) => void;
  /**
   * Lines for the normal log: every resend of a request that changes something (a POST, a DELETE) is
   * reported there, not only in debug output (product spec: one step, one load).
   */
  notice?: (message: string) => void;
  /** Masked (***) in every error message, raw, URI-encoded and base64. */
  secrets?: string[];
  /**
   * The step's request budget, shared by every client of the step for the same API and key (budget.ts);
   * default: one of this client's own, paced by the answers' rate-limit headers only.
   */
  budget?: RequestBudget;
}

export interface RequestOptions {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** Relative to baseUrl (appended to its path) or an absolute URL. */
  path: string;
  /** Undefined values are skipped. */
  query?: Record<string, string | number | boolean | undefined>;
  headers?: Record<string, string>;
  /** Serialised as the body with Content-Type: application/json. */
  json?: unknown;
  retry: RetryPolicy;
  phase: Phase;
  /** Default 'json': parsed inside the retry loop. 'none' reads and ignores the body. */
  expect?: 'json' | 'text' | 'none';
  timeoutMs?: number;
  /** Default true: add the client's headers. False: send none of them (e.g. a pre-signed log URL). */
  auth?: boolean;
  signal?: AbortSignal;
  /** Non-2xx statuses returned instead of thrown (e.g. [404] when the caller handles it). */
  okStatuses?: number[];
}

export interface HttpResponse<T = unknown> {
  status: number;
  /** Lower-case names. */
  headers: Record<string, string>;
  /** Lower-case media type without parameters, '' if none. */
  contentType: string;
  /** Raw body ('' for expect 'none'). */
  text: string;
  /** Parsed JSON for expect 'json' (undefined for an empty body), otherwise undefined. */
  data: T;
}

export interface StreamResponse {
  status: number;
  headers: Record<string, string>;
  contentType: string;
  /** Must be consumed (or broken out of) by the caller; errors are ApiErrors. */
  body: AsyncIterable<Buffer>;
}

/**
 * Errors of the HTTP client: one ApiError per failed call, whose message is one sanitised line
 * ("<phase>: <METHOD> <path> <what happened>"), and the classification of each failed attempt: worth a retry
 * or not, and whether the server may have acted on it (`mayHaveApplied`).
 */
import { STATUS_CODES } from 'node:http';
import { errorText } from '../text.js';
import { HTML_PAGE, describeProblem, extractProblem, htmlTitle, looksLikeHtml } from './problem.js';
import type { ServerText } from './server-text.js';

export type Phase = 'resolve' | 'baseline' | 'trigger' | 'find' | 'follow' | 'logs' | 'cancel' | 'check' | 'comment';

export type ApiErrorKind = 'http' | 'network' | 'timeout' | 'parse' | 'redirect' | 'aborted' | 'config';

export interface ApiProblem {
  title?: string;
  detail?: string;
  traceId?: string;
  code?: string;
  type?: string;
  errors?: string[];
}

export interface ApiErrorInit {
  kind: ApiErrorKind;
  phase: Phase;
  method: string;
  path: string;
  status?: number;
  problem?: ApiProblem;
  bodyText?: string;
  mayHaveApplied: boolean;
  attempts: number;
  retryAfterMs?: number;
  cause?: unknown;
}

export class ApiError extends Error {
  kind: ApiErrorKind;
  phase: Phase;
  method: string;
  /** Without query string and origin. */
  path: string;
  status?: number;
  problem?: ApiProblem;
  /** First 500 chars of the body, control characters removed, secrets masked. */
  bodyText?: string;
  /** False only when the server surely did not act (refused connection, DNS, 429, 4xx other than 408). */
  mayHaveApplied: boolean;
  attempts: number;
  retryAfterMs?: number;

  constructor(message: string, init: ApiErrorInit) {
    super(message, init.cause === undefined ? undefined : { cause: init.cause });
    this.name = 'ApiError';
    this.kind = init.kind;
    this.phase = init.phase;
    this.method = init.method;
    this.path = init.path;
    this.mayHaveApplied = init.mayHaveApplied;
    this.attempts = init.attempts;
    if (init.status !== undefined) this.status = init.status;
    if (init.problem !== undefined) this.problem = init.problem;
    if (init.bodyText !== undefined) this.bodyText = init.bodyText;
    if (init.retryAfterMs !== undefined) this.retryAfterMs = init.retryAfterMs;
  }
}

/** One failed attempt, before it becomes an ApiError. */
export interface Failure {
  kind: ApiErrorKind;
  /** Completes "<phase>: <METHOD> <path> …". */
  what: string;
  /** Short form for the retry log line. */
  brief: string;
  /** Worth another attempt under 'safe' (under 'unsafe' only when mayHaveApplied is false). */
  retryable: boolean;
  mayHaveApplied: boolean;
  status?: number;
  problem?: ApiProblem;
  bodyText?: string;
  retryAfterMs?: number;
  cause?: unknown;
}

/** Errors raised before the request left the machine: the server cannot have acted on it. */
const NOT_SENT: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ENOTFOUND: 'host not found (DNS)',
  EAI_AGAIN: 'DNS lookup failed',
  UND_ERR_CONNECT_TIMEOUT: 'could not connect in time',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
};

const NETWORK_TEXT: Record<string, string> = {
  ECONNRESET: 'connection reset by the server',
  UND_ERR_SOCKET: 'connection closed by the server',
  EPIPE: 'connection closed by the server while sending',
  ETIMEDOUT: 'connection timed out',
  UND_ERR_RES_CONTENT_LENGTH_MISMATCH: 'the answer was cut short',
};

const TLS_CODES = /^(CERT_|ERR_TLS_|UNABLE_TO_|DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN|ERR_SSL_)/;

function errorCode(err: unknown): string | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  // Node puts the code on the error, on the first of an AggregateError (happy eyeballs) or on the cause.
  const e = err as { code?: unknown; cause?: { code?: unknown }; errors?: Array<{ code?: unknown }> };
  const code = e.code ?? e.errors?.[0]?.code ?? e.cause?.code;
  return typeof code === 'string' ? code : undefined;
}

export function seconds(ms: number): string {
  const s = ms / 1000;
  return Number.isInteger(s) ? `${s}s` : `${s.toFixed(1)}s`;
}

/** What an attempt needs to know about its request to describe a failure. */
export interface AttemptContext {
  url: URL;
  timeoutMs: number;
  aborted: boolean;
}

/**
 * A non-2xx answer. `retryAfterMs`: what the server (or the rate-limit budget) asked to wait, for 429/503.
 * Redirects are never followed, so the key is never sent elsewhere.
 */
export function statusFailure(
  answer: { status: number; headers: Record<string, string>; contentType: string; text: string },
  context: AttemptContext,
  text: ServerText,
  retryAfterMs: number | undefined,
): Failure {
  const { status, headers, contentType } = answer;
  const statusText = STATUS_CODES[status] ?? '';
  const label = statusText ? `${status} ${statusText}` : String(status);
  const bodyText = answer.text ? text.excerpt(answer.text) : undefined;
  if (status >= 300 && status <= 399) {
    let target = 'an unreadable Location';
    if (headers.location !== undefined) {
      try {
        target = text.line(new URL(headers.location, context.url).origin, 200);
      } catch {
        // keep the generic wording
      }
    } else {
      target = 'nowhere (no Location)';
    }
    return {
      kind: 'redirect',
      what: `answered ${status} redirect to ${target}: redirects are not followed, so the key is never sent elsewhere`,
      brief: `answered ${status}`,
      retryable: false,
      mayHaveApplied: true,
      status,
      ...(bodyText !== undefined && { bodyText }),
    };
  }
  const problem = extractProblem(contentType, answer.text, text);
  const summary = describeProblem(problem, statusText);
  return {
    kind: 'http',
    what: `answered ${label}${summary}`,
    brief: `answered ${status}`,
    retryable: status === 408 || status === 429 || (status >= 500 && status <= 599 && status !== 501),
    mayHaveApplied: !(status === 429 || (status >= 400 && status <= 499 && status !== 408)),
    status,
    ...(problem !== undefined && { problem }),
    ...(bodyText !== undefined && { bodyText }),
    ...(retryAfterMs !== undefined && { retryAfterMs }),
  };
}

/** A 2xx answer whose body is not the JSON asked for (often a proxy's HTML page). */
export function parseFailure(status: number, contentType: string, body: string, err: unknown, text: ServerText): Failure {
  const bodyText = text.excerpt(body);
  if (looksLikeHtml(contentType, body)) {
    const title = htmlTitle(body);
    const detail = title ? `${HTML_PAGE}: ${text.line(title, 200)}` : HTML_PAGE;
    return {
      kind: 'parse',
      what: `answered an HTML page (probably a proxy or gateway error page)${title ? `: ${text.line(title, 200)}` : ''}`,
      brief: 'answered an HTML page',
      retryable: true,
      mayHaveApplied: true,
      status,
      problem: { detail },
      bodyText,
      cause: err,
    };
  }
  const reason = errorText(err);
  return {
    kind: 'parse',
    what: `answered malformed JSON: ${text.line(reason, 200)}`,
    brief: 'answered malformed JSON',
    retryable: true,
    mayHaveApplied: true,
    status,
    bodyText,
    cause: err,
  };
}

/** A request that got no (whole) answer: cancelled, timed out, refused, reset, TLS, a closed client. */
export function errorFailure(err: unknown, context: AttemptContext, timedOut: boolean, answered: boolean, text: ServerText): Failure {
  if (context.aborted) {
    return { kind: 'aborted', what: 'was cancelled', brief: 'was cancelled', retryable: false, mayHaveApplied: true, cause: err };
  }
  const code = errorCode(err);
  if (timedOut || code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT') {
    const what = answered && code === 'UND_ERR_BODY_TIMEOUT'
      ? `timed out: the answer stalled for ${seconds(context.timeoutMs)}`
      : `timed out after ${seconds(context.timeoutMs)}`;
    return { kind: 'timeout', what, brief: what, retryable: true, mayHaveApplied: true, cause: err };
  }
  const message = text.line(errorText(err), 200);
  if (code !== undefined && NOT_SENT[code] !== undefined) {
    const what = `failed: ${NOT_SENT[code]} (${code})`;
    return { kind: 'network', what, brief: what, retryable: true, mayHaveApplied: false, cause: err };
  }
  if (code !== undefined && TLS_CODES.test(code)) {
    const what = `failed: TLS certificate problem (${code}): ${message}`;
    return { kind: 'network', what, brief: what, retryable: false, mayHaveApplied: false, cause: err };
  }
  if (code === 'UND_ERR_INVALID_ARG' || code?.startsWith('ERR_INVALID')) {
    // Also undici's "Proxy Authentication Required (407)", raised as an invalid argument.
    const what = `failed: ${message}${code ? ` (${code})` : ''}`;
    return { kind: 'config', what, brief: what, retryable: false, mayHaveApplied: false, cause: err };
  }
  if (code === 'UND_ERR_DESTROYED' || code === 'UND_ERR_CLOSED') {
    const what = 'failed: the HTTP client was closed';
    return { kind: 'network', what, brief: what, retryable: false, mayHaveApplied: true, cause: err };
  }
  const detail = code !== undefined && NETWORK_TEXT[code] !== undefined
    ? `${NETWORK_TEXT[code]} (${code})`
    : `${message || 'network error'}${code ? ` (${code})` : ''}`;
  const what = `failed: ${detail}${answered ? ' while reading the answer' : ''}`;
  return { kind: 'network', what, brief: what, retryable: true, mayHaveApplied: true, cause: err };
}

/** The call's ApiError from its last failure. */
export function apiError(
  call: { phase: Phase; method: string; path: string },
  failure: Failure,
  attempts: number,
  mayHaveApplied: boolean,
  suffix = '',
): ApiError {
  const tail = attempts > 1 ? ` after ${attempts} attempts` : '';
  return new ApiError(`${call.phase}: ${call.method} ${call.path} ${failure.what}${suffix}${tail}`, {
    kind: failure.kind,
    phase: call.phase,
    method: call.method,
    path: call.path,
    mayHaveApplied,
    attempts,
    ...(failure.status !== undefined && { status: failure.status }),
    ...(failure.problem !== undefined && { problem: failure.problem }),
    ...(failure.bodyText !== undefined && { bodyText: failure.bodyText }),
    ...(failure.retryAfterMs !== undefined && { retryAfterMs: failure.retryAfterMs }),
    ...(failure.cause !== undefined && { cause: failure.cause }),
  });
}

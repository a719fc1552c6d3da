/**
 * The one HTTP client of the product.
 *
 * Every call to a platform goes through `HttpClient`: one keep-alive pool per client, a per-request timeout,
 * retries with exponential backoff and full jitter (honouring `Retry-After` and the overall deadline),
 * client-side pacing from `X-RateLimit-*` headers, proxies, and errors that read as one sanitised line.
 *
 * Two safety rules shape the code:
 * - the API key (`options.headers`) only ever goes to the API root's origin: redirects are never followed and
 *   absolute URLs to another origin are sent without it;
 * - a request that must not run twice (`retry: 'unsafe'`) is only sent again when the server surely did not
 *   act on it; otherwise the error says `mayHaveApplied` and the caller decides (e.g. looks for the new run).
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { STATUS_CODES } from 'node:http';
import { Agent, ProxyAgent, request as undiciRequest, type Dispatcher } from 'undici';
import { systemClock, type Clock } from '../clock.js';
import type { ProxySettings } from '../settings.js';
import { isLoopbackHost } from '../urls.js';

export type Phase = 'resolve' | 'baseline' | 'trigger' | 'find' | 'follow' | 'logs' | 'cancel' | 'check' | 'comment';

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

/**
 * The abort signal of the work in progress (one target of a step), so a target stopped by fail-fast or a
 * cancellation also stops its request in flight, without every provider call passing a signal along.
 */
export const requestScope = new AsyncLocalStorage<{ signal?: AbortSignal }>();

// ---------------------------------------------------------------------------------------------------------
// Small exported helpers

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

export { isLoopbackHost } from '../urls.js';

/** Only https, or http to a loopback host (the simulator): the key never travels in clear text. */
export function assertAllowedUrl(url: URL): void {
  if (url.protocol === 'https:') return;
  if (url.protocol === 'http:' && isLoopbackHost(url.hostname)) return;
  const where = `${url.protocol}//${url.host}`;
  throw new ApiError(
    `refusing ${clean(where, [], 200)}: only https, or http to a loopback address, is allowed`,
    { kind: 'config', phase: 'resolve', method: '', path: url.pathname, mayHaveApplied: false, attempts: 0 },
  );
}

// ---------------------------------------------------------------------------------------------------------
// Sanitising server text (kept private so this module does not depend on untrusted.ts)

const ANSI_ESCAPE = /\u001b(?:\[[0-?]*[ -/]*[@-~]|\][^\u0007\u001b]*(?:\u0007|\u001b\\)?|[@-Z\\-_])/g;
// Control characters other than tab and newline, plus the invisible bidi and zero-width marks that can
// make a printed line read differently from what it contains.
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]/g;

function secretForms(secrets: readonly string[]): string[] {
  const forms = new Set<string>();
  for (const secret of secrets) {
    if (!secret) continue;
    forms.add(secret);
    forms.add(encodeURIComponent(secret));
    forms.add(Buffer.from(secret, 'utf8').toString('base64'));
    forms.add(Buffer.from(secret, 'utf8').toString('base64url'));
  }
  // Longest first, so a secret that contains another is masked whole.
  return [...forms].sort((a, b) => b.length - a.length);
}

function mask(text: string, forms: readonly string[]): string {
  let out = text;
  for (const form of forms) if (out.includes(form)) out = out.split(form).join('***');
  return out;
}

function truncate(text: string, max: number): string {
  if (text.length <= max) return text;
  let cut = text.slice(0, max - 1);
  if (/[\ud800-\udbff]$/.test(cut)) cut = cut.slice(0, -1);
  return `${cut}…`;
}

/** Server text made fit for a one-line message. Secrets are masked before truncating, so none is cut in half. */
function clean(text: string, forms: readonly string[], max = 300): string {
  const line = text
    .replace(ANSI_ESCAPE, '')
    .replace(/[\r\n\t\u2028\u2029]+/g, ' ')
    .replace(CONTROL, '')
    .replace(/ {2,}/g, ' ')
    .trim();
  return truncate(mask(line, forms), max);
}

/** The start of a body for `ApiError.bodyText`: line breaks kept, other control characters removed. */
function excerpt(text: string, forms: readonly string[], max = 500): string {
  // Mask over a window longer than the excerpt, so a secret straddling the cut is masked, not halved.
  const window = text.slice(0, max + (forms[0]?.length ?? 0));
  const stripped = window.replace(ANSI_ESCAPE, '').replace(/\r\n?/g, '\n').replace(CONTROL, '');
  return truncate(mask(stripped, forms), max);
}

// ---------------------------------------------------------------------------------------------------------
// Error bodies

const HTML_PAGE = 'an HTML page (probably from a proxy or gateway)';

function looksLikeHtml(contentType: string, text: string): boolean {
  return contentType === 'text/html' || contentType === 'application/xhtml+xml' || /^\s*</.test(text);
}

function htmlTitle(text: string): string | undefined {
  const match = /<title[^>]*>([\s\S]*?)<\/title>/i.exec(text);
  if (!match) return undefined;
  const title = match[1]!
    .replace(/<[^>]*>/g, '')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#0*39;|&apos;/g, "'")
    .replace(/&nbsp;/g, ' ')
    .replace(/&amp;/g, '&')
    .trim();
  return title || undefined;
}

function asText(value: unknown): string | undefined {
  if (typeof value === 'string') return value.trim() ? value : undefined;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  return undefined;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** FastAPI validation items: `{"loc": ["body", "name"], "msg": "field required"}` → "body.name: field required". */
function validationItems(items: unknown[]): string[] {
  const out: string[] = [];
  for (const item of items) {
    if (isObject(item)) {
      const loc = Array.isArray(item.loc) ? item.loc.map((part) => String(part)).join('.') : undefined;
      const msg = asText(item.msg) ?? asText(item.message) ?? asText(item.type);
      if (msg) out.push(loc ? `${loc}: ${msg}` : msg);
    } else {
      const text = asText(item);
      if (text) out.push(text);
    }
  }
  return out;
}

/** RFC 9110 `errors: {field: [messages]}` (ASP.NET validation), or a plain list. */
function fieldErrors(errors: unknown): string[] | undefined {
  let out: string[] = [];
  if (Array.isArray(errors)) out = validationItems(errors);
  else if (isObject(errors)) {
    for (const [field, messages] of Object.entries(errors)) {
      const list = Array.isArray(messages) ? validationItems(messages) : validationItems([messages]);
      if (list.length) out.push(`${field}: ${list.join(', ')}`);
    }
  }
  return out.length ? out.slice(0, 20) : undefined;
}

function problemFromJson(value: unknown): ApiProblem | undefined {
  if (typeof value === 'string') return value.trim() ? { detail: value } : undefined;
  if (!isObject(value)) return undefined;
  const problem: ApiProblem = {};
  const error = value.error;
  const title = asText(value.title);
  const type = asText(value.type);
  const traceId = asText(value.traceId) ?? asText(value.trace_id) ?? asText(value.traceid);
  const code = asText(value.code) ?? (isObject(error) ? asText(error.code) : undefined);
  let detail: string | undefined;
  if (Array.isArray(value.detail)) {
    const items = validationItems(value.detail);
    if (items.length) detail = items.join('; ');
  } else {
    detail = asText(value.detail);
  }
  detail ??= (isObject(error) ? asText(error.message) ?? asText(error.detail) : asText(error)) ?? asText(value.message);
  const errors = fieldErrors(value.errors) ?? (isObject(error) ? fieldErrors(error.details) : undefined);
  if (title !== undefined) problem.title = title;
  if (detail !== undefined) problem.detail = detail;
  if (traceId !== undefined) problem.traceId = traceId;
  if (code !== undefined) problem.code = code;
  if (type !== undefined) problem.type = type;
  if (errors !== undefined) problem.errors = errors;
  return Object.keys(problem).length ? problem : undefined;
}

function cleanProblem(problem: ApiProblem, forms: readonly string[]): ApiProblem {
  const out: ApiProblem = {};
  for (const key of ['title', 'detail', 'traceId', 'code', 'type'] as const) {
    const value = problem[key];
    if (value !== undefined) out[key] = clean(value, forms);
  }
  if (problem.errors) out.errors = problem.errors.map((e) => clean(e, forms));
  return out;
}

/** What an error body says, whatever its shape; never throws. */
function extractProblem(contentType: string, text: string, forms: readonly string[]): ApiProblem | undefined {
  const body = text.replace(/^\ufeff/, '').trim();
  if (!body) return undefined;
  try {
    if (contentType.includes('json') || /^[{["]/.test(body)) {
      try {
        const parsed = problemFromJson(JSON.parse(body));
        if (parsed) return cleanProblem(parsed, forms);
      } catch {
        // Not JSON after all: read it as text below.
      }
    }
    if (looksLikeHtml(contentType, body)) {
      const title = htmlTitle(body);
      return { detail: title ? `${HTML_PAGE}: ${clean(title, forms, 200)}` : HTML_PAGE };
    }
    const firstLine = body.split(/\r?\n/).find((line) => line.trim()) ?? '';
    return firstLine ? { detail: clean(firstLine, forms) } : undefined;
  } catch {
    return undefined;
  }
}

/** The tail of an error message, e.g. ": Service busy (traceId 00-abc)". The status text is not repeated. */
function describeProblem(problem: ApiProblem | undefined, statusText: string): string {
  if (!problem) return '';
  const parts: string[] = [];
  if (problem.title && problem.title.toLowerCase() !== statusText.toLowerCase()) parts.push(problem.title);
  if (problem.detail && problem.detail !== problem.title) parts.push(problem.detail);
  if (problem.errors?.length) parts.push(problem.errors.slice(0, 5).join('; '));
  const extras: string[] = [];
  if (problem.code) extras.push(`code ${problem.code}`);
  if (problem.traceId) extras.push(`traceId ${problem.traceId}`);
  const main = parts.length ? `: ${truncate(parts.join(': '), 400)}` : '';
  return extras.length ? `${main} (${extras.join(', ')})` : main;
}

// ---------------------------------------------------------------------------------------------------------
// Proxies

/** NO_PROXY syntax: `*`, exact hosts, `.suffix` or `suffix` domain matches, each with an optional `:port`. */
function bypassesProxy(url: URL, entries: readonly string[]): boolean {
  const host = url.hostname.toLowerCase().replace(/^\[(.*)\]$/, '$1');
  const port = url.port || (url.protocol === 'https:' ? '443' : '80');
  for (const raw of entries) {
    let entry = raw.trim().toLowerCase();
    if (!entry) continue;
    if (entry === '*') return true;
    let entryPort: string | undefined;
    const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(entry);
    if (bracketed) {
      entry = bracketed[1]!;
      entryPort = bracketed[2];
    } else {
      const withPort = /^([^:]+):(\d+)$/.exec(entry);
      if (withPort) {
        entry = withPort[1]!;
        entryPort = withPort[2];
      }
    }
    if (entryPort !== undefined && entryPort !== port) continue;
    entry = entry.replace(/^\*?\./, '');
    if (host === entry || host.endsWith(`.${entry}`)) return true;
  }
  return false;
}

function splitList(value: string | undefined): string[] {
  return (value ?? '').split(/[\s,]+/).filter(Boolean);
}

function nonEmpty(value: string | undefined): string | undefined {
  return value && value.trim() ? value.trim() : undefined;
}

// ---------------------------------------------------------------------------------------------------------
// The client

/** One failed attempt, before it becomes an ApiError. */
interface Failure {
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

type Attempt<R> = { ok: true; value: R } | { ok: false; failure: Failure };

/** A prepared request: everything that stays the same between attempts. */
interface Call {
  method: RequestOptions['method'];
  phase: Phase;
  policy: RetryPolicy;
  url: URL;
  /** Pathname for messages, masked. */
  path: string;
  headers: Record<string, string>;
  body: string | undefined;
  expect: 'json' | 'text' | 'none';
  timeoutMs: number;
  signal: AbortSignal;
  okStatuses: ReadonlySet<number>;
  dispatcher: Dispatcher;
  /** Attempts so far, for errors raised later by a stream's body. */
  attempts: number;
}

interface Answer {
  res: Dispatcher.ResponseData;
  status: number;
  headers: Record<string, string>;
  contentType: string;
}

export interface RateLimitInfo {
  limit?: number;
  remaining?: number;
  resetAtMs?: number;
}

const ERROR_BODY_LIMIT = 64 * 1024;
const MAX_PACING_MS = 60_000;

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

function seconds(ms: number): string {
  const s = ms / 1000;
  return Number.isInteger(s) ? `${s}s` : `${s.toFixed(1)}s`;
}

function flattenHeaders(headers: Dispatcher.ResponseData['headers']): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    out[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : String(value);
  }
  return out;
}

function mediaType(value: string | undefined): string {
  return (value ?? '').split(';')[0]!.trim().toLowerCase();
}

async function readBody(body: AsyncIterable<unknown>, limit = Infinity): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    const buffer = Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk));
    chunks.push(buffer);
    size += buffer.length;
    // Breaking out destroys the body: an error page is never worth megabytes.
    if (size >= limit) break;
  }
  return Buffer.concat(chunks).toString('utf8');
}

async function drain(body: AsyncIterable<unknown>): Promise<void> {
  // Reading to the end (rather than destroying) keeps the connection in the pool.
  for await (const _chunk of body) void _chunk;
}

export class HttpClient {
  private readonly base: URL | undefined;
  private readonly baseProblem: string | undefined;
  private readonly defaultHeaders: Record<string, string>;
  private readonly timeoutMs: number;
  private readonly maxAttempts: number;
  private readonly baseDelayMs: number;
  private readonly maxDelayMs: number;
  private readonly clock: Clock;
  private readonly random: () => number;
  private readonly env: Record<string, string | undefined>;
  private readonly forms: string[];
  private direct: Agent | undefined;
  private readonly proxies = new Map<string, ProxyAgent>();
  private sent = 0;
  private limits: RateLimitInfo | undefined;
  /** Latest send time handed out by the pacing, so concurrent requests queue one gap apart. */
  private pacedUntil = 0;
  private closed = false;

  constructor(private readonly options: HttpClientOptions) {
    try {
      const base = new URL(options.baseUrl);
      if (base.protocol !== 'https:' && base.protocol !== 'http:') throw new Error('not http(s)');
      this.base = base;
    } catch {
      // Reported by the first request, with its phase.
      this.baseProblem = 'the API root (base URL) is not a valid http(s) URL';
    }
    this.defaultHeaders = lowerCaseKeys(options.headers ?? {});
    this.timeoutMs = Math.max(1, options.requestTimeoutMs ?? 30_000);
    this.maxAttempts = Math.max(1, Math.floor(options.retry?.maxAttempts ?? 5));
    this.baseDelayMs = Math.max(0, options.retry?.baseDelayMs ?? 500);
    this.maxDelayMs = Math.max(0, options.retry?.maxDelayMs ?? 30_000);
    this.clock = options.clock ?? systemClock;
    this.random = options.random ?? Math.random;
    this.env = options.env ?? process.env;
    const secrets = [...(options.secrets ?? [])];
    for (const proxyUrl of [options.proxy?.url, ...this.envProxies()]) {
      const password = proxyPassword(proxyUrl);
      if (password) secrets.push(password);
    }
    this.forms = secretForms(secrets);
  }

  /** Requests actually sent (every attempt). */
  get requestCount(): number {
    return this.sent;
  }

  /** The last rate-limit headers seen. */
  /**
   * The server's clock at its last answer (the `Date` header, UTC), corrected for the time since: the
   * platform's own "now", for ages measured on the platform's clock (mode check).
   */
  serverNow(): number | undefined {
    if (this.lastServerDate === undefined) return undefined;
    return this.lastServerDate.serverMs + (this.clock.now() - this.lastServerDate.seenAtMs);
  }

  get rateLimit(): RateLimitInfo | undefined {
    return this.limits ? { ...this.limits } : undefined;
  }

  async request<T = unknown>(options: RequestOptions): Promise<HttpResponse<T>> {
    return this.execute(options, false, async (call, answer): Promise<Attempt<HttpResponse<T>>> => {
      const { res, status, headers, contentType } = answer;
      if (call.expect === 'none') {
        await drain(res.body);
        return { ok: true, value: { status, headers, contentType, text: '', data: undefined as T } };
      }
      const text = await readBody(res.body);
      if (call.expect === 'text') return { ok: true, value: { status, headers, contentType, text, data: undefined as T } };
      const json = text.replace(/^\ufeff/, '');
      // An empty body (202 with no content, 204) is not malformed: it simply carries no data.
      if (!json.trim()) return { ok: true, value: { status, headers, contentType, text, data: undefined as T } };
      try {
        return { ok: true, value: { status, headers, contentType, text, data: JSON.parse(json) as T } };
      } catch (err) {
        // A status the caller asked for (okStatuses) is not retried for its body.
        if (status < 200 || status > 299) return { ok: true, value: { status, headers, contentType, text, data: undefined as T } };
        return { ok: false, failure: this.parseFailure(status, contentType, text, err) };
      }
    });
  }

  async stream(options: RequestOptions): Promise<StreamResponse> {
    return this.execute(options, true, async (call, answer): Promise<Attempt<StreamResponse>> => {
      const { status, headers, contentType } = answer;
      return { ok: true, value: { status, headers, contentType, body: this.guardBody(call, answer.res.body) } };
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    const dispatchers: Dispatcher[] = [...this.proxies.values()];
    if (this.direct) dispatchers.push(this.direct);
    this.proxies.clear();
    this.direct = undefined;
    await Promise.all(dispatchers.map((d) => d.close().catch(() => undefined)));
  }

  // -------------------------------------------------------------------------------------------------------
  // The retry loop

  private async execute<R>(
    options: RequestOptions,
    streaming: boolean,
    accept: (call: Call, answer: Answer) => Promise<Attempt<R>>,
  ): Promise<R> {
    const call = this.prepare(options);
    let attempts = 0;
    let mayHaveApplied = false;
    for (;;) {
      if (call.signal.aborted) throw this.abortedError(call, attempts, mayHaveApplied, attempts > 0);
      await this.pace(call, attempts, mayHaveApplied);
      attempts += 1;
      call.attempts = attempts;
      const outcome = await this.attempt(call, streaming, accept);
      if (outcome.ok) return outcome.value;
      const failure = outcome.failure;
      // One attempt that may have landed taints the whole call, whatever the later attempts say.
      mayHaveApplied ||= failure.mayHaveApplied;
      const retryable = failure.retryable && (call.policy === 'safe' || !failure.mayHaveApplied);
      if (!retryable || attempts >= this.maxAttempts) throw this.toError(call, failure, attempts, mayHaveApplied);

      const now = this.clock.now();
      const deadline = this.options.deadline?.();
      let wait: number;
      if (failure.retryAfterMs !== undefined) {
        wait = failure.retryAfterMs;
        if (deadline !== undefined && now + wait > deadline) {
          const asked = `; the server asked to retry after ${seconds(Math.ceil(wait / 1000) * 1000)}, past the deadline`;
          throw this.toError(call, failure, attempts, mayHaveApplied, asked);
        }
      } else {
        wait = this.random() * Math.min(this.maxDelayMs, this.baseDelayMs * 2 ** (attempts - 1));
        if (deadline !== undefined && now + wait > deadline) throw this.toError(call, failure, attempts, mayHaveApplied);
      }
      wait = Math.max(0, Math.round(wait));
      const retryLine = `${call.method} ${call.path} ${failure.brief}, retry ${attempts + 1}/${this.maxAttempts} in ${seconds(Math.round(wait / 100) * 100)}`;
      if (call.method === 'GET' || !this.options.notice) this.options.log?.(retryLine);
      else this.options.notice(`resending: ${retryLine}${mayHaveApplied ? ' (the earlier attempt may have been applied)' : ' (the earlier attempt was not applied)'}`);
      try {
        await this.clock.sleep(wait, call.signal);
      } catch {
        throw this.abortedError(call, attempts, mayHaveApplied, false);
      }
    }
  }

  private async attempt<R>(
    call: Call,
    streaming: boolean,
    accept: (call: Call, answer: Answer) => Promise<Attempt<R>>,
  ): Promise<Attempt<R>> {
    // Real time on purpose: the per-request timeout guards against a silent server, not against the schedule.
    const timer = new AbortController();
    let timedOut = false;
    const handle = setTimeout(() => {
      timedOut = true;
      timer.abort(new Error('request timeout'));
    }, call.timeoutMs);
    let answered = false;
    try {
      this.sent += 1;
      const res = await undiciRequest(call.url, {
        dispatcher: call.dispatcher,
        method: call.method,
        headers: call.headers,
        body: call.body ?? null,
        signal: AbortSignal.any([call.signal, timer.signal]),
        headersTimeout: call.timeoutMs,
        // For a stream, the only body limit is an idle gap; a buffered body is bounded by the timer above.
        bodyTimeout: call.timeoutMs,
      });
      answered = true;
      const headers = flattenHeaders(res.headers);
      this.noteRateLimit(headers);
      const answer: Answer = { res, status: res.statusCode, headers, contentType: mediaType(headers['content-type']) };
      const wanted = (answer.status >= 200 && answer.status <= 299) || call.okStatuses.has(answer.status);
      if (!wanted) return { ok: false, failure: await this.statusFailure(call, answer) };
      // From here a stream belongs to the caller: only the idle-gap limit (bodyTimeout) and call.signal apply.
      if (streaming) clearTimeout(handle);
      return await accept(call, answer);
    } catch (err) {
      return { ok: false, failure: this.errorFailure(call, err, timedOut, answered) };
    } finally {
      clearTimeout(handle);
    }
  }

  // -------------------------------------------------------------------------------------------------------
  // Classifying failures

  private async statusFailure(call: Call, answer: Answer): Promise<Failure> {
    const { res, status, headers, contentType } = answer;
    const text = await readBody(res.body, ERROR_BODY_LIMIT);
    const statusText = STATUS_CODES[status] ?? '';
    const label = statusText ? `${status} ${statusText}` : String(status);
    const bodyText = text ? excerpt(text, this.forms) : undefined;
    if (status >= 300 && status <= 399) {
      let target = 'an unreadable Location';
      if (headers.location !== undefined) {
        try {
          target = clean(new URL(headers.location, call.url).origin, this.forms, 200);
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
    const problem = extractProblem(contentType, text, this.forms);
    let retryAfterMs: number | undefined;
    if (status === 429 || status === 503) retryAfterMs = parseRetryAfter(headers['retry-after'], this.clock.now());
    if (status === 429 && retryAfterMs === undefined && this.limits?.remaining === 0 && this.limits.resetAtMs !== undefined) {
      retryAfterMs = Math.max(0, this.limits.resetAtMs - this.clock.now());
    }
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

  private parseFailure(status: number, contentType: string, text: string, err: unknown): Failure {
    const bodyText = excerpt(text, this.forms);
    if (looksLikeHtml(contentType, text)) {
      const title = htmlTitle(text);
      const detail = title ? `${HTML_PAGE}: ${clean(title, this.forms, 200)}` : HTML_PAGE;
      return {
        kind: 'parse',
        what: `answered an HTML page (probably a proxy or gateway error page)${title ? `: ${clean(title, this.forms, 200)}` : ''}`,
        brief: 'answered an HTML page',
        retryable: true,
        mayHaveApplied: true,
        status,
        problem: { detail },
        bodyText,
        cause: err,
      };
    }
    const reason = err instanceof Error ? err.message : String(err);
    return {
      kind: 'parse',
      what: `answered malformed JSON: ${clean(reason, this.forms, 200)}`,
      brief: 'answered malformed JSON',
      retryable: true,
      mayHaveApplied: true,
      status,
      bodyText,
      cause: err,
    };
  }

  private errorFailure(call: Call, err: unknown, timedOut: boolean, answered: boolean): Failure {
    if (call.signal.aborted) {
      return { kind: 'aborted', what: 'was cancelled', brief: 'was cancelled', retryable: false, mayHaveApplied: true, cause: err };
    }
    const code = errorCode(err);
    if (timedOut || code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT') {
      const what = answered && code === 'UND_ERR_BODY_TIMEOUT'
        ? `timed out: the answer stalled for ${seconds(call.timeoutMs)}`
        : `timed out after ${seconds(call.timeoutMs)}`;
      return { kind: 'timeout', what, brief: what, retryable: true, mayHaveApplied: true, cause: err };
    }
    const message = clean(err instanceof Error ? err.message : String(err), this.forms, 200);
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
    const text = code !== undefined && NETWORK_TEXT[code] !== undefined
      ? `${NETWORK_TEXT[code]} (${code})`
      : `${message || 'network error'}${code ? ` (${code})` : ''}`;
    const what = `failed: ${text}${answered ? ' while reading the answer' : ''}`;
    return { kind: 'network', what, brief: what, retryable: true, mayHaveApplied: true, cause: err };
  }

  private toError(call: Call, failure: Failure, attempts: number, mayHaveApplied: boolean, suffix = ''): ApiError {
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

  private abortedError(call: Call, attempts: number, mayHaveApplied: boolean, duringAttempt: boolean): ApiError {
    // Say why it stopped when the signal says (e.g. "the step timed out"), not just "cancelled".
    const reason = call.signal.reason instanceof Error && call.signal.reason.name !== 'AbortError' ? call.signal.reason.message : '';
    const stopped = reason ? `was stopped (${reason})` : 'was cancelled';
    const what = attempts === 0 ? `${stopped} before it was sent` : duringAttempt ? stopped : `${stopped} while waiting to retry`;
    return this.toError(call, { kind: 'aborted', what, brief: what, retryable: false, mayHaveApplied }, attempts, mayHaveApplied);
  }

  /** The stream handed to the caller: transport errors become ApiErrors (never retried: data was consumed). */
  private guardBody(call: Call, body: AsyncIterable<unknown>): AsyncIterable<Buffer> {
    const classify = (err: unknown) => this.toError(call, this.errorFailure(call, err, false, true), call.attempts, true);
    return (async function* guarded() {
      try {
        for await (const chunk of body) yield Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk));
      } catch (err) {
        throw classify(err);
      }
    })();
  }

  // -------------------------------------------------------------------------------------------------------
  // Preparing a request

  private prepare(options: RequestOptions): Call {
    const scoped = requestScope.getStore()?.signal;
    const signals = [this.options.signal, options.signal, scoped].filter((s): s is AbortSignal => s !== undefined);
    // AbortSignal.any([]) never aborts, which is what no signal at all means.
    const signal = signals.length === 1 ? signals[0]! : AbortSignal.any(signals);
    const configError = (what: string, path: string) =>
      new ApiError(`${options.phase}: ${options.method} ${path} ${what}`, {
        kind: 'config',
        phase: options.phase,
        method: options.method,
        path,
        mayHaveApplied: false,
        attempts: 0,
      });

    let url: URL;
    try {
      url = this.resolveUrl(options.path, options.query);
    } catch (err) {
      const path = clean(options.path.split(/[?#]/)[0] ?? '', this.forms, 200);
      throw configError(`refused: ${clean(err instanceof Error ? err.message : 'invalid URL', this.forms, 200)}`, path);
    }
    const path = clean(url.pathname, this.forms, 300);
    try {
      assertAllowedUrl(url);
    } catch (err) {
      throw configError((err as Error).message, path);
    }
    if (this.closed) throw configError('refused: the HTTP client is closed', path);

    let dispatcher: Dispatcher;
    try {
      dispatcher = this.dispatcherFor(url);
    } catch (err) {
      throw configError(`refused: invalid proxy setting: ${clean(err instanceof Error ? err.message : String(err), this.forms, 200)}`, path);
    }

    const sameOrigin = this.base !== undefined && url.origin === this.base.origin;
    const expect = options.expect ?? 'json';
    const headers: Record<string, string> = {
      'user-agent': this.options.userAgent ?? 'orchestration-run',
      accept: expect === 'json' ? 'application/json, application/problem+json;q=0.9, */*;q=0.5' : '*/*',
      ...(options.auth !== false && sameOrigin ? this.defaultHeaders : {}),
    };
    let body: string | undefined;
    if (options.json !== undefined) {
      body = JSON.stringify(options.json);
      headers['content-type'] = 'application/json';
    }
    Object.assign(headers, lowerCaseKeys(options.headers ?? {}));

    return {
      method: options.method,
      phase: options.phase,
      policy: options.retry,
      url,
      path,
      headers,
      body,
      expect,
      timeoutMs: Math.max(1, options.timeoutMs ?? this.timeoutMs),
      signal,
      okStatuses: new Set(options.okStatuses ?? []),
      dispatcher,
      attempts: 0,
    };
  }

  private resolveUrl(path: string, query: RequestOptions['query']): URL {
    let url: URL;
    if (/^[a-z][a-z0-9+.-]*:/i.test(path)) {
      url = new URL(path);
    } else {
      if (!this.base) throw new Error(this.baseProblem ?? 'no API root');
      // Setting pathname (rather than resolving a string) keeps "//host/x" from becoming another origin.
      url = new URL(this.base.origin);
      const [pathPart, search] = splitOnce(path.split('#')[0] ?? '', '?');
      const prefix = this.base.pathname.replace(/\/+$/, '');
      url.pathname = `${prefix}${pathPart.startsWith('/') ? '' : '/'}${pathPart}`;
      if (search !== undefined) url.search = search;
    }
    url.hash = '';
    for (const [name, value] of Object.entries(query ?? {})) {
      if (value !== undefined) url.searchParams.append(name, String(value));
    }
    return url;
  }

  // -------------------------------------------------------------------------------------------------------
  // Connection pools and proxies

  private envProxies(): string[] {
    const env = this.env;
    return [
      env.https_proxy, env.HTTPS_PROXY, env.http_proxy, env.HTTP_PROXY,
    ].filter((v): v is string => nonEmpty(v) !== undefined);
  }

  private proxyFor(url: URL): string | undefined {
    const explicit = nonEmpty(this.options.proxy?.url);
    if (explicit !== undefined) return bypassesProxy(url, this.options.proxy?.bypass ?? []) ? undefined : explicit;
    const env = this.env;
    // Lower case first, as curl and undici do.
    const proxy = url.protocol === 'https:'
      ? nonEmpty(env.https_proxy) ?? nonEmpty(env.HTTPS_PROXY)
      : nonEmpty(env.http_proxy) ?? nonEmpty(env.HTTP_PROXY);
    if (proxy === undefined) return undefined;
    const noProxy = splitList(nonEmpty(env.no_proxy) ?? nonEmpty(env.NO_PROXY));
    return bypassesProxy(url, noProxy) ? undefined : proxy;
  }

  private dispatcherFor(url: URL): Dispatcher {
    const proxy = this.proxyFor(url);
    if (proxy === undefined) return (this.direct ??= new Agent());
    const uri = /^[a-z][a-z0-9+.-]*:\/\//i.test(proxy) ? proxy : `http://${proxy}`;
    let agent = this.proxies.get(uri);
    if (!agent) {
      const parsed = new URL(uri);
      if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new Error(`unsupported proxy protocol ${parsed.protocol}`);
      // proxyTunnel false: plain http targets go as absolute-form requests (a classic forward proxy);
      // https targets are tunnelled with CONNECT either way.
      agent = new ProxyAgent({ uri, proxyTunnel: false });
      this.proxies.set(uri, agent);
    }
    return agent;
  }

  // -------------------------------------------------------------------------------------------------------
  // Rate limits

  private lastServerDate: { serverMs: number; seenAtMs: number } | undefined;

  private noteRateLimit(headers: Record<string, string>): void {
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
    if (limit === undefined && remaining === undefined && reset === undefined) return;
    const info: RateLimitInfo = {};
    if (limit !== undefined) info.limit = limit;
    if (remaining !== undefined) info.remaining = remaining;
    // Qarion sends epoch seconds; others send seconds from now.
    if (reset !== undefined) info.resetAtMs = reset > 1e9 ? reset * 1000 : this.clock.now() + reset * 1000;
    this.limits = info;
  }

  /** Spreads what is left of the rate-limit budget over the time until it resets. */
  private async pace(call: Call, attempts: number, mayHaveApplied: boolean): Promise<void> {
    const limits = this.limits;
    if (limits?.remaining === undefined || limits.resetAtMs === undefined) return;
    const now = this.clock.now();
    if (limits.resetAtMs <= now) return;
    if (limits.remaining > Math.max(1, (limits.limit ?? 0) / 10)) return;
    let at: number;
    if (limits.remaining <= 0) {
      at = limits.resetAtMs;
    } else {
      const gap = (limits.resetAtMs - now) / limits.remaining;
      at = Math.max(now + gap, this.pacedUntil + gap);
    }
    const deadline = this.options.deadline?.();
    at = Math.min(at, now + MAX_PACING_MS, deadline ?? Infinity);
    this.pacedUntil = Math.max(this.pacedUntil, at);
    const wait = Math.round(at - now);
    if (wait <= 0) return;
    this.options.log?.(
      `${call.method} ${call.path} waits ${seconds(Math.round(wait / 100) * 100)}: rate limit nearly used up (${limits.remaining} left until reset)`,
    );
    try {
      await this.clock.sleep(wait, call.signal);
    } catch {
      throw this.abortedError(call, attempts, mayHaveApplied, false);
    }
  }
}

function lowerCaseKeys(headers: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) out[name.toLowerCase()] = value;
  return out;
}

function splitOnce(text: string, separator: string): [string, string | undefined] {
  const index = text.indexOf(separator);
  return index < 0 ? [text, undefined] : [text.slice(0, index), text.slice(index + 1)];
}

function proxyPassword(proxyUrl: string | undefined): string | undefined {
  if (!proxyUrl) return undefined;
  try {
    const url = new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(proxyUrl) ? proxyUrl : `http://${proxyUrl}`);
    return url.password ? decodeURIComponent(url.password) : undefined;
  } catch {
    return undefined;
  }
}

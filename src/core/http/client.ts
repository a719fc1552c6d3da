/**
 * The one HTTP client of the product.
 *
 * Every call to a platform goes through `HttpClient`: one keep-alive pool per client, a per-request timeout,
 * retries with exponential backoff and full jitter (honouring `Retry-After` and the overall deadline),
 * pacing through the step's request budget (budget.ts, corrected by the `X-RateLimit-*` headers that
 * rate-limit.ts reads), proxies (proxy.ts: undici's
 * EnvHttpProxyAgent), and errors that read as one sanitised line (errors.ts).
 *
 * Two safety rules shape the code:
 * - the API key (`options.headers`) only ever goes to the API root's origin: redirects are never followed and
 *   absolute URLs to another origin are sent without it;
 * - a request that must not run twice (`retry: 'unsafe'`) is only sent again when the server surely did not
 *   act on it; otherwise the error says `mayHaveApplied` and the caller decides (e.g. looks for the new run).
 *
 * Why our own retry loop rather than undici's RetryAgent (or another library's): the loop must stop at the
 * step's deadline (never a wait past it, and a `Retry-After` beyond it fails at once), wait on the injected
 * clock (tests and the proof run it on fake time), report every resend of a POST in the normal log, and carry
 * the "may have been applied" flag across attempts, so a trigger whose answer was lost is never sent blindly
 * again. No retry library offers those four; the loop is `execute` below.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { request as undiciRequest, type Dispatcher } from 'undici';
import { systemClock, type Clock } from '../clock.js';
import { isLoopbackHost } from '../urls.js';
import { errorText } from '../text.js';
import { ApiError, apiError, errorFailure, parseFailure, seconds, statusFailure, type Failure, type Phase } from './errors.js';
import { proxyChoice, type ProxyChoice } from './proxy.js';
import { RateLimiter, type RateLimitInfo } from './rate-limit.js';
import { RequestBudget } from './budget.js';
import type { HttpClientOptions, HttpResponse, RequestOptions, RetryPolicy, StreamResponse } from './options.js';
import { serverText, type ServerText } from './server-text.js';

/**
 * The abort signal of the work in progress (one target of a step), so a target stopped by fail-fast or a
 * cancellation also stops its request in flight, without every provider call passing a signal along.
 */
export const requestScope = new AsyncLocalStorage<{ signal?: AbortSignal }>();

/** Only https, or http to a loopback host (the simulator): the key never travels in clear text. */
export function assertAllowedUrl(url: URL): void {
  if (url.protocol === 'https:') return;
  if (url.protocol === 'http:' && isLoopbackHost(url.hostname)) return;
  const where = `${url.protocol}//${url.host}`;
  throw new ApiError(
    `refusing ${serverText([]).line(where, 200)}: only https, or http to a loopback address, is allowed`,
    { kind: 'config', phase: 'resolve', method: '', path: url.pathname, mayHaveApplied: false, attempts: 0 },
  );
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
  /** To the API root's origin: it carries the key, and the step's request budget counts it. */
  sameOrigin: boolean;
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

const ERROR_BODY_LIMIT = 64 * 1024;

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
  private readonly proxies: ProxyChoice;
  private readonly rateLimits: RateLimiter;
  /** The step's, shared with its other clients (options.budget); else this client's own. */
  private readonly budget: RequestBudget;
  /** Server text made fit for messages, with the key and the proxy passwords masked. */
  private readonly text: ServerText;
  private sent = 0;
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
    this.proxies = proxyChoice(options.proxy, options.env ?? process.env);
    this.rateLimits = new RateLimiter(this.clock);
    this.budget = options.budget ?? new RequestBudget(this.clock);
    this.text = serverText([...(options.secrets ?? []), ...this.proxies.passwords]);
  }

  /** Requests actually sent (every attempt). */
  get requestCount(): number {
    return this.sent;
  }

  /**
   * The server's clock at its last answer (the `Date` header, UTC), corrected for the time since: the
   * platform's own "now", for ages measured on the platform's clock (mode check).
   */
  serverNow(): number | undefined {
    return this.rateLimits.serverNow();
  }

  /** The last rate-limit headers seen. */
  get rateLimit(): RateLimitInfo | undefined {
    return this.rateLimits.info;
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
        return { ok: false, failure: parseFailure(status, contentType, text, err, this.text) };
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
    await this.proxies.close();
  }

  // -------------------------------------------------------------------------------------------------------
  // The retry loop (our own: see the module note)

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
      // A 429 holds every request of the step to this server, not only this one (budget.ts).
      if (failure.status === 429 && failure.retryAfterMs !== undefined && call.sameOrigin) this.budget.hold(this.clock.now() + failure.retryAfterMs);
      const retryable = failure.retryable && (call.policy === 'safe' || !failure.mayHaveApplied);
      if (!retryable || attempts >= this.maxAttempts) throw apiError(call, failure, attempts, mayHaveApplied);

      const now = this.clock.now();
      const deadline = this.options.deadline?.();
      let wait: number;
      if (failure.retryAfterMs !== undefined) {
        wait = failure.retryAfterMs;
        if (deadline !== undefined && now + wait > deadline) {
          const asked = `; the server asked to retry after ${seconds(Math.ceil(wait / 1000) * 1000)}, past the deadline`;
          throw apiError(call, failure, attempts, mayHaveApplied, asked);
        }
      } else {
        wait = this.random() * Math.min(this.maxDelayMs, this.baseDelayMs * 2 ** (attempts - 1));
        if (deadline !== undefined && now + wait > deadline) throw apiError(call, failure, attempts, mayHaveApplied);
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
      // --verbose: every request and its answer status (the path only: a query may carry a signature).
      this.options.log?.(`${call.method} ${call.path} → ${res.statusCode}${call.attempts > 1 ? ` (attempt ${call.attempts})` : ''}`);
      const headers = flattenHeaders(res.headers);
      const limits = this.rateLimits.note(headers);
      if (call.sameOrigin) this.budget.note(limits);
      const answer: Answer = { res, status: res.statusCode, headers, contentType: mediaType(headers['content-type']) };
      const wanted = (answer.status >= 200 && answer.status <= 299) || call.okStatuses.has(answer.status);
      if (!wanted) return { ok: false, failure: await this.statusFailure(call, answer) };
      // From here a stream belongs to the caller: only the idle-gap limit (bodyTimeout) and call.signal apply.
      if (streaming) clearTimeout(handle);
      return await accept(call, answer);
    } catch (err) {
      return { ok: false, failure: errorFailure(err, this.context(call), timedOut, answered, this.text) };
    } finally {
      clearTimeout(handle);
    }
  }

  // -------------------------------------------------------------------------------------------------------
  // Classifying failures (errors.ts)

  private context(call: Call) {
    return { url: call.url, timeoutMs: call.timeoutMs, aborted: call.signal.aborted };
  }

  private async statusFailure(call: Call, answer: Answer): Promise<Failure> {
    const text = await readBody(answer.res.body, ERROR_BODY_LIMIT);
    const retryAfterMs = this.rateLimits.retryAfter(answer.status, answer.headers);
    return statusFailure({ ...answer, text }, this.context(call), this.text, retryAfterMs);
  }

  private abortedError(call: Call, attempts: number, mayHaveApplied: boolean, duringAttempt: boolean): ApiError {
    // Say why it stopped when the signal says (e.g. "the step timed out"), not just "cancelled".
    const reason = call.signal.reason instanceof Error && call.signal.reason.name !== 'AbortError' ? call.signal.reason.message : '';
    const stopped = reason ? `was stopped (${reason})` : 'was cancelled';
    const what = attempts === 0 ? `${stopped} before it was sent` : duringAttempt ? stopped : `${stopped} while waiting to retry`;
    return apiError(call, { kind: 'aborted', what, brief: what, retryable: false, mayHaveApplied }, attempts, mayHaveApplied);
  }

  /** The stream handed to the caller: transport errors become ApiErrors (never retried: data was consumed). */
  private guardBody(call: Call, body: AsyncIterable<unknown>): AsyncIterable<Buffer> {
    const classify = (err: unknown) => apiError(call, errorFailure(err, this.context(call), false, true, this.text), call.attempts, true);
    return (async function* guarded() {
      try {
        for await (const chunk of body) yield Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk));
      } catch (err) {
        throw classify(err);
      }
    })();
  }

  /** Waits for this request's turn in the step's request budget (budget.ts); other origins are not counted. */
  private async pace(call: Call, attempts: number, mayHaveApplied: boolean): Promise<void> {
    if (!call.sameOrigin) return;
    const { waitMs, reason } = this.budget.take(this.options.deadline?.());
    if (waitMs <= 0) return;
    // Said only when it is worth a line (the log shows tenths of a second).
    if (waitMs >= 100) this.options.log?.(`${call.method} ${call.path} waits ${seconds(Math.round(waitMs / 100) * 100)}: rate limit pacing (${reason})`);
    try {
      await this.clock.sleep(waitMs, call.signal);
    } catch {
      throw this.abortedError(call, attempts, mayHaveApplied, false);
    }
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
      const path = this.text.line(options.path.split(/[?#]/)[0] ?? '', 200);
      throw configError(`refused: ${this.text.line(err instanceof Error ? err.message : 'invalid URL', 200)}`, path);
    }
    const path = this.text.line(url.pathname, 300);
    try {
      assertAllowedUrl(url);
    } catch (err) {
      throw configError((err as Error).message, path);
    }
    if (this.closed) throw configError('refused: the HTTP client is closed', path);

    let dispatcher: Dispatcher;
    try {
      dispatcher = this.proxies.dispatcherFor(url);
    } catch (err) {
      throw configError(`refused: invalid proxy setting: ${this.text.line(errorText(err), 200)}`, path);
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
      sameOrigin,
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

import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Clock } from '../../src/core/clock.js';
import {
  ApiError,
  HttpClient,
  assertAllowedUrl,
  isLoopbackHost,
  parseRetryAfter,
  type HttpClientOptions,
} from '../../src/core/http/index.js';

// ------------------------------------------------------------------------------------------------
// Helpers: real loopback servers, a fake clock, and a client that always gets cleaned up.

interface Seen {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

type Handler = (req: http.IncomingMessage, res: http.ServerResponse, seen: Seen, index: number) => void;

interface TestServer {
  url: string;
  port: number;
  seen: Seen[];
  close(): Promise<void>;
}

const servers: TestServer[] = [];
const clients: HttpClient[] = [];

async function serve(handler: Handler): Promise<TestServer> {
  const seen: Seen[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const entry: Seen = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString() };
      seen.push(entry);
      handler(req, res, entry, seen.length - 1);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  const test: TestServer = {
    url: `http://127.0.0.1:${port}`,
    port,
    seen,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  servers.push(test);
  return test;
}

/** A port on which nothing listens: bind, then close. */
async function freePort(): Promise<number> {
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

const T0 = Date.UTC(2025, 0, 15, 12, 0, 0);

/** Sleeps resolve at once, move the fake time on, and are recorded. */
function fakeClock(start = T0): { clock: Clock; sleeps: number[] } {
  let now = start;
  const sleeps: number[] = [];
  const clock: Clock = {
    now: () => now,
    sleep(ms, signal) {
      if (signal?.aborted) return Promise.reject(signal.reason);
      sleeps.push(ms);
      now += ms;
      return Promise.resolve();
    },
  };
  return { clock, sleeps };
}

const KEY = 'txk_s3cr3t-key-value';

function client(baseUrl: string, options: Partial<HttpClientOptions> = {}): HttpClient {
  const c = new HttpClient({
    baseUrl,
    headers: { 'X-API-Key': KEY },
    secrets: [KEY],
    env: {},
    random: () => 0.5,
    clock: fakeClock().clock,
    ...options,
  });
  clients.push(c);
  return c;
}

function json(res: http.ServerResponse, status: number, body: unknown, headers: http.OutgoingHttpHeaders = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

async function failure(promise: Promise<unknown>): Promise<ApiError> {
  try {
    await promise;
  } catch (err) {
    expect(err).toBeInstanceOf(ApiError);
    return err as ApiError;
  }
  throw new Error('expected the request to fail');
}

afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

// ------------------------------------------------------------------------------------------------

describe('successful requests', () => {
  it('returns parsed JSON with lower-case headers, under the base path prefix', async () => {
    const server = await serve((_req, res) => json(res, 200, { items: [1, 2] }, { 'X-Custom': 'yes', 'content-type': 'application/json; charset=utf-8' }));
    const c = client(`${server.url}/v1/`);
    const res = await c.request<{ items: number[] }>({
      method: 'GET',
      path: '/items',
      query: { limit: 10, q: 'a b', skip: undefined, flag: true },
      retry: 'safe',
      phase: 'find',
    });
    expect(res.status).toBe(200);
    expect(res.data).toEqual({ items: [1, 2] });
    expect(res.contentType).toBe('application/json');
    expect(res.headers['x-custom']).toBe('yes');
    expect(res.text).toBe('{"items":[1,2]}');
    expect(c.requestCount).toBe(1);
    expect(server.seen[0]!.url).toBe('/v1/items?limit=10&q=a+b&flag=true');
    expect(server.seen[0]!.headers['x-api-key']).toBe(KEY);
    expect(server.seen[0]!.headers['user-agent']).toBe('orchestration-run');
  });

  it('sends a JSON body, and reads an empty 202 without complaint', async () => {
    const server = await serve((_req, res) => {
      res.writeHead(202, { 'content-length': 0 });
      res.end();
    });
    const c = client(server.url);
    const res = await c.request({ method: 'POST', path: '/trigger', json: { uat: 'Production' }, retry: 'unsafe', phase: 'trigger' });
    expect(res.status).toBe(202);
    expect(res.data).toBeUndefined();
    expect(server.seen[0]!.body).toBe('{"uat":"Production"}');
    expect(server.seen[0]!.headers['content-type']).toBe('application/json');
  });

  it("returns okStatuses instead of throwing, and 'text' / 'none' bodies", async () => {
    const server = await serve((req, res, _seen) => {
      if (req.url === '/missing') return json(res, 404, { title: 'Not Found' });
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end('line 1\nline 2');
    });
    const c = client(server.url);
    const missing = await c.request({ method: 'GET', path: '/missing', retry: 'safe', phase: 'find', okStatuses: [404] });
    expect(missing.status).toBe(404);
    expect(missing.data).toEqual({ title: 'Not Found' });
    const text = await c.request({ method: 'GET', path: '/log', retry: 'safe', phase: 'logs', expect: 'text' });
    expect(text.text).toBe('line 1\nline 2');
    expect(text.data).toBeUndefined();
    const none = await c.request({ method: 'GET', path: '/log', retry: 'safe', phase: 'logs', expect: 'none' });
    expect(none.text).toBe('');
  });
});

describe('retries', () => {
  it('recovers from 503 twice, counting attempts and logging each retry', async () => {
    const server = await serve((_req, res, _s, i) => (i < 2 ? json(res, 503, { title: 'Service Unavailable' }) : json(res, 200, { ok: true })));
    const { clock, sleeps } = fakeClock();
    const logs: string[] = [];
    const c = client(server.url, { clock, log: (m) => logs.push(m) });
    const res = await c.request({ method: 'GET', path: '/x', retry: 'safe', phase: 'follow' });
    expect(res.data).toEqual({ ok: true });
    expect(c.requestCount).toBe(3);
    expect(server.seen).toHaveLength(3);
    // random() = 0.5 of 500 ms, then of 1000 ms.
    expect(sleeps).toEqual([250, 500]);
    // --verbose shows every request with its answer status, and every retry.
    expect(logs).toEqual([
      'GET /x → 503',
      'GET /x answered 503, retry 2/5 in 0.3s',
      'GET /x → 503 (attempt 2)',
      'GET /x answered 503, retry 3/5 in 0.5s',
      'GET /x → 200 (attempt 3)',
    ]);
  });

  it('honours Retry-After in seconds on a 429', async () => {
    const server = await serve((_req, res, _s, i) =>
      i === 0 ? json(res, 429, { detail: 'Rate limit exceeded. Retry after 2 seconds.' }, { 'retry-after': '2' }) : json(res, 200, {}),
    );
    const { clock, sleeps } = fakeClock();
    const c = client(server.url, { clock });
    await c.request({ method: 'GET', path: '/x', retry: 'safe', phase: 'follow' });
    expect(sleeps).toEqual([2000]);
  });

  it('honours Retry-After as an HTTP-date', async () => {
    const { clock, sleeps } = fakeClock();
    const server = await serve((_req, res, _s, i) =>
      i === 0 ? json(res, 503, {}, { 'retry-after': new Date(clock.now() + 5000).toUTCString() }) : json(res, 200, {}),
    );
    const c = client(server.url, { clock });
    await c.request({ method: 'GET', path: '/x', retry: 'safe', phase: 'follow' });
    expect(sleeps).toEqual([5000]);
  });

  it('throws at once when Retry-After is past the deadline', async () => {
    const server = await serve((_req, res) => json(res, 429, { detail: 'slow down' }, { 'retry-after': '120' }));
    const { clock, sleeps } = fakeClock();
    const c = client(server.url, { clock, deadline: () => clock.now() + 10_000 });
    const err = await failure(c.request({ method: 'GET', path: '/x', retry: 'safe', phase: 'follow' }));
    expect(err.kind).toBe('http');
    expect(err.status).toBe(429);
    expect(err.retryAfterMs).toBe(120_000);
    expect(err.mayHaveApplied).toBe(false);
    expect(err.message).toBe('follow: GET /x answered 429 Too Many Requests: slow down; the server asked to retry after 120s, past the deadline');
    expect(sleeps).toEqual([]);
    expect(c.requestCount).toBe(1);
  });

  it('does not start a backoff wait that ends past the deadline', async () => {
    const server = await serve((_req, res) => json(res, 500, {}));
    const { clock, sleeps } = fakeClock();
    const c = client(server.url, { clock, random: () => 1, retry: { baseDelayMs: 1000 }, deadline: () => T0 + 1500 });
    const err = await failure(c.request({ method: 'GET', path: '/x', retry: 'safe', phase: 'follow' }));
    expect(sleeps).toEqual([1000]);
    expect(err.attempts).toBe(2);
  });

  it('stops at maxAttempts with a one-line message', async () => {
    const server = await serve((_req, res) =>
      json(res, 503, { title: 'Service Unavailable', detail: 'Service\nbusy', traceId: '00-abc' }),
    );
    const c = client(server.url, { retry: { maxAttempts: 3 } });
    const err = await failure(
      c.request({ method: 'POST', path: '/api/v0/orchestration/finance/tasks/Package/1005/trigger', retry: 'safe', phase: 'trigger' }),
    );
    expect(err.message).toBe(
      'trigger: POST /api/v0/orchestration/finance/tasks/Package/1005/trigger answered 503 Service Unavailable: Service busy (traceId 00-abc) after 3 attempts',
    );
    expect(err.attempts).toBe(3);
    expect(err.mayHaveApplied).toBe(true);
    expect(server.seen).toHaveLength(3);
  });

  it('uses full jitter: random()=1 waits the capped exponential, random()=0 waits nothing', async () => {
    const server = await serve((_req, res) => json(res, 500, {}));
    const high = fakeClock();
    const c1 = client(server.url, { clock: high.clock, random: () => 1, retry: { maxAttempts: 5, baseDelayMs: 100, maxDelayMs: 250 } });
    await failure(c1.request({ method: 'GET', path: '/x', retry: 'safe', phase: 'follow' }));
    expect(high.sleeps).toEqual([100, 200, 250, 250]);

    const low = fakeClock();
    const c2 = client(server.url, { clock: low.clock, random: () => 0, retry: { maxAttempts: 3, baseDelayMs: 100 } });
    await failure(c2.request({ method: 'GET', path: '/x', retry: 'safe', phase: 'follow' }));
    expect(low.sleeps).toEqual([0, 0]);
  });

  it('never retries a 4xx other than 408 and 429', async () => {
    const server = await serve((_req, res) => json(res, 403, { title: 'Forbidden', detail: 'needs Contributor' }));
    const c = client(server.url);
    const err = await failure(c.request({ method: 'GET', path: '/x', retry: 'safe', phase: 'resolve' }));
    expect(err.message).toBe('resolve: GET /x answered 403 Forbidden: needs Contributor');
    expect(err.mayHaveApplied).toBe(false);
    expect(server.seen).toHaveLength(1);
  });

  it('retries a 408 under safe', async () => {
    const server = await serve((_req, res, _s, i) => (i === 0 ? json(res, 408, {}) : json(res, 200, { ok: 1 })));
    const c = client(server.url);
    await expect(c.request({ method: 'GET', path: '/x', retry: 'safe', phase: 'follow' })).resolves.toMatchObject({ data: { ok: 1 } });
    expect(c.requestCount).toBe(2);
  });
});

describe("'unsafe' requests", () => {
  it('throw at once on a 503, with mayHaveApplied', async () => {
    const server = await serve((_req, res) => json(res, 503, { title: 'Service Unavailable' }));
    const c = client(server.url);
    const err = await failure(c.request({ method: 'POST', path: '/trigger', json: {}, retry: 'unsafe', phase: 'trigger' }));
    expect(err.kind).toBe('http');
    expect(err.mayHaveApplied).toBe(true);
    expect(err.attempts).toBe(1);
    expect(server.seen).toHaveLength(1);
  });

  it('are retried on a refused connection, which surely did not apply', async () => {
    const port = await freePort();
    const c = client(`http://127.0.0.1:${port}`, { retry: { maxAttempts: 3 } });
    const err = await failure(c.request({ method: 'POST', path: '/trigger', json: {}, retry: 'unsafe', phase: 'trigger' }));
    expect(err.kind).toBe('network');
    expect(err.mayHaveApplied).toBe(false);
    expect(err.attempts).toBe(3);
    expect(c.requestCount).toBe(3);
    expect(err.message).toBe('trigger: POST /trigger failed: connection refused (ECONNREFUSED) after 3 attempts');
  });

  it('are retried on a 429', async () => {
    const server = await serve((_req, res, _s, i) => (i === 0 ? json(res, 429, {}, { 'retry-after': '1' }) : json(res, 202, {})));
    const c = client(server.url);
    const res = await c.request({ method: 'POST', path: '/trigger', json: {}, retry: 'unsafe', phase: 'trigger' });
    expect(res.status).toBe(202);
    expect(server.seen).toHaveLength(2);
  });

  it('throw at once on a reset, with mayHaveApplied', async () => {
    const server = await serve((req) => req.socket.destroy());
    const c = client(server.url);
    const err = await failure(c.request({ method: 'POST', path: '/trigger', json: {}, retry: 'unsafe', phase: 'trigger' }));
    expect(err.kind).toBe('network');
    expect(err.mayHaveApplied).toBe(true);
    expect(server.seen).toHaveLength(1);
  });
});

describe('network failures and timeouts', () => {
  it('retries a connection reset before the answer', async () => {
    const server = await serve((req, res, _s, i) => (i === 0 ? req.socket.destroy() : json(res, 200, { ok: true })));
    const c = client(server.url);
    const res = await c.request({ method: 'GET', path: '/x', retry: 'safe', phase: 'follow' });
    expect(res.data).toEqual({ ok: true });
    expect(c.requestCount).toBe(2);
  });

  it('retries a connection reset in the middle of the body', async () => {
    const server = await serve((req, res, _s, i) => {
      if (i > 0) return json(res, 200, { items: [1, 2, 3] });
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': 40 });
      res.write('{"items": [1, 2,');
      setTimeout(() => req.socket.destroy(), 20);
    });
    const c = client(server.url);
    const res = await c.request({ method: 'GET', path: '/x', retry: 'safe', phase: 'follow' });
    expect(res.data).toEqual({ items: [1, 2, 3] });
    expect(c.requestCount).toBe(2);
  });

  it('times out a slow answer and retries it', async () => {
    const server = await serve((_req, res, _s, i) => {
      if (i > 0) json(res, 200, { ok: true });
      // The first request is never answered.
    });
    const c = client(server.url, { requestTimeoutMs: 150 });
    const res = await c.request({ method: 'GET', path: '/x', retry: 'safe', phase: 'follow' });
    expect(res.data).toEqual({ ok: true });
    expect(c.requestCount).toBe(2);
  });

  it("reports kind 'timeout' once the attempts are used up, also for a body that stalls", async () => {
    const server = await serve((req, res) => {
      if (req.url === '/stall') {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.write('{"a": ');
      }
    });
    const c = client(server.url, { retry: { maxAttempts: 2 } });
    const slow = await failure(c.request({ method: 'GET', path: '/slow', retry: 'safe', phase: 'follow', timeoutMs: 100 }));
    expect(slow.kind).toBe('timeout');
    expect(slow.mayHaveApplied).toBe(true);
    expect(slow.message).toBe('follow: GET /slow timed out after 0.1s after 2 attempts');
    const stall = await failure(c.request({ method: 'GET', path: '/stall', retry: 'safe', phase: 'follow', timeoutMs: 100 }));
    expect(stall.kind).toBe('timeout');
    expect(stall.attempts).toBe(2);
  });

  it('retries malformed JSON, then fails with kind parse', async () => {
    const server = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"status": "Runn');
    });
    const c = client(server.url, { retry: { maxAttempts: 3 } });
    const err = await failure(c.request({ method: 'GET', path: '/x', retry: 'safe', phase: 'follow' }));
    expect(err.kind).toBe('parse');
    expect(err.status).toBe(200);
    expect(err.message).toMatch(/^follow: GET \/x answered malformed JSON: .+ after 3 attempts$/);
    expect(c.requestCount).toBe(3);
  });
});

describe('error bodies', () => {
  it('explains an HTML page from a proxy', async () => {
    const page = '<!DOCTYPE html><html><head><title>502 Bad Gateway</title></head><body><h1>nginx</h1></body></html>';
    const server = await serve((req, res) => {
      res.writeHead(req.url === '/ok' ? 200 : 502, { 'content-type': 'text/html' });
      res.end(req.url === '/ok' ? '<html><title>Sign in &amp; continue</title></html>' : page);
    });
    const c = client(server.url, { retry: { maxAttempts: 1 } });
    const gateway = await failure(c.request({ method: 'GET', path: '/x', retry: 'safe', phase: 'follow' }));
    expect(gateway.kind).toBe('http');
    expect(gateway.problem?.detail).toBe('an HTML page (probably from a proxy or gateway): 502 Bad Gateway');
    expect(gateway.message).toContain('HTML page');
    const login = await failure(c.request({ method: 'GET', path: '/ok', retry: 'safe', phase: 'follow' }));
    expect(login.kind).toBe('parse');
    expect(login.message).toBe('follow: GET /ok answered an HTML page (probably a proxy or gateway error page): Sign in & continue');
  });

  it('reads RFC 9110 problem JSON', async () => {
    const server = await serve((_req, res) =>
      json(
        res,
        404,
        { type: 'https://tools.ietf.org/html/rfc9110#section-15.5.5', title: 'Not Found', status: 404, traceId: '00-abc123def456' },
        { 'content-type': 'application/problem+json' },
      ),
    );
    const c = client(server.url);
    const err = await failure(c.request({ method: 'GET', path: '/x', retry: 'safe', phase: 'resolve' }));
    expect(err.problem).toEqual({ title: 'Not Found', traceId: '00-abc123def456', type: 'https://tools.ietf.org/html/rfc9110#section-15.5.5' });
    expect(err.message).toBe('resolve: GET /x answered 404 Not Found (traceId 00-abc123def456)');
  });

  it('reads validation errors: FastAPI lists and RFC 9110 errors maps', async () => {
    const server = await serve((req, res) =>
      req.url === '/fastapi'
        ? json(res, 422, {
            detail: [
              { loc: ['body', 'name'], msg: 'field required', type: 'value_error.missing' },
              { loc: ['query', 'limit'], msg: 'value is not a valid integer', type: 'type_error.integer' },
            ],
          })
        : json(res, 400, { title: 'One or more validation errors occurred.', errors: { uat: ['Unknown environment.'] } }),
    );
    const c = client(server.url);
    const fastapi = await failure(c.request({ method: 'POST', path: '/fastapi', json: {}, retry: 'unsafe', phase: 'trigger' }));
    expect(fastapi.problem?.detail).toBe('body.name: field required; query.limit: value is not a valid integer');
    expect(fastapi.message).toBe(
      'trigger: POST /fastapi answered 422 Unprocessable Entity: body.name: field required; query.limit: value is not a valid integer',
    );
    expect(fastapi.mayHaveApplied).toBe(false);
    const aspnet = await failure(c.request({ method: 'POST', path: '/aspnet', json: {}, retry: 'unsafe', phase: 'trigger' }));
    expect(aspnet.problem?.errors).toEqual(['uat: Unknown environment.']);
  });

  it.each([
    [{ error: { code: 'conflict', message: 'Sync already in progress' } }, 'application/json', 'Sync already in progress', 'conflict'],
    [{ code: 'conflict', message: 'Pipeline busy' }, 'application/json', 'Pipeline busy', 'conflict'],
    [{ error: 'Sync already in progress', existing_job_id: 'job_1' }, 'application/json', 'Sync already in progress', undefined],
    [{ message: 'Nope' }, 'application/json', 'Nope', undefined],
    [{ detail: 'Pipeline is running' }, 'application/json', 'Pipeline is running', undefined],
    ["Unknown taskType 'Pkg'. Valid values: Query, Package.\nsecond line", 'text/plain', "Unknown taskType 'Pkg'. Valid values: Query, Package.", undefined],
    ['{"truncated', 'application/json', '{"truncated', undefined],
    ['', 'application/json', undefined, undefined],
  ])('reads the error body %j', async (body, type, detail, code) => {
    const server = await serve((_req, res) => {
      res.writeHead(409, { 'content-type': type });
      res.end(typeof body === 'string' ? body : JSON.stringify(body));
    });
    const c = client(server.url);
    const err = await failure(c.request({ method: 'POST', path: '/x', json: {}, retry: 'unsafe', phase: 'trigger' }));
    expect(err.status).toBe(409);
    expect(err.problem?.detail).toBe(detail);
    expect(err.problem?.code).toBe(code);
    expect(err.message).not.toContain('\n');
  });

  it('masks the key when the server echoes it, in any form, and strips control characters', async () => {
    const b64 = Buffer.from(KEY).toString('base64');
    const server = await serve((_req, res) =>
      json(res, 401, { detail: `invalid key ${KEY} (${encodeURIComponent(KEY)}, ${b64})\u001b[31m red\u0007` }),
    );
    const c = client(server.url);
    const err = await failure(c.request({ method: 'GET', path: '/x', retry: 'safe', phase: 'resolve' }));
    expect(err.message).toBe('resolve: GET /x answered 401 Unauthorized: invalid key *** (***, ***) red');
    expect(err.bodyText).toContain('***');
    for (const text of [err.message, err.bodyText ?? '', JSON.stringify(err.problem)]) {
      expect(text).not.toContain(KEY);
      expect(text).not.toContain(b64);
      expect(text).not.toContain('\u001b');
    }
  });

  it('truncates long server text to 300 characters', async () => {
    const server = await serve((_req, res) => json(res, 400, { detail: 'x'.repeat(2000) }));
    const c = client(server.url);
    const err = await failure(c.request({ method: 'GET', path: '/x', retry: 'safe', phase: 'resolve' }));
    expect(err.problem?.detail).toHaveLength(300);
    expect(err.bodyText!.length).toBeLessThanOrEqual(500);
  });
});

describe('where the key goes', () => {
  it('does not follow a redirect, and the other origin never sees the key', async () => {
    const other = await serve((_req, res) => json(res, 200, { stolen: true }));
    const server = await serve((_req, res) => {
      res.writeHead(302, { location: `${other.url}/collect?x=1` });
      res.end();
    });
    const c = client(server.url);
    const err = await failure(c.request({ method: 'GET', path: '/x', retry: 'safe', phase: 'follow' }));
    expect(err.kind).toBe('redirect');
    expect(err.status).toBe(302);
    expect(err.message).toBe(
      `follow: GET /x answered 302 redirect to ${other.url}: redirects are not followed, so the key is never sent elsewhere`,
    );
    expect(other.seen).toHaveLength(0);
  });

  it('sends no key to another origin, nor with auth: false', async () => {
    const other = await serve((_req, res) => json(res, 200, {}));
    const server = await serve((_req, res) => json(res, 200, {}));
    const c = client(server.url);
    await c.request({ method: 'GET', path: `${other.url}/signed-log?sig=abc`, retry: 'safe', phase: 'logs' });
    expect(other.seen[0]!.headers['x-api-key']).toBeUndefined();
    expect(other.seen[0]!.url).toBe('/signed-log?sig=abc');
    await c.request({ method: 'GET', path: '/x', retry: 'safe', phase: 'logs', auth: false });
    expect(server.seen[0]!.headers['x-api-key']).toBeUndefined();
    await c.request({ method: 'GET', path: `${server.url}/y`, retry: 'safe', phase: 'logs' });
    expect(server.seen[1]!.headers['x-api-key']).toBe(KEY);
  });

  it('refuses http:// to a non-loopback host before connecting', async () => {
    const c = client('http://example.com/api');
    const err = await failure(c.request({ method: 'GET', path: '/x', retry: 'safe', phase: 'resolve' }));
    expect(err.kind).toBe('config');
    expect(err.mayHaveApplied).toBe(false);
    expect(err.message).toBe('resolve: GET /api/x refusing http://example.com: only https, or http to a loopback address, is allowed');
    expect(c.requestCount).toBe(0);

    const server = await serve((_req, res) => json(res, 200, {}));
    const c2 = client(server.url);
    const abs = await failure(c2.request({ method: 'GET', path: 'http://10.1.2.3/log', retry: 'safe', phase: 'logs', auth: false }));
    expect(abs.kind).toBe('config');
    expect(c2.requestCount).toBe(0);
  });

  it('keeps a protocol-relative looking path on the API origin', async () => {
    const server = await serve((_req, res) => json(res, 200, {}));
    const c = client(server.url);
    await c.request({ method: 'GET', path: '//evil.example/x', retry: 'safe', phase: 'find' });
    expect(server.seen[0]!.url).toBe('//evil.example/x');
  });
});

describe('cancellation', () => {
  it('stops during a retry wait', async () => {
    const server = await serve((_req, res) => json(res, 503, {}));
    const controller = new AbortController();
    const waiting: number[] = [];
    // A clock whose sleeps only end by abort: the test fails by timeout if the abort is not honoured.
    const clock: Clock = {
      now: () => T0,
      sleep: (ms, signal) =>
        new Promise((_resolve, reject) => {
          waiting.push(ms);
          signal?.addEventListener('abort', () => reject(signal.reason), { once: true });
          setTimeout(() => controller.abort(), 10);
        }),
    };
    const c = client(server.url, { clock, signal: controller.signal });
    const started = Date.now();
    const err = await failure(c.request({ method: 'GET', path: '/x', retry: 'safe', phase: 'follow' }));
    expect(err.kind).toBe('aborted');
    expect(err.message).toBe('follow: GET /x was cancelled while waiting to retry');
    expect(err.mayHaveApplied).toBe(true);
    expect(waiting).toHaveLength(1);
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('stops a request in flight on the request signal', async () => {
    const server = await serve(() => undefined);
    const controller = new AbortController();
    const c = client(server.url);
    setTimeout(() => controller.abort(), 50);
    const err = await failure(c.request({ method: 'GET', path: '/x', retry: 'safe', phase: 'follow', signal: controller.signal }));
    expect(err.kind).toBe('aborted');
    expect(c.requestCount).toBe(1);
  });

  it('does not send at all when already aborted', async () => {
    const server = await serve((_req, res) => json(res, 200, {}));
    const c = client(server.url, { signal: AbortSignal.abort() });
    const err = await failure(c.request({ method: 'GET', path: '/x', retry: 'safe', phase: 'follow' }));
    expect(err.kind).toBe('aborted');
    expect(err.mayHaveApplied).toBe(false);
    expect(server.seen).toHaveLength(0);
  });
});

describe('proxies', () => {
  /** A classic forward proxy: absolute-form request URLs, forwarded as they come. */
  async function forwardProxy(): Promise<TestServer & { proxied: string[] }> {
    const proxied: string[] = [];
    const proxy = await serve((req, res, seen) => {
      proxied.push(seen.url);
      const upstream = http.request(seen.url, { method: req.method, headers: req.headers }, (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      });
      upstream.on('error', () => res.destroy());
      upstream.end(seen.body);
    });
    return Object.assign(proxy, { proxied });
  }

  it('uses HTTP_PROXY from env for an http target, and bypasses it for NO_PROXY hosts', async () => {
    const target = await serve((_req, res) => json(res, 200, { via: 'target' }));
    const proxy = await forwardProxy();

    const proxied = client(`${target.url}/v1`, { env: { HTTP_PROXY: proxy.url } });
    const res = await proxied.request({ method: 'GET', path: '/x', query: { a: 1 }, retry: 'safe', phase: 'find' });
    expect(res.data).toEqual({ via: 'target' });
    expect(proxy.proxied).toEqual([`${target.url}/v1/x?a=1`]);
    expect(target.seen).toHaveLength(1);

    const bypassed = client(`${target.url}/v1`, { env: { http_proxy: proxy.url, NO_PROXY: 'example.com, 127.0.0.1' } });
    await bypassed.request({ method: 'GET', path: '/y', retry: 'safe', phase: 'find' });
    expect(proxy.proxied).toHaveLength(1);
    expect(target.seen).toHaveLength(2);

    // HTTPS_PROXY concerns https targets only.
    const httpsOnly = client(target.url, { env: { HTTPS_PROXY: proxy.url } });
    await httpsOnly.request({ method: 'GET', path: '/z', retry: 'safe', phase: 'find' });
    expect(proxy.proxied).toHaveLength(1);
  });

  it('uses an explicit proxy, with its bypass list (port-specific)', async () => {
    const target = await serve((_req, res) => json(res, 200, {}));
    const proxy = await forwardProxy();
    const c = client(target.url, { proxy: { url: proxy.url, bypass: [`127.0.0.1:${target.port + 1}`] }, env: { NO_PROXY: '*' } });
    await c.request({ method: 'GET', path: '/a', retry: 'safe', phase: 'find' });
    expect(proxy.proxied).toEqual([`${target.url}/a`]);

    const bypassed = client(target.url, { proxy: { url: proxy.url, bypass: [`127.0.0.1:${target.port}`] } });
    await bypassed.request({ method: 'GET', path: '/b', retry: 'safe', phase: 'find' });
    expect(proxy.proxied).toHaveLength(1);
    expect(target.seen.map((s) => s.url)).toEqual(['/a', '/b']);
  });
});

describe('rate limits', () => {
  it('spaces out the next requests when the remaining budget is low', async () => {
    const { clock, sleeps } = fakeClock();
    const resetEpochSeconds = Math.floor(T0 / 1000) + 30;
    const server = await serve((_req, res) =>
      json(res, 200, {}, { 'x-ratelimit-limit': '60', 'x-ratelimit-remaining': '3', 'x-ratelimit-reset': String(resetEpochSeconds) }),
    );
    const logs: string[] = [];
    const c = client(server.url, { clock, log: (m) => logs.push(m) });
    await c.request({ method: 'GET', path: '/x', retry: 'safe', phase: 'follow' });
    expect(sleeps).toEqual([]);
    expect(c.rateLimit).toEqual({ limit: 60, remaining: 3, resetAtMs: resetEpochSeconds * 1000 });
    await c.request({ method: 'GET', path: '/x', retry: 'safe', phase: 'follow' });
    // 30 s left for 3 requests: one every 10 s.
    expect(sleeps).toEqual([10_000]);
    expect(logs).toEqual(['GET /x → 200', expect.stringContaining('rate limit'), 'GET /x → 200']);
  });

  it('waits for the reset when nothing remains (Reset in seconds from now), and not when plenty remains', async () => {
    const { clock, sleeps } = fakeClock();
    let remaining = '0';
    const server = await serve((_req, res) =>
      json(res, 200, {}, { 'x-ratelimit-limit': '100', 'x-ratelimit-remaining': remaining, 'x-ratelimit-reset': '7' }),
    );
    const c = client(server.url, { clock });
    await c.request({ method: 'GET', path: '/x', retry: 'safe', phase: 'follow' });
    remaining = '50';
    await c.request({ method: 'GET', path: '/x', retry: 'safe', phase: 'follow' });
    await c.request({ method: 'GET', path: '/x', retry: 'safe', phase: 'follow' });
    expect(sleeps).toEqual([7000]);
  });
});

describe('stream()', () => {
  it('hands over a large chunked body, after retrying the status', async () => {
    const lines = 200_000;
    const server = await serve((_req, res, _s, i) => {
      if (i === 0) return json(res, 503, {});
      res.writeHead(200, { 'content-type': 'text/plain' });
      let n = 0;
      const write = (): void => {
        while (n < lines) {
          const ok = res.write(`${new Date(T0).toISOString()} line ${n} of the execution log\n`);
          n += 1;
          if (!ok) return void res.once('drain', write);
        }
        res.end();
      };
      write();
    });
    const c = client(server.url);
    const answer = await c.stream({ method: 'GET', path: '/log', retry: 'safe', phase: 'logs', expect: 'text' });
    expect(answer.status).toBe(200);
    expect(answer.contentType).toBe('text/plain');
    let count = 0;
    let bytes = 0;
    for await (const chunk of answer.body) {
      bytes += chunk.length;
      for (const byte of chunk) if (byte === 10) count += 1;
    }
    expect(count).toBe(lines);
    expect(bytes).toBeGreaterThan(lines * 40);
    expect(c.requestCount).toBe(2);
  });

  it('turns a body that stalls into an ApiError timeout', async () => {
    const server = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.write('first\n');
    });
    const c = client(server.url);
    const answer = await c.stream({ method: 'GET', path: '/log', retry: 'safe', phase: 'logs', timeoutMs: 1000 });
    const chunks: string[] = [];
    const err = await failure(
      (async () => {
        for await (const chunk of answer.body) chunks.push(chunk.toString());
      })(),
    );
    expect(chunks.join('')).toBe('first\n');
    expect(err.kind).toBe('timeout');
  });
});

describe('helpers', () => {
  it('parseRetryAfter reads delta-seconds and HTTP-dates, and rejects garbage', () => {
    const now = Date.UTC(1994, 10, 6, 8, 49, 30);
    expect(parseRetryAfter('120', now)).toBe(120_000);
    expect(parseRetryAfter(' 0 ', now)).toBe(0);
    expect(parseRetryAfter('Sun, 06 Nov 1994 08:49:37 GMT', now)).toBe(7000);
    expect(parseRetryAfter('Sunday, 06-Nov-94 08:49:37 GMT', now)).toBe(7000);
    expect(parseRetryAfter('Sun Nov  6 08:49:37 1994', now)).toBe(7000);
    expect(parseRetryAfter('Sun, 06 Nov 1994 08:49:00 GMT', now)).toBe(0);
    for (const garbage of [undefined, '', 'soon', '-5', '1.5', 'hello 2020', 'Sun, 06 Foo 1994 08:49:37 GMT']) {
      expect(parseRetryAfter(garbage, now)).toBeUndefined();
    }
  });

  it('isLoopbackHost knows 127/8, ::1 and localhost only', () => {
    for (const host of ['127.0.0.1', '127.1.2.3', '::1', '[::1]', 'localhost', 'LOCALHOST']) expect(isLoopbackHost(host)).toBe(true);
    for (const host of ['128.0.0.1', '127.0.0.256', '10.0.0.1', 'localhost.evil.com', '127.0.0.1.nip.io', '::2', '']) {
      expect(isLoopbackHost(host)).toBe(false);
    }
  });

  it('assertAllowedUrl allows https and loopback http only', () => {
    expect(() => assertAllowedUrl(new URL('https://acme.odq.timextender.com/api'))).not.toThrow();
    expect(() => assertAllowedUrl(new URL('http://127.0.0.1:4567/v1'))).not.toThrow();
    expect(() => assertAllowedUrl(new URL('http://[::1]:4567/v1'))).not.toThrow();
    for (const url of ['http://acme.example.com', 'ftp://127.0.0.1/x', 'file:///etc/passwd']) {
      let caught: unknown;
      try {
        assertAllowedUrl(new URL(url));
      } catch (err) {
        caught = err;
      }
      expect(caught).toBeInstanceOf(ApiError);
      expect((caught as ApiError).kind).toBe('config');
    }
  });
});

/**
 * Self-tests of the platform-neutral simulator core: fault injection, journal, module mounting, clock.
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import { SimClock, startSimulator, type SimModule } from '../../src/simulator/index.js';
import { expectProblem, startTestWorld, type TestWorld } from './helpers.js';

let world: TestWorld | undefined;

async function start(): Promise<TestWorld> {
  world = await startTestWorld();
  return world;
}

afterEach(async () => {
  await world?.sim.close();
  world = undefined;
});

const TASKS = '/api/v0/orchestration/finance/tasks';
const TRIGGER = '/api/v0/orchestration/finance/tasks/Package/1005/trigger';

const apiExecutions = (w: TestWorld) => w.sim.tdp.executions('finance', 'Package', 1005).filter((e) => e.origin === 'api');

describe('faults that answer instead of the module', () => {
  it("'status' answers the status with a problem body and never reaches the module", async () => {
    const w = await start();
    w.sim.faults.add({ path: TRIGGER, kind: 'status', status: 503 });
    const res = await w.post('/finance/tasks/Package/1005/trigger');
    expect(res.status).toBe(503);
    expect(await res.json()).toMatchObject({ status: 503, title: 'Service Unavailable' });
    expect(apiExecutions(w)).toEqual([]);
    expect(w.sim.tdp.triggers()).toEqual([]);
    expect(w.sim.journal.entries({ method: 'POST' })[0]).toMatchObject({ status: 503, fault: 'status', platform: 'timextender' });
    // times defaults to 1: the next request goes through.
    expect((await w.post('/finance/tasks/Package/1005/trigger')).status).toBe(202);
  });

  it.each([500, 502, 504])("'status' %i with custom headers and body", async (status) => {
    const w = await start();
    w.sim.faults.add({ kind: 'status', status, headers: { 'X-Gateway': 'edge-1' }, body: '{"oops":true}' });
    const res = await w.get('/finance/tasks');
    expect(res.status).toBe(status);
    expect(res.headers.get('x-gateway')).toBe('edge-1');
    expect(await res.text()).toBe('{"oops":true}');
  });

  it("'malformed-json' answers 200 application/json with a truncated body", async () => {
    const w = await start();
    w.sim.faults.add({ path: TASKS, kind: 'malformed-json' });
    const res = await w.get('/finance/tasks');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    const text = await res.text();
    expect(text).toBe('{"truncated": [');
    expect(() => JSON.parse(text)).toThrow();
  });

  it("'html' answers a 502 proxy page", async () => {
    const w = await start();
    w.sim.faults.add({ kind: 'html' });
    const res = await w.get('/finance/tasks');
    expect(res.status).toBe(502);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    expect(await res.text()).toMatch(/<title>502 Bad Gateway<\/title>/);
  });

  it("'empty' answers 200 with an empty JSON body", async () => {
    const w = await start();
    w.sim.faults.add({ kind: 'empty' });
    const res = await w.get('/finance/tasks');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect(res.headers.get('content-length')).toBe('0');
    expect(await res.text()).toBe('');
  });

  it("'redirect' answers 302 with the rule's Location", async () => {
    const w = await start();
    w.sim.faults.add({ kind: 'redirect', location: 'http://127.0.0.2:9/elsewhere' });
    const res = await fetch(w.api('/finance/tasks'), { headers: { 'X-API-Key': w.demo.tdpKey }, redirect: 'manual' });
    expect(res.status).toBe(302);
    expect(res.headers.get('location')).toBe('http://127.0.0.2:9/elsewhere');
  });

  it("'rate-limit' answers 429 with Retry-After 1, an HTTP-date, or no header at all", async () => {
    const w = await start();
    const date = new Date(Date.now() + 5_000).toUTCString();
    w.sim.faults.add({ kind: 'rate-limit' });
    w.sim.faults.add({ kind: 'rate-limit', headers: { 'Retry-After': date } });
    w.sim.faults.add({ kind: 'rate-limit', headers: {} });
    const seconds = await w.get('/finance/tasks');
    expect(seconds.status).toBe(429);
    expect(seconds.headers.get('retry-after')).toBe('1');
    expect(await seconds.json()).toMatchObject({ status: 429 });
    const httpDate = await w.get('/finance/tasks');
    expect(httpDate.headers.get('retry-after')).toBe(date);
    const none = await w.get('/finance/tasks');
    expect(none.status).toBe(429);
    expect(none.headers.get('retry-after')).toBeNull();
    expect((await w.get('/finance/tasks')).status).toBe(200);
  });
});

describe('faults that break the connection', () => {
  it("'refuse' drops the socket before reading; the journal still notes it", async () => {
    const w = await start();
    w.sim.faults.add({ path: TRIGGER, kind: 'refuse' });
    await expect(w.post('/finance/tasks/Package/1005/trigger')).rejects.toThrow();
    expect(apiExecutions(w)).toEqual([]);
    expect(w.sim.journal.entries({ method: 'POST' })).toEqual([expect.objectContaining({ fault: 'refuse', status: 0, body: '' })]);
  });

  it("'reset' drops the socket without applying the request", async () => {
    const w = await start();
    w.sim.faults.add({ path: TRIGGER, kind: 'reset' });
    await expect(w.post('/finance/tasks/Package/1005/trigger')).rejects.toThrow();
    expect(apiExecutions(w)).toEqual([]);
    expect(w.sim.journal.entries({ method: 'POST' })[0]).toMatchObject({ fault: 'reset', status: 0, body: '{"uat":"Production"}' });
  });

  it("'reset-mid-body' sends the status and half the body, then drops the socket", async () => {
    const w = await start();
    w.sim.faults.add({ path: TASKS, kind: 'reset-mid-body' });
    const res = await w.get('/finance/tasks');
    expect(res.status).toBe(200);
    await expect(res.text()).rejects.toThrow();
    expect(w.sim.journal.entries({ path: TASKS })[0]).toMatchObject({ fault: 'reset-mid-body', handledStatus: 200 });
  });

  it("'apply-then-reset' applies the trigger exactly once though the client sees an error", async () => {
    const w = await start();
    w.sim.faults.add({ path: TRIGGER, kind: 'apply-then-reset' });
    await expect(w.post('/finance/tasks/Package/1005/trigger')).rejects.toThrow();
    expect(apiExecutions(w)).toHaveLength(1);
    expect(w.sim.tdp.triggers()).toEqual([expect.objectContaining({ accepted: true, status: 202 })]);
    expect(w.sim.journal.entries({ method: 'POST' })[0]).toMatchObject({ fault: 'apply-then-reset', status: 0, handledStatus: 202 });
    // A blind resend meets the run the first attempt started (apis.md §1.9).
    await expectProblem(await w.post('/finance/tasks/Package/1005/trigger'), 409);
    expect(apiExecutions(w)).toHaveLength(1);
  });

  it.each([undefined, 502, 504])("'apply-then-status' (%s) applies the trigger once, then answers a gateway error", async (status) => {
    const w = await start();
    w.sim.faults.add({ path: TRIGGER, kind: 'apply-then-status', ...(status !== undefined && { status }) });
    const res = await w.post('/finance/tasks/Package/1005/trigger');
    expect(res.status).toBe(status ?? 502);
    expect(await res.text()).toMatch(new RegExp(`${status ?? 502}`));
    expect(apiExecutions(w)).toHaveLength(1);
    expect(w.sim.tdp.triggers()).toEqual([expect.objectContaining({ accepted: true, status: 202 })]);
    expect(w.sim.journal.entries({ method: 'POST' })[0]).toMatchObject({ fault: 'apply-then-status', status: status ?? 502, handledStatus: 202 });
  });

  it("'slow' exceeds the client's timeout, and the server still applies the request after the delay", async () => {
    const w = await start();
    w.sim.faults.add({ path: TRIGGER, kind: 'slow', delayMs: 300 });
    const attempt = fetch(w.api('/finance/tasks/Package/1005/trigger'), {
      method: 'POST',
      headers: { 'X-API-Key': w.demo.tdpKey, 'Content-Type': 'application/json' },
      body: '{"uat":"Production"}',
      signal: AbortSignal.timeout(50),
    });
    await expect(attempt).rejects.toThrow();
    expect(apiExecutions(w)).toEqual([]);
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(apiExecutions(w)).toHaveLength(1);
  });

  it("'slow' answers normally when the client waits", async () => {
    const w = await start();
    w.sim.faults.add({ path: TASKS, kind: 'slow', delayMs: 100 });
    const started = Date.now();
    const res = await w.get('/finance/tasks');
    expect(res.status).toBe(200);
    expect(Date.now() - started).toBeGreaterThanOrEqual(90);
    expect(await res.json()).toHaveLength(7);
  });
});

describe('fault matching', () => {
  it('skips the first N matches, then applies `times` times', async () => {
    const w = await start();
    const id = w.sim.faults.add({ method: 'GET', path: /\/tasks$/, skip: 1, times: 2, kind: 'status', status: 500 });
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) statuses.push((await w.get('/finance/tasks')).status);
    expect(statuses).toEqual([200, 500, 500, 200]);
    expect(w.sim.faults.appliedCount(id)).toBe(2);
  });

  it('applies for ever with times Infinity, until cleared', async () => {
    const w = await start();
    w.sim.faults.add({ kind: 'status', status: 503, times: Infinity });
    for (let i = 0; i < 3; i++) expect((await w.get('/workspaces')).status).toBe(503);
    w.sim.faults.clear();
    expect((await w.get('/workspaces')).status).toBe(200);
  });

  it('matches by platform and method', async () => {
    const w = await start();
    w.sim.faults.add({ platform: 'qarion', kind: 'status', status: 500, times: Infinity });
    w.sim.faults.add({ platform: 'timextender', method: 'POST', kind: 'status', status: 502, times: Infinity });
    expect((await w.get('/workspaces')).status).toBe(200);
    expect((await w.post('/finance/tasks/Package/1005/trigger')).status).toBe(502);
  });
});

describe('server core', () => {
  it('answers 404 JSON for a path no module handles, and journals it as platform none', async () => {
    const w = await start();
    const res = await fetch(`${w.sim.url}/nowhere`, { headers: { Authorization: 'Bearer secret-token' } });
    expect(res.status).toBe(404);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    const [entry] = w.sim.journal.entries({ path: '/nowhere' });
    expect(entry).toMatchObject({ platform: 'none', status: 404, authHeaders: ['authorization'] });
    expect(entry!.headers['authorization']).toBe('<redacted>');
  });

  it('routes to mounted modules in order; json, text, empty and stream answers', async () => {
    const w = await start();
    const module: SimModule = {
      name: 'example',
      claims: (req) => req.path.startsWith('/example/'),
      handle(req, res) {
        if (!req.path.startsWith('/example/')) return false;
        if (req.path === '/example/json') res.json(201, { echo: req.query['q'] ?? null, body: req.body }, { 'X-RateLimit-Remaining': '59' });
        else if (req.path === '/example/text') res.text(200, 'text/plain', 'line 1\nline 2\n');
        else if (req.path === '/example/empty') res.empty(204);
        else if (req.path === '/example/stream') res.stream(200, 'application/x-ndjson', ['{"n":1}\n', '{"n":2}\n']);
        else return false;
        return true;
      },
    };
    w.sim.mount(module);
    const json = await fetch(`${w.sim.url}/example/json?q=hi`, { method: 'POST', body: 'payload' });
    expect(json.status).toBe(201);
    expect(json.headers.get('x-ratelimit-remaining')).toBe('59');
    expect(await json.json()).toEqual({ echo: 'hi', body: 'payload' });
    expect(await (await fetch(`${w.sim.url}/example/text`)).text()).toBe('line 1\nline 2\n');
    expect((await fetch(`${w.sim.url}/example/empty`)).status).toBe(204);
    expect(await (await fetch(`${w.sim.url}/example/stream`)).text()).toBe('{"n":1}\n{"n":2}\n');
    expect((await fetch(`${w.sim.url}/example/other`)).status).toBe(404);
    // The platform is the module that claims the path, even when it then declines it (404 by the server).
    expect(w.sim.journal.count({ platform: 'example' })).toBe(5);
    expect(w.sim.journal.entries({ path: '/example/other' })[0]).toMatchObject({ status: 404 });
  });

  it('close() ends promptly even with keep-alive connections open', async () => {
    const w = await start();
    expect((await w.get('/workspaces')).status).toBe(200);
    const started = Date.now();
    await w.sim.close();
    expect(Date.now() - started).toBeLessThan(1_000);
    await expect(w.get('/workspaces')).rejects.toThrow();
    world = undefined;
  });

  it('listens on ::1 when asked (skipped where IPv6 loopback is unavailable)', async () => {
    let sim;
    try {
      sim = await startSimulator({ host: '::1' });
    } catch {
      return;
    }
    try {
      expect(sim.url).toMatch(/^http:\/\/\[::1\]:\d+$/);
      expect((await fetch(`${sim.url}/swagger`)).status).toBe(200);
    } finally {
      await sim.close();
    }
  });

  it('journal filters by method and path, and clears', async () => {
    const w = await start();
    await w.get('/workspaces');
    await w.get('/finance/tasks?limit=5');
    await w.post('/finance/tasks/Package/1005/trigger');
    const [tasks] = w.sim.journal.entries({ path: TASKS });
    expect(tasks).toMatchObject({ method: 'GET', query: { limit: '5' }, status: 200, seq: 2 });
    expect(tasks!.simTimeMs).toBe(w.sim.clock.now());
    expect(w.sim.journal.count({ method: 'post' })).toBe(1);
    expect(w.sim.journal.count()).toBe(3);
    w.sim.journal.clear();
    expect(w.sim.journal.entries()).toEqual([]);
  });
});

describe('SimClock', () => {
  it('runs timeScale times faster than real time, re-anchoring on a scale change, and advances', () => {
    let real = 1_000;
    const clock = new SimClock({ startEpochMs: 50_000, timeScale: 60, realNow: () => real });
    expect(clock.now()).toBe(50_000);
    real += 1_000;
    expect(clock.now()).toBe(110_000); // one real second = one simulated minute
    clock.timeScale = 1;
    expect(clock.now()).toBe(110_000);
    real += 1_000;
    expect(clock.now()).toBe(111_000);
    clock.advance(3_600_000);
    expect(clock.now()).toBe(3_711_000);
    clock.timeScale = 0;
    real += 10_000;
    expect(clock.now()).toBe(3_711_000);
    expect(() => clock.advance(-1)).toThrow(RangeError);
  });

  it('moves runs forward in real time with a time scale', async () => {
    const w = await start();
    w.sim.tdp.setScenario('finance', 'Package', 42, { outcome: 'success', durationMs: 30_000 });
    w.sim.clock.timeScale = 1_000; // 50 real ms ≈ 50 simulated seconds
    expect((await w.post('/finance/tasks/Package/42/trigger')).status).toBe(202);
    await new Promise((resolve) => setTimeout(resolve, 80));
    expect((await w.getJson<{ status: string }>('/finance/tasks/Package/42')).status).toBe('Finished');
  });
});

/**
 * The step's request budget (src/core/http/budget.ts) on virtual time: paced from the platform's documented
 * limit before any answer, corrected by the rate-limit headers of the answers (evenly until the reset, not only
 * near exhaustion), held after a 429, and shared by every client of a step.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { HttpClient } from '../../src/core/http/index.js';
import { REQUEST_BURST, RequestBudget } from '../../src/core/http/budget.js';
import { FakeClock } from '../helpers/fake-clock.js';

const QARION_LIMIT = { requests: 60, perMs: 60_000 };

/** `n` requests asked for at once: how long each is told to wait. */
function takeMany(budget: RequestBudget, n: number): number[] {
  return Array.from({ length: n }, () => budget.take().waitMs);
}

function steps(waits: number[]): number[] {
  return waits.slice(1).map((w, i) => w - waits[i]!);
}

describe('RequestBudget', () => {
  it('paces from the documented limit before any answer: a small burst, then one request a second at 60/min', () => {
    const clock = new FakeClock();
    const budget = new RequestBudget(clock, QARION_LIMIT);
    const waits = takeMany(budget, REQUEST_BURST + 5);
    expect(waits.slice(0, REQUEST_BURST)).toEqual(new Array(REQUEST_BURST).fill(0));
    expect(waits.slice(REQUEST_BURST)).toEqual([1000, 2000, 3000, 4000, 5000]);
    // A minute later the burst is there again.
    clock.t += 60_000;
    expect(takeMany(budget, REQUEST_BURST)).toEqual(new Array(REQUEST_BURST).fill(0));
  });

  it('bursts a quarter of a small documented limit at most', () => {
    expect(takeMany(new RequestBudget(new FakeClock(), { requests: 3, perMs: 30_000 }), 4)).toEqual([0, 10_000, 20_000, 30_000]);
    expect(takeMany(new RequestBudget(new FakeClock(), { requests: 8, perMs: 8_000 }), 4)).toEqual([0, 0, 1000, 2000]);
  });

  it('paces nothing without a documented limit and without headers', () => {
    const budget = new RequestBudget(new FakeClock());
    expect(takeMany(budget, 50).every((w) => w === 0)).toBe(true);
  });

  it('spreads what the headers say remains evenly until the reset, long before the budget is nearly spent', () => {
    const clock = new FakeClock();
    const budget = new RequestBudget(clock);
    expect(budget.take().waitMs).toBe(0);
    // Half of the window's budget left, 15 s to the reset: one request every 500 ms, after a small burst.
    budget.note({ limit: 60, remaining: 30, resetAtMs: clock.t + 15_000 });
    const waits = takeMany(budget, 30);
    const immediate = waits.filter((w) => w === 0).length;
    expect(immediate).toBeGreaterThanOrEqual(1);
    expect(immediate).toBeLessThanOrEqual(REQUEST_BURST);
    expect(new Set(steps(waits.slice(immediate - 1)))).toEqual(new Set([500]));
    // The last of the 30 still goes before the reset, but not all at once.
    expect(waits[29]).toBeLessThan(15_000);
    expect(waits[29]).toBeGreaterThanOrEqual(10_000);
  });

  it('paces strictly (no burst) when the headers say little remains', () => {
    const clock = new FakeClock();
    const budget = new RequestBudget(clock);
    budget.take();
    budget.note({ limit: 60, remaining: 3, resetAtMs: clock.t + 30_000 });
    expect(takeMany(budget, 3)).toEqual([10_000, 20_000, 30_000]);
  });

  it('waits for the reset when nothing remains, then goes on at the documented pace', () => {
    const clock = new FakeClock();
    const budget = new RequestBudget(clock, QARION_LIMIT);
    budget.take();
    budget.note({ limit: 60, remaining: 0, resetAtMs: clock.t + 7000 });
    expect(budget.take().waitMs).toBe(7000);
    clock.t += 7000;
    // Headers from before the reset are stale now: the documented limit applies until the next answer.
    expect(budget.gapMs).toBe(1000);
  });

  it('is corrected by headers that disagree with the documented limit: faster', () => {
    const clock = new FakeClock();
    const budget = new RequestBudget(clock, QARION_LIMIT);
    const queued = takeMany(budget, REQUEST_BURST + 10);
    expect(queued.at(-1)).toBe(10_000);
    // The key is on a higher tier (300/min): the queue behind it moves five times faster.
    budget.note({ limit: 300, remaining: 290, resetAtMs: clock.t + 58_000 });
    expect(budget.gapMs).toBe(200);
    // Those already waiting keep their turn; the requests after them follow at the new pace.
    const [a, b, c] = takeMany(budget, 3);
    expect(a).toBeLessThanOrEqual(10_200);
    expect([b! - a!, c! - b!]).toEqual([200, 200]);
  });

  it('is corrected by headers that disagree with the documented limit: slower', () => {
    const clock = new FakeClock();
    const budget = new RequestBudget(clock, QARION_LIMIT);
    budget.take();
    // A key whose tier allows 10 a minute: 9 left for 60 s, one every 6.7 s after a burst of 2 (a quarter of
    // what is left beyond a reserve of one).
    budget.note({ limit: 10, remaining: 9, resetAtMs: clock.t + 60_000 });
    expect(budget.gapMs).toBeCloseTo(60_000 / 9, 0);
    const waits = takeMany(budget, 9);
    expect(waits[8]).toBeLessThanOrEqual(60_000);
    expect(waits[8]).toBeGreaterThan(40_000);
    expect(waits.filter((w) => w === 0)).toHaveLength(1);
    for (const step of steps(waits)) expect(step).toBeCloseTo(60_000 / 9, -1);
  });

  it('keeps the steady pace of the headers\' limit over the window when a window ends with much left', () => {
    const clock = new FakeClock();
    const budget = new RequestBudget(clock, QARION_LIMIT);
    budget.take();
    budget.note({ limit: 60, remaining: 59, resetAtMs: clock.t + 60_000 });
    clock.t += 55_000;
    // 30 left for the last 5 s of a one-minute window: not 30 in 5 s, but still one a second.
    budget.note({ limit: 60, remaining: 30, resetAtMs: clock.t + 5000 });
    expect(budget.gapMs).toBe(1000);
    // A budget that has seen only the end of a window cannot know its length: the rest is spread until the reset.
    const late = new RequestBudget(clock);
    late.note({ limit: 60, remaining: 30, resetAtMs: clock.t + 5000 });
    expect(late.gapMs).toBeCloseTo(5000 / 30, 5);
  });

  it('holds every request until a Retry-After has passed', () => {
    const clock = new FakeClock();
    const budget = new RequestBudget(clock);
    budget.hold(clock.t + 3000);
    expect(budget.take().waitMs).toBe(3000);
    clock.t += 3000;
    expect(budget.take().waitMs).toBe(0);
  });

  it('never waits past the deadline', () => {
    const clock = new FakeClock();
    const budget = new RequestBudget(clock, { requests: 1, perMs: 60_000 });
    budget.take();
    expect(budget.take(clock.t + 5000).waitMs).toBe(5000);
  });
});

describe('one budget shared by the clients of a step', () => {
  let server: http.Server;
  let url: string;
  let answer: (res: http.ServerResponse, index: number) => void;
  let seen = 0;
  const clients: HttpClient[] = [];

  beforeEach(async () => {
    seen = 0;
    answer = (res) => res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    server = http.createServer((req, res) => {
      req.resume();
      req.on('end', () => answer(res, seen++));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.close()));
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  function client(clock: FakeClock, budget?: RequestBudget): HttpClient {
    const c = new HttpClient({ baseUrl: url, clock, retry: { baseDelayMs: 0 }, ...(budget && { budget }) });
    clients.push(c);
    return c;
  }

  const get = (c: HttpClient) => c.request({ method: 'GET', path: '/x', retry: 'safe', phase: 'follow' });

  it('a second client waits for what the first one spent', async () => {
    const clock = new FakeClock();
    // 8 per 40 s: a burst of 2, then one every 5 s.
    const budget = new RequestBudget(clock, { requests: 8, perMs: 40_000 });
    const a = client(clock, budget);
    const b = client(clock, budget);
    await get(a);
    await get(a);
    expect(clock.gaps).toEqual([]);
    await get(b);
    expect(clock.gaps).toEqual([5000]);
  });

  it('separate budgets do not (the control)', async () => {
    const clock = new FakeClock();
    const a = client(clock, new RequestBudget(clock, { requests: 8, perMs: 40_000 }));
    const b = client(clock, new RequestBudget(clock, { requests: 8, perMs: 40_000 }));
    await get(a);
    await get(a);
    await get(b);
    expect(clock.gaps).toEqual([]);
  });

  it('the headers one client reads pace the other', async () => {
    const clock = new FakeClock();
    const budget = new RequestBudget(clock);
    answer = (res) =>
      res
        .writeHead(200, { 'content-type': 'application/json', 'x-ratelimit-limit': '60', 'x-ratelimit-remaining': '2', 'x-ratelimit-reset': '20' })
        .end('{}');
    await get(client(clock, budget));
    await get(client(clock, budget));
    expect(clock.gaps).toEqual([10_000]);
  });

  it('a 429 to one client holds the other until its Retry-After', async () => {
    const clock = new FakeClock();
    const budget = new RequestBudget(clock);
    answer = (res, i) =>
      i === 0
        ? res.writeHead(429, { 'content-type': 'application/json', 'retry-after': '3' }).end('{"detail":"Rate limit exceeded."}')
        : res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    // a gives up at once (one attempt), so no sleep of its own moves the clock: b is held by a's 429.
    const a = new HttpClient({ baseUrl: url, clock, budget, retry: { maxAttempts: 1 } });
    clients.push(a);
    await expect(get(a)).rejects.toThrow(/429/);
    await get(client(clock, budget));
    expect(clock.gaps).toEqual([3000]);
    expect(seen).toBe(2);
  });

  it('a request to another origin (a pre-signed log URL) does not spend the budget', async () => {
    const clock = new FakeClock();
    const budget = new RequestBudget(clock, { requests: 1, perMs: 10_000 });
    const c = new HttpClient({ baseUrl: 'http://localhost:9/api', clock, budget });
    clients.push(c);
    await c.request({ method: 'GET', path: `${url}/log`, retry: 'safe', phase: 'logs', auth: false });
    await c.request({ method: 'GET', path: `${url}/log`, retry: 'safe', phase: 'logs', auth: false });
    expect(clock.gaps).toEqual([]);
    expect(budget.take().waitMs).toBe(0);
  });
});

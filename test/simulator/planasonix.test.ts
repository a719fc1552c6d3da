/**
 * The Planasonix simulator module on its own, over raw HTTP with a frozen clock (only `clock.advance`
 * moves runs), so each behaviour of apis.md §4.3 is pinned down deterministically.
 */
import { startSimulator, type Simulator } from '../../src/simulator/index.js';
import { createPlanasonixModule, type PlanasonixModule, type PlanasonixOptions } from '../../src/simulator/planasonix.js';

const KEY = 'plx_test_SimSelfTestKey0001';
const START = Date.UTC(2026, 2, 15, 8, 30, 0);

let sim: Simulator;
let plx: PlanasonixModule;

async function setup(options: Partial<PlanasonixOptions> = {}): Promise<void> {
  sim = await startSimulator({ timeScale: 0, startEpochMs: START });
  plx = createPlanasonixModule({ clock: sim.clock, seed: 3, options });
  sim.mount(plx);
  plx.addKey(KEY);
  plx.addConnection('conn_a');
  plx.addPipeline('pl_a');
  plx.setSyncScenario('conn_a', { outcome: 'success', queuedMs: 1000, durationMs: 10_000, rows: 5000 });
  plx.setPipelineScenario('pl_a', { outcome: 'failure', durationMs: 3000, failingNode: 'load' });
}

afterEach(async () => {
  await sim.close();
  await plx.close();
});

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

async function call(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<{ status: number; json: Json; text: string; headers: Headers }> {
  const res = await fetch(`${sim.url}${path}`, {
    method,
    headers: { Authorization: `Bearer ${KEY}`, ...(body !== undefined && { 'Content-Type': 'application/json' }), ...headers },
    ...(body !== undefined && { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  let json: Json = {};
  try {
    json = JSON.parse(text) as Json;
  } catch {
    // not JSON
  }
  return { status: res.status, json, text, headers: res.headers };
}

describe('auth', () => {
  beforeEach(() => setup({ acceptLegacyKeyHeaders: false }));

  test('missing, malformed, unknown and revoked keys answer 401; a policy block 403', async () => {
    expect((await call('GET', '/api/v1/jobs', undefined, { Authorization: '' })).status).toBe(401);
    const malformed = await call('GET', '/api/v1/jobs', undefined, { Authorization: `Token ${KEY}` });
    expect([malformed.status, malformed.json.error]).toEqual([401, expect.stringMatching(/Malformed/)]);
    expect((await call('GET', '/api/v1/jobs', undefined, { Authorization: 'Bearer nope' })).status).toBe(401);
    expect((await call('GET', '/api/v1/jobs')).status).toBe(200);
    plx.revokeKey(KEY);
    expect((await call('GET', '/api/v1/jobs')).json.error).toMatch(/revoked/);
    plx.keys.get(KEY)!.revoked = false;
    plx.options.policyBlock = true;
    expect((await call('GET', '/api/v1/jobs')).status).toBe(403);
  });

  test('legacy key headers only with the switch; a missing scope is 403', async () => {
    const legacy = () => fetch(`${sim.url}/api/v1/jobs`, { headers: { 'X-Planasonix-Api-Key': KEY } }).then((r) => r.status);
    expect(await legacy()).toBe(401);
    plx.options.acceptLegacyKeyHeaders = true;
    expect(await legacy()).toBe(200);
    const reader = plx.addKey('plx_reader', { scopes: ['sync:read'] });
    const refused = await call('POST', '/api/v1/connections/conn_a/sync', {}, { Authorization: `Bearer ${reader}` });
    expect([refused.status, refused.json.error]).toEqual([403, 'This API key lacks the scope sync:trigger']);
  });

  test.each([403, 404] as const)('the API disabled answers %i', async (status) => {
    plx.options.apiDisabled = status;
    const res = await call('GET', '/api/v1/jobs');
    expect(res.status).toBe(status);
    expect(res.json.error).toMatch(/Enterprise/);
  });
});

describe('sync, idempotency and conflicts', () => {
  beforeEach(() => setup());

  test('202 (enveloped), the same key → the same job (200), another key while it runs → 409 naming it', async () => {
    const first = await call('POST', '/api/v1/connections/conn_a/sync', { sync_type: 'full', idempotency_key: 'k1' }, { 'Idempotency-Key': 'k1' });
    expect(first.status).toBe(202);
    expect(first.json.data.job).toMatchObject({ type: 'connection_sync', status: 'queued', connection_id: 'conn_a', sync_type: 'full' });
    const again = await call('POST', '/api/v1/connections/conn_a/sync', { idempotency_key: 'k1' }, { 'Idempotency-Key': 'k1' });
    expect([again.status, again.json.data.job.id]).toEqual([200, first.json.data.job.id]);
    const other = await call('POST', '/api/v1/connections/conn_a/sync', {}, { 'Idempotency-Key': 'k2' });
    expect(other.status).toBe(409);
    expect(other.json).toEqual({ error: 'Sync already in progress', existing_job_id: first.json.data.job.id });
    expect(plx.jobs('conn_a')).toHaveLength(1);
    expect(plx.triggers().map((t) => [t.status, t.keySource, t.replay])).toEqual([[202, 'header', false], [200, 'header', true], [409, 'header', false]]);
  });

  test('honouring only the header: a body key alone is not remembered', async () => {
    plx.options.idempotency = 'header';
    plx.options.syncResponseShape = 'flat';
    const first = await call('POST', '/api/v1/connections/conn_a/sync', { idempotency_key: 'k1' });
    expect(first.json).toEqual({ job_id: expect.stringMatching(/^job_/), status: 'queued' });
    expect((await call('POST', '/api/v1/connections/conn_a/sync', { idempotency_key: 'k1' })).status).toBe(409);
    expect(plx.triggers()[0]!.keySource).toBe('none');
  });

  test('a job moves queued → running → completed, with rising rows and the results summary', async () => {
    const id = (await call('POST', '/api/v1/connections/conn_a/sync', {})).json.data.job.id as string;
    const read = async () => (await call('GET', `/api/v1/jobs/${id}`)).json;
    expect((await read()).status).toBe('queued');
    sim.clock.advance(6000);
    const running = await read();
    expect([running.status, running.progress.rows_synced, running.finished_at]).toEqual(['running', 2500, null]);
    sim.clock.advance(6000);
    const done = await read();
    expect([done.status, done.progress.rows_synced, done.finished_at]).toEqual(['completed', 5000, expect.stringMatching(/Z$/)]);
    expect((await call('GET', `/api/v1/jobs/${id}/results`)).json.summary.total_rows_synced).toBe(5000);
  });

  test('cooperative cancel: cancelling for N reads, then cancelled; a finished job answers 409 (or 400)', async () => {
    const id = (await call('POST', '/api/v1/connections/conn_a/sync', {})).json.data.job.id as string;
    sim.clock.advance(2000);
    expect((await call('POST', `/api/v1/jobs/${id}/cancel`)).status).toBe(202);
    const words = [];
    for (let i = 0; i < 4; i++) words.push((await call('GET', `/api/v1/jobs/${id}`)).json.status);
    expect(words).toEqual(['cancelling', 'cancelling', 'cancelled', 'cancelled']);
    expect((await call('POST', `/api/v1/jobs/${id}/cancel`)).status).toBe(409);
    plx.options.cancelFinished = 400;
    expect((await call('POST', `/api/v1/jobs/${id}/cancel`)).status).toBe(400);
  });

  test('a cooperative cancel may end completed', async () => {
    plx.options.cancelEndsAs = 'completed';
    plx.options.cancelPolls = 0;
    const id = (await call('POST', '/api/v1/connections/conn_a/sync', {})).json.data.job.id as string;
    sim.clock.advance(2000);
    await call('POST', `/api/v1/jobs/${id}/cancel`);
    expect((await call('GET', `/api/v1/jobs/${id}`)).json.status).toBe('completed');
  });

  test('job lists page by limit/offset, or by cursor, in three shapes', async () => {
    for (let i = 0; i < 5; i++) {
      plx.startForeignJob('conn_a', { outcome: 'success', durationMs: 10 });
      sim.clock.advance(100);
    }
    const page = await call('GET', '/api/v1/jobs?connection_id=conn_a&limit=2&offset=2');
    expect(Array.isArray(page.json) && page.json.length).toBe(2);
    plx.options.listShape = 'cursor';
    const first = await call('GET', '/api/v1/jobs?limit=3');
    expect(first.json.data).toHaveLength(3);
    const second = await call('GET', `/api/v1/jobs?limit=3&cursor=${first.json.meta.cursor}`);
    expect([second.json.data.length, second.json.meta.cursor]).toEqual([2, null]);
    plx.options.listShape = 'page-cursor';
    expect((await call('GET', '/api/v1/jobs?limit=3')).json.meta.page.cursor).toEqual(expect.any(String));
    expect((await call('GET', '/api/v1/jobs?status=completed&limit=100')).json.data).toHaveLength(5);
  });

  test('list order: newest first by default, oldest first by switch (the order is undocumented)', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      ids.push(plx.startForeignJob('conn_a', { outcome: 'success', durationMs: 10 }));
      plx.startForeignRun('pl_a', { outcome: 'success', durationMs: 10 });
      sim.clock.advance(100);
    }
    const jobIds = async () => ((await call('GET', '/api/v1/jobs?connection_id=conn_a')).json as Json[]).map((j) => j.id as string);
    const runStarts = async (path: string) => {
      const json = (await call('GET', path)).json;
      return ((Array.isArray(json) ? json : json.data) as Json[]).map((r) => Date.parse(r.startedAt as string));
    };
    expect(await jobIds()).toEqual([...ids].reverse());
    const newest = await runStarts('/api/pipelines/pl_a/runs');
    expect(newest).toEqual([...newest].sort((a, b) => b - a));
    plx.options.listOrder = 'oldest-first';
    expect(await jobIds()).toEqual(ids);
    for (const path of ['/api/pipelines/pl_a/runs', '/api/runs?pipelineId=pl_a']) {
      const oldest = await runStarts(path);
      expect(oldest).toEqual([...oldest].sort((a, b) => a - b));
    }
  });

  test('a page cap answers shorter pages than the limit asked, and the paging still reaches every item', async () => {
    for (let i = 0; i < 5; i++) {
      plx.startForeignJob('conn_a', { outcome: 'success', durationMs: 10 });
      sim.clock.advance(100);
    }
    plx.options.pageCap = 2;
    const pages: number[] = [];
    for (let offset = 0; offset < 6; offset += 2) pages.push(((await call('GET', `/api/v1/jobs?limit=50&offset=${offset}`)).json as Json[]).length);
    expect(pages).toEqual([2, 2, 1]);
    plx.options.listShape = 'cursor';
    const first = await call('GET', '/api/v1/jobs?limit=50');
    expect([first.json.data.length, typeof first.json.meta.cursor]).toEqual([2, 'string']);
  });

  test("idempotency 'none': a resend with the same key starts a second pipeline run (and answers a second sync 409)", async () => {
    plx.options.idempotency = 'none';
    const body = { parameters: {}, idempotency_key: 'k-same' };
    const first = await call('POST', '/api/pipelines/pl_a/run', body, { 'Idempotency-Key': 'k-same' });
    const second = await call('POST', '/api/pipelines/pl_a/run', body, { 'Idempotency-Key': 'k-same' });
    expect([first.status, second.status]).toEqual([200, 200]);
    expect(first.json.runId).not.toBe(second.json.runId);
    expect(plx.runs('pl_a')).toHaveLength(2);
    expect(plx.triggers().map((t) => [t.keySource, t.replay])).toEqual([['none', false], ['none', false]]);
    await call('POST', '/api/v1/connections/conn_a/sync', { idempotency_key: 'k-sync' }, { 'Idempotency-Key': 'k-sync' });
    const again = await call('POST', '/api/v1/connections/conn_a/sync', { idempotency_key: 'k-sync' }, { 'Idempotency-Key': 'k-sync' });
    expect(again.status).toBe(409);
    expect(plx.jobs('conn_a')).toHaveLength(1);
  });
});

describe('backfills, runs, logs', () => {
  beforeEach(() => setup());

  test('a backfill: progress_percent rises, internal jobs listed, status stays running until the end', async () => {
    plx.setBackfillScenario('conn_a', { outcome: 'success', durationMs: 10_000 });
    const created = await call('POST', '/api/v1/connections/conn_a/backfill', { start_at: '2024-01-01', end_at: '2024-02-01', tables: ['orders'] });
    expect(created.status).toBe(202);
    const id = created.json.data.backfill.id as string;
    sim.clock.advance(5000);
    const mid = (await call('GET', `/api/v1/backfills/${id}`)).json.data.backfill;
    expect([mid.status, mid.progress_percent]).toEqual(['running', 50]);
    sim.clock.advance(6000);
    const done = (await call('GET', `/api/v1/backfills/${id}`)).json.data.backfill;
    expect([done.status, done.progress_percent]).toEqual(['completed', 100]);
    expect(done.internal_jobs.map((j: Json) => j.status)).toEqual(['completed', 'completed', 'completed']);
    expect((await call('POST', '/api/v1/connections/conn_a/backfill', { start_at: '2024-02-01', end_at: '2024-01-01' })).status).toBe(400);
  });

  test('a failed run: camelCase, error with a stack reference, the failing node, endedAt by switch', async () => {
    const started = await call('POST', '/api/pipelines/pl_a/run', { parameters: { a: 1 } });
    expect(started.json).toEqual({ success: true, message: 'Pipeline run started', runId: expect.stringMatching(/^run_/) });
    const id = started.json.runId as string;
    sim.clock.advance(4000);
    const run = (await call('GET', `/api/runs/${id}`)).json;
    expect(run).toMatchObject({ status: 'failed', pipelineId: 'pl_a', finishedAt: expect.any(String), error: { stackRef: expect.stringMatching(/^trace_/) } });
    const nodes = (await call('GET', `/api/runs/${id}/nodes`)).json as Json[];
    expect(nodes.map((n) => `${n.id}:${n.state}`)).toEqual(['extract:succeeded', 'transform:succeeded', 'load:failed']);
    expect(nodes[2]!.retries).toBe(2);
    plx.options.runEndField = 'endedAt';
    expect((await call('GET', `/api/runs/${id}`)).json).toHaveProperty('endedAt');
    expect((await call('GET', '/api/pipelines/pl_a/execution-status')).json).toMatchObject({ runId: id, status: 'failed' });
    const cancel = await call('DELETE', `/api/runs/${id}`);
    expect(cancel.status).toBe(409);
  });

  test('logs: text with a cursor and `since`, NDJSON, and URLs on a second origin that rejects Authorization', async () => {
    plx.options.logPageLines = 3;
    const id = (await call('POST', '/api/pipelines/pl_a/run', {})).json.runId as string;
    sim.clock.advance(4000);
    const first = await call('GET', `/api/runs/${id}/logs`);
    expect(first.headers.get('content-type')).toMatch(/^text\/plain/);
    expect(first.text.trim().split('\n')).toHaveLength(3);
    const cursor = first.headers.get('x-next-cursor');
    expect(cursor).toBe('3');
    const next = await call('GET', `/api/runs/${id}/logs?since=${cursor}`);
    expect(next.text).not.toContain(first.text.split('\n')[0]);
    plx.options.logFormat = 'ndjson';
    const nd = await call('GET', `/api/runs/${id}/logs?nodeId=load`);
    expect(nd.headers.get('content-type')).toBe('application/x-ndjson');
    expect(JSON.parse(nd.text.split('\n')[0]!)).toMatchObject({ nodeId: 'load', level: 'INFO' });
    plx.options.logFormat = 'urls';
    const urls = (await call('GET', `/api/runs/${id}/logs?nodeId=load`)).json.urls as string[];
    expect(urls.length).toBeGreaterThan(1);
    expect(new URL(urls[0]!).origin).not.toBe(sim.url);
    expect((await fetch(urls[0]!)).status).toBe(200);
    expect((await fetch(urls[0]!, { headers: { Authorization: `Bearer ${KEY}` } })).status).toBe(403);
    expect((await fetch(urls[0]!.replace(/Signature=\w+/, 'Signature=00'))).status).toBe(403);
    expect(plx.objectStoreRequests().map((r) => r.credentialHeaders)).toEqual([[], ['authorization'], []]);
  });
});

describe('switches', () => {
  test('the /v1 base path', async () => {
    await setup({ basePath: '/v1' });
    expect((await call('GET', '/api/v1/jobs')).status).toBe(404);
    expect((await call('GET', '/v1/api/v1/jobs')).status).toBe(200);
    expect(sim.journal.entries().map((e) => e.platform)).toEqual(['planasonix', 'planasonix']);
  });

  test('429 with Retry-After in seconds or as an HTTP-date, X-RateLimit-* present or absent', async () => {
    await setup({ rateLimit: { perKey: 2, perWorkspace: 100, windowMs: 60_000 }, rateLimitHeaders: true, retryAfter: 'seconds' });
    const ok = await call('GET', '/api/v1/jobs');
    expect([ok.headers.get('x-ratelimit-limit'), ok.headers.get('x-ratelimit-remaining')]).toEqual(['2', '1']);
    await call('GET', '/api/v1/jobs');
    const limited = await call('GET', '/api/v1/jobs');
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(limited.headers.get('x-ratelimit-remaining')).toBe('0');
    plx.options.retryAfter = 'http-date';
    plx.options.rateLimitHeaders = false;
    const dated = await call('GET', '/api/v1/jobs');
    expect(dated.headers.get('retry-after')).toMatch(/GMT$/);
    expect(dated.headers.get('x-ratelimit-limit')).toBeNull();
  });

  test("rate-limit windows on the simulated clock ('simulated'): the frozen clock keeps the window, advance() ends it", async () => {
    await setup({ rateLimit: { perKey: 1, perWorkspace: 100, windowMs: 3000, clock: 'simulated' }, rateLimitHeaders: true, retryAfter: 'http-date' });
    expect((await call('GET', '/api/v1/jobs')).status).toBe(200);
    const limited = await call('GET', '/api/v1/jobs');
    expect(limited.status).toBe(429);
    // Reset and Retry-After are on the server's (simulated) clock: 3 s from the window's start at START.
    expect(limited.headers.get('x-ratelimit-reset')).toBe('3');
    expect(Date.parse(limited.headers.get('retry-after')!)).toBe(START + 4000);
    // Real time passing does not end a simulated window; the simulated clock does.
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect((await call('GET', '/api/v1/jobs')).status).toBe(429);
    sim.clock.advance(2999);
    expect((await call('GET', '/api/v1/jobs')).status).toBe(429);
    sim.clock.advance(1);
    expect((await call('GET', '/api/v1/jobs')).status).toBe(200);
  });

  test.each([
    ['nested', { error: { code: 'connection_not_found', message: 'Connection nope not found' } }],
    ['flat', { code: 'connection_not_found', message: 'Connection nope not found' }],
    ['string', { error: 'Connection nope not found' }],
  ] as const)('error bodies: %s', async (shape, body) => {
    await setup({ errorShape: shape });
    const res = await call('POST', '/api/v1/connections/nope/sync', {});
    expect([res.status, res.json]).toEqual([404, body]);
  });
});

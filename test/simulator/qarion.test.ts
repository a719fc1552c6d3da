/**
 * The Qarion simulator module on its own (apis.md §4.2), over loopback HTTP with a frozen clock: only
 * `sim.clock.advance` moves runs, so every case is deterministic.
 */
import { startSimulator, type Simulator } from '../../src/simulator/index.js';
import { createQarionModule, QARION_PREFIX, type QarionModule, type QarionOptions } from '../../src/simulator/qarion.js';

const START = Date.UTC(2026, 2, 15, 8, 30, 0);
const EDITOR = 'qrn_editor';
const VIEWER = 'qrn_viewer';
const ADMIN = 'qrn_admin';
const OUTSIDER = 'qrn_outsider';

let sim: Simulator;
let q: QarionModule;
let daily: string;
let connector: string;

async function world(options: Partial<QarionOptions> = {}): Promise<void> {
  sim = await startSimulator({ timeScale: 0, startEpochMs: START });
  q = createQarionModule({ clock: sim.clock, seed: 3, options: { rateLimit: 10_000, ...options } });
  sim.mount(q);
  q.addKey('ed', EDITOR);
  q.addKey('vi', VIEWER);
  q.addKey('ad', ADMIN);
  q.addKey('out', OUTSIDER);
  q.addSpace('finance', { members: { ed: 'Editor', vi: 'Viewer', ad: 'Admin' } });
  q.addSpace('other', { members: { ed: 'Editor', out: 'Admin' } });
  connector = q.addConnector('finance', { name: 'Airflow' });
  daily = q.addPipeline('finance', { name: 'daily_finance', connectorId: connector });
  q.setScenario('finance', daily, { outcome: 'failure', queuedMs: 1000, durationMs: 10_000 });
}

afterEach(async () => {
  await sim?.close();
});

const orch = (path: string) => `${sim.url}${QARION_PREFIX}/spaces/finance/orchestration${path}`;
const call = (url: string, init: { method?: string; key?: string | null; body?: unknown } = {}) =>
  fetch(url, {
    method: init.method ?? 'GET',
    headers: {
      ...(init.key === null ? {} : { authorization: `Bearer ${init.key ?? EDITOR}` }),
      ...(init.body !== undefined && { 'content-type': 'application/json' }),
    },
    ...(init.body !== undefined && { body: typeof init.body === 'string' ? init.body : JSON.stringify(init.body) }),
  });
const json = async (res: Response) => (await res.json()) as Record<string, any>;

describe('auth, access and errors', () => {
  beforeEach(() => world());

  test('401 for a missing or unknown key, FastAPI detail body', async () => {
    const missing = await call(orch('/pipelines'), { key: null });
    expect(missing.status).toBe(401);
    expect(await json(missing)).toEqual({ detail: 'Not authenticated' });
    const wrong = await call(orch('/pipelines'), { key: 'nope' });
    expect(wrong.status).toBe(401);
    expect((await json(wrong)).detail).toMatch(/Invalid/);
  });

  test('unknown space 404; non-member 403 (switchable to 404); Viewer may read but not trigger', async () => {
    expect((await call(`${sim.url}${QARION_PREFIX}/spaces/nope/orchestration/pipelines`)).status).toBe(404);
    const outsider = await call(orch('/pipelines'), { key: OUTSIDER });
    expect(outsider.status).toBe(403);
    q.options.nonMemberStatus = 404;
    expect((await call(orch('/pipelines'), { key: OUTSIDER })).status).toBe(404);
    expect((await call(orch(`/pipelines/${daily}`), { key: VIEWER })).status).toBe(200);
    const denied = await call(orch(`/pipelines/${daily}/trigger`), { method: 'POST', key: VIEWER });
    expect(denied.status).toBe(403);
    expect((await json(denied)).detail).toMatch(/Editor or Admin/);
    expect(q.runs('finance', daily)).toHaveLength(0);
  });

  test('422 list form for bad query and path parameters; 404 for an unknown pipeline', async () => {
    const badPage = await call(orch('/pipelines?page=0'));
    expect(badPage.status).toBe(422);
    expect(await json(badPage)).toEqual({ detail: [{ loc: ['query', 'page'], msg: expect.stringMatching(/greater than or equal to 1/), type: 'value_error.number.not_ge' }] });
    expect((await call(orch(`/pipelines/${daily}/runs?started_from=yesterday`))).status).toBe(422);
    const notUuid = await call(orch('/pipelines/daily_finance'));
    expect(notUuid.status).toBe(422);
    expect((await json(notUuid)).detail[0].loc).toEqual(['path', 'pipeline_id']);
    const unknown = await call(orch('/pipelines/00000000-0000-4000-8000-000000000000'));
    expect(unknown.status).toBe(404);
    expect(await json(unknown)).toEqual({ detail: 'Pipeline not found' });
  });

  test('no log or cancel routes: 404, or 405 on a path that exists', async () => {
    await call(orch(`/pipelines/${daily}/trigger`), { method: 'POST' });
    const run = q.runs('finance', daily)[0]!;
    expect((await call(orch(`/runs/${run.id}/cancel`), { method: 'POST' })).status).toBe(404);
    expect((await call(orch(`/runs/${run.id}/logs`))).status).toBe(404);
    const del = await call(orch(`/runs/${run.id}`), { method: 'DELETE' });
    expect(del.status).toBe(405);
    expect(del.headers.get('allow')).toBe('GET');
  });

  test('every answer carries rate-limit headers and a Date from the simulated clock', async () => {
    const res = await call(orch('/pipelines'));
    expect(res.headers.get('x-ratelimit-limit')).toBe('10000');
    expect(res.headers.get('x-ratelimit-remaining')).toBe('9999');
    expect(Number(res.headers.get('x-ratelimit-reset'))).toBe(Math.ceil((START + 60_000) / 1000));
    expect(Date.parse(res.headers.get('date')!)).toBe(START);
  });
});

describe('rate limits', () => {
  test('per key: 429 with Retry-After in seconds and the documented body; other keys unaffected; the window resets', async () => {
    await world({ rateLimit: 3, rateLimitWindowMs: 60_000 });
    for (let i = 0; i < 3; i++) expect((await call(orch('/pipelines'))).status).toBe(200);
    sim.clock.advance(15_000);
    const limited = await call(orch('/pipelines'));
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('45');
    expect(limited.headers.get('x-ratelimit-remaining')).toBe('0');
    expect(await json(limited)).toEqual({ detail: 'Rate limit exceeded. Retry after 45 seconds.' });
    expect((await call(orch('/pipelines'), { key: ADMIN })).status).toBe(200);
    sim.clock.advance(45_000);
    expect((await call(orch('/pipelines'))).status).toBe(200);
  });
});

describe('paging', () => {
  beforeEach(async () => {
    await world();
    for (let i = 0; i < 149; i++) q.addPipeline('finance', { name: `p_${String(i).padStart(3, '0')}` });
  });

  test('envelope {items,total,page,size}; size silently capped at 100; X-Total-Count and Link', async () => {
    const res = await call(orch('/pipelines?size=500&page=1'));
    const body = await json(res);
    expect(body.items).toHaveLength(100);
    expect(body).toMatchObject({ total: 150, page: 1, size: 100 });
    expect(res.headers.get('x-total-count')).toBe('150');
    expect(res.headers.get('link')).toMatch(/page=2>; rel="next"/);
    const last = await json(await call(orch('/pipelines?size=500&page=2')));
    expect(last.items).toHaveLength(50);
    expect(await json(await call(orch('/pipelines?page=3&size=100')))).toMatchObject({ items: [] });
  });

  test('bare arrays by switch, with the same headers; the default size is used without size', async () => {
    q.options.listStyle = 'array';
    const res = await call(orch('/pipelines'));
    const body = (await res.json()) as unknown[];
    expect(Array.isArray(body)).toBe(true);
    expect(body).toHaveLength(q.options.defaultPageSize);
    expect(res.headers.get('x-total-count')).toBe('150');
  });

  test('list filters: q, provider, status, connector_id, watched_only', async () => {
    q.addPipeline('finance', { name: 'dbt_nightly', provider: 'dbt', watchedBy: ['ed'] });
    const items = async (query: string) => (await json(await call(orch(`/pipelines?size=100&${query}`)))).items.map((p: any) => p.name);
    expect(await items('q=DAILY')).toEqual(['daily_finance']);
    expect(await items('provider=dbt')).toEqual(['dbt_nightly']);
    expect(await items(`connector_id=${connector}`)).toEqual(['daily_finance']);
    expect(await items('watched_only=true')).toEqual(['dbt_nightly']);
    q.setPaused('finance', daily, true);
    expect(await items('status=paused')).toEqual(['daily_finance']);
  });
});

describe('trigger and runs', () => {
  beforeEach(() => world());

  test.each([
    ['empty-202', 202, ''],
    ['empty-204', 204, ''],
    ['run-201', 201, 'id'],
    ['run-200', 200, 'id'],
    ['dag-run', 200, 'dag_run_id'],
    ['run-id', 200, 'run_id'],
    ['data-id', 200, 'data'],
  ] as const)('trigger answer %s', async (variant, status, key) => {
    q.options.triggerAnswer = variant;
    const res = await call(orch(`/pipelines/${daily}/trigger`), { method: 'POST' });
    expect(res.status).toBe(status);
    const text = await res.text();
    if (key === '') expect(text).toBe('');
    else expect(JSON.parse(text)).toHaveProperty(key);
    const run = q.runs('finance', daily)[0]!;
    if (variant === 'dag-run') expect(JSON.parse(text)).toMatchObject({ dag_run_id: run.providerRunId, state: 'queued' });
    if (variant === 'run-id') expect(JSON.parse(text)).toEqual({ run_id: run.id });
    expect(run.providerRunId).toBe('manual__2026-03-15T08:30:00+00:00');
  });

  test('a run moves queued → running → failed on the simulated clock, with Airflow task words and retries', async () => {
    await call(orch(`/pipelines/${daily}/trigger`), { method: 'POST' });
    const id = q.runs('finance', daily)[0]!.id;
    const read = async () => json(await call(orch(`/runs/${id}`)));
    const queued = await read();
    expect(queued).toMatchObject({ status: 'queued', run_type: 'manual', started_at: null, ended_at: null });
    expect(queued.task_runs.map((t: any) => t.status)).toEqual([null, null, null, null]);
    sim.clock.advance(1000 + 2500);
    const running = await read();
    expect(running.status).toBe('running');
    expect(running.started_at).toBe('2026-03-15T08:30:01.000Z');
    // Executing tasks wait 'queued'; tasks that will only be marked (upstream_failed, skipped) show no status yet.
    expect(running.task_runs.map((t: any) => t.status)).toEqual(['running', 'queued', null, null]);
    // Two executing tasks share the 10 s: load_customers runs 6-11 s, its try 1 from 6 to 8.5 s, waiting to retry
    // for the last fifth of that (8-8.5 s).
    sim.clock.advance(4700);
    const retrying = await read();
    expect(retrying.task_runs[1]).toMatchObject({ status: 'up_for_retry', try_number: 1 });
    sim.clock.advance(2800);
    const ended = await read();
    expect(ended).toMatchObject({ status: 'failed', ended_at: '2026-03-15T08:30:11.000Z', duration_seconds: 10 });
    expect(ended.task_runs.map((t: any) => [t.task_id, t.status, t.try_number])).toEqual([
      ['extract_orders', 'success', 1],
      ['load_customers', 'failed', 2],
      ['transform_sales', 'upstream_failed', 0],
      ['notify_success', 'skipped', 0],
    ]);
  });

  test('Qarion-style words and alias field names by switch', async () => {
    q.options.wordStyle = 'qarion';
    q.options.fieldStyle = 'aliases';
    q.setScenario('finance', daily, { outcome: 'success', durationMs: 1000 });
    await call(orch(`/pipelines/${daily}/trigger`), { method: 'POST' });
    const id = q.runs('finance', daily)[0]!.id;
    expect(await json(await call(orch(`/runs/${id}`)))).toMatchObject({ uuid: id, state: 'running' });
    sim.clock.advance(1000);
    const ended = await json(await call(orch(`/runs/${id}`)));
    expect(ended).toMatchObject({ state: 'succeeded', end_date: '2026-03-15T08:30:01.000Z', dag_run_id: expect.stringMatching(/^manual__/) });
    expect(ended.tasks.map((t: any) => t.state)).toEqual(['succeeded', 'succeeded', 'succeeded', 'skipped', 'removed']);
  });

  test('a second trigger during an active run queues a second run by default, 409 by switch', async () => {
    await call(orch(`/pipelines/${daily}/trigger`), { method: 'POST' });
    expect((await call(orch(`/pipelines/${daily}/trigger`), { method: 'POST' })).status).toBe(202);
    const [first, second] = q.runs('finance', daily);
    expect([first!.status, second!.status]).toEqual(['queued', 'queued']);
    sim.clock.advance(11_500); // the first ended at 11 s; the second waits for it, then 1 s in the queue
    expect(q.runs('finance', daily).map((r) => r.status)).toEqual(['failed', 'queued']);
    sim.clock.advance(500);
    expect(q.runs('finance', daily)[1]!.status).toBe('running');
    q.options.secondTriggerWhileActive = 409;
    const conflict = await call(orch(`/pipelines/${daily}/trigger`), { method: 'POST' });
    expect(conflict.status).toBe(409);
    expect((await json(conflict)).detail).toMatch(/active run/);
  });

  test('a paused DAG keeps its run queued for ever; or Airflow\'s 400 by switch; provider errors pass through', async () => {
    q.setPaused('finance', daily, true);
    await call(orch(`/pipelines/${daily}/trigger`), { method: 'POST' });
    sim.clock.advance(30 * 86_400_000);
    expect(q.runs('finance', daily)[0]!.status).toBe('queued');
    q.options.pausedDagTrigger = 400;
    const paused = await call(orch(`/pipelines/${daily}/trigger`), { method: 'POST' });
    expect(paused.status).toBe(400);
    expect(await json(paused)).toEqual({ detail: "DAG 'daily_finance' is paused" });
    q.setPaused('finance', daily, false);
    q.failTriggers('finance', daily, { status: 503, detail: 'Airflow is down for maintenance', times: 2 });
    for (let i = 0; i < 2; i++) expect((await call(orch(`/pipelines/${daily}/trigger`), { method: 'POST' })).status).toBe(503);
    expect((await call(orch(`/pipelines/${daily}/trigger`), { method: 'POST' })).status).toBe(202);
    expect(q.triggers().map((t) => t.status)).toEqual([202, 400, 503, 503, 202]);
  });

  test('runs list filters: started_from/started_to, status, run_type; queued runs have no start', async () => {
    const foreign = q.startForeignRun('finance', daily, { outcome: 'success', durationMs: 1000 });
    sim.clock.advance(5000);
    await call(orch(`/pipelines/${daily}/trigger`), { method: 'POST' });
    const list = async (query: string) => (await json(await call(orch(`/pipelines/${daily}/runs?${query}`)))).items.map((r: any) => r.id);
    const ours = q.runs('finance', daily).find((r) => r.origin === 'api')!.id;
    expect(await list('run_type=scheduled')).toEqual([foreign]);
    expect(await list('status=queued')).toEqual([ours]);
    expect(await list('status=success')).toEqual([foreign]);
    expect(await list(`started_from=${new Date(START + 1000).toISOString()}`)).toEqual([]);
    expect(await list(`started_to=${new Date(START).toISOString()}`)).toEqual([foreign]);
    q.options.startedFilter = 'started_or_queued';
    expect(await list(`started_from=${new Date(START + 1000).toISOString()}`)).toEqual([ours]);
  });
});

describe('run visibility and connector sync', () => {
  test('after-sync: invisible until POST …/connectors/{id}/sync; edit rights, Airflow connectors and the space are checked', async () => {
    await world({ runVisibility: 'after-sync', syncDelayMs: 2000 });
    const locked = q.addConnector('finance', { name: 'ops', editors: ['someone-else'] });
    const dbt = q.addConnector('finance', { name: 'dbt', kind: 'dbt' });
    const foreignSpace = q.addConnector('other', { name: 'other' });
    await call(orch(`/pipelines/${daily}/trigger`), { method: 'POST' });
    const id = q.runs('finance', daily)[0]!.id;
    expect((await call(orch(`/runs/${id}`))).status).toBe(404);
    expect((await json(await call(orch(`/pipelines/${daily}/runs`)))).items).toHaveLength(0);
    expect((await call(orch(`/connectors/${connector}/sync`), { method: 'POST', key: VIEWER })).status).toBe(403);
    expect((await call(orch(`/connectors/${locked}/sync`), { method: 'POST' })).status).toBe(403);
    expect((await call(orch(`/connectors/${locked}/sync`), { method: 'POST', key: ADMIN })).status).toBe(202);
    expect((await call(orch(`/connectors/${dbt}/sync`), { method: 'POST' })).status).toBe(400);
    expect((await call(orch(`/connectors/${foreignSpace}/sync`), { method: 'POST' })).status).toBe(404);
    const ok = await call(orch(`/connectors/${connector}/sync`), { method: 'POST' });
    expect(ok.status).toBe(202);
    expect(await json(ok)).toMatchObject({ status: 'queued' });
    expect((await call(orch(`/runs/${id}`))).status).toBe(404);
    sim.clock.advance(2000);
    expect((await call(orch(`/runs/${id}`))).status).toBe(200);
    expect(q.syncs().map((s) => s.status)).toEqual([403, 403, 202, 400, 404, 202]);
  });

  test('after-sync with syncsUntilVisible 3: the answered run is listed (and readable) only after the third sync', async () => {
    await world({ runVisibility: 'after-sync', syncsUntilVisible: 3, triggerAnswer: 'run-id' });
    const answer = await json(await call(orch(`/pipelines/${daily}/trigger`), { method: 'POST' }));
    for (let i = 1; i <= 3; i++) {
      expect((await call(orch(`/runs/${answer.run_id}`))).status).toBe(404);
      expect((await json(await call(orch(`/pipelines/${daily}/runs`)))).items).toHaveLength(0);
      expect((await call(orch(`/connectors/${connector}/sync`), { method: 'POST' })).status).toBe(202);
    }
    expect((await call(orch(`/runs/${answer.run_id}`))).status).toBe(200);
    expect((await json(await call(orch(`/pipelines/${daily}/runs`)))).items.map((r: { id: string }) => r.id)).toEqual([answer.run_id]);
  });

  test('foreignRunOnTrigger: runs just before (listed from the trigger on) and just after ours, even when the trigger fails', async () => {
    await world({ maxActiveRuns: 16 });
    const seen: string[] = [];
    q.foreignRunOnTrigger('finance', daily, { offsetMs: -1500, outcome: 'success', runType: 'manual' }, (id) => seen.push(id));
    q.foreignRunOnTrigger('finance', daily, { offsetMs: 0, outcome: 'failure', runType: 'scheduled', visibleAfterMs: 0 }, (id) => seen.push(id));
    expect((await json(await call(orch(`/pipelines/${daily}/runs`)))).items).toHaveLength(0);
    await call(orch(`/pipelines/${daily}/trigger`), { method: 'POST' });
    const truth = q.runs('finance', daily);
    expect(truth.map((r) => r.origin)).toEqual(['foreign', 'api', 'foreign']);
    expect(seen).toEqual([truth[0]!.id, truth[2]!.id]);
    const listed = (await json(await call(orch(`/pipelines/${daily}/runs`)))).items as Array<{ id: string; queued_at: string }>;
    expect(listed).toHaveLength(3);
    expect(listed.find((r) => r.id === truth[0]!.id)!.queued_at).toBe(new Date(START - 1500).toISOString());
    // Registered runs start once: a second trigger starts no foreign run.
    await call(orch(`/pipelines/${daily}/trigger`), { method: 'POST' });
    expect(q.runs('finance', daily).filter((r) => r.origin === 'foreign')).toHaveLength(2);
    // …and they start even when the trigger is refused.
    q.foreignRunOnTrigger('finance', daily, { offsetMs: 0, outcome: 'success' });
    q.failTriggers('finance', daily, { status: 502, detail: 'Airflow is unavailable' });
    expect((await call(orch(`/pipelines/${daily}/trigger`), { method: 'POST' })).status).toBe(502);
    expect(q.runs('finance', daily).filter((r) => r.origin === 'foreign')).toHaveLength(3);
  });

  test.each(['newest-first', 'oldest-first', 'shuffled'] as const)('runListOrder %s: a stable order, pages neither overlap nor miss runs', async (order) => {
    await world({ runListOrder: order });
    const history = Array.from({ length: 25 }, (_, i) => ({ startedAgoMs: (i + 1) * 60_000, durationMs: 1000, status: 'success' }));
    const pid = q.addPipeline('finance', { name: 'many', connectorId: connector, history });
    const page = async (n: number) => ((await json(await call(orch(`/pipelines/${pid}/runs?page=${n}&size=10`)))).items as Array<{ id: string; started_at: string }>);
    const all = [...(await page(1)), ...(await page(2)), ...(await page(3))];
    expect(new Set(all.map((r) => r.id)).size).toBe(25);
    expect([...(await page(1)), ...(await page(2)), ...(await page(3))].map((r) => r.id)).toEqual(all.map((r) => r.id));
    const starts = all.map((r) => Date.parse(r.started_at));
    const newestFirst = starts.every((t, i) => i === 0 || t <= starts[i - 1]!);
    const oldestFirst = starts.every((t, i) => i === 0 || t >= starts[i - 1]!);
    if (order === 'newest-first') expect(newestFirst).toBe(true);
    if (order === 'oldest-first') expect(oldestFirst).toBe(true);
    if (order === 'shuffled') expect(newestFirst || oldestFirst).toBe(false);
  });

  test('taskRunsInDetail omitted: the run detail has no task runs', async () => {
    await world({ taskRunsInDetail: 'omitted' });
    await call(orch(`/pipelines/${daily}/trigger`), { method: 'POST' });
    const detail = await json(await call(orch(`/runs/${q.runs('finance', daily)[0]!.id}`)));
    expect(detail).not.toHaveProperty('task_runs');
    q.options.taskRunsInDetail = 'listed';
    expect((await json(await call(orch(`/runs/${q.runs('finance', daily)[0]!.id}`)))).task_runs.length).toBeGreaterThan(0);
  });

  test('delayed: listed after the delay; a Qarion run answered by the trigger is listed at once', async () => {
    await world({ runVisibility: 'delayed', visibilityDelayMs: 3000, triggerAnswer: 'run-201' });
    const answer = await json(await call(orch(`/pipelines/${daily}/trigger`), { method: 'POST' }));
    expect((await call(orch(`/runs/${answer.id}`))).status).toBe(200);
    q.options.triggerAnswer = 'empty-202';
    await call(orch(`/pipelines/${daily}/trigger`), { method: 'POST' });
    const second = q.runs('finance', daily)[1]!;
    expect(second.visible).toBe(false);
    sim.clock.advance(3000);
    expect((await call(orch(`/runs/${second.id}`))).status).toBe(200);
  });
});

describe('comments', () => {
  beforeEach(async () => {
    await world();
    await call(orch(`/pipelines/${daily}/trigger`), { method: 'POST' });
  });

  test('create (201), list, update, delete; task-run comments; 422 without content; other spaces see nothing', async () => {
    const run = q.runs('finance', daily)[0]!;
    const created = await call(orch(`/runs/${run.id}/comments`), { method: 'POST', body: { content: 'Triggered by CI' } });
    expect(created.status).toBe(201);
    const comment = await json(created);
    expect(comment).toMatchObject({ content: 'Triggered by CI', run_id: run.id });
    expect((await json(await call(orch(`/runs/${run.id}/comments`)))).items).toHaveLength(1);
    expect((await call(orch(`/comments/${comment.id}`), { method: 'PATCH', body: { content: 'edited' } })).status).toBe(200);
    expect((await call(orch(`/comments/${comment.id}`), { method: 'PUT', body: { content: 'again' }, key: VIEWER })).status).toBe(403);
    expect(q.commentsOn(run.id)[0]!.content).toBe('edited');
    const missing = await call(orch(`/runs/${run.id}/comments`), { method: 'POST', body: { note: 'x' } });
    expect(missing.status).toBe(422);
    expect((await json(missing)).detail[0].loc).toEqual(['body', 'content']);
    expect((await call(orch(`/runs/${run.id}/comments`), { method: 'POST', body: '{not json' })).status).toBe(400);
    const task = (await json(await call(orch(`/runs/${run.id}`)))).task_runs[1];
    expect((await call(orch(`/task-runs/${task.id}/comments`), { method: 'POST', body: { content: 'look here' } })).status).toBe(201);
    expect((await json(await call(orch(`/task-runs/${task.id}/comments`)))).items).toHaveLength(1);
    const elsewhere = `${sim.url}${QARION_PREFIX}/spaces/other/orchestration/runs/${run.id}/comments`;
    expect((await call(elsewhere)).status).toBe(404);
    expect((await call(orch(`/comments/${comment.id}`), { method: 'DELETE' })).status).toBe(204);
    expect(q.commentsOn(run.id)).toHaveLength(0);
  });

  test.each([403, 500] as const)('comment creation answers %i by switch', async (status) => {
    q.options.commentStatus = status;
    const run = q.runs('finance', daily)[0]!;
    const res = await call(orch(`/runs/${run.id}/comments`), { method: 'POST', body: { content: 'x' } });
    expect(res.status).toBe(status);
    expect(await json(res)).toHaveProperty('detail');
  });
});

test('faults and the journal see the module as platform "qarion"', async () => {
  await world();
  sim.faults.add({ platform: 'qarion', method: 'GET', path: /\/pipelines$/, kind: 'status', status: 503 });
  expect((await call(orch('/pipelines'))).status).toBe(503);
  expect((await call(orch('/pipelines'))).status).toBe(200);
  expect(sim.journal.entries({ platform: 'qarion' }).map((e) => [e.status, e.authHeaders])).toEqual([
    [503, ['authorization']],
    [200, ['authorization']],
  ]);
});

/** The Qarion API layer on its own: trigger-answer parsing, field aliases and the paging stop rules. */
import type { HttpClient, HttpResponse, RequestOptions } from '../../src/core/http/index.js';
import { parseRunDetail, parseTriggerAnswer, QarionApi } from '../../src/providers/qarion/api.js';

function fakeHttp(answer: (page: number, options: RequestOptions) => { data: unknown; headers?: Record<string, string> }) {
  const calls: RequestOptions[] = [];
  const http = {
    async request(options: RequestOptions): Promise<HttpResponse> {
      calls.push(options);
      const page = Number(options.query?.['page'] ?? 1);
      const { data, headers = {} } = answer(page, options);
      return { status: 200, headers, contentType: 'application/json', text: JSON.stringify(data), data };
    },
  } as unknown as HttpClient;
  return { http, calls };
}

const run = (i: number) => ({ id: `r${i}`, status: 'success' });
const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => run(from + i));

describe('trigger answers', () => {
  test.each([
    ['', { body: 'empty' }],
    ['OK', { body: 'text' }],
    ['{"id": "q1", "status": "queued"}', { runId: 'q1', status: 'queued' }],
    ['{"dag_run_id": "manual__2026-03-15T08:30:00+00:00", "state": "queued"}', { providerRunId: 'manual__2026-03-15T08:30:00+00:00', status: 'queued' }],
    ['{"run_id": "q2"}', { runId: 'q2' }],
    ['{"data": {"id": "q3", "status": "pending"}}', { runId: 'q3', status: 'pending' }],
    ['{"data": {"run_id": "q4", "dag_run_id": "manual__x"}}', { runId: 'q4', providerRunId: 'manual__x' }],
    ['{"run_id": "manual__y", "dag_run_id": "manual__y"}', { providerRunId: 'manual__y' }],
    ['[1, 2]', { body: 'json' }],
  ])('%s', (body, expected) => {
    const answer = parseTriggerAnswer(200, body);
    expect(answer).toMatchObject(expected);
    if (!('runId' in expected)) expect(answer.runId).toBeUndefined();
  });
});

test('run detail field aliases (uuid, state, start_date, end_date, dag_run_id, tasks)', () => {
  const detail = parseRunDetail({
    uuid: 'u1',
    state: 'failed',
    start_date: '2026-03-15T08:30:00',
    end_date: '2026-03-15T08:31:00',
    dag_run_id: 'manual__z',
    error: { message: 'boom' },
    tasks: [{ task_id: 't1', state: 'up_for_retry', try_number: 2, start_date: 'x' }],
  });
  expect(detail).toMatchObject({
    id: 'u1',
    status: 'failed',
    startedAt: '2026-03-15T08:30:00',
    endedAt: '2026-03-15T08:31:00',
    endedAtField: 'end_date',
    providerRunId: 'manual__z',
    errorText: 'boom',
    taskRuns: [{ taskId: 't1', status: 'up_for_retry', tryNumber: 2, startedAt: 'x' }],
  });
});

describe('paging stop rules', () => {
  const api = (http: HttpClient) => new QarionApi(http, 'https://api.qarion.com');

  test('envelope with the server-capped size: stops when page*size >= total, never on a short page', async () => {
    const all = range(0, 70);
    const { http, calls } = fakeHttp((page) => ({ data: { items: all.slice((page - 1) * 30, page * 30), total: 70, page, size: 30 } }));
    const listing = await api(http).allRuns('s', 'p', {}, 'follow');
    expect(listing.items).toHaveLength(70);
    expect(calls).toHaveLength(3);
    expect(calls.every((c) => c.query?.['size'] === 100)).toBe(true);
  });

  test('bare array with X-Total-Count: stops once everything counted is in', async () => {
    const all = range(0, 45);
    const { http, calls } = fakeHttp((page) => ({ data: all.slice((page - 1) * 20, page * 20), headers: { 'x-total-count': '45' } }));
    expect((await api(http).allRuns('s', 'p', {}, 'follow')).items).toHaveLength(45);
    expect(calls).toHaveLength(3);
  });

  test('bare array without any total: reads on past short pages until an empty one', async () => {
    const all = range(0, 45);
    const { http, calls } = fakeHttp((page) => ({ data: all.slice((page - 1) * 20, page * 20) }));
    expect((await api(http).allRuns('s', 'p', {}, 'follow')).items).toHaveLength(45);
    expect(calls).toHaveLength(4);
  });

  test('a server ignoring page: stops when a page adds nothing new, and says the list cannot be shown complete', async () => {
    const { http, calls } = fakeHttp(() => ({ data: range(0, 10) }));
    const listing = await api(http).allRuns('s', 'p', {}, 'follow');
    expect(listing.items).toHaveLength(10);
    expect(calls).toHaveLength(2);
    expect(listing.incomplete).toMatch(/page 2 repeated items already read, and the server gave no total/);
  });

  test('complete lists carry no `incomplete`; a total larger than what the pages gave does', async () => {
    const all = range(0, 45);
    const complete = await api(fakeHttp((page) => ({ data: { items: all.slice((page - 1) * 20, page * 20), total: 45, page, size: 20 } })).http).allRuns('s', 'p', {}, 'check');
    expect(complete).toMatchObject({ pages: 3, truncated: false });
    expect(complete.incomplete).toBeUndefined();
    const short = await api(fakeHttp((page) => ({ data: { items: page === 1 ? all.slice(0, 20) : [], total: 45 } })).http).allRuns('s', 'p', {}, 'check');
    expect(short.incomplete).toBe('the server counts 45 items, its pages gave 20');
  });

  test('the page bound: past it the list is marked incomplete (a check then fails clearly)', async () => {
    const { http, calls } = fakeHttp((page) => ({ data: { items: range((page - 1) * 100, page * 100), total: 6000 } }));
    const listing = await api(http).allRuns('s', 'p', {}, 'check', 50);
    expect(calls).toHaveLength(50);
    expect(listing).toMatchObject({ truncated: true, pages: 50, incomplete: 'more than 50 pages (the bound)' });
  });

  test('a base URL that already ends in /api/v1.0 is not prefixed twice', async () => {
    const { http, calls } = fakeHttp(() => ({ data: [] }));
    await new QarionApi(http, 'https://api.qarion.com/api/v1.0/').allPipelines('finance', { q: 'x', watched_only: true });
    expect(calls[0]!.path).toBe('/spaces/finance/orchestration/pipelines');
    expect(calls[0]!.query).toMatchObject({ q: 'x', watched_only: true, page: 1, size: 100 });
    await api(http).allPipelines('finance', {});
    expect(calls[1]!.path).toBe('/api/v1.0/spaces/finance/orchestration/pipelines');
  });
});

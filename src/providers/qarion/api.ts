/**
 * Qarion orchestration API (seed 001): one typed call per endpoint.
 *
 * Paths are under `/api/v1.0/spaces/{slug}/orchestration` (a base URL that already ends in `/api/v1.0` is
 * used as is). Response shapes are undocumented (apis.md §5 #14), so every answer is parsed here, once,
 * accepting the field aliases of apis.md §2.3 and ignoring extra fields. Status words and timestamps stay
 * the strings the server sent; the provider's status table gives them meaning.
 */
import type { HttpClient, HttpResponse, Phase } from '../../core/http/index.js';
import { isObject, listOf, num, pick, ShapeError, str, type JsonObject } from '../../core/json.js';

export const API_PREFIX = '/api/v1.0';

export interface Pipeline {
  id: string;
  name: string;
  dagId?: string;
  provider?: string;
  /** The pipeline's own status word (e.g. active, paused). */
  status?: string;
  connectorId?: string;
  paused: boolean;
  /** An Airflow web UI address, when the pipeline or its metadata names one (never documented). */
  airflowUrl?: string;
}

export interface RunSummary {
  id: string;
  pipelineId?: string;
  status: string | null;
  runType?: string;
  startedAt?: string;
  endedAt?: string;
  /** The field the end time came from (`ended_at`, `end_date`, …): named in the end proof. */
  endedAtField?: string;
  /** When the run was queued or created, if the server says. */
  queuedAt?: string;
  durationSeconds?: number;
  /** Airflow's dag_run_id (`manual__…`). */
  providerRunId?: string;
  dagId?: string;
  /** Error text on the run, under any of the names a server might use (none is documented). */
  errorText?: string;
}

export interface TaskRun {
  id?: string;
  taskId: string;
  status: string | null;
  tryNumber?: number;
  startedAt?: string;
  endedAt?: string;
  errorText?: string;
}

export interface RunDetail extends RunSummary {
  taskRuns: TaskRun[];
}

/** What the trigger answered: any 2xx, any body (apis.md §5 #13). */
export interface TriggerAnswer {
  httpStatus: number;
  /** `run_id`/`id`/`uuid`, or `data.id`/`data.run_id`: a Qarion run id, or perhaps Airflow's. */
  runId?: string;
  /** `dag_run_id`/`provider_run_id`/`external_id`: Airflow's id. */
  providerRunId?: string;
  /** The run's status word in the answer, if any. */
  status?: string;
  /** 'empty', 'json' or 'text' (a body that is not JSON is accepted and ignored). */
  body: 'empty' | 'json' | 'text';
}

export interface Comment {
  id?: string;
  content?: string;
}

export interface PipelineFilters {
  provider?: string;
  status?: string;
  owner?: string;
  criticality?: string;
  team_id?: string;
  connector_id?: string;
  q?: string;
  watched_only?: boolean;
  days?: number;
}

export interface RunFilters {
  /** ISO 8601 (we send UTC with `Z`; the accepted format is unknown, apis.md §2.7). */
  started_from?: string;
  started_to?: string;
  status?: string;
  run_type?: string;
}

export interface Paging {
  page: number;
  size: number;
}

/** One page of a list, whatever its form (envelope or bare array plus headers). */
export interface ListPage<T> {
  items: T[];
  total?: number;
  page?: number;
  size?: number;
  /** The server's `Date` header, epoch ms, when it sent one. */
  serverDateMs?: number;
}

export interface Listing<T> {
  items: T[];
  serverDateMs?: number;
  /** True when paging stopped at the page cap, so the list may be incomplete. */
  truncated: boolean;
  /** Pages read. */
  pages: number;
  /**
   * Why the list cannot be shown to be complete (page cap reached; the server's total counts more items than
   * its pages gave; a page repeated earlier items and no total was given). Undefined when it is complete.
   */
  incomplete?: string;
}

/** What the connector sync answered (shape unknown: kept loose). */
export interface SyncAnswer {
  httpStatus: number;
  status?: string;
}

/** Page size we ask for: the documented maximum; larger sizes would be capped silently anyway. */
export const PAGE_SIZE = 100;
const DEFAULT_MAX_PAGES = 50;

const enc = encodeURIComponent;

// ---------------------------------------------------------------------------------------------------------
// Parsing (field aliases per apis.md §2.3)

function text(o: JsonObject, ...names: string[]): string | undefined {
  const value = pick(o, ...names);
  return str(value);
}

/** A status word: a string, or null/absent. */
function word(o: JsonObject, ...names: string[]): string | null {
  for (const name of names) {
    const value = o[name];
    if (typeof value === 'string') return value;
    if (value !== undefined && value !== null) return str(value) ?? null;
  }
  return null;
}

/** The first of `names` that holds a text value, with the name it was found under. */
function namedText(o: JsonObject, ...names: string[]): { name: string; value: string } | undefined {
  for (const name of names) {
    const value = str(o[name]);
    if (value !== undefined) return { name, value };
  }
  return undefined;
}

function errorTextOf(o: JsonObject): string | undefined {
  for (const name of ['error_message', 'error', 'failure_reason', 'message', 'note']) {
    const value = o[name];
    if (typeof value === 'string' && value.trim()) return value;
    if (isObject(value)) {
      const inner = str(value.message) ?? str(value.detail);
      if (inner?.trim()) return inner;
    }
  }
  return undefined;
}

function metadataOf(o: JsonObject): JsonObject {
  const meta = pick(o, 'provider_metadata', 'providerMetadata', 'metadata');
  return isObject(meta) ? meta : {};
}

export function parsePipeline(o: JsonObject): Pipeline | undefined {
  const id = text(o, 'id', 'pipeline_id', 'uuid');
  if (id === undefined) return undefined;
  const meta = metadataOf(o);
  const connector = o.connector;
  const status = text(o, 'status');
  const pausedFlag = pick(meta, 'is_paused', 'paused') ?? pick(o, 'is_paused', 'paused');
  return {
    id,
    name: text(o, 'name', 'display_name', 'dag_id') ?? id,
    dagId: text(meta, 'dag_id') ?? text(o, 'dag_id'),
    provider: text(o, 'provider'),
    status,
    connectorId: text(o, 'connector_id', 'source_connector_id') ?? (isObject(connector) ? text(connector, 'id') : undefined),
    paused: pausedFlag === true || status?.toLowerCase() === 'paused',
    airflowUrl: text(meta, 'airflow_url', 'web_url', 'ui_url', 'base_url') ?? text(o, 'airflow_url'),
  };
}

export function parseRunSummary(o: JsonObject): RunSummary | undefined {
  const id = text(o, 'id', 'run_id', 'uuid');
  if (id === undefined) return undefined;
  const meta = metadataOf(o);
  const end = namedText(o, 'ended_at', 'end_date', 'finished_at', 'endedAt', 'finishedAt');
  return {
    id,
    pipelineId: text(o, 'pipeline_id', 'pipelineId'),
    status: word(o, 'status', 'state'),
    runType: text(o, 'run_type', 'runType', 'type'),
    startedAt: text(o, 'started_at', 'start_date', 'startedAt'),
    endedAt: end?.value,
    endedAtField: end?.name,
    queuedAt: text(o, 'queued_at', 'created_at', 'queuedAt', 'createdAt'),
    durationSeconds: num(pick(o, 'duration_seconds', 'duration')),
    providerRunId: text(o, 'provider_run_id', 'dag_run_id', 'external_id') ?? text(meta, 'dag_run_id', 'run_id'),
    dagId: text(meta, 'dag_id') ?? text(o, 'dag_id'),
    errorText: errorTextOf(o) ?? errorTextOf(meta),
  };
}

function parseTaskRun(o: JsonObject): TaskRun {
  return {
    id: text(o, 'id', 'task_run_id', 'uuid'),
    taskId: text(o, 'task_id', 'taskId', 'name', 'task_display_name') ?? '(unnamed task)',
    status: word(o, 'status', 'state'),
    tryNumber: num(pick(o, 'try_number', 'tryNumber', 'attempt')),
    startedAt: text(o, 'started_at', 'start_date', 'startedAt'),
    endedAt: text(o, 'ended_at', 'end_date', 'finished_at', 'endedAt'),
    errorText: errorTextOf(o),
  };
}

export function parseRunDetail(o: JsonObject): RunDetail | undefined {
  const summary = parseRunSummary(o);
  if (!summary) return undefined;
  const raw = pick(o, 'task_runs', 'tasks', 'taskRuns', 'task_instances');
  const list = listOf(raw) ?? [];
  return { ...summary, taskRuns: list.filter(isObject).map(parseTaskRun) };
}

/** Any 2xx body: empty, a Qarion run, an Airflow DAG run, `{run_id}`, `{data: {id}}` (apis.md §2.6 step 5). */
export function parseTriggerAnswer(httpStatus: number, body: string): TriggerAnswer {
  if (!body.replace(/^\ufeff/, '').trim()) return { httpStatus, body: 'empty' };
  let data: unknown;
  try {
    data = JSON.parse(body.replace(/^\ufeff/, ''));
  } catch {
    return { httpStatus, body: 'text' };
  }
  const answer: TriggerAnswer = { httpStatus, body: 'json' };
  if (!isObject(data)) return answer;
  const inner = isObject(data.data) ? data.data : isObject(data.run) ? data.run : undefined;
  answer.runId = text(data, 'run_id', 'id', 'uuid') ?? (inner ? text(inner, 'id', 'run_id', 'uuid') : undefined);
  answer.providerRunId =
    text(data, 'dag_run_id', 'provider_run_id', 'external_id') ?? (inner ? text(inner, 'dag_run_id', 'provider_run_id', 'external_id') : undefined);
  answer.status = text(data, 'status', 'state') ?? (inner ? text(inner, 'status', 'state') : undefined);
  if (answer.runId !== undefined && answer.runId === answer.providerRunId) delete answer.runId;
  return answer;
}

function parseComment(o: JsonObject): Comment {
  return { id: text(o, 'id', 'comment_id', 'uuid'), content: text(o, 'content', 'body', 'text', 'comment', 'message') };
}

function dateHeader(response: HttpResponse): number | undefined {
  const raw = response.headers['date'];
  if (!raw) return undefined;
  const ms = Date.parse(raw);
  return Number.isNaN(ms) ? undefined : ms;
}

function pageOf<T>(response: HttpResponse, what: string, parse: (o: JsonObject) => T | undefined): ListPage<T> {
  const data = response.data;
  const list = listOf(data, 'items', 'data', 'results');
  if (!list) throw new ShapeError(`${what} (a JSON array, or an object with items)`, data);
  const items: T[] = [];
  for (const item of list) {
    if (!isObject(item)) continue;
    const parsed = parse(item);
    if (parsed !== undefined) items.push(parsed);
  }
  const envelope = isObject(data) ? data : {};
  const page: ListPage<T> = { items };
  const total = num(envelope.total) ?? num(response.headers['x-total-count']) ?? num(response.headers['x-total']);
  if (total !== undefined) page.total = total;
  // The server's own page number and size (it caps size silently): envelope, else headers (names guessed).
  const p = num(envelope.page) ?? num(response.headers['x-page']);
  if (p !== undefined) page.page = p;
  const size = num(envelope.size) ?? num(response.headers['x-page-size']) ?? num(response.headers['x-per-page']);
  if (size !== undefined) page.size = size;
  const date = dateHeader(response);
  if (date !== undefined) page.serverDateMs = date;
  return page;
}

// ---------------------------------------------------------------------------------------------------------

export class QarionApi {
  /** '/api/v1.0', or '' when the base URL already ends with it. */
  readonly prefix: string;

  constructor(
    private readonly http: HttpClient,
    baseUrl: string,
  ) {
    let path = '';
    try {
      path = new URL(baseUrl).pathname.replace(/\/+$/, '');
    } catch {
      // The HTTP client reports a bad base URL on the first request.
    }
    this.prefix = /\/api\/v1\.0$/i.test(path) ? '' : API_PREFIX;
  }

  private orch(space: string, rest: string): string {
    return `${this.prefix}/spaces/${enc(space)}/orchestration${rest}`;
  }

  private get(path: string, query: Record<string, string | number | boolean | undefined>, phase: Phase, okStatuses?: number[]): Promise<HttpResponse> {
    return this.http.request({ method: 'GET', path, query, retry: 'safe', phase, expect: 'json', ...(okStatuses && { okStatuses }) });
  }

  /**
   * Reads every page. Stops when a page is empty, when `page*size >= total` (or everything counted is in),
   * or when a page adds nothing new (a server ignoring `page`). Never on "fewer than the size I asked for":
   * the server caps `size` silently (apis.md §2.5).
   */
  private async allPages<T>(
    read: (paging: Paging) => Promise<ListPage<T>>,
    keyOf: (item: T) => string,
    maxPages = DEFAULT_MAX_PAGES,
  ): Promise<Listing<T>> {
    const seen = new Map<string, T>();
    let serverDateMs: number | undefined;
    let total: number | undefined;
    const done = (pages: number, incomplete?: string): Listing<T> => ({
      items: [...seen.values()],
      serverDateMs,
      truncated: false,
      pages,
      ...(incomplete !== undefined && { incomplete }),
    });
    for (let page = 1; page <= maxPages; page++) {
      const result = await read({ page, size: PAGE_SIZE });
      serverDateMs = result.serverDateMs ?? serverDateMs;
      total = result.total ?? total;
      const short = () => (total !== undefined && seen.size < total ? `the server counts ${total} items, its pages gave ${seen.size}` : undefined);
      if (result.items.length === 0) return done(page, short());
      let added = 0;
      for (const item of result.items) {
        const key = keyOf(item);
        if (!seen.has(key)) added++;
        seen.set(key, item);
      }
      if (added === 0) {
        // A server ignoring `page`: with a total we know whether everything came; without one we cannot.
        return done(page, total === undefined ? `page ${page} repeated items already read, and the server gave no total` : short());
      }
      if (result.total !== undefined) {
        // page*size only with the size the server says it used: the size we asked for may have been capped.
        const pastTheEnd = result.size !== undefined && (result.page ?? page) * result.size >= result.total;
        if (seen.size >= result.total || pastTheEnd) return done(page, short());
      }
    }
    return { items: [...seen.values()], serverDateMs, truncated: true, pages: maxPages, incomplete: `more than ${maxPages} pages (the bound)` };
  }

  // ----- pipelines ------------------------------------------------------------------------------------

  /** GET /spaces/{slug}/orchestration/pipelines (one page). */
  async listPipelines(space: string, filters: PipelineFilters, paging: Paging, phase: Phase = 'resolve'): Promise<ListPage<Pipeline>> {
    const response = await this.get(this.orch(space, '/pipelines'), { ...filters, ...paging }, phase);
    return pageOf(response, 'a pipeline list', parsePipeline);
  }

  async allPipelines(space: string, filters: PipelineFilters, phase: Phase = 'resolve'): Promise<Listing<Pipeline>> {
    return this.allPages((paging) => this.listPipelines(space, filters, paging, phase), (p) => p.id);
  }

  /**
   * GET /spaces/{slug}/orchestration/pipelines/{pipeline_id}. With `missingOk`, 404 (no such id) and 422 (not
   * an id at all: FastAPI validating a UUID) answer undefined.
   */
  async getPipeline(space: string, pipelineId: string, phase: Phase, missingOk = false): Promise<Pipeline | undefined> {
    const response = await this.get(this.orch(space, `/pipelines/${enc(pipelineId)}`), {}, phase, missingOk ? [404, 422] : undefined);
    if (response.status === 404 || response.status === 422) return undefined;
    const data = response.data;
    const pipeline = isObject(data) ? parsePipeline(data) : undefined;
    if (!pipeline) throw new ShapeError('a pipeline object with an id', data);
    return pipeline;
  }

  /**
   * PATCH …/pipelines/{pipeline_id}/team: assigns (or, with null, clears) the owning team. The body
   * `{"team_id": …}` is inferred (apis.md §2.2). Not used by the step; here so every seed endpoint has a call.
   */
  async setPipelineTeam(space: string, pipelineId: string, teamId: string | null): Promise<Pipeline | undefined> {
    const response = await this.http.request({
      method: 'PATCH',
      path: this.orch(space, `/pipelines/${enc(pipelineId)}/team`),
      json: { team_id: teamId },
      retry: 'safe',
      phase: 'resolve',
      expect: 'json',
    });
    return isObject(response.data) ? parsePipeline(response.data) : undefined;
  }

  /** PATCH …/pipelines/{pipeline_id}/criticality; `{"criticality": "high"}` (casing on the wire unknown). Not used by the step. */
  async setPipelineCriticality(space: string, pipelineId: string, criticality: string): Promise<Pipeline | undefined> {
    const response = await this.http.request({
      method: 'PATCH',
      path: this.orch(space, `/pipelines/${enc(pipelineId)}/criticality`),
      json: { criticality },
      retry: 'safe',
      phase: 'resolve',
      expect: 'json',
    });
    return isObject(response.data) ? parsePipeline(response.data) : undefined;
  }

  /**
   * POST …/pipelines/{pipeline_id}/trigger, with no body (as the doc's curl). Never retried blindly: a resend
   * could start a second DAG run. Any 2xx and any body is accepted; the body is read as text and parsed here,
   * so that a non-JSON body cannot pass for a lost answer.
   */
  async triggerPipeline(space: string, pipelineId: string): Promise<TriggerAnswer> {
    const response = await this.http.request({
      method: 'POST',
      path: this.orch(space, `/pipelines/${enc(pipelineId)}/trigger`),
      retry: 'unsafe',
      phase: 'trigger',
      expect: 'text',
    });
    return parseTriggerAnswer(response.status, response.text);
  }

  // ----- runs -----------------------------------------------------------------------------------------

  /** GET …/pipelines/{pipeline_id}/runs (one page). */
  async listRuns(space: string, pipelineId: string, filters: RunFilters, paging: Paging, phase: Phase): Promise<ListPage<RunSummary>> {
    const response = await this.get(this.orch(space, `/pipelines/${enc(pipelineId)}/runs`), { ...filters, ...paging }, phase);
    return pageOf(response, 'a run list', parseRunSummary);
  }

  async allRuns(space: string, pipelineId: string, filters: RunFilters, phase: Phase, maxPages?: number): Promise<Listing<RunSummary>> {
    return this.allPages((paging) => this.listRuns(space, pipelineId, filters, paging, phase), (r) => r.id, maxPages);
  }

  /** GET /spaces/{slug}/orchestration/runs/{run_id}: one run with its task runs. `missingOk`: 404/422 → undefined. */
  async getRun(space: string, runId: string, phase: Phase, missingOk = false): Promise<RunDetail | undefined> {
    const response = await this.get(this.orch(space, `/runs/${enc(runId)}`), {}, phase, missingOk ? [404, 422] : undefined);
    if (response.status === 404 || response.status === 422) return undefined;
    const data = response.data;
    const run = isObject(data) ? parseRunDetail(data) : undefined;
    if (!run) throw new ShapeError('a run object with an id', data);
    return run;
  }

  // ----- comments -------------------------------------------------------------------------------------

  /** GET …/runs/{run_id}/comments (first pages only: enough to see whether we already commented). */
  async listRunComments(space: string, runId: string, phase: Phase = 'comment'): Promise<Comment[]> {
    const listing = await this.allPages(
      async (paging) => pageOf(await this.get(this.orch(space, `/runs/${enc(runId)}/comments`), { ...paging }, phase), 'a comment list', parseComment),
      (c) => c.id ?? JSON.stringify(c),
      5,
    );
    return listing.items;
  }

  /**
   * POST …/runs/{run_id}/comments. The body follows the shared Comments API, which is not among the sources:
   * `{"content": …}` is our guess (apis.md §5 #18). Not retried after a possible delivery: no duplicate comments.
   */
  async createRunComment(space: string, runId: string, content: string): Promise<Comment> {
    const response = await this.http.request({
      method: 'POST',
      path: this.orch(space, `/runs/${enc(runId)}/comments`),
      json: { content },
      retry: 'unsafe',
      phase: 'comment',
      expect: 'json',
    });
    return isObject(response.data) ? parseComment(response.data) : {};
  }

  /** GET …/task-runs/{task_run_id}/comments */
  async listTaskRunComments(space: string, taskRunId: string, phase: Phase = 'comment'): Promise<Comment[]> {
    const listing = await this.allPages(
      async (paging) =>
        pageOf(await this.get(this.orch(space, `/task-runs/${enc(taskRunId)}/comments`), { ...paging }, phase), 'a comment list', parseComment),
      (c) => c.id ?? JSON.stringify(c),
      5,
    );
    return listing.items;
  }

  /** POST …/task-runs/{task_run_id}/comments */
  async createTaskRunComment(space: string, taskRunId: string, content: string): Promise<Comment> {
    const response = await this.http.request({
      method: 'POST',
      path: this.orch(space, `/task-runs/${enc(taskRunId)}/comments`),
      json: { content },
      retry: 'unsafe',
      phase: 'comment',
      expect: 'json',
    });
    return isObject(response.data) ? parseComment(response.data) : {};
  }

  /** PUT or PATCH …/comments/{comment_id} (an update is idempotent, so it is retried like a read). */
  async updateComment(space: string, commentId: string, content: string, method: 'PUT' | 'PATCH' = 'PATCH'): Promise<Comment> {
    const response = await this.http.request({
      method,
      path: this.orch(space, `/comments/${enc(commentId)}`),
      json: { content },
      retry: 'safe',
      phase: 'comment',
      expect: 'json',
    });
    return isObject(response.data) ? parseComment(response.data) : {};
  }

  /** DELETE …/comments/{comment_id}; a 404 on a retry means the first attempt deleted it. */
  async deleteComment(space: string, commentId: string): Promise<void> {
    await this.http.request({
      method: 'DELETE',
      path: this.orch(space, `/comments/${enc(commentId)}`),
      retry: 'safe',
      phase: 'comment',
      expect: 'none',
      okStatuses: [404],
    });
  }

  // ----- connector sync -------------------------------------------------------------------------------

  /**
   * POST …/orchestration/connectors/{connector_id}/sync: Airflow connectors only; needs edit rights on the
   * connector. A repeated sync is harmless, so it is retried like a read.
   */
  async syncConnector(space: string, connectorId: string, phase: Phase = 'find'): Promise<SyncAnswer> {
    const response = await this.http.request({
      method: 'POST',
      path: this.orch(space, `/connectors/${enc(connectorId)}/sync`),
      retry: 'safe',
      phase,
      expect: 'text',
    });
    let status: string | undefined;
    try {
      const data: unknown = response.text.trim() ? JSON.parse(response.text) : undefined;
      if (isObject(data)) status = text(data, 'status', 'state');
    } catch {
      // Any body is fine.
    }
    return { httpStatus: response.status, ...(status !== undefined && { status }) };
  }
}

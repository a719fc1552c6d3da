/**
 * Planasonix orchestration v1 (`/api/v1/...`, snake_case) and REST resources (`/api/...`, camelCase):
 * one typed call per endpoint. Paths are relative to `base-url`, which carries any versioned base path
 * (`https://api.planasonix.com/v1` → `/v1/api/...`, apis.md §3.1).
 *
 * Server JSON is parsed here, once. Every documented (and every plausible) variant is accepted, because the
 * sources disagree (apis.md §3.8): enveloped `{data:{job}}` or flat `{job_id}` answers, `runId` or
 * `{data:{id}}`, snake_case or camelCase, `finishedAt` or `endedAt`, bare-array or `{data, meta}` lists,
 * and three log formats. Error bodies are read by the HTTP client (`{"error":{"code","message"}}`,
 * `{"code","message"}`, `{"error":"…"}` all become ApiError.problem).
 */
import { StringDecoder } from 'node:string_decoder';
import type { HttpClient, HttpResponse, Phase, RequestOptions, StreamResponse } from '../../core/http/index.js';
import { ApiError } from '../../core/http/index.js';
import { isObject, num, pick, ShapeError, str, type JsonObject } from '../../core/json.js';
import { jsonArrayItems } from '../../core/json-stream.js';

export const V1 = '/api/v1';
export const REST = '/api';

/** Page size we ask for on lists. */
export const PAGE_SIZE = 50;
/**
 * Most pages read of one list (issue 12: check mode reads every page it needs, with a bound that fails
 * clearly past it). A list that goes on past it is reported incomplete, never taken as whole.
 */
export const MAX_PAGES = 50;
const MAX_LOG_PAGES = 200;
/** A JSON log answer (a list of URLs, or lines) is buffered up to this size. */
const JSON_LOG_LIMIT = 32 * 1024 * 1024;

const enc = encodeURIComponent;

/** A failure that needs no HTTP hint: the message says it all. */
export class PlanasonixError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PlanasonixError';
  }
}

export interface Job {
  id: string;
  status: string | null;
  connectionId: string | null;
  createdAt: string | null;
  startedAt: string | null;
  finishedAt: string | null;
  durationSeconds: number | null;
  rowsSynced: number | null;
  errorMessage: string | null;
  errorCode: string | null;
  /** The idempotency key the server stored, or the one we put in metadata. */
  idempotencyKey: string | null;
  /** Where that key was read (`idempotency_key`, `metadata.idempotency_key`…), for the identity proof. */
  keyField: string | null;
  /** The name of the field `finishedAt` was read from (`finished_at`, `endedAt`, `completed_at`…). */
  endField: string | null;
}

export interface JobResults {
  totalRowsSynced: number | null;
  streams: Array<{ name: string; rows: number | null }>;
}

export interface Backfill {
  id: string;
  status: string | null;
  connectionId: string | null;
  progressPercent: number | null;
  createdAt: string | null;
  startedAt: string | null;
  finishedAt: string | null;
  errorMessage: string | null;
  errorCode: string | null;
  /** Internal jobs a large window was split into: shown, never used as the backfill's status. */
  internalJobs: Array<{ id: string; status: string | null }>;
  idempotencyKey: string | null;
  keyField: string | null;
  endField: string | null;
}

export interface Run {
  id: string;
  pipelineId: string | null;
  status: string | null;
  createdAt: string | null;
  startedAt: string | null;
  finishedAt: string | null;
  durationSeconds: number | null;
  rowsRead: number | null;
  rowsWritten: number | null;
  errorMessage: string | null;
  errorCode: string | null;
  /** The error's optional stack reference (apis.md §3.6). */
  errorStack: string | null;
  errorNode: string | null;
  idempotencyKey: string | null;
  keyField: string | null;
  endField: string | null;
}

export interface RunNode {
  id: string;
  name: string;
  state: string | null;
  startedAt: string | null;
  finishedAt: string | null;
  retries: number | null;
  rowsRead: number | null;
  rowsWritten: number | null;
}

export interface ExecutionStatus {
  runId: string | null;
  status: string | null;
  startedAt: string | null;
  finishedAt: string | null;
  endField: string | null;
}

/** A whole list, or as much of it as could be read, and whether that is all of it. */
export interface ListResult<T> {
  items: T[];
  /** Every page was read: the server said the list ended (no cursor, a short or empty page). */
  complete: boolean;
  pages: number;
  /** Why the list is not complete. */
  incomplete?: string;
}

export type ConflictKind = 'job' | 'backfill' | 'run';

export type TriggerAnswer =
  /** `id` is absent when the answer carried none (apis.md §3.7 #4: correlate through the list). */
  | { kind: 'accepted'; id?: string; status?: string; httpStatus: number }
  | { kind: 'conflict'; existingId?: string; existingKind?: ConflictKind; message: string }
  /** `{success: false, message}` (vendor client). */
  | { kind: 'refused'; message: string };

export type CancelAnswer =
  | { kind: 'accepted'; httpStatus: number; message?: string }
  /** 409/400: the run had already ended (apis.md §3.6); 404: unknown. */
  | { kind: 'refused'; httpStatus: number; message: string };

// ---------------------------------------------------------------------------------------------------------
// Field readers

function text(o: JsonObject, ...names: string[]): string | null {
  const value = pick(o, ...names);
  const s = str(value);
  return s === undefined || s === '' ? null : s;
}

function count(o: JsonObject, ...names: string[]): number | null {
  return num(pick(o, ...names)) ?? null;
}

const END_FIELDS = ['finished_at', 'finishedAt', 'ended_at', 'endedAt', 'completed_at', 'completedAt', 'end_time', 'endTime'];
const START_FIELDS = ['started_at', 'startedAt', 'start_time', 'startTime'];
const CREATED_FIELDS = ['created_at', 'createdAt', 'queued_at', 'queuedAt'];

/**
 * The single object of an answer: `{data: {<inner>: {...}}}`, `{data: {...}}`, `{<inner>: {...}}` or the
 * object itself.
 */
function unwrap(value: unknown, inner: string): JsonObject | undefined {
  if (!isObject(value)) return undefined;
  const level = isObject(value.data) ? value.data : value;
  return isObject(level[inner]) ? (level[inner] as JsonObject) : level;
}

/** `error` as an object `{message, code, stack…}`, or a string; plus flat `errorMessage` fields. */
function readError(o: JsonObject): { message: string | null; code: string | null; stack: string | null; node: string | null } {
  const error = o.error;
  if (isObject(error)) {
    return {
      message: text(error, 'message', 'detail', 'error', 'description'),
      code: text(error, 'code', 'type', 'class', 'error_class', 'errorClass'),
      stack: text(error, 'stackRef', 'stack_ref', 'stack_reference', 'stackReference', 'stack', 'stackTrace', 'stack_trace', 'traceId', 'trace_id'),
      node: text(error, 'nodeId', 'node_id', 'node'),
    };
  }
  return {
    message: str(error) ?? text(o, 'errorMessage', 'error_message'),
    code: text(o, 'errorCode', 'error_code'),
    stack: null,
    node: null,
  };
}

/** The first of `names` that holds a non-empty string: its name and value. */
function named(o: JsonObject, names: readonly string[]): { field: string; value: string } | undefined {
  for (const name of names) {
    const value = text(o, name);
    if (value !== null) return { field: name, value };
  }
  return undefined;
}

const KEY_FIELDS = ['idempotency_key', 'idempotencyKey'];
const METADATA_FIELDS = ['metadata', 'triggerMetadata', 'trigger_metadata'];

/** The idempotency key the object carries, top-level or in its (trigger) metadata, and where it was found. */
function markerOf(o: JsonObject): { idempotencyKey: string | null; keyField: string | null } {
  const top = named(o, KEY_FIELDS);
  if (top) return { idempotencyKey: top.value, keyField: top.field };
  for (const holder of METADATA_FIELDS) {
    const metadata = o[holder];
    if (!isObject(metadata)) continue;
    const inner = named(metadata, KEY_FIELDS);
    if (inner) return { idempotencyKey: inner.value, keyField: `${holder}.${inner.field}` };
  }
  return { idempotencyKey: null, keyField: null };
}

function endOf(o: JsonObject): { finishedAt: string | null; endField: string | null } {
  const end = named(o, END_FIELDS);
  return { finishedAt: end?.value ?? null, endField: end?.field ?? null };
}

function parseJob(o: JsonObject): Job | undefined {
  const id = text(o, 'id', 'job_id', 'jobId');
  if (id === null) return undefined;
  const progress = isObject(o.progress) ? o.progress : {};
  const error = readError(o);
  return {
    id,
    status: text(o, 'status', 'state'),
    connectionId: text(o, 'connection_id', 'connectionId'),
    createdAt: text(o, ...CREATED_FIELDS),
    startedAt: text(o, ...START_FIELDS),
    ...endOf(o),
    durationSeconds: count(o, 'duration_seconds', 'durationSeconds'),
    rowsSynced: count(progress, 'rows_synced', 'rowsSynced') ?? count(o, 'rows_synced', 'rowsSynced'),
    errorMessage: error.message,
    errorCode: error.code,
    ...markerOf(o),
  };
}

function parseBackfill(o: JsonObject): Backfill | undefined {
  const id = text(o, 'id', 'backfill_id', 'backfillId');
  if (id === null) return undefined;
  const error = readError(o);
  const jobs = pick(o, 'internal_jobs', 'internalJobs', 'jobs');
  return {
    id,
    status: text(o, 'status', 'state'),
    connectionId: text(o, 'connection_id', 'connectionId'),
    progressPercent: count(o, 'progress_percent', 'progressPercent'),
    createdAt: text(o, ...CREATED_FIELDS),
    startedAt: text(o, ...START_FIELDS),
    ...endOf(o),
    errorMessage: error.message,
    errorCode: error.code,
    internalJobs: Array.isArray(jobs)
      ? jobs.filter(isObject).map((j) => ({ id: text(j, 'id', 'job_id') ?? '?', status: text(j, 'status', 'state') }))
      : [],
    ...markerOf(o),
  };
}

function parseRun(o: JsonObject): Run | undefined {
  const id = text(o, 'id', 'runId', 'run_id');
  if (id === null) return undefined;
  const metrics = isObject(o.metrics) ? o.metrics : {};
  const error = readError(o);
  return {
    id,
    pipelineId: text(o, 'pipelineId', 'pipeline_id'),
    status: text(o, 'status', 'state'),
    createdAt: text(o, ...CREATED_FIELDS),
    startedAt: text(o, ...START_FIELDS),
    ...endOf(o),
    durationSeconds: count(o, 'durationSeconds', 'duration_seconds'),
    rowsRead: count(metrics, 'rowsRead', 'rows_read') ?? count(o, 'recordsRead', 'records_read'),
    rowsWritten: count(metrics, 'rowsWritten', 'rows_written') ?? count(o, 'recordsWritten', 'records_written'),
    errorMessage: error.message,
    errorCode: error.code,
    errorStack: error.stack,
    errorNode: error.node,
    ...markerOf(o),
  };
}

function parseNode(o: JsonObject): RunNode | undefined {
  const id = text(o, 'id', 'nodeId', 'node_id', 'name');
  if (id === null) return undefined;
  return {
    id,
    name: text(o, 'name', 'label', 'title') ?? id,
    state: text(o, 'state', 'status'),
    startedAt: text(o, ...START_FIELDS),
    finishedAt: text(o, ...END_FIELDS),
    retries: count(o, 'retries', 'retryCount', 'retry_count', 'attempts'),
    rowsRead: count(o, 'rowsRead', 'rows_read', 'recordsRead'),
    rowsWritten: count(o, 'rowsWritten', 'rows_written', 'recordsWritten'),
  };
}

interface ListPage {
  items: JsonObject[];
  /** The next cursor; null when the answer says "no more"; undefined when it carries no cursor at all. */
  cursor: string | null | undefined;
}

const CURSOR_KEYS = ['cursor', 'next_cursor', 'nextCursor'];

/** A bare array, `{data, meta:{cursor}}`, `{data, meta:{page:{cursor}}}` (apis.md §3.5), or `{items}` etc. */
export function readListPage(value: unknown, ...extraKeys: string[]): ListPage {
  if (Array.isArray(value)) return { items: value.filter(isObject), cursor: undefined };
  if (!isObject(value)) throw new ShapeError('a list (a JSON array or {data: [...]})', value);
  let items: unknown[] | undefined;
  for (const key of ['data', 'items', 'results', ...extraKeys]) {
    const inner = value[key];
    if (Array.isArray(inner)) {
      items = inner;
      break;
    }
    if (isObject(inner)) {
      for (const nested of ['items', ...extraKeys]) if (Array.isArray(inner[nested])) items = inner[nested] as unknown[];
      if (items) break;
    }
  }
  if (!items) throw new ShapeError('a list (a JSON array or {data: [...]})', value);
  let cursor: string | null | undefined;
  const meta = isObject(value.meta) ? value.meta : undefined;
  const holders = [meta, meta && isObject(meta.page) ? meta.page : undefined, meta && isObject(meta.pagination) ? meta.pagination : undefined, value];
  for (const holder of holders) {
    if (!holder) continue;
    for (const key of CURSOR_KEYS) {
      if (!(key in holder)) continue;
      const v = holder[key];
      if (v === null || v === '' || v === false) cursor ??= null;
      else if (typeof v === 'string' || typeof v === 'number') cursor = String(v);
    }
    if (typeof cursor === 'string') break;
  }
  return { items: items.filter(isObject), cursor };
}

/** The id of a trigger's answer (apis.md §3.7), for each resource kind. */
function answerId(data: JsonObject, kind: ConflictKind): string | undefined {
  const inner = isObject(data.data) ? data.data : undefined;
  const nested = (holder: JsonObject | undefined, name: string) => (holder && isObject(holder[name]) ? (holder[name] as JsonObject) : undefined);
  const candidates: Array<[JsonObject | undefined, string[]]> =
    kind === 'job'
      ? [[nested(inner, 'job'), ['id', 'job_id']], [data, ['job_id', 'jobId']], [inner, ['id', 'job_id', 'jobId']], [nested(data, 'job'), ['id']], [data, ['id']]]
      : kind === 'backfill'
        ? [[nested(inner, 'backfill'), ['id', 'backfill_id']], [data, ['backfill_id', 'backfillId']], [inner, ['id', 'backfill_id']], [nested(data, 'backfill'), ['id']], [data, ['id']]]
        : [[data, ['runId', 'run_id']], [inner, ['id', 'runId', 'run_id']], [nested(inner, 'run'), ['id', 'runId']], [nested(data, 'run'), ['id']], [data, ['id']]];
  for (const [holder, names] of candidates) {
    if (!holder) continue;
    const id = text(holder, ...names);
    if (id !== null) return id;
  }
  return undefined;
}

function answerStatus(data: JsonObject, kind: ConflictKind): string | undefined {
  const inner = isObject(data.data) ? data.data : data;
  const object = kind === 'run' ? (isObject(inner.run) ? inner.run : inner) : isObject(inner[kind]) ? (inner[kind] as JsonObject) : inner;
  return text(object, 'status', 'state') ?? text(data, 'status') ?? undefined;
}

/** The run named by a 409 (vendor client: `existing_job_id`), anywhere in the body. */
function conflictOf(value: unknown, bodyText: string): { existingId?: string; existingKind?: ConflictKind; message: string } {
  let data = value;
  if (data === undefined && bodyText.trim().startsWith('{')) {
    try {
      data = JSON.parse(bodyText);
    } catch {
      // not JSON: the text is the message
    }
  }
  if (!isObject(data)) return { message: bodyText.trim().slice(0, 200) || 'already running' };
  const holders = [data, isObject(data.error) ? data.error : undefined, isObject(data.data) ? data.data : undefined];
  const fields: Array<[ConflictKind, string[]]> = [
    ['job', ['existing_job_id', 'existingJobId']],
    ['backfill', ['existing_backfill_id', 'existingBackfillId']],
    ['run', ['existing_run_id', 'existingRunId']],
  ];
  let existingId: string | undefined;
  let existingKind: ConflictKind | undefined;
  for (const holder of holders) {
    if (!holder || existingId) continue;
    for (const [kind, names] of fields) {
      const id = text(holder, ...names);
      if (id !== null) {
        existingId = id;
        existingKind = kind;
        break;
      }
    }
  }
  const error = data.error;
  const message =
    (isObject(error) ? text(error, 'message', 'detail') : str(error)) ?? text(data, 'message', 'detail') ?? 'already running';
  return { ...(existingId !== undefined && { existingId, existingKind }), message };
}

// ---------------------------------------------------------------------------------------------------------
// Logs

export type LogKind = 'text' | 'ndjson' | 'json';

export function logKind(contentType: string): LogKind {
  if (/(^|[/+])(x-)?(ndjson|jsonl|jsonlines|json-seq)$/.test(contentType) || contentType === 'application/x-json-stream') return 'ndjson';
  if (contentType === 'application/json' || contentType.endsWith('+json')) return 'json';
  return 'text';
}

/** One structured log entry as one line: `time LEVEL [node] message`. */
export function formatLogEntry(value: unknown): string {
  if (typeof value === 'string') return value;
  if (!isObject(value)) return JSON.stringify(value);
  const time = text(value, 'ts', 'timestamp', 'time', 'at', 'logTime', 'createdAt');
  const level = text(value, 'level', 'severity', 'lvl');
  const node = text(value, 'nodeId', 'node_id', 'node');
  const message = text(value, 'message', 'msg', 'line', 'text', 'log') ?? JSON.stringify(value);
  return [time, level, node ? `[${node}]` : null, message].filter((p) => p !== null).join(' ');
}

const URL_FIELDS = ['url', 'href', 'signedUrl', 'signed_url', 'downloadUrl', 'download_url', 'presignedUrl'];

function urlOf(value: unknown): string | undefined {
  if (typeof value === 'string') return /^(https?:\/\/|\/)/i.test(value) ? value : undefined;
  if (isObject(value)) return text(value, ...URL_FIELDS) ?? undefined;
  return undefined;
}

/** A JSON log answer: URLs to fetch, lines, and the cursor of the next read. */
export function readLogJson(value: unknown): { urls: string[]; lines: string[]; cursor: string | null | undefined } {
  const urls: string[] = [];
  const lines: string[] = [];
  const take = (items: unknown[]) => {
    for (const item of items) {
      const url = isObject(item) && URL_FIELDS.some((f) => f in item) ? urlOf(item) : undefined;
      if (url) urls.push(url);
      else lines.push(formatLogEntry(item));
    }
  };
  let cursor: string | null | undefined;
  if (Array.isArray(value)) take(value);
  else if (isObject(value)) {
    const levels = [value, isObject(value.data) ? value.data : undefined];
    for (const level of levels) {
      if (!level) continue;
      for (const key of ['urls', 'links', 'files', 'parts', 'objects']) {
        const list = level[key];
        if (Array.isArray(list)) list.forEach((u) => (urlOf(u) ? urls.push(urlOf(u)!) : undefined));
      }
      const single = text(level, ...URL_FIELDS);
      if (single) urls.push(single);
      for (const key of ['lines', 'entries', 'logs', 'items', 'data']) {
        const list = level[key];
        if (Array.isArray(list)) take(list);
        else if (typeof list === 'string' && key !== 'data') list.split(/\r?\n/).forEach((l) => lines.push(l));
      }
    }
    const meta = isObject(value.meta) ? value.meta : undefined;
    for (const holder of [value, meta, isObject(value.data) ? value.data : undefined]) {
      if (!holder) continue;
      for (const key of ['nextCursor', 'next_cursor', 'cursor', 'nextSince', 'next_since']) {
        if (!(key in holder)) continue;
        const v = holder[key];
        if (typeof v === 'string' || typeof v === 'number') cursor = String(v);
        else if (v === null) cursor ??= null;
      }
    }
  }
  return { urls: [...new Set(urls)], lines, cursor };
}

async function* splitLines(body: AsyncIterable<Buffer>): AsyncGenerator<string> {
  const decoder = new StringDecoder('utf8');
  let rest = '';
  for await (const chunk of body) {
    rest += decoder.write(chunk);
    let index: number;
    while ((index = rest.indexOf('\n')) >= 0) {
      yield rest.slice(0, index).replace(/\r$/, '');
      rest = rest.slice(index + 1);
    }
  }
  rest += decoder.end();
  if (rest !== '') yield rest.replace(/\r$/, '');
}

async function readAll(body: AsyncIterable<Buffer>, limit: number): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    chunks.push(chunk);
    size += chunk.length;
    if (size > limit) throw new Error(`the JSON log answer is larger than ${Math.round(limit / 1024 / 1024)} MB`);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** The stream with its first chunk already read (to tell a JSON array from an object). */
async function peek(body: AsyncIterable<Buffer>): Promise<{ first: string; body: AsyncIterable<Buffer> }> {
  const iterator = body[Symbol.asyncIterator]();
  const head = await iterator.next();
  const firstChunk = head.done ? Buffer.alloc(0) : head.value;
  const rest: AsyncIterable<Buffer> = {
    [Symbol.asyncIterator]: () => {
      let sentFirst = false;
      return {
        next: async () => {
          if (!sentFirst) {
            sentFirst = true;
            if (!head.done) return { done: false, value: firstChunk };
          }
          return head.done ? { done: true, value: undefined } : iterator.next();
        },
        return: async () => {
          await iterator.return?.();
          return { done: true, value: undefined };
        },
      };
    },
  };
  return { first: firstChunk.toString('utf8').trimStart().charAt(0), body: rest };
}

function headerCursor(headers: Record<string, string>): string | undefined {
  return headers['x-next-cursor'] ?? headers['x-log-cursor'] ?? headers['x-next-since'];
}

// ---------------------------------------------------------------------------------------------------------

const DISABLED = /orchestration[_ ]?api[_ ]?(is[_ ])?(disabled|not[_ ]enabled)|api[_ ](is[_ ])?(disabled|not[_ ]enabled)|enterprise|licen[cs]e/i;

/** "API disabled / not Enterprise" (403 or 404, apis.md §5 #28) as one clear line, never retried. */
function explainDisabled(error: unknown): unknown {
  if (!(error instanceof ApiError) || (error.status !== 403 && error.status !== 404)) return error;
  const said = [error.problem?.code, error.problem?.title, error.problem?.detail].filter(Boolean).join(' ');
  if (!DISABLED.test(said)) return error;
  return new PlanasonixError(
    `${error.message}. The Planasonix Orchestration API is disabled for this organization, or not part of its plan ` +
      '(it is an Enterprise feature): an organization admin enables it under Settings → Orchestration API (some tenants need a second admin to approve)',
  );
}

export class PlanasonixApi {
  private readonly origin: string | undefined;

  constructor(
    private readonly http: HttpClient,
    baseUrl: string,
  ) {
    try {
      this.origin = new URL(baseUrl).origin;
    } catch {
      this.origin = undefined;
    }
  }

  private async call<T = unknown>(options: RequestOptions): Promise<HttpResponse<T>> {
    try {
      return await this.http.request<T>(options);
    } catch (error) {
      throw explainDisabled(error);
    }
  }

  private async stream(options: RequestOptions): Promise<StreamResponse> {
    try {
      return await this.http.stream(options);
    } catch (error) {
      throw explainDisabled(error);
    }
  }

  private async getJson(path: string, query: Record<string, string | number | undefined>, phase: Phase, okStatuses?: number[]): Promise<HttpResponse> {
    return this.call({ method: 'GET', path, query, retry: 'safe', phase, expect: 'json', ...(okStatuses && { okStatuses }) });
  }

  /**
   * Every page of a list (up to `maxPages`): follows the cursor when the answer carries one, else `offset`.
   * The list is complete when the server says it ended: a null or missing-after-cursor cursor, an empty
   * page, or (offset paging) a page shorter than the one before it or than `limit`. A page cap below our
   * `limit` is allowed for (apis.md §3.5 names no maximum): a full page is one as long as the first page.
   * Incomplete: the page bound was reached, a cursor repeated, or a page added nothing new (a server that
   * ignores both cursor and offset).
   */
  private async list<T>(
    path: string,
    query: Record<string, string | number | undefined>,
    phase: Phase,
    parse: (o: JsonObject) => T | undefined,
    idOf: (item: T) => string,
    maxPages: number,
  ): Promise<ListResult<T>> {
    const seen = new Map<string, T>();
    let cursor: string | undefined;
    let offset = 0;
    let pageSize = PAGE_SIZE;
    for (let page = 0; page < maxPages; page++) {
      const q = { ...query, limit: PAGE_SIZE, ...(cursor !== undefined ? { cursor } : page > 0 ? { offset } : {}) };
      const response = await this.getJson(path, q, phase);
      const { items, cursor: next } = readListPage(response.data, 'jobs', 'runs', 'nodes');
      const done = (complete: boolean, incomplete?: string): ListResult<T> => ({
        items: [...seen.values()],
        complete,
        pages: page + 1,
        ...(incomplete !== undefined && { incomplete }),
      });
      if (items.length === 0) return done(true);
      let added = 0;
      for (const raw of items) {
        const item = parse(raw);
        if (item === undefined) continue;
        if (!seen.has(idOf(item))) added++;
        seen.set(idOf(item), item);
      }
      if (added === 0) return done(false, `page ${page + 1} repeated items already read (the server ignored the paging)`);
      if (next !== undefined) {
        if (next === null) return done(true);
        if (next === cursor) return done(false, `the server handed out the same cursor twice`);
        cursor = next;
      } else {
        if (page === 0) pageSize = Math.min(PAGE_SIZE, items.length);
        if (items.length < pageSize) return done(true);
        offset += items.length;
      }
    }
    return { items: [...seen.values()], complete: false, pages: maxPages, incomplete: `the list goes on past ${maxPages} pages (the most read)` };
  }

  // ----- triggers ---------------------------------------------------------------------------------------

  /**
   * A trigger POST with its idempotency key in the `Idempotency-Key` header AND the body (harmless, and a
   * server that honours either returns the original job). `retry: 'unsafe'`: the header name is undocumented
   * and the body field is seen only in the vendor client for syncs (apis.md §3.5, §5 #24), so a server may
   * ignore both: a POST that may have been applied is never sent again here. The error says
   * `mayHaveApplied`, and the engine looks for a run carrying our key before it sends anything again.
   */
  private async trigger(path: string, body: JsonObject, key: string, kind: ConflictKind): Promise<TriggerAnswer> {
    const response = await this.call({
      method: 'POST',
      path,
      json: body,
      headers: { 'Idempotency-Key': key },
      retry: 'unsafe',
      phase: 'trigger',
      expect: 'json',
      okStatuses: [409],
    });
    if (response.status === 409) return { kind: 'conflict', ...conflictOf(response.data, response.text) };
    const data = response.data;
    if (isObject(data) && (data.success === false || data.success === 'false')) {
      return { kind: 'refused', message: text(data, 'message', 'error', 'detail') ?? (isObject(data.error) ? text(data.error, 'message') : null) ?? 'no reason given' };
    }
    if (!isObject(data)) return { kind: 'accepted', httpStatus: response.status };
    const id = answerId(data, kind);
    const status = answerStatus(data, kind);
    return { kind: 'accepted', httpStatus: response.status, ...(id !== undefined && { id }), ...(status !== undefined && { status }) };
  }

  /** POST /api/v1/connections/{id}/sync */
  triggerSync(connectionId: string, body: JsonObject, key: string): Promise<TriggerAnswer> {
    return this.trigger(`${V1}/connections/${enc(connectionId)}/sync`, body, key, 'job');
  }

  /** POST /api/v1/connections/{id}/backfill */
  triggerBackfill(connectionId: string, body: JsonObject, key: string): Promise<TriggerAnswer> {
    return this.trigger(`${V1}/connections/${enc(connectionId)}/backfill`, body, key, 'backfill');
  }

  /** POST /api/pipelines/{id}/run */
  triggerRun(pipelineId: string, body: JsonObject, key: string): Promise<TriggerAnswer> {
    return this.trigger(`${REST}/pipelines/${enc(pipelineId)}/run`, body, key, 'run');
  }

  // ----- jobs -------------------------------------------------------------------------------------------

  /** GET /api/v1/jobs/{id}: flat, `{data: job}` or `{data: {job}}`. */
  async getJob(id: string, phase: Phase): Promise<Job> {
    const response = await this.getJson(`${V1}/jobs/${enc(id)}`, {}, phase);
    const job = unwrapParsed(response.data, 'job', parseJob);
    if (!job) throw new ShapeError('a job object with an id', response.data);
    return job;
  }

  /** GET /api/v1/jobs/{id}/results: e.g. `{"summary": {"total_rows_synced": 1000}}` (vendor client test). */
  async jobResults(id: string, phase: Phase): Promise<JobResults> {
    const response = await this.getJson(`${V1}/jobs/${enc(id)}/results`, {}, phase);
    const root = unwrap(response.data, 'results') ?? {};
    const summary = isObject(root.summary) ? root.summary : root;
    const streams = pick(summary, 'streams', 'tables');
    return {
      totalRowsSynced: count(summary, 'total_rows_synced', 'totalRowsSynced', 'rows_synced', 'rowsSynced'),
      streams: Array.isArray(streams)
        ? streams.filter(isObject).map((s) => ({ name: text(s, 'name', 'stream', 'table') ?? '?', rows: count(s, 'rows_synced', 'rowsSynced', 'rows') }))
        : [],
    };
  }

  /** GET /api/v1/jobs?connection_id=…&status=… (limit/offset; some deployments send a cursor). */
  async listJobs(query: { connection_id?: string; status?: string }, phase: Phase, maxPages = MAX_PAGES): Promise<Job[]> {
    return (await this.listJobsAll(query, phase, maxPages)).items;
  }

  /** The same, saying whether every page was read. */
  listJobsAll(query: { connection_id?: string; status?: string }, phase: Phase, maxPages = MAX_PAGES): Promise<ListResult<Job>> {
    return this.list(`${V1}/jobs`, query, phase, parseJob, (j) => j.id, maxPages);
  }

  /** POST /api/v1/jobs/{id}/cancel: cancelling twice is harmless, so a lost answer is sent again. */
  cancelJob(id: string): Promise<CancelAnswer> {
    return this.cancel({ method: 'POST', path: `${V1}/jobs/${enc(id)}/cancel` });
  }

  private async cancel(target: Pick<RequestOptions, 'method' | 'path'>): Promise<CancelAnswer> {
    const response = await this.call({ ...target, retry: 'safe', phase: 'cancel', expect: 'json', okStatuses: [400, 404, 409, 422] });
    const data = response.data;
    const message = isObject(data)
      ? ((isObject(data.error) ? text(data.error, 'message') : text(data, 'error')) ?? text(data, 'message', 'detail'))
      : response.text.trim().slice(0, 200) || null;
    if (response.status >= 400) return { kind: 'refused', httpStatus: response.status, message: message ?? `answered ${response.status}` };
    return { kind: 'accepted', httpStatus: response.status, ...(message !== null && { message }) };
  }

  // ----- backfills --------------------------------------------------------------------------------------

  /**
   * GET /api/v1/backfills/{id}. A GUESS (apis.md §3.2, §5 #25: the doc shows only a "List all backfills"
   * heading; the status path is unknown). Undefined on 404, so the caller can say so.
   */
  async getBackfill(id: string, phase: Phase): Promise<Backfill | undefined> {
    const response = await this.getJson(`${V1}/backfills/${enc(id)}`, {}, phase, [404]);
    if (response.status === 404) return undefined;
    const backfill = unwrapParsed(response.data, 'backfill', parseBackfill);
    if (!backfill) throw new ShapeError('a backfill object with an id', response.data);
    return backfill;
  }

  // ----- runs -------------------------------------------------------------------------------------------

  /** GET /api/runs/{id}; undefined on 404 (the caller falls back to execution-status). */
  async getRun(id: string, phase: Phase): Promise<Run | undefined> {
    const response = await this.getJson(`${REST}/runs/${enc(id)}`, {}, phase, [404]);
    if (response.status === 404) return undefined;
    const run = unwrapParsed(response.data, 'run', parseRun);
    if (!run) throw new ShapeError('a run object with an id', response.data);
    return run;
  }

  /** GET /api/pipelines/{id}/execution-status: the run in flight, or the last one; undefined on 404. */
  async executionStatus(pipelineId: string, phase: Phase): Promise<ExecutionStatus | undefined> {
    const response = await this.getJson(`${REST}/pipelines/${enc(pipelineId)}/execution-status`, {}, phase, [404]);
    if (response.status === 404) return undefined;
    let o = unwrap(response.data, 'run');
    if (o && isObject(pick(o, 'currentRun', 'current_run', 'lastRun', 'last_run'))) {
      o = pick(o, 'currentRun', 'current_run', 'lastRun', 'last_run') as JsonObject;
    }
    if (!o) return { runId: null, status: null, startedAt: null, finishedAt: null, endField: null };
    return {
      runId: text(o, 'runId', 'run_id', 'id'),
      status: text(o, 'status', 'state'),
      startedAt: text(o, ...START_FIELDS),
      ...endOf(o),
    };
  }

  /** GET /api/pipelines/{id}/runs (limit, cursor; a bare array per the MCP server). */
  async pipelineRuns(pipelineId: string, phase: Phase, maxPages = MAX_PAGES): Promise<Run[]> {
    return (await this.pipelineRunsAll(pipelineId, phase, maxPages)).items;
  }

  /** The same, saying whether every page was read. */
  pipelineRunsAll(pipelineId: string, phase: Phase, maxPages = MAX_PAGES): Promise<ListResult<Run>> {
    return this.list(`${REST}/pipelines/${enc(pipelineId)}/runs`, {}, phase, parseRun, (r) => r.id, maxPages);
  }

  /** GET /api/runs/{id}/nodes; undefined on 404. */
  async runNodes(runId: string, phase: Phase): Promise<RunNode[] | undefined> {
    const response = await this.getJson(`${REST}/runs/${enc(runId)}/nodes`, { limit: 100 }, phase, [404]);
    if (response.status === 404) return undefined;
    const { items } = readListPage(response.data, 'nodes');
    return items.map(parseNode).filter((n): n is RunNode => n !== undefined);
  }

  /** DELETE /api/runs/{id} (doc): 409 or 400 on a finished run. */
  cancelRun(id: string): Promise<CancelAnswer> {
    return this.cancel({ method: 'DELETE', path: `${REST}/runs/${enc(id)}` });
  }

  /**
   * GET /api/runs/{id}/logs?nodeId=…&since=…, line by line, whatever the deployment sends (apis.md §3.6):
   * text/plain chunks, NDJSON, or JSON (lines, or URLs to object storage). URLs on another origin are
   * fetched WITHOUT the key. Continues with `since` while the server hands out a cursor and lines come.
   */
  async *runLog(runId: string, nodeId: string | undefined): AsyncGenerator<string> {
    let since: string | undefined;
    for (let page = 0; page < MAX_LOG_PAGES; page++) {
      const answer: { next?: string | null } = {};
      let lines = 0;
      for await (const line of this.runLogPage(runId, nodeId, since, answer)) {
        lines++;
        yield line;
      }
      const next = answer.next;
      if (next === undefined || next === null || next === since || lines === 0) return;
      since = next;
    }
  }

  /**
   * One answer of GET /api/runs/{id}/logs with `since` (a server cursor or an ISO time), line by line; the
   * cursor the answer handed out (header `X-Next-Cursor` or the like, or the JSON's) is left in `answer.next`
   * (undefined: none given; null: the server said there is no next).
   */
  async *runLogPage(runId: string, nodeId: string | undefined, since: string | undefined, answer: { next?: string | null }): AsyncGenerator<string> {
    const response = await this.stream({
      method: 'GET',
      path: `${REST}/runs/${enc(runId)}/logs`,
      query: { nodeId, since },
      retry: 'safe',
      phase: 'logs',
    });
    answer.next = headerCursor(response.headers);
    const kind = logKind(response.contentType);
    if (kind === 'json') {
      const { first, body } = await peek(response.body);
      if (first === '[') {
        for await (const item of jsonArrayItems(body)) {
          const url = isObject(item) && URL_FIELDS.some((f) => f in item) ? urlOf(item) : undefined;
          if (url) yield* this.logObject(url);
          else yield formatLogEntry(item);
        }
        return;
      }
      const raw = await readAll(body, JSON_LOG_LIMIT);
      let parsed: unknown;
      try {
        parsed = raw.trim() === '' ? [] : JSON.parse(raw);
      } catch {
        parsed = raw.split(/\r?\n/);
      }
      const log = readLogJson(parsed);
      if (log.cursor !== undefined) answer.next = log.cursor;
      for (const url of log.urls) yield* this.logObject(url);
      yield* log.lines;
      return;
    }
    yield* linesOf(kind, response.body);
  }

  /** One log object: another origin gets no key (`auth: false`), whatever the HTTP client would do. */
  private async *logObject(url: string): AsyncGenerator<string> {
    let target: URL;
    try {
      target = this.origin ? new URL(url, this.origin) : new URL(url);
    } catch {
      throw new PlanasonixError(`the log answer holds an invalid URL`);
    }
    const sameOrigin = this.origin !== undefined && target.origin === this.origin;
    const response = await this.stream({ method: 'GET', path: target.href, retry: 'safe', phase: 'logs', auth: sameOrigin });
    const kind = logKind(response.contentType);
    if (kind === 'json') {
      const log = readLogJson(JSON.parse(await readAll(response.body, JSON_LOG_LIMIT)));
      yield* log.lines;
      return;
    }
    yield* linesOf(kind, response.body);
  }
}

async function* linesOf(kind: LogKind, body: AsyncIterable<Buffer>): AsyncGenerator<string> {
  for await (const line of splitLines(body)) {
    if (kind !== 'ndjson') {
      yield line;
      continue;
    }
    if (line.trim() === '') continue;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      value = line;
    }
    yield formatLogEntry(value);
  }
}

function unwrapParsed<T>(value: unknown, inner: string, parse: (o: JsonObject) => T | undefined): T | undefined {
  const o = unwrap(value, inner);
  return o ? parse(o) : undefined;
}

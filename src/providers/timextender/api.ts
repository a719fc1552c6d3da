/**
 * TimeXtender Data Platform Public Orchestration API (TDP 26.2): one typed call per endpoint.
 * Paths are relative to `/api/v0/orchestration`. Server JSON is parsed here, once, tolerating extra fields
 * and unknown status words; timestamps are the server's local time without an offset and stay strings.
 */
import type { HttpClient, Phase } from '../../core/http/index.js';
import { ApiError } from '../../core/http/index.js';
import { isObject, num, ShapeError, str, type JsonObject } from '../../core/json.js';
import { jsonArrayItems } from '../../core/json-stream.js';

export const API_PREFIX = '/api/v0/orchestration';

export interface Workspace {
  key: string;
  name: string;
  description: string | null;
}

export interface ProcessMap {
  processMapId: number;
  name: string;
  workspace: string;
  lastExecutionDate: string | null;
  successfulTasks: number;
  failedTasks: number;
  runningTasks: number;
  queuedTasks: number;
  disabledTasks: number;
}

export interface Task {
  taskId: number;
  taskName: string;
  taskType: string;
  status: string | null;
  processMapId: number | null;
  processMapName: string | null;
  lastExecutionStartTime: string | null;
  lastExecutionEndTime: string | null;
}

export interface ExecutionSummary {
  taskId: number | null;
  taskName: string;
  taskType: string;
  status: string | null;
  lastStartTime: string | null;
  lastEndTime: string | null;
  duration: string;
}

export interface Execution {
  executionId: number;
  startTime: string | null;
  endTime: string | null;
  status: string | null;
  durationSeconds: number | null;
}

export interface LogEntry {
  logTime: string | null;
  log: string;
}

export interface Page {
  limit: number;
  offset: number;
}

/** The page size we ask for on lists; a shorter page is the last one (doc). */
export const LIST_PAGE_SIZE = 100;
/** Safety stop for paging: a server that ignores offset must not make us loop for ever. */
const MAX_PAGES = 1000;

const enc = encodeURIComponent;

function nullableStr(value: unknown): string | null {
  return str(value) ?? null;
}

function parseWorkspace(o: JsonObject): Workspace {
  return { key: str(o.key) ?? '', name: str(o.name) ?? '', description: nullableStr(o.description) };
}

function parseProcessMap(o: JsonObject): ProcessMap {
  return {
    processMapId: num(o.processMapId) ?? -1,
    name: str(o.name) ?? '',
    workspace: str(o.workspace) ?? '',
    lastExecutionDate: nullableStr(o.lastExecutionDate),
    successfulTasks: num(o.successfulTasks) ?? 0,
    failedTasks: num(o.failedTasks) ?? 0,
    runningTasks: num(o.runningTasks) ?? 0,
    queuedTasks: num(o.queuedTasks) ?? 0,
    disabledTasks: num(o.disabledTasks) ?? 0,
  };
}

function parseTask(o: JsonObject): Task {
  return {
    taskId: num(o.taskId) ?? -1,
    taskName: str(o.taskName) ?? '',
    taskType: str(o.taskType) ?? '',
    status: nullableStr(o.status),
    processMapId: num(o.processMapId) ?? null,
    processMapName: nullableStr(o.processMapName),
    lastExecutionStartTime: nullableStr(o.lastExecutionStartTime),
    lastExecutionEndTime: nullableStr(o.lastExecutionEndTime),
  };
}

function parseExecutionSummary(o: JsonObject): ExecutionSummary {
  return {
    taskId: num(o.taskId) ?? null,
    taskName: str(o.taskName) ?? '',
    taskType: str(o.taskType) ?? '',
    status: nullableStr(o.status),
    lastStartTime: nullableStr(o.lastStartTime),
    lastEndTime: nullableStr(o.lastEndTime),
    duration: str(o.duration) ?? '',
  };
}

function parseExecution(o: JsonObject): Execution | undefined {
  const executionId = num(o.executionId);
  if (executionId === undefined) return undefined;
  return {
    executionId,
    startTime: nullableStr(o.startTime),
    endTime: nullableStr(o.endTime),
    status: nullableStr(o.status),
    durationSeconds: num(o.durationSeconds) ?? null,
  };
}

function parseLogEntry(value: unknown): LogEntry {
  if (isObject(value)) return { logTime: nullableStr(value.logTime), log: str(value.log) ?? '' };
  return { logTime: null, log: typeof value === 'string' ? value : JSON.stringify(value) };
}

function arrayOf<T>(data: unknown, what: string, parse: (o: JsonObject) => T | undefined): T[] {
  if (!Array.isArray(data)) throw new ShapeError(`${what} (a JSON array)`, data);
  const out: T[] = [];
  for (const item of data) {
    if (!isObject(item)) continue;
    const parsed = parse(item);
    if (parsed !== undefined) out.push(parsed);
  }
  return out;
}

/** How many history pages are read at most for one task before the reading fails clearly. */
export const MAX_HISTORY_PAGES = 50;

/** A task's execution history as read page by page, in the server's order (first seen position kept). */
export interface HistoryRead {
  items: Execution[];
  pages: number;
  /** True when the end of the list was seen (an empty page, or one shorter than a page already seen full). */
  complete: boolean;
  /** One line: pages read, and why the reading stopped. */
  note: string;
}

export class TimextenderApi {
  constructor(private readonly http: HttpClient) {}

  private async getJson(path: string, query: Record<string, string | number | undefined>, phase: Phase): Promise<unknown> {
    const response = await this.http.request({ method: 'GET', path: API_PREFIX + path, query, retry: 'safe', phase, expect: 'json' });
    return response.data;
  }

  /** Reads every page of a list; stops on a short page, or when a page adds nothing new (a server ignoring offset). */
  private async allPages<T>(
    read: (page: Page) => Promise<T[]>,
    keyOf: (item: T) => string,
  ): Promise<T[]> {
    const seen = new Map<string, T>();
    for (let pageNo = 0; pageNo < MAX_PAGES; pageNo++) {
      const page = await read({ limit: LIST_PAGE_SIZE, offset: pageNo * LIST_PAGE_SIZE });
      let added = 0;
      for (const item of page) {
        const key = keyOf(item);
        if (!seen.has(key)) added++;
        seen.set(key, item);
      }
      if (page.length < LIST_PAGE_SIZE || added === 0) break;
    }
    return [...seen.values()];
  }

  /** 1. GET /workspaces */
  async listWorkspaces(phase: Phase = 'resolve'): Promise<Workspace[]> {
    return arrayOf(await this.getJson('/workspaces', {}, phase), 'a workspace list', parseWorkspace);
  }

  /** 2. GET /{workspace}/process-maps */
  async listProcessMaps(workspace: string, uat: string, page: Page, phase: Phase = 'resolve'): Promise<ProcessMap[]> {
    const data = await this.getJson(`/${enc(workspace)}/process-maps`, { uat, ...page }, phase);
    return arrayOf(data, 'a process map list', parseProcessMap);
  }

  async allProcessMaps(workspace: string, uat: string, phase: Phase = 'resolve'): Promise<ProcessMap[]> {
    return this.allPages((page) => this.listProcessMaps(workspace, uat, page, phase), (m) => String(m.processMapId));
  }

  /** 3. GET /{workspace}/process-maps/{id}/tasks (not paged: the doc lists only `uat`). */
  async processMapTasks(workspace: string, processMapId: number, uat: string, phase: Phase = 'resolve'): Promise<Task[]> {
    const data = await this.getJson(`/${enc(workspace)}/process-maps/${processMapId}/tasks`, { uat }, phase);
    return arrayOf(data, 'a task list', parseTask);
  }

  /** 4. POST /{workspace}/process-maps/{id}/trigger → 202 with an empty body; never retried blindly. */
  async triggerProcessMap(workspace: string, processMapId: number, uat: string): Promise<void> {
    await this.http.request({
      method: 'POST',
      path: `${API_PREFIX}/${enc(workspace)}/process-maps/${processMapId}/trigger`,
      json: { uat },
      retry: 'unsafe',
      phase: 'trigger',
      expect: 'none',
    });
  }

  /** 5. GET /{workspace}/tasks */
  async listTasks(workspace: string, uat: string, page: Page, phase: Phase = 'resolve'): Promise<Task[]> {
    return arrayOf(await this.getJson(`/${enc(workspace)}/tasks`, { uat, ...page }, phase), 'a task list', parseTask);
  }

  async allTasks(workspace: string, uat: string, phase: Phase = 'resolve'): Promise<Task[]> {
    return this.allPages((page) => this.listTasks(workspace, uat, page, phase), (t) => `${t.taskType}/${t.taskId}`);
  }

  /** 6. GET /{workspace}/tasks/{taskType}/{taskId} */
  async getTask(workspace: string, taskType: string, taskId: number, uat: string, phase: Phase = 'resolve'): Promise<Task> {
    const data = await this.getJson(`/${enc(workspace)}/tasks/${enc(taskType)}/${taskId}`, { uat }, phase);
    if (!isObject(data)) throw new ShapeError('a task object', data);
    return parseTask(data);
  }

  /** 7. POST /{workspace}/tasks/{taskType}/{taskId}/trigger → 202 with an empty body; never retried blindly. */
  async triggerTask(workspace: string, taskType: string, taskId: number, uat: string): Promise<void> {
    await this.http.request({
      method: 'POST',
      path: `${API_PREFIX}/${enc(workspace)}/tasks/${enc(taskType)}/${taskId}/trigger`,
      json: { uat },
      retry: 'unsafe',
      phase: 'trigger',
      expect: 'none',
    });
  }

  /** 8. GET /{workspace}/executions: the latest state of every task, one entry per task. */
  async listExecutionSummaries(workspace: string, uat: string, page: Page, phase: Phase = 'follow'): Promise<ExecutionSummary[]> {
    const data = await this.getJson(`/${enc(workspace)}/executions`, { uat, ...page }, phase);
    return arrayOf(data, 'an execution summary list', parseExecutionSummary);
  }

  async allExecutionSummaries(workspace: string, uat: string, phase: Phase = 'follow'): Promise<ExecutionSummary[]> {
    return this.allPages(
      (page) => this.listExecutionSummaries(workspace, uat, page, phase),
      (e) => `${e.taskType}/${e.taskId ?? `null:${e.taskName}`}`,
    );
  }

  /** 9. GET /{workspace}/tasks/{taskType}/{taskId}/executions: history; order NOT reliable, match by id. */
  async taskExecutions(
    workspace: string,
    taskType: string,
    taskId: number,
    uat: string,
    page: Page,
    phase: Phase,
  ): Promise<Execution[]> {
    const data = await this.getJson(`/${enc(workspace)}/tasks/${enc(taskType)}/${taskId}/executions`, { uat, ...page }, phase);
    return arrayOf(data, 'an execution list', parseExecution);
  }

  /**
   * Every page of a task's history that is needed (apis.md §1.9: "page until a page is shorter than `limit`").
   * The maximum `limit` is unknown (§5 #4), so a server may cap pages below what we ask: a short page is the end
   * only when it is empty, or shorter than a page already seen full (the largest page this server has given
   * for any history); in doubt one more page is read. Offsets advance by the items received. A page that adds
   * nothing new while full (a server ignoring `offset`) and reading past MAX_HISTORY_PAGES both end the
   * reading as incomplete. `stop` ends it early (complete: false) once the caller has what it needs.
   */
  async allTaskExecutions(
    workspace: string,
    taskType: string,
    taskId: number,
    uat: string,
    phase: Phase,
    stop?: (page: Execution[]) => boolean,
  ): Promise<HistoryRead> {
    const seen = new Map<number, Execution>();
    let offset = 0;
    for (let pages = 1; pages <= MAX_HISTORY_PAGES; pages++) {
      const page = await this.taskExecutions(workspace, taskType, taskId, uat, { limit: LIST_PAGE_SIZE, offset }, phase);
      let added = 0;
      for (const e of page) {
        if (!seen.has(e.executionId)) added++;
        // The latest read of an execution wins (its state may have moved on); a Map keeps its first position.
        seen.set(e.executionId, e);
      }
      const items = [...seen.values()];
      const fullBefore = this.largestHistoryPage;
      this.largestHistoryPage = Math.max(this.largestHistoryPage, page.length);
      if (page.length === 0) return { items, pages, complete: true, note: `${items.length} execution(s) on ${pages} page(s), read to an empty page` };
      // Any page proves the server gives at least that many per page: a page shorter than one seen is the last.
      if (page.length < LIST_PAGE_SIZE && page.length < fullBefore) {
        return { items, pages, complete: true, note: `${items.length} execution(s) on ${pages} page(s), read to a short page` };
      }
      if (stop?.(page)) return { items, pages, complete: false, note: `${items.length} execution(s) on ${pages} page(s), stopped once found` };
      if (added === 0) {
        return { items, pages, complete: false, note: `page ${pages} repeated executions already read (the server may ignore offset); the history could not be read to its end` };
      }
      offset += page.length;
    }
    const items = [...seen.values()];
    return { items, pages: MAX_HISTORY_PAGES, complete: false, note: `the history is longer than ${MAX_HISTORY_PAGES} pages (${items.length} executions read); it was not read to its end` };
  }

  /** The largest history page this server has answered (a page shorter than this is the last one). */
  private largestHistoryPage = 0;

  /**
   * 10. GET …/executions/{execId}/log, streamed entry by entry (logs can hold hundreds of thousands of
   * lines). `skip` entries are dropped first, so a fetch cut off mid-way can resume without duplicates.
   */
  async *executionLog(
    workspace: string,
    taskType: string,
    taskId: number,
    executionId: number,
    skip = 0,
  ): AsyncGenerator<LogEntry> {
    const response = await this.http.stream({
      method: 'GET',
      path: `${API_PREFIX}/${enc(workspace)}/tasks/${enc(taskType)}/${taskId}/executions/${executionId}/log`,
      retry: 'safe',
      phase: 'logs',
    });
    try {
      // The skipped entries are counted, not parsed.
      for await (const item of jsonArrayItems(response.body, { skip })) yield parseLogEntry(item);
    } catch (error) {
      if (error instanceof ApiError) throw error;
      const path = `${API_PREFIX}/${workspace}/tasks/${taskType}/${taskId}/executions/${executionId}/log`;
      throw new ApiError(`logs: the log of execution ${executionId} could not be read: ${(error as Error).message}`, {
        kind: 'parse',
        phase: 'logs',
        method: 'GET',
        path,
        mayHaveApplied: false,
        attempts: 1,
        cause: error,
      });
    }
  }
}

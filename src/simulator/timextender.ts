/**
 * The TimeXtender Data Platform module of the simulator: the HTTP face of `TdpWorld`.
 *
 * Every route of apis.md §1.5 under /api/v0/orchestration (host-agnostic), plus a /swagger stub.
 * Behaviour follows apis.md §4.1; each awkward part cites the point it models.
 *
 * Order of checks on a request (our reading; the doc does not say): X-API-Key → route (404/405) → parameter
 * validation (uat, limit/offset, taskType, ids: 400) → workspace (403/404 per route family) → Contributor for
 * triggers (403) → target (404) → conflict (409).
 */
import { randomBytes } from 'node:crypto';
import type { SimClock } from './clock.js';
import { matchPattern } from './router.js';
import type { SimModule, SimRequest, SimResponse, BodyChunk } from './server.js';
import { durationText, formatServerLocal, wholeSecondsBetween } from './tdp-format.js';
import {
  LOGLESS_TASK_TYPES,
  TASK_TYPES,
  TdpWorld,
  phaseAt,
  rawStatusAt,
  type EnvKey,
  type Execution,
  type MapRecord,
  type TaskRecord,
  type TdpOptions,
  type WorkspaceRecord,
} from './tdp-world.js';

export const TDP_PREFIX = '/api/v0/orchestration';
export const TDP_PLATFORM = 'timextender';

export interface TimextenderModuleOptions {
  clock: SimClock;
  seed?: number;
  options?: Partial<TdpOptions>;
}

export function createTimextenderModule(options: TimextenderModuleOptions): TimextenderModule {
  return new TimextenderModule(options.clock, options.options, options.seed);
}

// ---------------------------------------------------------------------------------------------------------
// Answers that end a request early (thrown by the checks, written by `handle`)

class Answer {
  constructor(readonly write: (res: SimResponse) => void, readonly status: number) {}
}

const PROBLEM_TYPES: Record<number, string> = {
  400: 'https://tools.ietf.org/html/rfc9110#section-15.5.1',
  401: 'https://tools.ietf.org/html/rfc9110#section-15.5.2',
  403: 'https://tools.ietf.org/html/rfc9110#section-15.5.4',
  404: 'https://tools.ietf.org/html/rfc9110#section-15.5.5',
  405: 'https://tools.ietf.org/html/rfc9110#section-15.5.6',
  409: 'https://tools.ietf.org/html/rfc9110#section-15.5.10',
};

/** W3C traceparent-style id, as ASP.NET Core puts in problem details (apis.md §1.8). */
function traceId(): string {
  return `00-${randomBytes(16).toString('hex')}-${randomBytes(8).toString('hex')}-00`;
}

/** RFC 9110 problem JSON as application/problem+json (apis.md §1.8; the media type is inferred). */
function problem(status: number, title: string, extra: Record<string, unknown> = {}, headers: Record<string, string> = {}): Answer {
  const body = { type: PROBLEM_TYPES[status] ?? PROBLEM_TYPES[400], title, status, ...extra, traceId: traceId() };
  return new Answer((res) => res.text(status, 'application/problem+json; charset=utf-8', JSON.stringify(body), headers), status);
}

/** ASP.NET-style validation problem with an `errors` map. */
function validationProblem(field: string, message: string): Answer {
  return problem(400, 'One or more validation errors occurred.', { errors: { [field]: [message] } });
}

/** The one plain-text error of the API (apis.md §1.8), exact text from the doc. */
function unknownTaskType(taskType: string): Answer {
  const text = `Unknown taskType '${taskType}'. Valid values: ${TASK_TYPES.join(', ')}.`;
  return new Answer((res) => res.text(400, 'text/plain; charset=utf-8', text), 400);
}

// ---------------------------------------------------------------------------------------------------------
// Routing

type Family = 'mapsAndTasks' | 'executions';

interface RequestContext {
  req: SimRequest;
  userId: string;
  params: Record<string, string>;
  /** Query parameters with lower-case names (ASP.NET binds them case-insensitively). */
  query: Record<string, string>;
  now: number;
  /** Filled by trigger handlers, so that every trigger attempt lands in `triggers()`. */
  trigger?: { kind: 'task' | 'process-map'; ws: string; target: string; env: string };
}

type Handler = (ctx: RequestContext, res: SimResponse) => void;

interface Route {
  method: 'GET' | 'POST';
  pattern: string[];
  handler: Handler;
}

const SWAGGER_HTML = `<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>Swagger UI - TimeXtender Public Orchestration API (simulated)</title></head>
<body>
<div id="swagger-ui">
<h1>TimeXtender Public Orchestration API v0</h1>
<p>Click <b>Authorize</b> and enter your key in the <code>X-API-Key</code> field. (Simulator stub: no OpenAPI document is served.)</p>
</div>
</body>
</html>
`;

// ---------------------------------------------------------------------------------------------------------

export class TimextenderModule extends TdpWorld implements SimModule {
  readonly name = TDP_PLATFORM;
  private readonly routes: Route[] = [
    { method: 'GET', pattern: ['workspaces'], handler: (c, r) => this.listWorkspaces(c, r) },
    { method: 'GET', pattern: [':ws', 'process-maps'], handler: (c, r) => this.listProcessMaps(c, r) },
    { method: 'GET', pattern: [':ws', 'process-maps', ':mapId', 'tasks'], handler: (c, r) => this.listProcessMapTasks(c, r) },
    { method: 'POST', pattern: [':ws', 'process-maps', ':mapId', 'trigger'], handler: (c, r) => this.triggerProcessMap(c, r) },
    { method: 'GET', pattern: [':ws', 'tasks'], handler: (c, r) => this.listTasks(c, r) },
    { method: 'GET', pattern: [':ws', 'tasks', ':taskType', ':taskId'], handler: (c, r) => this.getTask(c, r) },
    { method: 'POST', pattern: [':ws', 'tasks', ':taskType', ':taskId', 'trigger'], handler: (c, r) => this.triggerTask(c, r) },
    { method: 'GET', pattern: [':ws', 'executions'], handler: (c, r) => this.dashboard(c, r) },
    { method: 'GET', pattern: [':ws', 'tasks', ':taskType', ':taskId', 'executions'], handler: (c, r) => this.history(c, r) },
    { method: 'GET', pattern: [':ws', 'tasks', ':taskType', ':taskId', 'executions', ':execId', 'log'], handler: (c, r) => this.log(c, r) },
  ];

  constructor(clock: SimClock, options: Partial<TdpOptions> = {}, seed = 1) {
    super(clock, options, seed);
  }

  claims(req: SimRequest): boolean {
    return isSwaggerPath(req.path) || req.path === TDP_PREFIX || req.path.startsWith(`${TDP_PREFIX}/`);
  }

  handle(req: SimRequest, res: SimResponse): boolean {
    if (!this.claims(req)) return false;
    if (isSwaggerPath(req.path)) {
      if (req.method === 'GET') res.text(200, 'text/html; charset=utf-8', SWAGGER_HTML);
      else problem(405, 'Method Not Allowed', {}, { allow: 'GET' }).write(res);
      return true;
    }
    const ctx: RequestContext = { req, userId: '', params: {}, query: lowerCaseNames(req.query), now: this.clock.now() };
    try {
      ctx.userId = this.authenticate(req);
      const { route, params } = this.route(req);
      ctx.params = params;
      route.handler(ctx, res);
      this.noteTrigger(ctx, res.reply?.status ?? 500);
    } catch (error) {
      if (!(error instanceof Answer)) throw error;
      error.write(res);
      this.noteTrigger(ctx, error.status);
    }
    return true;
  }

  // ----- auth and routing -------------------------------------------------------------------------------

  /** X-API-Key only (apis.md §4.1): `Authorization: Bearer` alone is a missing key. */
  private authenticate(req: SimRequest): string {
    const key = req.headers['x-api-key']?.trim();
    if (!key) throw problem(401, 'Unauthorized');
    const userId = this.keys.get(key);
    if (userId === undefined) throw problem(401, 'Unauthorized');
    if (!this.users.get(userId)?.active) {
      const status = this.options.deactivatedUserStatus; // apis.md §1.2: 401 unconfirmed, could be 403
      throw problem(status, status === 401 ? 'Unauthorized' : 'Forbidden');
    }
    return userId;
  }

  private route(req: SimRequest): { route: Route; params: Record<string, string> } {
    const segments = this.pathSegments(req.path);
    const allowed: string[] = [];
    for (const route of this.routes) {
      const params = matchPattern(route.pattern, segments);
      if (!params) continue;
      if (route.method === req.method) return { route, params };
      allowed.push(route.method);
    }
    // No cancel route exists (apis.md §1.9): such calls land here as 404, or 405 on a known path.
    if (allowed.length > 0) throw problem(405, 'Method Not Allowed', {}, { allow: allowed.join(', ') });
    throw problem(404, 'Not Found');
  }

  private pathSegments(path: string): string[] {
    const rest = path.slice(TDP_PREFIX.length).split('/').filter((s, i, all) => !(s === '' && (i === 0 || i === all.length - 1)));
    try {
      return rest.map((s) => decodeURIComponent(s));
    } catch {
      throw problem(400, 'Bad Request');
    }
  }

  private noteTrigger(ctx: RequestContext, status: number): void {
    if (ctx.trigger) this.recordTrigger({ ...ctx.trigger, accepted: status === 202, status });
  }

  // ----- parameter readers (each throws a 400 Answer) ---------------------------------------------------

  /** apis.md §1.3: Production when absent; the third word per options; case per options; else 400. */
  private parseUat(raw: string | undefined): EnvKey {
    if (raw === undefined || raw === '') return 'Production';
    const words: Array<[string, EnvKey]> = [
      ['Production', 'Production'],
      ['Development', 'Development'],
      [this.options.testEnvironmentWord, 'Test'],
    ];
    for (const [word, env] of words) {
      if (raw === word || (!this.options.uatCaseSensitive && raw.toLowerCase() === word.toLowerCase())) return env;
    }
    throw validationProblem('uat', `The value '${raw}' is not valid for uat.`);
  }

  private uatFromQuery(ctx: RequestContext): EnvKey {
    return this.parseUat(ctx.query['uat']);
  }

  /** Triggers take `uat` from the JSON body (apis.md §1.3). An empty body means Production (unknown in the doc). */
  private uatFromBody(ctx: RequestContext): EnvKey {
    const text = ctx.req.body.trim();
    if (text === '') return 'Production';
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      throw validationProblem('$', 'The JSON value could not be converted.');
    }
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
      throw validationProblem('$', 'The JSON value could not be converted.');
    }
    // System.Text.Json web defaults match property names case-insensitively.
    const entry = Object.entries(parsed).find(([name]) => name.toLowerCase() === 'uat');
    const value: unknown = entry?.[1];
    if (value === undefined || value === null) return 'Production';
    if (typeof value !== 'string') throw validationProblem('uat', 'The JSON value could not be converted to System.String.');
    if (ctx.trigger) ctx.trigger.env = value;
    return this.parseUat(value);
  }

  /** apis.md §1.3: limit < 1 or offset < 0 (or not an integer) → 400. */
  private paging(ctx: RequestContext, defaultLimit: number): { limit: number; offset: number } {
    const limit = this.integerParam(ctx.query['limit'], 'limit', defaultLimit);
    const offset = this.integerParam(ctx.query['offset'], 'offset', 0);
    if (limit < 1) throw validationProblem('limit', 'limit must be greater than 0.');
    if (offset < 0) throw validationProblem('offset', 'offset must be 0 or greater.');
    return { limit, offset };
  }

  private integerParam(raw: string | undefined, name: string, fallback: number): number {
    if (raw === undefined || raw === '') return fallback;
    if (!/^[+-]?\d{1,9}$/.test(raw.trim())) throw validationProblem(name, `The value '${raw}' is not valid.`);
    return Number(raw.trim());
  }

  private taskTypeParam(ctx: RequestContext): string {
    const taskType = ctx.params['taskType']!;
    if (!(TASK_TYPES as readonly string[]).includes(taskType)) throw unknownTaskType(taskType);
    return taskType;
  }

  private idParam(ctx: RequestContext, name: string): number {
    const raw = ctx.params[name]!;
    if (!/^\d{1,10}$/.test(raw)) throw validationProblem(name, `The value '${raw}' is not valid.`);
    return Number(raw);
  }

  // ----- access -----------------------------------------------------------------------------------------

  private canSee(userId: string, workspace: WorkspaceRecord): boolean {
    return workspace.access.has(userId);
  }

  private visibleWorkspaces(userId: string): WorkspaceRecord[] {
    return [...this.workspaces.values()].filter((w) => this.canSee(userId, w));
  }

  /**
   * An unknown workspace and one the user cannot see answer alike: 404 or 403 per route family
   * (apis.md §1.11: the doc's cause texts say 404 on map/task routes, 403 on /executions).
   */
  private workspaceFor(ctx: RequestContext, family: Family): WorkspaceRecord {
    const workspace = this.workspaces.get(ctx.params['ws']!);
    if (workspace && this.canSee(ctx.userId, workspace)) return workspace;
    const status = this.options.unknownWorkspace[family];
    throw problem(status, status === 404 ? 'Not Found' : 'Forbidden');
  }

  /** `all` is accepted on /process-maps and /tasks only (apis.md §1.5). */
  private workspacesOrAll(ctx: RequestContext): WorkspaceRecord[] {
    if (ctx.params['ws'] === 'all') return this.visibleWorkspaces(ctx.userId);
    return [this.workspaceFor(ctx, 'mapsAndTasks')];
  }

  /** Triggers need Contributor; a Viewer reads fine but gets 403 (apis.md §1.2). */
  private requireContributor(ctx: RequestContext, workspace: WorkspaceRecord): void {
    if (workspace.access.get(ctx.userId) !== 'contributor') throw problem(403, 'Forbidden');
  }

  private mapVisible(userId: string, map: MapRecord): boolean {
    return !map.hiddenFrom.has(userId);
  }

  /** Hidden from the user directly, or through its containing map ("not found in any accessible process map"). */
  private taskVisible(userId: string, task: TaskRecord, env: EnvKey): boolean {
    if (task.hiddenFrom.has(userId) || !task.environments.has(env)) return false;
    const map = this.containingMap(task);
    return !map || this.mapVisible(userId, map);
  }

  private visibleTask(ctx: RequestContext, workspace: WorkspaceRecord, taskType: string, taskId: number, env: EnvKey): TaskRecord {
    const task = this.findTask(workspace.key, taskType, taskId) ?? this.mapTask(workspace.key, taskType, taskId);
    if (!task || !this.taskVisible(ctx.userId, task, env)) throw problem(404, 'Not Found');
    return task;
  }

  private visibleMap(ctx: RequestContext, workspace: WorkspaceRecord, mapId: number): MapRecord {
    const map = workspace.maps.get(mapId);
    if (!map || !this.mapVisible(ctx.userId, map)) throw problem(404, 'Not Found');
    return map;
  }

  // ----- endpoint 1: workspaces -------------------------------------------------------------------------

  private listWorkspaces(ctx: RequestContext, res: SimResponse): void {
    // Whether limit/offset apply here is unknown (apis.md §5 #4): they are ignored.
    res.json(200, this.visibleWorkspaces(ctx.userId).map((w) => ({ key: w.key, name: w.name, description: w.description })));
  }

  // ----- endpoints 2-4: process maps --------------------------------------------------------------------

  private listProcessMaps(ctx: RequestContext, res: SimResponse): void {
    const env = this.uatFromQuery(ctx);
    const { limit, offset } = this.paging(ctx, this.options.defaultListLimit);
    const workspaces = this.workspacesOrAll(ctx);
    const maps = workspaces.flatMap((w) => [...w.maps.values()].filter((m) => this.mapVisible(ctx.userId, m)));
    res.json(200, maps.slice(offset, offset + limit).map((m) => this.processMapJson(m, env, ctx.now)));
  }

  private listProcessMapTasks(ctx: RequestContext, res: SimResponse): void {
    const env = this.uatFromQuery(ctx);
    // apis.md §1.9: endpoint 3 lists no limit/offset; with the switch on they are not even read.
    const paging = this.options.processMapTasksIgnorePaging ? undefined : this.paging(ctx, this.options.defaultListLimit);
    const mapId = this.idParam(ctx, 'mapId');
    const workspace = this.workspaceFor(ctx, 'mapsAndTasks');
    const map = this.visibleMap(ctx, workspace, mapId);
    const tasks: TaskRecord[] = [];
    for (const member of map.members) {
      const task = this.findTask(workspace.key, member.taskType, member.taskId);
      if (task && this.taskVisible(ctx.userId, task, env) && !tasks.includes(task)) tasks.push(task);
    }
    const page = paging ? tasks.slice(paging.offset, paging.offset + paging.limit) : tasks;
    res.json(200, page.map((t) => this.taskJson(t, env, ctx.now)));
  }

  private triggerProcessMap(ctx: RequestContext, res: SimResponse): void {
    ctx.trigger = { kind: 'process-map', ws: ctx.params['ws']!, target: ctx.params['mapId']!, env: 'Production' };
    const env = this.uatFromBody(ctx);
    ctx.trigger.env = this.envWireName(env);
    const mapId = this.idParam(ctx, 'mapId');
    const workspace = this.workspaceFor(ctx, 'mapsAndTasks');
    this.requireContributor(ctx, workspace);
    const map = this.visibleMap(ctx, workspace, mapId);
    this.startMapRun(map, env, ctx.now, 'Process map is already running');
    acceptTrigger(res);
  }

  /** The doc's 409 text for a map says only "running" (apis.md §1.11). */
  private startMapRun(map: MapRecord, env: EnvKey, now: number, conflictTitle: string): void {
    if (this.activeMapRun(map, env, now) && this.options.secondTriggerWhileRunning === 409) throw problem(409, conflictTitle);
    this.runProcessMap(map, env, now);
  }

  // ----- endpoints 5-7: tasks ---------------------------------------------------------------------------

  private listTasks(ctx: RequestContext, res: SimResponse): void {
    const env = this.uatFromQuery(ctx);
    const { limit, offset } = this.paging(ctx, this.options.defaultListLimit);
    const workspaces = this.workspacesOrAll(ctx);
    const tasks = workspaces.flatMap((w) => this.tasksOf(w).filter((t) => this.taskVisible(ctx.userId, t, env)));
    res.json(200, tasks.slice(offset, offset + limit).map((t) => this.taskJson(t, env, ctx.now)));
  }

  private getTask(ctx: RequestContext, res: SimResponse): void {
    const env = this.uatFromQuery(ctx);
    const taskType = this.taskTypeParam(ctx);
    const taskId = this.idParam(ctx, 'taskId');
    const workspace = this.workspaceFor(ctx, 'mapsAndTasks');
    res.json(200, this.taskJson(this.visibleTask(ctx, workspace, taskType, taskId, env), env, ctx.now));
  }

  private triggerTask(ctx: RequestContext, res: SimResponse): void {
    ctx.trigger = { kind: 'task', ws: ctx.params['ws']!, target: `${ctx.params['taskType']}/${ctx.params['taskId']}`, env: 'Production' };
    const env = this.uatFromBody(ctx);
    ctx.trigger.env = this.envWireName(env);
    const taskType = this.taskTypeParam(ctx);
    const taskId = this.idParam(ctx, 'taskId');
    const workspace = this.workspaceFor(ctx, 'mapsAndTasks');
    this.requireContributor(ctx, workspace);
    const task = this.visibleTask(ctx, workspace, taskType, taskId, env);
    if (task.standsForMap) {
      this.startMapRun(task.standsForMap, env, ctx.now, 'Task is already running or queued');
      acceptTrigger(res);
      return;
    }
    if (this.isDisabled(task)) {
      // Undocumented: by default the trigger is accepted and nothing ever runs.
      const mode = this.options.disabledTaskTrigger;
      if (mode !== 'accept-no-run') throw problem(mode, mode === 409 ? 'Task is disabled' : 'Task is disabled and cannot be triggered');
      acceptTrigger(res);
      return;
    }
    if (this.activeExecutions(task, env, ctx.now).length > 0 && this.options.secondTriggerWhileRunning === 409) {
      throw problem(409, 'Task is already running or queued');
    }
    this.runTask(task, env, ctx.now);
    acceptTrigger(res);
  }

  // ----- endpoints 8-10: executions ---------------------------------------------------------------------

  /** One entry per task, as it was `dashboardLagMs` ago (apis.md §1.11: the dashboard may lag the history). */
  private dashboard(ctx: RequestContext, res: SimResponse): void {
    const env = this.uatFromQuery(ctx);
    const { limit, offset } = this.paging(ctx, this.options.defaultListLimit);
    const workspace = this.workspaceFor(ctx, 'executions');
    const asOf = ctx.now - this.options.dashboardLagMs;
    const entries: unknown[] = this.tasksOf(workspace)
      .filter((t) => this.taskVisible(ctx.userId, t, env))
      .map((t) => this.dashboardJson(t, env, asOf));
    if (this.options.dashboardNullTaskIds) entries.splice(Math.min(1, entries.length), 0, this.orphanDashboardEntry(ctx.now));
    res.json(200, entries.slice(offset, offset + limit));
  }

  private history(ctx: RequestContext, res: SimResponse): void {
    const env = this.uatFromQuery(ctx);
    const { limit, offset } = this.paging(ctx, this.options.defaultHistoryLimit);
    const taskType = this.taskTypeParam(ctx);
    const taskId = this.idParam(ctx, 'taskId');
    const workspace = this.workspaceFor(ctx, 'executions');
    const task = this.visibleTask(ctx, workspace, taskType, taskId, env);
    const rows = this.executionsOf(task, env, ctx.now).filter((e) => e.rowVisibleMs <= ctx.now);
    const ordered = this.orderHistory(rows, ctx.now);
    // apis.md §5 #4: the maximum limit is unknown; with historyPageCap the server caps pages below `limit`.
    const cap = this.options.historyPageCap;
    const size = cap !== undefined && cap >= 1 ? Math.min(limit, cap) : limit;
    res.json(200, ordered.slice(offset, offset + size).map((e) => this.executionJson(e, ctx.now)));
  }

  /** apis.md §1.11: "newest first" per the doc, yet its example lists the running execution last. */
  private orderHistory(rows: Execution[], now: number): Execution[] {
    const newestFirst = (a: Execution, b: Execution) => shownStartMs(b, now) - shownStartMs(a, now) || b.createdMs - a.createdMs;
    switch (this.options.historyOrder) {
      case 'newest-first':
        return [...rows].sort(newestFirst);
      case 'running-last': {
        const ended = rows.filter((e) => phaseAt(e, now) === 'ended').sort(newestFirst);
        const active = rows.filter((e) => phaseAt(e, now) !== 'ended').sort(newestFirst);
        return [...ended, ...active];
      }
      case 'shuffled':
        // Stable across requests (so paging stays coherent), unrelated to time or id order.
        return [...rows].sort((a, b) => scramble(a.executionId) - scramble(b.executionId));
      case 'oldest-first':
        return [...rows].sort((a, b) => newestFirst(b, a));
      case 'id-descending':
        // Ids are not ordered by time (apis.md §1.10), so this is not newest first.
        return [...rows].sort((a, b) => b.executionId - a.executionId);
    }
  }

  private log(ctx: RequestContext, res: SimResponse): void {
    // The log route takes no uat (apis.md §1.5 #10): the execution is looked up in every environment.
    const taskType = this.taskTypeParam(ctx);
    const taskId = this.idParam(ctx, 'taskId');
    const execId = this.idParam(ctx, 'execId');
    const workspace = this.workspaceFor(ctx, 'executions');
    const task = this.findTask(workspace.key, taskType, taskId) ?? this.mapTask(workspace.key, taskType, taskId);
    if (!task || ![...task.environments].some((env) => this.taskVisible(ctx.userId, task, env))) throw problem(404, 'Not Found');
    // apis.md §1.4: Query and CompareQuery always answer [], even when they failed.
    if (LOGLESS_TASK_TYPES.includes(task.taskType)) {
      res.json(200, []);
      return;
    }
    const execution = task.executions.find((e) => e.executionId === execId && e.createdMs <= ctx.now && e.rowVisibleMs <= ctx.now);
    if (!execution) {
      // apis.md §5 #9: no 404 is listed for an unknown execId.
      if (this.options.unknownExecLog === 'empty') res.json(200, []);
      else throw problem(404, 'Not Found');
      return;
    }
    this.writeLog(execution, ctx.now, res);
  }

  private writeLog(execution: Execution, now: number, res: SimResponse): void {
    const timeZone = this.options.timeZone;
    const source = execution.log;
    const count = source.kind === 'lines' ? source.lines.length : source.count;
    const visible = visibleLineCount(execution, count, now);
    const textOf = logTextOf(execution);
    // A rewritten log (LogShape.rewrite): the head written before the rewrite is dropped or compacted.
    const rewrite = source.shape?.rewrite;
    let from = 0;
    let head: { logTime: string; log: string } | undefined;
    if (rewrite && Number.isFinite(execution.startMs) && now >= execution.startMs + rewrite.afterMs) {
      const at = execution.startMs + rewrite.afterMs;
      const before = visibleLineCount(execution, count, at);
      if (rewrite.kind === 'shorten') from = Math.floor(before / 2);
      else if (before > 0) {
        from = before;
        head = { logTime: formatServerLocal(at, timeZone), log: `(log compacted: ${before} earlier entries)` };
      }
    }
    if (source.kind === 'lines') {
      const entries = head ? [head] : [];
      for (let i = from; i < visible; i++) entries.push({ logTime: formatServerLocal(logLineTime(execution, i, count), timeZone), log: textOf(i) });
      res.json(200, entries);
      return;
    }
    // Huge synthetic logs are produced lazily and streamed, never built as one string.
    res.stream(200, 'application/json; charset=utf-8', streamLogJson(execution, count, from, visible, textOf, timeZone, head));
  }

  /**
   * Truth for live-log tests and benchmarks: an execution's log as written, line by line, with the simulated
   * time each line was written (before any rewrite).
   */
  logTruth(ws: string, taskType: string, taskId: number, executionId: number): { count: number; writtenAtMs(index: number): number; text(index: number): string } {
    const task = this.findTask(ws, taskType, taskId) ?? this.mapTask(ws, taskType, taskId);
    const execution = task?.executions.find((e) => e.executionId === executionId);
    if (!execution) throw new Error(`unknown execution ${executionId} of ${ws}/${taskType}/${taskId}`);
    const count = execution.log.kind === 'lines' ? execution.log.lines.length : execution.log.count;
    return { count, writtenAtMs: (i) => logLineTime(execution, i, count), text: logTextOf(execution) };
  }

  // ----- JSON shapes (apis.md §1.6) ---------------------------------------------------------------------

  private local(ms: number): string {
    return formatServerLocal(ms, this.options.timeZone);
  }

  /**
   * Task status: 'Disabled' for a disabled task; else the latest execution's raw word ('Queued' while queued,
   * even before its row exists). A task that never ran shows null: the doc does not say (apis.md §5 #2).
   */
  private taskStatus(task: TaskRecord, env: EnvKey, t: number): string | null {
    if (!task.standsForMap && this.isDisabled(task)) return 'Disabled';
    const latest = this.latestExecution(task, env, t);
    return latest ? rawStatusAt(latest, t) : null;
  }

  private taskJson(task: TaskRecord, env: EnvKey, now: number): Record<string, unknown> {
    const mapId = task.explicitProcessMapId !== undefined ? task.explicitProcessMapId : (this.containingMap(task)?.processMapId ?? null);
    const mapName = mapId === null ? null : (this.workspaces.get(task.ws)?.maps.get(mapId)?.name ?? null);
    const started = this.latestStartedExecution(task, env, now);
    return {
      taskId: task.taskId,
      taskName: task.taskName,
      taskType: task.taskType,
      status: this.taskStatus(task, env, now),
      processMapId: mapId,
      processMapName: mapName,
      lastExecutionStartTime: started ? this.local(started.startMs) : null,
      lastExecutionEndTime: started && phaseAt(started, now) === 'ended' ? this.local(started.endMs!) : null,
    };
  }

  private dashboardJson(task: TaskRecord, env: EnvKey, asOf: number): Record<string, unknown> {
    const latest = this.latestExecution(task, env, asOf);
    const started = this.latestStartedExecution(task, env, asOf);
    const ended = started && phaseAt(started, asOf) === 'ended';
    const latestEnded = latest !== undefined && phaseAt(latest, asOf) === 'ended';
    return {
      taskId: task.taskId,
      taskName: task.taskName,
      taskType: task.taskType,
      status: this.taskStatus(task, env, asOf),
      lastStartTime: started ? this.local(started.startMs) : null,
      lastEndTime: ended ? this.local(started.endMs!) : null,
      // "" while running (doc); the text of the last run once it ended.
      duration: latestEnded && ended && latest === started ? durationText(wholeSecondsBetween(started.startMs, started.endMs!)) : '',
    };
  }

  /** apis.md §1.6: ExecutionSummary.taskId is int|null (e.g. a task deleted since it ran). */
  private orphanDashboardEntry(now: number): Record<string, unknown> {
    const start = now - 3 * 3600_000;
    return {
      taskId: null,
      taskName: 'Refresh Semantic Model (deleted)',
      taskType: 'Package',
      status: 'Finished',
      lastStartTime: this.local(start),
      lastEndTime: this.local(start + 42_000),
      duration: durationText(42),
    };
  }

  private executionJson(e: Execution, now: number): Record<string, unknown> {
    const ended = phaseAt(e, now) === 'ended';
    return {
      executionId: e.executionId,
      startTime: this.local(shownStartMs(e, now)),
      endTime: ended ? this.local(e.endMs!) : null,
      status: rawStatusAt(e, now),
      durationSeconds: ended ? wholeSecondsBetween(e.startMs, e.endMs!) : null,
    };
  }

  private processMapJson(map: MapRecord, env: EnvKey, now: number): Record<string, unknown> {
    return {
      processMapId: map.processMapId,
      name: map.name,
      workspace: map.ws,
      lastExecutionDate: this.lastMapRunStart(map, env, now),
      ...this.mapCounters(map, env, now),
    };
  }

  /** lastExecutionDate: the start of the latest map run (or of the seeded past run). */
  private lastMapRunStart(map: MapRecord, env: EnvKey, now: number): string | null {
    let latest: number | null = env === 'Production' ? map.seededLastRunMs : null;
    for (const run of map.runs) {
      if (run.env !== env || run.execution.createdMs > now) continue;
      const start = run.execution.startMs <= now ? run.execution.startMs : run.execution.createdMs;
      if (latest === null || start >= latest) latest = start;
    }
    return latest === null ? null : this.local(latest);
  }

  /**
   * Counters from the members' current states (whether the doc means the last run or the current state is
   * unknown, apis.md §1.6). A member still waiting for its stage in an active run counts as queued.
   */
  private mapCounters(map: MapRecord, env: EnvKey, now: number): Record<string, number> {
    const counters = { successfulTasks: 0, failedTasks: 0, runningTasks: 0, queuedTasks: 0, disabledTasks: 0 };
    const activeRun = this.activeMapRun(map, env, now);
    const seen = new Set<string>();
    for (const member of map.members) {
      const task = this.findTask(map.ws, member.taskType, member.taskId);
      const key = `${member.taskType}/${member.taskId}`;
      if (!task || !task.environments.has(env) || seen.has(key)) continue;
      seen.add(key);
      if (member.disabled || task.disabled) {
        counters.disabledTasks++;
        continue;
      }
      const startedInRun = activeRun?.memberExecutions.some((m) => m.taskKey === key && m.execution.createdMs <= now);
      // Before the members are dispatched (mapDispatchDelayMs) the counters still show their previous state.
      if (activeRun && !startedInRun && now >= activeRun.dispatchMs) {
        counters.queuedTasks++;
        continue;
      }
      const latest = this.latestExecution(task, env, now);
      if (!latest) continue;
      const phase = phaseAt(latest, now);
      if (phase === 'queued') counters.queuedTasks++;
      else if (phase === 'running') counters.runningTasks++;
      else if (latest.succeeded) counters.successfulTasks++;
      else counters.failedTasks++;
    }
    return counters;
  }
}

// ---------------------------------------------------------------------------------------------------------
// Helpers

/** 202, `Content-Length: 0`, no Location, no id (apis.md §1.5, §1.11). */
function acceptTrigger(res: SimResponse): void {
  res.empty(202);
}

function isSwaggerPath(path: string): boolean {
  return path === '/swagger' || path === '/swagger/' || path === '/swagger/index.html';
}

function lowerCaseNames(query: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(query)) out[name.toLowerCase()] = value;
  return out;
}

/**
 * A queued row shows its enqueue time as startTime until it starts (our choice: the doc shows no queued row),
 * then its real start time.
 */
function shownStartMs(e: Execution, now: number): number {
  return phaseAt(e, now) === 'queued' ? e.createdMs : e.startMs;
}

function scramble(id: number): number {
  let x = Math.imul(id ^ 0x5bd1e995, 0x27d4eb2d);
  x ^= x >>> 15;
  return x >>> 0;
}

/** The text of each line of an execution's log (long lines added by its shape). */
function logTextOf(e: Execution): (i: number) => string {
  const source = e.log;
  const long = source.shape?.longLineChars ?? 0;
  const base =
    source.kind === 'lines'
      ? (i: number) => source.lines[i]!
      : (i: number) =>
          i === source.count - 1 && source.finalLine !== null ? source.finalLine : `[${i + 1}/${source.count}] ${source.taskName}: processed batch ${i + 1} (5000 rows)`;
  if (long <= 0) return base;
  return (i) => (i % 50 === 7 ? `${base(i)} ${'x'.repeat(long)}` : base(i));
}

/**
 * Lines spread evenly from start to end; an endless run writes one line per second. With bursts, every line
 * of a burst is written at the time of the burst's first line.
 */
function logLineTime(e: Execution, index: number, count: number): number {
  const bursts = e.log.shape?.bursts;
  if (bursts !== undefined && bursts > 0 && count > 0) {
    const perBurst = Math.ceil(count / bursts);
    index = Math.floor(index / perBurst) * perBurst;
  }
  if (e.endMs === null) return e.startMs + index * 1000;
  if (count <= 1) return e.startMs;
  return e.startMs + Math.floor((index * (e.endMs - e.startMs)) / (count - 1));
}

/** How many of a synthetic log's lines were written by `now` (line times are monotonic: binary search). */
function visibleLineCount(e: Execution, count: number, now: number): number {
  if (now < e.startMs) return 0;
  let low = 0;
  let high = count;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if (logLineTime(e, mid, count) <= now) low = mid + 1;
    else high = mid;
  }
  return low;
}

const LOG_CHUNK_CHARS = 64 * 1024;

function* streamLogJson(
  e: Execution,
  count: number,
  from: number,
  visible: number,
  textOf: (i: number) => string,
  timeZone: string,
  head?: { logTime: string; log: string },
): Generator<BodyChunk> {
  yield '[';
  let chunk = head ? JSON.stringify(head) : '';
  let lastSecond = Number.NaN;
  let lastStamp = '';
  for (let i = from; i < visible; i++) {
    const at = logLineTime(e, i, count);
    const second = Math.floor(at / 1000);
    if (second !== lastSecond) {
      lastSecond = second;
      lastStamp = formatServerLocal(at, timeZone);
    }
    chunk += `${chunk === '' && i === from && !head ? '' : ','}${JSON.stringify({ logTime: lastStamp, log: textOf(i) })}`;
    if (chunk.length >= LOG_CHUNK_CHARS) {
      yield chunk;
      chunk = '';
    }
  }
  yield `${chunk}]`;
}

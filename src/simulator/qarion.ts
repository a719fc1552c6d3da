/**
 * The Qarion module of the simulator: the HTTP face of `QarionWorld` (apis.md §2, §4.2).
 *
 * Routes (host-agnostic), all under `/api/v1.0/spaces/{slug}/orchestration` as in seed 001, plus the catalog
 * connector sync with and without the `/api/v1.0` prefix (apis.md §2.1: the prefix question is open).
 * There is no log, cancel or webhook route: such calls answer 404, or 405 on a path that exists.
 *
 * Order of checks on a request (our reading; FastAPI-like): rate limit (per presented key) → Bearer key (401)
 * → route (404/405) → query and path validation (422 list form) → space (404 unknown; 403/404 non-member)
 * → role (403) → object (404) → provider (pass-through errors).
 *
 * Every answer carries `X-RateLimit-Limit/Remaining/Reset` (Reset: unix seconds) and a `Date` header from the
 * simulated clock, so a client may compare run end times with the server's own clock.
 */
import type { SimClock } from './clock.js';
import type { SimModule, SimRequest, SimResponse } from './server.js';
import {
  QarionWorld,
  qarionRunPhaseAt,
  qarionRunWordAt,
  qarionTaskRunAt,
  type QarionCommentRecord,
  type QarionPipelineRecord,
  type QarionOptions,
  type QarionRole,
  type QarionRunRecord,
  type QarionSpaceRecord,
} from './qarion-world.js';
import { findRoute } from './router.js';

// Everything a caller needs (options, world definitions, truth types) is re-exported from this one file.
export * from './qarion-world.js';

export const QARION_PREFIX = '/api/v1.0';
export const QARION_PLATFORM = 'qarion';

export interface QarionModuleOptions {
  clock: SimClock;
  seed?: number;
  options?: Partial<QarionOptions>;
}

export function createQarionModule(options: QarionModuleOptions): QarionModule {
  return new QarionModule(options.clock, options.options, options.seed);
}

// ---------------------------------------------------------------------------------------------------------
// Answers that end a request early

class Answer {
  constructor(
    readonly status: number,
    readonly body: unknown,
    readonly headers: Record<string, string> = {},
  ) {}
}

/** FastAPI's HTTPException body: `{"detail": "…"}` (apis.md §2.4). */
function detail(status: number, text: string, headers: Record<string, string> = {}): Answer {
  return new Answer(status, { detail: text }, headers);
}

/** FastAPI's validation error: `{"detail": [{"loc", "msg", "type"}]}` with 422. */
function validation(loc: Array<string | number>, msg: string, type: string): Answer {
  return new Answer(422, { detail: [{ loc, msg, type }] });
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

// ---------------------------------------------------------------------------------------------------------
// Routing

interface Ctx {
  req: SimRequest;
  userId: string;
  params: Record<string, string>;
  now: number;
}

type Handler = (ctx: Ctx) => { status: number; body?: unknown; headers?: Record<string, string> };

interface Route {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  pattern: string[];
  handler: Handler;
}


const ORCH = ['spaces', ':slug', 'orchestration'];

interface Bucket {
  windowStart: number;
  count: number;
}

// ---------------------------------------------------------------------------------------------------------

export class QarionModule extends QarionWorld implements SimModule {
  readonly name = QARION_PLATFORM;
  private readonly buckets = new Map<string, Bucket>();
  private readonly routes: Route[] = [
    { method: 'GET', pattern: [...ORCH, 'pipelines'], handler: (c) => this.listPipelines(c) },
    { method: 'GET', pattern: [...ORCH, 'pipelines', ':pid'], handler: (c) => this.getPipeline(c) },
    { method: 'PATCH', pattern: [...ORCH, 'pipelines', ':pid', 'team'], handler: (c) => this.patchTeam(c) },
    { method: 'PATCH', pattern: [...ORCH, 'pipelines', ':pid', 'criticality'], handler: (c) => this.patchCriticality(c) },
    { method: 'POST', pattern: [...ORCH, 'pipelines', ':pid', 'trigger'], handler: (c) => this.trigger(c) },
    { method: 'GET', pattern: [...ORCH, 'pipelines', ':pid', 'runs'], handler: (c) => this.listRuns(c) },
    { method: 'GET', pattern: [...ORCH, 'runs', ':rid'], handler: (c) => this.getRun(c) },
    { method: 'GET', pattern: [...ORCH, 'runs', ':rid', 'comments'], handler: (c) => this.listComments(c, 'run') },
    { method: 'POST', pattern: [...ORCH, 'runs', ':rid', 'comments'], handler: (c) => this.createComment(c, 'run') },
    { method: 'GET', pattern: [...ORCH, 'task-runs', ':rid', 'comments'], handler: (c) => this.listComments(c, 'task-run') },
    { method: 'POST', pattern: [...ORCH, 'task-runs', ':rid', 'comments'], handler: (c) => this.createComment(c, 'task-run') },
    { method: 'PUT', pattern: [...ORCH, 'comments', ':cid'], handler: (c) => this.updateComment(c) },
    { method: 'PATCH', pattern: [...ORCH, 'comments', ':cid'], handler: (c) => this.updateComment(c) },
    { method: 'DELETE', pattern: [...ORCH, 'comments', ':cid'], handler: (c) => this.deleteComment(c) },
    { method: 'POST', pattern: [...ORCH, 'connectors', ':cid', 'sync'], handler: (c) => this.syncConnector(c) },
    // Catalog (Connectors API): a background metadata sync; it does not make orchestration runs appear.
    { method: 'POST', pattern: ['catalog', 'spaces', ':slug', 'connectors', ':cid', 'sync'], handler: (c) => this.catalogSync(c) },
    { method: 'GET', pattern: ['catalog', 'spaces', ':slug', 'sync-history'], handler: (c) => this.syncHistory(c) },
  ];

  constructor(clock: SimClock, options: Partial<QarionOptions> = {}, seed = 1) {
    super(clock, options, seed);
  }

  claims(req: SimRequest): boolean {
    return req.path.startsWith(`${QARION_PREFIX}/`) || req.path.startsWith('/catalog/spaces/');
  }

  handle(req: SimRequest, res: SimResponse): boolean {
    if (!this.claims(req)) return false;
    const now = this.clock.now();
    const base: Record<string, string> = { date: new Date(now).toUTCString() };
    const token = bearer(req.headers['authorization']);
    const limited = this.rateLimit(token ?? 'anonymous', now, base);
    if (limited) {
      res.json(limited.status, limited.body, { ...base, ...limited.headers });
      return true;
    }
    const ctx: Ctx = { req, userId: '', params: {}, now };
    try {
      ctx.userId = this.authenticate(token);
      const { route, params } = this.route(req);
      ctx.params = params;
      const answer = route.handler(ctx);
      if (answer.body === undefined) res.empty(answer.status, { ...base, ...answer.headers });
      else res.json(answer.status, answer.body, { ...base, ...answer.headers });
    } catch (error) {
      if (!(error instanceof Answer)) throw error;
      res.json(error.status, error.body, { ...base, ...error.headers });
    }
    return true;
  }

  // ----- rate limit, auth, routing ----------------------------------------------------------------------

  /** A fixed window per presented key; headers on every answer; 429 once the budget is spent (apis.md §2.5). */
  private rateLimit(key: string, now: number, headers: Record<string, string>): Answer | undefined {
    const { rateLimit: limit, rateLimitWindowMs: windowMs } = this.options;
    let bucket = this.buckets.get(key);
    if (!bucket || now >= bucket.windowStart + windowMs) {
      bucket = { windowStart: now, count: 0 };
      this.buckets.set(key, bucket);
    }
    const resetMs = bucket.windowStart + windowMs;
    headers['x-ratelimit-limit'] = String(limit);
    headers['x-ratelimit-reset'] = String(Math.ceil(resetMs / 1000));
    if (bucket.count >= limit) {
      headers['x-ratelimit-remaining'] = '0';
      const seconds = Math.max(1, Math.ceil((resetMs - now) / 1000));
      return detail(429, `Rate limit exceeded. Retry after ${seconds} seconds.`, { 'retry-after': String(seconds) });
    }
    bucket.count++;
    headers['x-ratelimit-remaining'] = String(limit - bucket.count);
    return undefined;
  }

  private authenticate(token: string | undefined): string {
    const challenge = { 'www-authenticate': 'Bearer' };
    if (!token) throw detail(401, 'Not authenticated', challenge);
    const userId = this.keys.get(token);
    if (userId === undefined) throw detail(401, 'Invalid or expired API key', challenge);
    return userId;
  }

  private route(req: SimRequest): { route: Route; params: Record<string, string> } {
    let path = req.path;
    if (path.startsWith(`${QARION_PREFIX}/`)) path = path.slice(QARION_PREFIX.length);
    let segments: string[];
    try {
      segments = path.split('/').filter((s) => s !== '').map((s) => decodeURIComponent(s));
    } catch {
      throw detail(404, 'Not Found');
    }
    const match = findRoute(this.routes, req.method, segments);
    if (match.kind === 'found') return { route: match.route, params: match.params };
    // No cancel, log or webhook routes (apis.md §2.5): 404, or 405 on a known path (e.g. DELETE …/runs/{id}).
    if (match.kind === 'method-not-allowed') throw detail(405, 'Method Not Allowed', { allow: match.allowed.join(', ') });
    throw detail(404, 'Not Found');
  }

  // ----- validation helpers -----------------------------------------------------------------------------

  private idParam(ctx: Ctx, name: string, loc: string): string {
    const value = ctx.params[name]!;
    if (this.options.idFormat === 'uuid' && !UUID.test(value)) {
      throw validation(['path', loc], 'value is not a valid uuid', 'type_error.uuid');
    }
    return value;
  }

  private intQuery(ctx: Ctx, name: string, min: number): number | undefined {
    const raw = ctx.req.query[name];
    if (raw === undefined || raw === '') return undefined;
    if (!/^[+-]?\d+$/.test(raw.trim())) throw validation(['query', name], 'value is not a valid integer', 'type_error.integer');
    const value = Number(raw.trim());
    if (value < min) {
      throw validation(['query', name], `ensure this value is greater than or equal to ${min}`, 'value_error.number.not_ge');
    }
    return value;
  }

  private boolQuery(ctx: Ctx, name: string): boolean | undefined {
    const raw = ctx.req.query[name]?.trim().toLowerCase();
    if (raw === undefined || raw === '') return undefined;
    if (['true', '1', 'yes', 'on'].includes(raw)) return true;
    if (['false', '0', 'no', 'off'].includes(raw)) return false;
    throw validation(['query', name], 'value could not be parsed to a boolean', 'type_error.bool');
  }

  private timeQuery(ctx: Ctx, name: string): number | undefined {
    const raw = ctx.req.query[name];
    if (raw === undefined || raw === '') return undefined;
    const text = raw.trim();
    const ms = Date.parse(/^\d{4}-\d{2}-\d{2}T[\d:.]+$/.test(text) ? `${text}Z` : text);
    if (!/^\d{4}-\d{2}-\d{2}/.test(text) || Number.isNaN(ms)) throw validation(['query', name], 'invalid datetime format', 'value_error.datetime');
    return ms;
  }

  private paging(ctx: Ctx): { page: number; size: number } {
    const page = this.intQuery(ctx, 'page', 1) ?? 1;
    const asked = this.intQuery(ctx, 'size', 1) ?? this.options.defaultPageSize;
    // Larger sizes are silently capped (doc).
    return { page, size: Math.min(asked, this.options.maxPageSize) };
  }

  /** Envelope or bare array; pagination headers either way (their names are a guess: apis.md §5 #15). */
  private paged(ctx: Ctx, items: unknown[]): { status: number; body: unknown; headers: Record<string, string> } {
    const { page, size } = this.paging(ctx);
    const slice = items.slice((page - 1) * size, page * size);
    const pages = Math.max(1, Math.ceil(items.length / size));
    const link = (p: number) => {
      const query = new URLSearchParams(ctx.req.query);
      query.set('page', String(p));
      query.set('size', String(size));
      return `<${ctx.req.path}?${query.toString()}>`;
    };
    const links = [`${link(1)}; rel="first"`, `${link(pages)}; rel="last"`];
    if (page > 1) links.push(`${link(Math.min(page - 1, pages))}; rel="prev"`);
    if (page < pages) links.push(`${link(page + 1)}; rel="next"`);
    const headers = { 'x-total-count': String(items.length), link: links.join(', ') };
    const body = this.options.listStyle === 'envelope' ? { items: slice, total: items.length, page, size } : slice;
    return { status: 200, body, headers };
  }

  private jsonBody(ctx: Ctx): Record<string, unknown> {
    const text = ctx.req.body.trim();
    if (text === '') throw validation(['body'], 'field required', 'value_error.missing');
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      throw detail(400, 'There was an error parsing the body');
    }
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
      throw validation(['body'], 'value is not a valid dict', 'type_error.dict');
    }
    return parsed as Record<string, unknown>;
  }

  // ----- access -----------------------------------------------------------------------------------------

  private spaceFor(ctx: Ctx): { space: QarionSpaceRecord; role: QarionRole } {
    const space = this.spaces.get(ctx.params['slug']!);
    if (!space) throw detail(404, 'Space not found');
    const role = space.members.get(ctx.userId);
    if (!role) {
      throw this.options.nonMemberStatus === 404 ? detail(404, 'Space not found') : detail(403, 'You do not have access to this space');
    }
    return { space, role };
  }

  private pipelineFor(ctx: Ctx, space: QarionSpaceRecord): QarionPipelineRecord {
    const id = this.idParam(ctx, 'pid', 'pipeline_id');
    const pipeline = space.pipelines.get(id);
    if (!pipeline) throw detail(404, 'Pipeline not found');
    return pipeline;
  }

  /** A run of this space that Qarion lists now; a run of another space is not found (doc: space-checked). */
  private visibleRun(ctx: Ctx, space: QarionSpaceRecord, runId: string): QarionRunRecord {
    const run = this.runInSpace(space, runId);
    if (!run || run.createdMs > ctx.now || run.visibleMs > ctx.now) throw detail(404, 'Run not found');
    return run;
  }

  private requireEditor(role: QarionRole, what: string): void {
    if (role === 'Viewer') throw detail(403, `Insufficient permissions: the Editor or Admin role is required to ${what}`);
  }

  // ----- pipelines --------------------------------------------------------------------------------------

  private listPipelines(ctx: Ctx) {
    const { space } = this.spaceFor(ctx);
    const q = ctx.req.query;
    const watchedOnly = this.boolQuery(ctx, 'watched_only') ?? false;
    const days = this.intQuery(ctx, 'days', 1) ?? 7;
    const eq = (value: string | null, wanted: string | undefined) => wanted === undefined || wanted === '' || (value ?? '').toLowerCase() === wanted.toLowerCase();
    const text = q['q']?.trim().toLowerCase();
    const items = [...space.pipelines.values()].filter(
      (p) =>
        eq(p.provider, q['provider']) &&
        eq(p.paused ? 'paused' : 'active', q['status']) &&
        eq(p.owner, q['owner']) &&
        eq(p.criticality, q['criticality']) &&
        eq(p.teamId, q['team_id']) &&
        eq(p.connectorId, q['connector_id']) &&
        (!watchedOnly || p.watchedBy.has(ctx.userId)) &&
        (!text || p.name.toLowerCase().includes(text) || p.dagId.toLowerCase().includes(text) || p.description.toLowerCase().includes(text)),
    );
    this.paging(ctx); // validates page/size before answering
    return this.paged(ctx, items.map((p) => this.pipelineJson(p, ctx.now, days)));
  }

  private getPipeline(ctx: Ctx) {
    const { space } = this.spaceFor(ctx);
    return { status: 200, body: this.pipelineJson(this.pipelineFor(ctx, space), ctx.now, 7) };
  }

  private patchTeam(ctx: Ctx) {
    const { space, role } = this.spaceFor(ctx);
    const pipeline = this.pipelineFor(ctx, space);
    this.requireEditor(role, 'change the team');
    const body = this.jsonBody(ctx);
    if (!('team_id' in body)) throw validation(['body', 'team_id'], 'field required', 'value_error.missing');
    const team = body['team_id'];
    if (team !== null && typeof team !== 'string') throw validation(['body', 'team_id'], 'str type expected', 'type_error.str');
    pipeline.teamId = team;
    return { status: 200, body: this.pipelineJson(pipeline, ctx.now, 7) };
  }

  private patchCriticality(ctx: Ctx) {
    const { space, role } = this.spaceFor(ctx);
    const pipeline = this.pipelineFor(ctx, space);
    this.requireEditor(role, 'change the criticality');
    const body = this.jsonBody(ctx);
    const value = body['criticality'];
    const allowed = ['low', 'medium', 'high', 'critical'];
    if (typeof value !== 'string' || !allowed.includes(value.toLowerCase())) {
      throw validation(['body', 'criticality'], `value is not a valid enumeration member; permitted: ${allowed.map((a) => `'${a}'`).join(', ')}`, 'type_error.enum');
    }
    pipeline.criticality = value.toLowerCase();
    return { status: 200, body: this.pipelineJson(pipeline, ctx.now, 7) };
  }

  // ----- trigger ----------------------------------------------------------------------------------------

  private trigger(ctx: Ctx) {
    const { space, role } = this.spaceFor(ctx);
    const pipeline = this.pipelineFor(ctx, space);
    let status = 500;
    let runId: string | undefined;
    // A colleague's run registered to start just before ours (foreignRunOnTrigger, negative offset).
    this.startRunsAroundTrigger(pipeline, ctx.now, 'before');
    try {
      this.requireEditor(role, 'trigger pipelines');
      if (pipeline.provider.toLowerCase() !== 'airflow') {
        throw detail(this.options.nonAirflowTriggerStatus, `Pipeline provider '${pipeline.provider}' does not support triggering; only Airflow pipelines can be triggered`);
      }
      // Provider errors pass through with Airflow's status and message (doc).
      const failure = pipeline.triggerErrors[0];
      if (failure) {
        failure.times--;
        if (failure.times <= 0) pipeline.triggerErrors.shift();
        throw detail(failure.status, failure.detail);
      }
      if (pipeline.paused && this.options.pausedDagTrigger === 400) throw detail(400, `DAG '${pipeline.dagId}' is paused`);
      if (this.activeRuns(pipeline, ctx.now).length > 0 && this.options.secondTriggerWhileActive === 409) {
        throw detail(409, `DAG '${pipeline.dagId}' already has an active run`);
      }
      const answer = this.options.triggerAnswer;
      const run = this.triggerRun(pipeline, ctx.now, answer === 'run-200' || answer === 'run-201');
      runId = run.id;
      const reply = this.triggerReply(run, pipeline, ctx.now);
      status = reply.status;
      return reply;
    } catch (error) {
      if (error instanceof Answer) status = error.status;
      throw error;
    } finally {
      this.recordTrigger({ space: space.slug, pipelineId: pipeline.id, status, runId });
      // …and the ones registered to start just after it (offset 0 or more).
      this.startRunsAroundTrigger(pipeline, ctx.now, 'after');
    }
  }

  private triggerReply(run: QarionRunRecord, pipeline: QarionPipelineRecord, now: number): { status: number; body?: unknown } {
    switch (this.options.triggerAnswer) {
      case 'empty-202':
        return { status: 202 };
      case 'empty-204':
        return { status: 204 };
      case 'run-200':
        return { status: 200, body: this.runJson(run, now, false) };
      case 'run-201':
        return { status: 201, body: this.runJson(run, now, false) };
      case 'dag-run':
        return {
          status: 200,
          body: {
            dag_id: pipeline.dagId,
            dag_run_id: run.providerRunId,
            logical_date: this.time(run.createdMs),
            state: 'queued',
            run_type: 'manual',
            conf: {},
          },
        };
      case 'run-id':
        return { status: 200, body: { run_id: run.id } };
      case 'run-id-airflow':
        return { status: 200, body: { run_id: run.providerRunId } };
      case 'data-id':
        return { status: 200, body: { data: { id: run.id, status: this.word('queued') } } };
    }
  }

  // ----- runs -------------------------------------------------------------------------------------------

  private listRuns(ctx: Ctx) {
    const { space } = this.spaceFor(ctx);
    const pipeline = this.pipelineFor(ctx, space);
    const from = this.timeQuery(ctx, 'started_from');
    const to = this.timeQuery(ctx, 'started_to');
    const status = ctx.req.query['status']?.trim().toLowerCase();
    const runType = ctx.req.query['run_type']?.trim().toLowerCase();
    this.paging(ctx);
    const now = ctx.now;
    const filterTime = (r: QarionRunRecord): number | null => {
      if (r.startMs <= now) return r.startMs;
      return this.options.startedFilter === 'started_or_queued' ? r.createdMs : null;
    };
    const runs = pipeline.runs
      .filter((r) => r.createdMs <= now && r.visibleMs <= now)
      .filter((r) => {
        if (from === undefined && to === undefined) return true;
        const t = filterTime(r);
        return t !== null && (from === undefined || t >= from) && (to === undefined || t <= to);
      })
      .filter((r) => !status || this.word(qarionRunWordAt(r, now)).toLowerCase() === status)
      .filter((r) => !runType || r.runType.toLowerCase() === runType)
      // Newest first (by start, else by the time it was queued).
      .sort((a, b) => (b.startMs <= now ? b.startMs : b.createdMs) - (a.startMs <= now ? a.startMs : a.createdMs));
    // The order is undocumented (option runListOrder): oldest first, or a stable arbitrary order by id hash
    // (stable across requests, so that pages neither overlap nor miss runs).
    if (this.options.runListOrder === 'oldest-first') runs.reverse();
    if (this.options.runListOrder === 'shuffled') runs.sort((a, b) => idHash(a.id) - idHash(b.id) || a.id.localeCompare(b.id));
    return this.paged(ctx, runs.map((r) => this.runJson(r, now, false)));
  }

  private getRun(ctx: Ctx) {
    const { space } = this.spaceFor(ctx);
    const runId = this.idParam(ctx, 'rid', 'run_id');
    return { status: 200, body: this.runJson(this.visibleRun(ctx, space, runId), ctx.now, true) };
  }

  // ----- comments ---------------------------------------------------------------------------------------

  /** Comments are checked against the run or task run in the current space (doc). */
  private commentTarget(ctx: Ctx, space: QarionSpaceRecord, kind: 'run' | 'task-run'): string {
    const id = this.idParam(ctx, 'rid', kind === 'run' ? 'run_id' : 'task_run_id');
    if (kind === 'run') return this.visibleRun(ctx, space, id).id;
    const hit = this.taskRunInSpace(space, id);
    if (!hit || hit.run.visibleMs > ctx.now || hit.run.createdMs > ctx.now) throw detail(404, 'Task run not found');
    return hit.task.id;
  }

  private listComments(ctx: Ctx, kind: 'run' | 'task-run') {
    const { space } = this.spaceFor(ctx);
    const targetId = this.commentTarget(ctx, space, kind);
    const items = this.commentsOn(targetId).filter((c) => c.space === space.slug && c.kind === kind);
    return this.paged(ctx, items.map((c) => this.commentJson(c)));
  }

  private createComment(ctx: Ctx, kind: 'run' | 'task-run') {
    const { space } = this.spaceFor(ctx);
    const targetId = this.commentTarget(ctx, space, kind);
    const status = this.options.commentStatus;
    if (status === 403) throw detail(403, 'You do not have permission to comment in this space');
    if (status === 500) throw detail(500, 'Internal Server Error');
    const content = this.commentContent(ctx);
    const comment: QarionCommentRecord = {
      id: this.newId(),
      space: space.slug,
      kind,
      targetId,
      content,
      author: ctx.userId,
      createdMs: ctx.now,
      updatedMs: ctx.now,
    };
    this.comments.set(comment.id, comment);
    return { status, body: this.commentJson(comment) };
  }

  /** The shared Comments API shape is not among the sources: `content` is our guess; `body`/`text` accepted too. */
  private commentContent(ctx: Ctx): string {
    const body = this.jsonBody(ctx);
    const value = body['content'] ?? body['body'] ?? body['text'];
    if (value === undefined || value === null) throw validation(['body', 'content'], 'field required', 'value_error.missing');
    if (typeof value !== 'string') throw validation(['body', 'content'], 'str type expected', 'type_error.str');
    if (value.trim() === '') throw validation(['body', 'content'], 'ensure this value has at least 1 characters', 'value_error.any_str.min_length');
    return value;
  }

  private commentFor(ctx: Ctx, space: QarionSpaceRecord): QarionCommentRecord {
    const id = this.idParam(ctx, 'cid', 'comment_id');
    const comment = this.comments.get(id);
    if (!comment || comment.space !== space.slug) throw detail(404, 'Comment not found');
    return comment;
  }

  private updateComment(ctx: Ctx) {
    const { space, role } = this.spaceFor(ctx);
    const comment = this.commentFor(ctx, space);
    if (comment.author !== ctx.userId && role !== 'Admin') throw detail(403, 'Only the author or an Admin may change this comment');
    comment.content = this.commentContent(ctx);
    comment.updatedMs = ctx.now;
    return { status: 200, body: this.commentJson(comment) };
  }

  private deleteComment(ctx: Ctx) {
    const { space, role } = this.spaceFor(ctx);
    const comment = this.commentFor(ctx, space);
    if (comment.author !== ctx.userId && role !== 'Admin') throw detail(403, 'Only the author or an Admin may delete this comment');
    this.comments.delete(comment.id);
    return { status: 204 };
  }

  // ----- connector sync ---------------------------------------------------------------------------------

  private syncConnector(ctx: Ctx) {
    const { space, role } = this.spaceFor(ctx);
    const connectorId = this.idParam(ctx, 'cid', 'connector_id');
    let status = 500;
    try {
      // A connector of another space is not found (doc: it must belong to the target space).
      const connector = space.connectors.get(connectorId);
      if (!connector) throw detail(404, 'Connector not found');
      if (connector.kind.toLowerCase() !== 'airflow') {
        throw detail(this.options.nonAirflowSyncStatus, `Only Airflow connectors are supported for orchestration sync (connector type '${connector.kind}')`);
      }
      const mayEdit = connector.editors ? connector.editors.has(ctx.userId) || role === 'Admin' : role !== 'Viewer';
      if (!mayEdit) throw detail(403, 'You are not authorized to edit this connector');
      const synced = this.applySync(space, connector, ctx.now);
      status = this.options.syncAnswer;
      if (status === 204) return { status };
      if (status === 200) return { status, body: { connector_id: connector.id, status: 'completed', runs_synced: synced } };
      return { status, body: { connector_id: connector.id, status: 'queued' } };
    } catch (error) {
      if (error instanceof Answer) status = error.status;
      throw error;
    } finally {
      this.recordSync({ space: space.slug, connectorId, status });
    }
  }

  private catalogSync(ctx: Ctx) {
    const { space, role } = this.spaceFor(ctx);
    const connector = space.connectors.get(ctx.params['cid']!);
    if (!connector) throw detail(404, 'Connector not found');
    this.requireEditor(role, 'sync connectors');
    return { status: 202, body: { detail: 'Metadata sync started', connector_id: connector.id } };
  }

  private syncHistory(ctx: Ctx) {
    const { space } = this.spaceFor(ctx);
    const items = this.syncs()
      .filter((s) => s.space === space.slug)
      .map((s) => ({ connector_id: s.connectorId, status: s.status < 300 ? 'completed' : 'failed', started_at: this.time(s.simTimeMs) }));
    return this.paged(ctx, items);
  }

  // ----- JSON shapes (apis.md §2.2 proposed shapes; aliases per §2.3) -----------------------------------

  private time(ms: number | null): string | null {
    if (ms === null || !Number.isFinite(ms)) return null;
    const iso = new Date(ms).toISOString();
    switch (this.options.timestampStyle) {
      case 'z':
        return iso;
      case 'offset':
        return iso.replace(/Z$/, '+00:00');
      case 'naive':
        return iso.replace(/Z$/, '');
    }
  }

  /** Airflow words, or Qarion-style ones (apis.md §4.2 "a switch gives Qarion-style words"). */
  private word(airflow: string | null): string {
    if (this.options.wordStyle === 'airflow') return airflow ?? 'none';
    switch (airflow) {
      case null:
      case 'queued':
      case 'scheduled':
        return 'pending';
      case 'success':
        return 'succeeded';
      case 'up_for_retry':
        return 'retrying';
      default:
        return airflow;
    }
  }

  private pipelineJson(p: QarionPipelineRecord, now: number, days: number): Record<string, unknown> {
    const since = now - days * 86_400_000;
    const recent = p.runs.filter((r) => r.createdMs <= now && r.visibleMs <= now && r.createdMs >= since);
    const ended = recent.filter((r) => qarionRunPhaseAt(r, now) === 'ended');
    const ok = ended.filter((r) => r.finalWord === 'success').length;
    const last = [...p.runs].filter((r) => r.createdMs <= now && r.visibleMs <= now).sort((a, b) => b.createdMs - a.createdMs)[0];
    return {
      id: p.id,
      name: p.name,
      description: p.description,
      provider: p.provider,
      status: p.paused ? 'paused' : 'active',
      owner: p.owner,
      criticality: p.criticality,
      team_id: p.teamId,
      connector_id: p.connectorId,
      provider_metadata: { dag_id: p.dagId, is_paused: p.paused },
      last_run_status: last ? this.word(qarionRunWordAt(last, now)) : null,
      metrics: { days, runs: recent.length, success_rate: ended.length ? ok / ended.length : null },
    };
  }

  private runJson(run: QarionRunRecord, now: number, withTasks: boolean): Record<string, unknown> {
    const phase = qarionRunPhaseAt(run, now);
    const started = phase === 'running' || phase === 'ended' ? run.startMs : null;
    const ended = phase === 'ended' ? run.endMs : null;
    const duration = started !== null && ended !== null ? Math.round((ended - started) / 1000) : null;
    const status = this.word(qarionRunWordAt(run, now));
    const error = phase === 'ended' ? run.errorText : undefined;
    const aliases = this.options.fieldStyle === 'aliases';
    const json: Record<string, unknown> = aliases
      ? {
          uuid: run.id,
          pipeline_id: run.pipelineId,
          state: status,
          run_type: run.runType,
          start_date: this.time(started),
          end_date: this.time(ended),
          dag_run_id: run.providerRunId,
        }
      : {
          id: run.id,
          pipeline_id: run.pipelineId,
          status,
          run_type: run.runType,
          queued_at: this.time(run.createdMs),
          started_at: this.time(started),
          ended_at: this.time(ended),
          duration_seconds: duration,
          provider_run_id: run.providerRunId,
          provider_metadata: { dag_id: this.pipelineOf(run)?.dagId, dag_run_id: run.providerRunId, logical_date: this.time(run.createdMs) },
        };
    if (error !== undefined) json['error_message'] = error;
    if (withTasks && this.options.taskRunsInDetail === 'listed') json[aliases ? 'tasks' : 'task_runs'] = run.tasks.map((t) => this.taskRunJson(run, t, now));
    return json;
  }

  private taskRunJson(run: QarionRunRecord, task: QarionRunRecord['tasks'][number], now: number): Record<string, unknown> {
    const view = qarionTaskRunAt(run, task, now);
    const ended = view.endMs !== null && view.endMs <= now;
    const aliases = this.options.fieldStyle === 'aliases';
    const json: Record<string, unknown> = {
      id: task.id,
      task_id: task.taskId,
      [aliases ? 'state' : 'status']: view.word === null ? (this.options.wordStyle === 'airflow' ? null : this.word(null)) : this.word(view.word),
      try_number: view.tryNumber,
      [aliases ? 'start_date' : 'started_at']: this.time(view.startMs),
      [aliases ? 'end_date' : 'ended_at']: ended ? this.time(view.endMs) : null,
    };
    if (ended && task.errorText && view.word !== 'success') json['error_message'] = task.errorText;
    return json;
  }

  private pipelineOf(run: QarionRunRecord): QarionPipelineRecord | undefined {
    return this.spaces.get(run.space)?.pipelines.get(run.pipelineId);
  }

  private commentJson(c: QarionCommentRecord): Record<string, unknown> {
    return {
      id: c.id,
      content: c.content,
      author: { id: c.author },
      [c.kind === 'run' ? 'run_id' : 'task_run_id']: c.targetId,
      created_at: this.time(c.createdMs),
      updated_at: this.time(c.updatedMs),
    };
  }
}

/** A stable 32-bit hash of a run id (FNV-1a): an arbitrary but repeatable list order. */
function idHash(id: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < id.length; i++) hash = Math.imul(hash ^ id.charCodeAt(i), 0x01000193) >>> 0;
  return hash;
}

function bearer(header: string | undefined): string | undefined {
  const match = /^\s*bearer\s+(\S+)\s*$/i.exec(header ?? '');
  return match?.[1];
}

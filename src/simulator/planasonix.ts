/**
 * The Planasonix module of the simulator: the HTTP face of `PlanasonixWorld` (apis.md §3.2, §3.3, §4.3).
 *
 * Routes, under the configured base path ('' or '/v1'):
 *   orchestration v1 (snake_case)                      REST resources (camelCase)
 *   POST /api/v1/connections/{id}/sync                 POST   /api/pipelines/{id}/run
 *   POST /api/v1/connections/{id}/backfill             GET    /api/pipelines/{id}/runs
 *   GET  /api/v1/jobs                                  GET    /api/pipelines/{id}/execution-status
 *   GET  /api/v1/jobs/{id}                             GET    /api/runs
 *   GET  /api/v1/jobs/{id}/results                     GET    /api/runs/{id}       DELETE /api/runs/{id}
 *   POST /api/v1/jobs/{id}/cancel                      GET    /api/runs/{id}/nodes
 *   GET  /api/v1/backfills/{id}  (a GUESS, §3.2)       GET    /api/runs/{id}/logs
 *
 * Order of checks (our reading; the doc does not say): base path (404) → key (401) → policy (403) → rate
 * limit (429) → API enabled (403/404) → route (404/405) → scope (403) → body (400) → target (404) →
 * idempotency replay → conflict (409).
 */
import type { SimClock } from './clock.js';
import { LogObjectStore, type ObjectStoreRequest } from './planasonix-objects.js';
import {
  PLANASONIX_PLATFORM,
  PlanasonixWorld,
  endOf,
  phaseAt,
  progressPercentAt,
  rowsAt,
  type Activity,
  type BackfillRecord,
  type JobRecord,
  type KeyRecord,
  type LogEntry,
  type NodePlan,
  type PlanasonixOptions,
  type PlanasonixScope,
  type PlanasonixTriggerRecord,
  type RunRecord,
} from './planasonix-world.js';
import type { BodyChunk, SimModule, SimRequest, SimResponse } from './server.js';

export { PLANASONIX_PLATFORM } from './planasonix-world.js';

export interface PlanasonixModuleOptions {
  clock: SimClock;
  seed?: number;
  options?: Partial<PlanasonixOptions>;
}

export function createPlanasonixModule(options: PlanasonixModuleOptions): PlanasonixModule {
  return new PlanasonixModule(options.clock, options.options, options.seed);
}

// ---------------------------------------------------------------------------------------------------------

/** An answer that ends a request early (thrown by the checks). */
class Answer {
  constructor(
    readonly status: number,
    readonly body: unknown,
    readonly headers: Record<string, string> = {},
  ) {}
}

interface RequestContext {
  req: SimRequest;
  key?: KeyRecord;
  params: Record<string, string>;
  query: Record<string, string>;
  now: number;
  /** Headers added to every answer (rate-limit headers). */
  headers: Record<string, string>;
  trigger?: Omit<PlanasonixTriggerRecord, 'simTimeMs' | 'status'>;
}

type Handler = (ctx: RequestContext, res: SimResponse) => void | Promise<void>;

interface Route {
  method: 'GET' | 'POST' | 'DELETE';
  pattern: string[];
  scope: PlanasonixScope;
  handler: Handler;
}

interface Bucket {
  startMs: number;
  count: number;
}

const FAMILIES = [/^\/api\/v1\/(connections|jobs|backfills)(\/|$)/, /^\/api\/(pipelines|runs)(\/|$)/];
const PRIORITIES = ['low', 'normal', 'high'];
const SYNC_TYPES = ['incremental', 'full'];


export class PlanasonixModule extends PlanasonixWorld implements SimModule {
  readonly name = PLANASONIX_PLATFORM;
  /** The second origin that serves logs as pre-signed URLs (logFormat 'urls'). */
  readonly objectStore = new LogObjectStore();
  private readonly buckets = new Map<string, Bucket>();
  private readonly routes: Route[] = [
    { method: 'POST', pattern: ['v1', 'connections', ':id', 'sync'], scope: 'sync:trigger', handler: (c, r) => this.triggerSync(c, r) },
    { method: 'POST', pattern: ['v1', 'connections', ':id', 'backfill'], scope: 'sync:trigger', handler: (c, r) => this.triggerBackfill(c, r) },
    { method: 'GET', pattern: ['v1', 'jobs'], scope: 'sync:read', handler: (c, r) => this.listJobs(c, r) },
    { method: 'GET', pattern: ['v1', 'jobs', ':id'], scope: 'sync:read', handler: (c, r) => this.getJob(c, r) },
    { method: 'GET', pattern: ['v1', 'jobs', ':id', 'results'], scope: 'sync:read', handler: (c, r) => this.jobResults(c, r) },
    { method: 'POST', pattern: ['v1', 'jobs', ':id', 'cancel'], scope: 'sync:trigger', handler: (c, r) => this.cancelJob(c, r) },
    // apis.md §3.2: the backfill status path is unknown; this one is the simulator's guess (§4.3).
    { method: 'GET', pattern: ['v1', 'backfills', ':id'], scope: 'sync:read', handler: (c, r) => this.getBackfill(c, r) },
    { method: 'POST', pattern: ['pipelines', ':id', 'run'], scope: 'pipelines:run', handler: (c, r) => this.triggerRun(c, r) },
    { method: 'GET', pattern: ['pipelines', ':id', 'runs'], scope: 'pipelines:read', handler: (c, r) => this.pipelineRuns(c, r) },
    { method: 'GET', pattern: ['pipelines', ':id', 'execution-status'], scope: 'pipelines:read', handler: (c, r) => this.executionStatus(c, r) },
    { method: 'GET', pattern: ['runs'], scope: 'pipelines:read', handler: (c, r) => this.listRuns(c, r) },
    { method: 'GET', pattern: ['runs', ':id'], scope: 'pipelines:read', handler: (c, r) => this.getRun(c, r) },
    { method: 'DELETE', pattern: ['runs', ':id'], scope: 'pipelines:run', handler: (c, r) => this.cancelRun(c, r) },
    { method: 'GET', pattern: ['runs', ':id', 'nodes'], scope: 'pipelines:read', handler: (c, r) => this.runNodes(c, r) },
    { method: 'GET', pattern: ['runs', ':id', 'logs'], scope: 'pipelines:read', handler: (c, r) => this.runLogs(c, r) },
  ];

  constructor(clock: SimClock, options: Partial<PlanasonixOptions> = {}, seed = 1) {
    super(clock, options, seed);
  }

  /** Requests the log object store received (tests assert that none carried credentials). */
  objectStoreRequests(): ObjectStoreRequest[] {
    return this.objectStore.requests();
  }

  /** Stops the log object store (the main simulator server is closed by its owner). */
  async close(): Promise<void> {
    await this.objectStore.close();
  }

  claims(req: SimRequest): boolean {
    return this.innerPath(req.path) !== undefined || FAMILIES.some((f) => f.test(req.path));
  }

  /** The path after the base path, when the request carries the base path and belongs to this API. */
  private innerPath(path: string): string | undefined {
    const base = this.options.basePath.replace(/\/+$/, '');
    if (!path.startsWith(`${base}/api/`)) return undefined;
    const inner = path.slice(base.length);
    return FAMILIES.some((f) => f.test(inner)) ? inner : undefined;
  }

  async handle(req: SimRequest, res: SimResponse): Promise<boolean> {
    if (!this.claims(req)) return false;
    const ctx: RequestContext = { req, params: {}, query: { ...req.query }, now: this.clock.now(), headers: {} };
    try {
      const inner = this.innerPath(req.path);
      if (inner === undefined) {
        const where = this.options.basePath ? ` (this deployment serves the API under ${this.options.basePath}/api)` : '';
        throw this.error(404, 'not_found', `No route for ${req.method} ${req.path}${where}`);
      }
      ctx.key = this.authenticate(req);
      this.rateLimit(ctx, ctx.key);
      if (this.options.apiDisabled !== false) {
        throw this.error(
          this.options.apiDisabled,
          'orchestration_api_disabled',
          'The Orchestration API is not enabled for this organization. It is an Enterprise feature: an organization admin can enable it under Settings → Orchestration API.',
        );
      }
      const { route, params } = this.route(req.method, inner);
      ctx.params = params;
      if (!ctx.key.scopes.has(route.scope)) {
        throw this.error(403, 'insufficient_scope', `This API key lacks the scope ${route.scope}`);
      }
      await route.handler(ctx, res);
      this.noteTrigger(ctx, res.reply?.status ?? 500);
    } catch (error) {
      if (!(error instanceof Answer)) throw error;
      res.json(error.status, error.body, { ...ctx.headers, ...error.headers });
      this.noteTrigger(ctx, error.status);
    }
    if (res.reply) res.reply.headers = { ...lowerCaseKeys(ctx.headers), ...res.reply.headers };
    return true;
  }

  // ----- errors, auth, rate limits, routing -------------------------------------------------------------

  /** An error body in the configured shape (apis.md §3.5), with extra top-level fields. */
  private error(status: number, code: string, message: string, extra: Record<string, unknown> = {}, headers: Record<string, string> = {}): Answer {
    switch (this.options.errorShape) {
      case 'nested':
        return new Answer(status, { error: { code, message }, ...extra }, headers);
      case 'flat':
        return new Answer(status, { code, message, ...extra }, headers);
      default:
        return new Answer(status, { error: message, ...extra }, headers);
    }
  }

  private authenticate(req: SimRequest): KeyRecord {
    let token: string | undefined;
    const authorization = req.headers['authorization'];
    if (authorization !== undefined) {
      const match = /^Bearer +(\S+)\s*$/i.exec(authorization);
      if (!match) throw this.error(401, 'malformed_token', 'Malformed Authorization header: expected "Bearer <api key>"');
      token = match[1];
    } else if (this.options.acceptLegacyKeyHeaders) {
      token = req.headers['x-planasonix-api-key'] ?? req.headers['x-planasonix-key'];
    }
    if (!token) throw this.error(401, 'missing_api_key', 'Missing API key: send Authorization: Bearer <api key>');
    const key = this.keys.get(token);
    if (!key) throw this.error(401, 'invalid_api_key', 'Invalid API key');
    if (key.revoked) throw this.error(401, 'revoked_api_key', 'This API key has been revoked');
    if (this.options.policyBlock) throw this.error(403, 'ip_not_allowed', 'Request blocked by the organization network policy (IP allowlist)');
    return key;
  }

  /** Per key and per workspace windows (apis.md §3.5), in REAL time unless the options say 'simulated'. */
  private rateLimit(ctx: RequestContext, key: KeyRecord): void {
    const limits = this.options.rateLimit;
    if (!limits) return;
    const now = limits.clock === 'simulated' ? ctx.now : Date.now();
    const buckets: Array<{ bucket: Bucket; limit: number }> = [
      { bucket: this.bucket(`key:${key.key}`, now, limits.windowMs), limit: limits.perKey },
      { bucket: this.bucket(`ws:${key.workspace}`, now, limits.windowMs), limit: limits.perWorkspace },
    ];
    const limited = buckets.find((b) => b.bucket.count >= b.limit);
    if (!limited) for (const b of buckets) b.bucket.count++;
    // The tightest bucket speaks for the headers.
    const tightest = limited ?? buckets.reduce((a, b) => (b.limit - b.bucket.count < a.limit - a.bucket.count ? b : a));
    const resetMs = Math.max(0, tightest.bucket.startMs + limits.windowMs - now);
    if (this.options.rateLimitHeaders) {
      ctx.headers['X-RateLimit-Limit'] = String(tightest.limit);
      ctx.headers['X-RateLimit-Remaining'] = String(Math.max(0, tightest.limit - tightest.bucket.count));
      ctx.headers['X-RateLimit-Reset'] = String(Math.ceil(resetMs / 1000));
    }
    if (!limited) return;
    const headers: Record<string, string> = {};
    if (this.options.retryAfter === 'seconds') headers['Retry-After'] = String(Math.max(1, Math.ceil(resetMs / 1000)));
    if (this.options.retryAfter === 'http-date') headers['Retry-After'] = new Date((Math.ceil((now + resetMs) / 1000) + 1) * 1000).toUTCString();
    const which = limited === buckets[0] ? 'this API key' : 'this workspace';
    throw this.error(429, 'rate_limited', `Rate limit exceeded for ${which}. Retry later.`, {}, headers);
  }

  private bucket(id: string, now: number, windowMs: number): Bucket {
    let bucket = this.buckets.get(id);
    if (!bucket || now - bucket.startMs >= windowMs) {
      bucket = { startMs: now, count: 0 };
      this.buckets.set(id, bucket);
    }
    return bucket;
  }

  private route(method: string, inner: string): { route: Route; params: Record<string, string> } {
    let segments: string[];
    try {
      segments = inner
        .slice('/api/'.length)
        .split('/')
        .filter((s, i, all) => !(s === '' && i === all.length - 1))
        .map((s) => decodeURIComponent(s));
    } catch {
      throw this.error(400, 'bad_request', 'Malformed path');
    }
    const match = findRoute(this.routes, method, segments);
    if (match.kind === 'found') return { route: match.route, params: match.params };
    if (match.kind === 'method-not-allowed') {
      throw this.error(405, 'method_not_allowed', `Method ${method} not allowed`, {}, { Allow: match.allowed.join(', ') });
    }
    throw this.error(404, 'not_found', `No route for ${method} /api/${segments.join('/')}`);
  }

  private noteTrigger(ctx: RequestContext, status: number): void {
    if (ctx.trigger) this.recordTrigger({ ...ctx.trigger, status });
  }

  // ----- request readers --------------------------------------------------------------------------------

  private body(ctx: RequestContext): Record<string, unknown> {
    const text = ctx.req.body.trim();
    if (text === '') return {};
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      throw this.error(400, 'invalid_json', 'The request body is not valid JSON');
    }
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw this.error(400, 'invalid_body', 'The request body must be a JSON object');
    return parsed as Record<string, unknown>;
  }

  private choice(body: Record<string, unknown>, name: string, allowed: string[], fallback: string): string {
    const value = body[name];
    if (value === undefined || value === null) return fallback;
    if (typeof value !== 'string' || !allowed.includes(value)) {
      throw this.error(400, 'validation_error', `${name} must be one of ${allowed.join(', ')}`);
    }
    return value;
  }

  private stringList(body: Record<string, unknown>, name: string): string[] {
    const value = body[name];
    if (value === undefined || value === null) return [];
    if (!Array.isArray(value) || value.some((v) => typeof v !== 'string')) throw this.error(400, 'validation_error', `${name} must be a list of strings`);
    return value as string[];
  }

  private object(body: Record<string, unknown>, name: string): Record<string, unknown> {
    const value = body[name];
    if (value === undefined || value === null) return {};
    if (typeof value !== 'object' || Array.isArray(value)) throw this.error(400, 'validation_error', `${name} must be an object`);
    return value as Record<string, unknown>;
  }

  /** The key the server honours (options.idempotency), and where each candidate came from. */
  private idempotencyKey(ctx: RequestContext, body: Record<string, unknown>): Pick<PlanasonixTriggerRecord, 'idempotencyKey' | 'keySource' | 'headerKey' | 'bodyKey'> {
    const headerKey = ctx.req.headers['idempotency-key']?.trim() || undefined;
    const bodyKey = typeof body.idempotency_key === 'string' && body.idempotency_key.trim() ? body.idempotency_key.trim() : undefined;
    const mode = this.options.idempotency;
    const out: Pick<PlanasonixTriggerRecord, 'idempotencyKey' | 'keySource' | 'headerKey' | 'bodyKey'> = { keySource: 'none' };
    if (headerKey !== undefined) out.headerKey = headerKey;
    if (bodyKey !== undefined) out.bodyKey = bodyKey;
    if ((mode === 'both' || mode === 'header') && headerKey !== undefined) {
      out.idempotencyKey = headerKey;
      out.keySource = 'header';
    } else if ((mode === 'both' || mode === 'body') && bodyKey !== undefined) {
      out.idempotencyKey = bodyKey;
      out.keySource = 'body';
    }
    return out;
  }

  private int(ctx: RequestContext, name: string, fallback: number, min: number, max: number): number {
    const raw = ctx.query[name];
    if (raw === undefined || raw === '') return fallback;
    if (!/^\d{1,9}$/.test(raw)) throw this.error(400, 'validation_error', `${name} must be an integer`);
    const value = Number(raw);
    if (value < min || value > max) throw this.error(400, 'validation_error', `${name} must be between ${min} and ${max}`);
    return value;
  }

  /** A page of a list in the configured shape: `limit` + `offset` (v1) or `cursor` (REST), both accepted. */
  private page(ctx: RequestContext, res: SimResponse, items: unknown[]): void {
    const asked = this.int(ctx, 'limit', this.options.defaultPageSize, 1, 100);
    const limit = this.options.pageCap === null ? asked : Math.max(1, Math.min(asked, this.options.pageCap));
    let offset = this.int(ctx, 'offset', 0, 0, 1e9);
    const cursor = ctx.query['cursor'];
    if (cursor) {
      const decoded = /^c(\d+)$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
      if (!decoded) throw this.error(400, 'invalid_cursor', 'Invalid cursor');
      offset = Number(decoded[1]);
    }
    const slice = items.slice(offset, offset + limit);
    const next = offset + limit < items.length ? Buffer.from(`c${offset + limit}`).toString('base64url') : null;
    switch (this.options.listShape) {
      case 'bare':
        res.json(200, slice);
        return;
      case 'cursor':
        res.json(200, { data: slice, meta: { cursor: next, total: items.length } });
        return;
      default:
        res.json(200, { data: slice, meta: { page: { cursor: next, size: limit } } });
    }
  }

  /** The order of job and run lists (options.listOrder; undocumented, apis.md §3.5). */
  private listSort(a: Activity, b: Activity): number {
    return this.options.listOrder === 'oldest-first' ? a.createdMs - b.createdMs : b.createdMs - a.createdMs;
  }

  private ts(ms: number): string {
    const iso = new Date(ms).toISOString();
    return this.options.timestamps === 'utc' ? iso : iso.slice(0, 19);
  }

  private tsOrNull(ms: number | null | undefined, now: number): string | null {
    return ms === null || ms === undefined || !Number.isFinite(ms) || ms > now ? null : this.ts(ms);
  }

  private isActive(a: Activity, now: number): boolean {
    const phase = phaseAt(a, now);
    return phase === 'queued' || phase === 'running' || phase === 'cancelling';
  }

  // ----- sync jobs --------------------------------------------------------------------------------------

  private findJob(ctx: RequestContext): JobRecord {
    const job = this.jobList.find((j) => j.id === ctx.params['id'] && j.createdMs <= ctx.now);
    if (!job) throw this.error(404, 'job_not_found', `Job ${ctx.params['id']} not found`);
    return job;
  }

  private jobJson(job: JobRecord, now: number): Record<string, unknown> {
    const end = endOf(job, now);
    return {
      id: job.id,
      type: job.type,
      status: this.jobWord(job, now),
      connection_id: job.connectionId,
      pipeline_id: null,
      sync_type: job.syncType,
      priority: job.priority,
      streams: job.streams,
      created_at: this.ts(job.createdMs),
      queued_at: this.ts(job.createdMs),
      started_at: this.tsOrNull(job.startMs, now),
      finished_at: end ? this.ts(end.at) : null,
      progress: { rows_synced: rowsAt(job, now) },
      error: end?.kind === 'failure' ? { code: job.errorCode ?? 'job_failed', message: job.errorMessage ?? 'The job failed while stopping after a cancel request' } : null,
      metadata: job.metadata,
      ...(job.idempotencyKey !== undefined && { idempotency_key: job.idempotencyKey }),
    };
  }

  /** The 202 of a sync in the configured shape. */
  private syncAnswer(job: JobRecord, now: number): unknown {
    switch (this.options.syncResponseShape) {
      case 'enveloped':
        return { data: { job: this.jobJson(job, now) } };
      case 'flat':
        return { job_id: job.id, status: this.jobWord(job, now) };
      default:
        return { status: this.jobWord(job, now), message: 'Sync queued' };
    }
  }

  /** A replay of a key first used for something else than a sync (the dangerous server): the id only. */
  private syncAnswerForId(id: string): unknown {
    switch (this.options.syncResponseShape) {
      case 'enveloped':
        return { data: { job: { id, status: 'queued' } } };
      case 'flat':
        return { job_id: id, status: 'queued' };
      default:
        return { status: 'queued', message: 'Sync queued' };
    }
  }

  private triggerSync(ctx: RequestContext, res: SimResponse): void {
    const connectionId = ctx.params['id']!;
    ctx.trigger = { kind: 'sync', target: connectionId, keySource: 'none', replay: false };
    const body = this.body(ctx);
    const keys = this.idempotencyKey(ctx, body);
    Object.assign(ctx.trigger, keys);
    const connection = this.connections.get(connectionId);
    if (!connection) throw this.error(404, 'connection_not_found', `Connection ${connectionId} not found`);
    const syncType = this.choice(body, 'sync_type', SYNC_TYPES, 'incremental');
    const priority = this.choice(body, 'priority', PRIORITIES, 'normal');
    const streams = this.stringList(body, 'streams');
    const metadata = this.object(body, 'metadata');
    if (keys.idempotencyKey !== undefined) {
      const replayed = this.replay(ctx, keys.idempotencyKey, 'sync', connectionId);
      if (replayed) {
        const job = this.jobList.find((j) => j.id === replayed);
        res.json(this.options.idempotentReplayStatus, job ? this.syncAnswer(job, ctx.now) : this.syncAnswerForId(replayed));
        return;
      }
    }
    const active = this.jobList.find((j) => j.connectionId === connectionId && j.createdMs <= ctx.now && this.isActive(j, ctx.now));
    if (active) {
      // Vendor client: {"error": "Sync already in progress", "existing_job_id": "…"} (apis.md §3.2).
      throw this.error(409, 'sync_in_progress', 'Sync already in progress', { existing_job_id: active.id });
    }
    const job = this.newJob(connection, 'api', ctx.now, this.nextScenario(connection.scenarios), {
      syncType,
      priority,
      streams,
      metadata,
      ...(keys.idempotencyKey !== undefined && { idempotencyKey: keys.idempotencyKey }),
    });
    if (keys.idempotencyKey !== undefined) this.rememberKey(keys.idempotencyKey, { kind: 'sync', target: connectionId, resourceId: job.id });
    ctx.trigger.resourceId = job.id;
    res.json(202, this.syncAnswer(job, ctx.now));
  }

  /**
   * A repeated key: the id of the resource to answer again, or undefined for a new key. A key first used for
   * another target is replayed anyway (the dangerous server) or refused with 422, per options.
   */
  private replay(ctx: RequestContext, key: string, kind: 'sync' | 'backfill' | 'pipeline-run', target: string): string | undefined {
    const entry = this.knownKey(key);
    if (!entry) return undefined;
    if ((entry.kind !== kind || entry.target !== target) && this.options.idempotencyKeyReuse === 422) {
      throw this.error(422, 'idempotency_key_reused', 'This idempotency key was already used for a different request');
    }
    ctx.trigger!.replay = true;
    ctx.trigger!.resourceId = entry.resourceId;
    return entry.resourceId;
  }

  private listJobs(ctx: RequestContext, res: SimResponse): void {
    const connectionId = ctx.query['connection_id'];
    const statuses = ctx.query['status']?.split(',').map((s) => s.trim().toLowerCase()).filter(Boolean);
    const jobs = this.jobList
      .filter((j) => j.createdMs <= ctx.now && (connectionId === undefined || j.connectionId === connectionId))
      .filter((j) => !statuses || statuses.includes(this.jobWord(j, ctx.now).toLowerCase()))
      .sort((a, b) => this.listSort(a, b));
    for (const job of jobs) this.touch(job, ctx.now);
    this.page(ctx, res, jobs.map((j) => this.jobJson(j, ctx.now)));
  }

  private getJob(ctx: RequestContext, res: SimResponse): void {
    const job = this.findJob(ctx);
    this.touch(job, ctx.now);
    const json = this.jobJson(job, ctx.now);
    const shape = this.options.jobDetailShape;
    res.json(200, shape === 'flat' ? json : shape === 'data' ? { data: json } : { data: { job: json } });
  }

  private jobResults(ctx: RequestContext, res: SimResponse): void {
    const job = this.findJob(ctx);
    const rows = rowsAt(job, ctx.now);
    const streams = job.streams.length > 0 ? job.streams : (this.connections.get(job.connectionId)?.tables ?? []);
    const share = streams.length > 0 ? Math.floor(rows / streams.length) : 0;
    res.json(200, {
      job_id: job.id,
      status: this.jobWord(job, ctx.now),
      summary: { total_rows_synced: rows, streams: streams.map((name) => ({ name, rows_synced: share })) },
    });
  }

  private cancelJob(ctx: RequestContext, res: SimResponse): void {
    const job = this.findJob(ctx);
    if (!this.requestCancel(job, ctx.now)) {
      this.recordCancel({ kind: 'job', id: job.id, status: this.options.cancelFinished });
      throw this.error(this.options.cancelFinished, 'job_not_cancellable', `Job ${job.id} has already finished (${this.jobWord(job, ctx.now)})`);
    }
    this.recordCancel({ kind: 'job', id: job.id, status: 202 });
    res.json(202, { message: 'Cancellation requested', data: { job: this.jobJson(job, ctx.now) } });
  }

  // ----- backfills --------------------------------------------------------------------------------------

  private backfillJson(b: BackfillRecord, now: number): Record<string, unknown> {
    const end = endOf(b, now);
    const percent = progressPercentAt(b, now);
    const word = this.jobWord(b, now);
    return {
      id: b.id,
      connection_id: b.connectionId,
      status: word,
      start_at: b.startAt,
      end_at: b.endAt,
      tables: b.tables,
      priority: b.priority,
      progress_percent: percent,
      created_at: this.ts(b.createdMs),
      started_at: this.tsOrNull(b.startMs, now),
      finished_at: end ? this.ts(end.at) : null,
      error: end?.kind === 'failure' ? { code: b.errorCode ?? 'backfill_failed', message: b.errorMessage ?? 'The backfill failed' } : null,
      // A large window is split into internal jobs (apis.md §3.2); their words are NOT the backfill's status.
      internal_jobs: Array.from({ length: b.chunks }, (_, i) => {
        const from = (100 * i) / b.chunks;
        const to = (100 * (i + 1)) / b.chunks;
        const status = percent >= to ? 'completed' : percent >= from ? (end ? word : 'running') : end ? 'skipped' : 'queued';
        return { id: `${b.id}_part${i + 1}`, status };
      }),
      metadata: b.metadata,
    };
  }

  private triggerBackfill(ctx: RequestContext, res: SimResponse): void {
    const connectionId = ctx.params['id']!;
    ctx.trigger = { kind: 'backfill', target: connectionId, keySource: 'none', replay: false };
    const body = this.body(ctx);
    const keys = this.idempotencyKey(ctx, body);
    Object.assign(ctx.trigger, keys);
    const connection = this.connections.get(connectionId);
    if (!connection) throw this.error(404, 'connection_not_found', `Connection ${connectionId} not found`);
    const startAt = body.start_at;
    const endAt = body.end_at;
    if (typeof startAt !== 'string' || typeof endAt !== 'string' || Number.isNaN(Date.parse(startAt)) || Number.isNaN(Date.parse(endAt))) {
      throw this.error(400, 'validation_error', 'start_at and end_at are required ISO 8601 dates');
    }
    if (Date.parse(startAt) >= Date.parse(endAt)) throw this.error(400, 'validation_error', 'start_at must be before end_at');
    const tables = this.stringList(body, 'tables');
    const priority = this.choice(body, 'priority', PRIORITIES, 'low');
    const metadata = this.object(body, 'metadata');
    if (keys.idempotencyKey !== undefined) {
      const replayed = this.replay(ctx, keys.idempotencyKey, 'backfill', connectionId);
      if (replayed) {
        const backfill = this.backfillList.find((b) => b.id === replayed);
        res.json(this.options.idempotentReplayStatus, backfill ? { data: { backfill: this.backfillJson(backfill, ctx.now) } } : { data: { backfill: { id: replayed } } });
        return;
      }
    }
    if (this.options.backfillWhileActive === 409) {
      const job = this.jobList.find((j) => j.connectionId === connectionId && j.createdMs <= ctx.now && this.isActive(j, ctx.now));
      const backfill = this.backfillList.find((b) => b.connectionId === connectionId && this.isActive(b, ctx.now));
      if (backfill) throw this.error(409, 'backfill_in_progress', 'Backfill already in progress', { existing_backfill_id: backfill.id });
      if (job) throw this.error(409, 'sync_in_progress', 'Sync already in progress', { existing_job_id: job.id });
    }
    const backfill = this.newBackfill(connection, ctx.now, this.nextScenario(connection.backfillScenarios), {
      startAt,
      endAt,
      tables,
      priority,
      metadata,
      ...(keys.idempotencyKey !== undefined && { idempotencyKey: keys.idempotencyKey }),
    });
    if (keys.idempotencyKey !== undefined) this.rememberKey(keys.idempotencyKey, { kind: 'backfill', target: connectionId, resourceId: backfill.id });
    ctx.trigger.resourceId = backfill.id;
    res.json(202, { data: { backfill: this.backfillJson(backfill, ctx.now) } });
  }

  private getBackfill(ctx: RequestContext, res: SimResponse): void {
    const backfill = this.backfillList.find((b) => b.id === ctx.params['id'] && b.createdMs <= ctx.now);
    if (!backfill) throw this.error(404, 'backfill_not_found', `Backfill ${ctx.params['id']} not found`);
    this.touch(backfill, ctx.now);
    res.json(200, { data: { backfill: this.backfillJson(backfill, ctx.now) } });
  }

  // ----- pipelines and runs -----------------------------------------------------------------------------

  private findRun(ctx: RequestContext): RunRecord {
    const run = this.runList.find((r) => r.id === ctx.params['id'] && r.createdMs <= ctx.now);
    if (!run) throw this.error(404, 'run_not_found', `Run ${ctx.params['id']} not found`);
    return run;
  }

  private endField(): string {
    return this.options.runEndField;
  }

  private runSummary(run: RunRecord, now: number): Record<string, unknown> {
    const end = endOf(run, now);
    const started = Number.isFinite(run.startMs) && run.startMs <= now;
    return {
      id: run.id,
      pipelineId: run.pipelineId,
      status: this.runWord(run, now),
      trigger: run.trigger,
      startedAt: started ? this.ts(run.startMs) : null,
      [this.endField()]: end ? this.ts(end.at) : null,
      durationSeconds: end && started ? Math.round((end.at - run.startMs) / 1000) : null,
      recordsWritten: rowsAt(run, now),
      errorMessage: end?.kind === 'failure' ? (run.errorMessage ?? 'Run failed') : null,
    };
  }

  private runJson(run: RunRecord, now: number): Record<string, unknown> {
    const end = endOf(run, now);
    const rows = rowsAt(run, now);
    return {
      ...this.runSummary(run, now),
      createdAt: this.ts(run.createdMs),
      parameters: run.parameters,
      metadata: run.metadata,
      metrics: { rowsRead: rows, rowsWritten: rows, bytesWritten: rows * 128, costUnits: Math.round(rows / 100) / 10 },
      error:
        end?.kind === 'failure'
          ? {
              code: run.errorCode ?? 'run_failed',
              message: run.errorMessage ?? 'The run failed while stopping after a cancel request',
              ...(run.stackRef !== undefined && { stackRef: run.stackRef }),
              ...(run.nodes.find((n) => n.fails) && { nodeId: run.nodes.find((n) => n.fails)!.id }),
            }
          : null,
      ...(run.idempotencyKey !== undefined && { idempotencyKey: run.idempotencyKey }),
    };
  }

  private nodeState(run: RunRecord, node: NodePlan, now: number): string {
    const runEnd = endOf(run, now);
    const doc = this.options.runWords === 'doc';
    const succeeded = doc ? 'succeeded' : 'success';
    if (node.skipped || !Number.isFinite(node.startMs) || now < node.startMs) return runEnd ? 'skipped' : 'pending';
    if (runEnd && runEnd.at < node.startMs) return 'skipped';
    const endedNaturally = node.endMs !== null && node.endMs <= now && (!runEnd || node.endMs <= runEnd.at);
    if (endedNaturally) return node.fails ? 'failed' : succeeded;
    if (!runEnd) return 'running';
    if (runEnd.kind === 'cancelled') return doc ? 'canceled' : 'cancelled';
    if (runEnd.kind === 'failure') return 'failed';
    return runEnd.kind === 'success' ? succeeded : this.runWord(run, now);
  }

  private nodeJson(run: RunRecord, node: NodePlan, now: number): Record<string, unknown> {
    const state = this.nodeState(run, node, now);
    const runEnd = endOf(run, now);
    const started = Number.isFinite(node.startMs) && node.startMs <= now && state !== 'skipped';
    let endMs: number | null = null;
    if (started && state !== 'running') endMs = node.endMs !== null && node.endMs <= now && (!runEnd || node.endMs <= runEnd.at) ? node.endMs : (runEnd?.at ?? null);
    const rows = started ? Math.min(node.rows, rowsAt(run, now)) : 0;
    return {
      id: node.id,
      name: node.name,
      state,
      startedAt: started ? this.ts(node.startMs) : null,
      [this.endField()]: endMs === null ? null : this.ts(endMs),
      retries: node.fails && state === 'failed' ? node.retries : 0,
      rowsRead: rows,
      rowsWritten: node.fails ? 0 : rows,
    };
  }

  private triggerRun(ctx: RequestContext, res: SimResponse): void {
    const pipelineId = ctx.params['id']!;
    ctx.trigger = { kind: 'pipeline-run', target: pipelineId, keySource: 'none', replay: false };
    const body = this.body(ctx);
    const keys = this.idempotencyKey(ctx, body);
    Object.assign(ctx.trigger, keys);
    const pipeline = this.pipelines.get(pipelineId);
    if (!pipeline) throw this.error(404, 'pipeline_not_found', `Pipeline ${pipelineId} not found`);
    const parameters = this.object(body, 'parameters');
    const metadata = this.object(body, 'metadata');
    if (keys.idempotencyKey !== undefined) {
      const replayed = this.replay(ctx, keys.idempotencyKey, 'pipeline-run', pipelineId);
      if (replayed) {
        const run = this.runList.find((r) => r.id === replayed);
        res.json(this.options.idempotentReplayStatus, this.runAnswer(replayed, run, ctx.now));
        return;
      }
    }
    const active = this.runList.find((r) => r.pipelineId === pipelineId && r.createdMs <= ctx.now && this.isActive(r, ctx.now));
    if (active && this.options.pipelineRunWhileActive === 409) {
      throw this.error(409, 'run_in_progress', 'Pipeline is already running', { existingRunId: active.id });
    }
    const scenario = this.nextScenario(pipeline.scenarios);
    if (scenario.refuse !== undefined) {
      res.json(this.options.refusalStatus, { success: false, message: scenario.refuse });
      return;
    }
    const run = this.newRun(pipeline, 'api', ctx.now, scenario, {
      parameters,
      metadata,
      trigger: 'manual',
      ...(keys.idempotencyKey !== undefined && { idempotencyKey: keys.idempotencyKey }),
    });
    if (keys.idempotencyKey !== undefined) this.rememberKey(keys.idempotencyKey, { kind: 'pipeline-run', target: pipelineId, resourceId: run.id });
    ctx.trigger.resourceId = run.id;
    res.json(200, this.runAnswer(run.id, run, ctx.now));
  }

  private runAnswer(id: string, run: RunRecord | undefined, now: number): unknown {
    const status = run ? this.runWord(run, now) : 'queued';
    switch (this.options.pipelineRunResponseShape) {
      case 'success-runId':
        return { success: true, message: 'Pipeline run started', runId: id };
      case 'data-id':
        return { data: run ? this.runJson(run, now) : { id, status } };
      case 'data-runId':
        return { data: { runId: id, status } };
      case 'id':
        return { id, status };
      default:
        return { success: true, message: 'Pipeline run queued' };
    }
  }

  private pipelineRuns(ctx: RequestContext, res: SimResponse): void {
    const pipelineId = ctx.params['id']!;
    if (!this.pipelines.has(pipelineId)) throw this.error(404, 'pipeline_not_found', `Pipeline ${pipelineId} not found`);
    const runs = this.runList.filter((r) => r.pipelineId === pipelineId && r.createdMs <= ctx.now).sort((a, b) => this.listSort(a, b));
    for (const run of runs) this.touch(run, ctx.now);
    this.page(ctx, res, runs.map((r) => this.runSummary(r, ctx.now)));
  }

  private listRuns(ctx: RequestContext, res: SimResponse): void {
    const pipelineId = ctx.query['pipelineId'];
    const statuses = ctx.query['status']?.split(',').map((s) => s.trim().toLowerCase()).filter(Boolean);
    const runs = this.runList
      .filter((r) => r.createdMs <= ctx.now && (pipelineId === undefined || r.pipelineId === pipelineId))
      .filter((r) => !statuses || statuses.includes(this.runWord(r, ctx.now).toLowerCase()))
      .sort((a, b) => this.listSort(a, b));
    for (const run of runs) this.touch(run, ctx.now);
    this.page(ctx, res, runs.map((r) => this.runSummary(r, ctx.now)));
  }

  /** The run in flight, or else the last finished one (apis.md §3.3); shape unknown, camelCase. */
  private executionStatus(ctx: RequestContext, res: SimResponse): void {
    const pipelineId = ctx.params['id']!;
    if (!this.pipelines.has(pipelineId)) throw this.error(404, 'pipeline_not_found', `Pipeline ${pipelineId} not found`);
    const runs = this.runList.filter((r) => r.pipelineId === pipelineId && r.createdMs <= ctx.now).sort((a, b) => b.createdMs - a.createdMs);
    const run = runs.find((r) => this.isActive(r, ctx.now)) ?? runs[0];
    if (!run) {
      res.json(200, { pipelineId, runId: null, status: 'idle' });
      return;
    }
    this.touch(run, ctx.now);
    const summary = this.runSummary(run, ctx.now);
    res.json(200, { pipelineId, runId: run.id, status: summary.status, startedAt: summary.startedAt, [this.endField()]: summary[this.endField()] });
  }

  private getRun(ctx: RequestContext, res: SimResponse): void {
    if (this.options.runDetail404) throw this.error(404, 'not_found', `Run ${ctx.params['id']} not found`);
    const run = this.findRun(ctx);
    this.touch(run, ctx.now);
    res.json(200, this.runJson(run, ctx.now));
  }

  private cancelRun(ctx: RequestContext, res: SimResponse): void {
    const run = this.findRun(ctx);
    if (!this.requestCancel(run, ctx.now)) {
      this.recordCancel({ kind: 'run', id: run.id, status: this.options.cancelFinished });
      throw this.error(this.options.cancelFinished, 'run_not_cancellable', `Run ${run.id} has already finished (${this.runWord(run, ctx.now)})`);
    }
    this.recordCancel({ kind: 'run', id: run.id, status: 202 });
    res.json(202, { success: true, message: 'Cancellation requested', runId: run.id, status: this.runWord(run, ctx.now) });
  }

  private runNodes(ctx: RequestContext, res: SimResponse): void {
    const run = this.findRun(ctx);
    this.page(ctx, res, run.nodes.map((n) => this.nodeJson(run, n, ctx.now)));
  }

  // ----- logs -------------------------------------------------------------------------------------------

  /** The visible log of a run (optionally one node), as an indexable sequence. */
  private logView(run: RunRecord, nodeId: string | undefined, now: number): { count: number; at(i: number): LogEntry } {
    const end = endOf(run, now);
    const until = end ? Math.min(now, end.at) : now;
    const segments = run.log.filter((s) => nodeId === undefined || s.nodeId === nodeId);
    const counts = segments.map((s) => visibleCount(s.count, (i) => s.entryAt(i).ms, until));
    const total = counts.reduce((a, b) => a + b, 0);
    return {
      count: total,
      at: (i: number) => {
        let rest = i;
        for (let k = 0; k < segments.length; k++) {
          if (rest < counts[k]!) return segments[k]!.entryAt(rest);
          rest -= counts[k]!;
        }
        throw new RangeError('log index out of range');
      },
    };
  }

  private async runLogs(ctx: RequestContext, res: SimResponse): Promise<void> {
    const run = this.findRun(ctx);
    const nodeId = ctx.query['nodeId'];
    if (nodeId !== undefined && !run.nodes.some((n) => n.id === nodeId)) throw this.error(404, 'node_not_found', `Node ${nodeId} not found in run ${run.id}`);
    const view = this.logView(run, nodeId, ctx.now);
    // `since`: a cursor (the index this answer ended at) or an ISO time (apis.md §3.3).
    let from = 0;
    const since = ctx.query['since'];
    if (since !== undefined && since !== '') {
      if (/^\d+$/.test(since)) from = Math.min(view.count, Number(since));
      else {
        const sinceMs = Date.parse(since);
        if (Number.isNaN(sinceMs)) throw this.error(400, 'validation_error', 'since must be an ISO time or a log cursor');
        while (from < view.count && view.at(from).ms <= sinceMs) from++;
      }
    }
    const pageLines = Math.max(1, this.options.logPageLines);
    const format = this.options.logFormat;
    if (format === 'urls') {
      const urls: string[] = [];
      for (let start = from; start < view.count; start += pageLines) {
        const stop = Math.min(view.count, start + pageLines);
        let text = '';
        for (let i = start; i < stop; i++) text += `${this.logLine(view.at(i))}\n`;
        urls.push(await this.objectStore.put(`${run.id}/${nodeId ?? 'all'}/${start}-${stop}.log`, 'text/plain; charset=utf-8', text));
      }
      res.json(200, { urls, nextCursor: String(view.count) }, { 'X-Next-Cursor': String(view.count) });
      return;
    }
    const to = Math.min(view.count, from + pageLines);
    const headers = { 'X-Next-Cursor': String(to) };
    const line = format === 'ndjson' ? (e: LogEntry) => JSON.stringify({ ts: this.ts(e.ms), level: e.level, nodeId: e.nodeId, message: e.message }) : (e: LogEntry) => this.logLine(e);
    const contentType = format === 'ndjson' ? 'application/x-ndjson' : 'text/plain; charset=utf-8';
    res.stream(200, contentType, logChunks(view, from, to, line), headers);
  }

  /**
   * Truth for live-log tests and benchmarks: a run's whole log as planned (every node, in the order the logs
   * route serves it), with the simulated time each line is written and the line as the text format prints it.
   */
  logTruth(runId: string): { count: number; writtenAtMs(index: number): number; text(index: number): string } {
    const run = this.runList.find((r) => r.id === runId);
    if (!run) throw new Error(`unknown run ${runId}`);
    const at = (i: number): LogEntry => {
      let rest = i;
      for (const segment of run.log) {
        if (rest < segment.count) return segment.entryAt(rest);
        rest -= segment.count;
      }
      throw new RangeError('log index out of range');
    };
    return { count: run.log.reduce((n, s) => n + s.count, 0), writtenAtMs: (i) => at(i).ms, text: (i) => this.logLine(at(i)) };
  }

  private logLine(e: LogEntry): string {
    return `${this.ts(e.ms)} ${e.level} [${e.nodeId}] ${e.message}`;
  }
}

// ---------------------------------------------------------------------------------------------------------

/** How many of `count` time-ordered entries are at or before `until` (binary search). */
function visibleCount(count: number, msAt: (i: number) => number, until: number): number {
  let low = 0;
  let high = count;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if (msAt(mid) <= until) low = mid + 1;
    else high = mid;
  }
  return low;
}

const LOG_CHUNK_CHARS = 64 * 1024;

function* logChunks(view: { at(i: number): LogEntry }, from: number, to: number, line: (e: LogEntry) => string): Generator<BodyChunk> {
  let chunk = '';
  for (let i = from; i < to; i++) {
    chunk += `${line(view.at(i))}\n`;
    if (chunk.length >= LOG_CHUNK_CHARS) {
      yield chunk;
      chunk = '';
    }
  }
  if (chunk) yield chunk;
}

function lowerCaseKeys(headers: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) out[name.toLowerCase()] = value;
  return out;
}

export {
  DEFAULT_PLANASONIX_OPTIONS,
  PLANASONIX_SCOPES,
  PlanasonixWorld,
  type PlanasonixCancelRecord,
  type PlanasonixKeyOptions,
  type PlanasonixNodeDefinition,
  type PlanasonixOptions,
  type PlanasonixOutcome,
  type PlanasonixRateLimit,
  type PlanasonixScenario,
  type PlanasonixScope,
  type PlanasonixTriggerRecord,
  type PlanasonixTruth,
} from './planasonix-world.js';
import { findRoute } from './router.js';
export { LogObjectStore, type ObjectStoreRequest } from './planasonix-objects.js';

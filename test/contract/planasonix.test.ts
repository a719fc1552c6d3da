/**
 * The Planasonix provider and the engine against the simulator over real loopback HTTP.
 * Every case checks what a user would notice (status, outputs, messages) and what the server saw (the
 * journal, the world): one job per step, the same idempotency key on every resend, never a false green.
 *
 * Time is simulated (helpers/machine-clock.ts): the simulator's and the engine's clocks run CONTRACT_TIME_SCALE
 * times faster than real time while the engine sleeps, and stand still while it works, so every duration below
 * (runs, windows, timeouts, Retry-After) is simulated time and no test waits it out in real time.
 */
import { readFileSync } from 'node:fs';
import { cancelSavedRuns, STATE_RUNS } from '../../src/core/engine/index.js';
import { parseSettings } from '../../src/providers/registry.js';
import { loadProvider } from '../../src/providers/registry.js';
import { PLANASONIX_STATUS } from '../../src/providers/planasonix/provider.js';
import { normalizeStatus } from '../../src/core/outcome.js';
import type { PlanasonixOptions } from '../../src/simulator/planasonix.js';
import { RecordingHost } from '../helpers/recording-host.js';
import { afterSimulated, CONTRACT_TIME_SCALE } from '../helpers/machine-clock.js';
import {
  CI,
  CONN,
  CONN2,
  FAST,
  NODE_FAILURE_LOG,
  PIPELINE,
  PLX_KEY,
  READ_ONLY_KEY,
  plxWorld as plxWorldAt,
  runPlx,
  triggerPosts,
  type PlxWorld,
} from '../helpers/planasonix.js';

let w: PlxWorld;

const plxWorld = (options: Partial<PlanasonixOptions> = {}) => plxWorldAt(options, { timeScale: CONTRACT_TIME_SCALE });

async function world(options: Partial<PlanasonixOptions> = {}): Promise<PlxWorld> {
  await w?.close();
  w = await plxWorld(options);
  return w;
}

beforeEach(async () => {
  w = await plxWorld();
});

afterEach(async () => {
  await w.close();
});

const posts = (path: RegExp) => w.sim.journal.entries({ method: 'POST', path });
const bodyOf = (entry: { body: string }) => JSON.parse(entry.body) as Record<string, unknown>;
const apiJobs = (conn = CONN) => w.plx.jobs(conn).filter((j) => j.origin === 'api');
const apiRuns = () => w.plx.runs(PIPELINE).filter((r) => r.origin === 'api');

describe('a connection sync', () => {
  test('that succeeds: green, following the job the trigger answered with, rows synced reported', async () => {
    const { outcome, host } = await runPlx(w, { connection: CONN, tables: 'orders, order_lines', 'sync-type': 'full', priority: 'high' });
    expect(outcome.status).toBe('succeeded');
    expect(outcome.exitCode).toBe(0);
    const jobs = apiJobs();
    expect(jobs).toHaveLength(1);
    expect(host.outputs.get('run-id')).toBe(jobs[0]!.id);
    expect(host.outputs.get('raw-status')).toBe('completed');
    expect(host.text()).toContain(`triggered: run ${jobs[0]!.id}`);
    expect(host.text()).toMatch(/1200 rows synced/);
    const [post] = posts(/\/sync$/);
    expect(post!.path).toBe(`/api/v1/connections/${CONN}/sync`);
    expect(post!.authHeaders).toEqual(['authorization']);
    const body = bodyOf(post!);
    expect(body).toMatchObject({ sync_type: 'full', priority: 'high', streams: ['orders', 'order_lines'] });
    // The idempotency key travels in the header AND the body, and they agree.
    expect(body.idempotency_key).toEqual(expect.any(String));
    expect(post!.headers['idempotency-key']).toBe(body.idempotency_key);
    expect(w.plx.triggers()[0]).toMatchObject({ keySource: 'header', replay: false, status: 202 });
  });

  test('the metadata carries the CI run URL, commit, actor and workflow', async () => {
    await runPlx(w, { connection: CONN });
    const metadata = bodyOf(posts(/\/sync$/)[0]!).metadata as Record<string, string>;
    expect(metadata).toMatchObject({
      triggered_by: 'orchestration-run',
      ci_system: 'github',
      ci_run_url: CI.runUrl,
      ci_run_id: '4242',
      ci_run_attempt: '1',
      commit: 'abc123def',
      actor: 'octocat',
      workflow: 'release',
      repository: 'acme/data',
    });
    // The job echoes it: the run can be traced back to the CI run on the Planasonix side.
    expect(apiJobs()[0]!.metadata.ci_run_url).toBe(CI.runUrl);
  });

  test('that fails: red, with the job error message as the failure detail and annotation', async () => {
    w.plx.setSyncScenario(CONN, { outcome: 'failure', durationMs: 200, errorMessage: 'Destination warehouse rejected the load: disk quota exceeded' });
    const { outcome, host } = await runPlx(w, { connection: CONN });
    expect(outcome.status).toBe('failed');
    expect(outcome.exitCode).toBe(1);
    const task = outcome.results[0]!.failedTasks[0]!;
    expect(task).toMatchObject({ type: 'sync job', status: 'failed' });
    expect(task.errorLines[0]).toContain('disk quota exceeded');
    expect(host.annotations().map((a) => a.text).join('\n')).toContain('disk quota exceeded');
    expect(readFileSync(outcome.logFile, 'utf8')).toContain('disk quota exceeded');
  });

  test.each(['enveloped', 'flat'] as const)('the %s 202 answer is understood', async (shape) => {
    await world({ syncResponseShape: shape });
    const { outcome, host } = await runPlx(w, { connection: CONN });
    expect(outcome.status).toBe('succeeded');
    expect(host.outputs.get('run-id')).toBe(apiJobs()[0]!.id);
  });

  test.each(['flat', 'data', 'data-job'] as const)('a job read as %s is understood', async (shape) => {
    await world({ jobDetailShape: shape });
    w.plx.setSyncScenario(CONN, { outcome: 'failure', durationMs: 200 });
    const { outcome } = await runPlx(w, { connection: CONN });
    expect(outcome.status).toBe('failed');
    expect(outcome.results[0]!.failedTasks[0]!.errorLines[0]).toContain('read timeout');
  });

  test('an answer without a job id: the new job is found through the list (the one carrying our key)', async () => {
    await world({ syncResponseShape: 'no-id' });
    w.plx.startForeignJob(CONN2, { outcome: 'success', durationMs: 100 });
    const { outcome } = await runPlx(w, { connection: CONN });
    expect(outcome.status).toBe('succeeded');
    expect(outcome.results[0]!.runId).toBe(apiJobs()[0]!.id);
    expect(triggerPosts(w)).toBe(1);
  });

  test('a versioned base path (/v1 before /api) is carried by base-url', async () => {
    await world({ basePath: '/v1' });
    const { outcome } = await runPlx(w, { connection: CONN });
    expect(outcome.status).toBe('succeeded');
    const paths = w.sim.journal.entries({ platform: 'planasonix' }).map((e) => e.path);
    expect(paths.every((p) => p.startsWith('/v1/api/'))).toBe(true);
    // Without it, the server says where the API is.
    const wrong = await runPlx({ ...w, baseUrl: w.sim.url }, { connection: CONN });
    expect(wrong.outcome.status).toBe('failed');
    expect(wrong.outcome.results[0]!.message).toMatch(/404.*\/v1\/api/);
  });
});

describe('a backfill', () => {
  const backfill = { connection: CONN, 'backfill-start': '2024-01-01', 'backfill-end': '2024-01-31', tables: 'orders' };

  test('that succeeds: progress_percent shown as progress, never used as the status', async () => {
    w.plx.setBackfillScenario(CONN, { outcome: 'success', durationMs: 900 });
    const { outcome, host } = await runPlx(w, backfill);
    expect(outcome.status).toBe('succeeded');
    const [created] = w.plx.backfills(CONN);
    expect(host.outputs.get('run-id')).toBe(created!.id);
    expect(host.text()).toMatch(/backfill \d+%/);
    expect(host.text()).toMatch(/internal jobs completed/);
    const body = bodyOf(posts(/\/backfill$/)[0]!);
    expect(body).toMatchObject({ start_at: '2024-01-01', end_at: '2024-01-31', tables: ['orders'], priority: 'normal' });
    expect(posts(/\/backfill$/)[0]!.headers['idempotency-key']).toBe(body.idempotency_key);
    expect(w.sim.journal.count({ method: 'GET', path: `/api/v1/backfills/${created!.id}` })).toBeGreaterThan(0);
  });

  test('that fails: red, with its error', async () => {
    w.plx.setBackfillScenario(CONN, { outcome: 'failure', durationMs: 300, errorMessage: 'Partition 2024-01-17 could not be read' });
    const { outcome } = await runPlx(w, backfill);
    expect(outcome.status).toBe('failed');
    expect(outcome.results[0]!.failedTasks[0]!.errorLines[0]).toContain('Partition 2024-01-17');
  });

  test('a deployment without the (guessed) backfill status path: a clear failure, not a hang', async () => {
    w.sim.faults.add({ platform: 'planasonix', method: 'GET', path: /^\/api\/v1\/backfills\//, kind: 'status', status: 404, times: Infinity, body: '{"error": "Not Found"}' });
    const { outcome } = await runPlx(w, backfill);
    expect(outcome.status).toBe('failed');
    expect(outcome.results[0]!.message).toMatch(/documents no backfill status path/);
    expect(triggerPosts(w)).toBe(1);
  });

  test('on timeout: Planasonix cannot cancel a backfill, and the step says so', async () => {
    w.plx.setBackfillScenario(CONN, { outcome: 'hang' });
    const { outcome } = await runPlx(w, { ...backfill, timeout: '1200ms' });
    expect(outcome.status).toBe('timed-out');
    expect(outcome.results[0]!.cancel?.note).toMatch(/no way to cancel a backfill/);
  });
});

describe('a pipeline run', () => {
  test('that succeeds: green, parameters and metadata sent', async () => {
    const { outcome, host } = await runPlx(w, { pipeline: PIPELINE, parameters: 'region=eu\nfull_refresh=true' });
    expect(outcome.status).toBe('succeeded');
    expect(host.outputs.get('run-id')).toBe(apiRuns()[0]!.id);
    expect(host.outputs.get('raw-status')).toBe('succeeded');
    const post = posts(/\/run$/)[0]!;
    expect(post.path).toBe(`/api/pipelines/${PIPELINE}/run`);
    const body = bodyOf(post);
    expect(body.parameters).toEqual({ region: 'eu', full_refresh: 'true' });
    expect((body.metadata as Record<string, string>).triggered_by).toBe('orchestration-run');
    expect(post.headers['idempotency-key']).toBe(body.idempotency_key);
  });

  test('that fails: the run error with its stack reference, the failing node with retries and rows, and its log', async () => {
    w.plx.setPipelineScenario(PIPELINE, { outcome: 'failure', durationMs: 300, failingNode: 'transform', logLines: NODE_FAILURE_LOG, errorMessage: 'Source connection lost: read timeout after 30s' });
    const { outcome, host } = await runPlx(w, { pipeline: PIPELINE });
    expect(outcome.status).toBe('failed');
    const tasks = outcome.results[0]!.failedTasks;
    expect(tasks.map((t) => `${t.type}:${t.id}:${t.status}`)).toEqual(['node:transform:failed']);
    const [node] = tasks;
    expect(node!.name).toBe('Transform orders');
    expect(node!.logExcerpt.join('\n')).toContain('Source connection lost: read timeout after 30s');
    expect(node!.logExcerpt.join('\n')).toContain('stack reference: trace_');
    expect(node!.errorLines.join('\n')).toContain('read timeout after 30s');
    const file = readFileSync(outcome.logFile, 'utf8');
    expect(file).toMatch(/node Transform orders \(transform\): failed — 2 retries, \d+ rows read, 0 rows written/);
    for (const line of NODE_FAILURE_LOG) expect(file).toContain(line.replace(/^(WARN|ERROR) /, ''));
    expect(file).toMatch(/WARN \[transform\] retry 1\/2 after read timeout/);
    expect(w.sim.journal.count({ method: 'GET', path: /\/logs$/ })).toBeGreaterThan(0);
    expect(host.annotations().length).toBeGreaterThan(0);
    expect(outcome.results[0]!.message).toMatch(/failed: Transform orders/);
  });

  test.each(['success-runId', 'data-id', 'data-runId', 'id'] as const)('the %s trigger answer is understood', async (shape) => {
    await world({ pipelineRunResponseShape: shape });
    const { outcome, host } = await runPlx(w, { pipeline: PIPELINE });
    expect(outcome.status).toBe('succeeded');
    expect(host.outputs.get('run-id')).toBe(apiRuns()[0]!.id);
  });

  test('an answer without a run id: found through the runs list', async () => {
    await world({ pipelineRunResponseShape: 'no-id', listShape: 'cursor' });
    const { outcome } = await runPlx(w, { pipeline: PIPELINE });
    expect(outcome.status).toBe('succeeded');
    expect(outcome.results[0]!.runId).toBe(apiRuns()[0]!.id);
  });

  test('{success: false, message}: a clear failure, nothing followed', async () => {
    w.plx.setPipelineScenario(PIPELINE, { outcome: 'success', refuse: 'Pipeline is paused' });
    const { outcome } = await runPlx(w, { pipeline: PIPELINE });
    expect(outcome.status).toBe('failed');
    expect(outcome.results[0]!.message).toMatch(/refused to start pipeline run of pipeline\/pl_daily_finance: Pipeline is paused/);
    expect(apiRuns()).toHaveLength(0);
    expect(triggerPosts(w)).toBe(1);
  });

  test('the other words (success, cancelled) and endedAt are understood', async () => {
    await world({ runWords: 'alt', runEndField: 'endedAt' });
    const ok = await runPlx(w, { pipeline: PIPELINE });
    expect(ok.outcome.status).toBe('succeeded');
    expect(ok.outcome.results[0]!.rawStatus).toBe('success');
    expect(ok.outcome.results[0]!.finishedAt).toEqual(expect.any(String));
    w.plx.setPipelineScenario(PIPELINE, { outcome: 'cancelled', durationMs: 200 });
    // Another CI attempt: the same attempt would get the first run back (same idempotency key).
    const cancelled = await runPlx(w, { pipeline: PIPELINE }, {}, { ...CI, attempt: '2' });
    expect(cancelled.outcome.status).toBe('cancelled');
    expect(cancelled.outcome.results[0]!.rawStatus).toBe('cancelled');
  });

  test('GET /api/runs/{id} answering 404: followed through execution-status, never through another run', async () => {
    await world({ runDetail404: true });
    w.plx.setPipelineScenario(PIPELINE, { outcome: 'failure', durationMs: 400 });
    // Someone else's run starts right after ours and succeeds: execution-status shows it, not ours.
    const watcher = setInterval(() => {
      if (triggerPosts(w) > 0) {
        clearInterval(watcher);
        w.plx.startForeignRun(PIPELINE, { outcome: 'success', durationMs: 100, trigger: 'manual' });
      }
    }, 1);
    const { outcome } = await runPlx(w, { pipeline: PIPELINE }).finally(() => clearInterval(watcher));
    expect(outcome.status).toBe('failed');
    expect(outcome.results[0]!.runId).toBe(apiRuns()[0]!.id);
    expect(w.sim.journal.count({ path: `/api/pipelines/${PIPELINE}/execution-status` })).toBeGreaterThan(1);
  });
});

describe('logs', () => {
  const failing = () =>
    w.plx.setPipelineScenario(PIPELINE, { outcome: 'failure', durationMs: 300, failingNode: 'load', logLines: NODE_FAILURE_LOG });

  test('as NDJSON: one formatted line per entry', async () => {
    await world({ logFormat: 'ndjson' });
    failing();
    const { outcome } = await runPlx(w, { pipeline: PIPELINE });
    const node = outcome.results[0]!.failedTasks[0]!;
    expect(node.logExcerpt.some((l) => /Z ERROR \[load\] Source connection lost/.test(l))).toBe(true);
    expect(node.errorLines.some((l) => /ERROR \[load\] Source connection lost/.test(l))).toBe(true);
  });

  test('as URLs on another origin: fetched WITHOUT the key (the object store rejects Authorization)', async () => {
    await world({ logFormat: 'urls', logPageLines: 2 });
    failing();
    const { outcome } = await runPlx(w, { pipeline: PIPELINE });
    const node = outcome.results[0]!.failedTasks[0]!;
    expect(node.logExcerpt.join('\n')).toContain('ERROR [load] Source connection lost');
    const fetched = w.plx.objectStoreRequests();
    expect(fetched.length).toBeGreaterThanOrEqual(3);
    expect(fetched.every((r) => r.credentialHeaders.length === 0 && r.status === 200)).toBe(true);
    // The store is another origin, and it does refuse a request that carries the key.
    const run = apiRuns()[0]!;
    const answer = (await (await fetch(`${w.sim.url}/api/runs/${run.id}/logs`, { headers: { Authorization: `Bearer ${PLX_KEY}` } })).json()) as { urls: string[] };
    expect(new URL(answer.urls[0]!).origin).not.toBe(new URL(w.sim.url).origin);
    expect((await fetch(answer.urls[0]!, { headers: { Authorization: `Bearer ${PLX_KEY}` } })).status).toBe(403);
  });

  test('incremental with since: a log served a few lines at a time is read whole, in order', async () => {
    await world({ logPageLines: 2 });
    failing();
    const { outcome } = await runPlx(w, { pipeline: PIPELINE });
    const reads = w.sim.journal.entries({ method: 'GET', path: /\/logs$/ });
    expect(reads.length).toBeGreaterThanOrEqual(3);
    expect(reads.slice(1).every((r) => /^\d+$/.test(r.query.since ?? ''))).toBe(true);
    const file = readFileSync(outcome.logFile, 'utf8');
    const positions = NODE_FAILURE_LOG.map((l) => file.lastIndexOf(l.replace(/^(WARN|ERROR) /, '')));
    expect(positions.every((p) => p >= 0)).toBe(true);
    expect([...positions].sort((a, b) => a - b)).toEqual(positions);
    expect(outcome.results[0]!.failedTasks[0]!.logLineCount).toBeGreaterThanOrEqual(NODE_FAILURE_LOG.length + 1);
  });

  test('a huge log is streamed to the log file; only the tail is kept for printing', async () => {
    w.plx.setPipelineScenario(PIPELINE, { outcome: 'failure', durationMs: 300, failingNode: 'extract', logLineCount: 60_000 });
    const { outcome } = await runPlx(w, { pipeline: PIPELINE, 'log-lines': '5' });
    const node = outcome.results[0]!.failedTasks[0]!;
    expect(node.logLineCount).toBeGreaterThanOrEqual(60_000);
    expect(node.logExcerpt).toHaveLength(5);
    expect(node.logExcerpt[4]).toMatch(/node failed after 2 retries/);
  });

  test('server text cannot inject CI commands', async () => {
    w.plx.setPipelineScenario(PIPELINE, {
      outcome: 'failure',
      durationMs: 200,
      logLines: ['::error::fake', '##vso[task.complete result=Succeeded]', 'ERROR \u001b[31mred\u001b[0m'],
    });
    const { host } = await runPlx(w, { pipeline: PIPELINE });
    for (const line of host.lines) {
      expect(line.text).not.toMatch(/^::/);
      expect(line.text).not.toContain('##vso[');
    }
  });
});

describe('idempotency: never a second job', () => {
  // Issue 12: Planasonix documents no idempotency for what we send, so a trigger that may have been applied
  // is never sent again blindly: the step looks for the job or run carrying its key and adopts it.
  test('a trigger applied by the server whose answer is lost is not sent again: the job carrying our key is adopted', async () => {
    w.sim.faults.add({ platform: 'planasonix', method: 'POST', path: /\/sync$/, kind: 'apply-then-reset' });
    const { outcome, host } = await runPlx(w, { connection: CONN });
    expect(outcome.status).toBe('succeeded');
    const sent = posts(/\/sync$/);
    expect(sent).toHaveLength(1);
    expect(sent[0]!.fault).toBe('apply-then-reset');
    expect(apiJobs()).toHaveLength(1);
    expect(outcome.results[0]!.runId).toContain(apiJobs()[0]!.id);
    expect(host.text()).toMatch(new RegExp(`answer was lost.*adopted run ${apiJobs()[0]!.id}.*idempotency key`));
  });

  test('a pipeline run refused with a 503 the server did not apply: nothing appears, the target is idle, so it is sent once more with the SAME key', async () => {
    w.sim.faults.add({ platform: 'planasonix', method: 'POST', path: /\/run$/, kind: 'status', status: 503 });
    const { outcome, host } = await runPlx(w, { pipeline: PIPELINE });
    expect(outcome.status).toBe('succeeded');
    const sent = posts(/\/run$/);
    expect(sent).toHaveLength(2);
    expect(new Set(sent.map((s) => s.headers['idempotency-key'])).size).toBe(1);
    expect(apiRuns()).toHaveLength(1);
    expect(host.text()).toMatch(/sending the trigger again/);
  });

  test.each([
    ['sync', /\/sync$/, { connection: CONN }],
    ['pipeline run', /\/run$/, { pipeline: PIPELINE }],
  ] as const)('a %s whose answer is lost: the one job it started is found by its key and followed, with one POST', async (_kind, path, inputs) => {
    w.sim.faults.add({ platform: 'planasonix', method: 'POST', path, kind: 'apply-then-reset', times: Infinity });
    const { outcome, host } = await runPlx(w, inputs);
    expect(posts(path)).toHaveLength(1);
    const started = 'connection' in inputs ? apiJobs() : apiRuns();
    expect(started).toHaveLength(1);
    expect(outcome.status).toBe('succeeded');
    expect(outcome.results[0]!.runId).toContain(started[0]!.id);
    expect(host.text()).toMatch(/answer was lost.*adopted run .*carries this step's idempotency key/);
  });

  test.each(['header', 'body'] as const)('a server honouring only the %s key still starts one job', async (mode) => {
    await world({ idempotency: mode });
    w.sim.faults.add({ platform: 'planasonix', method: 'POST', path: /\/sync$/, kind: 'apply-then-reset' });
    const { outcome } = await runPlx(w, { connection: CONN });
    expect(outcome.status).toBe('succeeded');
    expect(apiJobs()).toHaveLength(1);
    expect(w.plx.triggers().map((t) => t.keySource)).toEqual([mode]);
  });

  test('a server ignoring idempotency keys: the job of the lost answer carries our key in its metadata, and is adopted', async () => {
    await world({ idempotency: 'none' });
    w.sim.faults.add({ platform: 'planasonix', method: 'POST', path: /\/sync$/, kind: 'apply-then-reset' });
    const { outcome, host } = await runPlx(w, { connection: CONN });
    expect(outcome.status).toBe('succeeded');
    expect(apiJobs()).toHaveLength(1);
    expect(triggerPosts(w)).toBe(1);
    expect(outcome.results[0]!.runId).toContain(apiJobs()[0]!.id);
    expect(host.text()).toMatch(/carries this step's idempotency key \(metadata\.idempotency_key\)/);
  });

  test('the key is derived from the CI run id, attempt and target: the same step again gets the same job, a new attempt a new one', async () => {
    w.plx.setSyncScenario(CONN, { outcome: 'success', durationMs: 200 });
    const first = await runPlx(w, { connection: CONN });
    const key = posts(/\/sync$/)[0]!.headers['idempotency-key']!;
    expect(key).toMatch(/^orun-github-4242-1-[0-9a-f]{12}$/);
    const again = await runPlx(w, { connection: CONN });
    expect(again.outcome.results[0]!.runId).toBe(first.outcome.results[0]!.runId);
    expect(again.host.text()).toMatch(/answered 200 \(not 202\)/);
    expect(apiJobs()).toHaveLength(1);
    const retried = await runPlx(w, { connection: CONN }, {}, { ...CI, attempt: '2', runUrl: `${CI.runUrl!.replace(/1$/, '2')}` });
    expect(retried.outcome.results[0]!.runId).not.toBe(first.outcome.results[0]!.runId);
    expect(apiJobs()).toHaveLength(2);
  });

  test('without a CI run id (local CLI) every invocation has its own random key', async () => {
    const local = { system: 'cli' as const };
    await runPlx(w, { connection: CONN }, {}, local);
    await runPlx(w, { connection: CONN }, {}, local);
    const keys = posts(/\/sync$/).map((p) => p.headers['idempotency-key']);
    expect(keys[0]).toMatch(/^orun-local-/);
    expect(keys[0]).not.toBe(keys[1]);
    expect(apiJobs()).toHaveLength(2);
  });

  test('the idempotency-key input: as given for one target, made distinct per target for several', async () => {
    await runPlx(w, { connection: CONN, 'idempotency-key': 'release-2024-06-01' });
    expect(posts(/\/sync$/)[0]!.headers['idempotency-key']).toBe('release-2024-06-01');
    // A server that replays by key alone would answer every target with the first target's job.
    const { outcome } = await runPlx(w, { connection: `${CONN}\n${CONN2}`, 'idempotency-key': 'release-2024-06-02' });
    expect(outcome.status).toBe('succeeded');
    const keys = posts(/\/sync$/).slice(1).map((p) => p.headers['idempotency-key']);
    expect(keys).toHaveLength(2);
    expect(keys[0]).not.toBe(keys[1]);
    expect(keys.every((k) => k!.startsWith('release-2024-06-02-'))).toBe(true);
    expect(apiJobs(CONN2)).toHaveLength(1);
    expect(outcome.results[1]!.runId).toBe(apiJobs(CONN2)[0]!.id);
  });
});

describe('if-running (409 with existing_job_id)', () => {
  test('fail: the job in flight is seen before triggering; nothing is triggered', async () => {
    w.plx.startForeignJob(CONN, { outcome: 'success', durationMs: 5000 });
    const { outcome } = await runPlx(w, { connection: CONN });
    expect(outcome.status).toBe('failed');
    expect(outcome.results[0]!.message).toMatch(/already running/);
    expect(triggerPosts(w)).toBe(0);
  });

  test('attach: follows the job in flight, triggers nothing', async () => {
    const foreign = w.plx.startForeignJob(CONN, { outcome: 'failure', durationMs: 500 });
    const { outcome } = await runPlx(w, { connection: CONN, 'if-running': 'attach' });
    expect(triggerPosts(w)).toBe(0);
    expect(outcome.results[0]!.runId).toBe(foreign);
    expect(outcome.status).toBe('failed');
  });

  test('queue: waits for the job in flight, then triggers once', async () => {
    w.plx.startForeignJob(CONN, { outcome: 'success', durationMs: 500 });
    const { outcome } = await runPlx(w, { connection: CONN, 'if-running': 'queue' });
    expect(outcome.status).toBe('succeeded');
    expect(triggerPosts(w)).toBe(1);
    expect(outcome.results[0]!.runId).toBe(apiJobs()[0]!.id);
  });

  describe('when the job list does not show it, the 409 does', () => {
    const hideJobs = () => w.sim.faults.add({ platform: 'planasonix', method: 'GET', path: '/api/v1/jobs', kind: 'status', status: 200, body: '[]', times: 3 });

    test('fail: stops, naming the job', async () => {
      const foreign = w.plx.startForeignJob(CONN, { outcome: 'success', durationMs: 3000 });
      hideJobs();
      const { outcome } = await runPlx(w, { connection: CONN });
      expect(outcome.status).toBe('failed');
      expect(outcome.results[0]!.message).toContain('Sync already in progress');
      expect(outcome.results[0]!.message).toContain(foreign);
      expect(triggerPosts(w)).toBe(1);
      expect(apiJobs()).toHaveLength(0);
    });

    test('attach: follows existing_job_id', async () => {
      const foreign = w.plx.startForeignJob(CONN, { outcome: 'success', durationMs: 600 });
      hideJobs();
      const { outcome } = await runPlx(w, { connection: CONN, 'if-running': 'attach' });
      expect(outcome.status).toBe('succeeded');
      expect(outcome.results[0]!.runId).toBe(foreign);
      expect(apiJobs()).toHaveLength(0);
    });

    test('queue: waits for existing_job_id to end, then triggers once more', async () => {
      w.plx.startForeignJob(CONN, { outcome: 'success', durationMs: 600 });
      hideJobs();
      const { outcome } = await runPlx(w, { connection: CONN, 'if-running': 'queue' });
      expect(outcome.status).toBe('succeeded');
      expect(w.sim.journal.entries({ method: 'POST', path: /\/sync$/ }).map((e) => e.status)).toEqual([409, 202]);
      expect(apiJobs()).toHaveLength(1);
      expect(outcome.results[0]!.runId).toBe(apiJobs()[0]!.id);
    });
  });

  test('a pipeline run in flight is seen through execution-status', async () => {
    const foreign = w.plx.startForeignRun(PIPELINE, { outcome: 'success', durationMs: 400 });
    const { outcome } = await runPlx(w, { pipeline: PIPELINE, 'if-running': 'attach' });
    expect(outcome.status).toBe('succeeded');
    expect(outcome.results[0]!.runId).toBe(foreign);
    expect(triggerPosts(w)).toBe(0);
  });
});

describe('cancellation', () => {
  test('on timeout the job is cancelled; the final state is read and reported', async () => {
    w.plx.setSyncScenario(CONN, { outcome: 'hang' });
    const started = w.machine.now();
    const startedReal = Date.now();
    const { outcome } = await runPlx(w, { connection: CONN, timeout: '1500ms' });
    // Within the timeout plus the cancel budget and a margin, on the step's clock and in real time alike.
    expect(w.machine.now() - started).toBeLessThan(8000);
    expect(Date.now() - startedReal).toBeLessThan(8000);
    expect(outcome.status).toBe('timed-out');
    expect(outcome.exitCode).toBe(3);
    const job = apiJobs()[0]!;
    expect(w.sim.journal.count({ method: 'POST', path: `/api/v1/jobs/${job.id}/cancel` })).toBe(1);
    expect(outcome.results[0]!.cancel).toMatchObject({ requested: true, accepted: true });
    expect(outcome.results[0]!.cancel!.note).toMatch(/cancels cooperatively/);
    expect(outcome.results[0]!.cancel!.note).toMatch(new RegExp(`run ${job.id} ended cancelled`));
    expect(job.status).toBe('cancelled');
    expect(outcome.results[0]!.rawStatus).toBe('cancelled');
  });

  test('a cooperative cancel that ends completed is reported truthfully, and the step is still not green', async () => {
    await world({ cancelEndsAs: 'completed', cancelWord: 'canceling', cancelPolls: 3 });
    w.plx.setSyncScenario(CONN, { outcome: 'hang' });
    const { outcome, host } = await runPlx(w, { connection: CONN, timeout: '1500ms' });
    expect(outcome.status).toBe('timed-out');
    expect(outcome.exitCode).toBe(3);
    const note = outcome.results[0]!.cancel!.note;
    expect(note).toMatch(/run job_\w+ ended completed \(succeeded\).* after the cancel/);
    expect(note).toMatch(/does not pass/);
    expect(outcome.results[0]!.rawStatus).toBe('completed');
    expect(host.outputs.get('status')).toBe('timed-out');
  });

  test('a pipeline run is cancelled with DELETE /api/runs/{id} and ends canceled', async () => {
    w.plx.setPipelineScenario(PIPELINE, { outcome: 'hang' });
    const { outcome } = await runPlx(w, { pipeline: PIPELINE, timeout: '1500ms' });
    const run = apiRuns()[0]!;
    expect(w.sim.journal.count({ method: 'DELETE', path: `/api/runs/${run.id}` })).toBe(1);
    expect(outcome.status).toBe('timed-out');
    expect(outcome.results[0]!.cancel!.note).toMatch(/ended canceled \(cancelled\)/);
    expect(run.status).toBe('canceled');
  });

  test('cancel-on-timeout: false leaves the job running', async () => {
    w.plx.setSyncScenario(CONN, { outcome: 'hang' });
    const { outcome } = await runPlx(w, { connection: CONN, timeout: '1s', 'cancel-on-timeout': 'false' });
    expect(outcome.status).toBe('timed-out');
    expect(w.sim.journal.count({ path: /\/cancel$/ })).toBe(0);
    expect(apiJobs()[0]!.status).toBe('running');
  });

  test('fail-fast cancels the sibling job', async () => {
    w.plx.setSyncScenario(CONN, { outcome: 'failure', durationMs: 300 });
    w.plx.setSyncScenario(CONN2, { outcome: 'hang' });
    const { outcome } = await runPlx(w, { connection: `${CONN}\n${CONN2}`, 'fail-fast': 'true' });
    expect(outcome.results.map((r) => r.status)).toEqual(['failed', 'cancelled']);
    const sibling = apiJobs(CONN2)[0]!;
    expect(w.sim.journal.count({ method: 'POST', path: `/api/v1/jobs/${sibling.id}/cancel` })).toBe(1);
    expect(sibling.status).toBe('cancelled');
    expect(outcome.results[1]!.cancel?.accepted).toBe(true);
  });

  test.each([409, 400] as const)('cancelling a job that already ended (%i): not accepted, with a note saying how it ended', async (status) => {
    await world({ cancelFinished: status });
    const done = await runPlx(w, { connection: CONN });
    const jobId = done.outcome.results[0]!.runId!;
    // The GitHub post step, with saved state from a main step that was killed before it could cancel.
    const values: Record<string, string> = { platform: 'planasonix', 'base-url': w.baseUrl, 'api-key': PLX_KEY, connection: CONN };
    const { settings } = parseSettings((name) => values[name]);
    const host = new RecordingHost(CI);
    host.saveState(STATE_RUNS, JSON.stringify([{ index: 0, runId: jobId, done: false }]));
    const cancelled = await cancelSavedRuns(settings, host, { loadProvider, http: FAST.http });
    expect(cancelled).toBe(0);
    expect(host.text()).toMatch(new RegExp(`cancel of sync job ${jobId} refused \\(${status}: Job ${jobId} has already finished \\(completed\\)\\).*it ended completed`));
  });
});

describe('rate limits', () => {
  test('429 with Retry-After in seconds (no X-RateLimit headers): waited for, then the run is followed to its end', async () => {
    await world({ rateLimit: { perKey: 4, perWorkspace: 100, windowMs: 1000, clock: 'simulated' }, rateLimitHeaders: false, retryAfter: 'seconds' });
    const { outcome } = await runPlx(w, { connection: CONN });
    expect(outcome.status).toBe('succeeded');
    const limited = w.sim.journal.entries({ platform: 'planasonix' }).filter((e) => e.status === 429);
    expect(limited.length).toBeGreaterThan(0);
    expect(apiJobs()).toHaveLength(1);
  });

  test('429 with Retry-After as an HTTP-date', async () => {
    await world({ rateLimit: { perKey: 4, perWorkspace: 100, windowMs: 1000, clock: 'simulated' }, rateLimitHeaders: false, retryAfter: 'http-date' });
    const { outcome } = await runPlx(w, { pipeline: PIPELINE });
    expect(outcome.status).toBe('succeeded');
    expect(w.sim.journal.entries({ platform: 'planasonix' }).some((e) => e.status === 429)).toBe(true);
  });

  test('429 without Retry-After: X-RateLimit-Reset tells how long to wait', async () => {
    await world({ rateLimit: { perKey: 4, perWorkspace: 100, windowMs: 1000, clock: 'simulated' }, rateLimitHeaders: true, retryAfter: 'none' });
    w.plx.setSyncScenario(CONN, { outcome: 'success', durationMs: 1500 });
    const { outcome } = await runPlx(w, { connection: CONN }, { http: { ...FAST.http, retry: { maxAttempts: 3, baseDelayMs: 5, maxDelayMs: 20 } } });
    expect(outcome.status).toBe('succeeded');
  });

  test('with X-RateLimit-Remaining running low the client slows down by itself', async () => {
    await world({ rateLimit: { perKey: 6, perWorkspace: 100, windowMs: 1000, clock: 'simulated' }, rateLimitHeaders: true, retryAfter: 'seconds' });
    w.plx.setSyncScenario(CONN, { outcome: 'success', durationMs: 1500 });
    const { outcome } = await runPlx(w, { connection: CONN });
    expect(outcome.status).toBe('succeeded');
    const entries = w.sim.journal.entries({ platform: 'planasonix' });
    expect(entries.filter((e) => e.status === 429)).toHaveLength(0);
    expect(entries.length).toBeGreaterThan(6);
  });
});

describe('no false green', () => {
  test('one status table: both cancel spellings, cancelling is still running, an unknown word fails once ended', () => {
    const n = (word: string, ended = false) => normalizeStatus(PLANASONIX_STATUS, word, ended);
    expect(['completed', 'succeeded', 'Success'].map((s) => n(s))).toEqual(['succeeded', 'succeeded', 'succeeded']);
    expect([n('cancelled'), n('canceled'), n('CANCELED')]).toEqual(['cancelled', 'cancelled', 'cancelled']);
    expect([n('cancelling'), n('canceling'), n('pending'), n('error')]).toEqual(['running', 'running', 'queued', 'failed']);
    expect([n('aborted'), n('aborted', true), n('', true)]).toEqual(['unknown', 'failed', 'failed']);
  });

  test('an unknown word with an end time is a failure', async () => {
    w.plx.setSyncScenario(CONN, { outcome: 'unknown-ended', durationMs: 200, statusWord: 'partially_completed' });
    const { outcome } = await runPlx(w, { connection: CONN });
    expect(outcome.status).toBe('failed');
    expect(outcome.results[0]!.rawStatus).toBe('partially_completed');
  });

  test('an unknown word without an end time is followed until the timeout', async () => {
    w.plx.setPipelineScenario(PIPELINE, { outcome: 'unknown-running', statusWord: 'paused' });
    const { outcome } = await runPlx(w, { pipeline: PIPELINE, timeout: '1200ms' });
    expect(outcome.status).toBe('timed-out');
  });

  test.each(['cancelled', 'canceled'] as const)('a job that ends %s is not green', async (word) => {
    await world({ jobCancelledWord: word });
    w.plx.setSyncScenario(CONN, { outcome: 'cancelled', durationMs: 200 });
    const { outcome } = await runPlx(w, { connection: CONN });
    expect(outcome.status).toBe('cancelled');
    expect(outcome.exitCode).toBe(1);
    expect(outcome.results[0]!.rawStatus).toBe(word);
  });

  test('an answer without an id and a foreign run starting in the same window: ours is never mistaken for the green one', async () => {
    await world({ pipelineRunResponseShape: 'no-id' });
    w.plx.setPipelineScenario(PIPELINE, { outcome: 'failure', durationMs: 400 });
    const watcher = setInterval(() => {
      if (triggerPosts(w) > 0) {
        clearInterval(watcher);
        w.plx.startForeignRun(PIPELINE, { outcome: 'success', durationMs: 50, trigger: 'schedule' });
      }
    }, 1);
    const { outcome } = await runPlx(w, { pipeline: PIPELINE }).finally(() => clearInterval(watcher));
    expect(w.plx.runs(PIPELINE)).toHaveLength(2);
    expect(outcome.status).toBe('failed');
    expect(outcome.results[0]!.runId!.split('+')[0]).toBe(apiRuns()[0]!.id);
  });
});

describe('errors a user must understand', () => {
  test('401: a wrong key, never printed', async () => {
    const { outcome, host } = await runPlx(w, { connection: CONN, 'api-key': 'plx_live_WrongWrongWrongWrong' });
    expect(outcome.status).toBe('failed');
    expect(outcome.results[0]!.message).toMatch(/401.*missing, wrong or revoked/);
    expect(host.text()).not.toContain('WrongWrongWrong');
  });

  test('403 on the trigger: the key lacks the trigger scope', async () => {
    const { outcome } = await runPlx(w, { connection: CONN, 'api-key': READ_ONLY_KEY });
    expect(outcome.status).toBe('failed');
    expect(outcome.results[0]!.message).toMatch(/403.*lacks the scope sync:trigger/);
    expect(apiJobs()).toHaveLength(0);
  });

  test.each([403, 404] as const)('the Orchestration API disabled (%i): one clear line, no retry', async (status) => {
    await world({ apiDisabled: status });
    const { outcome } = await runPlx(w, { connection: CONN });
    expect(outcome.status).toBe('failed');
    expect(outcome.results[0]!.message).toMatch(/Enterprise feature\): an organization admin enables it under Settings → Orchestration API/);
    expect(w.sim.journal.count({ platform: 'planasonix' })).toBe(1);
  });

  test.each(['nested', 'flat', 'string'] as const)('error bodies in the %s shape are read', async (shape) => {
    await world({ errorShape: shape });
    const { outcome } = await runPlx(w, { connection: 'conn_missing' });
    expect(outcome.status).toBe('failed');
    expect(outcome.results[0]!.message).toMatch(/404.*Connection conn_missing not found/);
  });

  test('a key revoked between two polls is an auth failure, not a run failure', async () => {
    w.plx.setSyncScenario(CONN, { outcome: 'success', durationMs: 3000 });
    const cancel = afterSimulated(w.sim, 600, () => w.plx.revokeKey(PLX_KEY));
    const { outcome } = await runPlx(w, { connection: CONN }).finally(cancel);
    expect(outcome.status).toBe('failed');
    expect(outcome.results[0]!.message).toMatch(/401.*key was rejected/);
  });
});

describe('modes', () => {
  test('trigger: reports the job id and does not wait', async () => {
    w.plx.setSyncScenario(CONN, { outcome: 'success', durationMs: 60_000 });
    const { outcome, host } = await runPlx(w, { connection: CONN, mode: 'trigger' });
    expect(outcome.status).toBe('triggered');
    expect(host.outputs.get('run-id')).toBe(apiJobs()[0]!.id);
  });

  test('wait: follows a given job id', async () => {
    const foreign = w.plx.startForeignJob(CONN, { outcome: 'failure', durationMs: 400 });
    const { outcome } = await runPlx(w, { connection: CONN, mode: 'wait', 'run-id': foreign });
    expect(outcome.status).toBe('failed');
    expect(outcome.results[0]!.runId).toBe(foreign);
    expect(triggerPosts(w)).toBe(0);
  });

  test('check: the latest pipeline run, fresh and green', async () => {
    await runPlx(w, { pipeline: PIPELINE });
    const { outcome } = await runPlx(w, { pipeline: PIPELINE, mode: 'check', 'max-age': '1h' });
    expect(outcome.status).toBe('succeeded');
    expect(outcome.results[0]!.message).toMatch(/succeeded .* ago/);
  });

  test('check on a backfill says why it cannot', async () => {
    const { outcome } = await runPlx(w, { connection: CONN, 'backfill-start': '2024-01-01', 'backfill-end': '2024-01-02', mode: 'check' });
    expect(outcome.status).toBe('failed');
    expect(outcome.results[0]!.message).toMatch(/no backfill list/);
  });
});

test('the key never appears in anything the step printed or wrote', async () => {
  w.plx.setPipelineScenario(PIPELINE, { outcome: 'failure', durationMs: 200, logLines: [`ERROR leaked ${PLX_KEY}`] });
  const { outcome, host } = await runPlx(w, { pipeline: PIPELINE });
  const everything = [host.text(), host.summary, ...host.outputs.values()].join('\n');
  for (const form of [PLX_KEY, encodeURIComponent(PLX_KEY), Buffer.from(PLX_KEY).toString('base64')]) expect(everything).not.toContain(form);
  expect(outcome.status).toBe('failed');
});

/**
 * The Qarion provider and the engine against the simulator over real loopback HTTP.
 * Every case checks what a user would notice (status, outputs, messages) and what the server saw (the
 * journal, the world's truth): exactly one trigger, the run followed is the one this step started (or every
 * candidate when that cannot be told), never a false green.
 *
 * Time is simulated (helpers/machine-clock.ts): the simulator's and the engine's clocks run CONTRACT_TIME_SCALE
 * times faster than real time while the engine sleeps, and stand still while it works, so every duration below
 * (runs, windows, timeouts, Retry-After) is simulated time and no test waits it out in real time.
 */
import { readFileSync } from 'node:fs';
import type { QarionTriggerAnswer } from '../../src/simulator/qarion.js';
import {
  apiRuns,
  CI,
  OTHER_SPACE,
  Q_KEY,
  Q_OUTSIDER_KEY,
  Q_VIEWER_KEY,
  qarionWorld as qarionWorldAt,
  runQarion,
  SPACE,
  triggerPosts,
  type QarionSim,
} from '../helpers/qarion.js';
import { afterSimulated, CONTRACT_TIME_SCALE } from '../helpers/machine-clock.js';
import type { SimulatorOptions } from '../../src/simulator/index.js';
import type { QarionOptions } from '../../src/simulator/qarion.js';

let w: QarionSim;

const qarionWorld = (options: Partial<QarionOptions> = {}, simOptions: SimulatorOptions = {}) =>
  qarionWorldAt(options, { timeScale: CONTRACT_TIME_SCALE, ...simOptions });

afterEach(async () => {
  await w?.sim.close();
});

const warnings = (host: { lines: Array<{ level: string; text: string }> }) => host.lines.filter((l) => l.level === 'warning').map((l) => l.text);
const syncPosts = (world: QarionSim) => world.sim.journal.count({ method: 'POST', path: /\/connectors\/[^/]+\/sync$/ });
const commentPosts = (world: QarionSim) => world.sim.journal.count({ method: 'POST', path: /\/runs\/[^/]+\/comments$/ });

/** Starts a foreign run as soon as the trigger POST reached the server. */
function foreignRunAfterTrigger(world: QarionSim, start: () => void): () => void {
  const watcher = setInterval(() => {
    if (triggerPosts(world) > 0) {
      clearInterval(watcher);
      start();
    }
  }, 1);
  return () => clearInterval(watcher);
}

describe('each trigger answer is followed to the run it started', () => {
  const variants: QarionTriggerAnswer[] = ['empty-202', 'empty-204', 'run-200', 'run-201', 'dag-run', 'run-id', 'run-id-airflow', 'data-id'];

  test.each(variants)('%s', async (answer) => {
    w = await qarionWorld({ triggerAnswer: answer });
    const { outcome, host } = await runQarion(w, { pipeline: 'daily_finance' });
    expect(outcome.status).toBe('succeeded');
    expect(triggerPosts(w)).toBe(1);
    const ours = apiRuns(w, w.ids.daily);
    expect(ours).toHaveLength(1);
    expect(host.outputs.get('run-id')).toBe(ours[0]!.id);
    expect(host.outputs.get('raw-status')).toBe('success');
    expect(outcome.results[0]!.target).toContain(w.ids.daily);
  });

  test.each(['run-201', 'dag-run', 'run-id-airflow'] as QarionTriggerAnswer[])(
    '%s: an id in the answer names our run, so a foreign run starting alongside is not mistaken for it',
    async (answer) => {
      w = await qarionWorld({ triggerAnswer: answer, maxActiveRuns: 16 });
      const stop = foreignRunAfterTrigger(w, () =>
        w.q.startForeignRun(SPACE, w.ids.daily, { outcome: 'failure', durationMs: 200, runType: 'manual' }),
      );
      const { outcome, host } = await runQarion(w, { pipeline: 'daily_finance' }).finally(stop);
      expect(outcome.status).toBe('succeeded');
      expect(host.outputs.get('run-id')).toBe(apiRuns(w, w.ids.daily)[0]!.id);
    },
  );
});

describe('run visibility', () => {
  test('a run that shows up late is waited for', async () => {
    w = await qarionWorld({ runVisibility: 'delayed', visibilityDelayMs: 1500 });
    const { outcome, host } = await runQarion(w, { pipeline: 'daily_finance' });
    expect(outcome.status).toBe('succeeded');
    expect(triggerPosts(w)).toBe(1);
    expect(host.outputs.get('run-id')).toBe(apiRuns(w, w.ids.daily)[0]!.id);
    expect(syncPosts(w)).toBe(0);
  });

  test('a run listed only after a connector sync: with sync-before-poll the step syncs once and finds it', async () => {
    w = await qarionWorld({ runVisibility: 'after-sync' });
    const { outcome, host } = await runQarion(w, { pipeline: 'daily_finance', 'sync-before-poll': 'true' });
    expect(outcome.status).toBe('succeeded');
    expect(syncPosts(w)).toBe(1);
    expect(w.q.syncs()).toEqual([expect.objectContaining({ connectorId: w.ids.connector, status: 202 })]);
    expect(host.outputs.get('run-id')).toBe(apiRuns(w, w.ids.daily)[0]!.id);
    expect(host.text()).toMatch(/requested a sync of connector/);
  });

  test('…with an Airflow dag_run_id in the answer, matched once the sync lists the run', async () => {
    w = await qarionWorld({ runVisibility: 'after-sync', triggerAnswer: 'dag-run' });
    const { outcome, host } = await runQarion(w, { pipeline: 'daily_finance', 'sync-before-poll': 'true' });
    expect(outcome.status).toBe('succeeded');
    expect(host.outputs.get('run-id')).toBe(apiRuns(w, w.ids.daily)[0]!.id);
  });

  test('without sync-before-poll: a clear failure that says the run may not be synced and names sync-before-poll', async () => {
    w = await qarionWorld({ runVisibility: 'after-sync' });
    const { outcome } = await runQarion(w, { pipeline: 'daily_finance' });
    expect(outcome.status).toBe('failed');
    const message = outcome.results[0]!.message!;
    expect(message).toMatch(/no new run appeared/);
    expect(message).toMatch(/may exist in Airflow \(DAG daily_finance\) but not be synced/);
    expect(message).toMatch(/sync-before-poll: true/);
    expect(syncPosts(w)).toBe(0);
    expect(triggerPosts(w)).toBe(1);
  });

  test('a sync refused for lack of edit rights on the connector only warns, and the failure says why', async () => {
    w = await qarionWorld({ runVisibility: 'after-sync' });
    const { outcome, host } = await runQarion(w, { pipeline: 'hourly_sales', 'sync-before-poll': 'true' });
    expect(outcome.status).toBe('failed');
    expect(warnings(host).some((t) => /connector sync .* failed: refused \(403\): the key's user needs edit rights/.test(t))).toBe(true);
    expect(outcome.results[0]!.message).toMatch(/edit rights/);
    expect(syncPosts(w)).toBe(1);
    expect(triggerPosts(w)).toBe(1);
  });
});

describe('outcome and failure details', () => {
  test('failed task runs are reported with try number and state, pointing to the Airflow UI for logs', async () => {
    w = await qarionWorld();
    w.q.setScenario(SPACE, w.ids.daily, { outcome: 'failure', durationMs: 400 });
    const { outcome, host } = await runQarion(w, { pipeline: 'daily_finance' });
    expect(outcome.status).toBe('failed');
    expect(outcome.exitCode).toBe(1);
    const run = apiRuns(w, w.ids.daily)[0]!;
    const tasks = outcome.results[0]!.failedTasks;
    expect(tasks.map((t) => `${t.name}: ${t.status}`)).toEqual(['load_customers (try 2): failed', 'transform_sales: upstream_failed']);
    for (const task of tasks) {
      expect(task.logNote).toMatch(/no log endpoint/);
      expect(task.logNote).toContain('the Airflow UI (DAG daily_finance, run manual__');
      expect(task.logNote).toContain(run.providerRunId);
    }
    expect(tasks[0]!.startedAt).toBeDefined();
    expect(tasks[0]!.finishedAt).toBeDefined();
    expect(outcome.results[0]!.message).toMatch(/ended failed \(failed\); failed: load_customers \(try 2\), transform_sales/);
    expect(host.annotations().map((a) => a.text)).toEqual([
      expect.stringMatching(/load_customers \(try 2\) ended failed \(Qarion has no log endpoint/),
      expect.stringMatching(/transform_sales ended upstream_failed/),
    ]);
    const file = readFileSync(outcome.logFile, 'utf8');
    expect(file).toContain('notify_success: skipped');
    expect(file).toMatch(/load_customers: failed, try 2/);
    expect(file).toContain('Qarion has no log endpoint; the task logs are in the Airflow UI');
    expect(host.summary).toContain('load_customers (try 2)');
  });

  test('error text on the run and its task runs is shown and annotated', async () => {
    w = await qarionWorld();
    w.q.setScenario(SPACE, w.ids.daily, {
      outcome: 'failure',
      durationMs: 300,
      errorText: 'DAG run failed: 1 task failed',
      tasks: [
        { taskId: 'extract_orders', state: 'success' },
        { taskId: 'load_customers', state: 'failed', tries: 3, errorText: 'ERROR: psycopg2.OperationalError: connection refused' },
      ],
    });
    const { outcome, host } = await runQarion(w, { pipeline: 'daily_finance' });
    expect(outcome.status).toBe('failed');
    const tasks = outcome.results[0]!.failedTasks;
    expect(tasks.map((t) => t.name)).toEqual(['load_customers (try 3)', 'run']);
    expect(tasks[0]!.errorLines).toEqual(['ERROR: psycopg2.OperationalError: connection refused']);
    expect(tasks[1]!.errorLines).toEqual(['DAG run failed: 1 task failed']);
    expect(host.annotations().map((a) => a.text)).toContain('ERROR: psycopg2.OperationalError: connection refused');
  });

  test('no false green: an unknown status word on a run that ended is a failure', async () => {
    w = await qarionWorld();
    w.q.setScenario(SPACE, w.ids.daily, { outcome: 'unknown-ended', durationMs: 200 });
    const { outcome } = await runQarion(w, { pipeline: 'daily_finance' });
    expect(outcome.status).toBe('failed');
    expect(outcome.results[0]!.rawStatus).toBe('completed_with_warnings');
    expect(outcome.results[0]!.failedTasks.map((t) => t.name)).toEqual([expect.stringMatching(/^run /)]);
  });

  test('cancelled is not green', async () => {
    w = await qarionWorld();
    w.q.setScenario(SPACE, w.ids.daily, { outcome: 'cancelled', durationMs: 200 });
    const { outcome } = await runQarion(w, { pipeline: 'daily_finance' });
    expect(outcome.status).toBe('cancelled');
    expect(outcome.exitCode).not.toBe(0);
  });

  test('Qarion-style words (succeeded / failed) are understood', async () => {
    w = await qarionWorld({ wordStyle: 'qarion' });
    const ok = await runQarion(w, { pipeline: 'daily_finance' });
    expect(ok.outcome.status).toBe('succeeded');
    expect(ok.outcome.results[0]!.rawStatus).toBe('succeeded');
    w.q.setScenario(SPACE, w.ids.daily, { outcome: 'failure', durationMs: 200 });
    const bad = await runQarion(w, { pipeline: 'daily_finance' });
    expect(bad.outcome.status).toBe('failed');
    expect(bad.outcome.results[0]!.failedTasks.map((t) => t.name)).toEqual(['load_customers (try 2)', 'transform_sales']);
  });

  test('alias field names (uuid, state, start_date, tasks) and timestamps without an offset are read alike', async () => {
    w = await qarionWorld({ fieldStyle: 'aliases', timestampStyle: 'naive', listStyle: 'array' });
    w.q.setScenario(SPACE, w.ids.daily, { outcome: 'failure', durationMs: 2000 });
    const { outcome, host } = await runQarion(w, { pipeline: 'daily_finance' });
    expect(outcome.status).toBe('failed');
    expect(host.outputs.get('run-id')).toBe(apiRuns(w, w.ids.daily)[0]!.id);
    expect(outcome.results[0]!.failedTasks.map((t) => t.name)).toEqual(['load_customers (try 2)', 'transform_sales']);
    expect(Number(host.outputs.get('duration-seconds'))).toBe(2);
  });

  test('a paused DAG keeps its run queued: timed out, and Qarion cannot cancel it', async () => {
    w = await qarionWorld();
    w.q.setPaused(SPACE, w.ids.daily, true);
    const { outcome, host } = await runQarion(w, { pipeline: 'daily_finance', timeout: '2s' });
    expect(outcome.status).toBe('timed-out');
    expect(outcome.exitCode).toBe(3);
    expect(outcome.results[0]!.runId).toBe(apiRuns(w, w.ids.daily)[0]!.id);
    expect(outcome.results[0]!.cancel?.note).toMatch(/qarion offers no way to cancel/);
    expect(host.text()).toMatch(/paused in Airflow/);
    expect(w.sim.journal.count({ path: /cancel/ })).toBe(0);
  });
});

describe('traceability comments', () => {
  test('one comment on the run this step triggered, with the CI run link, commit and actor', async () => {
    w = await qarionWorld();
    const { outcome } = await runQarion(w, { pipeline: 'daily_finance' });
    expect(outcome.status).toBe('succeeded');
    const run = apiRuns(w, w.ids.daily)[0]!;
    const comments = w.q.commentsOn(run.id);
    expect(comments).toHaveLength(1);
    expect(comments[0]!.content).toContain('Triggered from GitHub Actions');
    expect(comments[0]!.content).toContain(`CI run: ${CI.runUrl}`);
    expect(comments[0]!.content).toContain('Commit: 0123abcd');
    expect(comments[0]!.content).toContain('Actor: octocat');
    expect(commentPosts(w)).toBe(1);
    // A later wait step on the same run adds no comment (mode wait never comments; a second comment from one CI
    // run on an attached or adopted run is prevented by the comment list: test/contract/qarion-requests.test.ts).
    const again = await runQarion(w, { pipeline: 'daily_finance', mode: 'wait', 'run-id': run.id });
    expect(again.outcome.status).toBe('succeeded');
    expect(w.q.commentsOn(run.id)).toHaveLength(1);
    expect(commentPosts(w)).toBe(1);
  });

  test('comment: false posts nothing', async () => {
    w = await qarionWorld();
    const { outcome } = await runQarion(w, { pipeline: 'daily_finance', comment: 'false' });
    expect(outcome.status).toBe('succeeded');
    expect(w.sim.journal.count({ path: /comments$/ })).toBe(0);
  });

  test.each([403, 500] as const)('a comment answered %i only warns; the step still follows the run and passes', async (status) => {
    w = await qarionWorld({ commentStatus: status });
    const { outcome, host } = await runQarion(w, { pipeline: 'daily_finance' });
    expect(outcome.status).toBe('succeeded');
    expect(warnings(host).some((t) => new RegExp(`could not annotate run .* on qarion: .*${status}`).test(t))).toBe(true);
    // A comment that may have been stored is never posted twice.
    expect(commentPosts(w)).toBe(1);
  });

  test('attaching to a run in flight says "followed", not "triggered"', async () => {
    w = await qarionWorld();
    const foreign = w.q.startForeignRun(SPACE, w.ids.daily, { outcome: 'success', durationMs: 600 });
    const { outcome } = await runQarion(w, { pipeline: 'daily_finance', 'if-running': 'attach' });
    expect(outcome.status).toBe('succeeded');
    expect(w.q.commentsOn(foreign)[0]!.content).toMatch(/^Followed from GitHub Actions/);
  });
});

describe('errors a user must understand', () => {
  test('401: a wrong key, never printed', async () => {
    w = await qarionWorld();
    const wrong = 'qrn_WrongWrongWrongWrongWrongWrongWrong00001';
    const { outcome, host } = await runQarion(w, { pipeline: 'daily_finance', 'api-key': wrong });
    expect(outcome.status).toBe('failed');
    expect(outcome.results[0]!.message).toMatch(/401/);
    expect(outcome.results[0]!.message).toMatch(/missing, wrong or revoked/);
    expect([host.text(), host.summary, ...host.outputs.values()].join('\n')).not.toContain('WrongWrongWrong');
    expect(w.sim.journal.entries()[0]!.authHeaders).toEqual(['authorization']);
  });

  test('a key revoked between two polls is an auth failure, not a run failure', async () => {
    w = await qarionWorld();
    w.q.setScenario(SPACE, w.ids.daily, { outcome: 'success', durationMs: 3000 });
    const cancel = afterSimulated(w.sim, 700, () => w.q.revokeKey(Q_KEY));
    const { outcome } = await runQarion(w, { pipeline: 'daily_finance' }).finally(cancel);
    expect(outcome.status).toBe('failed');
    expect(outcome.results[0]!.message).toMatch(/401.*key was rejected/);
    expect(triggerPosts(w)).toBe(1);
  });

  test('403 on trigger: a Viewer is told Editor (or Admin) access is needed; nothing runs', async () => {
    w = await qarionWorld();
    const { outcome } = await runQarion(w, { pipeline: 'daily_finance', 'api-key': Q_VIEWER_KEY });
    expect(outcome.status).toBe('failed');
    const message = outcome.results[0]!.message!;
    expect(message).toMatch(/403/);
    expect(message).toMatch(/Editor or Admin role is required/);
    expect(message).toMatch(/needs the Editor or Admin role in the space/);
    expect(apiRuns(w, w.ids.daily)).toHaveLength(0);
  });

  test.each([403, 404] as const)('a key whose user is not a member of the space: %i', async (status) => {
    w = await qarionWorld({ nonMemberStatus: status });
    const { outcome } = await runQarion(w, { pipeline: 'daily_finance', 'api-key': Q_OUTSIDER_KEY });
    expect(outcome.status).toBe('failed');
    expect(outcome.results[0]!.message).toMatch(new RegExp(String(status)));
    expect(outcome.results[0]!.message).toMatch(status === 403 ? /no access to this workspace or space/ : /not visible to the key/);
    expect(triggerPosts(w)).toBe(0);
  });

  test('404: an unknown space', async () => {
    w = await qarionWorld();
    const { outcome } = await runQarion(w, { pipeline: 'daily_finance', space: 'nosuchspace' });
    expect(outcome.results[0]!.message).toMatch(/404.*Space not found/);
    expect(triggerPosts(w)).toBe(0);
  });

  test('an unknown pipeline name lists close matches', async () => {
    w = await qarionWorld();
    const { outcome } = await runQarion(w, { pipeline: 'daily_financ' });
    expect(outcome.status).toBe('failed');
    expect(outcome.results[0]!.message).toMatch(/no pipeline with the id or name 'daily_financ'/);
    expect(outcome.results[0]!.message).toContain(`'daily_finance' (${w.ids.daily})`);
    expect(triggerPosts(w)).toBe(0);
  });

  test('a name held by two pipelines is an error that lists both ids', async () => {
    w = await qarionWorld();
    const twin = w.q.addPipeline(SPACE, { name: 'daily_finance', connectorId: w.ids.connector });
    const { outcome } = await runQarion(w, { pipeline: 'daily_finance' });
    expect(outcome.results[0]!.message).toMatch(/2 pipelines in space 'finance' are named 'daily_finance'/);
    expect(outcome.results[0]!.message).toContain(twin);
    expect(triggerPosts(w)).toBe(0);
  });

  test('a pipeline given by id is used as is, and a pipeline of another space is not reachable', async () => {
    w = await qarionWorld();
    const ok = await runQarion(w, { pipeline: w.ids.daily });
    expect(ok.outcome.status).toBe('succeeded');
    expect(ok.outcome.results[0]!.target).toBe(`${SPACE}/${w.ids.daily} (daily_finance)`);
    const other = [...w.q.space(OTHER_SPACE).pipelines.keys()][0]!;
    const bad = await runQarion(w, { pipeline: other });
    expect(bad.outcome.status).toBe('failed');
    expect(triggerPosts(w)).toBe(1);
  });

  test('a pipeline that is not Airflow-backed: the refusal is quoted', async () => {
    w = await qarionWorld();
    const { outcome, host } = await runQarion(w, { pipeline: 'dbt_models' });
    expect(outcome.status).toBe('failed');
    expect(outcome.results[0]!.message).toMatch(/400.*only Airflow pipelines can be triggered/);
    expect(warnings(host).some((t) => /provider is 'dbt'/.test(t))).toBe(true);
  });

  test.each([
    [404, "DAG 'daily_finance' not found", /404.*DAG 'daily_finance' not found/],
    [400, "DAG 'daily_finance' is paused", /400.*is paused/],
  ])('Airflow pass-through %i on trigger is quoted', async (status, detail, expected) => {
    w = await qarionWorld();
    w.q.failTriggers(SPACE, w.ids.daily, { status, detail });
    const { outcome } = await runQarion(w, { pipeline: 'daily_finance' });
    expect(outcome.status).toBe('failed');
    expect(outcome.results[0]!.message).toMatch(expected);
    expect(triggerPosts(w)).toBe(1);
    expect(apiRuns(w, w.ids.daily)).toHaveLength(0);
  });

  test('a 401 on trigger after successful reads is explained as Airflow credentials, not the key', async () => {
    w = await qarionWorld();
    w.q.failTriggers(SPACE, w.ids.daily, { status: 401, detail: 'Airflow API: Unauthorized' });
    const { outcome } = await runQarion(w, { pipeline: 'daily_finance' });
    expect(outcome.results[0]!.message).toMatch(/401.*Airflow API: Unauthorized.*most likely comes from Airflow/);
  });

  test('a 409 with nothing in flight is quoted, not mistaken for "already running", and never retried in a loop', async () => {
    w = await qarionWorld();
    w.q.failTriggers(SPACE, w.ids.daily, { status: 409, detail: 'DAGRun with DAG ID daily_finance and run ID already exists', times: 100 });
    const { outcome } = await runQarion(w, { pipeline: 'daily_finance', 'if-running': 'queue' });
    expect(outcome.status).toBe('failed');
    expect(outcome.results[0]!.message).toMatch(/409.*already exists.*not "already running"/);
    expect(triggerPosts(w)).toBe(1);
  });

  test('a 502 from Airflow on trigger: not resent blindly, nothing started, the failure names it', async () => {
    w = await qarionWorld();
    w.q.failTriggers(SPACE, w.ids.daily, { status: 502, detail: 'Airflow is unavailable' });
    const { outcome, host } = await runQarion(w, { pipeline: 'daily_finance' });
    expect(outcome.status).toBe('failed');
    expect(triggerPosts(w)).toBe(1);
    expect(apiRuns(w, w.ids.daily)).toHaveLength(0);
    expect(outcome.results[0]!.message).toMatch(/502.*Airflow is unavailable/);
    expect(host.text()).toMatch(/cannot be shown to be idle \(sync-before-poll is off\).*not sending it again/);
  });

  test('429 with Retry-After (the key budget spent by another job) is waited out; one run, followed to its end', async () => {
    w = await qarionWorld({ rateLimit: 5, rateLimitWindowMs: 1500 });
    // Another job with the same key spends the whole budget of the current window, just before the step starts.
    for (let i = 0; i < 5; i++) await fetch(`${w.sim.url}/api/v1.0/spaces/${SPACE}/orchestration/pipelines`, { headers: { authorization: `Bearer ${Q_KEY}` } });
    const started = w.machine.now();
    const { outcome } = await runQarion(w, { pipeline: 'daily_finance', 'poll-interval': '300ms' });
    expect(outcome.status).toBe('succeeded');
    const limited = w.sim.journal.entries({ platform: 'qarion' }).filter((e) => e.status === 429);
    expect(limited.length).toBeGreaterThanOrEqual(1);
    // After the 429 the client honours Retry-After and then paces itself from X-RateLimit-*: few 429s.
    expect(limited.length).toBeLessThan(4);
    // Retry-After is at least 1 s: the step waited it out (on its own clock).
    expect(w.machine.now() - started).toBeGreaterThan(900);
    const accepted = w.sim.journal.entries({ method: 'POST', path: /\/trigger$/ }).filter((e) => e.status >= 200 && e.status < 300);
    expect(accepted).toHaveLength(1);
    expect(apiRuns(w, w.ids.daily)).toHaveLength(1);
  }, 30_000);

  test('a 429 on the trigger itself is retried (the server did not act on it): one run', async () => {
    w = await qarionWorld();
    w.sim.faults.add({
      platform: 'qarion',
      method: 'POST',
      path: /\/trigger$/,
      kind: 'rate-limit',
      headers: { 'Retry-After': '1' },
      body: JSON.stringify({ detail: 'Rate limit exceeded. Retry after 1 seconds.' }),
    });
    const { outcome } = await runQarion(w, { pipeline: 'daily_finance' });
    expect(outcome.status).toBe('succeeded');
    expect(w.sim.journal.entries({ method: 'POST', path: /\/trigger$/ }).map((e) => e.status)).toEqual([429, 202]);
    expect(apiRuns(w, w.ids.daily)).toHaveLength(1);
  });
});

describe('correlation and safety', () => {
  // After a lost answer, a run of the pipeline that started after the baseline is an equivalent load (issue 12,
  // "lost trigger answers"): it is adopted, its outcome decides, and the adoption is said plainly.
  test('a trigger applied by the server whose answer is lost starts exactly one run, adopted and followed; its success is green and says so', async () => {
    w = await qarionWorld();
    w.sim.faults.add({ platform: 'qarion', method: 'POST', path: /\/trigger$/, kind: 'apply-then-reset' });
    const { outcome, host } = await runQarion(w, { pipeline: 'daily_finance' });
    expect(triggerPosts(w)).toBe(1);
    const ours = apiRuns(w, w.ids.daily);
    expect(ours).toHaveLength(1);
    expect(outcome.results[0]!.runId).toBe(`adopted:${ours[0]!.id}`);
    expect(outcome.results[0]!.rawStatus).toBe('success');
    expect(outcome.status).toBe('succeeded');
    expect(outcome.results[0]!.message).toMatch(/answer was lost and this run was adopted/);
    expect(outcome.results[0]!.evidence?.identity?.detail).toMatch(/adopted after the trigger's answer was lost.*equivalent load/);
    expect(host.text()).toMatch(/answer was lost/);
  });

  test('…when runs appear only after a sync: with sync-before-poll the step syncs at once and finds it', async () => {
    w = await qarionWorld({ runVisibility: 'after-sync' });
    w.sim.faults.add({ platform: 'qarion', method: 'POST', path: /\/trigger$/, kind: 'apply-then-reset' });
    const { outcome } = await runQarion(w, { pipeline: 'daily_finance', 'sync-before-poll': 'true' });
    expect(triggerPosts(w)).toBe(1);
    expect(apiRuns(w, w.ids.daily)).toHaveLength(1);
    expect(w.q.syncs()).toHaveLength(1);
    expect(outcome.results[0]!.runId).toBe(`adopted:${apiRuns(w, w.ids.daily)[0]!.id}`);
    expect(outcome.results[0]!.rawStatus).toBe('success');
    expect(outcome.status).toBe('succeeded');
  });

  test('…and without sync-before-poll it is not sent again (no second load): red, saying why', async () => {
    w = await qarionWorld({ runVisibility: 'after-sync' });
    w.sim.faults.add({ platform: 'qarion', method: 'POST', path: /\/trigger$/, kind: 'apply-then-reset' });
    const { outcome } = await runQarion(w, { pipeline: 'daily_finance' });
    expect(triggerPosts(w)).toBe(1);
    expect(apiRuns(w, w.ids.daily)).toHaveLength(1);
    expect(outcome.status).toBe('failed');
    expect(outcome.results[0]!.message).toMatch(/answer was lost .* not sent again/);
    expect(outcome.results[0]!.message).toMatch(/sync-before-poll/);
  });

  // No sync is documented to list every run (one may not be enough: syncsUntilVisible), so after a lost answer
  // nothing shows the pipeline idle, and the trigger is never sent again: red rather than a possible second load.
  test('a trigger that never reached Airflow (reset before it was applied) is not sent again, even after a finished sync showed nothing', async () => {
    w = await qarionWorld({ syncAnswer: 200 });
    w.sim.faults.add({ platform: 'qarion', method: 'POST', path: /\/trigger$/, kind: 'reset' });
    const { outcome } = await runQarion(w, { pipeline: 'daily_finance', 'sync-before-poll': 'true' }, { startWindowMs: 1500 });
    expect(outcome.status).toBe('failed');
    expect(triggerPosts(w)).toBe(1);
    expect(apiRuns(w, w.ids.daily)).toHaveLength(0);
    expect(syncPosts(w)).toBeGreaterThanOrEqual(1);
    expect(outcome.results[0]!.message).toMatch(/answer was lost .* not sent again/);
  });

  test('a lost answer whose run is listed only after three syncs: never resent; syncs go on and the run is adopted', async () => {
    w = await qarionWorld({ runVisibility: 'after-sync', syncsUntilVisible: 3, syncAnswer: 200 });
    w.sim.faults.add({ platform: 'qarion', method: 'POST', path: /\/trigger$/, kind: 'apply-then-reset' });
    const { outcome } = await runQarion(w, { pipeline: 'daily_finance', 'sync-before-poll': 'true' });
    expect(triggerPosts(w)).toBe(1);
    const ours = apiRuns(w, w.ids.daily);
    expect(ours).toHaveLength(1);
    expect(syncPosts(w)).toBeGreaterThanOrEqual(3);
    expect(outcome.results[0]!.runId).toBe(`adopted:${ours[0]!.id}`);
    expect(outcome.status).toBe('succeeded');
  });

  test('a lost answer and a sync still running in the background (202): not resent; the run is adopted when the sync lands', async () => {
    w = await qarionWorld({ runVisibility: 'after-sync', syncAnswer: 202, syncDelayMs: 2500 });
    w.sim.faults.add({ platform: 'qarion', method: 'POST', path: /\/trigger$/, kind: 'apply-then-reset' });
    const { outcome, host } = await runQarion(w, { pipeline: 'daily_finance', 'sync-before-poll': 'true' });
    expect(triggerPosts(w)).toBe(1);
    expect(apiRuns(w, w.ids.daily)).toHaveLength(1);
    expect(outcome.results[0]!.runId).toBe(`adopted:${apiRuns(w, w.ids.daily)[0]!.id}`);
    expect(outcome.status).toBe('succeeded');
    expect(host.text()).toMatch(/cannot be shown to be idle \(\d+ sync\(s\) requested so far\).*not sending it again/);
  });

  test('no false green: a foreign run starting in the same window that fails makes the step red', async () => {
    // Rows show up late, and a schedule starts the pipeline just after our trigger: both are new, nothing
    // tells which is ours, so both are followed.
    w = await qarionWorld({ runVisibility: 'delayed', visibilityDelayMs: 300, maxActiveRuns: 16 });
    w.q.setScenario(SPACE, w.ids.daily, { outcome: 'success', durationMs: 500 });
    const stop = foreignRunAfterTrigger(w, () => w.q.startForeignRun(SPACE, w.ids.daily, { outcome: 'failure', durationMs: 300 }));
    const { outcome, host } = await runQarion(w, { pipeline: 'daily_finance' }).finally(stop);
    const truth = w.q.runs(SPACE, w.ids.daily).filter((r) => r.origin !== 'history');
    expect(truth).toHaveLength(2);
    expect(outcome.status).toBe('failed');
    expect(outcome.results[0]!.runId!.split('+').sort()).toEqual(truth.map((r) => r.id).sort());
    // The manual run (ours, most likely) is the primary one.
    expect(outcome.results[0]!.runId!.split('+')[0]).toBe(apiRuns(w, w.ids.daily)[0]!.id);
    expect(warnings(host).some((t) => /new runs started after the trigger/.test(t))).toBe(true);
  });

  test('no false green: a scheduled run listed before ours is never followed alone; both are followed once ours shows up', async () => {
    w = await qarionWorld({ runVisibility: 'delayed', visibilityDelayMs: 1200, maxActiveRuns: 16 });
    w.q.setScenario(SPACE, w.ids.daily, { outcome: 'failure', durationMs: 300 });
    const stop = foreignRunAfterTrigger(w, () =>
      w.q.startForeignRun(SPACE, w.ids.daily, { outcome: 'success', durationMs: 100, runType: 'scheduled', visibleAfterMs: 0 }),
    );
    const { outcome } = await runQarion(w, { pipeline: 'daily_finance' }).finally(stop);
    expect(outcome.status).toBe('failed');
    const ids = outcome.results[0]!.runId!.split('+');
    expect(ids[0]).toBe(apiRuns(w, w.ids.daily)[0]!.id);
    expect(ids).toHaveLength(2);
  });

  // The lost-answer rule: a scheduled run that started after the baseline is an equivalent load, so it is
  // adopted (not resent: no second load), and its outcome decides, either way.
  test.each(['success', 'failure'] as const)(
    'after a lost trigger that never landed, a scheduled run starting meanwhile (%s) is adopted as an equivalent load and decides',
    async (result) => {
      w = await qarionWorld({ maxActiveRuns: 16 });
      w.sim.faults.add({ platform: 'qarion', method: 'POST', path: /\/trigger$/, kind: 'reset' });
      let foreign = '';
      // The reset comes before the server handles the trigger, so the run is started when the POST is seen.
      const stop = foreignRunAfterTrigger(w, () => {
        foreign = w.q.startForeignRun(SPACE, w.ids.daily, { outcome: result, durationMs: 300, runType: 'scheduled' });
      });
      const { outcome } = await runQarion(w, { pipeline: 'daily_finance' }).finally(stop);
      expect(outcome.status).toBe(result === 'success' ? 'succeeded' : 'failed');
      expect(outcome.results[0]!.runId).toBe(`adopted:${foreign}`);
      expect(apiRuns(w, w.ids.daily)).toHaveLength(0);
      expect(triggerPosts(w)).toBe(1);
      expect(outcome.results[0]!.evidence?.identity?.detail).toMatch(/adopted after the trigger's answer was lost/);
    },
  );

  test('5xx bursts on reads are retried and the run still ends with its true outcome', async () => {
    w = await qarionWorld();
    w.q.setScenario(SPACE, w.ids.daily, { outcome: 'failure', durationMs: 400 });
    w.sim.faults.add({ platform: 'qarion', method: 'GET', path: /\/runs\/[^/]+$/, kind: 'status', status: 503, times: 3 });
    w.sim.faults.add({ platform: 'qarion', method: 'GET', path: /\/runs$/, kind: 'status', status: 500, times: 2 });
    const { outcome } = await runQarion(w, { pipeline: 'daily_finance' });
    expect(outcome.status).toBe('failed');
    expect(outcome.results[0]!.failedTasks[0]!.name).toBe('load_customers (try 2)');
    expect(triggerPosts(w)).toBe(1);
  });
});

describe('if-running', () => {
  test('fail: a run in flight fails the step and triggers nothing', async () => {
    w = await qarionWorld();
    w.q.startForeignRun(SPACE, w.ids.daily, { outcome: 'success', durationMs: 5000 });
    const { outcome } = await runQarion(w, { pipeline: 'daily_finance' });
    expect(outcome.status).toBe('failed');
    expect(outcome.results[0]!.message).toMatch(/already running \(run .* is running\)/);
    expect(triggerPosts(w)).toBe(0);
  });

  test('attach follows the run in flight (its failure is reported) and triggers nothing', async () => {
    w = await qarionWorld();
    const foreign = w.q.startForeignRun(SPACE, w.ids.daily, { outcome: 'failure', durationMs: 600 });
    const { outcome, host } = await runQarion(w, { pipeline: 'daily_finance', 'if-running': 'attach' });
    expect(triggerPosts(w)).toBe(0);
    expect(outcome.results[0]!.runId).toBe(foreign);
    expect(outcome.status).toBe('failed');
    expect(host.text()).toMatch(/attaching to run/);
  });

  test('queue waits for the run in flight to end, then triggers once and follows its own run', async () => {
    w = await qarionWorld();
    w.q.startForeignRun(SPACE, w.ids.daily, { outcome: 'failure', durationMs: 500 });
    const { outcome } = await runQarion(w, { pipeline: 'daily_finance', 'if-running': 'queue' });
    expect(outcome.status).toBe('succeeded');
    expect(triggerPosts(w)).toBe(1);
    expect(outcome.results[0]!.runId).toBe(apiRuns(w, w.ids.daily)[0]!.id);
  });
});

describe('modes', () => {
  test('trigger: reports the run id and does not wait', async () => {
    w = await qarionWorld();
    w.q.setScenario(SPACE, w.ids.daily, { outcome: 'success', durationMs: 60_000 });
    const { outcome, host } = await runQarion(w, { pipeline: 'daily_finance', mode: 'trigger' });
    expect(outcome.status).toBe('triggered');
    expect(host.outputs.get('run-id')).toBe(apiRuns(w, w.ids.daily)[0]!.id);
  });

  test('wait: a run given by its Qarion id or by its Airflow dag_run_id; a run of another pipeline is refused', async () => {
    w = await qarionWorld();
    const foreign = w.q.startForeignRun(SPACE, w.ids.daily, { outcome: 'failure', durationMs: 400 });
    const airflowId = w.q.runs(SPACE, w.ids.daily).find((r) => r.id === foreign)!.providerRunId;
    const byId = await runQarion(w, { pipeline: 'daily_finance', mode: 'wait', 'run-id': foreign });
    expect(byId.outcome.status).toBe('failed');
    expect(byId.outcome.results[0]!.runId).toBe(foreign);
    const byAirflowId = await runQarion(w, { pipeline: 'daily_finance', mode: 'wait', 'run-id': airflowId });
    expect(byAirflowId.outcome.results[0]!.runId).toBe(foreign);
    const other = await runQarion(w, { pipeline: 'daily_finance_backfill', mode: 'wait', 'run-id': foreign });
    expect(other.outcome.status).toBe('failed');
    expect(other.outcome.results[0]!.message).toMatch(/belongs to another pipeline/);
  });

  test('check: the latest run, its age on the server clock (Date header), and a failed latest run', async () => {
    // The simulated server clock is 10 days behind this machine: only the server's clock gives the true age.
    w = await qarionWorld({}, { startEpochMs: Date.now() - 10 * 86_400_000 });
    const fresh = await runQarion(w, { pipeline: 'daily_finance', mode: 'check', 'max-age': '36h' });
    expect(fresh.outcome.status).toBe('succeeded');
    expect(fresh.outcome.results[0]!.message).toMatch(/succeeded (2[2-4]h|1d)/);
    const stale = await runQarion(w, { pipeline: 'daily_finance', mode: 'check', 'max-age': '12h' });
    expect(stale.outcome.status).toBe('failed');
    expect(stale.outcome.results[0]!.message).toMatch(/too old/);
    expect(triggerPosts(w)).toBe(0);
    w.q.startForeignRun(SPACE, w.ids.daily, { outcome: 'failure', durationMs: 0 });
    await new Promise((resolve) => setTimeout(resolve, 20));
    const failed = await runQarion(w, { pipeline: 'daily_finance', mode: 'check' });
    expect(failed.outcome.status).toBe('failed');
    expect(failed.outcome.results[0]!.failedTasks.map((t) => t.name)).toEqual(['load_customers (try 2)', 'transform_sales']);
  });
});

describe('paging', () => {
  test.each(['envelope', 'array'] as const)('%s lists, size capped below what we ask: every page is read', async (listStyle) => {
    w = await qarionWorld({ listStyle, maxPageSize: 30 });
    for (let i = 0; i < 100; i++) w.q.addPipeline(SPACE, { name: `finance_load_${String(i).padStart(3, '0')}` });
    const late = w.q.addPipeline(SPACE, { name: 'finance_load', connectorId: w.ids.connector });
    w.q.setScenario(SPACE, late, { outcome: 'success', durationMs: 100 });
    const { outcome } = await runQarion(w, { pipeline: 'finance_load' });
    expect(outcome.status).toBe('succeeded');
    expect(outcome.results[0]!.target).toContain(late);
    const pages = w.sim.journal.entries({ method: 'GET', path: `/api/v1.0/spaces/${SPACE}/orchestration/pipelines` });
    expect(pages.length).toBe(4);
    expect(pages.every((p) => p.query['size'] === '100')).toBe(true);
  });
});

test('the key never appears in anything the step printed or wrote', async () => {
  w = await qarionWorld();
  w.q.setScenario(SPACE, w.ids.daily, { outcome: 'failure', durationMs: 100 });
  const { outcome, host } = await runQarion(w, { pipeline: 'daily_finance' });
  const everything = [host.text(), host.summary, ...host.outputs.values(), readFileSync(outcome.logFile, 'utf8')].join('\n');
  for (const form of [Q_KEY, encodeURIComponent(Q_KEY), Buffer.from(Q_KEY).toString('base64')]) expect(everything).not.toContain(form);
  expect(w.sim.journal.entries().every((e) => e.headers['authorization'] === '<redacted>')).toBe(true);
});

/**
 * Issue 12, defect 7b: the default Planasonix idempotency key is unique per invocation of the step. On CI
 * systems without a step id (GitLab, Jenkins, CircleCI), two invocations in one CI job each start their own
 * load (the second must not be answered with the first one's job by a server replaying the key), while a
 * resend inside one invocation carries the same key and never starts a second load.
 */
import { ciContextFromEnv } from '../../src/adapters/cli/host.js';
import { PIPELINE, plxWorld, runPlx, triggerPosts, type PlxWorld } from '../helpers/planasonix.js';

let w: PlxWorld;
afterEach(async () => {
  await w?.close();
});

/** One GitLab CI job, as the CLI reads it from the environment (no step id). */
const gitlab = ciContextFromEnv({
  CI_PIPELINE_ID: '981723',
  CI_JOB_ID: '5521904',
  CI_JOB_URL: 'https://gitlab.example/acme/data/-/jobs/5521904',
  CI_COMMIT_SHA: 'abc123',
  CI_PROJECT_PATH: 'acme/data',
});

const apiRuns = () => w.plx.runs(PIPELINE).filter((r) => r.origin === 'api');
const keysSent = () => w.sim.journal.entries({ method: 'POST', path: /\/run$/ }).map((e) => e.headers['idempotency-key']);

test('two invocations in one GitLab job each start their own load, with their own key', async () => {
  w = await plxWorld();
  const first = await runPlx(w, { pipeline: PIPELINE }, {}, gitlab);
  const second = await runPlx(w, { pipeline: PIPELINE }, {}, gitlab);
  expect(first.outcome.status).toBe('succeeded');
  expect(second.outcome.status).toBe('succeeded');
  const runs = apiRuns();
  expect(runs).toHaveLength(2);
  expect(new Set([first.outcome.results[0]!.runId, second.outcome.results[0]!.runId])).toEqual(new Set(runs.map((r) => r.id)));
  const keys = keysSent();
  expect(keys).toHaveLength(2);
  expect(keys[0]).not.toBe(keys[1]);
  // Still traceable to the CI run.
  expect(keys.every((k) => k!.startsWith('orun-cli-981723-5521904-'))).toBe(true);
  expect(w.plx.triggers().map((t) => t.replay)).toEqual([false, false]);
});

test('inside one invocation, a resend (the first POST surely not applied) carries the same key: one load', async () => {
  w = await plxWorld({ idempotency: 'none' });
  // A 503 that the server did not apply: nothing appears, the target is idle, so the trigger is sent again.
  w.sim.faults.add({ platform: 'planasonix', method: 'POST', path: /\/run$/, kind: 'status', status: 503 });
  const { outcome } = await runPlx(w, { pipeline: PIPELINE }, {}, gitlab);
  expect(outcome.status).toBe('succeeded');
  expect(triggerPosts(w)).toBe(2);
  const keys = keysSent();
  expect(keys[0]).toBe(keys[1]);
  expect(apiRuns()).toHaveLength(1);
  expect(outcome.results[0]!.runId).toBe(apiRuns()[0]!.id);
});

test('inside one invocation, a POST applied whose answer is lost is not sent again: one load', async () => {
  w = await plxWorld({ idempotency: 'none' });
  w.sim.faults.add({ platform: 'planasonix', method: 'POST', path: /\/run$/, kind: 'apply-then-status', status: 502 });
  const { outcome } = await runPlx(w, { pipeline: PIPELINE }, {}, gitlab);
  expect(triggerPosts(w)).toBe(1);
  expect(apiRuns()).toHaveLength(1);
  expect(outcome.results[0]!.runId).toContain(apiRuns()[0]!.id);
  expect(outcome.status).toBe('succeeded');
});

test('every trigger kind carries the key in the header, the body and the metadata (what find recognises)', async () => {
  w = await plxWorld({ idempotency: 'none' });
  await runPlx(w, { connection: 'conn_orders', mode: 'trigger' }, {}, gitlab);
  await runPlx(w, { connection: 'conn_crm', 'backfill-start': '2024-01-01', 'backfill-end': '2024-01-31', mode: 'trigger' }, {}, gitlab);
  await runPlx(w, { pipeline: PIPELINE, mode: 'trigger' }, {}, gitlab);
  const sent = w.sim.journal.entries({ method: 'POST', path: /\/(sync|backfill|run)$/ });
  expect(sent.map((e) => e.path.split('/').pop())).toEqual(['sync', 'backfill', 'run']);
  for (const entry of sent) {
    const body = JSON.parse(entry.body) as { idempotency_key: string; metadata: Record<string, string> };
    expect(body.idempotency_key).toEqual(expect.stringMatching(/^orun-cli-981723-5521904-/));
    expect(entry.headers['idempotency-key']).toBe(body.idempotency_key);
    expect(body.metadata).toMatchObject({ idempotency_key: body.idempotency_key, triggered_by: 'orchestration-run', ci_run_id: '981723' });
  }
  // The server stored the metadata even though it ignores idempotency keys: a lost answer's run is recognisable.
  expect(w.plx.runs(PIPELINE)[0]!.metadata.idempotency_key).toBe(JSON.parse(sent[2]!.body).idempotency_key);
});

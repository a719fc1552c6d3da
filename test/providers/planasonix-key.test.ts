import type { CiContext } from '../../src/core/settings.js';
import type { PlanasonixSyncSpec } from '../../src/providers/planasonix/targets.js';
import { idempotencyKeyFor } from '../../src/providers/planasonix/provider.js';

const spec: PlanasonixSyncSpec = { platform: 'planasonix', kind: 'sync', label: 'connection/conn_orders', connection: 'conn_orders', syncType: 'incremental', priority: 'normal', tables: [] };
const ci: CiContext = { system: 'github', runId: '4242', attempt: '1', repository: 'acme/data', runUrl: 'https://github.com/acme/data/actions/runs/4242/attempts/1', step: 'load/sync-orders' };
const key = (c: CiContext, s = spec) => idempotencyKeyFor({ targets: [s] }, c, s, 'nonce');

test('the same step of the same run attempt keeps its key (a resend never starts a second job)', () => {
  expect(key(ci)).toBe(key({ ...ci }));
  expect(key(ci)).toMatch(/^orun-github-4242-1-[0-9a-f]{12}$/);
});

test('another step, another attempt or another request gets another key', () => {
  const keys = new Set([
    key(ci),
    key({ ...ci, step: 'load/sync-orders-again' }),
    key({ ...ci, attempt: '2' }),
    key(ci, { ...spec, syncType: 'full' }),
  ]);
  expect(keys.size).toBe(4);
});

test('the idempotency-key input wins; with several targets each gets its own suffix', () => {
  expect(idempotencyKeyFor({ idempotencyKey: 'release-7', targets: [spec] }, ci, spec, 'n')).toBe('release-7');
  const other = { ...spec, label: 'connection/conn_crm', connection: 'conn_crm' };
  const a = idempotencyKeyFor({ idempotencyKey: 'release-7', targets: [spec, other] }, ci, spec, 'n');
  const b = idempotencyKeyFor({ idempotencyKey: 'release-7', targets: [spec, other] }, ci, other, 'n');
  expect(a).not.toBe(b);
  expect(a.startsWith('release-7-')).toBe(true);
});

describe('unique per invocation of the step (issue 12, defect 7b)', () => {
  // GitLab, Jenkins, CircleCI: the CLI knows the CI run and job, but no step within the job.
  const gitlab: CiContext = { system: 'cli', runId: '981723', attempt: '5521904', runUrl: 'https://gitlab.example/acme/data/-/jobs/5521904' };

  test('without a step id, two invocations in one CI job get different keys (each its own nonce)', () => {
    const a = idempotencyKeyFor({ targets: [spec] }, gitlab, spec, 'nonce-invocation-1');
    const b = idempotencyKeyFor({ targets: [spec] }, gitlab, spec, 'nonce-invocation-2');
    expect(a).not.toBe(b);
    expect(a.startsWith('orun-cli-981723-5521904-')).toBe(true);
  });

  test('without a step id, one invocation keeps its key (a resend reuses it)', () => {
    expect(idempotencyKeyFor({ targets: [spec] }, gitlab, spec, 'nonce-1')).toBe(idempotencyKeyFor({ targets: [spec] }, gitlab, spec, 'nonce-1'));
  });

  test('with a step id (GitHub GITHUB_ACTION, Azure task instance) the key is derived from the CI ids alone', () => {
    expect(idempotencyKeyFor({ targets: [spec] }, ci, spec, 'nonce-1')).toBe(idempotencyKeyFor({ targets: [spec] }, ci, spec, 'nonce-2'));
    const azure: CiContext = { system: 'azure', runId: '77', attempt: '1', step: 'job-guid/task-instance-guid' };
    expect(idempotencyKeyFor({ targets: [spec] }, azure, spec, 'a')).toBe(idempotencyKeyFor({ targets: [spec] }, azure, spec, 'b'));
    expect(idempotencyKeyFor({ targets: [spec] }, azure, spec, 'a')).not.toBe(
      idempotencyKeyFor({ targets: [spec] }, { ...azure, step: 'job-guid/other-task-instance' }, spec, 'a'),
    );
  });
});

import type { CiContext, PlanasonixSyncSpec } from '../../src/core/settings.js';
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

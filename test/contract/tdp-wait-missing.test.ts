/**
 * `mode: wait` with a run id that does not exist fails clearly after a short window instead of waiting until
 * the timeout, and a run id of the wrong shape is refused before any request.
 */
import { InputError } from '../../src/core/inputs/index.js';
import { parseSettings } from '../../src/providers/registry.js';
import type { Simulator } from '../../src/simulator/index.js';
import { KEY, runTdp, tdpWorld, WS } from '../helpers/tdp.js';

let sim: Simulator;
beforeAll(async () => {
  sim = await tdpWorld({ timeScale: 1 });
});
afterAll(async () => {
  await sim.close();
});

test('a run id that is not in the task history fails within the confirm window, naming the run', async () => {
  const started = Date.now();
  const { outcome } = await runTdp(sim, { mode: 'wait', task: 'Package/1005', 'run-id': '12345678', timeout: '20s' }, { confirmWindowMs: 1500 });
  expect(outcome.status).toBe('failed');
  expect(outcome.failureLine).toMatch(/run 12345678 does not exist on timextender, or is not visible to this key/);
  expect(Date.now() - started).toBeLessThan(10_000);
});

test('a run id that shows up within the window is followed as usual', async () => {
  const { outcome } = await runTdp(sim, { mode: 'wait', task: 'Package/1005', 'run-id': '98231', timeout: '20s' }, { confirmWindowMs: 1500 });
  expect(outcome.status).toBe('succeeded');
});

test.each([
  ['Package/1005', 'abc', /'abc' is not a TimeXtender execution id/],
  ['Package/1005', 'adopted:x1', /'x1' is not a TimeXtender execution id/],
])('run-id %s / %s is refused before any request', (task, runId, message) => {
  const before = sim.journal.entries().length;
  const values: Record<string, string> = { platform: 'timextender', 'base-url': sim.url, 'api-key': KEY, workspace: WS, task, mode: 'wait', 'run-id': runId };
  expect(() => parseSettings((name) => values[name])).toThrow(InputError);
  expect(() => parseSettings((name) => values[name])).toThrow(message);
  expect(sim.journal.entries().length).toBe(before);
});

test('a process map run id must be <id>@<start>', () => {
  const values: Record<string, string> = { platform: 'timextender', 'base-url': sim.url, 'api-key': KEY, workspace: WS, 'process-map': '42', mode: 'wait', 'run-id': '97210' };
  expect(() => parseSettings((name) => values[name])).toThrow(/is not a TimeXtender process map run/);
  values['run-id'] = '42@2026-03-15T08:30:00';
  expect(() => parseSettings((name) => values[name])).not.toThrow();
});

/**
 * Self-tests of the TimeXtender module of the simulator, over real loopback HTTP (apis.md §1, §4.1).
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import { DEMO_TDP_VIEWER_KEY, DEMO_USER } from '../../src/simulator/demo-world.js';
import { durationText, formatServerLocal, type SimulatorOptions } from '../../src/simulator/index.js';
import {
  START_EPOCH_MS,
  expectProblem,
  startTestWorld,
  type ExecutionJson,
  type ProcessMapJson,
  type TaskJson,
  type TestWorld,
} from './helpers.js';

let world: TestWorld | undefined;

async function start(options: SimulatorOptions = {}): Promise<TestWorld> {
  world = await startTestWorld(options);
  return world;
}

afterEach(async () => {
  await world?.sim.close();
  world = undefined;
});

const UNKNOWN_TYPE_TEXT =
  "Unknown taskType 'Pkg'. Valid values: Query, CompareQuery, Package, ObjectGroup, Process, ScheduleGroup, TestGroup, OrchestrationMap, Link, EmailSummary, Rule.";

const ids = (rows: ExecutionJson[]) => rows.map((r) => r.executionId);

describe('auth (X-API-Key only)', () => {
  it('answers 401 problem JSON without a key, with only a Bearer token, and with an unknown key', async () => {
    const w = await start();
    await expectProblem(await w.get('/workspaces', null), 401);
    await expectProblem(await w.get('/workspaces', null, { Authorization: `Bearer ${w.demo.tdpKey}` }), 401);
    await expectProblem(await w.get('/workspaces', 'txk_ABCDEFGHIJKLMNOPQRSTUWXYZ1234567890'), 401);
    expect((await w.get('/workspaces')).status).toBe(200);
  });

  it('answers 401 from the next request on once the key is revoked mid-run', async () => {
    const w = await start();
    expect((await w.get('/finance/tasks/Package/1005/executions')).status).toBe(200);
    w.sim.tdp.revokeKey(w.demo.tdpKey);
    await expectProblem(await w.get('/finance/tasks/Package/1005/executions'), 401);
  });

  it('answers 401 for a deactivated user by default, 403 when switched', async () => {
    const w = await start();
    w.sim.tdp.deactivateUser(DEMO_USER);
    await expectProblem(await w.get('/workspaces'), 401);
    w.sim.tdp.options.deactivatedUserStatus = 403;
    await expectProblem(await w.get('/workspaces'), 403);
  });

  it('limits a user to 3 active keys and generates txk_ keys', async () => {
    const w = await start();
    w.sim.tdp.addUser('newcomer');
    const key = w.sim.tdp.addKey('newcomer');
    expect(key).toMatch(/^txk_[A-Za-z0-9]{32}$/);
    w.sim.tdp.addKey('newcomer');
    w.sim.tdp.addKey('newcomer');
    expect(() => w.sim.tdp.addKey('newcomer')).toThrow(/3 active keys/);
  });

  it('serves a /swagger stub without a key, whatever the Host header', async () => {
    const w = await start();
    const res = await fetch(`${w.sim.url}/swagger`, { headers: { Host: 'acme.odq.timextender.com' } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    expect(await res.text()).toContain('X-API-Key');
  });
});

describe('workspaces and access levels', () => {
  it('lists only the workspaces the user can see', async () => {
    const w = await start();
    expect(await w.getJson('/workspaces')).toEqual([{ key: 'finance', name: 'Finance', description: 'Finance data governance workspace' }]);
  });

  it('lets a Viewer read but answers 403 problem JSON to both triggers', async () => {
    const w = await start();
    expect((await w.get('/finance/tasks', DEMO_TDP_VIEWER_KEY)).status).toBe(200);
    await expectProblem(await w.post('/finance/tasks/Package/1005/trigger', { uat: 'Production' }, DEMO_TDP_VIEWER_KEY), 403);
    await expectProblem(await w.post('/finance/process-maps/42/trigger', { uat: 'Production' }, DEMO_TDP_VIEWER_KEY), 403);
    expect(w.sim.tdp.executions('finance', 'Package', 1005).filter((e) => e.origin !== 'history')).toEqual([]);
    expect(w.sim.tdp.triggers()).toEqual([
      expect.objectContaining({ kind: 'task', ws: 'finance', target: 'Package/1005', env: 'Production', accepted: false, status: 403 }),
      expect.objectContaining({ kind: 'process-map', target: '42', accepted: false, status: 403 }),
    ]);
  });

  it('answers 404 on map/task routes and 403 on execution routes for unknown or invisible workspaces', async () => {
    const w = await start();
    for (const ws of ['nope', 'sales']) {
      await expectProblem(await w.get(`/${ws}/process-maps`), 404);
      await expectProblem(await w.get(`/${ws}/process-maps/7/tasks`), 404);
      await expectProblem(await w.get(`/${ws}/tasks`), 404);
      await expectProblem(await w.get(`/${ws}/tasks/Package/5001`), 404);
      await expectProblem(await w.post(`/${ws}/tasks/Package/5001/trigger`), 404);
      await expectProblem(await w.get(`/${ws}/executions`), 403);
      await expectProblem(await w.get(`/${ws}/tasks/Package/5001/executions`), 403);
      await expectProblem(await w.get(`/${ws}/tasks/Package/5001/executions/93001/log`), 403);
    }
  });

  it('switches the unknown-workspace status per route family', async () => {
    const w = await start({ timextender: { unknownWorkspace: { mapsAndTasks: 403, executions: 404 } } });
    await expectProblem(await w.get('/nope/tasks'), 403);
    await expectProblem(await w.get('/nope/executions'), 404);
  });

  it("accepts 'all' on /process-maps and /tasks only", async () => {
    const w = await start();
    const maps = await w.getJson<ProcessMapJson[]>('/all/process-maps');
    expect(maps.map((m) => m.processMapId)).toEqual([42]);
    expect(maps[0]!.workspace).toBe('finance');
    const tasks = await w.getJson<TaskJson[]>('/all/tasks');
    expect(tasks).toHaveLength(7);
    expect(tasks[0]).not.toHaveProperty('workspace'); // apis.md §1.6: a Task has no workspace field
    await expectProblem(await w.get('/all/executions'), 403);
  });

  it('hides tasks and maps from users they are hidden from (missing from lists, 404 by id)', async () => {
    const w = await start();
    w.sim.tdp.addTask('finance', { taskType: 'Rule', taskId: 7001, taskName: 'Secret Rule', hiddenFrom: [DEMO_USER] });
    w.sim.tdp.addProcessMap('finance', { processMapId: 77, name: 'Secret Map', failurePolicy: 'fail-parent', members: [], hiddenFrom: [DEMO_USER] });
    const tasks = await w.getJson<TaskJson[]>('/finance/tasks');
    expect(tasks.some((t) => t.taskId === 7001)).toBe(false);
    await expectProblem(await w.get('/finance/tasks/Rule/7001'), 404);
    const maps = await w.getJson<ProcessMapJson[]>('/finance/process-maps');
    expect(maps.some((m) => m.processMapId === 77)).toBe(false);
    await expectProblem(await w.get('/finance/process-maps/77/tasks'), 404);
    await expectProblem(await w.post('/finance/process-maps/77/trigger'), 404);
    // Another user of the workspace sees them.
    expect((await w.get('/finance/tasks/Rule/7001', DEMO_TDP_VIEWER_KEY)).status).toBe(200);
  });
});

describe('task types and ids', () => {
  it('answers an unknown taskType with the exact plain-text 400, on reads and triggers', async () => {
    const w = await start();
    for (const res of [
      await w.get('/finance/tasks/Pkg/1005'),
      await w.get('/finance/tasks/Pkg/1005/executions'),
      await w.post('/finance/tasks/Pkg/1005/trigger'),
    ]) {
      expect(res.status).toBe(400);
      expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
      expect(await res.text()).toBe(UNKNOWN_TYPE_TEXT);
    }
  });

  it('keeps Package/42 and Query/42 apart, with different outcomes', async () => {
    const w = await start();
    const pkg = await w.getJson<TaskJson>('/finance/tasks/Package/42');
    const query = await w.getJson<TaskJson>('/finance/tasks/Query/42');
    expect(pkg.taskName).not.toBe(query.taskName);
    expect((await w.post('/finance/tasks/Package/42/trigger')).status).toBe(202);
    expect((await w.post('/finance/tasks/Query/42/trigger')).status).toBe(202);
    w.sim.clock.advance(60_000);
    expect((await w.getJson<TaskJson>('/finance/tasks/Package/42')).status).toBe('Finished');
    expect((await w.getJson<TaskJson>('/finance/tasks/Query/42')).status).toBe('Failed');
  });

  it('answers 400 problem JSON for a non-numeric id, 404 for an unknown one, 405 for a wrong method', async () => {
    const w = await start();
    await expectProblem(await w.get('/finance/tasks/Package/abc'), 400);
    await expectProblem(await w.get('/finance/tasks/Package/999999'), 404);
    await expectProblem(await w.get('/finance/tasks/Package/1005/trigger'), 405);
    // There is no cancel route (apis.md §1.9).
    await expectProblem(await w.post('/finance/tasks/Package/1005/executions/98231/cancel'), 404);
  });
});

describe('uat (environment)', () => {
  it('defaults to Production; keeps state per environment; reads uat from the trigger body', async () => {
    const w = await start();
    const before = await w.getJson<ExecutionJson[]>('/finance/tasks/Package/1005/executions?uat=Development');
    expect(before).toEqual([]);
    expect((await w.post('/finance/tasks/Package/1005/trigger', { uat: 'Development' })).status).toBe(202);
    expect(await w.getJson<ExecutionJson[]>('/finance/tasks/Package/1005/executions?uat=Development')).toHaveLength(1);
    const production = await w.getJson<ExecutionJson[]>('/finance/tasks/Package/1005/executions');
    expect(production).toHaveLength(5); // only the seeded history
    expect((await w.getJson<TaskJson>('/finance/tasks/Package/1005?uat=Development')).status).toBe('Queued');
    expect((await w.getJson<TaskJson>('/finance/tasks/Package/1005')).status).toBe('Finished');
    expect(w.sim.tdp.triggers()[0]).toMatchObject({ env: 'Development', accepted: true, status: 202 });
  });

  it('treats a missing body as Production', async () => {
    const w = await start();
    const res = await fetch(w.api('/finance/tasks/Package/1005/trigger'), { method: 'POST', headers: { 'X-API-Key': w.demo.tdpKey } });
    expect(res.status).toBe(202);
    expect(w.sim.tdp.executions('finance', 'Package', 1005, 'Production').some((e) => e.origin === 'api')).toBe(true);
  });

  it('answers 400 problem JSON for an unknown word, in the query and in the body', async () => {
    const w = await start();
    const body = await expectProblem(await w.get('/finance/tasks?uat=Staging'), 400);
    expect(body['errors']).toHaveProperty('uat');
    await expectProblem(await w.post('/finance/tasks/Package/1005/trigger', { uat: 'Staging' }), 400);
    await expectProblem(await w.post('/finance/tasks/Package/1005/trigger', '{"uat": '), 400);
  });

  it('is case-sensitive by default, switchable; the third word is Test or Testing', async () => {
    const w = await start();
    await expectProblem(await w.get('/finance/tasks?uat=production'), 400);
    expect((await w.get('/finance/tasks?uat=Test')).status).toBe(200);
    await expectProblem(await w.get('/finance/tasks?uat=Testing'), 400);
    w.sim.tdp.options.uatCaseSensitive = false;
    w.sim.tdp.options.testEnvironmentWord = 'Testing';
    expect((await w.get('/finance/tasks?uat=production')).status).toBe(200);
    expect((await w.get('/finance/tasks?uat=TESTING')).status).toBe(200);
    await expectProblem(await w.get('/finance/tasks?uat=Test'), 400);
  });
});

describe('paging', () => {
  it('rejects limit < 1, offset < 0 and non-integers with 400', async () => {
    const w = await start();
    await expectProblem(await w.get('/finance/tasks?limit=0'), 400);
    await expectProblem(await w.get('/finance/tasks?limit=-5'), 400);
    await expectProblem(await w.get('/finance/tasks?offset=-1'), 400);
    await expectProblem(await w.get('/finance/tasks?limit=abc'), 400);
    await expectProblem(await w.get('/finance/tasks/Package/1005/executions?limit=0'), 400);
  });

  it('ends a list with a short page', async () => {
    const w = await start();
    const sizes: number[] = [];
    for (let offset = 0; ; offset += 3) {
      const page = await w.getJson<TaskJson[]>(`/finance/tasks?limit=3&offset=${offset}`);
      sizes.push(page.length);
      if (page.length < 3) break;
    }
    expect(sizes).toEqual([3, 3, 1]);
  });

  it('applies the default limits: 100 for lists, 50 for history', async () => {
    const w = await start();
    const history = Array.from({ length: 60 }, (_, i) => ({ startedAgoMs: (i + 1) * 3_600_000, durationMs: 60_000, status: 'Finished' }));
    w.sim.tdp.addTask('finance', { taskType: 'Process', taskId: 1, taskName: 'Busy', history });
    for (let i = 0; i < 120; i++) w.sim.tdp.addTask('finance', { taskType: 'Link', taskId: 100 + i, taskName: `Link ${i}` });
    expect(await w.getJson<unknown[]>('/finance/tasks/Process/1/executions')).toHaveLength(50);
    expect(await w.getJson<unknown[]>('/finance/tasks/Process/1/executions?limit=100')).toHaveLength(60);
    expect(await w.getJson<unknown[]>('/finance/tasks')).toHaveLength(100);
    w.sim.tdp.options.defaultListLimit = 10;
    expect(await w.getJson<unknown[]>('/finance/tasks')).toHaveLength(10);
  });

  it('ignores limit/offset on the process-map task list, unless switched', async () => {
    const w = await start();
    const all = await w.getJson<TaskJson[]>('/finance/process-maps/42/tasks?limit=1&offset=2');
    expect(all.map((t) => `${t.taskType}/${t.taskId}`)).toEqual(['Package/1005', 'Package/1010', 'Query/2010', 'EmailSummary/3001', 'Package/1099']);
    expect((await w.get('/finance/process-maps/42/tasks?limit=0')).status).toBe(200);
    w.sim.tdp.options.processMapTasksIgnorePaging = false;
    const page = await w.getJson<TaskJson[]>('/finance/process-maps/42/tasks?limit=1&offset=2');
    expect(page.map((t) => t.taskId)).toEqual([2010]);
    await expectProblem(await w.get('/finance/process-maps/42/tasks?limit=0'), 400);
  });
});

describe('task trigger and its execution', () => {
  it('answers 202 with an empty body and no id, then the run moves queued → running → Finished on the clock', async () => {
    const w = await start();
    const tdp = w.sim.tdp;
    tdp.setScenario('finance', 'Package', 1005, { outcome: 'success', queuedMs: 2_000, durationMs: 87_000 });
    const baseline = await w.getJson<ExecutionJson[]>('/finance/tasks/Package/1005/executions?limit=100');

    const res = await w.post('/finance/tasks/Package/1005/trigger');
    expect(res.status).toBe(202);
    expect(res.headers.get('content-length')).toBe('0');
    expect(res.headers.get('location')).toBeNull();
    expect(await res.text()).toBe('');

    const queued = await w.getJson<ExecutionJson[]>('/finance/tasks/Package/1005/executions?limit=100');
    const fresh = queued.filter((e) => !ids(baseline).includes(e.executionId));
    expect(fresh).toHaveLength(1);
    const newId = fresh[0]!.executionId;
    // apis.md §1.10: the new id is LOWER than the seeded ones, so "highest id" would pick the wrong run.
    expect(newId).toBeLessThan(Math.min(...ids(baseline)));
    expect(fresh[0]).toMatchObject({ status: 'Queued', endTime: null, durationSeconds: null, startTime: '2026-03-15T22:30:00' });
    expect((await w.getJson<TaskJson>('/finance/tasks/Package/1005')).status).toBe('Queued');

    w.sim.clock.advance(2_000);
    const running = (await w.getJson<ExecutionJson[]>('/finance/tasks/Package/1005/executions')).find((e) => e.executionId === newId);
    expect(running).toEqual({ executionId: newId, startTime: '2026-03-15T22:30:02', endTime: null, status: 'Running', durationSeconds: null });
    const dashboardRow = (await w.getJson<Array<Record<string, unknown>>>('/finance/executions')).find((e) => e['taskId'] === 1005);
    expect(dashboardRow).toMatchObject({ status: 'Running', lastStartTime: '2026-03-15T22:30:02', lastEndTime: null, duration: '' });

    w.sim.clock.advance(87_000);
    const done = (await w.getJson<ExecutionJson[]>('/finance/tasks/Package/1005/executions')).find((e) => e.executionId === newId);
    expect(done).toEqual({ executionId: newId, startTime: '2026-03-15T22:30:02', endTime: '2026-03-15T22:31:29', status: 'Finished', durationSeconds: 87 });
    const task = await w.getJson<TaskJson>('/finance/tasks/Package/1005');
    expect(task).toMatchObject({ status: 'Finished', lastExecutionStartTime: '2026-03-15T22:30:02', lastExecutionEndTime: '2026-03-15T22:31:29' });
    const finalRow = (await w.getJson<Array<Record<string, unknown>>>('/finance/executions')).find((e) => e['taskId'] === 1005);
    expect(finalRow).toMatchObject({ status: 'Finished', duration: '01m 27s' });

    expect(tdp.executions('finance', 'Package', 1005).filter((e) => e.origin === 'api')).toEqual([
      { executionId: newId, status: 'Finished', startMs: START_EPOCH_MS + 2_000, endMs: START_EPOCH_MS + 89_000, origin: 'api', rowVisible: true },
    ]);
  });

  it('answers 409 problem JSON while the task is queued or running, and accepts again once it ended', async () => {
    const w = await start();
    w.sim.tdp.setScenario('finance', 'Package', 1005, { outcome: 'success', queuedMs: 1_000, durationMs: 5_000 });
    expect((await w.post('/finance/tasks/Package/1005/trigger')).status).toBe(202);
    const queuedConflict = await expectProblem(await w.post('/finance/tasks/Package/1005/trigger'), 409);
    expect(queuedConflict['title']).toMatch(/already running or queued/);
    w.sim.clock.advance(2_000);
    await expectProblem(await w.post('/finance/tasks/Package/1005/trigger'), 409);
    w.sim.clock.advance(5_000);
    expect((await w.post('/finance/tasks/Package/1005/trigger')).status).toBe(202);
    expect(w.sim.tdp.triggers().map((t) => t.status)).toEqual([202, 409, 409, 202]);
    expect(w.sim.tdp.executions('finance', 'Package', 1005).filter((e) => e.origin === 'api')).toHaveLength(2);
  });

  it("queues a second run behind the first with secondTriggerWhileRunning 'queue'", async () => {
    const w = await start({ timextender: { secondTriggerWhileRunning: 'queue' } });
    w.sim.tdp.setScenario('finance', 'Package', 1005, { outcome: 'success', durationMs: 10_000 });
    expect((await w.post('/finance/tasks/Package/1005/trigger')).status).toBe(202);
    expect((await w.post('/finance/tasks/Package/1005/trigger')).status).toBe(202);
    const [first, second] = w.sim.tdp.executions('finance', 'Package', 1005).filter((e) => e.origin === 'api');
    expect(first).toMatchObject({ status: 'Running', startMs: START_EPOCH_MS });
    expect(second).toMatchObject({ status: 'Queued', startMs: START_EPOCH_MS + 10_000 });
  });

  it('consumes scenarios one per execution, the last one repeating', async () => {
    const w = await start();
    w.sim.tdp.setScenario('finance', 'Package', 42, [{ outcome: 'failure' }, { outcome: 'success' }]);
    const outcomes: string[] = [];
    for (let i = 0; i < 3; i++) {
      expect((await w.post('/finance/tasks/Package/42/trigger')).status).toBe(202);
      w.sim.clock.advance(5_000);
      outcomes.push((await w.getJson<TaskJson>('/finance/tasks/Package/42')).status!);
    }
    expect(outcomes).toEqual(['Failed', 'Finished', 'Finished']);
  });

  it('models unknown words: Paused without an end, Aborted with an end, and Cancelled', async () => {
    const w = await start();
    const tdp = w.sim.tdp;
    tdp.setScenario('finance', 'Package', 42, [{ outcome: 'unknown-running' }]);
    tdp.setScenario('finance', 'Package', 1005, [{ outcome: 'unknown-ended', durationMs: 3_000 }]);
    tdp.setScenario('finance', 'EmailSummary', 3001, [{ outcome: 'cancelled', durationMs: 3_000 }]);
    tdp.setScenario('finance', 'Package', 1010, [{ outcome: 'failure', statusWord: 'Stopped', durationMs: 3_000 }]);
    for (const target of ['Package/42', 'Package/1005', 'EmailSummary/3001', 'Package/1010']) {
      expect((await w.post(`/finance/tasks/${target}/trigger`)).status).toBe(202);
    }
    w.sim.clock.advance(3_600_000);
    const newest = async (target: string) => (await w.getJson<ExecutionJson[]>(`/finance/tasks/${target}/executions`))[0]!;
    expect(await newest('Package/42')).toMatchObject({ status: 'Paused', endTime: null, durationSeconds: null });
    expect(await newest('Package/1005')).toMatchObject({ status: 'Aborted', durationSeconds: 3 });
    expect((await newest('Package/1005')).endTime).not.toBeNull();
    expect(await newest('EmailSummary/3001')).toMatchObject({ status: 'Cancelled', durationSeconds: 3 });
    expect(await newest('Package/1010')).toMatchObject({ status: 'Stopped' });
    // 'Paused' never ends: the task stays busy.
    await expectProblem(await w.post('/finance/tasks/Package/42/trigger'), 409);
  });

  it('shows the row only after rowDelayMs, or only once the run leaves the queue', async () => {
    const w = await start({ timextender: { rowDelayMs: 3_000 } });
    w.sim.tdp.setScenario('finance', 'Package', 42, { outcome: 'success', durationMs: 10_000 });
    await w.post('/finance/tasks/Package/42/trigger');
    expect(await w.getJson<unknown[]>('/finance/tasks/Package/42/executions')).toHaveLength(5);
    expect((await w.getJson<TaskJson>('/finance/tasks/Package/42')).status).toBe('Running');
    w.sim.clock.advance(3_000);
    expect(await w.getJson<unknown[]>('/finance/tasks/Package/42/executions')).toHaveLength(6);

    w.sim.tdp.options.rowDelayMs = 0;
    w.sim.tdp.options.rowOnlyWhenStarted = true;
    w.sim.tdp.setScenario('finance', 'Query', 42, { outcome: 'success', queuedMs: 5_000 });
    await w.post('/finance/tasks/Query/42/trigger');
    expect(await w.getJson<unknown[]>('/finance/tasks/Query/42/executions')).toHaveLength(5);
    expect((await w.getJson<TaskJson>('/finance/tasks/Query/42')).status).toBe('Queued');
    w.sim.clock.advance(5_000);
    const rows = await w.getJson<ExecutionJson[]>('/finance/tasks/Query/42/executions');
    expect(rows).toHaveLength(6);
    expect(rows[0]!.status).toBe('Running');
  });

  it('accepts a trigger of a disabled task but never runs it (default), or refuses when switched', async () => {
    const w = await start();
    expect((await w.post('/finance/tasks/Package/1099/trigger')).status).toBe(202);
    w.sim.clock.advance(60_000);
    expect(w.sim.tdp.executions('finance', 'Package', 1099).every((e) => e.origin === 'history')).toBe(true);
    expect((await w.getJson<TaskJson>('/finance/tasks/Package/1099')).status).toBe('Disabled');
    w.sim.tdp.options.disabledTaskTrigger = 409;
    await expectProblem(await w.post('/finance/tasks/Package/1099/trigger'), 409);
  });
});

describe('execution history', () => {
  it('orders newest first by default, running last or shuffled when switched', async () => {
    const w = await start();
    w.sim.tdp.setScenario('finance', 'Package', 1005, { outcome: 'hang' });
    await w.post('/finance/tasks/Package/1005/trigger');
    const newestFirst = await w.getJson<ExecutionJson[]>('/finance/tasks/Package/1005/executions');
    expect(newestFirst[0]!.status).toBe('Running');
    const starts = newestFirst.map((e) => e.startTime);
    expect([...starts].sort().reverse()).toEqual(starts);

    w.sim.tdp.options.historyOrder = 'running-last';
    const runningLast = await w.getJson<ExecutionJson[]>('/finance/tasks/Package/1005/executions');
    expect(runningLast[runningLast.length - 1]!.status).toBe('Running');

    w.sim.tdp.options.historyOrder = 'shuffled';
    const shuffled = await w.getJson<ExecutionJson[]>('/finance/tasks/Package/1005/executions');
    expect(shuffled.map((e) => e.executionId).sort()).toEqual(newestFirst.map((e) => e.executionId).sort());
    expect(await w.getJson<ExecutionJson[]>('/finance/tasks/Package/1005/executions')).toEqual(shuffled); // stable
  });

  it('orders oldest first or by id descending when switched (apis.md §5 #6)', async () => {
    const w = await start();
    const newestFirst = await w.getJson<ExecutionJson[]>('/finance/tasks/Package/1005/executions');
    expect(newestFirst.length).toBeGreaterThanOrEqual(3);
    w.sim.tdp.options.historyOrder = 'oldest-first';
    expect(ids(await w.getJson<ExecutionJson[]>('/finance/tasks/Package/1005/executions'))).toEqual([...ids(newestFirst)].reverse());
    w.sim.tdp.options.historyOrder = 'id-descending';
    expect(ids(await w.getJson<ExecutionJson[]>('/finance/tasks/Package/1005/executions'))).toEqual([...ids(newestFirst)].sort((a, b) => b - a));
  });

  it('caps history pages below the limit asked when switched (apis.md §5 #4); offsets still work', async () => {
    const w = await start({ timextender: { historyPageCap: 2 } });
    const all = ids(await (async () => {
      w.sim.tdp.options.historyPageCap = undefined;
      return w.getJson<ExecutionJson[]>('/finance/tasks/Package/1005/executions?limit=100');
    })());
    w.sim.tdp.options.historyPageCap = 2;
    const page1 = await w.getJson<ExecutionJson[]>('/finance/tasks/Package/1005/executions?limit=100&offset=0');
    const page2 = await w.getJson<ExecutionJson[]>('/finance/tasks/Package/1005/executions?limit=100&offset=2');
    expect(page1).toHaveLength(2);
    expect([...ids(page1), ...ids(page2)]).toEqual(all.slice(0, 2 + page2.length));
    expect(await w.getJson<ExecutionJson[]>('/finance/tasks/Package/1005/executions?limit=1')).toHaveLength(1);
  });

  it('runs a member task standalone at a given time, outside any map run', async () => {
    const w = await start();
    const at = START_EPOCH_MS - 3_600_000;
    const id = w.sim.tdp.runStandalone('finance', 'Package', 1005, { outcome: 'failure', durationMs: 1_000 }, at);
    const truth = w.sim.tdp.executions('finance', 'Package', 1005).find((e) => e.executionId === id)!;
    expect(truth).toMatchObject({ origin: 'foreign', status: 'Failed', startMs: at, endMs: at + 1_000 });
    const rows = await w.getJson<ExecutionJson[]>('/finance/tasks/Package/1005/executions');
    expect(rows.find((r) => r.executionId === id)).toMatchObject({ status: 'Failed', startTime: '2026-03-15T21:30:00' });
  });

  it('allocates monotonic or random ids when switched', async () => {
    const w = await start({ timextender: { idMode: 'monotonic' } });
    await w.post('/finance/tasks/Package/1005/trigger');
    const id = w.sim.tdp.executions('finance', 'Package', 1005).find((e) => e.origin === 'api')!.executionId;
    expect(id).toBe(99755 + 1); // one above the highest seeded id
  });

  it('records foreign runs (schedules, other users), including two new runs in the correlation window', async () => {
    const w = await start();
    const tdp = w.sim.tdp;
    const baseline = ids(await w.getJson<ExecutionJson[]>('/finance/tasks/Package/42/executions'));
    await w.post('/finance/tasks/Package/42/trigger');
    tdp.startForeignRun('finance', 'Package', 42, { outcome: 'failure', durationMs: 4_000, delayMs: 500 });
    expect(await w.getJson<unknown[]>('/finance/tasks/Package/42/executions')).toHaveLength(6); // not yet
    w.sim.clock.advance(500);
    const rows = await w.getJson<ExecutionJson[]>('/finance/tasks/Package/42/executions');
    expect(rows.filter((r) => !baseline.includes(r.executionId))).toHaveLength(2);
    expect(tdp.executions('finance', 'Package', 42).map((e) => e.origin).filter((o) => o !== 'history')).toEqual(['api', 'foreign']);
    w.sim.clock.advance(10_000);
    expect(tdp.executions('finance', 'Package', 42).find((e) => e.origin === 'foreign')!.status).toBe('Failed');
  });
});

describe('dashboard (/executions)', () => {
  it('lags behind the history by dashboardLagMs', async () => {
    const w = await start({ timextender: { dashboardLagMs: 60_000 } });
    w.sim.tdp.setScenario('finance', 'EmailSummary', 3001, { outcome: 'success', durationMs: 5_000 });
    await w.post('/finance/tasks/EmailSummary/3001/trigger');
    w.sim.clock.advance(10_000);
    const history = await w.getJson<ExecutionJson[]>('/finance/tasks/EmailSummary/3001/executions');
    expect(history[0]).toMatchObject({ status: 'Finished', startTime: '2026-03-15T22:30:00' });
    const row = (await w.getJson<Array<Record<string, unknown>>>('/finance/executions')).find((e) => e['taskId'] === 3001)!;
    expect(row['lastStartTime']).not.toBe('2026-03-15T22:30:00'); // still the nightly run
    w.sim.clock.advance(60_000);
    const caughtUp = (await w.getJson<Array<Record<string, unknown>>>('/finance/executions')).find((e) => e['taskId'] === 3001)!;
    expect(caughtUp).toMatchObject({ status: 'Finished', lastStartTime: '2026-03-15T22:30:00', duration: '05s' });
  });

  it('adds entries with taskId null when switched, and pages', async () => {
    const w = await start({ timextender: { dashboardNullTaskIds: true } });
    const rows = await w.getJson<Array<Record<string, unknown>>>('/finance/executions');
    expect(rows).toHaveLength(8);
    expect(rows.filter((r) => r['taskId'] === null)).toHaveLength(1);
    expect(await w.getJson<unknown[]>('/finance/executions?limit=3&offset=6')).toHaveLength(2);
  });
});

describe('process maps', () => {
  it('runs stages in order with Ignore Failure, keeping counters and lastExecutionDate consistent', async () => {
    const w = await start();
    const tdp = w.sim.tdp;
    tdp.setScenario('finance', 'Package', 1005, { outcome: 'success', durationMs: 10_000 });
    tdp.setScenario('finance', 'Package', 1010, { outcome: 'failure', durationMs: 20_000 });
    tdp.setScenario('finance', 'Query', 2010, { outcome: 'failure', durationMs: 5_000 });
    tdp.setScenario('finance', 'EmailSummary', 3001, { outcome: 'success', durationMs: 3_000 });
    const map = async () => (await w.getJson<ProcessMapJson[]>('/finance/process-maps'))[0]!;
    const counters = (m: ProcessMapJson) => [m.successfulTasks, m.failedTasks, m.runningTasks, m.queuedTasks, m.disabledTasks];

    const res = await w.post('/finance/process-maps/42/trigger');
    expect(res.status).toBe(202);
    expect(await res.text()).toBe('');
    const atStart = await map();
    expect(atStart.lastExecutionDate).toBe('2026-03-15T22:30:00');
    expect(counters(atStart)).toEqual([0, 0, 1, 3, 1]);
    await expectProblem(await w.post('/finance/process-maps/42/trigger'), 409).then((b) => expect(b['title']).toBe('Process map is already running'));

    w.sim.clock.advance(10_000); // stage 2 starts
    expect(counters(await map())).toEqual([1, 0, 2, 1, 1]);
    w.sim.clock.advance(5_000); // 2010 failed, 1010 still running
    expect(counters(await map())).toEqual([1, 1, 1, 1, 1]);
    w.sim.clock.advance(15_000); // stage 2 over; stage 3 (3001) runs despite the failures
    expect(counters(await map())).toEqual([1, 2, 1, 0, 1]);
    w.sim.clock.advance(3_000);
    expect(counters(await map())).toEqual([2, 2, 0, 0, 1]);

    const email = tdp.executions('finance', 'EmailSummary', 3001).filter((e) => e.origin === 'map');
    expect(email).toEqual([expect.objectContaining({ status: 'Finished', startMs: START_EPOCH_MS + 30_000 })]);
    expect(tdp.executions('finance', 'Package', 1099).every((e) => e.origin === 'history')).toBe(true);
    expect((await w.post('/finance/process-maps/42/trigger')).status).toBe(202);
  });

  it('stops the later stages after a failure with Fail Parent', async () => {
    const w = await start();
    const tdp = w.sim.tdp;
    tdp.addProcessMap('finance', {
      processMapId: 50,
      name: 'Strict Load',
      failurePolicy: 'fail-parent',
      members: [
        { taskType: 'Package', taskId: 1010, stage: 1 },
        { taskType: 'EmailSummary', taskId: 3001, stage: 2 },
      ],
    });
    tdp.setScenario('finance', 'Package', 1010, { outcome: 'failure', durationMs: 2_000 });
    expect((await w.post('/finance/process-maps/50/trigger')).status).toBe(202);
    w.sim.clock.advance(60_000);
    expect(tdp.executions('finance', 'EmailSummary', 3001).filter((e) => e.origin === 'map')).toEqual([]);
    const map = (await w.getJson<ProcessMapJson[]>('/finance/process-maps')).find((m) => m.processMapId === 50)!;
    expect(map).toMatchObject({ failedTasks: 1, runningTasks: 0, queuedTasks: 0 });
    expect((await w.post('/finance/process-maps/50/trigger')).status).toBe(202); // idle again
  });

  it('moves lastExecutionDate at once but dispatches the members mapDispatchDelayMs later when switched', async () => {
    const w = await start({ timextender: { mapDispatchDelayMs: 2_000 } });
    const tdp = w.sim.tdp;
    const map = async () => (await w.getJson<ProcessMapJson[]>('/finance/process-maps'))[0]!;
    const before = await map();
    expect((await w.post('/finance/process-maps/42/trigger')).status).toBe(202);
    const atTrigger = await map();
    expect(atTrigger.lastExecutionDate).toBe('2026-03-15T22:30:00');
    expect(atTrigger.lastExecutionDate).not.toBe(before.lastExecutionDate);
    // No member queued, running or with a new execution yet: the counters show the previous state.
    expect(atTrigger).toMatchObject({ runningTasks: 0, queuedTasks: 0 });
    expect(tdp.executions('finance', 'Package', 1005).filter((e) => e.origin === 'map')).toEqual([]);
    await expectProblem(await w.post('/finance/process-maps/42/trigger'), 409); // the map run is on
    w.sim.clock.advance(2_000);
    const dispatched = tdp.executions('finance', 'Package', 1005).filter((e) => e.origin === 'map');
    expect(dispatched).toHaveLength(1);
    expect(dispatched[0]!.startMs).toBeGreaterThanOrEqual(START_EPOCH_MS + 2_000);
    expect((await map()).runningTasks + (await map()).queuedTasks).toBeGreaterThan(0);
  });

  it('offers an OrchestrationMap task standing for the map when switched', async () => {
    const w = await start({ timextender: { orchestrationMapTask: true } });
    const task = await w.getJson<TaskJson>('/finance/tasks/OrchestrationMap/42');
    expect(task).toMatchObject({ taskName: 'Daily Finance Load', status: null, processMapId: 42 });
    await w.post('/finance/process-maps/42/trigger');
    const runs = await w.getJson<ExecutionJson[]>('/finance/tasks/OrchestrationMap/42/executions');
    expect(runs).toEqual([expect.objectContaining({ status: 'Running', endTime: null })]);
    w.sim.clock.advance(3_600_000);
    expect((await w.getJson<ExecutionJson[]>('/finance/tasks/OrchestrationMap/42/executions'))[0]!.status).toBe('Failed');
  });
});

describe('logs', () => {
  it('returns [{logTime, log}] with ERROR lines for a failed package', async () => {
    const w = await start();
    await w.post('/finance/tasks/Package/1010/trigger');
    w.sim.clock.advance(60_000);
    const [run] = await w.getJson<ExecutionJson[]>('/finance/tasks/Package/1010/executions');
    expect(run!.status).toBe('Failed');
    const log = await w.getJson<Array<{ logTime: string; log: string }>>(`/finance/tasks/Package/1010/executions/${run!.executionId}/log`);
    expect(log.map((l) => l.log)).toContain('ERROR: Connection timeout after 30s. The remote server did not respond.');
    expect(log.map((l) => l.log)).toContain('Connecting to source: dw-prod.database.windows.net');
    for (const line of log) expect(line.logTime).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d$/);
  });

  it('returns [] for a failed Query, always', async () => {
    const w = await start();
    await w.post('/finance/tasks/Query/2010/trigger');
    w.sim.clock.advance(60_000);
    const [run] = await w.getJson<ExecutionJson[]>('/finance/tasks/Query/2010/executions');
    expect(run!.status).toBe('Failed');
    expect(await w.getJson(`/finance/tasks/Query/2010/executions/${run!.executionId}/log`)).toEqual([]);
  });

  it('answers an unknown execId with 404 problem JSON, or [] when switched', async () => {
    const w = await start();
    await expectProblem(await w.get('/finance/tasks/Package/1005/executions/12345678/log'), 404);
    w.sim.tdp.options.unknownExecLog = 'empty';
    expect(await w.getJson('/finance/tasks/Package/1005/executions/12345678/log')).toEqual([]);
  });

  it('shows only the lines written so far while the run is going', async () => {
    const w = await start();
    w.sim.tdp.setScenario('finance', 'Package', 42, { outcome: 'success', durationMs: 9_000, logLines: ['a', 'b', 'c', 'd'] });
    await w.post('/finance/tasks/Package/42/trigger');
    const id = w.sim.tdp.executions('finance', 'Package', 42).find((e) => e.origin === 'api')!.executionId;
    const lines = async () => (await w.getJson<Array<{ log: string }>>(`/finance/tasks/Package/42/executions/${id}/log`)).map((l) => l.log);
    expect(await lines()).toEqual(['a']);
    w.sim.clock.advance(3_000);
    expect(await lines()).toEqual(['a', 'b']);
    w.sim.clock.advance(6_000);
    expect(await lines()).toEqual(['a', 'b', 'c', 'd']);
  });

  it('streams a huge synthetic log: 200,000 lines parse as one JSON array', async () => {
    const w = await start();
    w.sim.tdp.setScenario('finance', 'Package', 42, { outcome: 'failure', durationMs: 600_000, logLineCount: 200_000 });
    await w.post('/finance/tasks/Package/42/trigger');
    w.sim.clock.advance(600_000);
    const id = w.sim.tdp.executions('finance', 'Package', 42).find((e) => e.origin === 'api')!.executionId;
    const path = `/finance/tasks/Package/42/executions/${id}/log`;

    // Streamed: no Content-Length, chunked, and the first chunk arrives on its own.
    const first = await w.get(path);
    expect(first.status).toBe(200);
    expect(first.headers.get('content-length')).toBeNull();
    expect(first.headers.get('transfer-encoding')).toBe('chunked');
    const reader = first.body!.getReader();
    const chunk = await reader.read();
    expect(chunk.done).toBe(false);
    expect(new TextDecoder().decode(chunk.value).startsWith('[')).toBe(true);
    await reader.cancel();

    const lines = await w.getJson<Array<{ logTime: string; log: string }>>(path);
    expect(lines).toHaveLength(200_000);
    expect(lines[199_999]!.log).toMatch(/^ERROR: /);
    expect(lines[0]!.logTime).toBe('2026-03-15T22:30:00');
  }, 60_000);
});

describe('timestamps', () => {
  it('formats server-local time with no offset, far from UTC by default (Kiritimati, UTC+14)', async () => {
    const w = await start();
    await w.post('/finance/tasks/Package/42/trigger');
    const [row] = await w.getJson<ExecutionJson[]>('/finance/tasks/Package/42/executions');
    expect(row!.startTime).toBe('2026-03-15T22:30:00');
    w.sim.tdp.options.timeZone = 'UTC';
    expect((await w.getJson<ExecutionJson[]>('/finance/tasks/Package/42/executions'))[0]!.startTime).toBe('2026-03-15T08:30:00');
  });

  it('repeats local times across a DST fall-back when the zone has one', () => {
    const first = Date.UTC(2026, 9, 25, 0, 30); // 02:30 CEST
    const second = Date.UTC(2026, 9, 25, 1, 30); // 02:30 CET, an hour later
    expect(formatServerLocal(first, 'Europe/Berlin')).toBe('2026-10-25T02:30:00');
    expect(formatServerLocal(second, 'Europe/Berlin')).toBe('2026-10-25T02:30:00');
  });

  it('shows Europe/Copenhagen local times across the October fall-back (02:30 CEST before 02:10 CET)', async () => {
    expect(formatServerLocal(Date.UTC(2026, 9, 25, 0, 30), 'Europe/Copenhagen')).toBe('2026-10-25T02:30:00'); // CEST
    expect(formatServerLocal(Date.UTC(2026, 9, 25, 0, 59, 59), 'Europe/Copenhagen')).toBe('2026-10-25T02:59:59');
    expect(formatServerLocal(Date.UTC(2026, 9, 25, 1, 0), 'Europe/Copenhagen')).toBe('2026-10-25T02:00:00'); // CET
    expect(formatServerLocal(Date.UTC(2026, 9, 25, 1, 10), 'Europe/Copenhagen')).toBe('2026-10-25T02:10:00');
    expect(formatServerLocal(Date.UTC(2026, 9, 24, 22, 0), 'Europe/Copenhagen')).toBe('2026-10-25T00:00:00');
    const w = await start({ startEpochMs: Date.UTC(2026, 9, 25, 1, 30), timextender: { timeZone: 'Europe/Copenhagen' } });
    w.sim.tdp.runStandalone('finance', 'Package', 42, { outcome: 'success', durationMs: 60_000 }, Date.UTC(2026, 9, 25, 0, 30));
    w.sim.tdp.runStandalone('finance', 'Package', 42, { outcome: 'failure', durationMs: 60_000 }, Date.UTC(2026, 9, 25, 1, 10));
    const rows = await w.getJson<ExecutionJson[]>('/finance/tasks/Package/42/executions');
    // Newest first in real time, although the local text of the first reads earlier.
    expect(rows.slice(0, 2).map((r) => [r.status, r.startTime])).toEqual([
      ['Failed', '2026-10-25T02:10:00'],
      ['Finished', '2026-10-25T02:30:00'],
    ]);
  });

  it('writes dashboard durations as the doc does', () => {
    expect(durationText(87)).toBe('01m 27s');
    expect(durationText(3)).toBe('03s');
    expect(durationText(3723)).toBe('1h 02m 03s');
  });
});

describe('journal', () => {
  it('records TDP requests with the key redacted', async () => {
    const w = await start();
    await w.post('/finance/tasks/Package/1005/trigger');
    const [entry] = w.sim.journal.entries({ platform: 'timextender', method: 'POST' });
    expect(entry).toMatchObject({
      path: '/api/v0/orchestration/finance/tasks/Package/1005/trigger',
      status: 202,
      body: '{"uat":"Production"}',
      authHeaders: ['x-api-key'],
    });
    expect(entry!.headers['x-api-key']).toBe('<redacted>');
    expect(JSON.stringify(w.sim.journal.entries())).not.toContain(w.demo.tdpKey);
    expect(w.sim.journal.count({ path: /\/trigger$/ })).toBe(1);
  });
});

/**
 * What a Qarion target costs in requests before its first status read, counted in the simulator's journal
 * (the key's budget is 60 requests a minute, apis.md §2.5). One target, and sixteen in one step (requests per
 * target, the shared pipeline list divided among them). The first status read of a target is the first read
 * of the run it follows (`GET …/runs/{run_id}`) after its comment.
 */
import type { JournalEntry } from '../../src/simulator/journal.js';
import { apiRuns, qarionWorld, runQarion, SPACE, type QarionSim } from '../helpers/qarion.js';

let w: QarionSim;

afterEach(async () => {
  await w?.sim.close();
});

const ORCH = `/api/v1.0/spaces/${SPACE}/orchestration`;

/** What each request was, in words a failure message can show. */
function kind(e: JournalEntry): string {
  const rest = e.path.slice(ORCH.length);
  if (rest === '/pipelines') return 'pipeline list';
  if (/^\/pipelines\/[^/]+$/.test(rest)) return `pipeline read (${e.status})`;
  if (/^\/pipelines\/[^/]+\/runs$/.test(rest)) {
    const { started_from: from, status } = e.query;
    if (status !== undefined) return `runs list status=${status}`;
    if (from === undefined) return 'runs list';
    const minutes = Math.round((e.simTimeMs - Date.parse(from)) / 60_000);
    return `runs list started_from=${minutes >= 1440 ? `${Math.round(minutes / 1440)}d` : `${minutes}m`} ago`;
  }
  if (/^\/pipelines\/[^/]+\/trigger$/.test(rest)) return 'trigger';
  if (/^\/runs\/[^/]+$/.test(rest)) return 'run read';
  if (/^\/runs\/[^/]+\/comments$/.test(rest)) return `comments ${e.method}`;
  return `${e.method} ${rest}`;
}

interface Budget {
  /** Requests of the target before its first status read, the shared pipeline list counted as 1/N. */
  perTarget: number;
  kinds: string[];
}

/**
 * Requests of each pipeline's target before its first status read. A request belongs to a target by its path:
 * the pipeline's id (its runs, its trigger), or a run of it (its reads and comments). The step's pipeline lists
 * are shared by all targets.
 */
function budgets(world: QarionSim, pipelineIds: string[], names: Map<string, string>): Map<string, Budget> {
  const entries = world.sim.journal.entries({ platform: 'qarion' });
  const runOwner = new Map<string, string>();
  for (const pid of pipelineIds) for (const run of world.q.runs(SPACE, pid)) runOwner.set(run.id, pid);
  const ownerOf = (e: JournalEntry): string | undefined => {
    const rest = e.path.slice(ORCH.length);
    const pipeline = /^\/pipelines\/([^/]+)/.exec(rest)?.[1];
    if (pipeline !== undefined) {
      const id = decodeURIComponent(pipeline);
      return names.get(id) ?? id;
    }
    const run = /^\/runs\/([^/]+)/.exec(rest)?.[1];
    return run !== undefined ? runOwner.get(decodeURIComponent(run)) : undefined;
  };
  const lists = entries.filter((e) => e.path === `${ORCH}/pipelines`);
  const out = new Map<string, Budget>();
  for (const pid of pipelineIds) {
    const ours = apiRuns(world, pid);
    expect(ours).toHaveLength(1);
    const runPath = `${ORCH}/runs/${ours[0]!.id}`;
    const commented = entries.find((e) => e.method === 'POST' && e.path === `${runPath}/comments`);
    expect(commented).toBeDefined();
    const firstStatus = entries.find((e) => e.method === 'GET' && e.path === runPath && e.seq > commented!.seq);
    expect(firstStatus).toBeDefined();
    const before = entries.filter((e) => e.seq < firstStatus!.seq && ownerOf(e) === pid);
    const sharedBefore = lists.filter((e) => e.seq < firstStatus!.seq).length;
    out.set(pid, { perTarget: before.length + sharedBefore / pipelineIds.length, kinds: [...lists.filter((e) => e.seq < firstStatus!.seq), ...before].map(kind) });
  }
  return out;
}

test('one target by name: at most 6 requests before its first status read, and which ones', async () => {
  w = await qarionWorld();
  const { outcome } = await runQarion(w, { pipeline: 'daily_finance' });
  expect(outcome.status).toBe('succeeded');
  const budget = budgets(w, [w.ids.daily], new Map([['daily_finance', w.ids.daily]])).get(w.ids.daily)!;
  expect(budget.kinds.sort()).toEqual(
    [
      'pipeline list',
      // In flight, baseline and history: one read of the 30-day window (nothing is in flight, the DAG runs).
      'runs list started_from=30d ago',
      'trigger',
      // The look for the new run (the default answer names none): runs since the baseline, and queued runs.
      'runs list started_from=10m ago',
      'runs list status=queued',
      'comments POST',
    ].sort(),
  );
  expect(budget.perTarget).toBeLessThanOrEqual(6);
  // No read of the pipeline by its name (a 422), no comment list for the run this step's trigger made.
  expect(w.sim.journal.count({ method: 'GET', path: `${ORCH}/pipelines/daily_finance` })).toBe(0);
  expect(w.sim.journal.count({ method: 'GET', path: /\/comments$/ })).toBe(0);
});

test('sixteen targets by name in one step: one pipeline list, at most 6 requests per target before its first status read', async () => {
  w = await qarionWorld();
  const names = new Map<string, string>();
  for (let i = 0; i < 16; i++) {
    const name = `load_part_${String(i).padStart(2, '0')}`;
    const id = w.q.addPipeline(SPACE, { name, connectorId: w.ids.connector });
    w.q.setScenario(SPACE, id, { outcome: 'success', durationMs: 200 });
    names.set(name, id);
  }
  const { outcome } = await runQarion(w, { pipeline: [...names.keys()].join('\n') });
  expect(outcome.status).toBe('succeeded');
  expect(outcome.results).toHaveLength(16);
  expect(w.sim.journal.count({ method: 'GET', path: `${ORCH}/pipelines` })).toBe(1);
  const all = budgets(w, [...names.values()], names);
  const over = [...all].filter(([, b]) => b.perTarget > 6 || b.kinds.filter((k) => k === 'trigger').length !== 1 || b.kinds.some((k) => k.startsWith('pipeline read')));
  expect(over.map(([pid, b]) => `${pid}: ${b.perTarget} (${b.kinds.join(', ')})`)).toEqual([]);
  // Per target: 1/16 of the list, the runs read, the trigger, the look (two lists), the comment.
  expect(Math.max(...[...all.values()].map((b) => b.perTarget))).toBeCloseTo(5 + 1 / 16);
});

test('a pipeline given by id is read directly, without the list', async () => {
  w = await qarionWorld();
  const { outcome } = await runQarion(w, { pipeline: w.ids.daily });
  expect(outcome.status).toBe('succeeded');
  expect(w.sim.journal.count({ method: 'GET', path: `${ORCH}/pipelines/${w.ids.daily}` })).toBe(1);
  expect(w.sim.journal.count({ method: 'GET', path: `${ORCH}/pipelines` })).toBe(0);
});

test('a name and an id in one step: the name from one list, the id read directly', async () => {
  w = await qarionWorld();
  const { outcome } = await runQarion(w, { pipeline: `daily_finance\n${w.ids.backfill}` });
  expect(outcome.status).toBe('succeeded');
  expect(outcome.results.map((r) => r.target)).toEqual([`${SPACE}/daily_finance (${w.ids.daily})`, `${SPACE}/${w.ids.backfill} (daily_finance_backfill)`]);
  expect(w.sim.journal.count({ method: 'GET', path: `${ORCH}/pipelines` })).toBe(1);
  expect(w.sim.journal.count({ method: 'GET', path: /\/pipelines\/[^/]+$/ })).toBe(1);
});

test('a run attached by a later step of the same CI run: the comments are listed first, so it is commented once', async () => {
  w = await qarionWorld();
  w.q.setScenario(SPACE, w.ids.daily, { outcome: 'success', durationMs: 1500 });
  const first = await runQarion(w, { pipeline: 'daily_finance', mode: 'trigger' });
  expect(first.outcome.status).toBe('triggered');
  const run = apiRuns(w, w.ids.daily)[0]!;
  // The run this step's own trigger made: commented without listing the comments first.
  expect(w.sim.journal.count({ method: 'GET', path: `${ORCH}/runs/${run.id}/comments` })).toBe(0);
  expect(w.q.commentsOn(run.id)).toHaveLength(1);
  const again = await runQarion(w, { pipeline: 'daily_finance', 'if-running': 'attach' });
  expect(again.outcome.status).toBe('succeeded');
  expect(again.host.outputs.get('run-id')).toBe(run.id);
  expect(w.sim.journal.count({ method: 'GET', path: `${ORCH}/runs/${run.id}/comments` })).toBe(1);
  expect(w.q.commentsOn(run.id)).toHaveLength(1);
});

test('a run in flight: the queued runs are read too, so the check sees every run waiting', async () => {
  w = await qarionWorld();
  w.q.startForeignRun(SPACE, w.ids.daily, { outcome: 'success', durationMs: 600 });
  w.q.startForeignRun(SPACE, w.ids.daily, { outcome: 'success', durationMs: 100 });
  await new Promise((resolve) => setTimeout(resolve, 20));
  const { outcome } = await runQarion(w, { pipeline: 'daily_finance', 'if-running': 'fail' });
  expect(outcome.status).toBe('failed');
  expect(outcome.results[0]!.message).toMatch(/already running .*2 runs are in flight/);
  expect(w.sim.journal.count({ method: 'GET', path: /\/runs$/ })).toBe(2);
});

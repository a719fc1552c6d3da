/**
 * Many TimeXtender tasks of one workspace followed in one step: their status reads are batched into the
 * workspace's execution list (GET /{workspace}/executions, one request per page for all of them) instead of
 * one history read per task per cycle, and every task still ends with its true outcome, also when the
 * dashboard lags behind the history (an end is only believed once the task's history shows it).
 */
import type { JournalEntry, Simulator } from '../../src/simulator/index.js';
import { runTdp, tdpWorld, WS } from '../helpers/tdp.js';

let sim: Simulator;

beforeEach(async () => {
  sim = await tdpWorld();
});

afterEach(async () => {
  await sim.close();
});

const COUNT = 20;
/** LIST_PAGE_SIZE of the TimeXtender API client. */
const PAGE = 100;
const dashboardPath = `/api/v0/orchestration/${WS}/executions`;
const historyPath = (id: number) => `/api/v0/orchestration/${WS}/tasks/Package/${id}/executions`;

/** 20 tasks; every third fails; durations spread between 0.4 and 2.3 s. */
function addTasks(): Array<{ id: number; outcome: 'success' | 'failure' }> {
  const tasks = Array.from({ length: COUNT }, (_, i) => ({ id: 6000 + i, outcome: i % 3 === 2 ? ('failure' as const) : ('success' as const) }));
  for (const [i, t] of tasks.entries()) {
    sim.tdp.addTask(WS, {
      taskType: 'Package',
      taskId: t.id,
      taskName: `Load Part ${i}`,
      history: [{ startedAgoMs: 86_400_000, durationMs: 60_000, status: 'Finished' }],
    });
    sim.tdp.setScenario(WS, 'Package', t.id, { outcome: t.outcome, durationMs: 400 + 100 * i });
  }
  return tasks;
}

async function followAll(tasks: Array<{ id: number }>, extra: Record<string, string> = {}) {
  return runTdp(sim, {
    task: tasks.map((t) => `Package/${t.id}`).join('\n'),
    'max-concurrency': String(COUNT),
    'fail-fast': 'false',
    'poll-interval': '400ms',
    ...extra,
  });
}

/** Dashboard reads grouped into sweeps: a sweep starts at offset 0 and pages on. */
function sweeps(entries: JournalEntry[]): JournalEntry[][] {
  const out: JournalEntry[][] = [];
  for (const e of entries.filter((x) => x.method === 'GET' && x.path === dashboardPath)) {
    if (Number(e.query.offset ?? 0) === 0 || out.length === 0) out.push([e]);
    else out[out.length - 1]!.push(e);
  }
  return out;
}

function expectTrueOutcomes(outcome: Awaited<ReturnType<typeof followAll>>['outcome'], tasks: Array<{ id: number; outcome: string }>): void {
  for (const [i, t] of tasks.entries()) {
    const truth = sim.tdp.executions(WS, 'Package', t.id).filter((e) => e.origin === 'api');
    expect(truth).toHaveLength(1);
    const result = outcome.results[i]!;
    expect(result.runId).toBe(String(truth[0]!.executionId));
    expect(result.status).toBe(t.outcome === 'success' ? 'succeeded' : 'failed');
    expect(result.rawStatus).toBe(t.outcome === 'success' ? 'Finished' : 'Failed');
  }
}

describe('20 tasks of one workspace followed together', () => {
  test('each poll cycle reads the dashboard once (ceil(20/page) pages), and every task reports its true outcome', async () => {
    const tasks = addTasks();
    const { outcome } = await followAll(tasks);
    expectTrueOutcomes(outcome, tasks);
    expect(outcome.status).toBe('failed');

    const entries = sim.journal.entries();
    const cycles = sweeps(entries);
    // Several cycles happened, each one page of the dashboard for all 20 tasks (a sweep reads every task,
    // so the tasks share cycles: about one per poll-interval of the 2-3 s they run).
    expect(cycles.length).toBeGreaterThanOrEqual(4);
    for (const cycle of cycles) expect(cycle.length).toBeLessThanOrEqual(Math.ceil(COUNT / PAGE));
    // Per task, the history is read for the baseline, the find, the confirmation of its end and (failed
    // ones) the failure details: a few reads in all, not one per cycle. The baseline and the find read the
    // whole history, and a short page is confirmed by one more (empty) page, since the server may cap pages
    // (two looks of the find under load make 8).
    for (const t of tasks) {
      const reads = entries.filter((e) => e.method === 'GET' && e.path === historyPath(t.id)).length;
      expect(reads).toBeLessThanOrEqual(8);
    }
  });

  test('a dashboard that lags behind the history: no task is reported ended before its history says so', async () => {
    sim.tdp.options.dashboardLagMs = 1500;
    sim.tdp.options.dashboardNullTaskIds = true;
    const tasks = addTasks();
    const started = sim.clock.now();
    const { outcome } = await followAll(tasks);
    expectTrueOutcomes(outcome, tasks);
    // Every task was noticed after its end on the server, never before (the dashboard showed the
    // previous day's "Finished" of each task for the first 1.5 s).
    for (const t of tasks) {
      const truth = sim.tdp.executions(WS, 'Package', t.id).find((e) => e.origin === 'api')!;
      expect(truth.endMs).not.toBeNull();
      expect(truth.endMs!).toBeGreaterThan(started);
    }
    // Trusting the lagging dashboard would have reported yesterday's one-minute run as this one.
    for (const result of outcome.results) expect(result.durationSeconds).toBeLessThan(60);
    const cycles = sweeps(sim.journal.entries());
    expect(cycles.length).toBeGreaterThanOrEqual(6);
    for (const cycle of cycles) expect(cycle.length).toBeLessThanOrEqual(Math.ceil(COUNT / PAGE));
  });

  test('without batching (one target) nothing reads the dashboard', async () => {
    const tasks = addTasks().slice(0, 1);
    const { outcome } = await followAll(tasks);
    expect(outcome.status).toBe('succeeded');
    expect(sweeps(sim.journal.entries())).toHaveLength(0);
  });
});

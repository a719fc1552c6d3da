// Many targets: 100 TimeXtender tasks of one workspace in one step, followed with batched reads (the
// workspace's execution list, one request per page per poll cycle, plus one history read per task to confirm
// its end) and with per-task reads (one history read per task per cycle), against the simulator.
//
// The simulator runs 20× faster than real time and the engine's clock is scaled to match, so a 30 s
// poll-interval is 1.5 s of wall time; request counts do not depend on the scale.
import { figure, fmt, isMain, libImport, median, quietHost, seededRandom, table } from './lib.mjs';

const TASKS = 100;
const SCALE = 20;
const POLL_INTERVAL_MS = 30_000;
const MAX_CONCURRENCY = 64; // the input's maximum
const WS = 'fanout';
const KEY = 'txk_BenchFanoutContributorKey0000001';
const PAGE = 100; // LIST_PAGE_SIZE of the TimeXtender client

/**
 * The batched default before sweeps were scheduled by the soonest-needed target (commit 0f206f9: no history
 * when batched, every target on the poll-interval grid, a sweep read only the targets that asked): status
 * reads while following and median notice lag, measured with this bench on that commit.
 */
const BEFORE = { followStatus: 360, lagMedianMs: 17_400 };

const VARIANTS = [
  { key: 'batched', label: 'batched: dashboard per cycle (default)', polling: {} },
  { key: 'per-task', label: 'per-task reads, same schedule', polling: { batch: false, history: false } },
  { key: 'per-task-history', label: 'per-task reads, history-aware', polling: { batch: false } },
];

export async function run({ log = console.log } = {}) {
  const { startSimulator } = await libImport('simulator/index.js');
  const { runStep } = await libImport('core/engine/index.js');
  const { parseSettings } = await libImport('providers/registry.js');
  const { loadProvider } = await libImport('providers/registry.js');

  const random = seededRandom(4242);
  // Runs of 2-6 minutes (simulated), every tenth one fails; each task has a week of history.
  const plan = Array.from({ length: TASKS }, (_, i) => ({
    durationMs: Math.round(120_000 + 240_000 * random.uniform()),
    outcome: i % 10 === 9 ? 'failure' : 'success',
  }));

  const results = {};
  for (const variant of VARIANTS) {
    const sim = await startSimulator({ seed: 9, timeScale: SCALE });
    try {
      const tdp = sim.tdp;
      tdp.addUser('bench');
      tdp.addKey('bench', KEY);
      tdp.addWorkspace(WS, { name: 'Fan-out', access: { bench: 'contributor' } });
      plan.forEach((p, i) => {
        const taskId = 7000 + i;
        tdp.addTask(WS, {
          taskType: 'Package',
          taskId,
          taskName: `Load Part ${i}`,
          history: Array.from({ length: 7 }, (_, k) => ({ startedAgoMs: (k + 1) * 86_400_000, durationMs: Math.round(p.durationMs * (0.85 + 0.3 * random.uniform())), status: 'Finished' })),
          logLines: ['Starting package', 'ERROR: the source refused the connection.'],
        });
        tdp.setScenario(WS, 'Package', taskId, { outcome: p.outcome, durationMs: p.durationMs });
      });
      const clock = {
        now: () => sim.clock.now(),
        sleep: (ms, signal) =>
          new Promise((resolve, reject) => {
            if (signal?.aborted) return reject(signal.reason);
            const timer = setTimeout(() => {
              signal?.removeEventListener('abort', onAbort);
              resolve();
            }, Math.max(0, ms) / SCALE);
            const onAbort = () => {
              clearTimeout(timer);
              reject(signal.reason);
            };
            signal?.addEventListener('abort', onAbort, { once: true });
          }),
      };
      const values = {
        platform: 'timextender',
        'base-url': sim.url,
        'api-key': KEY,
        workspace: WS,
        task: plan.map((_, i) => `Package/${7000 + i}`).join('\n'),
        'poll-interval': `${POLL_INTERVAL_MS / 1000}s`,
        'max-concurrency': String(MAX_CONCURRENCY),
        'fail-fast': 'false',
        timeout: '2h',
      };
      const { settings } = parseSettings((name) => values[name]);
      const startedReal = Date.now();
      const startedSim = sim.clock.now();
      const outcome = await runStep(settings, quietHost(), { loadProvider, clock, polling: variant.polling, heartbeatMs: 3_600_000 });
      const wallMs = Date.now() - startedReal;
      const simMs = sim.clock.now() - startedSim;

      const truthOk = plan.every((p, i) => outcome.results[i].status === (p.outcome === 'success' ? 'succeeded' : 'failed'));
      const entries = sim.journal.entries();
      const dashboard = entries.filter((e) => e.method === 'GET' && e.path === `/api/v0/orchestration/${WS}/executions`);
      const sweeps = dashboard.filter((e) => Number(e.query.offset ?? 0) === 0).length;
      const history = entries.filter((e) => e.method === 'GET' && /\/tasks\/Package\/\d+\/executions$/.test(e.path));
      // Status requests while following: the dashboard, and history reads other than each task's baseline and find.
      const followStatus = dashboard.length + history.length - 2 * TASKS;
      // Busiest minute (simulated time): what a per-minute rate limit sees.
      const times = entries.map((e) => e.simTimeMs).sort((a, b) => a - b);
      let busiest = 0;
      for (let i = 0, j = 0; i < times.length; i++) {
        while (times[i] - times[j] >= 60_000) j++;
        busiest = Math.max(busiest, i - j + 1);
      }
      results[variant.key] = {
        variant,
        truthOk,
        total: entries.length,
        followStatus,
        dashboard: dashboard.length,
        sweeps,
        pagesPerSweep: sweeps ? dashboard.length / sweeps : 0,
        history: history.length,
        busiest,
        wallMs,
        simMs,
        steps: outcome.status,
        lagMedianMs: median(outcome.results.map((r, i) => noticeLag(tdp, 7000 + i, entries))),
      };
    } finally {
      await sim.close();
    }
  }

  const b = results.batched;
  const p = results['per-task'];
  log(`Many targets: ${TASKS} TimeXtender tasks of one workspace in one step (max-concurrency ${MAX_CONCURRENCY}, the input's maximum), poll-interval ${POLL_INTERVAL_MS / 1000}s`);
  log(`Workload: runs of 2-6 min (simulated), every tenth fails; the simulator and the engine's clock run ${SCALE}× faster than real time.`);
  log('');
  log(
    table(
      ['mode', 'outcomes right', 'requests (all)', 'status reads while following', 'per poll-interval', 'dashboard reads (sweeps)', 'pages/sweep', 'history reads', 'busiest minute', 'median notice lag', 'wall time (real)', 'simulated'],
      Object.values(results).map((r) => [
        r.variant.label,
        r.truthOk ? 'yes' : 'NO',
        r.total,
        r.followStatus,
        fmt.n(r.followStatus / (r.simMs / POLL_INTERVAL_MS), 1),
        `${r.dashboard} (${r.sweeps})`,
        fmt.n(r.pagesPerSweep, 2),
        r.history,
        `${r.busiest} req`,
        fmt.s(r.lagMedianMs),
        fmt.s(r.wallMs),
        fmt.s(r.simMs),
      ]),
    ),
  );
  log('');
  log(`Per-task reads cost one request per followed task per cycle (up to ${MAX_CONCURRENCY} at once here); batched reads cost ceil(${TASKS}/${PAGE}) = ${Math.ceil(TASKS / PAGE)} per cycle plus one history read per task to confirm its end.`);
  log('A sweep is one read of the dashboard (all its pages) for every followed run: it goes out when the first target needs a read (its quick reads, or its history-placed reads near its expected end), and the others take its answer as their read. The busiest minute is the start, where each target resolves, checks, baselines, triggers and finds its run.');

  const figures = [
    figure('fanout', `status requests per poll cycle, ${TASKS} tasks (batched)`, `${fmt.n(b.pagesPerSweep, 2)} per sweep`, `≤ ceil(${TASKS}/${PAGE}) = ${Math.ceil(TASKS / PAGE)}`, b.pagesPerSweep <= Math.ceil(TASKS / PAGE) && b.truthOk),
    figure('fanout', `median notice lag, ${TASKS} tasks (batched; before: ${fmt.s(BEFORE.lagMedianMs)})`, fmt.s(b.lagMedianMs), '≤ 8.0 s', b.lagMedianMs <= 8000),
    figure('fanout', `status reads while following, batched, vs before (${BEFORE.followStatus})`, `${b.followStatus} (${fmt.x(b.followStatus / BEFORE.followStatus)})`, '≤ 1.05×', b.followStatus <= 1.05 * BEFORE.followStatus),
    figure('fanout', 'status reads while following: batched vs per-task (same schedule)', `${b.followStatus} vs ${p.followStatus} (${fmt.x(b.followStatus / p.followStatus)})`, 'fewer', b.followStatus < p.followStatus),
    figure('fanout', 'all requests of the step: batched vs per-task', `${b.total} vs ${p.total}`, '(reported)', true),
    figure('fanout', 'wall time: batched vs per-task', `${fmt.s(b.wallMs)} vs ${fmt.s(p.wallMs)} (simulated ${fmt.s(b.simMs)} vs ${fmt.s(p.simMs)})`, '(reported)', true),
    figure('fanout', 'every task reports its true outcome (both modes)', b.truthOk && p.truthOk ? 'yes' : 'NO', 'yes', b.truthOk && p.truthOk),
  ];
  return { figures, results };
}

/** Simulated time from the run's end to the last status read of its task (the one that saw the end). */
function noticeLag(tdp, taskId, entries) {
  const truth = tdp.executions(WS, 'Package', taskId).find((e) => e.origin === 'api');
  const path = `/api/v0/orchestration/${WS}/tasks/Package/${taskId}/executions`;
  const seen = entries.find((e) => e.method === 'GET' && e.path === path && e.simTimeMs >= truth.endMs);
  return seen ? seen.simTimeMs - truth.endMs : NaN;
}

if (isMain(import.meta.url)) {
  const { figures } = await run();
  console.log('');
  console.log(table(['figure', 'value', 'target', 'met'], figures.map((f) => [f.name, f.value, f.target, f.met ? 'yes' : 'NO'])));
}

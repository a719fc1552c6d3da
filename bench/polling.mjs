// Detection lag and request count: the engine follows the same runs with our poller (with and without
// history) and with fixed-interval polling at poll-interval (what peer actions do), against the simulator.
//
// Workload: TimeXtender tasks, each with a history of 10 nightly runs whose durations spread log-normally
// (σ 0.2) around a profile's typical duration; each new run lasts the median of ITS task's history times a
// log-normal factor (σ 0.2). Four profiles (87 s as in the API doc's example, 4 min, 12 min, 30 min), the
// same runs for every strategy. Plus a handful of runs that end within seconds (early failures), for the
// "noticed within 2 s" target.
//
// Time is virtual: the simulator's clock is frozen and jumps to the next wake-up of any poller once all are
// asleep (bench/lib.mjs VirtualTime), so each read happens exactly when its schedule says and the lag is the
// simulated time from the run's end (server truth) to the read that saw it, independent of CPU load.
import { pollingBound } from './polling-bound.mjs';
import { figure, fmt, isMain, libImport, mean, median, quantile, seededRandom, table, VirtualTime, quietHost } from './lib.mjs';

const POLL_INTERVAL = '30s';
const POLL_INTERVAL_MS = 30_000;
const SPREAD = 0.2;
const HISTORY_RUNS = 10;
const DAY = 86_400_000;
const PROFILES = [
  { name: '87 s', typicalMs: 87_000 },
  { name: '4 min', typicalMs: 240_000 },
  { name: '12 min', typicalMs: 720_000 },
  { name: '30 min', typicalMs: 1_800_000 },
];
const QUICK_ENDS_MS = [500, 1000, 1500, 2000, 3000, 4000];

const STRATEGIES = [
  { key: 'fixed', label: 'fixed polling every poll-interval', polling: { strategy: 'fixed' } },
  { key: 'history', label: 'ours, with history (default: lag goal, fewest reads)', polling: {} },
  { key: 'history-4x', label: 'ours, with history, before: early gaps ≤ 4× poll-interval, 0.98× budget', polling: { earlyGapFactor: 4, budgetShare: 0.98 } },
  { key: 'budget-0.5', label: 'ours, with history, budget 0.50× fixed', polling: { budgetShare: 0.5 }, frontier: 0.5 },
  { key: 'budget-0.75', label: 'ours, with history, budget 0.75× fixed', polling: { budgetShare: 0.75 }, frontier: 0.75 },
  { key: 'budget-1.0', label: 'ours, with history, budget 1.00× fixed', polling: { budgetShare: 1 }, frontier: 1 },
  { key: 'history-capped', label: 'ours, with history, poll-interval kept as hard cap', polling: { earlyGaps: 'poll-interval' } },
  { key: 'no-history', label: 'ours, without history', polling: { history: false } },
];
/** The targets are for runs of 10 minutes or more. */
const LONG_PROFILES = ['12 min', '30 min'];

const WS = 'bench';
const KEY = 'txk_BenchPollingContributorKey000001';

export async function run({ runs = Number(process.env.BENCH_RUNS ?? 200), log = console.log } = {}) {
  const { startSimulator } = await libImport('simulator/index.js');
  const { runStep } = await libImport('core/engine/index.js');
  const { parseSettings } = await libImport('providers/registry.js');
  const { loadProvider } = await libImport('providers/registry.js');

  const random = seededRandom(20260315);
  // The workload: per run, its task's history and its own duration.
  const workload = [];
  for (let i = 0; i < runs; i++) {
    const profile = PROFILES[i % PROFILES.length];
    const history = Array.from({ length: HISTORY_RUNS }, () => Math.round(profile.typicalMs * Math.exp(SPREAD * random.normal())));
    const historyMedian = median(history);
    const durationMs = Math.round(historyMedian * Math.exp(SPREAD * random.normal()));
    workload.push({ profile: profile.name, history, historyMedian, durationMs, outcome: 'success' });
  }
  const quick = QUICK_ENDS_MS.map((durationMs) => ({ profile: 'quick', history: workload[1 % workload.length].history, durationMs, outcome: 'failure' }));

  const results = {};
  // One simulator per strategy (its history ids are drawn from a fixed range), started at the same instant.
  const startEpochMs = Date.UTC(2026, 2, 15, 8, 0, 0); // fixed: server times (whole seconds) then round the same way every run
  for (const [s, strategy] of STRATEGIES.entries()) {
    if (process.env.BENCH_STRATEGIES && !process.env.BENCH_STRATEGIES.split(',').includes(strategy.key)) continue;
    const sim = await startSimulator({ seed: 5, timeScale: 0, startEpochMs });
    const time = new VirtualTime(sim.clock);
    const tdp = sim.tdp;
    tdp.addUser('bench');
    tdp.addKey('bench', KEY);
    tdp.addWorkspace(WS, { name: 'Bench', access: { bench: 'contributor' } });
    try {
      const cases = [...workload, ...quick].map((w, i) => ({ ...w, taskId: (s + 1) * 100_000 + i }));
      for (const c of cases) {
        tdp.addTask(WS, {
          taskType: 'Package',
          taskId: c.taskId,
          taskName: `Bench ${strategy.key} ${c.profile} #${c.taskId}`,
          history: c.history.map((durationMs, k) => ({ startedAgoMs: (k + 1) * DAY, durationMs, status: 'Finished' })),
          logLines: ['ERROR: the source refused the connection.'],
        });
        tdp.setScenario(WS, 'Package', c.taskId, { outcome: c.outcome, durationMs: c.durationMs });
      }
      const started = Date.now();
      await time.run(
        cases.map((c) => async () => {
          const values = {
            platform: 'timextender',
            'base-url': sim.url,
            'api-key': KEY,
            workspace: WS,
            task: `Package/${c.taskId}`,
            'poll-interval': POLL_INTERVAL,
            timeout: '10h',
            logs: 'never',
          };
          const { settings } = parseSettings((name) => values[name]);
          c.outcome = await runStep(settings, quietHost(), { loadProvider, clock: time.clock, polling: strategy.polling, heartbeatMs: 10 * 3_600_000 });
        }),
      );
      const entries = sim.journal.entries();
      for (const c of cases) measure(c, tdp, entries);
      results[strategy.key] = { strategy, cases, realMs: Date.now() - started };
      if (process.env.BENCH_VERBOSE) console.error(`${strategy.key}: ${((Date.now() - started) / 1000).toFixed(1)} s`);
      const bad = cases.filter((c) => c.error);
      if (bad.length) throw new Error(`${strategy.key}: ${bad.length} runs could not be measured, e.g. ${bad[0].error}`);
    } finally {
      await sim.close();
    }
  }

  // --- report -------------------------------------------------------------------------------------------
  const long = (key) => (results[key] ?? results[Object.keys(results)[0]]).cases.filter((c) => c.profile !== 'quick');
  const stats = (cases) => ({
    median: median(cases.map((c) => c.lagMs)),
    p95: quantile(cases.map((c) => c.lagMs), 0.95),
    requests: mean(cases.map((c) => c.requests)),
  });
  const overall = Object.fromEntries(STRATEGIES.map((s) => [s.key, stats(long(s.key))]));
  const fixed = overall.fixed;

  log(`Detection lag and requests per run: ${runs} runs, poll-interval ${POLL_INTERVAL}`);
  log(
    `Workload: ${PROFILES.length} profiles (${PROFILES.map((p) => p.name).join(', ')}), ${runs / PROFILES.length} runs each; each task has ` +
      `${HISTORY_RUNS} past runs spread log-normally (σ ${SPREAD}) around the profile; each new run lasts the median of its task's history × a log-normal factor (σ ${SPREAD}).`,
  );
  log('Time: virtual (the simulator clock is frozen and advanced to the next poller wake-up), so lags are exact simulated seconds.');
  log('Lag: from the run\'s end on the server to the read that saw it. Requests: status reads from the trigger on (find + follow; the history is the baseline\'s page, no extra request).');
  log('');
  const rows = [];
  for (const s of STRATEGIES) {
    const o = overall[s.key];
    rows.push([s.label, 'all', fmt.s(o.median), fmt.s(o.p95), fmt.n(o.requests, 2), fmt.x(o.median / fixed.median), fmt.x(o.requests / fixed.requests)]);
    for (const p of PROFILES) {
      const ps = stats(long(s.key).filter((c) => c.profile === p.name));
      const pf = stats(long('fixed').filter((c) => c.profile === p.name));
      rows.push(['', p.name, fmt.s(ps.median), fmt.s(ps.p95), fmt.n(ps.requests, 2), fmt.x(ps.median / pf.median), fmt.x(ps.requests / pf.requests)]);
    }
  }
  log(table(['strategy', 'profile', 'median lag', 'p95 lag', 'requests/run', 'lag vs fixed', 'requests vs fixed'], rows));
  log('');
  const quickRows = STRATEGIES.filter((s) => results[s.key]).map((s) => {
    const qs = results[s.key].cases.filter((c) => c.profile === 'quick');
    return [s.label, qs.map((c) => `${c.durationMs / 1000}s→${(c.lagMs / 1000).toFixed(1)}`).join(' '), fmt.s(Math.max(...qs.map((c) => c.lagMs)))];
  });
  log('Runs that end within seconds (early failures of a task whose history says 4 min): end → lag (s)');
  log(table(['strategy', 'end→lag', 'worst'], quickRows));

  const h = overall.history;
  const n = overall['no-history'];
  const quickWorst = (key) => Math.max(...(results[key] ?? Object.values(results)[0]).cases.filter((c) => c.profile === 'quick').map((c) => c.lagMs));
  // Runs of 10 minutes or more: the same runs for every strategy, compared with fixed polling's.
  const longStats = (key) => stats(long(key).filter((c) => LONG_PROFILES.includes(c.profile)));
  const fl = longStats('fixed');
  const ratio = (key) => {
    const o = longStats(key);
    return { ...o, lag: o.median / fl.median, req: o.requests / fl.requests };
  };
  const hl = ratio('history');
  log('');
  log(`Runs of 10 min or more (${LONG_PROFILES.join(', ')}): what each read budget buys (fixed polling: median lag ${fmt.s(fl.median)}, ${fmt.n(fl.requests, 2)} requests per run)`);
  log(
    table(
      ['strategy', 'requests vs fixed', 'median lag vs fixed', 'median lag', 'p95 lag'],
      STRATEGIES.filter((s) => s.key !== 'fixed' && results[s.key]).map((s) => {
        const r = ratio(s.key);
        return [s.label, fmt.x(r.req), fmt.x(r.lag), fmt.s(r.median), fmt.s(r.p95)];
      }),
    ),
  );
  // The bound: any schedule within the product's rules, knowing each run's true distribution (the new run's
  // duration over its history's median: σ_eff = σ·√(1 + π/2n), the median of n samples adding its own error).
  const longRuns = workload.filter((w) => LONG_PROFILES.includes(w.profile));
  const sigmaEff = SPREAD * Math.sqrt(1 + Math.PI / (2 * HISTORY_RUNS));
  const bound = pollingBound(longRuns, { sigma: sigmaEff, intervalMs: POLL_INTERVAL_MS, lagMs: 0.5 * fl.median });
  log('');
  log(
    `The least any schedule could spend for half of fixed polling's median lag on these runs (${fmt.s(0.5 * fl.median)}), knowing each run's true ` +
      `distribution (σ ${sigmaEff.toFixed(3)} around its history's median) and keeping the product's rules (reads at 2 s and 4 s; after the 1 % point no gap over ` +
      `poll-interval): ${fmt.x(bound)} fixed polling's reads (bench/polling-bound.mjs).`,
  );
  const figures = [
    figure('polling', 'fixed polling: median / p95 lag, requests per run', `${fmt.s(fixed.median)} / ${fmt.s(fixed.p95)}, ${fmt.n(fixed.requests, 2)}`, 'baseline', true),
    figure('polling', 'runs ≥ 10 min, with history: requests vs fixed', `${fmt.n(hl.requests, 2)} vs ${fmt.n(fl.requests, 2)} (${fmt.x(hl.req)})`, '≤ 0.50×', hl.req <= 0.5),
    figure('polling', 'runs ≥ 10 min, with history: median lag vs fixed', `${fmt.s(hl.median)} vs ${fmt.s(fl.median)} (${fmt.x(hl.lag)})`, '≤ 0.50×', hl.lag <= 0.5),
    ...STRATEGIES.filter((s) => s.frontier !== undefined && results[s.key]).map((s) => {
      const r = ratio(s.key);
      return figure('polling', `runs ≥ 10 min, budget ${fmt.n(s.frontier, 2)}× fixed: requests / median lag vs fixed`, `${fmt.x(r.req)} / ${fmt.x(r.lag)}`, '≤ 0.50× / ≤ 0.50×', r.req <= 0.5 && r.lag <= 0.5);
    }),
    figure('polling', 'runs ≥ 10 min: least requests any schedule within the rules needs for ≤ 0.50× median lag (true distributions known)', `${fmt.x(bound)} fixed`, 'reported (the 0.50× / 0.50× target needs ≤ 0.50×)', true),
    figure('polling', 'all runs, with history: median lag vs fixed', `${fmt.s(h.median)} (${fmt.x(h.median / fixed.median)})`, '(reported)', true),
    figure('polling', 'all runs, with history: requests per run vs fixed', `${fmt.n(h.requests, 2)} (${fmt.x(h.requests / fixed.requests)})`, '≤ 1.00×', h.requests <= fixed.requests * 1.005),
    figure('polling', 'all runs, with history: p95 lag vs fixed', `${fmt.s(h.p95)} (${fmt.x(h.p95 / fixed.p95)})`, '(reported)', true),
    figure('polling', 'without history: median / p95 lag vs fixed', `${fmt.s(n.median)} / ${fmt.s(n.p95)} (${fmt.x(n.median / fixed.median)} / ${fmt.x(n.p95 / fixed.p95)})`, '≤ 1.00×', n.median <= fixed.median * 1.005 && n.p95 <= fixed.p95 * 1.005),
    figure('polling', 'without history: requests per run vs fixed', `${fmt.n(n.requests, 2)} (${fmt.x(n.requests / fixed.requests)})`, '≤ 1.00×', n.requests <= fixed.requests * 1.005),
    figure('polling', 'run ending within 4 s: worst lag (ours, with / without history)', `${fmt.s(quickWorst('history'))} / ${fmt.s(quickWorst('no-history'))}`, '≤ 2 s', quickWorst('history') <= 2000 && quickWorst('no-history') <= 2000),
  ];
  return { figures, overall, results };
}

/** Lag and request count of one run, from the simulator's truth and its request journal. */
function measure(c, tdp, entries) {
  const truth = tdp.executions(WS, 'Package', c.taskId).find((e) => e.origin === 'api');
  if (!truth || truth.endMs === null) {
    c.error = `task ${c.taskId}: no ended run (step status ${c.outcome?.status})`;
    return;
  }
  const taskPath = `/api/v0/orchestration/${WS}/tasks/Package/${c.taskId}`;
  const mine = entries.filter((e) => e.path === taskPath || e.path === `${taskPath}/executions` || e.path === `${taskPath}/trigger`);
  const trigger = mine.findIndex((e) => e.method === 'POST');
  const reads = mine.slice(trigger + 1).filter((e) => e.method === 'GET');
  const seen = reads.findIndex((e) => e.path.endsWith('/executions') && e.simTimeMs >= truth.endMs);
  if (seen < 0) {
    c.error = `task ${c.taskId}: no read after the end`;
    return;
  }
  c.lagMs = reads[seen].simTimeMs - truth.endMs;
  c.requests = seen + 1;
  const expected = c.outcome?.status === (c.profile === 'quick' ? 'failed' : 'succeeded');
  if (!expected) c.error = `task ${c.taskId}: step ended ${c.outcome?.status}`;
}

if (isMain(import.meta.url)) {
  const { figures } = await run();
  console.log('');
  console.log(table(['figure', 'value', 'target', 'met'], figures.map((f) => [f.name, f.value, f.target, f.met ? 'yes' : 'NO'])));
}

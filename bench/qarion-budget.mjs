// The Qarion request budget: requests each target sends before its first status read, and the answers 429 a
// step gets from the documented limit of 60 requests a minute per key (apis.md §2.5), for 1, 4 and 16
// targets in one step with the default settings (max-concurrency 4, poll-interval 30s, comment on).
//
// Each target is a pipeline found by name, with a week of history (2-4 minute runs, so the poller follows its
// history), whose run takes about 3 minutes. The simulator enforces the limit (a fixed one-minute window per
// key, Retry-After in seconds). The same step also runs without a limit, to show the time the 429s cost.
// The simulator and the engine's clock run SCALE times faster than real time; request counts and 429s do not
// depend on the scale (simulated times are exact to about SCALE ms).
// A last step starts all 16 targets at once (max-concurrency 16): their first requests (about 80) exceed a
// minute's budget, so they must queue through the step's request budget rather than meet 429s.
import { figure, fmt, isMain, libImport, median, quietHost, seededRandom, table } from './lib.mjs';

const SCALE = 40;
const SPACE = 'bench';
const KEY = 'qrn_BenchBudgetEditorKey00000000000000001';
const LIMIT_PER_MIN = 60;
const TARGET_COUNTS = [1, 4, 16];
const DAY = 86_400_000;
const BUDGET_TARGET = 6;

export async function run({ log = console.log } = {}) {
  const { startSimulator } = await libImport('simulator/index.js');
  const { runStep } = await libImport('core/engine/index.js');
  const { parseSettings, loadProvider } = await libImport('providers/registry.js');

  const rows = [];
  const results = {};
  for (const n of TARGET_COUNTS) {
    for (const limited of [true, false]) {
      const r = await measure({ n, limited, startSimulator, runStep, parseSettings, loadProvider });
      results[`${n}-${limited}`] = r;
    }
    const lim = results[`${n}-true`];
    const free = results[`${n}-false`];
    rows.push([
      n,
      lim.truthOk ? 'yes' : 'NO',
      fmt.n(lim.perTarget.max, 2),
      fmt.n(lim.perTarget.median, 2),
      lim.kinds,
      lim.total,
      lim.limited429,
      lim.busiest,
      fmt.s(lim.simMs),
      fmt.s(free.simMs),
      fmt.s(lim.simMs - free.simMs),
      fmt.s(lim.wallMs),
    ]);
  }

  const rush = await measure({ n: 16, limited: true, concurrency: 16, startSimulator, runStep, parseSettings, loadProvider });

  log(`Qarion request budget: one step, N pipelines by name, default settings (max-concurrency 4, poll-interval 30s, comment on); limit ${LIMIT_PER_MIN}/min per key`);
  log(`Workload: runs of ~3 min (simulated) with a week of 2-4 min history each; simulator and engine clock ${SCALE}× real time.`);
  log('');
  log(
    table(
      ['targets', 'outcomes right', 'req/target before 1st status read (max)', '(median)', 'what (one target)', 'requests (all)', 'answers 429', 'busiest minute', 'step took (limit)', '(no limit)', 'difference', 'wall (real)'],
      rows,
    ),
  );
  log('');
  log(
    'Requests before the first status read are counted per target in the journal: the requests on its pipeline (runs, trigger) and its run (comments) ' +
      'before the first read of the run it follows, plus the step\'s pipeline list divided among the targets. The 429s are every answer 429 of the step. ' +
      `Without 429s the difference between the two step times is timing noise of the scaled clock (about ${SCALE} ms of simulated time per sleep).`,
  );
  log('');
  log(
    `All 16 started at once (max-concurrency 16): ${rush.total} requests, ${rush.limited429} answered 429, at most ${rush.busiest10s} in any 10 s ` +
      `and ${rush.busiest} in any minute; req/target before 1st status read ${fmt.n(rush.perTarget.max, 2)}; step took ${fmt.s(rush.simMs)} (wall ${fmt.s(rush.wallMs)}).`,
  );
  const figures = [];
  for (const n of TARGET_COUNTS) {
    const lim = results[`${n}-true`];
    figures.push(figure('qarion-budget', `requests per target before its first status read, ${n} target(s)`, fmt.n(lim.perTarget.max, 2), `≤ ${BUDGET_TARGET}`, lim.perTarget.max <= BUDGET_TARGET && lim.truthOk));
  }
  for (const n of TARGET_COUNTS) {
    const lim = results[`${n}-true`];
    const target = n === 16 ? '0 (with the step budget, item 1)' : '0';
    figures.push(
      figure('qarion-budget', `answers 429 at ${LIMIT_PER_MIN}/min, ${n} concurrent target(s) (default settings)`, String(lim.limited429), target, lim.limited429 === 0 && lim.truthOk, `step took ${fmt.s(lim.simMs)} (${fmt.s(results[`${n}-false`].simMs)} without a limit)`),
    );
  }
  figures.push(
    figure('qarion-budget', `answers 429 at ${LIMIT_PER_MIN}/min, 16 targets started at once (max-concurrency 16)`, String(rush.limited429), '0', rush.limited429 === 0 && rush.truthOk, `at most ${rush.busiest10s} requests in any 10 s, ${rush.busiest} in any minute`),
  );
  return { figures, results, rush };
}

async function measure({ n, limited, concurrency, startSimulator, runStep, parseSettings, loadProvider }) {
  const random = seededRandom(16 + n);
  const sim = await startSimulator({ seed: 3, timeScale: SCALE, qarion: { rateLimit: limited ? LIMIT_PER_MIN : 1_000_000_000 } });
  try {
    const q = sim.qarion;
    q.addKey('bench', KEY);
    q.addSpace(SPACE, { name: 'Bench', members: { bench: 'Editor' } });
    const connectorId = q.addConnector(SPACE, { name: 'Airflow bench' });
    const pipelines = [];
    for (let i = 0; i < n; i++) {
      const name = `load_part_${String(i).padStart(2, '0')}`;
      const history = Array.from({ length: 7 }, (_, k) => ({ startedAgoMs: (k + 1) * DAY, durationMs: Math.round(120_000 + 120_000 * random.uniform()), status: 'success' }));
      const id = q.addPipeline(SPACE, { name, connectorId, history });
      q.setScenario(SPACE, id, { outcome: 'success', durationMs: Math.round(160_000 + 40_000 * random.uniform()) });
      pipelines.push({ name, id });
    }
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
      platform: 'qarion',
      'base-url': sim.url,
      'api-key': KEY,
      space: SPACE,
      pipeline: pipelines.map((p) => p.name).join('\n'),
      timeout: '2h',
      ...(concurrency !== undefined && { 'max-concurrency': String(concurrency) }),
    };
    const { settings } = parseSettings((name) => values[name]);
    const startedReal = Date.now();
    const startedSim = sim.clock.now();
    const outcome = await runStep(settings, quietHost(), { loadProvider, clock, heartbeatMs: 3_600_000 });
    const wallMs = Date.now() - startedReal;
    const simMs = sim.clock.now() - startedSim;
    const entries = sim.journal.entries({ platform: 'qarion' });
    const truthOk = outcome.results.length === n && outcome.results.every((r) => r.status === 'succeeded');
    const budgets = perTarget(q, pipelines, entries);
    const times = entries.map((e) => e.simTimeMs).sort((a, b) => a - b);
    const busiestIn = (windowMs) => {
      let most = 0;
      for (let i = 0, j = 0; i < times.length; i++) {
        while (times[i] - times[j] >= windowMs) j++;
        most = Math.max(most, i - j + 1);
      }
      return most;
    };
    return {
      truthOk,
      total: entries.length,
      limited429: entries.filter((e) => e.status === 429).length,
      busiest: busiestIn(60_000),
      busiest10s: busiestIn(10_000),
      simMs,
      wallMs,
      perTarget: { max: Math.max(...budgets.map((b) => b.count)), median: median(budgets.map((b) => b.count)) },
      kinds: n === 1 ? budgets[0].kinds.join(', ') : '',
    };
  } finally {
    await sim.close();
  }
}

/** Requests of each target before the first read of its run after its comment (the first status read). */
function perTarget(q, pipelines, entries) {
  const orch = `/api/v1.0/spaces/${SPACE}/orchestration`;
  const owner = new Map();
  for (const p of pipelines) {
    owner.set(p.id, p.id);
    owner.set(p.name, p.id);
    for (const run of q.runs(SPACE, p.id)) owner.set(run.id, p.id);
  }
  const ownerOf = (e) => {
    const m = /^\/(?:pipelines|runs)\/([^/]+)/.exec(e.path.slice(orch.length));
    return m ? owner.get(decodeURIComponent(m[1])) : undefined;
  };
  const lists = entries.filter((e) => e.path === `${orch}/pipelines`);
  // A request answered 429 was not served: it is counted in the 429s, not in the budget.
  const served = (e) => e.status !== 429;
  return pipelines.map((p) => {
    const run = q.runs(SPACE, p.id).find((r) => r.origin === 'api');
    if (!run) return { count: NaN, kinds: ['(no run)'] };
    const runPath = `${orch}/runs/${run.id}`;
    const commented = entries.find((e) => e.method === 'POST' && e.path === `${runPath}/comments` && served(e));
    const first = entries.find((e) => e.method === 'GET' && e.path === runPath && served(e) && (!commented || e.seq > commented.seq));
    if (!first) return { count: NaN, kinds: ['(no status read)'] };
    const before = entries.filter((e) => e.seq < first.seq && served(e) && ownerOf(e) === p.id);
    const shared = lists.filter((e) => e.seq < first.seq && served(e));
    return { count: before.length + shared.length / pipelines.length, kinds: [...shared, ...before].map((e) => describe(e, orch)) };
  });
}

function describe(e, orch) {
  const rest = e.path.slice(orch.length);
  if (rest === '/pipelines') return 'list';
  if (rest.endsWith('/trigger')) return 'trigger';
  if (rest.endsWith('/comments')) return `comment ${e.method}`;
  if (rest.endsWith('/runs')) return e.query.status ? `runs(${e.query.status})` : e.query.started_from ? 'runs(since)' : 'runs';
  return `${e.method} ${rest.replace(/[0-9a-f-]{36}/g, '{id}')}`;
}

if (isMain(import.meta.url)) {
  const { figures } = await run();
  console.log('');
  console.log(table(['figure', 'value', 'target', 'met', 'note'], figures.map((f) => [f.name, f.value, f.target, f.met ? 'yes' : 'no', f.note])));
}

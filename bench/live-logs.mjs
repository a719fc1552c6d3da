// Live logs (`logs: live`): a TimeXtender execution writes a 200,000-line log (in bursts, some lines 2,000
// characters long) and fails; the step follows it with logs: live.
//
// 1. Lag and extra requests, through the engine (runStep) in this process, in virtual time: the simulator's
//    clock is frozen and jumps to the engine's next wake-up (bench/lib.mjs VirtualTime), so the engine's own
//    status schedule decides when the log is read. Lag: from a line being written (simulator truth) to the
//    engine printing it, against the status gap at that moment (the time since the previous status read).
//    Extra requests: log requests per status read while the run is running.
// 2. Peak memory of the step process alone, the way a user runs it: the built CLI bundle (dist-cli/index.js,
//    `node scripts/bundle-cli.mjs`, or BENCH_BUNDLE) is started as a child process on each Node, the
//    simulator running in a process of its own (real time), so only the step is measured; peak RSS from
//    /usr/bin/time (or /proc/<pid>/status VmHWM).
//
// Needs lib/ (node scripts/build.mjs lib). node bench/live-logs.mjs [lag|memory]
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { figure, fmt, isMain, libImport, measureProcess, median, quantile, quietHost, ROOT, runtimes, table, VirtualTime } from './lib.mjs';

const LINES = Number(process.env.BENCH_LIVE_LINES ?? 200_000);
const LIMIT_MIB = 120;
const KEY = 'txk_BenchLiveLogsContributorKey0001';
const WS = 'finance';
const LOG_PATH = /\/executions\/\d+\/log$/;
const STATUS_PATH = /\/tasks\/Package\/1010\/executions$/;

async function world(options, durationMs) {
  const { startSimulator } = await libImport('simulator/index.js');
  const sim = await startSimulator(options);
  sim.tdp.addUser('bench');
  sim.tdp.addKey('bench', KEY);
  sim.tdp.addWorkspace(WS, { name: 'Finance', access: { bench: 'contributor' } });
  sim.tdp.addTask(WS, { taskType: 'Package', taskId: 1010, taskName: 'Load Sales Fact' });
  sim.tdp.setScenario(WS, 'Package', 1010, { outcome: 'failure', durationMs, logLineCount: LINES, logShape: { bursts: 40, longLineChars: 2000 } });
  return sim;
}

/** Part 1: lag and extra requests through the engine, in virtual time. */
export async function lag({ log = console.log, durationMs = 300_000, pollInterval = '30s' } = {}) {
  const { runStep } = await libImport('core/engine/index.js');
  const { parseSettings, loadProvider } = await libImport('providers/registry.js');
  const sim = await world({ seed: 9, timeScale: 0, startEpochMs: Date.UTC(2026, 2, 15, 8, 0, 0) }, durationMs);
  const time = new VirtualTime(sim.clock);
  const dir = mkdtempSync(join(tmpdir(), 'bench-live-'));
  const printedAt = [];
  const host = quietHost();
  host.tempDir = dir;
  // Keep only the times of the live lines (`<target> › <source>: <line>`), not their text.
  host.info = (m) => {
    if (m.includes(' execution ') && / › .+ execution \d+: /.test(m)) printedAt.push(sim.clock.now());
  };
  host.warning = () => {};
  let outcome;
  try {
    const values = { platform: 'timextender', 'base-url': sim.url, 'api-key': KEY, workspace: WS, task: 'Package/1010', logs: 'live', 'poll-interval': pollInterval, timeout: '2h' };
    const { settings } = parseSettings((name) => values[name]);
    await time.run([async () => (outcome = await runStep(settings, host, { loadProvider, clock: time.clock, heartbeatMs: 10 * 3_600_000 }))]);
    const entries = sim.journal.entries();
    const execId = Number(entries.map((e) => /\/executions\/(\d+)\/log$/.exec(e.path)?.[1]).find(Boolean));
    const truth = sim.tdp.logTruth(WS, 'Package', 1010, execId);
    const statusReads = entries.filter((e) => e.method === 'GET' && STATUS_PATH.test(e.path)).map((e) => e.simTimeMs);
    const logReads = entries.filter((e) => e.method === 'GET' && LOG_PATH.test(e.path)).map((e) => e.simTimeMs);
    const start = truth.writtenAtMs(0);
    const end = truth.writtenAtMs(truth.count - 1);
    // While running: the reads between the first line written and the last (the drain after the end is one more).
    const running = (t) => t >= start && t <= end;
    const lags = [];
    const ratios = [];
    const gaps = [];
    let k = 0;
    for (let i = 0; i < printedAt.length; i++) {
      const at = printedAt[i];
      const lagMs = at - truth.writtenAtMs(i);
      // The status read before the one that printed the line (reads are in time order; printing happens at a read).
      while (k < statusReads.length && statusReads[k] < at) k++;
      const previous = statusReads[k - 1] ?? start;
      const gap = at - previous;
      lags.push(lagMs);
      gaps.push(gap);
      ratios.push(gap > 0 ? lagMs / gap : 0);
    }
    const runningStatus = statusReads.filter(running).length;
    const runningLog = logReads.filter(running).length;
    const r = {
      outcome: outcome?.result ?? outcome?.conclusion ?? String(outcome?.exitCode ?? ''),
      printed: printedAt.length,
      total: truth.count,
      medianLag: median(lags),
      p95Lag: quantile(lags, 0.95),
      maxLag: lags.reduce((a, b) => Math.max(a, b), 0),
      medianGap: median(gaps),
      medianRatio: median(ratios),
      statusReads: statusReads.length,
      logReads: logReads.length,
      runningStatus,
      runningLog,
      perRead: runningLog / Math.max(1, runningStatus),
    };
    log(`Live logs, lag and requests: a ${LINES.toLocaleString('en')}-line log written over ${fmt.s(durationMs)} (40 bursts), poll-interval ${pollInterval}, through runStep in virtual time`);
    log(
      table(
        ['lines printed', 'lag median', 'lag p95', 'lag max', 'status gap (median, at print)', 'lag / gap (median)', 'status reads (running)', 'log reads (running)', 'log reads per status read'],
        [[`${r.printed} of ${r.total}`, fmt.ms(r.medianLag), fmt.ms(r.p95Lag), fmt.ms(r.maxLag), fmt.ms(r.medianGap), fmt.n(r.medianRatio, 2), `${r.statusReads} (${r.runningStatus})`, `${r.logReads} (${r.runningLog})`, fmt.n(r.perRead, 2)]],
      ),
    );
    const figures = [
      figure('live-logs', 'lag from a line written to printed (median; p95)', `${fmt.ms(r.medianLag)}; p95 ${fmt.ms(r.p95Lag)} (status gap at print: median ${fmt.ms(r.medianGap)}; lag/gap median ${fmt.n(r.medianRatio, 2)})`, 'median ≤ the status gap at that moment', r.medianRatio <= 1 && r.printed === r.total),
      figure('live-logs', 'log requests per status read while running', `${fmt.n(r.perRead, 2)} (${r.runningLog} log reads, ${r.runningStatus} status reads)`, '≤ 1', r.perRead <= 1),
    ];
    return { figures, result: r };
  } finally {
    await sim.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Part 2: peak memory of the step process (the CLI bundle), the simulator in this process. */
export async function memory({ log = console.log, bundle = process.env.BENCH_BUNDLE ?? join(ROOT, 'dist-cli', 'index.js'), repeat = Number(process.env.BENCH_LOG_RUNS ?? 2), durationMs = Number(process.env.BENCH_LIVE_DURATION_MS ?? 60_000), pollInterval = process.env.BENCH_LIVE_POLL ?? '5s' } = {}) {
  if (!existsSync(bundle)) {
    log(`${bundle} is missing: building it (node scripts/bundle-cli.mjs)`);
    execFileSync(process.execPath, [join(ROOT, 'scripts', 'bundle-cli.mjs')], { cwd: ROOT, stdio: 'inherit' });
  }
  const rows = [];
  for (const runtime of runtimes()) for (let attempt = 0; attempt < repeat; attempt++) {
    // The simulator in a process of its own, so that this one does nothing but read the step's output (as a
    // CI runner does): a simulator streaming 25 MB answers on this event loop would read the pipe late.
    const sim = await simulatorProcess(durationMs);
    const dir = mkdtempSync(join(tmpdir(), 'bench-live-'));
    try {
      const args = [bundle, '--platform', 'timextender', '--base-url', sim.url, '--workspace', WS, '--task', 'Package/1010', '--logs', 'live', '--poll-interval', pollInterval];
      const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', ORCHESTRATION_RUN_API_KEY: KEY, ORCHESTRATION_RUN_LOG_DIR: dir, ...(process.env.BENCH_NODE_OPTIONS && { NODE_OPTIONS: process.env.BENCH_NODE_OPTIONS }) };
      const result = await measureProcess(runtime.bin, args, { env, cwd: dir, collect: true });
      const printed = result.stdout.split('\n').filter((l) => / › .+ execution \d+: /.test(l)).length;
      const files = readdirSync(dir).filter((f) => !f.startsWith('.'));
      const fileMiB = files.reduce((n, f) => n + statSync(join(dir, f)).size, 0) / 2 ** 20;
      const counts = await sim.counts();
      rows.push({
        runtime: runtime.name,
        code: result.code,
        maxRssKb: result.maxRssKb,
        printed,
        fileMiB,
        logReads: counts.logReads,
        statusReads: counts.statusReads,
        wallMs: result.wallMs,
        stderr: result.stderr.trim().split('\n').slice(-3).join(' | '),
      });
    } finally {
      await sim.close();
      rmSync(dir, { recursive: true, force: true });
    }
  }
  log(`Live logs, peak memory: a ${LINES.toLocaleString('en')}-line live log over ${fmt.s(durationMs)} (real time), poll-interval ${pollInterval}, through ${bundle.replace(`${ROOT}/`, '')} in its own process, ${repeat} runs per Node`);
  log(
    table(
      ['node', 'exit', 'peak RSS', 'live lines printed', 'log file', 'log reads', 'status reads', 'wall time'],
      rows.map((r) => [r.runtime, r.code, fmt.mib(r.maxRssKb), r.printed.toLocaleString('en'), `${r.fileMiB.toFixed(1)} MiB`, r.logReads, r.statusReads, fmt.s(r.wallMs)]),
    ),
  );
  for (const r of rows) if (r.code !== 1 && r.stderr) log(`${r.runtime}: ${r.stderr}`);
  const figures = [...new Set(rows.map((r) => r.runtime))].map((runtime) => {
    const mine = rows.filter((r) => r.runtime === runtime);
    const peaks = mine.map((r) => r.maxRssKb);
    const complete = mine.every((r) => r.printed >= LINES && r.code === 1);
    return figure(
      'live-logs',
      `${runtime}: peak memory, ${LINES.toLocaleString('en')}-line live log (step process alone)`,
      `${fmt.mib(Math.max(...peaks))} (runs: ${peaks.map((p) => (p / 1024).toFixed(0)).join(', ')} MiB); ${complete ? 'every line printed' : 'INCOMPLETE'}`,
      `≤ ${LIMIT_MIB} MiB`,
      Math.max(...peaks) <= LIMIT_MIB * 1024 && complete,
    );
  });
  return { figures, rows };
}

/** Starts this file as the simulator's process; resolves with its URL, the journal's counts on demand, and close. */
async function simulatorProcess(durationMs) {
  const { fork } = await import('node:child_process');
  const child = fork(fileURLToPath(import.meta.url), ['--simulator-process', String(durationMs)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const next = () =>
    new Promise((resolve, reject) => {
      child.once('message', resolve);
      child.once('exit', (code) => reject(new Error(`the simulator process ended (${code})`)));
    });
  const { url } = await next();
  return {
    url,
    counts: async () => {
      const answer = next();
      child.send('counts');
      return answer;
    },
    close: async () => {
      const ended = new Promise((resolve) => child.once('exit', resolve));
      child.send('close');
      await ended;
    },
  };
}

/** The simulator's process (forked by simulatorProcess): real time, the same world as part 1. */
async function serveSimulator(durationMs) {
  const sim = await world({ seed: 9 }, durationMs);
  process.on('message', async (message) => {
    if (message === 'counts') {
      const entries = sim.journal.entries();
      process.send({ logReads: entries.filter((e) => LOG_PATH.test(e.path)).length, statusReads: entries.filter((e) => STATUS_PATH.test(e.path)).length });
    } else if (message === 'close') {
      await sim.close();
      process.disconnect();
    }
  });
  process.send({ url: sim.url });
}

export async function run({ log = console.log, parts = ['lag', 'memory'] } = {}) {
  const figures = [];
  if (parts.includes('lag')) figures.push(...(await lag({ log })).figures);
  if (parts.includes('memory')) {
    if (parts.includes('lag')) log('');
    figures.push(...(await memory({ log })).figures);
  }
  return { figures };
}

if (isMain(import.meta.url) && process.argv[2] === '--simulator-process') {
  await serveSimulator(Number(process.argv[3]));
} else if (isMain(import.meta.url)) {
  const parts = process.argv.slice(2).filter((a) => ['lag', 'memory'].includes(a));
  const { figures } = await run(parts.length > 0 ? { parts } : {});
  console.log('');
  console.log(table(['figure', 'value', 'target', 'met'], figures.map((f) => [f.name, f.value, f.target, f.met ? 'yes' : 'NO'])));
}

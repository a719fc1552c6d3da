// Big logs: a failed task whose execution log holds 200,000 lines (about 25 MB of JSON, streamed by the
// simulator), followed by the built GitHub Action (dist/main/index.js) on each Node. Measures the peak
// memory (max RSS) of the whole run, checks that every line reached the log file and that the last
// `log-lines` lines were printed, and reports the time it took.
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { actionEnv, figure, fmt, isMain, libImport, measureProcess, ROOT, runtimes, table } from './lib.mjs';

const LINES = 200_000;
const LOG_LINES = 200;
const LIMIT_MIB = 120;
const KEY = 'txk_BenchLogsContributorKey000000001';
const WS = 'finance';

export async function run({ bundle = process.env.BENCH_BUNDLE ?? join(ROOT, 'dist', 'main', 'index.js'), repeat = Number(process.env.BENCH_LOG_RUNS ?? 3), log = console.log } = {}) {
  if (!existsSync(bundle)) {
    log(`${bundle} is missing: building it (node scripts/build.mjs)`);
    execFileSync(process.execPath, [join(ROOT, 'scripts', 'build.mjs')], { cwd: ROOT, stdio: 'inherit' });
  }
  const { startSimulator } = await libImport('simulator/index.js');
  const rows = [];
  for (const runtime of runtimes()) for (let attempt = 0; attempt < repeat; attempt++) {
    const sim = await startSimulator({ seed: 8 });
    const dir = mkdtempSync(join(tmpdir(), 'bench-logs-'));
    try {
      sim.tdp.addUser('bench');
      sim.tdp.addKey('bench', KEY);
      sim.tdp.addWorkspace(WS, { name: 'Finance', access: { bench: 'contributor' } });
      sim.tdp.addTask(WS, { taskType: 'Package', taskId: 1010, taskName: 'Load Sales Fact' });
      sim.tdp.setScenario(WS, 'Package', 1010, { outcome: 'failure', durationMs: 1500, logLineCount: LINES });
      for (const f of ['output', 'state', 'summary']) writeFileSync(join(dir, f), '');
      const inputs = { platform: 'timextender', 'base-url': sim.url, 'api-key': KEY, workspace: WS, task: 'Package/1010', 'poll-interval': '1s', 'log-lines': String(LOG_LINES) };
      const result = await measureProcess(runtime.bin, [bundle], { env: actionEnv(inputs, dir), cwd: dir, collect: true });
      const outputs = readFileSync(join(dir, 'output'), 'utf8');
      const logFile = /log-file<<(\S+)\n(.*)\n\1/.exec(outputs)?.[2];
      const fileText = logFile && existsSync(logFile) ? readFileSync(logFile, 'utf8') : '';
      const inFile = (fileText.match(/processed batch \d+ \(5000 rows\)/g) ?? []).length + (fileText.includes('ERROR: Load Sales Fact ended with status Failed.') ? 1 : 0);
      // The excerpt is the body of the task's ::group:: … ::endgroup:: block.
      const out = result.stdout.split('\n');
      const open = out.findIndex((l) => l.startsWith('::group::') && l.includes('Load Sales Fact'));
      const close = out.findIndex((l, i) => i > open && l.startsWith('::endgroup::'));
      const printed = open >= 0 && close > open ? out.slice(open + 1, close) : [];
      const lastPrinted = printed.length > 0 && printed.at(-1).includes('ERROR: Load Sales Fact ended with status Failed.');
      const bodyBytes = sim.journal.entries().filter((e) => e.path.endsWith('/log')).length;
      rows.push({
        runtime: runtime.name,
        code: result.code,
        wallMs: result.wallMs,
        maxRssKb: result.maxRssKb,
        inFile,
        fileMiB: logFile && existsSync(logFile) ? statSync(logFile).size / 2 ** 20 : 0,
        printed: printed.length,
        lastPrinted,
        logRequests: bodyBytes,
      });
      if (logFile) rmSync(logFile, { force: true });
    } finally {
      await sim.close();
      rmSync(dir, { recursive: true, force: true });
    }
  }
  log(`Big logs: a failed task with a ${LINES.toLocaleString('en')}-line log (about 25 MB of JSON), log-lines ${LOG_LINES}, through ${bundle.replace(`${ROOT}/`, '')}, ${repeat} runs per Node`);
  log(
    table(
      ['node', 'exit', 'peak RSS', 'lines in log file', 'log file', 'lines printed', 'last line printed', 'wall time'],
      rows.map((r) => [r.runtime, r.code, fmt.mib(r.maxRssKb), r.inFile.toLocaleString('en'), `${r.fileMiB.toFixed(1)} MiB`, r.printed, r.lastPrinted ? 'yes' : 'NO', fmt.s(r.wallMs)]),
    ),
  );
  const figures = [...new Set(rows.map((r) => r.runtime))].map((runtime) => {
    const mine = rows.filter((r) => r.runtime === runtime);
    const peaks = mine.map((r) => r.maxRssKb);
    const complete = mine.every((r) => r.inFile === LINES && r.printed === LOG_LINES && r.lastPrinted && r.code === 1);
    return figure(
      'logs',
      `${runtime}: peak memory, ${LINES.toLocaleString('en')}-line log (all lines in the file, last ${LOG_LINES} printed)`,
      `${fmt.mib(Math.max(...peaks))} (runs: ${peaks.map((p) => (p / 1024).toFixed(0)).join(', ')} MiB); ${complete ? 'every line in the file, the last ' + LOG_LINES + ' printed' : 'INCOMPLETE'}`,
      `≤ ${LIMIT_MIB} MiB`,
      Math.max(...peaks) <= LIMIT_MIB * 1024 && complete,
    );
  });
  return { figures, rows };
}

if (isMain(import.meta.url)) {
  const { figures } = await run();
  console.log('');
  console.log(table(['figure', 'value', 'target', 'met'], figures.map((f) => [f.name, f.value, f.target, f.met ? 'yes' : 'NO'])));
}

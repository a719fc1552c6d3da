// Start-up of the built GitHub Action bundle (dist/main/index.js), side by side with bare `node -e 0` on the
// same Node, in the same run: (1) started with an input error (it exits before any request), (2) started with
// valid inputs until its first request reaches the simulator (run in this process; measured from spawn to
// the request's arrival in the simulator's journal, then the process is killed). Peak memory is the max RSS
// (GNU time, or /proc VmHWM). Medians of BENCH_STARTUP_RUNS (default 15) runs, interleaved.
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { actionEnv, figure, fmt, isMain, libImport, measureProcess, median, ROOT, runtimes, table } from './lib.mjs';

const KEY = 'txk_BenchStartupContributorKey000001';
const WS = 'finance';
const LIMITS = { inputError: 2, firstRequest: 2.5, memoryMiB: 55 };

export async function run({ runs = Number(process.env.BENCH_STARTUP_RUNS ?? 15), bundle = process.env.BENCH_BUNDLE ?? join(ROOT, 'dist', 'main', 'index.js'), log = console.log } = {}) {
  if (!existsSync(bundle)) {
    log(`${bundle} is missing: building it (node scripts/build.mjs)`);
    execFileSync(process.execPath, [join(ROOT, 'scripts', 'build.mjs')], { cwd: ROOT, stdio: 'inherit' });
  }
  const { startSimulator } = await libImport('simulator/index.js');
  const sim = await startSimulator({ seed: 3 });
  sim.tdp.addUser('bench');
  sim.tdp.addKey('bench', KEY);
  sim.tdp.addWorkspace(WS, { name: 'Finance', access: { bench: 'contributor' } });
  sim.tdp.addTask(WS, { taskType: 'Package', taskId: 1005, taskName: 'Load Customer Dim' });
  sim.tdp.setScenario(WS, 'Package', 1005, { outcome: 'success', durationMs: 3_600_000 });

  const dir = mkdtempSync(join(tmpdir(), 'bench-startup-'));
  const inputs = { platform: 'timextender', 'base-url': sim.url, 'api-key': KEY, workspace: WS, task: 'Package/1005', 'poll-interval': '30s' };
  const fresh = () => {
    for (const f of ['output', 'state', 'summary']) writeFileSync(join(dir, f), '');
  };
  const perRuntime = [];
  try {
    for (const runtime of runtimes()) {
      const bare = [];
      const inputError = [];
      const firstRequest = [];
      for (let i = 0; i < runs; i++) {
        bare.push(await measureProcess(runtime.bin, ['-e', '0']));
        fresh();
        const before = sim.journal.count();
        const bad = await measureProcess(runtime.bin, [bundle], { env: actionEnv({ ...inputs, task: 'Pkg/1005' }, dir), cwd: dir });
        if (bad.code !== 1 || sim.journal.count() !== before) throw new Error(`the input-error run exited ${bad.code} after ${sim.journal.count() - before} requests: ${bad.stderr}`);
        inputError.push(bad);
        fresh();
        const from = sim.journal.count();
        const good = await measureProcess(runtime.bin, [bundle], {
          env: actionEnv(inputs, dir),
          cwd: dir,
          stopWhen: () => (sim.journal.count() > from ? sim.journal.entries().at(from).realTimeMs : undefined),
        });
        if (good.stoppedAt === undefined) throw new Error(`no request reached the simulator (exit ${good.code}): ${good.stderr}`);
        firstRequest.push({ ...good, wallMs: good.stoppedAt - good.spawnedAt });
      }
      const ms = (list) => median(list.map((r) => r.wallMs));
      const rss = (list) => Math.max(...list.map((r) => r.maxRssKb));
      perRuntime.push({
        runtime: runtime.name,
        bare: ms(bare),
        bareRss: rss(bare),
        inputError: ms(inputError),
        inputErrorRss: rss(inputError),
        firstRequest: ms(firstRequest),
        firstRequestRss: rss(firstRequest),
      });
    }
  } finally {
    await sim.close();
    rmSync(dir, { recursive: true, force: true });
  }

  log(`Start-up of ${bundle.replace(`${ROOT}/`, '')} vs bare \`node -e 0\` (median of ${runs} runs each, interleaved; peak memory = highest max RSS of the runs)`);
  log(
    table(
      ['node', 'bare node', 'input error', 'ratio', 'first request', 'ratio', 'peak RSS: bare / input error / first request'],
      perRuntime.map((r) => [
        r.runtime,
        fmt.ms(r.bare),
        fmt.ms(r.inputError),
        fmt.x(r.inputError / r.bare),
        fmt.ms(r.firstRequest),
        fmt.x(r.firstRequest / r.bare),
        `${fmt.mib(r.bareRss)} / ${fmt.mib(r.inputErrorRss)} / ${fmt.mib(r.firstRequestRss)}`,
      ]),
    ),
  );
  const figures = [];
  for (const r of perRuntime) {
    figures.push(
      figure('startup', `${r.runtime}: to the input error vs bare node`, `${fmt.ms(r.inputError)} vs ${fmt.ms(r.bare)} (${fmt.x(r.inputError / r.bare)})`, `≤ ${LIMITS.inputError}×`, r.inputError <= LIMITS.inputError * r.bare),
      figure('startup', `${r.runtime}: to the first request vs bare node`, `${fmt.ms(r.firstRequest)} vs ${fmt.ms(r.bare)} (${fmt.x(r.firstRequest / r.bare)})`, `≤ ${LIMITS.firstRequest}×`, r.firstRequest <= LIMITS.firstRequest * r.bare),
      figure('startup', `${r.runtime}: peak memory, input error`, fmt.mib(r.inputErrorRss), `≤ ${LIMITS.memoryMiB} MiB`, r.inputErrorRss <= LIMITS.memoryMiB * 1024),
      figure('startup', `${r.runtime}: peak memory, to the first request`, fmt.mib(r.firstRequestRss), `≤ ${LIMITS.memoryMiB} MiB`, r.firstRequestRss <= LIMITS.memoryMiB * 1024),
    );
  }
  return { figures, perRuntime };
}

if (isMain(import.meta.url)) {
  const { figures } = await run();
  console.log('');
  console.log(table(['figure', 'value', 'target', 'met'], figures.map((f) => [f.name, f.value, f.target, f.met ? 'yes' : 'NO'])));
}

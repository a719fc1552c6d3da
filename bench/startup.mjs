// Start-up and whole-run memory of the built GitHub Action bundle (dist/main/index.js), side by side with bare
// `node -e 0` on the same Node, in the same run: (1) started with an input error (it exits before any request),
// (2) started with valid inputs until its first request reaches the simulator (run in this process; measured
// from spawn to the request's arrival in the simulator's journal, then the process is killed), (3) a whole
// short run: valid inputs, a run that succeeds after 1.5 s, followed to its end and the step's exit.
// Peak memory is the max RSS (GNU time, or /proc VmHWM). Medians of BENCH_STARTUP_RUNS (default 15) runs,
// interleaved; the whole run BENCH_STARTUP_WHOLE_RUNS times (default 5) per Node.
//
// Environment: bare node and the bundle get the very same variables: PATH and the runner's (GITHUB_*,
// RUNNER_TEMP, INPUT_*), nothing else from this shell. Variables that change every Node start (notably
// NODE_EXTRA_CA_CERTS, which makes Node 20 read a CA bundle at start, and NODE_OPTIONS) are therefore not
// passed; the ones that were set here are named in the output, and bare node is also timed with this shell's
// whole environment to show what they cost.
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { actionEnv, figure, fmt, isMain, libImport, measureProcess, median, ROOT, runtimes, table } from './lib.mjs';

const KEY = 'txk_BenchStartupContributorKey000001';
const WS = 'finance';
const LIMITS = { inputError: 2, firstRequest: 2.5, memoryMiB: 55 };
/** Variables of this shell that change how Node starts (certificates, flags, preloads, the thread pool). */
const STARTUP_VARIABLES = /^(NODE_|UV_|OPENSSL_|SSL_CERT_)/;

export async function run({
  runs = Number(process.env.BENCH_STARTUP_RUNS ?? 15),
  wholeRuns = Number(process.env.BENCH_STARTUP_WHOLE_RUNS ?? 5),
  bundle = process.env.BENCH_BUNDLE ?? join(ROOT, 'dist', 'main', 'index.js'),
  log = console.log,
} = {}) {
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
  // The whole run: a task of its own whose runs succeed after 1.5 s (each run waits for the previous to end).
  sim.tdp.addTask(WS, { taskType: 'Package', taskId: 1006, taskName: 'Load Date Dim' });
  sim.tdp.setScenario(WS, 'Package', 1006, { outcome: 'success', durationMs: 1500 });

  const dir = mkdtempSync(join(tmpdir(), 'bench-startup-'));
  const inputs = { platform: 'timextender', 'base-url': sim.url, 'api-key': KEY, workspace: WS, task: 'Package/1005', 'poll-interval': '30s' };
  const wholeInputs = { ...inputs, task: 'Package/1006', 'poll-interval': '1s', timeout: '2m' };
  // One environment for every process of a kind: bare node runs with exactly the bundle's variables.
  const env = actionEnv(inputs, dir);
  const badEnv = actionEnv({ ...inputs, task: 'Pkg/1005' }, dir);
  const wholeEnv = actionEnv(wholeInputs, dir);
  const cleared = Object.keys(process.env)
    .filter((name) => STARTUP_VARIABLES.test(name) && !(name in env))
    .sort();
  const fresh = () => {
    for (const f of ['output', 'state', 'summary']) writeFileSync(join(dir, f), '');
  };
  const perRuntime = [];
  try {
    for (const runtime of runtimes()) {
      const bare = [];
      const bareShell = [];
      const inputError = [];
      const firstRequest = [];
      const whole = [];
      for (let i = 0; i < runs; i++) {
        bare.push(await measureProcess(runtime.bin, ['-e', '0'], { env, cwd: dir }));
        if (cleared.length > 0) bareShell.push(await measureProcess(runtime.bin, ['-e', '0'], { env: process.env, cwd: dir }));
        fresh();
        const before = sim.journal.count();
        const bad = await measureProcess(runtime.bin, [bundle], { env: badEnv, cwd: dir });
        if (bad.code !== 1 || sim.journal.count() !== before) throw new Error(`the input-error run exited ${bad.code} after ${sim.journal.count() - before} requests: ${bad.stderr}`);
        inputError.push(bad);
        fresh();
        const from = sim.journal.count();
        const good = await measureProcess(runtime.bin, [bundle], {
          env,
          cwd: dir,
          stopWhen: () => (sim.journal.count() > from ? sim.journal.entries().at(from).realTimeMs : undefined),
        });
        if (good.stoppedAt === undefined) throw new Error(`no request reached the simulator (exit ${good.code}): ${good.stderr}`);
        firstRequest.push({ ...good, wallMs: good.stoppedAt - good.spawnedAt });
      }
      for (let i = 0; i < wholeRuns; i++) {
        fresh();
        const done = await measureProcess(runtime.bin, [bundle], { env: wholeEnv, cwd: dir, collect: true });
        if (done.code !== 0 || !/\bsucceeded\b/.test(readFileSync(join(dir, 'output'), 'utf8'))) throw new Error(`the whole run exited ${done.code}: ${done.stderr}${done.stdout.slice(-2000)}`);
        whole.push(done);
      }
      const ms = (list) => median(list.map((r) => r.wallMs));
      const rss = (list) => Math.max(...list.map((r) => r.maxRssKb));
      perRuntime.push({
        runtime: runtime.name,
        bare: ms(bare),
        bareShell: bareShell.length > 0 ? ms(bareShell) : undefined,
        bareRss: rss(bare),
        inputError: ms(inputError),
        inputErrorRss: rss(inputError),
        firstRequest: ms(firstRequest),
        firstRequestRss: rss(firstRequest),
        whole: ms(whole),
        wholeRss: rss(whole),
        wholeRssRuns: whole.map((r) => r.maxRssKb),
      });
    }
  } finally {
    await sim.close();
    rmSync(dir, { recursive: true, force: true });
  }

  log(`Start-up of ${bundle.replace(`${ROOT}/`, '')} vs bare \`node -e 0\` (median of ${runs} runs each, interleaved; peak memory = highest max RSS of the runs)`);
  log(
    `Environment, the same for bare node and the bundle: PATH and the runner's variables only. ` +
      (cleared.length > 0 ? `Set in this shell and not passed: ${cleared.join(', ')}.` : 'None of NODE_*, UV_*, OPENSSL_*, SSL_CERT_* is set in this shell.'),
  );
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
  if (cleared.length > 0) {
    log(`Bare node with this shell's whole environment (${cleared.join(', ')} set): ${perRuntime.map((r) => `${r.runtime} ${fmt.ms(r.bareShell)} (+${fmt.ms(r.bareShell - r.bare)})`).join(', ')}`);
  }
  log(`Whole short run (a run of 1.5 s, poll-interval 1s, followed to the step's exit; ${wholeRuns} runs per Node):`);
  log(
    table(
      ['node', 'wall (median)', 'peak RSS (highest)', 'peak RSS of each run'],
      perRuntime.map((r) => [r.runtime, fmt.ms(r.whole), fmt.mib(r.wholeRss), r.wholeRssRuns.map((kb) => (kb / 1024).toFixed(1)).join(', ')]),
    ),
  );
  const figures = [];
  for (const r of perRuntime) {
    figures.push(
      figure('startup', `${r.runtime}: to the input error vs bare node`, `${fmt.ms(r.inputError)} vs ${fmt.ms(r.bare)} (${fmt.x(r.inputError / r.bare)})`, `≤ ${LIMITS.inputError}×`, r.inputError <= LIMITS.inputError * r.bare),
      figure('startup', `${r.runtime}: to the first request vs bare node`, `${fmt.ms(r.firstRequest)} vs ${fmt.ms(r.bare)} (${fmt.x(r.firstRequest / r.bare)})`, `≤ ${LIMITS.firstRequest}×`, r.firstRequest <= LIMITS.firstRequest * r.bare),
      figure('startup', `${r.runtime}: peak memory, input error`, fmt.mib(r.inputErrorRss), `≤ ${LIMITS.memoryMiB} MiB`, r.inputErrorRss <= LIMITS.memoryMiB * 1024),
      figure('startup', `${r.runtime}: peak memory, to the first request`, fmt.mib(r.firstRequestRss), `≤ ${LIMITS.memoryMiB} MiB`, r.firstRequestRss <= LIMITS.memoryMiB * 1024),
      figure(
        'startup',
        `${r.runtime}: peak memory, whole short run`,
        `${fmt.mib(r.wholeRss)} (runs: ${r.wholeRssRuns.map((kb) => Math.round(kb / 1024)).join(', ')})`,
        `≤ ${LIMITS.memoryMiB} MiB`,
        r.wholeRss <= LIMITS.memoryMiB * 1024,
      ),
    );
  }
  return { figures, perRuntime, cleared };
}

if (isMain(import.meta.url)) {
  const { figures } = await run();
  console.log('');
  console.log(table(['figure', 'value', 'target', 'met'], figures.map((f) => [f.name, f.value, f.target, f.met ? 'yes' : 'NO'])));
}

// The reliability and security proof: runs the proof tests (test/proof) and the property-based exploration
// (test/explore) with jest against the simulator and prints the figures they leave behind (fault matrix,
// soak, exploration, bad inputs, command injection, secret hygiene, crash safety). Run with `npm run proof`
// (which builds lib/ first: the CLI is tested as users run it).
//
//   SOAK_SCENARIOS=N   soak scenarios (default here 1000; 300 in `npm test`)
//   SOAK_SEED=S        first soak seed (scenario i uses S+i; replay one with SOAK_SEED=<seed> SOAK_SCENARIOS=1)
//   EXPLORE_RUNS=N     exploration cases (default here 5000; 250 in `npm test`)
//   EXPLORE_SEED=S     the exploration's fast-check seed (a failing case prints its path and a replay command)
//   (PROOF_FULL=1 is set for the files: the bad-input proof then starts a process for every case; `npm test`
//   starts one for a sample and runs the rest through the CLI's main in-process)
//   extra arguments are passed to jest (e.g. -t 'soak'). The files run one at a time: the soak and the
//   exploration hold real-time bounds that CPU contention between them would eat into.
//
// Exit code: jest's (non-zero when any proof test failed).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const work = mkdtempSync(join(tmpdir(), 'orchestration-proof-'));
const figuresDir = join(work, 'figures');
const jestJson = join(work, 'jest.json');

const started = Date.now();
const jest = spawnSync(
  process.execPath,
  ['--max-semi-space-size=32', '--experimental-vm-modules', join(root, 'node_modules', 'jest', 'bin', 'jest.js'), 'test/proof', 'test/explore', '--runInBand', '--json', '--outputFile', jestJson, ...process.argv.slice(2)],
  {
    cwd: root,
    stdio: ['ignore', 'ignore', 'inherit'],
    env: { ...process.env, EXPLORE_RUNS: process.env.EXPLORE_RUNS ?? '5000', SOAK_SCENARIOS: process.env.SOAK_SCENARIOS ?? '1000', PROOF_FULL: '1', PROOF_FIGURES_DIR: figuresDir },
  },
);
const runtimeMs = Date.now() - started;

const figures = {};
if (existsSync(figuresDir)) {
  for (const file of readdirSync(figuresDir)) figures[file.replace(/\.json$/, '')] = JSON.parse(readFileSync(join(figuresDir, file), 'utf8'));
}
const results = existsSync(jestJson) ? JSON.parse(readFileSync(jestJson, 'utf8')) : undefined;

const out = [];
const line = (text = '') => out.push(text);
const seconds = (ms) => `${(ms / 1000).toFixed(1)} s`;
const missing = (name) => line(`  ${name}: no figures (the file did not run; see the jest output above)`);

line('Reliability and security proof');
line('==============================');

const matrix = figures['fault-matrix'];
if (matrix) {
  line(`Platforms covered: ${matrix.platforms.join(', ')}`);
  line('');
  const per = Object.entries(matrix.perPlatform ?? {}).map(([name, f]) => `${name} ${f.passed}/${f.cases}`).join(', ');
  line(`Fault matrix       ${matrix.passed}/${matrix.cases} cases passed (${per}): ${matrix.faults.length} faults × phases × transient/persistent, cancel, closed port`);
  line(`                   ${matrix.recovered} recovered with the true outcome, ${matrix.failedClearly} failed with one line naming phase and cause, ${matrix.cancelCases} cancel-request cases, ${matrix.noCancel} "cannot cancel" cases; ${seconds(matrix.runtimeMs)}`);
  if (matrix.noRequestPhases?.length) line(`                   no request to fault (so no case) in: ${matrix.noRequestPhases.join(', ')}`);
  for (const f of matrix.failures ?? []) line(`                   ✗ ${f.case}: ${f.problems.join(' | ')}`);
} else missing('Fault matrix');

const soak = figures.soak;
if (soak) {
  line(`Soak               ${soak.scenarios} scenarios from seed ${soak.firstSeed}: ${soak.violations} invariant violation(s) in ${soak.scenariosWithViolations} scenario(s), ${soak.unhandledRejections} unhandled rejection(s); ${seconds(soak.runtimeMs)}`);
  line(`                   ${soak.faultsApplied} faults hit ${soak.scenariosWithFaults} scenarios; ended ${soak.statuses.succeeded} succeeded, ${soak.statuses.failed} failed, ${soak.statuses.cancelled} cancelled, ${soak.statuses.timedOut} timed out`);
  for (const f of (soak.failingSeeds ?? []).slice(0, 10)) line(`                   ✗ seed ${f.seed} (replay: SOAK_SEED=${f.seed} SOAK_SCENARIOS=1): ${f.violations.join(' | ')}`);
} else missing('Soak');

const explore = figures.explore;
if (explore) {
  const replay = explore.path !== undefined ? ` (replay of path ${explore.path})` : '';
  line(`Exploration        ${explore.cases} property-based cases from seed ${explore.seed}${replay}: ${explore.violations} invariant violation(s) in ${explore.casesWithViolations} case(s); ${seconds(explore.runtimeMs)}`);
  const per = (o) => Object.entries(o ?? {}).map(([k, v]) => `${k} ${v}`).join(', ');
  line(`                   targets: ${per(explore.perTarget)}; modes: ${per(explore.perMode)}`);
  line(`                   ${explore.faultsApplied} faults hit ${explore.casesWithFaults} cases; step statuses: ${per(explore.statuses)}`);
  for (const f of (explore.findings ?? []).slice(0, 10)) line(`                   ✗ path ${f.path} (${f.target}, mode ${f.mode}): ${f.violations.join(' | ')}\n                     replay: ${f.replay}`);
  if (explore.shrunk) line(`                   shrunk: path ${explore.shrunk.path}: ${explore.shrunk.violations}`);
} else missing('Exploration');

const bad = figures['bad-inputs'];
if (bad) line(`Bad inputs         ${bad.rejected}/${bad.cases} rejected by the CLI before any request (exit 2, one line naming the flag); requests that reached the server: ${bad.requestsMade}`);
else missing('Bad inputs');

const inj = figures.injection;
if (inj) {
  line(`Command injection  ${inj.neutralized}/${inj.payloads} payloads neutralized on ${inj.frontEnds.join(', ')}; live commands: ${inj.liveCommands}; command-looking lines behind NEL/LS/PS breaks: ${inj.commandLookingLinesBehindViewerBreaks}`);
  if (inj.missing.length) line(`                   not run (bundle not built): ${inj.missing.join(', ')}`);
} else missing('Command injection');

const sec = figures.secrets;
if (sec) line(`Secret hygiene     leaks found: ${sec.leaksFound} (in ${sec.runs} front-end runs on ${sec.frontEnds.join(', ')}; ${sec.forms} encodings of the key looked for)`);
else missing('Secret hygiene');

const crash = figures.crash;
if (crash) line(`Crash safety       ${crash.passed}/${crash.cases} cases ended failed with one clear line, no stack trace, no key`);
else missing('Crash safety');

line('');
if (results) {
  line(`Tests              ${results.numPassedTests} passed, ${results.numFailedTests} failed, ${results.numPendingTests} skipped, of ${results.numTotalTests} (${results.numTotalTestSuites} files); ${seconds(runtimeMs)} in all`);
  const failed = results.testResults.flatMap((file) =>
    file.assertionResults.filter((a) => a.status === 'failed').map((a) => `${file.name.replace(`${root}/`, '')}: ${a.fullName}`),
  );
  for (const name of failed.slice(0, 40)) line(`                   ✗ ${name}`);
  if (failed.length > 40) line(`                   … and ${failed.length - 40} more`);
  for (const file of results.testResults) {
    if (file.status === 'failed' && file.assertionResults.length === 0) line(`                   ✗ ${file.name.replace(`${root}/`, '')}: ${String(file.message).split('\n').find((l) => l.trim()) ?? 'failed to run'}`);
  }
} else {
  line('Tests              jest wrote no results (see its output above)');
}

process.stdout.write(`${out.join('\n')}\n`);
rmSync(work, { recursive: true, force: true });
process.exit(jest.status ?? 1);

/**
 * Proof 3, bad input: malformed inputs of every kind, each run through the CLI (the compiled lib/, as a user
 * runs it, as a subprocess). Each must fail before any request (the simulator's journal stays empty), with
 * exit code 2 and exactly one stderr line naming the flag, and nothing on stdout; the key never shows.
 * test/core/inputs.test.ts unit-tests the rules; this is the end-to-end proof.
 *
 * `npm run proof` (PROOF_FULL=1) starts a process for every case. `npm test` runs every case through the
 * CLI's `main` in this process (the same code from the argument vector to the exit code and the printed
 * lines) and starts a process for one case in SAMPLE_EVERY, spread over the table: each start costs a third
 * of a CPU second, and 78 of them were a fifth of the suite's CPU time on a 2-core machine.
 */
import { runCliInProcess } from '../helpers/cli.js';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InputError, prepareOutputFile } from '../../src/core/inputs/index.js';
import { parseSettings } from '../../src/providers/registry.js';
import { parseArgs, UsageError } from '../../src/adapters/cli/main.js';
import { startSimulator, type Simulator } from '../../src/simulator/index.js';
import { findLeaks } from '../helpers/leaks.js';
import { CLI, lines, pool, runNode, STACK_LINE, writeFigures, type ProcessRun } from './support.js';

const KEY = 'txk_BadInputProofKeyAbCdEfGh12345678';

interface BadInput {
  name: string;
  /** CLI arguments; `{{url}}` is the simulator's base URL. */
  args: string[];
  /** The flag the error line must name. */
  flag: string;
  /** More the line must say (e.g. the valid values). */
  says?: RegExp;
  /** The API key from the environment; default KEY, null for none. */
  key?: string | null;
  /** Refused by the command line parser (no input involved), not by the input rules. */
  usage?: true;
  /** An output path refused by the CLI's check of output files (after the input rules, before any request). */
  output?: true;
}

/** `{{file}}` is a plain file, so a path under it has a file where a folder should be. */
const MANY_TASKS = Array.from({ length: 201 }, (_, i) => ['--task', `Package/${i + 1}`]).flat();
const TDP = ['--platform', 'timextender', '--base-url', '{{url}}', '--workspace', 'finance'];
const TASK = ['--task', 'Package/1005'];
const PLX = ['--platform', 'planasonix', '--base-url', '{{url}}'];
const QRN = ['--platform', 'qarion', '--base-url', '{{url}}'];

const CASES: BadInput[] = [
  // platform
  { name: 'unknown platform (typo)', args: ['--platform', 'timextenderr', '--base-url', '{{url}}', '--workspace', 'finance', ...TASK], flag: '--platform', says: /did you mean timextender/ },
  { name: 'unknown platform', args: ['--platform', 'airflow', '--base-url', '{{url}}', ...TASK], flag: '--platform', says: /Valid values: timextender, qarion, planasonix/ },
  { name: 'no platform', args: ['--base-url', '{{url}}', '--workspace', 'finance', ...TASK], flag: '--platform', says: /required/ },
  // targets
  { name: 'missing target', args: [...TDP], flag: '--task', says: /at least one line/ },
  { name: 'Package without an id', args: [...TDP, '--task', 'Package/'], flag: '--task', says: /no task id or name/ },
  { name: 'a task without a type', args: [...TDP, '--task', '1005'], flag: '--task', says: /no task type/ },
  { name: 'unknown task type, valid list suggested', args: [...TDP, '--task', 'Pkg/1005'], flag: '--task', says: /Valid types: Query, CompareQuery, Package/ },
  { name: 'task type typo, closest suggested', args: [...TDP, '--task', 'Packge/1005'], flag: '--task', says: /Did you mean Package\?/ },
  { name: 'the same task twice', args: [...TDP, '--task', 'Package/1005', '--task', 'Package/1005'], flag: '--task', says: /line 2.*repeats/ },
  { name: 'missing workspace', args: ['--platform', 'timextender', '--base-url', '{{url}}', ...TASK], flag: '--workspace', says: /required/ },
  { name: 'workspace with a slash', args: ['--platform', 'timextender', '--base-url', '{{url}}', '--workspace', 'fin/ance', ...TASK], flag: '--workspace' },
  { name: 'workspace with a space', args: ['--platform', 'timextender', '--base-url', '{{url}}', '--workspace', 'fin ance', ...TASK], flag: '--workspace' },
  { name: 'workspace on two lines', args: ['--platform', 'timextender', '--base-url', '{{url}}', '--workspace', 'a', '--workspace', 'b', ...TASK], flag: '--workspace', says: /single line/ },
  { name: 'environment with a control character', args: [...TDP, ...TASK, '--environment', 'Prod\u0007'], flag: '--environment', says: /control character/ },
  { name: 'Qarion without a space', args: [...QRN, '--pipeline', 'daily'], flag: '--space' },
  { name: 'Qarion without a pipeline', args: [...QRN, '--space', 'analytics'], flag: '--pipeline' },
  { name: 'Planasonix without a target', args: [...PLX], flag: '--connection' },
  // durations and intervals
  { name: 'timeout not a duration', args: [...TDP, ...TASK, '--timeout', 'soon'], flag: '--timeout', says: /not a duration/ },
  { name: 'timeout zero', args: [...TDP, ...TASK, '--timeout', '0s'], flag: '--timeout', says: /zero/ },
  { name: 'timeout negative', args: [...TDP, ...TASK, '--timeout', '-5m'], flag: '--timeout', says: /negative/ },
  { name: 'timeout over 7 days', args: [...TDP, ...TASK, '--timeout', '8d'], flag: '--timeout', says: /longer than 7 days/ },
  { name: 'timeout with a unit it does not know', args: [...TDP, ...TASK, '--timeout', '5w'], flag: '--timeout' },
  { name: 'poll interval zero', args: [...TDP, ...TASK, '--poll-interval', '0'], flag: '--poll-interval', says: /zero/ },
  { name: 'poll interval negative', args: [...TDP, ...TASK, '--poll-interval', '-1s'], flag: '--poll-interval', says: /negative/ },
  { name: 'poll interval under 100ms', args: [...TDP, ...TASK, '--poll-interval', '50ms'], flag: '--poll-interval', says: /shorter than 100ms/ },
  { name: 'poll interval longer than the timeout', args: [...TDP, ...TASK, '--timeout', '1m', '--poll-interval', '5m'], flag: '--poll-interval', says: /longer than '--timeout'/ },
  { name: 'max-age not a duration', args: [...TDP, ...TASK, '--mode', 'check', '--max-age', 'yesterday'], flag: '--max-age' },
  // a bare number is not a duration (it once meant seconds)
  { name: 'timeout a bare number', args: [...TDP, ...TASK, '--timeout', '90'], flag: '--timeout', says: /no unit.*Example: 90m$/ },
  { name: 'max-age a bare number', args: [...TDP, ...TASK, '--mode', 'check', '--max-age', '24'], flag: '--max-age', says: /no unit.*Example: 24h$/ },
  { name: 'poll interval a bare number', args: [...TDP, ...TASK, '--poll-interval', '30'], flag: '--poll-interval', says: /no unit.*Example: 30s$/ },
  // how many targets
  { name: '201 targets', args: [...TDP, ...MANY_TASKS], flag: '--task', says: /201 targets.*at most 200/ },
  { name: '201 Qarion pipelines', args: [...QRN, '--space', 'analytics', ...MANY_TASKS.map((a) => (a === '--task' ? '--pipeline' : a))], flag: '--pipeline', says: /201 targets/ },
  // output files
  { name: 'a JUnit file under a file', args: [...TDP, ...TASK, '--junit', '{{file}}/junit.xml'], flag: '--junit', says: /not a folder/, output: true },
  { name: 'a JUnit file that is a folder', args: [...TDP, ...TASK, '--junit-file', '{{dir}}'], flag: '--junit-file', says: /is a folder/, output: true },
  { name: 'a summary file under a file', args: [...TDP, ...TASK, '--summary', '{{file}}/deeper/summary.md'], flag: '--summary', says: /not a folder/, output: true },
  // connection
  { name: 'http:// to a non-loopback host', args: ['--platform', 'timextender', '--base-url', 'http://acme.odq.timextender.com', '--workspace', 'finance', ...TASK], flag: '--base-url', says: /must use https/ },
  { name: 'http:// to a look-alike of loopback', args: ['--platform', 'timextender', '--base-url', 'http://127.0.0.1.nip.io', '--workspace', 'finance', ...TASK], flag: '--base-url', says: /must use https/ },
  { name: 'base URL with another scheme', args: ['--platform', 'timextender', '--base-url', 'ftp://acme.example', '--workspace', 'finance', ...TASK], flag: '--base-url' },
  { name: 'base URL not a URL', args: ['--platform', 'timextender', '--base-url', 'acme', '--workspace', 'finance', ...TASK], flag: '--base-url', says: /not an absolute URL/ },
  { name: 'base URL with credentials', args: ['--platform', 'timextender', '--base-url', 'https://user:hunter2secret@acme.example', '--workspace', 'finance', ...TASK], flag: '--base-url', says: /user name or password/ },
  { name: 'base URL with a query', args: ['--platform', 'timextender', '--base-url', 'https://acme.example/?key=abc', '--workspace', 'finance', ...TASK], flag: '--base-url', says: /query/ },
  { name: 'no tenant and no base URL', args: ['--platform', 'timextender', '--workspace', 'finance', ...TASK], flag: '--tenant' },
  { name: 'tenant that is not a DNS label', args: ['--platform', 'timextender', '--tenant', 'acme corp', '--workspace', 'finance', ...TASK], flag: '--tenant' },
  // the key
  { name: 'no key', args: [...TDP, ...TASK], key: null, flag: '--api-key', says: /required/ },
  { name: 'a key with a newline', args: [...TDP, ...TASK], key: `${KEY}\nsecond-line-of-the-secret`, flag: '--api-key', says: /line break/ },
  { name: 'a key with a Bearer prefix', args: [...TDP, ...TASK], key: `Bearer ${KEY}`, flag: '--api-key', says: /whitespace/ },
  { name: 'a key with a typographic quote', args: [...TDP, ...TASK], key: `\u201c${KEY}\u201d`, flag: '--api-key', says: /printable ASCII/ },
  { name: 'a key with a control character', args: [...TDP, ...TASK], key: `${KEY}\u0007`, flag: '--api-key', says: /control character/ },
  // Planasonix values
  { name: 'invalid JSON parameters', args: [...PLX, '--pipeline', 'pl_daily', '--parameters', '{"region": eu}'], flag: '--parameters', says: /not valid JSON/ },
  { name: 'JSON parameters that are an array', args: [...PLX, '--pipeline', 'pl_daily', '--parameters', '[1, 2]'], flag: '--parameters', says: /JSON object/ },
  { name: 'a parameters line without key=value', args: [...PLX, '--pipeline', 'pl_daily', '--parameters', 'region'], flag: '--parameters', says: /key=value/ },
  { name: 'parameters without a pipeline', args: [...PLX, '--connection', 'conn_1', '--parameters', 'region=eu'], flag: '--parameters', says: /pipeline targets only/ },
  { name: 'backfill start without an end', args: [...PLX, '--connection', 'conn_1', '--backfill-start', '2024-01-01'], flag: '--backfill-end' },
  { name: 'backfill start after its end', args: [...PLX, '--connection', 'conn_1', '--backfill-start', '2024-02-01', '--backfill-end', '2024-01-01'], flag: '--backfill-start', says: /before/ },
  { name: 'backfill start not a date', args: [...PLX, '--connection', 'conn_1', '--backfill-start', 'last week', '--backfill-end', '2024-01-01'], flag: '--backfill-start', says: /ISO 8601/ },
  { name: 'an impossible backfill date', args: [...PLX, '--connection', 'conn_1', '--backfill-start', '2024-02-30', '--backfill-end', '2024-03-01'], flag: '--backfill-start' },
  { name: 'sync type on a backfill', args: [...PLX, '--connection', 'conn_1', '--backfill-start', '2024-01-01', '--backfill-end', '2024-01-31', '--sync-type', 'full'], flag: '--sync-type' },
  { name: 'unknown sync type', args: [...PLX, '--connection', 'conn_1', '--sync-type', 'partial'], flag: '--sync-type' },
  { name: 'unknown priority', args: [...PLX, '--connection', 'conn_1', '--priority', 'urgent'], flag: '--priority' },
  { name: 'idempotency key with non-ASCII', args: [...PLX, '--connection', 'conn_1', '--idempotency-key', 'release-\u00e9t\u00e9'], flag: '--idempotency-key' },
  { name: 'idempotency key too long', args: [...PLX, '--connection', 'conn_1', '--idempotency-key', 'k'.repeat(300)], flag: '--idempotency-key', says: /255/ },
  // inputs that do not belong to the platform or the mode
  { name: 'a TimeXtender input on Qarion', args: [...QRN, '--space', 'analytics', '--pipeline', 'daily', '--workspace', 'finance'], flag: '--workspace', says: /platform timextender only/ },
  { name: 'a Planasonix input on TimeXtender', args: [...TDP, ...TASK, '--connection', 'conn_1'], flag: '--connection', says: /platform planasonix only/ },
  { name: 'a Qarion input on Planasonix', args: [...PLX, '--connection', 'conn_1', '--space', 'analytics'], flag: '--space', says: /platform qarion only/ },
  { name: 'run-id outside mode wait', args: [...TDP, ...TASK, '--run-id', '97210'], flag: '--run-id', says: /mode wait only/ },
  { name: 'max-age outside mode check', args: [...TDP, ...TASK, '--max-age', '24h'], flag: '--max-age', says: /mode check only/ },
  { name: 'run-id with several targets', args: [...TDP, '--task', 'Package/1', '--task', 'Package/2', '--mode', 'wait', '--run-id', '97210'], flag: '--run-id', says: /2 target/ },
  // pick-lists, numbers, booleans
  { name: 'unknown mode', args: [...TDP, ...TASK, '--mode', 'follow'], flag: '--mode' },
  { name: 'unknown if-running', args: [...TDP, ...TASK, '--if-running', 'skip'], flag: '--if-running' },
  { name: 'unknown logs policy', args: [...TDP, ...TASK, '--logs', 'sometimes'], flag: '--logs' },
  { name: 'negative log-lines', args: [...TDP, ...TASK, '--log-lines', '-1'], flag: '--log-lines' },
  { name: 'log-lines in exponent notation', args: [...TDP, ...TASK, '--log-lines', '1e3'], flag: '--log-lines' },
  { name: 'max-concurrency zero', args: [...TDP, ...TASK, '--max-concurrency', '0'], flag: '--max-concurrency' },
  { name: 'max-concurrency over 64', args: [...TDP, ...TASK, '--max-concurrency', '65'], flag: '--max-concurrency' },
  { name: 'fail-fast not a boolean', args: [...TDP, ...TASK, '--fail-fast', 'maybe'], flag: '--fail-fast', says: /not a boolean/ },
  { name: 'cancel-on-timeout not a boolean', args: [...TDP, ...TASK, '--cancel-on-timeout', 'yes please'], flag: '--cancel-on-timeout' },
  // the command line itself
  { name: 'an unknown flag', args: [...TDP, '--taks', 'Package/1005'], flag: '--taks', says: /unknown flag --taks/, usage: true },
  { name: 'a flag without its value', args: [...TDP, '--task'], flag: '--task', says: /needs a value/, usage: true },
];

/**
 * Every case as a process in the proof; in `npm test`, one input-rule case in SAMPLE_EVERY and every case of
 * the command line parser and of the output-file check (the other paths to exit 2), the rest in-process.
 */
const ALL_AS_PROCESSES = process.env.PROOF_FULL === '1';
const SAMPLE_EVERY = 8;
const asProcess = (c: BadInput) => ALL_AS_PROCESSES || c.usage === true || c.output === true || CASES.indexOf(c) % SAMPLE_EVERY === 0;

/** The CLI's `main` in this process, as a ProcessRun. */
async function runInProcess(argv: string[], env: Record<string, string>): Promise<ProcessRun> {
  const started = Date.now();
  return { ...(await runCliInProcess(argv, env)), signal: null, ms: Date.now() - started };
}

let sim: Simulator;
let scratch: string;
const fill = (arg: string) => arg.replace('{{url}}', sim.url).replace('{{file}}', join(scratch, 'plain-file')).replace('{{dir}}', scratch);
const runs = new Map<string, ProcessRun>();
let runtimeMs = 0;

beforeAll(async () => {
  sim = await startSimulator({ seed: 9 });
  scratch = mkdtempSync(join(tmpdir(), 'bad-inputs-'));
  writeFileSync(join(scratch, 'plain-file'), 'not a folder');
  const started = Date.now();
  await pool(CASES, 4, async (c) => {
    const env: Record<string, string> = {};
    if (c.key !== null) env.ORCHESTRATION_RUN_API_KEY = c.key ?? KEY;
    runs.set(c.name, asProcess(c) ? await runNode([CLI, ...c.args.map(fill)], env) : await runInProcess(c.args.map(fill), env));
  });
  runtimeMs = Date.now() - started;
}, 120_000);

afterAll(async () => {
  const rejected = CASES.filter((c) => {
    const run = runs.get(c.name);
    return run?.code === 2 && lines(run.stderr).length === 1 && run.stderr.includes(c.flag) && run.stdout === '';
  }).length;
  writeFigures('bad-inputs', { cases: CASES.length, rejected, requestsMade: sim.journal.count(), runtimeMs });
  await sim.close();
});

test('cases of every kind ran as processes (all of them in the proof)', () => {
  const processes = CASES.filter(asProcess);
  const kinds = new Set(processes.map((c) => (c.usage ? 'command line' : c.output ? 'output file' : 'input rule')));
  expect([...kinds].sort()).toEqual(['command line', 'input rule', 'output file']);
  if (ALL_AS_PROCESSES) expect(processes).toHaveLength(CASES.length);
  else expect(processes.filter((c) => !c.usage && !c.output).length).toBeGreaterThanOrEqual(Math.floor(CASES.length / SAMPLE_EVERY));
});

test('the table holds at least 40 malformed inputs, each different', () => {
  expect(CASES.length).toBeGreaterThanOrEqual(40);
  expect(new Set(CASES.map((c) => c.name)).size).toBe(CASES.length);
  expect(new Set(CASES.map((c) => JSON.stringify([c.args, c.key]))).size).toBe(CASES.length);
});

test.each(CASES.map((c) => [c.name, c] as const))('%s: exit 2, one line naming the flag, no request', (_name, c) => {
  const run = runs.get(c.name)!;
  const err = lines(run.stderr);
  expect({ code: run.code, stdout: run.stdout, stderrLines: err.length }).toEqual({ code: 2, stdout: '', stderrLines: 1 });
  expect(err[0]).toMatch(/^orchestration-run: /);
  // Input rules say `Input '--flag' …`; the command line parser names the flag as typed.
  expect(err[0]).toContain(c.usage ? c.flag : `Input '${c.flag}'`);
  if (c.says) expect(err[0]).toMatch(c.says);
  expect(err[0]).not.toMatch(STACK_LINE);
  const secret = c.key ?? KEY;
  expect(findLeaks([run.stdout, run.stderr], secret)).toEqual([]);
  for (const piece of secret.split(/\s+/).filter((p) => p.length >= 8)) expect(findLeaks([run.stderr], piece)).toEqual([]);
  if (c.name === 'base URL with credentials') expect(run.stderr).not.toContain('hunter2secret');
  // The cases run in parallel against one simulator: an empty journal means none of them sent a request.
  expect(sim.journal.count()).toBe(0);
});

test('the same inputs in-process name the same input (InputError.input), so the flag in the line is the one at fault', () => {
  for (const c of CASES) {
    const argv = c.args.map(fill);
    let error: unknown;
    try {
      const parsed = parseArgs(argv);
      const env: Record<string, string | undefined> = { ORCHESTRATION_RUN_API_KEY: c.key === null ? undefined : (c.key ?? KEY) };
      parseSettings((name) => parsed.values.get(name)?.join('\n') ?? env[`ORCHESTRATION_RUN_${name.toUpperCase().replace(/-/g, '_')}`], { nameStyle: 'cli' });
      // Output paths pass the input rules; the CLI checks them next, before any request.
      if (c.output) {
        const path = argv[argv.indexOf(c.flag) + 1]!;
        error = prepareOutputFile(path);
      }
    } catch (e) {
      error = e;
    }
    if (c.output) expect([c.name, typeof error === 'string' ? error : String(error)]).toEqual([c.name, expect.stringMatching(c.says!)]);
    else if (c.usage) expect([c.name, error instanceof UsageError]).toEqual([c.name, true]);
    else expect([c.name, error instanceof InputError ? `--${error.input}` : String(error)]).toEqual([c.name, c.flag]);
  }
});

test('not one request reached the server', () => {
  expect(sim.journal.entries().map((e) => `${e.method} ${e.path}`)).toEqual([]);
});

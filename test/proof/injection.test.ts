/**
 * Proof 5, command injection: a corpus of workflow-command payloads placed where a server controls the text
 * (task names, process map names, log lines, error titles and problem details), run through every front end
 * that is built (the CLI, the GitHub Action bundle, the Azure DevOps task bundle) as their CI system runs
 * them. None may become a command (commands.ts: the plain rule and a model of the runners' parsers), and each
 * payload must stay readable: its tag and its words are still in the output.
 */
import { startSimulator, type Simulator } from '../../src/simulator/index.js';
import { findLeaks } from '../helpers/leaks.js';
import { foreignCommands, LINE_BREAKS, type LiveCommand } from './commands.js';
import { availableFrontEnds, everythingPrinted, runFrontEnd, type FrontEnd, type FrontEndRun } from './frontends.js';
import { pool, writeFigures } from './support.js';

const KEY = 'txk_InjectionProofKeyZyXwVuT98765432';
const WS = 'inject';

/** Each payload ends with a tag (p00…) so its line can be found in the output. */
const RAW_PAYLOADS: string[] = [
  '::set-output name=pwned::1',
  '::add-mask::visible text',
  '::stop-commands::endtoken',
  '::error file=app.js,line=1::forged error',
  '::warning::forged warning',
  '::notice title=x::forged notice',
  '::debug::forged debug',
  '::group::forged group',
  '::endgroup::',
  '::save-state name=x::stolen',
  '::add-path::/tmp/evil',
  '::set-env name=NODE_OPTIONS::--require=/tmp/evil.js',
  '##vso[task.setvariable variable=secret;isOutput=true]pwned',
  '##vso[task.complete result=Succeeded;]forged success',
  '##vso[task.prependpath]/tmp/evil',
  '##vso[build.updatebuildnumber]evil build',
  '##vso[task.uploadfile]/etc/passwd',
  '##[group]forged group',
  '##[endgroup]',
  '##[error]forged error',
  '##[warning]forged warning',
  '##[section]forged section',
  '##[command]rm -rf everything',
  '##VSO[task.complete result=Succeeded]upper case',
  '##Vso[task.setvariable variable=x]mixed case',
  '::SET-OUTPUT name=upper::upper case',
  '## [group]space inside',
  '   ::set-output name=lead::leading spaces',
  '\t::add-mask::leading tab',
  'okay\r::set-output name=cr::carriage return',
  'okay\n::error::newline inside',
  'okay\r\n##vso[task.complete result=Succeeded]crlf inside',
  'okay\u2028::warning::line separator',
  'okay\u0085::notice::next line',
  '\u001b[31m::error::ansi coloured\u001b[0m',
  '\u001b]8;;http://evil.example\u0007::set-output name=osc::hyperlink\u001b]8;;\u0007',
  '\u200b::set-output name=zw::zero width first',
  '\ufeff::set-output name=bom::byte order mark',
  ':\u200b:set-output name=zwin::zero width inside',
  '#\u200b#vso[task.complete result=Succeeded]zero width inside hash',
  '##\u200bvso[task.setvariable variable=zw]zero width in prefix',
  '\uff1a\uff1aset-output name=fw::fullwidth look-alike',
  '#\uff03vso[task.complete]fullwidth hash look-alike',
  '%0A::error::percent-encoded newline',
  'text ::set-output name=mid::mid-line',
  '\u0000::error::nul first',
];
/**
 * Payloads no runner acts on as printed raw: an escape sequence, NUL or zero-width character before or inside
 * the prefix (the runner's fixed cut then misses the name), full-width look-alikes, text before the prefix.
 * They are in the corpus because a sanitizer that strips escapes and control characters and stops there
 * turns the first kind into live commands, and because neutralizing must leave the rest readable.
 */
const NOT_LIVE_RAW = ['p34', 'p35', 'p36', 'p38', 'p39', 'p40', 'p41', 'p42', 'p43', 'p44', 'p45'];
const PAYLOADS = RAW_PAYLOADS.map((p, i) => `${p} p${String(i).padStart(2, '0')}`);
const TAG = (i: number) => `p${String(i).padStart(2, '0')}`;

/** The words of the payload a reader should still see: visible letters of the part holding the tag. */
function wordsOf(payload: string): string[] {
  const visible = payload.replace(/\u001b\[[0-9;]*[A-Za-z]|\u001b\][^\u0007]*\u0007/g, '');
  const lastSegment = visible.split(LINE_BREAKS).pop()!;
  return lastSegment.match(/[A-Za-z]{3,}/g) ?? [];
}

const NAME_PAYLOADS = [0, 12, 13, 17, 30, 39]; // task names (5) and the process map name (the last)
const MAP_ID = 66;
const TASK_IDS = [6101, 6102, 6103, 6104, 6105];
/** Tasks whose resolve answers a problem carrying payloads in title, detail, traceId and errors. */
const ERROR_TASK_BASE = 6200;
const PER_PROBLEM = 5;

let sim: Simulator;
const frontEnds = availableFrontEnds();
const runs = new Map<string, FrontEndRun>();

function seedWorld(s: Simulator): void {
  const tdp = s.tdp;
  tdp.addUser('prover');
  tdp.addKey('prover', KEY);
  tdp.addWorkspace(WS, { name: 'Injection', access: { prover: 'contributor' } });
  const log = [...PAYLOADS, ...PAYLOADS.slice(0, 3).map((p) => `ERROR: ${p}`)];
  TASK_IDS.forEach((taskId, i) => {
    tdp.addTask(WS, { taskType: 'Package', taskId, taskName: PAYLOADS[NAME_PAYLOADS[i]!]! });
    tdp.setScenario(WS, 'Package', taskId, { outcome: 'failure', durationMs: 150, logLines: log });
  });
  tdp.addProcessMap(WS, {
    processMapId: MAP_ID,
    name: PAYLOADS[NAME_PAYLOADS[5]!]!,
    failurePolicy: 'ignore-failure',
    members: TASK_IDS.map((taskId) => ({ taskType: 'Package', taskId, stage: 1 })),
  });
  // Error titles and problem details: every payload in one of the fields of some target's problem.
  for (let t = 0; t * PER_PROBLEM < PAYLOADS.length; t++) {
    const taskId = ERROR_TASK_BASE + t;
    tdp.addTask(WS, { taskType: 'Package', taskId, taskName: `Error carrier ${t}` });
    const [title, detail, traceId, e1, e2] = PAYLOADS.slice(t * PER_PROBLEM, t * PER_PROBLEM + PER_PROBLEM);
    const body = { type: 'https://tools.ietf.org/html/rfc9110#section-15.5.5', title: title ?? 'Not Found', status: 404, detail, traceId, errors: { target: [e1, e2].filter(Boolean) } };
    s.faults.add({ method: 'GET', path: `/api/v0/orchestration/${WS}/tasks/Package/${taskId}`, kind: 'status', status: 404, body: JSON.stringify(body), times: Infinity });
  }
}

const ERROR_TASKS = Array.from({ length: Math.ceil(PAYLOADS.length / PER_PROBLEM) }, (_, t) => `Package/${ERROR_TASK_BASE + t}`);

const SCENARIOS = {
  /** A failing process map: payloads in the map name, task names and log lines. */
  names: () => ({ 'process-map': String(MAP_ID) }),
  /** Targets failing with problem details full of payloads. */
  errors: () => ({ task: ERROR_TASKS.join('\n'), 'fail-fast': 'false' }),
};

beforeAll(async () => {
  sim = await startSimulator({ seed: 13 });
  seedWorld(sim);
  const jobs = frontEnds.flatMap((fe) => (Object.keys(SCENARIOS) as Array<keyof typeof SCENARIOS>).map((scenario) => ({ fe, scenario })));
  await pool(jobs, 3, async ({ fe, scenario }) => {
    const inputs = { platform: 'timextender', 'base-url': sim.url, 'api-key': KEY, workspace: WS, 'poll-interval': '200ms', timeout: '30s', ...SCENARIOS[scenario]() };
    runs.set(`${fe}/${scenario}`, await runFrontEnd(fe, inputs));
  });
}, 180_000);

afterAll(async () => {
  if (process.env.PROOF_VERBOSE) for (const [k, r] of runs) process.stdout.write(`==== ${k} exit ${r.code}\n${r.stdout}\n---- stderr\n${r.stderr}\n`);
  writeFigures('injection', {
    payloads: PAYLOADS.length,
    frontEnds,
    neutralized: PAYLOADS.filter((_, i) => frontEnds.every((fe) => payloadProblems(fe, i).length === 0 && !liveCommands(fe, 'viewer').some((c) => firstTag(c.line) === TAG(i)))).length,
    liveCommands: frontEnds.reduce((n, fe) => n + liveCommands(fe, 'runner').length, 0),
    commandLookingLinesBehindViewerBreaks: frontEnds.reduce((n, fe) => n + liveCommands(fe, 'viewer').length - liveCommands(fe, 'runner').length, 0),
    leaks: frontEnds.reduce((n, fe) => n + (Object.keys(SCENARIOS) as Array<keyof typeof SCENARIOS>).reduce((m, s) => m + findLeaks(everythingPrinted(runs.get(`${fe}/${s}`)!), KEY).length, 0), 0),
    missing: ['cli', 'github', 'azure'].filter((fe) => !frontEnds.includes(fe as FrontEnd)),
  });
  await sim.close();
});

/** The payload a command-looking line comes from: the first tag in it (the text after a break belongs to the payload that held the break). */
function firstTag(line: string): string | undefined {
  return /\bp\d\d\b/.exec(line)?.[0];
}

function liveCommands(fe: FrontEnd, breaks: 'runner' | 'viewer' = 'runner'): LiveCommand[] {
  const runner = fe === 'cli' ? 'none' : fe;
  return (Object.keys(SCENARIOS) as Array<keyof typeof SCENARIOS>).flatMap((s) => foreignCommands(runs.get(`${fe}/${s}`)!.commandStream, runner, breaks));
}

/** Why payload i is not shown readably on this front end (empty: it is). */
function payloadProblems(fe: FrontEnd, i: number): string[] {
  const streams = (Object.keys(SCENARIOS) as Array<keyof typeof SCENARIOS>).map((s) => runs.get(`${fe}/${s}`)!.commandStream);
  const tagged = streams.flatMap((text) => text.split(LINE_BREAKS)).filter((line) => new RegExp(`\\b${TAG(i)}\\b`).test(line));
  if (tagged.length === 0) return [`payload ${TAG(i)} never shows in the output`];
  const missing = wordsOf(PAYLOADS[i]!).filter((w) => !tagged.some((line) => line.includes(w)));
  return missing.length ? [`payload ${TAG(i)} lost words: ${missing.join(', ')}`] : [];
}

test('the corpus has at least 30 payloads, in names, logs, error titles and problem details', () => {
  expect(PAYLOADS.length).toBeGreaterThanOrEqual(30);
  expect(NAME_PAYLOADS.length).toBe(6);
  expect(ERROR_TASKS.length * PER_PROBLEM).toBeGreaterThanOrEqual(PAYLOADS.length);
  // Printed raw, every payload is a command, except those listed in NOT_LIVE_RAW.
  const notLive = PAYLOADS.map((p, i) => (foreignCommands(p, 'none').length === 0 ? TAG(i) : undefined)).filter(Boolean);
  expect(notLive).toEqual(NOT_LIVE_RAW);
  // …and those become commands once escape sequences and control characters are stripped without more care.
  const stripped = (p: string) => p.replace(/\u001b\[[0-9;]*[A-Za-z]|\u001b\][^\u0007]*\u0007/g, '').replace(/[\u0000-\u001f\p{Cf}]/gu, '');
  expect(['p34', 'p35', 'p36', 'p38', 'p45'].filter((tag) => foreignCommands(stripped(PAYLOADS[Number(tag.slice(1))]!), 'none').length > 0)).toEqual(['p34', 'p35', 'p36', 'p38', 'p45']);
});

test('the command model recognises live commands, including zero-width tricks, and lets neutralized text pass', () => {
  expect(foreignCommands('::set-output name=x::y', 'none')).not.toEqual([]);
  expect(foreignCommands('  ::add-mask::x', 'none')).not.toEqual([]);
  expect(foreignCommands(':\u200b:set-output name=x::y', 'none').filter((c) => c.runner === 'github')).toEqual([]); // the runner cuts ":set-output"
  expect(foreignCommands('\u200b::set-output name=x::y', 'none').filter((c) => c.runner === 'github')).toEqual([]); // the runner cuts ":set-output"
  expect(foreignCommands('\ufeff::set-output name=x::y', 'none')).not.toEqual([]); // trimmed like whitespace
  expect(foreignCommands('x ##vso[task.complete result=Succeeded]y', 'none').filter((c) => c.runner === 'azure')).not.toEqual([]);
  expect(foreignCommands('x #\u200b#vso[task.complete result=Succeeded]y', 'none').filter((c) => c.runner === 'azure')).toEqual([]); // cut at "[task"
  expect(foreignCommands('::error title=x::text ##vso[task.complete]', 'github')).not.toEqual([]);
  expect(foreignCommands('::error title=x::text ::set-output name=x::y', 'github')).toEqual([]);
  expect(foreignCommands('##[group]title', 'azure')).toEqual([]);
  expect(foreignCommands(':\u00b7:set-output name=x::y', 'none')).toEqual([]);
  expect(foreignCommands('#\u00b7#vso[task.complete]', 'none')).toEqual([]);
});

describe.each(frontEnds.map((fe) => [fe]))('%s', (fe) => {
  test('ran both scenarios to a failed step (the server text was printed, not swallowed)', () => {
    for (const scenario of Object.keys(SCENARIOS)) {
      const run = runs.get(`${fe}/${scenario}`)!;
      // The Azure task reports Failed through task.complete and exits 0, as the agent expects.
      expect({ scenario, code: run.code }).toEqual({ scenario, code: fe === 'azure' ? 0 : 1 });
    }
  });

  test('no payload became a command (lines as the runner reads them: CR, LF)', () => {
    expect(liveCommands(fe, 'runner')).toEqual([]);
  });

  test('nor behind a line break a terminal or log viewer shows (NEL, LS, PS), as the product itself defines lines', () => {
    expect(liveCommands(fe, 'viewer').map((c) => `${c.runner} ${c.name}: ${JSON.stringify(c.line.slice(0, 120))}`)).toEqual([]);
  });

  test.each(PAYLOADS.map((p, i) => [TAG(i), JSON.stringify(p), i] as const))('payload %s %s stays readable', (_tag, _p, i) => {
    expect(payloadProblems(fe, i)).toEqual([]);
  });

  test('the key never shows', () => {
    for (const scenario of Object.keys(SCENARIOS)) expect(findLeaks(everythingPrinted(runs.get(`${fe}/${scenario}`)!), KEY)).toEqual([]);
  });
});

test('every front end was run (a missing bundle is reported, not passed)', () => {
  // The CLI is always built by `npm test`; the bundles exist once their owners built them.
  expect(frontEnds).toContain('cli');
  if (process.env.CI) expect(frontEnds).toEqual(['cli', 'github', 'azure']);
});

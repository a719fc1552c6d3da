/**
 * Proof 1, the fault matrix: every fault a network, a proxy or a struggling server can produce, in every
 * phase of a step, on every platform that exists, through the real engine and provider over loopback.
 *
 * A fault is either transient (the first request of the phase gets it, once) or persistent (every request
 * of the phase gets it). Each case must either recover and end with the simulator's truth, or fail with ONE
 * line naming the phase and the cause; in every case no second run is started, a failed run is never
 * green, the key never shows, and the step ends before its deadline.
 *
 * Expected per case (what "recovers" means is decided here, up front, so a regression cannot hide):
 * - reads (resolve, baseline, follow) recover from any transient fault that the HTTP layer retries: network
 *   errors, 5xx, 429 (honouring Retry-After), a slow answer, malformed JSON, an HTML proxy page. An EMPTY
 *   200 body is not retried: the step fails with a line naming the phase (see docs/reliability.md);
 * - the trigger is never sent twice blindly: after a lost answer the engine looks for the run first. Faults
 *   that never reached the server (refused, reset, 5xx, 429, HTML) end in one resend and one run; a slow
 *   answer the server applied meanwhile ends in one POST and one run; a 200 with a malformed or empty body
 *   (a proxy answering for a server that never saw the POST) ends with "no new run appeared";
 * - logs: the run's outcome is never changed by a log fault; a transient one is retried (the log is
 *   resumed where it stopped), a persistent one leaves a note naming the cause;
 * - cancel: TimeXtender has no cancel route; on timeout the step says so and sends nothing.
 */
import { runStep, type EngineOptions, type StepOutcome } from '../../src/core/engine/index.js';
import { parseSettings } from '../../src/providers/registry.js';
import { startSimulator, type FaultRule, type Simulator } from '../../src/simulator/index.js';
import { findLeaks } from '../helpers/leaks.js';
import { PHASE_WORDS, PLATFORMS, phaseLoader, phaseRules, type MatrixPhase, type Outcome, type ProofPlatform, type SeededTarget } from './platforms.js';
import { pool, ProofHost, writeFigures } from './support.js';
import { readFileSync, existsSync } from 'node:fs';
import { createServer } from 'node:net';

const REQUEST_TIMEOUT_MS = 400;
const SLOW_MS = 900;
const TIME_SCALE = 10;
const CONCURRENCY = 16;
/** Time a step may take past its timeout (the cancel budget is not used: TimeXtender cannot cancel). */
const MARGIN_MS = 1500;

const ENGINE: Partial<EngineOptions> = {
  http: { requestTimeoutMs: REQUEST_TIMEOUT_MS, retry: { maxAttempts: 5, baseDelayMs: 5, maxDelayMs: 40 } },
  startWindowMs: 1500,
  confirmWindowMs: 1200,
  cancelBudgetMs: 1500,
  heartbeatMs: 60_000,
};

type FaultId =
  | 'refused'
  | 'reset'
  | 'reset-mid-body'
  | '500'
  | '502'
  | '503'
  | '504'
  | '429'
  | 'slow'
  | 'malformed-json'
  | 'html'
  | 'empty';

interface FaultSpec {
  id: FaultId;
  rule: Omit<FaultRule, 'method' | 'path' | 'skip' | 'times'>;
  /** What the error line must say about the cause. */
  cause: RegExp;
  /** The cause as the streamed log reader words it, when different. */
  logCause?: RegExp;
}

const FAULTS: readonly FaultSpec[] = [
  { id: 'refused', rule: { kind: 'refuse' }, cause: /refused|closed|reset|socket|ECONN/i },
  { id: 'reset', rule: { kind: 'reset' }, cause: /reset|closed|socket|ECONN/i },
  { id: 'reset-mid-body', rule: { kind: 'reset-mid-body' }, cause: /cut short|closed|reset|terminated|socket|malformed|ECONN/i },
  { id: '500', rule: { kind: 'status', status: 500 }, cause: /\b500\b/ },
  { id: '502', rule: { kind: 'status', status: 502 }, cause: /\b502\b/ },
  { id: '503', rule: { kind: 'status', status: 503 }, cause: /\b503\b/ },
  { id: '504', rule: { kind: 'status', status: 504 }, cause: /\b504\b/ },
  { id: '429', rule: { kind: 'rate-limit', headers: { 'Retry-After': '1' } }, cause: /\b429\b/ },
  { id: 'slow', rule: { kind: 'slow', delayMs: SLOW_MS }, cause: /timed out/ },
  { id: 'malformed-json', rule: { kind: 'malformed-json' }, cause: /malformed JSON/, logCause: /malformed JSON|expected a JSON array/ },
  { id: 'html', rule: { kind: 'html' }, cause: /HTML/ },
  { id: 'empty', rule: { kind: 'empty' }, cause: /empty|unexpected answer/ },
];

type Severity = 'transient' | 'persistent';
type Expectation = 'recover' | 'fail' | 'no-cancel' | 'cancel';

interface Case {
  name: string;
  platform: ProofPlatform;
  fault?: FaultSpec;
  phase: MatrixPhase;
  severity: Severity;
  outcome: Outcome;
  expected: Expectation;
  /** The base URL points at a closed port (connection refused for real). */
  closedPort?: boolean;
}

/** Whether a case recovers: decided from the platform, the fault and the phase (see the file comment). */
function expectation(platform: ProofPlatform, fault: FaultSpec, phase: MatrixPhase, severity: Severity): Expectation {
  if (phase === 'logs') return 'recover'; // the outcome stands; the log itself is checked separately
  const id = fault.id;
  if (phase === 'trigger') {
    if (platform.name === 'planasonix') {
      // An idempotent trigger: the HTTP layer sends it again and the server dedupes by key. Only a proxy's
      // empty 200 (the server never saw the POST) leaves nothing to follow. A persistent fault that the
      // server applied anyway (slow, cut answer) started a job: the step should find and follow it.
      if (id === 'empty') return 'fail';
      if (severity === 'transient') return 'recover';
      return id === 'slow' || id === 'reset-mid-body' ? 'recover' : 'fail';
    }
    // TimeXtender, Qarion: a lost answer is never simply sent again; the engine looks for the run first.
    // A proxy's 200 (malformed, empty) for a POST the server never saw leaves nothing to find.
    if (id === 'malformed-json' || id === 'empty') return 'fail';
    // The server applied it but the answer came too late: the run is found by looking; a run of the target
    // that started after the baseline is an equivalent load (product rule for lost trigger answers), so it is
    // adopted, reported as adopted, and its outcome decides. A cut answer of an empty 202 may go unnoticed.
    if (id === 'slow') return 'recover';
    if (id === 'reset-mid-body') return 'recover';
    // 429 is sent again by the HTTP layer (the server surely did not act).
    if (severity === 'transient' && id === '429') return 'recover';
    // Lost answers of POSTs the server never applied: TimeXtender sends once more when no run appeared and
    // the target is idle; Qarion never does without a connector sync (a run may exist in Airflow unlisted).
    if (severity === 'transient') return platform.name === 'qarion' ? 'fail' : 'recover';
    return 'fail';
  }
  // Reads: any transient fault the HTTP layer retries is absorbed; an empty 200 body is not retried.
  if (severity === 'transient') return id === 'empty' ? 'fail' : 'recover';
  return 'fail';
}

/** Phases in which a platform sends no request at all (Planasonix resolves ids without asking): no case. */
const NO_REQUEST = PLATFORMS.flatMap((p) => p.silentPhases.map((phase) => ({ platform: p.name, phase })));

function phasesOf(platform: ProofPlatform): MatrixPhase[] {
  return (['resolve', 'baseline', 'trigger', 'follow', 'logs'] as const).filter((phase) => !platform.silentPhases.includes(phase));
}

function buildCases(): Case[] {
  const cases: Case[] = [];
  for (const platform of PLATFORMS) {
    const phases = phasesOf(platform);
    for (const fault of FAULTS) {
      for (const phase of phases) {
        for (const severity of ['transient', 'persistent'] as const) {
          const outcomes: Outcome[] = phase === 'logs' ? ['failure'] : phase === 'follow' && severity === 'transient' ? ['success', 'failure'] : ['success'];
          for (const outcome of outcomes) {
            cases.push({
              name: `${platform.name} ${phase} ${fault.id} ${severity} (run ${outcome})`,
              platform,
              fault,
              phase,
              severity,
              outcome,
              expected: expectation(platform, fault, phase, severity),
            });
          }
        }
      }
      if (platform.canCancel) {
        for (const severity of ['transient', 'persistent'] as const) {
          cases.push({ name: `${platform.name} cancel ${fault.id} ${severity} (run hangs)`, platform, fault, phase: 'cancel', severity, outcome: 'hang', expected: 'cancel' });
        }
      }
    }
    if (!platform.canCancel) {
      cases.push({ name: `${platform.name} cancel: no cancel route (run hangs, timeout)`, platform, phase: 'cancel', severity: 'transient', outcome: 'hang', expected: 'no-cancel' });
    }
    cases.push({
      name: `${platform.name} ${phasesOf(platform)[0]} refused (base URL on a closed port)`,
      platform,
      phase: phasesOf(platform)[0]!,
      severity: 'persistent',
      outcome: 'success',
      expected: 'fail',
      closedPort: true,
    });
  }
  return cases;
}

interface CaseResult {
  outcome?: StepOutcome;
  host: ProofHost;
  target: SeededTarget;
  sim: Simulator;
  ms: number;
  timeoutMs: number;
  error?: unknown;
  faultsApplied: number;
  logText: string;
}

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

async function runCase(c: Case): Promise<CaseResult> {
  const sim = await startSimulator({ seed: 3, timeScale: TIME_SCALE });
  c.platform.prepare(sim);
  const target = c.platform.seed(sim, c.outcome, { durationMs: c.outcome === 'failure' ? 400 : 300 });
  const ids: string[] = [];
  // The fault is armed when the engine enters the phase (see platforms.ts): its first request gets it.
  const loader = phaseLoader((phase) => {
    if (!c.fault || phase !== c.phase) return;
    for (const rule of phaseRules(target, c.phase, { ...c.fault.rule, times: c.severity === 'transient' ? 1 : Infinity })) ids.push(sim.faults.add(rule));
  });
  const timeoutMs = c.outcome === 'hang' ? 1200 : 6000;
  const baseUrl = c.closedPort ? `http://127.0.0.1:${await closedPort()}` : c.platform.baseUrl(sim);
  const values: Record<string, string> = {
    platform: c.platform.name,
    'base-url': baseUrl,
    'api-key': c.platform.key,
    timeout: `${timeoutMs}ms`,
    'poll-interval': '100ms',
    ...target.inputs,
  };
  const { settings } = parseSettings((name) => values[name]);
  const host = new ProofHost();
  const started = Date.now();
  let outcome: StepOutcome | undefined;
  let error: unknown;
  try {
    outcome = await runStep(settings, host, { loadProvider: loader, ...ENGINE });
  } catch (e) {
    error = e;
  }
  const ms = Date.now() - started;
  const faultsApplied = ids.reduce((n, id) => n + sim.faults.appliedCount(id), 0);
  const logText = outcome && existsSync(outcome.logFile) ? readFileSync(outcome.logFile, 'utf8') : '';
  return { outcome, host, target, sim, ms, timeoutMs, error, faultsApplied, logText };
}

/** The run ids a result followed, without the `adopted:` mark of a run adopted after a lost trigger answer. */
function followedIds(runId: string | undefined): string[] {
  return (runId ?? '').split('+').filter(Boolean).map((id) => id.replace(/^adopted:/, ''));
}

/** Everything wrong with one case's run; empty when the case holds. */
function problemsOf(c: Case, r: CaseResult): string[] {
  const problems: string[] = [];
  const fail = (text: string) => problems.push(text);
  if (r.error) return [`the step threw instead of ending: ${String(r.error)}`];
  const outcome = r.outcome!;
  const result = outcome.results[0]!;
  const apiRuns = r.target.apiRuns();

  // Safety, in every case.
  if (apiRuns.length > 1) fail(`${apiRuns.length} runs were started (ids ${apiRuns.map((x) => x.runId).join(', ')})`);
  if (r.target.appliedTriggers() > 1) fail(`${r.target.appliedTriggers()} trigger requests were applied by the server`);
  if (outcome.status === 'succeeded') {
    const followed = followedIds(result.runId);
    if (followed.length === 0) fail('green without a run id');
    for (const id of followed) if (!r.target.truthOf(id)?.green) fail(`green, but run ${id} is ${r.target.truthOf(id)?.status ?? 'unknown to the server'}`);
    // An adopted run (lost trigger answer, TimeXtender/Qarion) is an equivalent load of the target: it must be
    // a run started after the step asked, i.e. one the server started for this step's trigger here.
    if (!apiRuns.some((x) => followed.includes(x.runId))) fail('green, but the run this step started is not among the runs followed');
  }
  if (outcome.status !== 'succeeded' && outcome.exitCode === 0) fail(`status ${outcome.status} with exit code 0`);
  if (r.ms > r.timeoutMs + MARGIN_MS) fail(`took ${r.ms} ms, past the ${r.timeoutMs} ms timeout`);
  const leaks = findLeaks([r.host.printed(), r.host.summary ?? '', ...r.host.outputs.values(), ...r.host.state.values(), r.logText], c.platform.key);
  if (leaks.length) fail(`the key leaked: ${leaks.join('; ')}`);
  if (!c.platform.canCancel && r.target.cancelRequests() > 0) fail(`${r.target.cancelRequests()} cancel requests sent to a platform that cannot cancel`);

  const truthStatus = c.outcome === 'success' ? 'succeeded' : c.outcome === 'failure' ? 'failed' : 'timed-out';
  const line = outcome.failureLine ?? '';
  switch (c.expected) {
    case 'recover': {
      if (c.fault && r.faultsApplied === 0) fail('the fault was never applied: the case proves nothing');
      if (outcome.status !== truthStatus) fail(`status ${outcome.status}, but the run truly ended ${truthStatus}: ${line}`);
      if (apiRuns.length !== 1) fail(`expected exactly one run started, found ${apiRuns.length}`);
      else if (followedIds(result.runId).join('+') !== apiRuns[0]!.runId) fail(`followed run ${result.runId}, but this step started ${apiRuns[0]!.runId}`);
      if (c.phase === 'trigger' && c.platform.name !== 'planasonix' && r.target.triggerRequests() > 2 && c.fault?.id !== '429') {
        fail(`${r.target.triggerRequests()} trigger requests: only one resend is ever safe`);
      }
      if (c.phase === 'logs') checkLogs(c, r, fail);
      if (c.fault?.id === '429' && c.severity === 'transient') checkRetryAfter(c, r, fail);
      break;
    }
    case 'fail': {
      if (!c.closedPort && r.faultsApplied === 0) fail('the fault was never applied: the case proves nothing');
      if (outcome.status !== 'failed') fail(`status ${outcome.status}, expected failed`);
      if (!line) fail('no failure line');
      if (/[\r\n]/.test(line)) fail(`the failure line spans several lines: ${JSON.stringify(line)}`);
      if (!PHASE_WORDS[c.phase].test(line)) fail(`the failure line does not name the ${c.phase} phase: ${line}`);
      const cause = causeOf(c);
      if (!cause.test(line)) fail(`the failure line does not name the cause (${cause}): ${line}`);
      if (['resolve', 'baseline'].includes(c.phase) && r.target.triggerRequests() > 0) fail('a trigger was sent although the step failed before the trigger phase');
      // A run the trigger started must be followed (and reported), even when the step cannot count it as green.
      const followed = followedIds(result.runId);
      const unfollowed = apiRuns.filter((run) => !followed.includes(String(run.runId)));
      if (c.phase === 'trigger' && unfollowed.length > 0) fail(`run ${unfollowed[0]!.runId} was started, yet the step does not follow it`);
      break;
    }
    case 'cancel': {
      // The run never ends: the step times out and cancels it. The fault hits the cancel request.
      if (r.faultsApplied === 0) fail('the fault was never applied: the case proves nothing');
      if (outcome.status !== 'timed-out' || outcome.exitCode !== 3) fail(`status ${outcome.status} (exit ${outcome.exitCode}), expected timed-out (exit 3)`);
      if (r.target.cancelRequests() === 0) fail('no cancel request was sent');
      const cancel = result.cancel;
      if (!cancel?.requested) fail(`the cancel was not requested: ${JSON.stringify(cancel)}`);
      const note = cancel?.note ?? '';
      if (/[\r\n]/.test(note)) fail(`the cancel note spans several lines: ${JSON.stringify(note)}`);
      if (cancel?.accepted) {
        if (!/accepted/.test(note)) fail(`an accepted cancel whose note does not say so: ${note}`);
      } else if (!PHASE_WORDS.cancel.test(note) || !(c.fault!.cause.test(note) || /refused|already ended|not found/.test(note))) {
        fail(`a failed cancel whose note does not name the phase and the cause: ${note}`);
      }
      if (apiRuns.length !== 1) fail(`expected exactly one run started, found ${apiRuns.length}`);
      break;
    }
    case 'no-cancel': {
      if (outcome.status !== 'timed-out' || outcome.exitCode !== 3) fail(`status ${outcome.status} (exit ${outcome.exitCode}), expected timed-out (exit 3)`);
      if (!/offers no way to cancel/.test(result.cancel?.note ?? '')) fail(`no "no way to cancel" note: ${JSON.stringify(result.cancel)}`);
      if (!r.host.warnings().some((w) => /offers no way to cancel a run: run \S+ keeps going on the server/.test(w))) fail('no warning saying the run keeps going');
      if (apiRuns.length !== 1 || apiRuns[0]!.ended) fail('the hanging run should be the one started, still running');
      break;
    }
  }
  return problems;
}

/** What the failure line must name as the cause. */
function causeOf(c: Case): RegExp {
  if (c.closedPort) return /connection refused \(ECONNREFUSED\)/;
  const id = c.fault!.id;
  // A proxy's 200 for a trigger the server never saw: nothing appears (Planasonix retries a malformed body).
  if (c.phase === 'trigger' && (id === 'empty' || (id === 'malformed-json' && c.platform.name !== 'planasonix'))) return /no new run appeared/;
  return c.fault!.cause;
}

/** Failure details: fetched after a transient fault the HTTP layer retries, else a note or warning naming phase and cause. */
function checkLogs(c: Case, r: CaseResult, fail: (text: string) => void): void {
  const tasks = r.outcome!.results[0]!.failedTasks;
  const fetched = tasks.some((t) => [...t.errorLines, ...t.logExcerpt].some((l) => l.includes('ERROR: Proof failure')));
  const retried = c.severity === 'transient' && (c.fault!.id !== 'empty' || c.platform.name === 'timextender');
  if (retried) {
    if (!fetched) fail(`the failure details were not fetched after a transient fault: ${tasks.map((t) => t.logNote).join('; ') || r.host.warnings().join('; ') || '(no note)'}`);
    if (c.platform.name === 'timextender') {
      // Resumed, not duplicated: each line once.
      const count = r.logText.split('ERROR: Proof failure').length - 1;
      if (count !== 1) fail(`the failing log line is in the log file ${count} times`);
    }
    return;
  }
  const cause = c.fault!.logCause ?? c.fault!.cause;
  const notes = [...tasks.map((t) => t.logNote ?? ''), ...r.host.warnings()].filter((n) => /could not be fetched|cut off|could not read the failure details/.test(n));
  if (notes.length === 0) return fail(`nothing says the failure details could not be read: ${JSON.stringify(tasks.map((t) => t.logNote))} ${r.host.warnings().join('; ')}`);
  if (!notes.some((n) => PHASE_WORDS.logs.test(n) && (cause.test(n) || (c.fault!.id === 'empty' && /unexpected answer|empty/.test(n))))) {
    fail(`the note does not name the phase and cause: ${notes.join(' | ')}`);
  }
  if (!notes.every((n) => r.host.printed().includes(n) || r.host.warnings().includes(n))) fail('the note was not printed');
}

/** The request after a 429 waited at least as long as Retry-After asked (1 s). */
function checkRetryAfter(c: Case, r: CaseResult, fail: (text: string) => void): void {
  const gaps: number[] = [];
  for (const route of r.target.routes(c.phase)) {
    const entries = r.sim.journal.entries({ method: route.method, path: route.path });
    const faulted = entries.findIndex((e) => e.fault === 'rate-limit');
    const next = entries[faulted + 1];
    if (faulted >= 0 && next) gaps.push(next.realTimeMs - entries[faulted]!.realTimeMs);
  }
  if (gaps.length === 0) return fail('no retry after the 429');
  if (Math.min(...gaps) < 950) fail(`retried ${Math.min(...gaps)} ms after a 429 with Retry-After: 1`);
}

const CASES = buildCases();
const results = new Map<string, CaseResult>();
const verdicts = new Map<string, string[]>();
let totalMs = 0;

beforeAll(async () => {
  const started = Date.now();
  await pool(CASES, CONCURRENCY, async (c) => {
    const result = await runCase(c);
    results.set(c.name, result);
    verdicts.set(c.name, problemsOf(c, result));
    await result.sim.close();
    await c.platform.close(result.sim);
  });
  totalMs = Date.now() - started;
}, 240_000);

afterAll(() => {
  if (process.env.PROOF_VERBOSE) {
    for (const c of CASES) {
      const r = results.get(c.name);
      const o = r?.outcome;
      const routes = r ? r.target.routes(c.phase) : [];
      const requests = r ? routes.reduce((n, a) => n + r.sim.journal.count({ method: a.method, path: a.path }), 0) : 0;
      process.stdout.write(`${c.name} | ${c.expected} | ${o?.status} | ${r?.ms}ms | phase requests ${requests} | ${o?.failureLine ?? ''} | ${o?.results[0]?.failedTasks[0]?.logNote ?? ''}\n`);
    }
  }
  const passed = CASES.filter((c) => verdicts.get(c.name)?.length === 0).length;
  writeFigures('fault-matrix', {
    cases: CASES.length,
    passed,
    failed: CASES.length - passed,
    platforms: PLATFORMS.map((p) => p.name),
    faults: FAULTS.map((f) => f.id),
    recovered: CASES.filter((c) => c.expected === 'recover' && verdicts.get(c.name)?.length === 0).length,
    failedClearly: CASES.filter((c) => c.expected === 'fail' && verdicts.get(c.name)?.length === 0).length,
    noCancel: CASES.filter((c) => c.expected === 'no-cancel').length,
    cancelCases: CASES.filter((c) => c.expected === 'cancel').length,
    noRequestPhases: NO_REQUEST.map((n) => `${n.platform} ${n.phase}`),
    perPlatform: Object.fromEntries(
      PLATFORMS.map((p) => [p.name, { cases: CASES.filter((c) => c.platform === p).length, passed: CASES.filter((c) => c.platform === p && verdicts.get(c.name)?.length === 0).length }]),
    ),
    runtimeMs: totalMs,
    failures: CASES.filter((c) => verdicts.get(c.name)?.length).map((c) => ({ case: c.name, problems: verdicts.get(c.name) })),
  });
});

test('the matrix covers every fault in every phase on every platform', () => {
  for (const platform of PLATFORMS) {
    for (const fault of FAULTS) {
      for (const phase of ['resolve', 'baseline', 'trigger', 'follow', 'logs', ...(platform.canCancel ? (['cancel'] as const) : [])] as const) {
        if (platform.silentPhases.includes(phase)) continue; // no request in this phase: nothing to fault
        for (const severity of ['transient', 'persistent'] as const) {
          expect([platform.name, fault.id, phase, severity, CASES.some((c) => c.platform === platform && c.fault === fault && c.phase === phase && c.severity === severity)]).toEqual([platform.name, fault.id, phase, severity, true]);
        }
      }
    }
    expect(CASES.some((c) => c.platform === platform && c.phase === 'cancel')).toBe(true);
  }
  expect(results.size).toBe(CASES.length);
});

describe.each(PLATFORMS.map((p) => [p.name]))('%s', (platformName) => {
  test.each(CASES.filter((c) => c.platform.name === platformName).map((c) => [c.name, c] as const))('%s', (_name, c) => {
    expect(verdicts.get(c.name)).toEqual([]);
  });
});

/**
 * Runs one exploration case: its world, the step (or the two steps of trigger → wait) in-process through the
 * real engine and provider, then every invariant against the simulator's ground truth (oracle.ts).
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { ADOPTED_PREFIX, runStep, type EngineOptions, type StepOutcome } from '../../src/core/engine/index.js';
import { parseSettings } from '../../src/providers/registry.js';
import { loadProvider } from '../../src/providers/registry.js';
import { findLeaks } from '../helpers/leaks.js';
import { proofTempDir, ProofHost } from '../proof/support.js';
import { checkCancels, checkGreen, checkOneLoad, checkTime, type StepRecord } from './oracle.js';
import type { Case } from './scenario.js';
import { buildWorld, TIME_SCALE, type CaseWorld } from './worlds.js';

/** Short engine windows, as the soak uses them (every case is short in real time). */
export const ENGINE: Partial<EngineOptions> = {
  http: { requestTimeoutMs: 500, retry: { maxAttempts: 5, baseDelayMs: 5, maxDelayMs: 40 } },
  startWindowMs: 1000,
  confirmWindowMs: 600,
  cancelBudgetMs: 1000,
  heartbeatMs: 60_000,
};

export interface StepSummary {
  mode: string;
  status: string;
  runIds: string[];
  ms: number;
  failureLine?: string;
}

export interface Verdict {
  violations: string[];
  steps: StepSummary[];
  faultsApplied: number;
  /** What happened, for a failing case's report. */
  transcript: string;
}

let explorePrinted = 0;

function exploreDir(): string {
  const dir = join(proofTempDir(), 'explore');
  mkdirSync(dir, { recursive: true });
  return dir;
}

/** Every file under dir (the step's log file, JUnit file and anything else it left behind). */
function filesUnder(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...filesUnder(path));
    else out.push(path);
  }
  return out;
}

interface StepRun {
  record: StepRecord;
  outcome?: StepOutcome;
  host: ProofHost;
  thrown?: unknown;
}

async function runOneStep(world: CaseWorld, c: Case, mode: StepRecord['mode'], tempDir: string, extra: Record<string, string> = {}): Promise<StepRun> {
  const values: Record<string, string> = {
    platform: world.platform,
    'base-url': world.baseUrl,
    'api-key': world.key,
    timeout: `${c.timeoutMs}ms`,
    'poll-interval': '100ms',
    mode,
    'if-running': c.ifRunning,
    'junit-file': join(tempDir, `junit-${mode}.xml`),
    ...world.inputs,
    ...extra,
  };
  if (world.platform === 'timextender' && c.giveZone && mode === 'check') values['server-time-zone'] = world.sim.tdp.options.timeZone;
  if (mode === 'check' && c.maxAgeMs !== undefined) values['max-age'] = `${Math.round(c.maxAgeMs / 1000)}s`;
  const { settings } = parseSettings((name) => values[name]);
  const host = new ProofHost(undefined, tempDir);
  const t0 = world.sim.clock.now();
  const started = Date.now();
  let outcome: StepOutcome | undefined;
  let thrown: unknown;
  try {
    outcome = await runStep(settings, host, { loadProvider, ...ENGINE });
  } catch (error) {
    thrown = error;
  }
  const realMs = Date.now() - started;
  const t1 = world.sim.clock.now();
  const result = outcome?.results[0];
  const record: StepRecord = {
    mode,
    ifRunning: c.ifRunning,
    platform: world.platform,
    status: outcome?.status ?? 'threw',
    // A run adopted after a lost trigger answer is marked in its handle; the run id is what follows the mark.
    runIds: (result?.runId ?? '')
      .split('+')
      .filter(Boolean)
      .map((id) => (id.startsWith(ADOPTED_PREFIX) ? id.slice(ADOPTED_PREFIX.length) : id)),
    t0,
    t1,
    windowEnd: Number.POSITIVE_INFINITY,
    clockLeadMs: Math.max(0, t1 - Date.now()),
    realMs,
    timeoutMs: c.timeoutMs,
    triggerArrivals: [],
    ...(c.maxAgeMs !== undefined && mode === 'check' && { maxAgeMs: c.maxAgeMs }),
  };
  return { record, outcome, host, ...(thrown !== undefined && { thrown }) };
}

/**
 * (e) Where the key shows: everything printed, the summary, outputs, saved state, the results, and every file
 * left in the step's temp dir (its log file, JUnit file, anything else). Empty when it shows nowhere.
 */
export function stepLeaks(host: ProofHost, outcome: StepOutcome | undefined, tempDir: string, key: string): string[] {
  const texts = [host.printed(), host.summary ?? '', ...host.outputs.values(), ...host.state.values()];
  if (outcome) texts.push(JSON.stringify(outcome.results), outcome.failureLine ?? '', outcome.summaryMarkdown);
  for (const file of filesUnder(tempDir)) texts.push(readFileSync(file, 'utf8'));
  return findLeaks(texts, key);
}

/**
 * Between two steps: a request the first one sent may still be held up (the 'slow' fault holds it 700 ms);
 * wait until it was handled, so that what the server does during the second step is the second step's.
 */
const settle = () => new Promise((resolve) => setTimeout(resolve, 800));

export async function runCase(c: Case, seed: number): Promise<Verdict> {
  const world = await buildWorld(c, seed);
  const tempDir = mkdtempSync(join(exploreDir(), 'case-'));
  const runs: StepRun[] = [];
  try {
    if (c.mode === 'trigger-wait') {
      const first = await runOneStep(world, c, 'trigger', tempDir);
      runs.push(first);
      const runId = first.outcome?.results[0]?.runId;
      await settle();
      if (runId) {
        let second: StepRun;
        try {
          second = await runOneStep(world, c, 'wait', tempDir, { 'run-id': runId });
        } catch (error) {
          // The inputs were refused before any request: mode wait does not take what mode trigger gave.
          const message = error instanceof Error ? error.message : String(error);
          throw new Error(`CHAIN BROKEN: mode wait refuses the run-id output of mode trigger (${JSON.stringify(runId)}): ${message}`);
        }
        first.record.windowEnd = second.record.t0;
        second.record.baselineT0 = first.record.t0;
        runs.push(second);
      }
    } else if (c.mode === 'run-twice') {
      const first = await runOneStep(world, c, 'run', tempDir);
      await settle();
      const second = await runOneStep(world, c, 'run', tempDir);
      first.record.windowEnd = second.record.t0;
      runs.push(first, second);
    } else {
      runs.push(await runOneStep(world, c, c.mode, tempDir));
    }
    // A trigger request cut off by the step's end may still land: let it, before reading the truth.
    await new Promise((resolve) => setTimeout(resolve, 60));
    const truth = world.runs();
    const triggers = world.appliedTriggers();
    const cancels = world.cancels();
    const arrivals = world.sim.journal.entries({ method: 'POST', path: world.triggerPath }).map((e) => e.simTimeMs);
    for (const run of runs) run.record.triggerArrivals = arrivals;
    const violations: string[] = [];
    for (const run of runs) {
      const r = run.record;
      const tag = runs.length > 1 ? `[step ${runs.indexOf(run) + 1}, ${r.mode}] ` : '';
      if (run.thrown !== undefined) violations.push(`${tag}runStep threw: ${run.thrown instanceof Error ? run.thrown.message : String(run.thrown)}`);
      const found = [...checkGreen(r, truth), ...checkOneLoad(r, truth, triggers), ...checkCancels(r, truth, cancels), ...checkTime(r)];
      violations.push(...found.map((v) => `${tag}${v}`));
    }
    for (const run of runs) {
      const leaks = stepLeaks(run.host, run.outcome, tempDir, world.key);
      if (leaks.length) violations.push(`KEY LEAKED: ${leaks.join('; ')}`);
    }
    const faultsApplied = world.faultIds.reduce((n, id) => n + world.sim.faults.appliedCount(id), 0);
    const steps = runs.map((r) => ({ mode: r.record.mode, status: r.record.status, runIds: r.record.runIds, ms: r.record.realMs, ...(r.outcome?.failureLine && { failureLine: r.outcome.failureLine }) }));
    const transcript = violations.length ? transcriptOf(world, runs, truth) : '';
    if (violations.length && process.env.EXPLORE_VERBOSE && explorePrinted++ < 5) process.stderr.write(`${transcript}\n`);
    return { violations, steps, faultsApplied, transcript };
  } finally {
    await world.close();
    rmSync(tempDir, { recursive: true, force: true });
  }
}

function transcriptOf(world: CaseWorld, runs: StepRun[], truth: ReturnType<CaseWorld['runs']>): string {
  const lines: string[] = [];
  for (const run of runs) {
    const r = run.record;
    lines.push(`--- step mode ${r.mode}: ${r.status} runIds ${r.runIds.join('+') || '-'} (sim ${r.t0}..${r.t1}, ${r.realMs} ms real)`);
    lines.push(run.host.printed());
  }
  lines.push('--- truth (simulated ms relative to the first step start)');
  const t0 = runs[0]?.record.t0 ?? 0;
  const rel = (t: number | null) => (t === null ? 'never' : Number.isFinite(t) ? String(t - t0) : 'inf');
  for (const run of truth) lines.push(`${run.origin} ${run.ids.join('|')} created ${rel(run.createdMs)} start ${rel(run.startMs)} end ${rel(run.endMs)} word ${JSON.stringify(run.word)} success ${run.success} visible ${rel(run.visibleMs)}`);
  lines.push('--- journal');
  for (const e of world.sim.journal.entries()) lines.push(`${e.simTimeMs - t0} ${e.method} ${e.path}${Object.keys(e.query).length ? `?${new URLSearchParams(e.query).toString()}` : ''} → ${e.status}${e.fault ? ` [${e.fault}${e.handledStatus ? ` after ${e.handledStatus}` : ''}]` : ''}`);
  return lines.join('\n');
}

export { TIME_SCALE };

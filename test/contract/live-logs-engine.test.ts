/**
 * `logs: live`, the engine side: the step prints a run's log lines while it runs, over loopback HTTP against
 * the simulator (TimeXtender task and process map, Planasonix pipeline, Qarion without a log endpoint).
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import type { Simulator } from '../../src/simulator/index.js';
import type { RecordingHost } from '../helpers/recording-host.js';
import { runTdp, tdpWorld, WS } from '../helpers/tdp.js';
import { CONTRACT_TIME_SCALE } from '../helpers/machine-clock.js';
import { PIPELINE, plxWorld, runPlx } from '../helpers/planasonix.js';
import { qarionWorld, runQarion, SPACE } from '../helpers/qarion.js';

const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (closers.length > 0) await closers.pop()!();
});

async function tdp(): Promise<Simulator> {
  // Ten times faster than real time while the engine sleeps (machine-clock.ts): lines, reads and ends keep
  // their order and their simulated times, at a tenth of the wait.
  const sim = await tdpWorld({ timeScale: CONTRACT_TIME_SCALE });
  closers.push(() => sim.close());
  return sim;
}

/** The live lines the host printed (`<target> › <source>: <text>`), with their index among all lines. */
function liveLines(host: RecordingHost, target: string): Array<{ at: number; source: string; text: string }> {
  const out: Array<{ at: number; source: string; text: string }> = [];
  host.lines.forEach((l, at) => {
    if (l.level !== 'info' || !l.text.startsWith(`${target} › `)) return;
    const rest = l.text.slice(target.length + 3);
    const colon = rest.indexOf(': ');
    // Failure details also start with `<target> › <task>`: they end with a status, never carry a log line.
    if (colon < 0 || / — /.test(rest)) return;
    out.push({ at, source: rest.slice(0, colon), text: rest.slice(colon + 2) });
  });
  return out;
}

/** A line's words without its leading time, as the simulator wrote it. */
const words = (text: string) => text.slice(text.indexOf(' ') + 1);


describe('TimeXtender task', () => {
  it('prints every line once, in order, while the run runs; the excerpt points to them and the ERROR lines are still annotated', async () => {
    const sim = await tdp();
    sim.tdp.setScenario(WS, 'Package', 1010, { outcome: 'failure', durationMs: 2500, logLineCount: 60, logShape: { bursts: 5 } } as never);
    const { outcome, host } = await runTdp(sim, { task: 'Package/1010', logs: 'live' });
    expect(outcome.status).toBe('failed');
    const target = outcome.results[0]!.target;
    const executionId = Number(outcome.results[0]!.runId);
    const truth = sim.tdp.logTruth(WS, 'Package', 1010, executionId);
    const lines = liveLines(host, 'finance/Package/1010');
    expect(lines.map((l) => words(l.text))).toEqual(Array.from({ length: truth.count }, (_, i) => truth.text(i)));
    expect(new Set(lines.map((l) => l.source)).size).toBe(1);
    expect(lines[0]!.source).toContain(`execution ${executionId}`);
    // While it ran: lines came before the status line that says it ended.
    const endedAt = host.lines.findIndex((l) => l.text.includes(`run ${executionId} is`) && /fail/i.test(l.text));
    expect(endedAt).toBeGreaterThan(0);
    expect(lines.filter((l) => l.at < endedAt).length).toBeGreaterThan(0);
    // The excerpt is not printed again: a pointer to the lines above and to the log file.
    expect(host.lines.some((l) => l.level === 'group' && /last \d+ log lines/.test(l.text))).toBe(false);
    const pointer = host.lines.find((l) => l.text.includes('printed above as they came'));
    expect(pointer?.text).toContain(outcome.logFile);
    expect(host.annotations().some((a) => /ERROR/.test(a.text))).toBe(true);
    // The log file holds the live lines too.
    const { readFileSync } = await import('node:fs');
    expect(readFileSync(outcome.logFile, 'utf8')).toContain(`${target} › ${lines[0]!.source}: ${lines[0]!.text}`);
  });

  it('with logs: on-failure nothing is printed live and the excerpt is printed as before', async () => {
    const sim = await tdp();
    sim.tdp.setScenario(WS, 'Package', 1010, { outcome: 'failure', durationMs: 1500, logLineCount: 30 } as never);
    const { outcome, host } = await runTdp(sim, { task: 'Package/1010' });
    expect(outcome.status).toBe('failed');
    expect(host.lines.some((l) => l.level === 'group' && /last \d+ log lines/.test(l.text))).toBe(true);
    expect(host.text()).not.toMatch(/printed above as they came/);
  });

  it('a failing log read is a warning; the verdict is unchanged', async () => {
    const sim = await tdp();
    sim.tdp.setScenario(WS, 'Package', 1005, { outcome: 'success', durationMs: 1500, logLineCount: 20 } as never);
    sim.faults.add({ path: /\/log$/, kind: 'status', status: 500, times: 1000 });
    const { outcome, host } = await runTdp(sim, { task: 'Package/1005', logs: 'live' });
    expect(outcome.status).toBe('succeeded');
    const warnings = host.lines.filter((l) => l.level === 'warning');
    expect(warnings.some((w) => /live log/.test(w.text) && /could not be read/.test(w.text))).toBe(true);
    expect(host.lines.filter((l) => l.level === 'error')).toEqual([]);
  });

  it('at the end the failure path reuses what was printed live: the log is not downloaded again, nor written twice', async () => {
    const sim = await tdp();
    sim.tdp.setScenario(WS, 'Package', 1010, { outcome: 'failure', durationMs: 2500, logLineCount: 60, logShape: { bursts: 5 } } as never);
    const { outcome, host } = await runTdp(sim, { task: 'Package/1010', logs: 'live' });
    expect(outcome.status).toBe('failed');
    const executionId = Number(outcome.results[0]!.runId);
    const truth = sim.tdp.logTruth(WS, 'Package', 1010, executionId);
    // After the status read that saw the end: one log read (the last lines, drained), not a second full download.
    const endedAt = host.lines.findIndex((l) => l.text.includes(`run ${executionId} is`) && /fail/i.test(l.text));
    const logReadsAfter = host.lines.slice(endedAt).filter((l) => l.level === 'debug' && /^GET \S*\/log /.test(l.text));
    expect(logReadsAfter).toHaveLength(1);
    // Each line is in the log file once (as printed live); the excerpt's pointer and the annotations stay.
    const { readFileSync } = await import('node:fs');
    const file = readFileSync(outcome.logFile, 'utf8');
    const last = truth.text(truth.count - 1);
    expect(file.split(last).length - 1).toBe(1);
    expect(host.lines.find((l) => l.text.includes('printed above as they came'))?.text).toContain(outcome.logFile);
    expect(host.annotations().some((a) => /ERROR: Load Sales Fact ended with status Failed/.test(a.text))).toBe(true);
  });

  it('when the live read did not see the whole log (every read failed), the failure path still downloads it', async () => {
    const sim = await tdp();
    sim.tdp.setScenario(WS, 'Package', 1010, { outcome: 'failure', durationMs: 1500, logLineCount: 30 } as never);
    sim.faults.add({ path: /\/log$/, kind: 'status', status: 500, times: 1000 });
    const { outcome, host } = await runTdp(sim, { task: 'Package/1010', logs: 'live' });
    expect(outcome.status).toBe('failed');
    // The failure path tried the log itself (and said it could not fetch it) rather than trusting the live read.
    expect(host.text()).toMatch(/the log could not be fetched/);
  });

  it('informational live-log notes are info lines, not warnings (a Query task keeps no log)', async () => {
    const sim = await tdp();
    sim.tdp.setScenario(WS, 'Query', 2010, { outcome: 'success', durationMs: 1500 } as never);
    const { outcome, host } = await runTdp(sim, { task: 'Query/2010', logs: 'live' });
    expect(outcome.status).toBe('succeeded');
    const said = host.lines.filter((l) => /keep no execution log/.test(l.text));
    expect(said).toHaveLength(1);
    expect(said[0]!.level).toBe('info');
    expect(host.lines.filter((l) => l.level === 'warning')).toEqual([]);
  });

  /** From the host's request lines after the run was found: status reads, and those not followed by a log read. */
  function readPattern(host: RecordingHost): { status: number; skipped: number; doubled: number; logs: number } {
    const found = host.lines.findIndex((l) => /found run/.test(l.text));
    const requests = host.lines.slice(found).filter((l) => l.level === 'debug' && /^GET /.test(l.text)).map((l) => (/\/log /.test(l.text) ? 'log' : 'status'));
    let skipped = 0;
    let doubled = 0;
    requests.forEach((r, i) => {
      if (r === 'status' && requests[i + 1] !== 'log') skipped++;
      if (r === 'log' && requests[i + 1] === 'log') doubled++;
    });
    return { status: requests.filter((r) => r === 'status').length, skipped, doubled, logs: requests.filter((r) => r === 'log').length };
  }

  it('the cost rule: at most one log read per status read while running, and none in the sparse early phase without a change', async () => {
    // History says 60 s and the run takes about 7 s: after the quick reads, the follow schedule is in the
    // history's sparse early phase until the end (its gaps capped at 4 poll-intervals here, so that the
    // phase has several reads; by default one gap runs to the history's 1 % point).
    const sim = await tdp();
    sim.tdp.setScenario(WS, 'Package', 1005, { outcome: 'success', durationMs: 7000, logLineCount: 40, logShape: { bursts: 6 } } as never);
    const sparse = await runTdp(sim, { task: 'Package/1005', logs: 'live', 'poll-interval': '400ms' }, { polling: { earlyGapFactor: 4 } });
    expect(sparse.outcome.status).toBe('succeeded');
    expect(sparse.host.text()).toMatch(/status reads follow that history/);
    const executionId = Number(sparse.outcome.results[0]!.runId);
    const truth = sim.tdp.logTruth(WS, 'Package', 1005, executionId);
    // Nothing is lost: the lines wait for the next read that counts, at the latest the drain after the end.
    expect(liveLines(sparse.host, 'finance/Package/1005').map((l) => words(l.text))).toEqual(Array.from({ length: truth.count }, (_, i) => truth.text(i)));
    const s = readPattern(sparse.host);
    expect(s.doubled).toBe(0);
    expect(s.skipped).toBeGreaterThanOrEqual(1);
    expect(s.logs).toBeLessThanOrEqual(s.status);

    // Without history (quick reads, then the ramp to poll-interval): a log read after every status read.
    const plain = await runTdp(sim, { task: 'Package/1005', logs: 'live', 'poll-interval': '400ms' }, { polling: { history: false } });
    expect(plain.outcome.status).toBe('succeeded');
    const p = readPattern(plain.host);
    expect(p.doubled).toBe(0);
    expect(p.skipped).toBe(0);
    expect(p.logs).toBe(p.status);
  }, 40_000);
});

describe('TimeXtender process map', () => {
  it("prints the lines of its members, each under the member's name", async () => {
    const sim = await tdp();
    for (const [type, id] of [['Package', 1005], ['Package', 1010], ['Query', 2010], ['EmailSummary', 3001]] as const) {
      sim.tdp.setScenario(WS, type, id, { outcome: 'success', durationMs: 1200, logLineCount: 8 } as never);
    }
    const { outcome, host } = await runTdp(sim, { 'process-map': '42', logs: 'live' });
    expect(outcome.status).toBe('succeeded');
    const lines = liveLines(host, 'finance/process-map/42');
    const sources = [...new Set(lines.map((l) => l.source))];
    expect(sources.length).toBeGreaterThanOrEqual(2);
    for (const source of sources) {
      const texts = lines.filter((l) => l.source === source).map((l) => l.text);
      expect(texts).toHaveLength(8);
      expect(new Set(texts).size).toBe(8);
    }
    expect(sources.some((s) => s.includes('1005'))).toBe(true);
    expect(sources.some((s) => s.includes('1010'))).toBe(true);
  }, 30_000);
});

describe('Planasonix pipeline', () => {
  it('prints every line once while the run runs', async () => {
    const w = await plxWorld({ logFormat: 'ndjson' });
    closers.push(() => w.close());
    w.plx.setPipelineScenario(PIPELINE, { outcome: 'success', durationMs: 2000, logLineCount: 40, logBursts: 4 } as never);
    const { outcome, host } = await runPlx(w, { pipeline: PIPELINE, logs: 'live' });
    expect(outcome.status).toBe('succeeded');
    const truth = w.plx.logTruth(outcome.results[0]!.runId!);
    const lines = liveLines(host, outcome.results[0]!.target);
    expect(lines.map((l) => words(l.text))).toEqual(Array.from({ length: truth.count }, (_, i) => words(truth.text(i))));
  });
});

describe('Qarion', () => {
  it('says once per target that its API has no log endpoint, naming the Airflow run as the failure details do', async () => {
    const w = await qarionWorld();
    closers.push(() => w.sim.close());
    const { outcome, host } = await runQarion(w, { pipeline: 'daily_finance', logs: 'live' });
    expect(outcome.status).toBe('succeeded');
    const said = host.lines.filter((l) => /logs: live: .*no log endpoint/.test(l.text));
    expect(said).toHaveLength(1);
    expect(said[0]!.level).toBe('info');
    // It points to the Airflow run, as the failure text does: the DAG and the Airflow run of this run.
    const runId = outcome.results[0]!.runId!;
    const run = w.q.runs(SPACE, w.ids.daily).find((r) => r.id === runId)!;
    expect(said[0]!.text).toContain(`run ${runId}`);
    expect(said[0]!.text).toMatch(/the Airflow UI \(DAG \S+/);
    expect(said[0]!.text).toContain(run.providerRunId);
  });
});

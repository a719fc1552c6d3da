/**
 * The exploration: a property-based test over platforms × modes × server freedoms × fault
 * schedules × runs of others, through the real engine and providers, against the simulator's ground truth.
 * The invariants are in oracle.ts; the cases and their generators in scenario.ts; one case's world in
 * worlds.ts.
 *
 *   EXPLORE_RUNS=N         cases (default 250; `npm run proof` runs 5000)
 *   EXPLORE_SEED=S         fast-check seed (default fixed, so CI is reproducible)
 *   EXPLORE_PATH=P         replay the case at fast-check path P of seed S alone (then shrink it)
 *   EXPLORE_CONCURRENCY=C  cases at a time (default 12; each case has a simulator of its own)
 *   EXPLORE_SHRINK_MS=T    time allowed to shrink the first failing case (default 60000)
 *   EXPLORE_VERBOSE=1      print the transcript (log, truth, journal) of the first failing cases
 *   EXPLORE_TRANSCRIPTS=D  write the transcript of every failing case to D/path-<path>.txt
 *
 * The cases are drawn with fc.sample (the same values, in the same order, that fc.assert draws for the same
 * seed: case i is at path "i") and run many at a time; the first failing one is then handed to fc.assert
 * with its seed and path, which replays it and shrinks it to a smaller case that still fails.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { loadProvider, PLATFORMS } from '../../src/providers/registry.js';
import { pool, proofTempDir, writeFigures } from '../proof/support.js';
import { runCase, type Verdict } from './runner.js';
import { caseArbitrary, hasOption, MODES, OUTCOMES, TARGETS, TDP_HISTORY_ORDERS, type Case } from './scenario.js';

const RUNS = Number(process.env.EXPLORE_RUNS ?? 250);
const SEED = Number(process.env.EXPLORE_SEED ?? 20_261_206);
const PATH = process.env.EXPLORE_PATH;
const CONCURRENCY = Number(process.env.EXPLORE_CONCURRENCY ?? 12);
const SHRINK_MS = Number(process.env.EXPLORE_SHRINK_MS ?? 60_000);

/** The world's own seed (ids, keys) comes from the case itself, so a replay builds the same world. */
export function worldSeed(c: Case): number {
  return createHash('sha256').update(JSON.stringify(c)).digest().readUInt32BE(0);
}

const replayCommand = (seed: number, path: string) =>
  `EXPLORE_SEED=${seed} EXPLORE_PATH=${path} node --experimental-vm-modules node_modules/jest/bin/jest.js test/explore/explore.test.ts`;

const describeCase = (c: Case) => JSON.stringify(c);

interface Finding {
  path: string;
  target: string;
  mode: string;
  violations: string[];
}

let verdicts: Array<Verdict & { c: Case }> = [];
let findings: Finding[] = [];
let runtimeMs = 0;
let shrunk: { path: string; counterexample: string; violations: string } | undefined;

/**
 * The property: one case holds every invariant. Throws the violations (fast-check then shrinks). Past
 * `until` (real ms), cases pass without running: shrinking ends with the smallest failing case found so far
 * (fast-check's own time limit would leave the running step behind).
 */
const property = (arb: fc.Arbitrary<Case>, until = Number.POSITIVE_INFINITY) =>
  fc.asyncProperty(arb, async (c) => {
    if (Date.now() > until) return;
    const verdict = await runCase(c, worldSeed(c));
    if (verdict.violations.length > 0) throw new Error(`${verdict.violations.join('\n')}\n${process.env.EXPLORE_VERBOSE ? verdict.transcript : ''}`);
  });

beforeAll(async () => {
  // Load (and let ts-jest compile) every provider before many cases ask for them at once.
  for (const platform of PLATFORMS) await loadProvider(platform);
});

afterAll(() => {
  const count = (pick: (v: Verdict & { c: Case }) => boolean) => verdicts.filter(pick).length;
  const statuses: Record<string, number> = {};
  for (const v of verdicts) for (const s of v.steps) statuses[s.status] = (statuses[s.status] ?? 0) + 1;
  writeFigures('explore', {
    cases: verdicts.length,
    seed: SEED,
    ...(PATH !== undefined && { path: PATH }),
    violations: findings.reduce((n, f) => n + f.violations.length, 0),
    casesWithViolations: findings.length,
    runtimeMs,
    concurrency: CONCURRENCY,
    perTarget: Object.fromEntries(TARGETS.map((t) => [t, count((v) => v.c.target === t)])),
    perMode: Object.fromEntries(MODES.map((m) => [m, count((v) => v.c.mode === m)])),
    statuses,
    casesWithFaults: count((v) => v.faultsApplied > 0),
    faultsApplied: verdicts.reduce((n, v) => n + v.faultsApplied, 0),
    findings: findings.slice(0, 50).map((f) => ({ ...f, replay: replayCommand(SEED, f.path) })),
    ...(shrunk && { shrunk }),
  });
  rmSync(proofTempDir(), { recursive: true, force: true });
});

const title = PATH !== undefined ? `explore: replay of seed ${SEED} path ${PATH}` : `explore: ${RUNS} cases from seed ${SEED} hold every invariant`;

test(title, async () => {
  const arb = caseArbitrary();
  const started = Date.now();
  if (PATH !== undefined) {
    // Replay one case (and shrink it when it fails): fast-check's own report names seed, path and case.
    const [c] = fc.sample(arb, { seed: SEED, path: PATH, numRuns: 1 });
    try {
      if (c) {
        const verdict = await runCase(c, worldSeed(c));
        verdicts = [{ ...verdict, c }];
        if (verdict.violations.length) findings = [{ path: PATH, target: c.target, mode: c.mode, violations: verdict.violations }];
        process.stderr.write(`case ${describeCase(c)}\n${verdict.transcript}\n`);
      }
      await fc.assert(property(arb, Date.now() + SHRINK_MS), { seed: SEED, path: PATH, numRuns: 1 });
    } finally {
      runtimeMs = Date.now() - started;
    }
    // The first run failed but fast-check's run passed: the case depends on timing; still a finding.
    expect(findings.map((f) => `seed ${SEED} path ${f.path}: ${f.violations.join(' | ')}`)).toEqual([]);
    return;
  }

  const cases = fc.sample(arb, { seed: SEED, numRuns: RUNS });
  try {
    const results = await pool(cases, CONCURRENCY, async (c) => {
      try {
        return { ...(await runCase(c, worldSeed(c))), c };
      } catch (error) {
        // The case could not run at all (e.g. inputs the product rejects): a finding, not a crash of the pool.
        const message = error instanceof Error ? error.message : String(error);
        return { violations: [`the case could not run: ${message}`], steps: [], faultsApplied: 0, transcript: '', c };
      }
    });
    verdicts = results;
    findings = results
      .map((v, i) => ({ path: String(i), target: v.c.target, mode: v.c.mode, violations: v.violations }))
      .filter((f) => f.violations.length > 0);
    const dir = process.env.EXPLORE_TRANSCRIPTS;
    if (dir) {
      mkdirSync(dir, { recursive: true });
      for (const f of findings) writeFileSync(join(dir, `path-${f.path}.txt`), `case ${describeCase(results[Number(f.path)]!.c)}\n${f.violations.join('\n')}\n${results[Number(f.path)]!.transcript}\n`);
    }
  } finally {
    runtimeMs = Date.now() - started;
  }
  if (findings.length === 0) return;

  const report = findings
    .slice(0, 20)
    .map((f) => `path ${f.path} (${f.target}, mode ${f.mode}): ${f.violations.join(' | ')}\n  replay: ${replayCommand(SEED, f.path)}`);
  process.stderr.write(`explore: ${findings.length} of ${RUNS} cases broke an invariant (seed ${SEED}):\n${report.join('\n')}\n`);
  // Shrink the first failing case: fast-check replays it from its path and looks for a smaller one.
  const first = findings[0]!;
  const details = await fc.check(property(arb, Date.now() + SHRINK_MS), { seed: SEED, path: first.path });
  if (details.failed && details.counterexample) {
    const [c] = details.counterexample;
    shrunk = {
      path: details.counterexamplePath ?? first.path,
      counterexample: describeCase(c),
      violations: details.errorInstance instanceof Error ? details.errorInstance.message.split('\n')[0]! : String(details.errorInstance),
    };
    process.stderr.write(
      `explore: shrunk after ${details.numShrinks} shrink(s) to path ${shrunk.path}: ${shrunk.violations}\n  case ${shrunk.counterexample}\n  replay: ${replayCommand(SEED, shrunk.path)}\n`,
    );
  }
  expect(findings.map((f) => `seed ${SEED} path ${f.path}: ${f.violations.join(' | ')}`)).toEqual([]);
}, 3_600_000);

test('the generator covers every platform, mode, outcome, fault kind and every freedom the simulator offers', () => {
  const sample = fc.sample(caseArbitrary(), { seed: 7, numRuns: 3000 });
  expect(fc.sample(caseArbitrary(), { seed: 7, numRuns: 20 })).toEqual(sample.slice(0, 20));
  for (const target of TARGETS) expect(sample.some((c) => c.target === target)).toBe(true);
  for (const mode of MODES) expect(sample.some((c) => c.mode === mode)).toBe(true);
  for (const outcome of OUTCOMES) expect(sample.some((c) => c.own.outcome === outcome)).toBe(true);
  for (const ifRunning of ['fail', 'attach', 'queue']) expect(sample.some((c) => c.ifRunning === ifRunning)).toBe(true);
  for (const when of ['past', 'in-flight', 'during', 'after', 'around-trigger']) expect(sample.some((c) => c.foreign.some((f) => f.when === when))).toBe(true);
  expect(sample.some((c) => c.target === 'tdp-map' && c.foreign.some((f) => f.member !== undefined))).toBe(true);
  expect(sample.some((c) => c.dst && c.mode === 'check')).toBe(true);
  expect(sample.some((c) => c.foreign.filter((f) => f.when === 'past').length > 100)).toBe(true);
  const kinds = new Set(sample.flatMap((c) => c.faults.map((f) => f.kind)));
  for (const kind of ['status', 'reset', 'refuse', 'reset-mid-body', 'slow', 'malformed-json', 'html', 'empty', 'rate-limit', 'apply-then-reset', 'apply-then-status']) expect(kinds).toContain(kind);
  // Every switch each simulator offers as a freedom, with more than one value.
  const values = (pick: (c: Case) => Record<string, unknown>, name: string) => new Set(sample.map((c) => pick(c)[name]).filter((v) => v !== undefined).map((v) => JSON.stringify(v)));
  for (const name of ['historyOrder', 'idMode', 'rowDelayMs', 'rowOnlyWhenStarted', 'dashboardLagMs', 'secondTriggerWhileRunning', 'timeZone', 'historyPageCap', 'mapDispatchDelayMs']) {
    if (hasOption('tdp', name)) expect([name, values((c) => c.tdp, name).size > 1]).toEqual([name, true]);
  }
  expect(values((c) => c.tdp, 'historyOrder')).toEqual(new Set(TDP_HISTORY_ORDERS.map((o) => JSON.stringify(o))));
  for (const name of ['triggerAnswer', 'runVisibility', 'secondTriggerWhileActive', 'listStyle', 'wordStyle', 'fieldStyle', 'timestampStyle', 'syncsUntilVisible', 'runListOrder', 'taskRunsInDetail']) {
    if (hasOption('qarion', name)) expect([name, values((c) => c.qarion, name).size > 1]).toEqual([name, true]);
  }
  for (const name of ['idempotency', 'syncResponseShape', 'pipelineRunResponseShape', 'runWords', 'runEndField', 'listOrder', 'pageCap', 'cancelEndsAs']) {
    if (hasOption('planasonix', name)) expect([name, values((c) => c.planasonix, name).size > 1]).toEqual([name, true]);
  }
});

/**
 * Findings of earlier explorations, pinned: each case that once broke an invariant is replayed on every run
 * (seed and path as fc.sample draws them), so a fix that regresses shows here first.
 */
const PINNED: ReadonlyArray<{ seed: number; path: string; what: string }> = [
  { seed: 20_261_206, path: '2355', what: 'TimeXtender map: a standalone member run before the dispatch taken for the member' },
  { seed: 20_261_206, path: '1495', what: "TimeXtender map: a colleague's run queued behind ours moved lastExecutionDate first" },
  { seed: 20_261_206, path: '866', what: 'TimeXtender map, wait: standalone member runs in the queue window of the run followed' },
  { seed: 20_261_206, path: '2975', what: 'TimeXtender map, wait: the same, across a DST fall-back' },
  { seed: 7, path: '298', what: 'TimeXtender map: our run queued behind a run that had dispatched no member yet' },
  { seed: 7, path: '511', what: 'TimeXtender map, wait: standalone member runs while the followed run was queued' },
  { seed: 7, path: '2443', what: 'TimeXtender task: a look slowed by a 429 missed the run, and the trigger was sent again' },
  { seed: 7, path: '1256', what: 'TimeXtender map: a standalone member run started and ended before the map dispatched its member' },
  { seed: 20_261_206, path: '3093', what: 'TimeXtender map: the same, with a member queued unlisted' },
];

// A replay (EXPLORE_PATH) runs its one case alone; jest refuses an empty table, so the block is skipped.
const pinnedTable = PATH === undefined ? PINNED.map((p) => [`seed ${p.seed} path ${p.path}: ${p.what}`, p] as const) : [];
(pinnedTable.length > 0 ? describe.each(pinnedTable) : describe.skip.each([['none', PINNED[0]!] as const]))('pinned finding %s', (_name, pinned) => {
  test('holds every invariant', async () => {
    const [c] = fc.sample(caseArbitrary(), { seed: pinned.seed, path: pinned.path, numRuns: 1 });
    const verdict = await runCase(c!, worldSeed(c!));
    expect(verdict.violations).toEqual([]);
  });
});

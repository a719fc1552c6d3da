/**
 * The exploration's invariants, as pure functions of what one step reported and the simulator's ground
 * truth (so they can be tested on their own, test/explore/oracle.test.ts):
 *
 * (a) never green unless every run the step counted (its run ids) is a load of the target that started after
 *     the step's baseline and succeeded by the time the step ended; in check mode the truly latest run of the
 *     target, ended with success (and within max-age); in mode wait and with if-running: attach, a run the
 *     step only followed may count when it truly succeeded. Planasonix counts only the step's own runs
 *     (its trigger, its idempotency key). And a green step did not leave out a load its own trigger started
 *     that did not succeed.
 * (b) at most one load started per target per step;
 * (c) no cancel of a run the step did not start;
 * (d) no hang past the timeout plus a small grace;
 * (e) the key in no output, summary, result, log or file left behind (checked by the runner with findLeaks).
 */
import { runEndedBy, runSucceededBy, type CancelTruth, type TriggerTruth, type TruthRun } from './worlds.js';

/** Runs that changed within this long before the step began may or may not be seen by it (simulated ms). */
export const SETTLE_MS = 3000;

/**
 * A run that started at most this long (server clock) before the step began is not called stale: the server's
 * clock reaches the client only through the `Date` header, to the second, so the two cannot be told apart.
 */
export const STALE_TOLERANCE_MS = 2000;

export interface StepRecord {
  mode: 'run' | 'trigger' | 'wait' | 'check';
  ifRunning: 'fail' | 'attach' | 'queue';
  platform: 'timextender' | 'qarion' | 'planasonix';
  status: string;
  /** The run ids the step counted (its `runId`, split on '+'). */
  runIds: string[];
  /** Simulated time when the step began and ended. */
  t0: number;
  t1: number;
  /** For mode wait with a run id from an earlier step in mode trigger: that step's start (its baseline). */
  baselineT0?: number;
  /** End of the window in which this step's trigger requests could land (the next step's start, or for ever). */
  windowEnd: number;
  /** Simulated ms the simulator's clock is ahead of real time at t1 (a client measuring age by its own clock errs by this). */
  clockLeadMs: number;
  maxAgeMs?: number;
  realMs: number;
  timeoutMs: number;
  /**
   * When each trigger request of the case reached the server (simulated ms, every step's). A load belongs to
   * the step that sent the last trigger request before it was created: a request held up by the network may
   * be applied after its step ended.
   */
  triggerArrivals: readonly number[];
}

/** Whether something the server did at `t` (a run created, a trigger applied) was caused by this step's requests. */
export function byStep(step: StepRecord, t: number): boolean {
  const before = step.triggerArrivals.filter((a) => a <= t);
  const sent = before.length ? Math.max(...before) : t;
  return sent >= step.t0 && sent < step.windowEnd;
}

export const GRACE_MS = 2000;

function describeRun(run: TruthRun | undefined, t: number): string {
  if (!run) return 'unknown';
  const when = run.endMs === null ? 'never ends' : runEndedBy(run, t) ? 'ended' : 'not ended';
  return `${run.origin} run ${run.ids[0]} (${JSON.stringify(run.word)}, ${when}${run.success ? ', success' : ''})`;
}

function startOf(run: TruthRun): number {
  return Number.isFinite(run.startMs) ? run.startMs : run.createdMs;
}

/** (a): the green verdict is backed by the truth. Empty when the step was not green. */
export function checkGreen(step: StepRecord, runs: readonly TruthRun[]): string[] {
  if (step.status !== 'succeeded') return [];
  const out: string[] = [];
  if (step.runIds.length === 0) return ['FALSE GREEN: succeeded without a run id'];
  const candidates = (id: string) => runs.filter((r) => r.ids.includes(id));

  if (step.mode === 'check') {
    const id = step.runIds[0]!;
    const found = candidates(id);
    if (step.runIds.length > 1) out.push(`FALSE GREEN (check): ${step.runIds.length} runs counted for one target`);
    if (found.length === 0) return [...out, `FALSE GREEN (check): run ${id} is not a run of the target`];
    if (!found.some((run) => runSucceededBy(run, step.t1))) out.push(`FALSE GREEN (check): the run counted did not succeed: ${describeRun(found[0], step.t1)}`);
    out.push(...checkLatest(step, found, runs));
    return out;
  }

  const baseline = step.baselineT0 ?? step.t0;
  for (const id of step.runIds) {
    const found = candidates(id);
    if (found.length === 0) {
      out.push(`FALSE GREEN: counted run ${id} is not a run of the target`);
      continue;
    }
    const why = found.map((run): string | undefined => {
      if (!runSucceededBy(run, step.t1)) return `FALSE GREEN: counted run ${id} did not succeed by the step's end: ${describeRun(run, step.t1)}`;
      // Mode wait with no run id follows the run in flight or the latest one: the step started nothing.
      if (step.mode === 'wait' && step.baselineT0 === undefined) return undefined;
      // if-running: attach follows the run in flight when the step looked (not started by it): it may count
      // when it truly succeeded (also in mode wait, given the run id of a trigger step that attached).
      const followedInFlight = step.ifRunning === 'attach' && !runEndedBy(run, baseline);
      if (followedInFlight) return undefined;
      if (run.createdMs < baseline - STALE_TOLERANCE_MS) return `FALSE GREEN: counted run ${id} started before the step's baseline (stale): ${describeRun(run, step.t1)}`;
      if (step.platform === 'planasonix' && run.origin !== 'api') return `FALSE GREEN: counted run ${id} is not this step's own (Planasonix adopts only runs with our key or metadata): ${describeRun(run, step.t1)}`;
      return undefined;
    });
    const firstProblem = why.every((w) => w !== undefined) ? why[0] : undefined;
    if (firstProblem) out.push(found.length > 1 ? `${firstProblem} [${found.length} runs carry this id: ${why.join(' / ')}]` : firstProblem);
  }
  // A stale run counted next to this step's own load that succeeded is no false green: the verdict is backed
  // by our load, and following more runs (green only if all succeed) only makes it stricter. This happens
  // where a run started before the baseline is listed only later (Qarion after a connector sync) and its
  // start carries no zone to compare with the baseline.
  if (out.length > 0 && out.every((v) => v.includes('(stale)'))) {
    const ownCounted = runs.some((r) => r.origin === 'api' && r.createdMs >= baseline && r.ids.some((id) => step.runIds.includes(id)) && runSucceededBy(r, step.t1));
    if (ownCounted) return [];
  }

  // The loads this step's own trigger started (mode wait after trigger: the trigger step's) that were listed
  // no later than the runs the step counted are runs it saw with them ("follow all, green only if all
  // succeed"): leaving out one that failed is a false green. (A load listed only later, or still queued or
  // running, is out of the step's sight or not decided: an equivalent load that succeeded may decide.)
  if (step.mode === 'run' || step.baselineT0 !== undefined) {
    const counted = runs.filter((r) => r.ids.some((id) => step.runIds.includes(id)));
    const seenBy = counted.length ? Math.max(...counted.map((r) => r.visibleMs)) : Number.NEGATIVE_INFINITY;
    const ownStep = step.baselineT0 !== undefined ? { ...step, t0: step.baselineT0, windowEnd: step.t0 } : step;
    const own = runs.filter((r) => r.origin === 'api' && byStep(ownStep, r.createdMs) && r.visibleMs <= seenBy);
    for (const run of own) {
      if (run.ids.some((id) => step.runIds.includes(id))) continue;
      // Ended without success. (One still queued or running when an equivalent load succeeded may be left.)
      if (runEndedBy(run, step.t1) && !run.success) out.push(`FALSE GREEN: the load this step's trigger started, listed with the runs counted, was left out and failed: ${describeRun(run, step.t1)}`);
    }
  }
  return out;
}

/**
 * Check mode: the truly latest run of the target when the step began (the latest start among the runs that
 * were listed and had started a settle time before) succeeded, by the step's end, and ended within max-age.
 * Runs that appeared within the settle time or during the step may or may not be seen: either verdict holds.
 * Which run the step names as "the latest" is not judged here (it may name the oldest of several that could
 * be the latest, when the order is uncertain), only that the verdict is the truth's.
 */
function checkLatest(step: StepRecord, counted: readonly TruthRun[], runs: readonly TruthRun[]): string[] {
  const out: string[] = [];
  const settled = step.t0 - SETTLE_MS;
  const listed = runs.filter((x) => x.createdMs <= settled && x.visibleMs <= settled && Number.isFinite(x.startMs) && x.startMs <= settled);
  const latest = listed.reduce<TruthRun | undefined>((best, x) => (!best || startOf(x) > startOf(best) ? x : best), undefined);
  // A run that started after the settle point (during the step) and succeeded is a newer latest the step may
  // have read: green on it holds, unless a run that failed started after it and before it ended (the step then
  // saw a newer failure as well, or could have).
  const newer = counted.find(
    (r) =>
      runSucceededBy(r, step.t1) &&
      (!latest || startOf(r) > startOf(latest)) &&
      !runs.some((x) => x !== r && startOf(x) > startOf(r) && r.endMs !== null && startOf(x) <= r.endMs && runEndedBy(x, step.t1) && !x.success),
  );
  if (latest && !runSucceededBy(latest, step.t1) && !newer) {
    const state = runEndedBy(latest, step.t1) ? 'ended without success' : 'still in flight at the step\'s end';
    out.push(`FALSE GREEN (check): the truly latest run ${state}: ${describeRun(latest, step.t1)} (counted ${describeRun(counted[0], step.t1)})`);
  }
  if (step.maxAgeMs !== undefined) {
    // The age of the youngest end among the truly latest run and the run counted (it may have started during
    // the step), on the server's clock.
    const young = [...(latest ? [latest] : []), ...counted.filter((r) => runSucceededBy(r, step.t1))];
    const ends = young.map((r) => r.endMs).filter((e): e is number => e !== null);
    const youngest = ends.length ? Math.max(...ends) : undefined;
    if (youngest !== undefined && step.t0 - youngest > step.maxAgeMs + step.clockLeadMs + 2000) {
      out.push(`FALSE GREEN (check): the latest run ended ${step.t0 - youngest} ms before the step, max-age ${step.maxAgeMs} ms`);
    }
  }
  return out;
}

/** (b) At most one load started per target per step (runs created by applied triggers within the step's window). */
export function checkOneLoad(step: StepRecord, runs: readonly TruthRun[], triggers: readonly TriggerTruth[]): string[] {
  const created = runs.filter((r) => r.origin === 'api' && byStep(step, r.createdMs));
  const applied = triggers.filter((t) => byStep(step, t.simTimeMs));
  const n = Math.max(created.length, applied.length);
  if (step.mode === 'check' || step.mode === 'wait') {
    return n > 0 ? [`LOAD STARTED in mode ${step.mode}: ${n} load(s) (${created.map((r) => r.ids[0]).join(', ')})`] : [];
  }
  return n > 1 ? [`SECOND LOAD: ${n} loads started by one step (${created.map((r) => r.ids[0]).join(', ')}; ${applied.length} trigger(s) applied)`] : [];
}

/** (c) No cancel of a run this step's own trigger did not create. */
export function checkCancels(step: StepRecord, runs: readonly TruthRun[], cancels: readonly CancelTruth[]): string[] {
  const out: string[] = [];
  const inWindow = (t: number) => t >= step.t0 && t < step.windowEnd;
  const own = runs.filter((r) => r.origin === 'api' && byStep(step, r.createdMs) && (step.mode === 'run' || step.mode === 'trigger'));
  for (const c of cancels.filter((x) => inWindow(x.simTimeMs))) {
    const target = runs.find((r) => r.ids.includes(c.id));
    if (own.some((r) => r.ids.includes(c.id))) continue;
    out.push(`CANCEL of a run this step did not start: ${c.request}${target ? ` → ${describeRun(target, step.t1)}` : ''}`);
  }
  return out;
}

/** (d) The step ended within its timeout plus a small grace. */
export function checkTime(step: StepRecord): string[] {
  return step.realMs > step.timeoutMs + GRACE_MS ? [`HANG: the step took ${step.realMs} ms, timeout ${step.timeoutMs} ms`] : [];
}

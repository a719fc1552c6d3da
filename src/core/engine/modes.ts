/**
 * The modes that trigger nothing: `wait` follows an existing run (given in run-id, or the one in flight), and
 * `check` passes only when the latest run succeeded, with every proof, and ended within max-age.
 */
import { isTerminal, type Proof, type TargetResult } from '../outcome.js';
import type { ResolvedTarget, RunHandle } from '../provider.js';
import { ADOPTED_PREFIX, describe, formatMs, TargetFailure, type RunIdentity } from './common.js';
import { evidenceFor, missingLine } from './evidence.js';
import { collectFailures } from './failures.js';
import type { TargetRun } from './target-run.js';

/** Mode wait: follows the run given in run-id (one per target), or the run in flight, to its end. */
export async function waitMode(run: TargetRun, target: ResolvedTarget): Promise<TargetResult> {
  const { runId } = run.step.settings;
  let handle: RunHandle;
  run.phase = 'find';
  let identity: RunIdentity;
  if (runId) {
    if (!run.provider.handleFor) throw new TargetFailure(`mode 'wait' with a run-id is not supported on ${run.spec.platform}`);
    // One handle per target, in target order (the run-id output of mode trigger): `id`, `adopted:id`, or
    // several runs of the target joined by `+` (all are followed; green only if every one succeeds).
    const given = (runId.split(',')[run.index] ?? '').trim();
    if (given === '') throw new TargetFailure(`run-id has no id for target ${run.index + 1} (give one id per target, comma-separated in target order)`);
    // `+` joins runs, except where it starts a UTC offset inside an id (an Airflow dag_run_id ends `+00:00`).
    const parts = given.split(/\+(?!\d{2}:?\d{2}(?![\w-]))/).map((p) => p.trim()).filter(Boolean);
    const followed: RunHandle[] = [];
    for (const part of parts) {
      const adopted = part.startsWith(ADOPTED_PREFIX);
      const id = adopted ? part.slice(ADOPTED_PREFIX.length) : part;
      const each = await run.provider.handleFor(target, id);
      // This step only follows the run (product spec: never cancel a run the step only followed), even when
      // an earlier trigger step of the same pipeline started it.
      run.adopt(
        [each],
        adopted
          ? { detail: `run id given in run-id, marked by the trigger step as adopted after its trigger's answer was lost`, ours: false, adopted: true }
          : { detail: 'run id given in run-id', ours: false },
      );
      if (adopted) run.notes.push(`run ${id} was adopted by the trigger step after its trigger's answer was lost, not started by it for certain`);
      followed.push(each);
    }
    run.info(`following run ${followed.map((h) => h.runId).join(', ')}; this step did not start it and will not cancel it`);
    return run.followAndReport(target);
  } else {
    const busy = await run.provider.inFlight(target);
    if (!busy) throw new TargetFailure('no run in flight to wait for (mode: wait without run-id); give run-id, or use mode: check');
    handle = busy.handle ?? (await run.waitForInFlightHandle(target));
    identity = { detail: 'the run in flight (mode: wait without run-id; not started by this step)', ours: false };
  }
  run.info(`following run ${handle.runId}${identity.ours ? '' : '; this step did not start it and will not cancel it'}`);
  run.adopt([handle], identity);
  return run.followAndReport(target);
}

/** Mode check: green only when the latest run succeeded with every proof, and recently enough (max-age). */
export async function checkMode(run: TargetRun, target: ResolvedTarget): Promise<TargetResult> {
  run.phase = 'check';
  if (!run.provider.latest) throw new TargetFailure(`mode 'check' is not supported on ${run.spec.platform}`);
  const latest = await run.provider.latest(target);
  if (!latest) return run.result({ status: 'failed', message: 'never ran: no run found for this target' });
  run.handles = [latest.handle];
  run.identities.set(latest.handle.runId, { detail: 'the latest run of the target by its history', ours: false });
  const obs = latest.observation;
  run.last.set(latest.handle.runId, obs);
  const { maxAgeMs } = run.step.settings;
  const history: Proof = latest.history ?? { ok: false, detail: 'the provider did not say how the history was read' };
  const { evidence, missing } = evidenceFor(run, [latest.handle], { history });
  if (!history.ok) {
    return run.result({ status: 'failed', observation: obs, evidence, message: `the latest run cannot be told: ${history.detail}` });
  }
  if (!isTerminal(obs.state)) {
    return run.result({ status: 'failed', observation: obs, evidence, message: `the latest run ${latest.handle.runId} is still ${describe(obs)}` });
  }
  if (obs.state !== 'succeeded') {
    const failedTasks = await collectFailures(run, target, [latest.handle]);
    return run.result({ status: 'failed', observation: obs, evidence, failedTasks, message: `the latest run ${latest.handle.runId} ${describe(obs)}` });
  }
  if (missing.length > 0) {
    return run.result({ status: 'failed', observation: obs, evidence, message: `the latest run ${latest.handle.runId} ended ${obs.rawStatus}, but it is not counted as green: ${missingLine(evidence, missing)}` });
  }
  if (maxAgeMs !== undefined) {
    if (latest.ageMs === undefined) {
      return run.result({ status: 'failed', observation: obs, evidence, message: `the latest run ${latest.handle.runId} succeeded, but its age cannot be told` });
    }
    if (latest.ageMs > maxAgeMs) {
      return run.result({
        status: 'failed',
        observation: obs,
        evidence,
        message:
          `too old: the latest run ${latest.handle.runId} succeeded ${formatMs(latest.ageMs)} ago (max-age ${formatMs(maxAgeMs)})` +
          (latest.ageNote ? `; the age is ${latest.ageNote}` : ''),
      });
    }
  }
  return run.result({
    status: 'succeeded',
    observation: obs,
    evidence,
    message: `the latest run ${latest.handle.runId} succeeded` + (latest.ageMs !== undefined ? ` ${formatMs(latest.ageMs)} ago` : ''),
  });
}

/**
 * A target stopped (the step's timeout, a CI cancellation, fail-fast) or failed with an error: what it was
 * doing, one look for the run of a trigger still in flight, and the cancel of the runs this step started
 * (where the platform can), followed until the cancel has settled.
 */
import { isTerminal, type CancelReport, type TargetResult } from '../outcome.js';
import { PollSchedule } from '../poll.js';
import type { Observation, ResolvedTarget, RunHandle } from '../provider.js';
import { errorText } from '../text.js';
import { waitFor, type Acceptor } from '../wait.js';
import { describe, stopReason } from './common.js';
import type { TargetRun } from './target-run.js';

/** The run has ended after a cancel (a cancel is confirmed by the end it causes). */
const cancelSettled: Acceptor<Observation> = { name: 'cancel settled', state: 'success', matches: (observation) => isTerminal(observation.state) };

/** The result of a target whose life ended with an error or a stop; never throws. */
export async function resultFromError(run: TargetRun, error: unknown): Promise<TargetResult> {
  const stop = stopReason(error, run.signal);
  if (stop) {
    // The state when the step stopped, before any cancel changed it.
    const when = run.handles.length ? ` while run ${run.handles[0]!.runId} was ${describe(run.last.get(run.handles[0]!.runId))}` : '';
    let inFlight = '';
    if (run.handles.length === 0 && run.triggeredAt !== undefined && run.target) {
      // Stopped while the trigger was in flight or its run was being looked for: one look for that run.
      inFlight = await lookAfterStop(run, run.target);
    }
    const cancel = await cancelRemote(run, stop.status);
    if (run.handles.length > 0) {
      const primary = run.handles[0]!;
      const ours = run.identities.get(primary.runId)?.ours === true;
      // Settled when the run has ended (a cancel is confirmed by the end it causes) or was not ours to cancel;
      // otherwise the post step retries the cancel and reports the final state it reads.
      const settled = !ours || isTerminal(run.last.get(primary.runId)?.state ?? 'unknown') || (cancel !== undefined && !cancel.requested);
      run.step.saveRun(run.index, primary.runId, settled, settled || !cancel?.requested ? undefined : 'unconfirmed');
    }
    const message = `${stop.message}${when}${inFlight}`;
    return run.result({ status: stop.status, message, cancel });
  }
  const message = run.explain(error);
  run.step.host.debug(`${run.label}: ${error instanceof Error && error.stack ? error.stack : String(error)}`);
  return run.result({ status: 'failed', message });
}

/**
 * The step stopped after the trigger was sent but before its run was known: one look for that run, so it
 * can be cancelled (when it is provably ours) and reported. Otherwise the saved trigger lets the post step
 * look again.
 */
async function lookAfterStop(run: TargetRun, target: ResolvedTarget): Promise<string> {
  try {
    const found = await run.provider.find(target, run.baseline);
    if (found.kind !== 'found') return '; the trigger had been sent, and no run it started was seen yet';
    const all = [found.handle, ...(found.others ?? [])];
    // The trigger's answer never came: only a run carrying our own marker is proven ours (and so cancelled).
    const ours = all.length === 1 && run.provider.adoption === 'own-marker';
    run.adopt(all, { detail: found.identity ?? 'a new run: not in the baseline taken just before the trigger', ours, adopted: true });
    return `; the trigger had been sent and run ${all.map((h) => h.runId).join(', ')} had started`;
  } catch (error) {
    return `; the trigger had been sent, and its run could not be looked for (${errorText(error)})`;
  }
}

async function cancelRemote(run: TargetRun, status: 'cancelled' | 'timed-out'): Promise<CancelReport | undefined> {
  const unfinished = run.handles.filter((h) => !isTerminal(run.last.get(h.runId)?.state ?? 'unknown'));
  if (unfinished.length === 0) return undefined;
  // Never cancel a run this step did not start (attached, waited for, or adopted as an equivalent load).
  const foreign = unfinished.filter((h) => run.identities.get(h.runId)?.ours !== true);
  const open = unfinished.filter((h) => run.identities.get(h.runId)?.ours === true);
  if (foreign.length > 0) {
    const note = `run ${foreign.map((h) => h.runId).join(', ')} was not started by this step: not cancelled, it keeps going on the server`;
    run.info(note);
    if (open.length === 0) return { requested: false, accepted: false, note };
  }
  const wanted = status === 'cancelled' || run.step.settings.cancelOnTimeout;
  if (!wanted) {
    return { requested: false, accepted: false, note: 'not cancelled (cancel-on-timeout: false); the remote run keeps going' };
  }
  if (!run.provider.cancel || !run.target) {
    const note = `${run.spec.platform} offers no way to cancel a run: run ${open.map((h) => h.runId).join(', ')} keeps going on the server`;
    run.step.host.warning(`${run.label}: ${note}`);
    return { requested: false, accepted: false, note };
  }
  run.phase = 'cancel';
  const notes: string[] = [];
  let accepted = true;
  for (const handle of open) {
    try {
      const report = await run.provider.cancel(run.target, handle);
      accepted &&= report.accepted;
      notes.push(report.note);
      // Refused or accepted, the run's real final state is what the user needs (a refused cancel usually
      // means it had just ended).
      notes.push(await finalStateAfterCancel(run, run.target, handle, status));
    } catch (error) {
      accepted = false;
      notes.push(`cancel of run ${handle.runId} failed: ${errorText(error)}`);
    }
  }
  const note = notes.join('; ');
  run.info(note);
  return { requested: true, accepted, note };
}

/**
 * Cancellation is cooperative on some platforms: the run may finish its batch and even end `completed`.
 * Read it until it ends (within the cancel budget, on the step's clock) and report what really happened.
 */
async function finalStateAfterCancel(run: TargetRun, target: ResolvedTarget, handle: RunHandle, status: 'cancelled' | 'timed-out'): Promise<string> {
  const { clock } = run.step;
  const schedule = new PollSchedule({ maxDelayMs: Math.min(run.step.settings.pollIntervalMs, 2000), firstDelayMs: 200 });
  const until = clock.now() + (run.step.options.cancelBudgetMs ?? 15_000) - 500;
  if (clock.now() >= until) return `run ${handle.runId} was still ${describe(undefined)} when the step stopped waiting for the cancel to finish`;
  try {
    // No signal: the step's own has fired; the cancel budget bounds the requests (see the step's runTarget).
    const result = await waitFor({
      read: async () => {
        const observation = await run.provider.observe(target, handle);
        run.last.set(handle.runId, observation);
        return observation;
      },
      accept: [cancelSettled],
      schedule: () => schedule.next(),
      deadline: until,
      clock,
    });
    if (result.state === 'success') {
      const last = result.observation;
      const stays = last.state === 'succeeded' ? `; the step stays ${status}: the run did not end within the step` : '';
      return `run ${handle.runId} ended ${describe(last)} after the cancel${stays}`;
    }
    return `run ${handle.runId} was still ${describe(result.observation)} when the step stopped waiting for the cancel to finish`;
  } catch (error) {
    return `the state of run ${handle.runId} after the cancel could not be read: ${errorText(error)}`;
  }
}

/**
 * The life of one target: resolve → (if-running) → baseline → trigger → find the run the trigger caused →
 * follow (follow.ts) → failure details → the result, whose verdict is made of evidence (evidence.ts). Modes
 * wait and check are modes.ts; a stop (timeout, cancellation, fail-fast) is stop.ts. Every wait is a
 * `waitFor` (wait.ts) with named acceptors, on the injected clock and bounded by the step's deadline.
 */
import type { Clock } from '../clock.js';
import type { Phase } from '../http/index.js';
import { ApiError } from '../http/index.js';
import type { CancelReport, Evidence, FailedTask, StepStatus, TargetResult } from '../outcome.js';
import { PollSchedule } from '../poll.js';
import type { FindResult, InFlight, Observation, ResolvedTarget, RunHandle, TriggerResult } from '../provider.js';
import type { TargetSpec } from '../settings.js';
import { errorText } from '../text.js';
import { waitFor, type Acceptor, type WaitOptions } from '../wait.js';
import {
  ADOPTED_PREFIX,
  formatMs,
  stepStatusOf,
  StopSignal,
  TargetFailure,
  type AnyProvider,
  type RunIdentity,
} from './common.js';
import { evidenceFor, identityProof, missingLine } from './evidence.js';
import { collectFailures } from './failures.js';
import { followRuns } from './follow.js';
import { hintFor } from './hints.js';
import type { LiveLogs } from './live.js';
import { checkMode, waitMode } from './modes.js';
import type { Step } from './step.js';

type Found = Extract<FindResult<RunHandle>, { kind: 'found' }>;

/** The run the trigger caused showed up (not in the baseline). */
const runFound: Acceptor<FindResult<RunHandle>> = { name: 'run found', state: 'success', matches: (result) => result.kind === 'found' };

/** The target has no run in flight. */
const targetIdle: Acceptor<InFlight<RunHandle> | undefined> = { name: 'target idle', state: 'success', matches: (busy) => busy === undefined };

/** The run in flight can be identified (attach, mode wait). */
const inFlightIdentified: Acceptor<InFlight<RunHandle> | undefined> = {
  name: 'run in flight identified',
  state: 'success',
  matches: (busy) => busy?.handle !== undefined,
};

/** This target's state: the step's engine parts (follow, evidence, modes, stop) read and update it. */
export class TargetRun {
  phase: Phase = 'resolve';
  target: ResolvedTarget | undefined;
  /** The runs followed; the first is the primary one (outputs, messages). */
  handles: RunHandle[] = [];
  /** The last observation of each run followed. */
  readonly last = new Map<string, Observation>();
  readonly notes: string[] = [];
  readonly provider: AnyProvider;
  readonly label: string;
  /** How each followed run is known to be ours or equivalent (the identity proof), and whether this step started it. */
  readonly identities = new Map<string, RunIdentity>();
  /** Set when the trigger's answer was lost: what happened, for the messages and the identity proofs. */
  lostAnswer: string | undefined;
  /** The baseline taken before the (last) trigger: a stop before the run was found still looks for it. */
  baseline: unknown;
  /** Clock time just before this target's trigger was sent: the start of the run, for history-aware polling. */
  triggeredAt: number | undefined;
  /** With `logs: live`: the lines printed while following (follow.ts, live.ts). */
  live: LiveLogs | undefined;

  constructor(
    readonly step: Step,
    readonly spec: TargetSpec,
    readonly index: number,
    readonly signal: AbortSignal,
  ) {
    this.provider = step.provider;
    this.label = spec.label;
  }

  info(message: string): void {
    this.step.host.info(`${this.label}: ${message}`);
  }

  async execute(): Promise<TargetResult> {
    const { mode } = this.step.settings;
    this.phase = 'resolve';
    const target = await this.provider.resolve(this.spec);
    this.target = target;
    if (target.label !== this.label) this.info(`resolved to ${target.label}`);

    if (mode === 'wait') return waitMode(this, target);
    if (mode === 'check') return checkMode(this, target);

    const handle = await this.startRun(target);
    await this.announce(target);
    if (mode === 'trigger') {
      this.step.saveRun(this.index, handle.runId, true);
      const identity = identityProof(this);
      const adopted = this.identities.get(handle.runId)?.adopted === true;
      const message = adopted
        ? `the trigger's answer was lost; adopted run ${handle.runId} (${identity.detail}); not waiting (mode: trigger). ` +
          `Its run-id handle says so (${ADOPTED_PREFIX}${handle.runId}), and mode: wait reports it as adopted`
        : `triggered run ${handle.runId}; not waiting (mode: trigger)`;
      return this.result({ status: 'triggered', message, evidence: { identity } });
    }
    return this.followAndReport(target);
  }

  /** Applies if-running, then triggers and finds the run this trigger caused. */
  private async startRun(target: ResolvedTarget): Promise<RunHandle> {
    const { ifRunning } = this.step.settings;
    for (;;) {
      this.phase = 'baseline';
      const busy = await this.provider.inFlight(target);
      if (busy) {
        if (ifRunning === 'fail') {
          throw new TargetFailure(
            `already running (${busy.description}); if-running is 'fail'. Set if-running: attach to follow that run, or queue to wait for it and then trigger`,
          );
        }
        if (ifRunning === 'attach') {
          const handle = busy.handle ?? (await this.waitForInFlightHandle(target));
          this.info(`already running: attaching to run ${handle.runId} (if-running: attach); this step did not start it and will not cancel it`);
          this.adopt([handle], { detail: 'in flight when the step began; followed by if-running: attach (not started by this step)', ours: false });
          return handle;
        }
        this.info(`already running (${busy.description}): waiting for it to end before triggering (if-running: queue)`);
        await this.waitUntilIdle(target);
      }
      this.phase = 'baseline';
      const baseline = await this.provider.baseline(target);
      this.phase = 'trigger';
      this.triggeredAt = this.step.clock.now();
      this.baseline = baseline;
      this.step.saveTrigger(this.index, baseline);
      const answer = await this.triggerSafely(target, baseline);
      if (answer.kind === 'already-running') {
        // Someone started it between our check and our trigger: apply if-running to that run.
        if (ifRunning === 'fail') throw new TargetFailure(`${answer.message}; if-running is 'fail'`);
        if (ifRunning === 'attach') {
          const handle = answer.handle ?? (await this.waitForInFlightHandle(target));
          this.info(`already running: attaching to run ${handle.runId} (if-running: attach); this step did not start it and will not cancel it`);
          this.adopt([handle], { detail: 'the trigger answered "already running"; followed by if-running: attach (not started by this step)', ours: false });
          return handle;
        }
        // queue: wait for it, then trigger again (a pause first, in case the platform does not show it in flight)
        await this.sleep(this.step.settings.pollIntervalMs);
        continue;
      }
      if (answer.note) this.info(answer.note);
      if (answer.handle) {
        if (!this.identities.has(answer.handle.runId)) {
          this.info(`triggered: run ${answer.handle.runId}`);
          this.adopt([answer.handle], { detail: 'the run id the trigger answered', ours: true });
        }
        return answer.handle;
      }
      this.info('trigger accepted; looking for the run it started');
      const found = await this.findTriggeredRun(target, baseline);
      return found;
    }
  }

  /**
   * Sends the trigger. When the answer is lost (reset, timeout, 5xx), it first looks for the run the lost
   * attempt may have started (no platform documents idempotency for what we send), and sends again only when
   * none appeared, the target is idle and a last look still finds nothing: a second, accidental load is the
   * thing we must never cause.
   */
  private async triggerSafely(target: ResolvedTarget, baseline: unknown): Promise<TriggerResult<RunHandle>> {
    try {
      return await this.provider.trigger(target);
    } catch (error) {
      // Stopped (cancel, timeout) while the trigger was in flight: resultFromError looks for its run.
      if (this.signal.aborted || !(error instanceof ApiError) || !error.mayHaveApplied) throw error;
      const window = Math.min(this.step.options.confirmWindowMs ?? 30_000, this.timeLeft());
      this.lostAnswer = error.message;
      const rule =
        this.provider.adoption === 'own-marker'
          ? "only a run carrying this step's idempotency key or metadata is taken as its own"
          : 'a run of this target and environment that started after the baseline is an equivalent load';
      this.phase = 'trigger';
      this.info(`the trigger's answer was lost (${error.message}); looking for the run it may have started before sending anything again (${rule})`);
      const found = await this.lookForRun(target, baseline, window);
      if (found) return this.adoptAfterLostAnswer(found, error.message, '');
      const busy = await this.provider.inFlight(target);
      if (busy) {
        // Not sent again: the target is busy, most likely with our own trigger. The find below must still
        // show a run that started after the baseline before anything is followed.
        return { kind: 'accepted', note: `the target is busy (${busy.description}): the lost trigger most likely landed; not sending it again` };
      }
      // A last look right before any resend: a look may have been slow (a 429, a retried page) while the run
      // appeared, and the target may be idle because that run has already ended.
      const late = await this.lookOnce(target, baseline);
      if (late) return this.adoptAfterLostAnswer(late, error.message, ' It had already ended when it was found.');
      this.info('no run appeared and the target is idle: sending the trigger again (resend 1 of 1)');
      this.notes.push(`the trigger's answer was lost (${error.message}); no run appeared and the target was idle, so the trigger was sent once more`);
      this.phase = 'trigger';
      const again = await this.provider.trigger(target);
      if (again.kind === 'already-running') {
        return { kind: 'accepted', note: 'the second trigger answered "already running": the first one most likely landed; not sending again' };
      }
      return again;
    }
  }

  /**
   * Follows the run(s) a look found after the trigger's answer was lost, and says so in the log and the notes.
   * Equivalent loads (TimeXtender, Qarion) may be someone else's, so they are never cancelled; a run carrying
   * our own marker (Planasonix) is ours.
   */
  private adoptAfterLostAnswer(found: Found, lost: string, remark: string): TriggerResult<RunHandle> {
    const all = [found.handle, ...(found.others ?? [])];
    const how = found.identity ?? 'started after the baseline taken just before the trigger';
    this.adopt(all, { detail: `adopted after the trigger's answer was lost (${lost}): ${how}`, ours: this.provider.adoption === 'own-marker', adopted: true });
    const note =
      `the trigger's answer was lost; adopted run${all.length > 1 ? 's' : ''} ${all.map((h) => h.runId).join(', ')} (${how}). ` +
      (all.length > 1 ? 'All are followed; the step passes only if every one succeeds.' : 'Its outcome decides the step.') +
      remark;
    this.notes.push(note);
    return { kind: 'accepted', handle: found.handle, note };
  }

  /** One look for the run of a lost trigger; undefined when nothing is found. */
  private async lookOnce(target: ResolvedTarget, baseline: unknown) {
    this.phase = 'find';
    const result = await this.provider.find(target, baseline);
    return result.kind === 'found' ? result : undefined;
  }

  /** Looks for the run of a lost trigger for up to `windowMs`; undefined when nothing appeared. */
  private async lookForRun(target: ResolvedTarget, baseline: unknown, windowMs: number): Promise<Found | undefined> {
    this.phase = 'find';
    const until = this.step.clock.now() + windowMs;
    const schedule = new PollSchedule({ maxDelayMs: this.step.settings.pollIntervalMs, firstDelayMs: 500 });
    const confirmWindowClosed: Acceptor<FindResult<RunHandle>> = { name: 'confirm window closed', state: 'failure', matches: (_r, now) => now >= until };
    const result = await this.waitFor({
      read: () => this.provider.find(target, baseline),
      accept: [runFound, confirmWindowClosed],
      schedule: () => schedule.next(),
      windowEnd: until,
    });
    return result.state === 'success' && result.observation.kind === 'found' ? result.observation : undefined;
  }

  private async findTriggeredRun(target: ResolvedTarget, baseline: unknown): Promise<RunHandle> {
    this.phase = 'find';
    const windowMs = Math.min(this.step.options.startWindowMs ?? 5 * 60_000, this.timeLeft());
    const windowEnd = this.step.clock.now() + windowMs;
    const schedule = new PollSchedule({ maxDelayMs: this.step.settings.pollIntervalMs, firstDelayMs: 500 });
    // A trigger the platform shows as taken (queued) may wait past the start window: the timeout bounds it.
    const startWindowClosed: Acceptor<FindResult<RunHandle>> = {
      name: 'start window closed',
      state: 'failure',
      matches: (result, now) => result.kind === 'pending' && now >= windowEnd && !result.accepted,
    };
    const waited = await this.waitFor({
      read: () => this.provider.find(target, baseline),
      accept: [runFound, startWindowClosed],
      schedule: () => schedule.next(),
    });
    const result = waited.observation;
    if (result.kind === 'pending') {
      throw new TargetFailure(
        `${this.lostAnswer ? "the trigger was sent (its answer was lost)" : 'the trigger was accepted'}, but no new run appeared within ${formatMs(windowMs)}` +
          (result.reason ? ` (${result.reason})` : ''),
      );
    }
    const all = [result.handle, ...(result.others ?? [])];
    const how = result.identity ?? 'a new run: not in the baseline taken just before the trigger';
    const adopted = this.lostAnswer !== undefined;
    if (all.length > 1) {
      const ids = all.map((h) => h.runId).join(', ');
      const note = `${all.length} new runs started after the trigger (${ids}): another user or a schedule ran it too. All are followed; the step passes only if every one succeeds.`;
      this.notes.push(note);
      this.step.host.warning(`${this.label}: ${note}`);
    }
    if (adopted) {
      const note = `the trigger's answer was lost (${this.lostAnswer}); adopted run ${all.map((h) => h.runId).join(', ')} (${how})`;
      this.notes.push(note);
      this.info(note);
    } else {
      this.info(`found run ${result.handle.runId}`);
    }
    // Two new runs: either may be someone else's, so neither is cancelled on our behalf.
    const ours = all.length === 1 && (!adopted || this.provider.adoption === 'own-marker');
    this.adopt(all, {
      detail: adopted ? `adopted after the trigger's answer was lost (${this.lostAnswer}): ${how}` : how,
      ours,
      adopted,
    });
    return result.handle;
  }

  async waitForInFlightHandle(target: ResolvedTarget): Promise<RunHandle> {
    const inFlightEnded: Acceptor<InFlight<RunHandle> | undefined> = { name: 'run in flight ended', state: 'failure', matches: (busy) => busy === undefined };
    const schedule = new PollSchedule({ maxDelayMs: this.step.settings.pollIntervalMs });
    const result = await this.waitFor({
      read: () => this.provider.inFlight(target),
      accept: [inFlightIdentified, inFlightEnded],
      schedule: () => schedule.next(),
    });
    if (result.state === 'failure' || !result.observation?.handle) {
      throw new TargetFailure('the run in flight ended before it could be identified; nothing to attach to');
    }
    return result.observation.handle;
  }

  private async waitUntilIdle(target: ResolvedTarget): Promise<void> {
    const schedule = new PollSchedule({ maxDelayMs: this.step.settings.pollIntervalMs });
    await this.waitFor({ read: () => this.provider.inFlight(target), accept: [targetIdle], schedule: () => schedule.next() });
  }

  /**
   * Waits on the step's clock, bounded by its deadline and this target's signal: a success or failure comes
   * back as the acceptor's verdict; reaching the deadline stops the target as timed out, and the signal stops
   * it with its reason (cancelled, fail-fast). `clock` replaces the step's for the sleeps (one that a batched
   * sweep can cut short, engine/follow.ts).
   */
  async waitFor<O>(
    options: Omit<WaitOptions<O>, 'clock' | 'deadline' | 'signal'> & { clock?: Clock },
  ): Promise<{ state: 'success' | 'failure'; acceptor: string; observation: O }> {
    const result = await waitFor({ ...options, clock: options.clock ?? this.step.clock, deadline: this.step.deadline, signal: this.signal });
    if (result.state === 'timeout') throw new StopSignal('timed-out', `timed out after ${formatMs(this.step.settings.timeoutMs)}`);
    if (result.state === 'aborted') throw result.reason;
    return result;
  }

  /**
   * Follows these runs from now on, recording how each is known to be ours or equivalent. Only runs this
   * step started (`ours`) are ever cancelled, here or by the post step.
   */
  adopt(handles: RunHandle[], identity: RunIdentity): void {
    for (const handle of handles) {
      if (!this.handles.some((h) => h.runId === handle.runId)) this.handles.push(handle);
      if (!this.identities.has(handle.runId)) this.identities.set(handle.runId, identity);
    }
    const primary = this.handles[0]!;
    this.step.saveRun(this.index, primary.runId, this.identities.get(primary.runId)?.ours !== true);
  }

  /** Lets the provider mark the run as ours (e.g. a comment with the CI run link); only warns on failure. */
  private async announce(target: ResolvedTarget): Promise<void> {
    const handle = this.handles[0];
    if (!handle || !this.provider.announce) return;
    try {
      await this.provider.announce(target, handle);
    } catch (error) {
      this.step.host.warning(`${this.label}: could not annotate run ${handle.runId} on ${this.spec.platform}: ${errorText(error)}`);
    }
  }

  /** Follows every adopted run until all have ended, then fetches failure details. */
  async followAndReport(target: ResolvedTarget): Promise<TargetResult> {
    this.phase = 'follow';
    await followRuns(this, target);
    const primary = this.handles[0]!;
    const observation = this.last.get(primary.runId)!;
    this.step.saveRun(this.index, primary.runId, true);
    const failedRuns = this.handles.filter((h) => this.last.get(h.runId)!.state !== 'succeeded');
    const { evidence, missing } = evidenceFor(this, this.handles);
    let status: StepStatus = failedRuns.length === 0 ? 'succeeded' : stepStatusOf(this.last.get(failedRuns[0]!.runId)!.state);
    // Logs of runs that ended with a success word but lack another proof are worth showing too.
    const failedTasks = await collectFailures(this, target, failedRuns.length > 0 || missing.length === 0 ? failedRuns : this.handles);
    let message: string | undefined;
    if (status === 'succeeded' && missing.length > 0) {
      status = 'failed';
      message = `run ${primary.runId} ended ${observation.rawStatus}, but it is not counted as green: ${missingLine(evidence, missing)}`;
    } else if (status !== 'succeeded') {
      const run = failedRuns[0]!;
      const obs = this.last.get(run.runId)!;
      message = `run ${run.runId} ended ${obs.rawStatus || 'without a status'} (${obs.state})`;
      if (failedTasks.length > 0) message += `; failed: ${failedTasks.map((t) => t.name).slice(0, 5).join(', ')}`;
      if (evidence.members && !evidence.members.ok) message += `; members: ${evidence.members.detail}`;
    } else if (this.lostAnswer) {
      message = `run ${primary.runId} succeeded; the trigger's answer was lost and this run was adopted (${evidence.identity!.detail})`;
    }
    return this.result({ status, message, failedTasks, observation, evidence });
  }

  result(parts: {
    status: StepStatus;
    message?: string;
    failedTasks?: FailedTask[];
    observation?: Observation;
    cancel?: CancelReport;
    evidence?: Evidence;
  }): TargetResult {
    const primary = this.handles[0];
    const obs = parts.observation ?? (primary ? this.last.get(primary.runId) : undefined);
    const result: TargetResult = {
      target: this.target?.label ?? this.label,
      platform: this.spec.platform,
      runId: this.handles.map((h) => (this.identities.get(h.runId)?.adopted ? ADOPTED_PREFIX : '') + h.runId).join('+') || undefined,
      status: parts.status,
      rawStatus: obs?.rawStatus,
      startedAt: obs?.startedAt,
      finishedAt: obs?.finishedAt,
      durationSeconds: obs?.durationSeconds,
      timeNote: this.provider.timeNote,
      failedTasks: parts.failedTasks ?? [],
      message: parts.message,
      cancel: parts.cancel,
      notes: this.notes.length > 0 ? this.notes : undefined,
      evidence: parts.evidence ?? (this.handles.length > 0 ? { identity: identityProof(this) } : undefined),
    };
    if (result.evidence === undefined) delete result.evidence;
    if (result.runId === undefined) delete result.runId;
    return result;
  }

  /** One line naming the phase and the cause, with what to do for the usual HTTP answers. */
  explain(error: unknown): string {
    if (error instanceof TargetFailure) return error.message;
    if (error instanceof ApiError) {
      const hint = hintFor(error, this.spec.platform, this.step.accessHints);
      return `${error.message}${hint ? `. ${hint}` : ''}`;
    }
    return `${this.phase}: ${errorText(error)}`;
  }

  timeLeft(): number {
    return Math.max(0, this.step.deadline - this.step.clock.now());
  }

  /** Sleeps on the injected clock; a sleep that reaches the step's deadline ends in a timeout on that clock. */
  private async sleep(ms: number): Promise<void> {
    const left = this.step.deadline - this.step.clock.now();
    if (ms < left) return this.step.clock.sleep(ms, this.signal);
    await this.step.clock.sleep(Math.max(0, left), this.signal);
    throw new StopSignal('timed-out', `timed out after ${formatMs(this.step.settings.timeoutMs)}`);
  }
}

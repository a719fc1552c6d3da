/**
 * Following: the status reads of a target's runs until every one has ended, spaced by the follow schedule
 * (poll.ts) and shared across the step's targets (FollowReads batches them where the provider reads many runs
 * at once). The failure details of what did not succeed are read by failures.ts.
 */
import type { Clock } from '../clock.js';
import { requestScope } from '../http/index.js';
import { isTerminal } from '../outcome.js';
import { expectedFromHistory, PollSchedule, QUICK_GAP_MS, type ExpectedDuration } from '../poll.js';
import type { Observation, ResolvedTarget, RunHandle } from '../provider.js';
import { errorText } from '../text.js';
import type { Acceptor } from '../wait.js';
import { describe, formatMs, TargetFailure, type AnyProvider } from './common.js';
import { LiveLogs, sayNoLiveLog } from './live.js';
import type { TargetRun } from './target-run.js';

/** One round of reads of a target's open runs. */
interface FollowRound {
  /** Every run followed has ended. */
  ended: boolean;
  /** A run the platform has not shown for the whole confirm window: why it counts as missing. */
  missing?: string;
}

/** Every run followed has ended (a terminal state). */
const runEnded: Acceptor<FollowRound> = { name: 'run ended', state: 'success', matches: (round) => round.ended };
/** A run stayed unseen on the platform (a wrong run-id, a run that vanished): fail instead of waiting it out. */
const runMissing: Acceptor<FollowRound> = { name: 'run missing', state: 'failure', matches: (round) => round.missing !== undefined };

/**
 * Reads every open run of this target until all have ended. The reads are spaced by a follow schedule
 * (poll.ts): quick reads, then by the target's run history when this step started the run and the
 * provider has one, else a ramp to poll-interval on a grid shared by the step's targets. The reads
 * themselves go through the step's FollowReads, which batches them across targets where it can.
 */
export async function followRuns(run: TargetRun, target: ResolvedTarget): Promise<void> {
  const { clock, options } = run.step;
  const heartbeatMs = options.heartbeatMs ?? 5 * 60_000;
  const polling = options.polling ?? {};
  const interval = run.step.settings.pollIntervalMs;
  const expected = await expectedDuration(run, target);
  // The schedule's time scale: since the trigger when this step started the run, else since following began.
  let origin = run.triggeredAt ?? clock.now();
  const makeSchedule = (withHistory: boolean): PollSchedule =>
    polling.strategy === 'fixed'
      ? new PollSchedule({ maxDelayMs: interval, firstDelayMs: interval, factor: 1 })
      : new PollSchedule({
          maxDelayMs: interval,
          follow: {
            elapsedMs: clock.now() - origin,
            expected: withHistory ? expected : undefined,
            gridPhaseMs: run.step.startedAt - origin,
            earlyGaps: polling.earlyGaps,
            earlyGapFactor: polling.earlyGapFactor,
            budgetShare: polling.budgetShare,
          },
        });
  let schedule: PollSchedule | undefined;
  let waitingForStart = false;
  let lastGap = 0;
  let lastLine = clock.now();
  /** When each run was first seen missing on the platform (reset when it shows up). */
  const missingSince = new Map<string, number>();
  const missingWindowMs = options.confirmWindowMs ?? 30_000;
  const reads = run.step.followReads;
  const primary = () => run.last.get(run.handles[0]!.runId)!;
  const live = liveLogsFor(run, target);
  const openHandles = () => run.handles.filter((h) => !isTerminal(run.last.get(h.runId)?.state ?? 'unknown'));
  // A sweep made for another target that read this one's runs: its answers wake this target, which takes
  // them as its next read (no request) and counts its next gap from the sweep.
  const waker = wakeableClock(clock, run.step.deadline);
  let covered: { at: number; answers: Map<string, Observation> } | undefined;
  let coveredRead: number | undefined;
  /** This target's own read is under way: a sweep's answers from meanwhile are not newer. */
  let reading = false;
  let roundsRead = 0;
  const member: FollowMember = {
    target,
    open: openHandles,
    covered: (at, answers) => {
      if (reading || (covered && covered.at > at)) return;
      covered = { at, answers };
      waker.wake();
    },
  };

  const readRound = async (): Promise<FollowRound> => {
    const open = openHandles();
    if (open.length === 0) return { ended: true };
    const rounds = roundsRead++;
    const answers = covered;
    covered = undefined;
    waker.settle();
    const fromSweep = answers !== undefined && open.every((h) => answers.answers.has(h.runId));
    if (fromSweep) coveredRead = answers.at;
    let observations: Observation[];
    if (fromSweep) {
      observations = open.map((handle) => answers.answers.get(handle.runId)!);
    } else {
      reading = true;
      try {
        // The first read may wait for a sweep a little (the find has just seen the run going), no longer
        // than the quick reads' gap or poll-interval.
        const waitMs = rounds === 0 ? Math.min(QUICK_GAP_MS, interval) : undefined;
        observations = await Promise.all(open.map((handle) => reads.observe(member, handle, run.signal, waitMs)));
      } finally {
        reading = false;
      }
    }
    for (const [i, handle] of open.entries()) {
      const observation = observations[i]!;
      if (observation.notFound) {
        const since = missingSince.get(handle.runId) ?? clock.now();
        missingSince.set(handle.runId, since);
        if (clock.now() - since >= missingWindowMs) {
          const missing = `run ${handle.runId} does not exist on ${run.spec.platform}, or is not visible to this key: ${observation.progress ?? 'the platform does not show it'} (checked for ${formatMs(clock.now() - since)})`;
          return { ended: false, missing };
        }
      } else {
        missingSince.delete(handle.runId);
      }
      const previous = run.last.get(handle.runId);
      run.last.set(handle.runId, observation);
      const changed = !previous || previous.rawStatus !== observation.rawStatus || previous.state !== observation.state;
      if (changed) {
        run.info(`run ${handle.runId} is ${describe(observation)}`);
        lastLine = clock.now();
      } else if (observation.progress && observation.progress !== previous.progress) {
        run.info(`run ${handle.runId}: ${observation.progress}`);
        lastLine = clock.now();
      }
      if (live) {
        const before = live.printedFor(handle.runId);
        // A sweep's answer that changed nothing reads no log (the target's own reads do, as before).
        await live.afterStatusRead(target, handle, observation, changed, fromSweep || (schedule?.sparse ?? false));
        if (live.printedFor(handle.runId) > before) lastLine = clock.now();
      }
    }
    return { ended: run.handles.every((h) => isTerminal(run.last.get(h.runId)!.state)) };
  };

  /** Before each gap: the schedule follows the run's start, and a heartbeat line when nothing was said for long. */
  const beforeGap = (): void => {
    const state = primary().state;
    if (!schedule) {
      // The history counts from the run's start: a run still queued gets it once it runs.
      waitingForStart = expected !== undefined && state === 'queued';
      schedule = makeSchedule(!waitingForStart);
    } else if (waitingForStart && state !== 'queued') {
      waitingForStart = false;
      origin = clock.now() - lastGap / 2;
      schedule = makeSchedule(true);
    }
    if (clock.now() - lastLine >= heartbeatMs) {
      const elapsed = formatMs(clock.now() - run.step.startedAt);
      run.info(`still ${describe(primary())} after ${elapsed}`);
      lastLine = clock.now();
    }
  };

  const leave = reads.join(member);
  try {
    const result = await run.waitFor({
      read: readRound,
      accept: [runMissing, runEnded],
      onRetry: beforeGap,
      schedule: () => {
        if (coveredRead !== undefined) schedule!.resetAt(coveredRead - origin);
        coveredRead = undefined;
        lastGap = schedule!.next(clock.now() - origin);
        // A gap longer than poll-interval (the history's early gap) never skips the deadline: one read comes
        // a moment before it, so an early end is seen rather than timed out.
        const left = run.step.deadline - clock.now();
        if (lastGap > interval && lastGap >= left && left > 2000) lastGap = Math.round(left - 1000);
        return lastGap;
      },
      clock: waker.clock,
    });
    if (result.state === 'failure') throw new TargetFailure(result.observation.missing!);
  } finally {
    leave();
  }
}

/** The target's live logs with `logs: live`, where the provider reads them; else says once why there are none. */
function liveLogsFor(run: TargetRun, target: ResolvedTarget): LiveLogs | undefined {
  if (run.step.settings.logs !== 'live') return undefined;
  if (run.provider.liveLog) return (run.live ??= new LiveLogs(run));
  sayNoLiveLog(run, target);
  return undefined;
}

/**
 * The target's expected duration from its run history, when this step started the run (so its start is
 * known). Batched reads too: a sweep goes out when the first target needs one and is a read for all.
 */
async function expectedDuration(run: TargetRun, target: ResolvedTarget): Promise<ExpectedDuration | undefined> {
  const polling = run.step.options.polling ?? {};
  if (run.triggeredAt === undefined || polling.history === false || polling.strategy === 'fixed' || !run.provider.history) return undefined;
  try {
    const expected = expectedFromHistory(await run.provider.history(target));
    if (expected) {
      // Said once, so that a quiet log (reads are sparse early in a long run) is explained.
      const end = new Date(run.triggeredAt + expected.medianMs).toISOString();
      run.info(
        `expected to end around ${end.slice(11, 16)} UTC (in about ${formatMs(expected.medianMs)}), from ${expected.samples ?? 'the'} past runs; status reads follow that history`,
      );
    }
    return expected;
  } catch (error) {
    run.step.host.debug(`${run.label}: no run history for polling (${errorText(error)}); reading on the plain schedule`);
    return undefined;
  }
}

/**
 * The step's clock, for one target's follow waits, whose sleep `wake()` cuts short (a sweep answered for the
 * target); a wake while the target is not asleep cuts its next sleep to nothing, unless `settle()` came first
 * (the answers were taken). Never the last sleep before the deadline: waitFor would take its end for the
 * deadline's; the target then ends as it would have without the sweep.
 */
function wakeableClock(clock: Clock, deadline: number): { clock: Clock; wake(): void; settle(): void } {
  let wakeUp: (() => void) | undefined;
  let pending = false;
  const woken = Symbol('woken');
  return {
    clock: {
      now: () => clock.now(),
      async sleep(ms: number, signal?: AbortSignal): Promise<void> {
        if (clock.now() + ms >= deadline) return clock.sleep(ms, signal);
        signal?.throwIfAborted();
        if (pending) {
          pending = false;
          return;
        }
        const inner = new AbortController();
        const relay = () => inner.abort(signal!.reason);
        signal?.addEventListener('abort', relay, { once: true });
        wakeUp = () => inner.abort(woken);
        try {
          await clock.sleep(ms, inner.signal);
        } catch (error) {
          if (inner.signal.reason !== woken) throw error;
        } finally {
          wakeUp = undefined;
          signal?.removeEventListener('abort', relay);
        }
      },
    },
    wake: () => {
      if (wakeUp) wakeUp();
      else pending = true;
    },
    settle: () => {
      pending = false;
    },
  };
}

/** Longest wait for other targets' reads to join a batch. */
const GATHER_MS = 250;

/** A target following its runs, as a batched sweep sees it. */
export interface FollowMember {
  target: ResolvedTarget;
  /** Its runs not ended yet. */
  open(): RunHandle[];
  /** A sweep made for another target read these runs of this one at `at` (clock time). */
  covered(at: number, answers: Map<string, Observation>): void;
}

interface WaitingRead {
  member: FollowMember;
  handle: RunHandle;
  resolve(observation: Observation): void;
  reject(error: unknown): void;
}

/**
 * The status reads of the runs a step follows. With a provider that can read many runs at once
 * (`observeMany`, e.g. one list request per page for all tasks of a workspace) and more than one target
 * following, the reads are sweeps: the first target that needs a read starts one, reads asked within a short
 * window join it, and it reads the open runs of every target following — for the targets that did not ask,
 * its answers are a read all the same (FollowMember.covered: the target takes them at once and counts its
 * next gap from the sweep). So the sweeps follow the soonest-needed target's schedule, and an end is seen at
 * the first sweep after it, whoever asked. Otherwise each run is read on its own.
 */
export class FollowReads {
  private readonly members = new Set<FollowMember>();
  private batch: WaitingRead[] | undefined;
  /** When the batch being gathered goes out (clock time), and how to wake its wait sooner. */
  private flushAt = 0;
  private flushSooner: AbortController | undefined;
  private readonly gatherMs: number;

  constructor(
    private readonly provider: AnyProvider,
    private readonly clock: Clock,
    pollIntervalMs: number,
    private readonly stepSignal: AbortSignal,
    /** The step has several targets and the provider reads many runs at once. */
    readonly batching: boolean,
  ) {
    this.gatherMs = Math.max(1, Math.min(GATHER_MS, Math.floor(pollIntervalMs / 4)));
  }

  /** A target starts following; call the returned function when it stops. */
  join(member: FollowMember): () => void {
    this.members.add(member);
    return () => {
      this.members.delete(member);
    };
  }

  /**
   * One run's status. Batched: it joins the sweep being gathered, or starts one; the sweep goes out when the
   * earliest of its reads is due (each may wait `waitMs`, default the short gather window).
   */
  observe(member: FollowMember, handle: RunHandle, signal: AbortSignal, waitMs = this.gatherMs): Promise<Observation> {
    if (!this.batching || !this.provider.observeMany || this.members.size < 2) return this.provider.observe(member.target, handle);
    signal.throwIfAborted();
    return new Promise<Observation>((resolve, reject) => {
      // The batch belongs to the step: a target stopped (fail-fast) stops waiting, not the others' reads.
      const onAbort = () => reject(signal.reason);
      signal.addEventListener('abort', onAbort, { once: true });
      const waiting: WaitingRead = {
        member,
        handle,
        resolve: (observation) => {
          signal.removeEventListener('abort', onAbort);
          resolve(observation);
        },
        reject: (error) => {
          signal.removeEventListener('abort', onAbort);
          reject(error);
        },
      };
      const due = this.clock.now() + Math.max(this.gatherMs, waitMs);
      if (this.batch) {
        this.batch.push(waiting);
        if (due < this.flushAt) {
          this.flushAt = due;
          this.flushSooner?.abort();
        }
      } else {
        this.batch = [waiting];
        this.flushAt = due;
        void this.flushSoon();
      }
    });
  }

  private async flushSoon(): Promise<void> {
    // Until the earliest read of the batch is due (a read that joins may bring it forward).
    while (this.clock.now() < this.flushAt && !this.stepSignal.aborted) {
      const sooner = new AbortController();
      const relay = () => sooner.abort();
      this.stepSignal.addEventListener('abort', relay, { once: true });
      this.flushSooner = sooner;
      try {
        await this.clock.sleep(this.flushAt - this.clock.now(), sooner.signal);
      } catch {
        // Brought forward, or the step stopped (the reads below then fail at once with its reason).
      } finally {
        this.stepSignal.removeEventListener('abort', relay);
        this.flushSooner = undefined;
      }
    }
    const batch = this.batch ?? [];
    this.batch = undefined;
    // The runs of the targets that did not ask, read by the same sweep.
    const asked = new Set(batch.map((w) => w.member));
    const others: Array<{ member: FollowMember; handle: RunHandle }> = [];
    if (!this.stepSignal.aborted) {
      for (const member of this.members) if (!asked.has(member)) for (const handle of member.open()) others.push({ member, handle });
    }
    const at = this.clock.now();
    await requestScope.run({ signal: this.stepSignal }, async () => {
      try {
        if (batch.length === 1 && others.length === 0) {
          batch[0]!.resolve(await this.provider.observe(batch[0]!.member.target, batch[0]!.handle));
          return;
        }
        const items = [...batch, ...others].map(({ member, handle }) => ({ target: member.target, handle }));
        const results = await this.provider.observeMany!(items);
        batch.forEach((waiting, i) => {
          const result = results[i];
          if (result === undefined) waiting.reject(new Error(`no status was read for run ${waiting.handle.runId}`));
          else if (result instanceof Error) waiting.reject(result);
          else waiting.resolve(result);
        });
        // A run the sweep could not read is read by its own target's next read, as before.
        const answers = new Map<FollowMember, Map<string, Observation>>();
        others.forEach(({ member, handle }, i) => {
          const result = results[batch.length + i];
          if (result === undefined || result instanceof Error) return;
          if (!answers.has(member)) answers.set(member, new Map());
          answers.get(member)!.set(handle.runId, result);
        });
        for (const [member, read] of answers) if (this.members.has(member)) member.covered(at, read);
      } catch (error) {
        for (const waiting of batch) waiting.reject(error);
      }
    });
  }
}

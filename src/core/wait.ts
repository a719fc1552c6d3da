/**
 * The one way to wait, as the AWS SDK v3 waiters do (`@smithy/util-waiter`): read → acceptors → a result
 * value, never an exception for the expected outcomes.
 *
 * Each read's observation goes through the acceptors in order; the first that matches decides: `success` or
 * `failure` ends the wait, `retry` reads again after the schedule's next gap. No acceptor matching means
 * retry too. The wait ends in `timeout` when the next sleep would reach the deadline (it sleeps up to it,
 * then stops: there is no read at or after the deadline), and in `aborted` when the signal fires. Every
 * sleep goes through the injected clock, so tests and the proof run waits on fake time.
 *
 * A window that ends before the deadline (e.g. "a triggered run shows up within 5 minutes") is an acceptor:
 * `windowEnd` cuts the gaps so that one read falls exactly at the window's end, where the acceptor decides.
 */
import type { Clock } from './clock.js';

export type AcceptorState = 'success' | 'failure' | 'retry';

export interface Acceptor<O> {
  /** Names what it accepts, e.g. `run found`, `target idle`, `run ended`, `cancel settled`. */
  readonly name: string;
  readonly state: AcceptorState;
  /** Whether this observation (read at clock time `now`) is the acceptor's. */
  matches(observation: O, now: number): boolean;
}

export type WaitResult<O> =
  | { state: 'success' | 'failure'; acceptor: string; observation: O; reads: number }
  /** The deadline came first; the last observation, when there was a read. */
  | { state: 'timeout'; observation?: O; reads: number }
  /** The signal fired: its reason, and the last observation. */
  | { state: 'aborted'; reason: unknown; observation?: O; reads: number };

export interface WaitOptions<O> {
  read(): Promise<O>;
  accept: ReadonlyArray<Acceptor<O>>;
  /** The gap before the next read (e.g. a PollSchedule's `next`). */
  schedule(): number;
  /** Clock time; no read at or after it (default: none). */
  deadline?: number;
  /** Clock time; gaps are cut so that a read falls at it (the end of a window an acceptor watches). */
  windowEnd?: number;
  signal?: AbortSignal;
  clock: Clock;
  /** Called after each read the acceptors left undecided, before the sleep (progress lines, heartbeats). */
  onRetry?(observation: O): void;
}

export async function waitFor<O>(options: WaitOptions<O>): Promise<WaitResult<O>> {
  const { clock, signal } = options;
  let reads = 0;
  let observation: O | undefined;
  const last = () => (reads > 0 ? { observation: observation as O } : {});
  for (;;) {
    if (signal?.aborted) return { state: 'aborted', reason: signal.reason, reads, ...last() };
    observation = await options.read();
    reads++;
    const now = clock.now();
    const decided = options.accept.find((acceptor) => acceptor.matches(observation as O, now));
    if (decided && decided.state !== 'retry') return { state: decided.state, acceptor: decided.name, observation, reads };
    options.onRetry?.(observation);
    let gap = options.schedule();
    const after = clock.now();
    if (options.windowEnd !== undefined && after < options.windowEnd) gap = Math.min(gap, options.windowEnd - after);
    const left = options.deadline === undefined ? Infinity : options.deadline - after;
    try {
      await clock.sleep(Math.max(0, Math.min(gap, left)), signal);
    } catch (error) {
      if (signal?.aborted) return { state: 'aborted', reason: signal.reason, reads, ...last() };
      throw error;
    }
    if (gap >= left) return { state: 'timeout', reads, ...last() };
  }
}

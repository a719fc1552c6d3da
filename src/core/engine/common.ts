/**
 * What the engine's parts share: its options and outcome, the stop and failure signals, how a followed run
 * is known to be ours, and the one-line descriptions used in messages.
 */
import type { Clock } from '../clock.js';
import type { HttpClientOptions } from '../http/index.js';
import type { RunState, StepStatus, TargetResult } from '../outcome.js';
import type { Observation, Provider, ProviderLoader, ResolvedTarget, RunHandle } from '../provider.js';

export interface EngineOptions {
  loadProvider: ProviderLoader;
  clock?: Clock;
  /** Overrides for the HTTP client (tests: shorter per-request timeouts, retry delays). */
  http?: Partial<HttpClientOptions>;
  /** How long a triggered run may take to show up (default 5 minutes, never past the timeout). */
  startWindowMs?: number;
  /** How long to look for the run of a trigger whose answer was lost, before sending it again. */
  confirmWindowMs?: number;
  /** A progress line this often while nothing changes (default 5 minutes). */
  heartbeatMs?: number;
  /** Time allowed for cancelling remote runs after a timeout or cancellation. */
  cancelBudgetMs?: number;
  /** How long a composite run must keep looking finished before it is green (ProviderDeps.settleMs). */
  settleMs?: number;
  /** How runs are followed. The defaults are the product's; benchmarks compare the alternatives. */
  polling?: PollingOptions;
}

export interface PollingOptions {
  /** 'adaptive' (default): quick reads, then by history or a ramp to poll-interval. 'fixed': a read every poll-interval, as peer actions do. */
  strategy?: 'adaptive' | 'fixed';
  /** Place reads by the target's run history, where the provider offers it (default true). */
  history?: boolean;
  /** With history, early gaps may exceed poll-interval while the history rules out an end (default 'history'; see poll.ts). */
  earlyGaps?: 'history' | 'poll-interval';
  /** A cap on such early gaps, in poll-intervals (default none: the history's end-chance bound alone; see poll.ts). */
  earlyGapFactor?: number;
  /** With history, spend this share of fixed polling's reads instead of aiming at the lag goal (see poll.ts). */
  budgetShare?: number;
  /** Read the runs a step follows together, where the provider can (default true). */
  batch?: boolean;
}

export interface StepOutcome {
  status: StepStatus;
  exitCode: number;
  results: TargetResult[];
  summaryMarkdown: string;
  logFile: string;
  /** One line for the CI system's failure message, when the step does not pass. */
  failureLine?: string;
  /**
   * Which targets did not succeed, by name and status only (`1 of 2 targets did not succeed: a (failed)`):
   * the closing line of a log that already shows each failure in full (the CLI's).
   */
  failingTargetsLine?: string;
}

export type AnyProvider = Provider<ResolvedTarget, RunHandle, unknown>;

/** Why following a target stopped early: the step's deadline, a CI cancellation or fail-fast. */
export class StopSignal extends Error {
  constructor(
    readonly status: 'cancelled' | 'timed-out',
    message: string,
  ) {
    super(message);
  }
}

/** A target failed for a reason the engine states itself (one line, no hint needed). */
export class TargetFailure extends Error {}

export function stopReason(error: unknown, signal: AbortSignal): StopSignal | undefined {
  if (error instanceof StopSignal) return error;
  if (signal.aborted && signal.reason instanceof StopSignal) return signal.reason;
  return undefined;
}

/** How a followed run is known to be ours or equivalent. */
export interface RunIdentity {
  /** The identity proof's line. */
  detail: string;
  /** This step started it (so it may cancel it); false for attached, waited-for or equivalent adopted runs. */
  ours: boolean;
  /** Adopted after the trigger's answer was lost: its run-id handle is marked `adopted:`. */
  adopted?: boolean;
}

/** Marks a run-id handle whose run was adopted after a lost trigger answer (mode: wait reads it). */
export const ADOPTED_PREFIX = 'adopted:';

export function stepStatusOf(state: RunState): StepStatus {
  if (state === 'succeeded') return 'succeeded';
  if (state === 'cancelled') return 'cancelled';
  return 'failed';
}

/** `Running`, `Aborted (failed)`, `running, backfill 40%`, or `not yet observed`. */
export function describe(observation: Observation | undefined): string {
  if (!observation) return 'not yet observed';
  const raw = observation.rawStatus || '(no status)';
  const state = raw.toLowerCase() === observation.state ? '' : ` (${observation.state})`;
  return `${raw}${state}${observation.progress ? `, ${observation.progress}` : ''}`;
}

export function formatMs(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return s % 60 ? `${m}m ${s % 60}s` : `${m}m`;
  const h = Math.floor(m / 60);
  return m % 60 ? `${h}h ${m % 60}m` : `${h}h`;
}

/**
 * The normalized run states and the result of one target.
 *
 * Every provider maps its own status words to RunState through one StatusTable; the engine turns the last
 * observation into a StepStatus. Only an explicit success word is ever green.
 */

/** What a single status read means, platform-neutral. */
export type RunState = 'queued' | 'running' | 'succeeded' | 'failed' | 'cancelled' | 'unknown';

/** The status a target ends the step with (the `status` output). */
export type StepStatus = 'succeeded' | 'failed' | 'cancelled' | 'timed-out' | 'triggered' | 'running';

export const TERMINAL_STATES: ReadonlySet<RunState> = new Set(['succeeded', 'failed', 'cancelled']);

/** A provider's status words, matched case-insensitively after trimming. */
export interface StatusTable {
  readonly succeeded: readonly string[];
  readonly failed: readonly string[];
  readonly cancelled: readonly string[];
  readonly queued: readonly string[];
  readonly running: readonly string[];
}

/**
 * Maps a raw status word to a RunState.
 * An unknown (or empty) word is `unknown` while the run has no end time, and `failed` once it has one:
 * a run we cannot read as a success is never reported as one. A known in-progress word stays in progress
 * even when an end time is already set (the run has ended only when its status is terminal too).
 */
export function normalizeStatus(table: StatusTable, raw: string | null | undefined, hasEnded: boolean): RunState {
  const word = (raw ?? '').trim().toLowerCase();
  const has = (list: readonly string[]) => list.some((w) => w.toLowerCase() === word);
  if (word !== '') {
    if (has(table.succeeded)) return 'succeeded';
    if (has(table.failed)) return 'failed';
    if (has(table.cancelled)) return 'cancelled';
    if (has(table.queued)) return 'queued';
    if (has(table.running)) return 'running';
  }
  return hasEnded ? 'failed' : 'unknown';
}

export function isTerminal(state: RunState): boolean {
  return TERMINAL_STATES.has(state);
}

/** One task (or node, or task run) of a run that did not succeed. */
export interface FailedTask {
  /** Display name, server text (neutralized when printed). */
  name: string;
  type?: string;
  id?: string;
  /** The platform's own status word. */
  status: string;
  startedAt?: string;
  finishedAt?: string;
  /** The last `log-lines` lines of its log (server text). */
  logExcerpt: string[];
  /** Lines that look like errors (for annotations), at most a handful. */
  errorLines: string[];
  /** Why there is no log excerpt (e.g. "Query tasks keep no log"), shown instead of an empty block. */
  logNote?: string;
  /** Number of log lines written to the log file for this task. */
  logLineCount?: number;
}

/**
 * One proof behind a verdict: whether it holds, and one line saying what was seen (or what is missing).
 * A target is green only when every proof that applies to it holds (product spec: verdicts from evidence).
 */
export interface Proof {
  ok: boolean;
  detail: string;
}

/**
 * The evidence of one target's verdict, recorded in `result`, JSON, JUnit and one summary line.
 * - identity: how we know the run followed is ours or equivalent (id in the trigger answer, a new run not in
 *   the baseline, our idempotency key or metadata, an adopted run after a lost trigger answer, a run id given);
 * - success: an explicit success word from the provider's status table;
 * - end: an end time, or the platform's equivalent;
 * - members: composite runs only (process maps, runs with task runs): at least one member of this run seen,
 *   every member of this run ended, none failed, and the platform's own failure counters agree;
 * - history: check mode only: every page needed was read, or the documented order was kept by the server.
 */
export interface Evidence {
  identity?: Proof;
  success?: Proof;
  end?: Proof;
  members?: Proof;
  history?: Proof;
}

export const PROOF_NAMES = ['identity', 'success', 'end', 'members', 'history'] as const;
export type ProofName = (typeof PROOF_NAMES)[number];

/** Names of the proofs that are required but missing or failing, in a fixed order. */
export function missingProofs(evidence: Evidence, required: readonly ProofName[]): ProofName[] {
  return PROOF_NAMES.filter((name) => required.includes(name) && evidence[name]?.ok !== true);
}

/** One line, e.g. `identity ✓ id in the trigger answer; success ✓ Finished; end ✗ no end time seen`. */
export function evidenceLine(evidence: Evidence): string {
  return PROOF_NAMES.filter((name) => evidence[name] !== undefined)
    .map((name) => `${name} ${evidence[name]!.ok ? '✓' : '✗'} ${evidence[name]!.detail}`)
    .join('; ');
}

/** Outcome of a cancel attempt of the remote run. */
export interface CancelReport {
  requested: boolean;
  /** True when the platform accepted the cancel request. */
  accepted: boolean;
  /** One line: what happened, or why the platform cannot cancel. */
  note: string;
}

/** The result of one target: one row of the summary, one object of the `result` output. */
export interface TargetResult {
  /** Human label of the target, e.g. `finance/Package/1005`. */
  target: string;
  platform: string;
  runId?: string;
  status: StepStatus;
  rawStatus?: string;
  startedAt?: string;
  finishedAt?: string;
  durationSeconds?: number;
  /** Note about the clock the times come from, e.g. "server local time". */
  timeNote?: string;
  failedTasks: FailedTask[];
  /** One line saying why the target is not green (or a notable remark when it is). */
  message?: string;
  /** Where the full log of this target went. */
  logFile?: string;
  cancel?: CancelReport;
  /** Extra facts worth showing (e.g. other runs that started in the same window). */
  notes?: string[];
  /** The proofs behind the status (every green target has all that apply to it). */
  evidence?: Evidence;
}

/** Exit codes of the CLI; the other front ends map them to their own pass/fail. */
export const EXIT = { succeeded: 0, failed: 1, badInput: 2, timedOut: 3 } as const;

/** The step's overall status from its targets: all green → succeeded; any timeout → timed-out; etc. */
export function overallStatus(results: readonly TargetResult[]): StepStatus {
  if (results.length === 0) return 'failed';
  const statuses = results.map((r) => r.status);
  if (statuses.every((s) => s === 'succeeded')) return 'succeeded';
  if (statuses.every((s) => s === 'triggered')) return 'triggered';
  if (statuses.every((s) => s === 'running' || s === 'triggered' || s === 'succeeded')) {
    return statuses.includes('running') ? 'running' : 'triggered';
  }
  if (statuses.includes('failed')) return 'failed';
  if (statuses.includes('timed-out')) return 'timed-out';
  if (statuses.includes('cancelled')) return 'cancelled';
  return 'failed';
}

/** Whether the step passes: every target succeeded, or (trigger mode) was triggered. */
export function stepPasses(results: readonly TargetResult[]): boolean {
  return results.length > 0 && results.every((r) => r.status === 'succeeded' || r.status === 'triggered' || r.status === 'running');
}

export function exitCodeFor(status: StepStatus): number {
  switch (status) {
    case 'succeeded':
    case 'triggered':
    case 'running':
      return EXIT.succeeded;
    case 'timed-out':
      return EXIT.timedOut;
    default:
      return EXIT.failed;
  }
}

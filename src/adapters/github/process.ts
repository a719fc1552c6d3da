/**
 * The Action's entry points as processes: the shared policy of ../entry.ts (signals, a hard exit as
 * backstop, one clear line for an unexpected fault) with what is the Action's own: lines through
 * `@actions/core`, the key from `INPUT_API-KEY`, the exit codes of the main and post steps.
 *
 * When a job is cancelled the runner sends SIGINT, then SIGTERM about 7.5 s later, then kills the process:
 * the hard exit comes 4.5 s after the first signal.
 */
import { cleanText, runProcess } from '../entry.js';
import type { CoreApi } from './host.js';

export { isProcessEntry } from '../entry.js';

export interface EntryOptions {
  /** Used in messages: `orchestration-run` or `orchestration-run post`. */
  label: string;
  /** Exit code of the hard exit after a signal (the post step never fails the job). */
  signalExitCode: number;
  /** Exit code for an unexpected fault. */
  faultExitCode: number;
  /** Milliseconds between the first signal and the forced exit. */
  hardExitMs?: number;
  /** Extra deadline for the whole step (post step), aborting the signal when reached. */
  deadlineMs?: number;
}

export const HARD_EXIT_MS = 4_500;
/** After the step resolved, lingering handles (a keep-alive socket, a timer) get this long before exit. */
const LINGER_MS = 2_000;

/** Runs a step as the process: returns nothing, sets the exit code, and exits on its own. */
export function runEntry(core: CoreApi, options: EntryOptions, step: (signal: AbortSignal) => Promise<number>): void {
  const { label } = options;
  const keys = () => [process.env['INPUT_API-KEY']];
  runProcess(
    {
      label,
      say: (line) => core.info(line),
      firstLine: (signal) => `${label}: ${signal} received (the job is being cancelled): stopping; remote runs are cancelled where the platform can`,
      abortReason: (signal) => new Error(`${signal} received`),
      hardExitMs: options.hardExitMs ?? HARD_EXIT_MS,
      stopNow: ({ kind, signal, hardExitMs }) => {
        if (kind === 'again') core.info(`${label}: ${signal} received again: exiting now`);
        else core.info(`${label}: still busy ${(hardExitMs / 1000).toFixed(1)}s after ${signal}: exiting before the runner kills the step`);
        return options.signalExitCode;
      },
      // The step may not have registered the key yet: the environment has it.
      secrets: keys,
      fault: (line, error) => {
        // A step that must not fail the job (post) reports its fault as a warning.
        if (options.faultExitCode === 0) core.warning(line);
        else core.setFailed(line);
        // The stack only in debug lines (shown when step debug logging is on), one line each.
        if (error instanceof Error && error.stack) for (const stackLine of cleanText(error.stack, keys()).split('\n')) core.debug(stackLine);
        return options.faultExitCode;
      },
      lingerMs: LINGER_MS,
      deadlineMs: options.deadlineMs,
    },
    step,
  );
}

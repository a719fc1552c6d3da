/**
 * Process wiring of the Action's entry points: cancellation signals, a hard exit as backstop, and one clear
 * line (never a stack trace, never exit 0) for an unexpected fault.
 *
 * When a job is cancelled the runner sends SIGINT, then SIGTERM about 7.5 s later, then kills the process.
 * The first signal aborts the step's AbortSignal (the engine stops following, cancels remote runs where the
 * platform can, writes outputs and summary); a timer then makes sure the process is gone within 5 s even if
 * something hangs. A second signal exits at once.
 */
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { maskSecrets, neutralize } from '../../core/untrusted.js';
import type { CoreApi } from './host.js';

/**
 * Whether the module at `moduleUrl` is the script node was started with (`node dist/main/index.js`), and not
 * a module imported by another program (a test, `@github/local-action`).
 */
export function isProcessEntry(moduleUrl: string, argv1: string | undefined = process.argv[1]): boolean {
  if (argv1 === undefined || !moduleUrl.startsWith('file:')) return false;
  const real = (path: string) => {
    try {
      return realpathSync(path);
    } catch {
      return path;
    }
  };
  return real(fileURLToPath(moduleUrl)) === real(argv1);
}

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

/** Text masked against the key from the environment (the step may not have registered it yet), neutralized. */
function clean(text: string): string {
  const key = process.env['INPUT_API-KEY'];
  const secrets = key && key.trim() ? [key, key.trim()] : [];
  return neutralize(maskSecrets(text, secrets));
}

/** One line for the log. */
function oneLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return clean(message).replace(/\s*\n\s*/g, ' ').trim() || 'unknown error';
}

/** Runs a step as the process: returns nothing, sets the exit code, and exits on its own. */
export function runEntry(core: CoreApi, options: EntryOptions, step: (signal: AbortSignal) => Promise<number>): void {
  const controller = new AbortController();

  const onSignal = (name: NodeJS.Signals) => {
    if (controller.signal.aborted) {
      core.info(`${options.label}: ${name} received again: exiting now`);
      process.exit(options.signalExitCode);
    }
    core.info(`${options.label}: ${name} received (the job is being cancelled): stopping; remote runs are cancelled where the platform can`);
    controller.abort(new Error(`${name} received`));
    const hardExit = setTimeout(() => {
      core.info(`${options.label}: still busy ${((options.hardExitMs ?? HARD_EXIT_MS) / 1000).toFixed(1)}s after ${name}: exiting before the runner kills the step`);
      process.exit(options.signalExitCode);
    }, options.hardExitMs ?? HARD_EXIT_MS);
    hardExit.unref();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  const fault = (error: unknown) => {
    const line = `${options.label}: internal error: ${oneLine(error)}`;
    // A step that must not fail the job (post) reports its fault as a warning.
    if (options.faultExitCode === 0) core.warning(line);
    else core.setFailed(line);
    // The stack only in debug lines (shown when step debug logging is on), one line each.
    if (error instanceof Error && error.stack) for (const line of clean(error.stack).split('\n')) core.debug(line);
    process.exitCode = options.faultExitCode;
  };
  process.on('uncaughtException', (error) => {
    fault(error);
    process.exit(options.faultExitCode);
  });
  process.on('unhandledRejection', (reason) => {
    fault(reason);
    process.exit(options.faultExitCode);
  });

  let signal = controller.signal;
  if (options.deadlineMs !== undefined) signal = AbortSignal.any([signal, AbortSignal.timeout(options.deadlineMs)]);

  step(signal).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => fault(error),
  ).finally(() => {
    // Everything is reported; do not let a lingering handle keep the job waiting.
    setTimeout(() => process.exit(), LINGER_MS).unref();
  });
}

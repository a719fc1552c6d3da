/**
 * The process policy of every front end (the Action's main and post steps, the Azure DevOps task, the CLI):
 * cancellation signals, a hard exit as backstop, one clear line for an unexpected fault, and an exit that a
 * stray handle cannot hold up. Each front end passes only what differs: how it prints and fails, its exit
 * codes, the keys to mask, its times.
 *
 * - The first SIGINT/SIGTERM (a CI system cancelling the job, or Ctrl-C) aborts the step's AbortSignal and
 *   says so once: the engine stops following, cancels remote runs where the platform can, writes outputs and
 *   summary. CI systems send SIGINT, then SIGTERM some seconds later, then kill the process.
 * - A second signal exits at once; a timer started by the first one exits when the step has not stopped in
 *   time (before the CI system's kill).
 * - An uncaught exception or unhandled rejection, or a step that rejects, becomes one line,
 *   `<label>: internal error: <message>`, masked against the keys and neutralized: never a stack trace, never
 *   an exit code the front end did not choose for a fault.
 * - Once the step resolved, a lingering handle (a keep-alive socket, a timer) gets a short time, then the
 *   process exits.
 *
 * Everything the policy does to the process goes through ProcessHooks, so the unit tests can drive it without
 * signalling or exiting jest.
 */
import { realpathSync } from 'node:fs';
import { setFlagsFromString } from 'node:v8';
import { fileURLToPath } from 'node:url';
import { maskSecrets, neutralize, neutralizeLine, secretPieces } from '../core/untrusted.js';
import { errorText } from '../core/text.js';

/** What the policy needs of `process` (and of the timers): `nodeProcess()` in production, a stand-in in tests. */
export interface ProcessHooks {
  onSignal(listener: (signal: string) => void): void;
  onFault(listener: (error: unknown) => void): void;
  exit(code?: number): void;
  setExitCode(code: number): void;
  /** A timer that does not keep the process alive. */
  later(fn: () => void, ms: number): void;
  /** Bounds the process's memory before the step starts (see `boundMemory`). */
  boundHeap(): void;
}

/** The real process. */
export function nodeProcess(): ProcessHooks {
  return {
    onSignal: (listener) => {
      process.on('SIGINT', listener);
      process.on('SIGTERM', listener);
    },
    onFault: (listener) => {
      process.on('uncaughtException', listener);
      process.on('unhandledRejection', listener);
    },
    exit: (code) => process.exit(code),
    setExitCode: (code) => {
      process.exitCode = code;
    },
    later: (fn, ms) => void setTimeout(fn, ms).unref(),
    boundHeap: boundMemory,
  };
}

/**
 * V8 settings that bound a step's memory, of the kind V8 reads at run time rather than at start (the heap
 * size flags are read once, and NODE_OPTIONS may not carry these):
 *
 * - V8 doubles its young generation whenever enough objects outlive their first collection, up to 32 MiB on
 *   Node 20 and 64-128 MiB on Node 24, and never gives it back: a step that streams a 200,000-line log (each
 *   entry read, masked, written and dropped) would end up holding that much empty heap. A CI step gains
 *   nothing from a larger young generation but a little less collection work, so it stays at its starting
 *   size (`--semi-space-growth-factor=1`).
 * - The HTTP client's parser (undici's llhttp) is WebAssembly. After the first requests V8 compiles it again
 *   with its optimizing compiler, in the background, which takes about 30 MiB on Node 20 and 20 MiB on Node
 *   24 for a fifth of a second: the peak of a whole short run (100 and 98 MiB; 64 and 76 MiB without it).
 *   The baseline compiler's code parses a status answer or a log as well (`--no-wasm-tier-up`,
 *   `--no-wasm-dynamic-tiering`; a short run then takes less CPU, not more).
 *
 * Measured in bench/live-logs.mjs, bench/logs.mjs and bench/startup.mjs.
 */
export function boundMemory(): void {
  setFlagsFromString('--semi-space-growth-factor=1');
  setFlagsFromString('--no-wasm-tier-up');
  setFlagsFromString('--no-wasm-dynamic-tiering');
}

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

/** Why the process exits before the step is done. */
export interface EarlyExit {
  /** `again`: a second signal; `late`: the hard-exit time after the first signal passed. */
  kind: 'again' | 'late';
  /** The signal of this exit: the second one (`again`) or the first (`late`). */
  signal: string;
  /** The hard-exit time, for the message. */
  hardExitMs: number;
}

export interface SignalOptions {
  /** Aborted on the first signal. */
  controller: AbortController;
  /** The line said on the first signal; nothing is said when it returns undefined. */
  firstLine(signal: string): string | undefined;
  say(line: string): void;
  /** What the step's signal is aborted with (default: the signal's own AbortError). */
  abortReason?(signal: string): unknown;
  /** Milliseconds from the first signal to the forced exit; none when undefined. */
  hardExitMs?: number;
  /** Says and writes what it must before an early exit; returns the exit code. */
  stopNow(why: EarlyExit): number;
  exit(code: number): void;
  /** A timer that does not keep the process alive (default: an unref'd setTimeout). */
  later?(fn: () => void, ms: number): void;
}

/** The signal listener: the first signal aborts and arms the hard exit; a second one exits at once. */
export function signalHandler(options: SignalOptions): (signal: string) => void {
  const later = options.later ?? ((fn, ms) => void setTimeout(fn, ms).unref());
  let received = 0;
  const stop = (why: EarlyExit) => options.exit(options.stopNow(why));
  return (signal: string) => {
    received++;
    const hardExitMs = options.hardExitMs ?? 0;
    if (received > 1) {
      stop({ kind: 'again', signal, hardExitMs });
      return;
    }
    const line = options.firstLine(signal);
    if (line !== undefined) options.say(line);
    if (options.abortReason) options.controller.abort(options.abortReason(signal));
    else options.controller.abort();
    if (options.hardExitMs !== undefined) later(() => stop({ kind: 'late', signal, hardExitMs }), options.hardExitMs);
  };
}

/** Line breaks with the blanks around them, so a multi-line message reads as one sentence. */
const BREAK_WITH_BLANKS = /[ \t]*(?:\r\n|[\n\r\u0085\u2028\u2029])\s*/g;

/** `text` masked against the keys (each as given, trimmed and in its pieces) and neutralized, line by line. */
export function cleanText(text: string, secrets: readonly (string | undefined)[]): string {
  return neutralize(maskSecrets(text, secrets.flatMap(secretPieces)));
}

/** The one line for an unexpected fault: `<label>: internal error: <message>`, masked and neutralized. */
export function faultLine(label: string, error: unknown, secrets: readonly (string | undefined)[]): string {
  const message = errorText(error);
  const text = neutralizeLine(maskSecrets(message, secrets.flatMap(secretPieces)).replace(BREAK_WITH_BLANKS, ' ')).trim();
  return `${label}: internal error: ${text || 'unknown error'}`;
}

export interface EntryOptions extends Omit<SignalOptions, 'controller' | 'exit' | 'later'> {
  /** Starts every line the policy makes: `orchestration-run`, `orchestration-run post`. */
  label: string;
  /** The keys to mask in a fault line, read when the fault happens (the step may not have registered them). */
  secrets(): readonly (string | undefined)[];
  /** Reports the fault line (as an error, or a warning for a step that must not fail); returns the exit code. */
  fault(line: string, error: unknown): number;
  /** After the step resolved, lingering handles get this long before the process exits. */
  lingerMs: number;
  /** A deadline for the whole step (the post step's), aborting its signal when reached. */
  deadlineMs?: number;
  /** The process's exit code for the step's result (default: the result). */
  exitCode?(result: number): number;
}

/**
 * Runs `step` as the process: installs the signal and fault policy, sets the exit code from the step's
 * result, and exits on its own. Returns at once.
 */
export function runProcess(options: EntryOptions, step: (signal: AbortSignal) => Promise<number>, hooks: ProcessHooks = nodeProcess()): void {
  hooks.boundHeap();
  const controller = new AbortController();
  hooks.onSignal(signalHandler({ ...options, controller, exit: (code) => hooks.exit(code), later: (fn, ms) => hooks.later(fn, ms) }));

  let faulted = false;
  const fault = (error: unknown) => {
    // A fault while reporting a fault: the first report is what counts.
    if (faulted) return hooks.exit();
    faulted = true;
    let code = 1;
    try {
      code = options.fault(faultLine(options.label, error, options.secrets()), error);
    } catch {
      // The report itself failed: the exit code still says so.
    }
    hooks.setExitCode(code);
    hooks.exit(code);
  };
  hooks.onFault(fault);

  let signal = controller.signal;
  if (options.deadlineMs !== undefined) signal = AbortSignal.any([signal, AbortSignal.timeout(options.deadlineMs)]);

  let running: Promise<number>;
  try {
    running = step(signal);
  } catch (error) {
    running = Promise.reject(error);
  }
  running.then(
    (result) => {
      hooks.setExitCode(options.exitCode ? options.exitCode(result) : result);
      // Everything is reported; do not let a lingering handle keep the job waiting.
      hooks.later(() => hooks.exit(), options.lingerMs);
    },
    fault,
  );
}

/**
 * The Azure DevOps task as a process: the shared policy of ../entry.ts with what is the agent's own. Loaded
 * by main.ts after the Node.js check and before azure-pipelines-task-lib: nothing here loads task-lib.
 *
 * The agent cancels a job with SIGINT, then SIGTERM about 7.5 s later, then kills. The first signal aborts
 * the step: the engine cancels the remote runs the platform can cancel and writes the summary. The task exits
 * within CANCEL_GRACE_MS anyway, before the agent's kill; a second signal exits at once. Either early exit
 * first writes what the host knows (status, run ids, result, summary) and sets the result.
 *
 * The agent takes the task's result from `task.complete`; a non-zero exit code would add its own "Exit code 1
 * returned from process" error beside ours. So the process exits 0 once a result is out, and non-zero only
 * when none could be written (a crash before that): with no result, the agent takes exit 0 as success.
 */
import { writeSync } from 'node:fs';
import type { EarlyExit, EntryOptions, SignalOptions } from '../entry.js';

/** How long a cancelled task may take to cancel remote runs and write its summary before it exits anyway. */
export const CANCEL_GRACE_MS = 5000;
/** After the result is set, a handle left open (a socket, a timer) must not keep the agent's job waiting. */
const LINGER_MS = 3000;

/** What the policy uses of the task's parts, each there once task.ts has made it. */
export interface TaskParts {
  console?: { release(): void; line(text: string): void; readonly completeWritten: boolean; readonly holding: boolean };
  completion?: { readonly isSet: boolean; failed(message: string): void };
  /** Writes what the step knows (status, run ids, result, summary) before an early exit. */
  host?: { writeKnown(status: 'cancelled', why: string): void };
}

/** A failed result in the agent's logging commands, straight to the descriptor (stdout may be held back). */
export function failDirectly(message: string): boolean {
  try {
    writeSync(1, `##vso[task.logissue type=error;]${message}\n##vso[task.complete result=Failed;]${message}\n`);
    return true;
  } catch {
    return false;
  }
}

/** The task's wording of the signal policy, and its early exit: what is known written, the result set. */
export function taskSignals(parts: () => TaskParts, graceMs = CANCEL_GRACE_MS): Pick<SignalOptions, 'firstLine' | 'say' | 'hardExitMs' | 'stopNow'> {
  const say = (line: string) => {
    const out = parts().console;
    if (out) out.line(line);
    else process.stdout.write(`${line}\n`);
  };
  return {
    say,
    firstLine: (signal) =>
      `orchestration-run: ${signal} received, the job is being cancelled: stopping, cancelling remote runs where the platform can, writing the summary`,
    hardExitMs: graceMs,
    stopNow: (exit: EarlyExit) => {
      const why = exit.kind === 'again' ? `${exit.signal} received while stopping` : `did not stop within ${Math.round(exit.hardExitMs / 1000)}s of ${exit.signal}`;
      const { console: out, completion, host } = parts();
      out?.release();
      say(`orchestration-run: ${why}; exiting now`);
      try {
        host?.writeKnown('cancelled', `the job was cancelled (${why})`);
      } catch {
        // The result below matters more than the outputs.
      }
      const message = `cancelled: the job was cancelled (${why})`;
      if (out && completion) {
        completion.failed(message);
        return out.completeWritten ? 0 : 1;
      }
      return failDirectly(message) ? 0 : 1;
    },
  };
}

/** The options of the shared entry for the task: `parts` fills in as task.ts makes them. */
export function taskEntry(parts: TaskParts): EntryOptions {
  return {
    label: 'orchestration-run',
    ...taskSignals(() => parts),
    secrets: () => [process.env.INPUT_APIKEY],
    fault: (line) => {
      // Break any command prefix left in the line; task.complete's own message is escaped by the agent's format.
      const message = line.replace(/#(?=#)/g, '#\u00b7').replace(/;/g, ',').replace(/]/g, ')');
      const { console: out, completion } = parts;
      let written = out?.completeWritten === true;
      if (completion && !completion.isSet && out && !out.holding) {
        completion.failed(message);
        written = out.completeWritten;
      } else if (!completion?.isSet) {
        // task-lib did not load, or the console still holds output back until the secrets are known (what it
        // holds is dropped): speak the agent's logging commands directly.
        written = failDirectly(message);
      }
      return written ? 0 : 1;
    },
    // The result went over task.complete (a failure too): exit 0, or the agent adds an "Exit code" error of its own.
    exitCode: () => (parts.console?.completeWritten ? 0 : 1),
    lingerMs: LINGER_MS,
  };
}

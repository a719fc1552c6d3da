/**
 * Entry point of the Azure DevOps task OrchestrationRun@1 (bundled to azure-task/OrchestrationRunV1/dist/index.js,
 * started by the agent's Node24 or Node20_1 handler).
 *
 * First the Node.js version: on an older Node (an agent's Node 16 fallback) the task fails with one line naming
 * the requirement, before anything that needs a newer Node is loaded.
 *
 * The agent takes the task's result from `task.complete`; a non-zero exit code would add its own "Exit code 1
 * returned from process" error beside ours. So the process exits 0 once a result is out, and non-zero only
 * when none could be written (a crash before that): with no result, the agent takes exit 0 as success, so
 * until a result is out the exit code is a failure. An unexpected exception or rejection completes the task
 * once, as failed, with one line (no stack trace, no key) and exits.
 */
import { writeSync } from 'node:fs';
import { nodeVersionProblem } from './node-version.js';
import type { AgentConsole } from './host.js';
import type { TaskCompletion } from './run.js';

process.exitCode = 1;
const ref: { completion?: TaskCompletion; console?: AgentConsole } = {};

/** A failed result in the agent's logging commands, straight to the descriptor (stdout may be held back). */
function failDirectly(message: string): boolean {
  try {
    writeSync(1, `##vso[task.logissue type=error;]${message}\n##vso[task.complete result=Failed;]${message}\n`);
    return true;
  } catch {
    return false;
  }
}

function crash(error: unknown): void {
  const key = process.env.INPUT_APIKEY;
  let message = (error instanceof Error ? error.message : String(error)).replace(/[\r\n]+/g, ' ');
  if (key) message = message.split(key).join('***');
  // Break any command prefix in the message; task.complete's own message is escaped by the agent's format.
  message = `internal error: ${message.replace(/#(?=#)/g, '#\u00b7').replace(/;/g, ',').replace(/]/g, ')')}`;
  let written = ref.console?.completeWritten === true;
  if (ref.completion && !ref.completion.isSet && ref.console && !ref.console.holding) {
    ref.completion.failed(message);
    written = ref.console.completeWritten;
  } else if (!ref.completion?.isSet) {
    // task-lib did not load, or the console still holds output back until the secrets are known (what it
    // holds is dropped): speak the agent's logging commands directly.
    written = failDirectly(message);
  }
  process.exit(written ? 0 : 1);
}

const tooOld = nodeVersionProblem(process.versions.node);
if (tooOld !== undefined) {
  process.exit(failDirectly(tooOld) ? 0 : 1);
}

process.on('uncaughtException', crash);
process.on('unhandledRejection', crash);

try {
  const task = await import('./task.js');
  await task.main(ref);
} catch (error) {
  crash(error);
}

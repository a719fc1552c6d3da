/**
 * Entry point of the Azure DevOps task OrchestrationRun@1 (bundled to azure-task/OrchestrationRunV1/dist/index.js,
 * started by the agent's Node24 or Node20_1 handler).
 *
 * The exit code is a failure until the task has completed: a throw while task-lib loads must never look like
 * success. An unexpected exception or rejection completes the task once, as failed, with one line (no stack
 * trace, no key) and exits.
 */
import { writeSync } from 'node:fs';
import type { TaskCompletion } from './run.js';

process.exitCode = 1;
const ref: { completion?: TaskCompletion } = {};

function crash(error: unknown): void {
  const key = process.env.INPUT_APIKEY;
  let message = (error instanceof Error ? error.message : String(error)).replace(/[\r\n]+/g, ' ');
  if (key) message = message.split(key).join('***');
  // Break any command prefix in the message; task.complete's own message is escaped by the agent's format.
  message = `internal error: ${message.replace(/#(?=#)/g, '#\u00b7').replace(/;/g, ',').replace(/]/g, ')')}`;
  if (ref.completion && !ref.completion.isSet) ref.completion.failed(message);
  else if (!ref.completion) {
    // task-lib did not load: speak the agent's logging commands directly (an error issue, then the result),
    // straight to the descriptor: early-output.ts may be holding process.stdout back.
    writeSync(1, `##vso[task.logissue type=error;]${message}\n##vso[task.complete result=Failed;]${message}\n`);
  }
  process.exit(1);
}

process.on('uncaughtException', crash);
process.on('unhandledRejection', crash);

try {
  const task = await import('./task.js');
  await task.main(ref);
} catch (error) {
  crash(error);
}

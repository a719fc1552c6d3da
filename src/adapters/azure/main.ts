/**
 * Entry point of the Azure DevOps task OrchestrationRun@1 (bundled to azure-task/OrchestrationRunV1/dist/index.js,
 * started by the agent's Node24 or Node20_1 handler).
 *
 * First the Node.js version: on an older Node (an agent's Node 16 fallback) the task fails with one line naming
 * the requirement, before anything that needs a newer Node is loaded. Then the process policy shared by the
 * front ends (../entry.ts, with the agent's specifics from process.ts), and only then task.ts, which loads
 * azure-pipelines-task-lib: a fault while it loads is caught by that policy.
 *
 * Until a result is out the exit code is a failure: with no result, the agent takes exit 0 as success.
 */
import { nodeVersionProblem } from './node-version.js';
// Nothing in process.ts needs a newer Node (nor task-lib): it may load before the check.
import { failDirectly, taskEntry, type TaskParts } from './process.js';

process.exitCode = 1;

const tooOld = nodeVersionProblem(process.versions.node);
if (tooOld !== undefined) {
  process.exit(failDirectly(tooOld) ? 0 : 1);
}

const { runProcess } = await import('../entry.js');
const parts: TaskParts = {};
runProcess(taskEntry(parts), async (signal) => {
  const task = await import('./task.js');
  return task.main(parts, signal);
});

/**
 * The Azure DevOps task OrchestrationRun@1, loaded by main.ts. With host.ts and run.ts, the only code that
 * knows azure-pipelines-task-lib.
 */
// First: task-lib prints while it loads (see early-output.ts).
import { releaseEarlyOutput } from './early-output.js';
import * as tl from 'azure-pipelines-task-lib/task.js';
import { loadProvider } from '../../providers/registry.js';
import { AgentConsole } from './host.js';
import type { TaskParts } from './process.js';
import { runTask, TaskCompletion } from './run.js';

/**
 * Runs the task with the process's signal; `parts` gets the console, the result and the host as they are
 * made, for the process policy (an early exit after a signal, a fault). Resolves to the step's exit code.
 */
export async function main(parts: TaskParts, signal: AbortSignal): Promise<number> {
  const early = releaseEarlyOutput();
  const out = new AgentConsole((text) => void process.stdout.write(text));
  // What task-lib printed while loading waits with the rest until the secrets are registered.
  out.hold();
  for (const text of early) out.stream.write(text);
  parts.console = out;
  const completion = new TaskCompletion(tl);
  parts.completion = completion;
  return runTask({ tl, console: out, env: process.env, signal, loadProvider, onHost: (host) => (parts.host = host) }, completion);
}

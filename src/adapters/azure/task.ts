/**
 * The Azure DevOps task OrchestrationRun@1, loaded by main.ts. With host.ts and run.ts, the only code that
 * knows azure-pipelines-task-lib.
 */
// First: task-lib prints while it loads (see early-output.ts).
import { releaseEarlyOutput } from './early-output.js';
import * as tl from 'azure-pipelines-task-lib/task.js';
import { loadProvider } from '../../providers/registry.js';
import { AgentConsole, type AzureHost } from './host.js';
import { cancellationHandler, runTask, TaskCompletion } from './run.js';

/** After the result is set, a handle left open (a socket, a timer) must not keep the agent's job waiting. */
const LINGER_MS = 3000;

export async function main(ref: { completion?: TaskCompletion; console?: AgentConsole }): Promise<void> {
  const early = releaseEarlyOutput();
  const out = new AgentConsole((text) => void process.stdout.write(text));
  // What task-lib printed while loading waits with the rest until the secrets are registered.
  out.hold();
  for (const text of early) out.stream.write(text);
  ref.console = out;
  const completion = new TaskCompletion(tl);
  ref.completion = completion;
  const controller = new AbortController();
  let host: AzureHost | undefined;
  const onSignal = cancellationHandler({ console: out, completion, controller, exit: (code) => process.exit(code), host: () => host });
  process.on('SIGINT', () => onSignal('SIGINT'));
  process.on('SIGTERM', () => onSignal('SIGTERM'));

  await runTask({ tl, console: out, env: process.env, signal: controller.signal, loadProvider, onHost: (h) => (host = h) }, completion);
  // The result went over task.complete (a failure too): exit 0, or the agent adds an "Exit code" error of its own.
  process.exitCode = out.completeWritten ? 0 : 1;
  setTimeout(() => process.exit(), LINGER_MS).unref();
}


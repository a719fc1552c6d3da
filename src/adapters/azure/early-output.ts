/**
 * Holds back what is written to stdout while azure-pipelines-task-lib loads. main.ts imports this module
 * first: task-lib prints debug lines as it loads, one of them the agent's proxy password
 * (`Agent.ProxyPassword=…`), before the task can register anything as a secret. The held text goes out
 * through the AgentConsole, masked, once the secrets are known.
 */
const held: string[] = [];
const originalWrite = process.stdout.write;

process.stdout.write = function holdEarlyOutput(chunk: unknown, encoding?: unknown, callback?: unknown): boolean {
  held.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk as Uint8Array).toString('utf8'));
  const done = typeof encoding === 'function' ? encoding : callback;
  if (typeof done === 'function') process.nextTick(done as () => void);
  return true;
} as typeof process.stdout.write;

/** Restores stdout and returns what was written meanwhile. */
export function releaseEarlyOutput(): string[] {
  process.stdout.write = originalWrite;
  return held.splice(0);
}

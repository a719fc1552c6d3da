/** The CLI's `main` in this process: what a process would print and its exit code, without starting one. */
import { main } from '../../src/adapters/cli/main.js';

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

export async function runCliInProcess(args: string[], env: Record<string, string | undefined>): Promise<CliRun> {
  let stdout = '';
  let stderr = '';
  const code = await main(args, {
    stdout: (line) => void (stdout += `${line}\n`),
    stderr: (line) => void (stderr += `${line}\n`),
    env,
    signal: new AbortController().signal,
  });
  return { code, stdout, stderr };
}

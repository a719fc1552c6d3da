/**
 * `npm run simulator` speaks to a newcomer: for each platform it prints the base URL exactly as --base-url
 * takes it, the demo key, and a ready-to-paste command; each printed command really runs against it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';

const root = process.cwd();
let sim: ChildProcess | undefined;

afterEach(async () => {
  if (sim && sim.exitCode === null) {
    sim.kill('SIGTERM');
    await once(sim, 'exit');
  }
});

async function startSimulator(): Promise<string> {
  sim = spawn(process.execPath, [join(root, 'lib/simulator/main.js')], { env: { ...process.env, SIMULATOR_TIME_SCALE: '50' } });
  let out = '';
  sim.stdout!.setEncoding('utf8');
  for await (const chunk of sim.stdout!) {
    out += chunk;
    if (out.includes('Press Ctrl+C')) break;
  }
  return out;
}

function runCli(args: string[], env: Record<string, string>): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [join(root, 'lib/adapters/cli/index.js'), ...args], { env: { ...process.env, ...env, CI: '' } });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    child.on('exit', (code) => resolve({ code, out }));
  });
}

test('prints per platform its base URL, demo key and a command that runs as printed', async () => {
  const banner = await startSimulator();
  for (const name of ['TimeXtender', 'Qarion', 'Planasonix']) expect(banner).toMatch(new RegExp(`^${name}\\n  --base-url http://127\\.0\\.0\\.1:\\d+\\n  demo key: +\\S+`, 'm'));
  const commands = [...banner.matchAll(/^ {2}try: +(\w+)=(\S+) npx orchestration-run (.+)$/gm)];
  expect(commands).toHaveLength(3);
  for (const [, variable, key, rest] of commands) {
    // The key travels in the environment, as the banner says; never on the command line.
    expect(rest).not.toContain(key!);
    const args = rest!.split(' ');
    const { code, out } = await runCli(args, { [variable!]: key! });
    // The demo world has a success and two failures with log lines: a verdict, never an input or key error.
    expect([0, 1]).toContain(code);
    expect(out).toMatch(/^Target +Run id +Status/m);
    expect(out).not.toMatch(/Input '|401|403/);
  }
}, 60_000);

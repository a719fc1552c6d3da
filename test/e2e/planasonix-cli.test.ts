/**
 * The CLI as a user runs it against Planasonix: a subprocess (the compiled lib/, built by `npm test` before
 * jest) talking over loopback to the simulator, which runs in this test process so the journal and the
 * world can be inspected. Exit codes: 0 succeeded, 1 failed or cancelled, 2 bad input, 3 timed out.
 */
import { spawn } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CONN, PLX_KEY, plxWorld, type PlxWorld } from '../helpers/planasonix.js';

const CLI = join(process.cwd(), 'lib', 'adapters', 'cli', 'index.js');

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function cli(args: string[], onStart?: (pid: number) => void): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], {
      env: { PATH: process.env.PATH ?? '', ORCHESTRATION_RUN_API_KEY: PLX_KEY, ORCHESTRATION_RUN_LOG_DIR: tmpdir() },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    if (onStart && child.pid) onStart(child.pid);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

let w: PlxWorld;
beforeEach(async () => {
  w = await plxWorld({}, { seed: 11 });
});
afterEach(async () => {
  await w.close();
});

const base = () => ['--platform', 'planasonix', '--base-url', w.baseUrl, '--connection', CONN, '--poll-interval', '200ms'];

test('a sync that succeeds: exit 0, the job id in the JSON results', async () => {
  const run = await cli([...base(), '--timeout', '60s', '--json']);
  expect(run.code).toBe(0);
  const [job] = w.plx.jobs(CONN);
  const results = JSON.parse(run.stdout) as Array<Record<string, unknown>>;
  expect(results).toEqual([expect.objectContaining({ target: `connection/${CONN}`, runId: job!.id, status: 'succeeded', rawStatus: 'completed' })]);
  // No CI run id on a local run: a random idempotency key per invocation.
  expect(w.sim.journal.entries({ method: 'POST' })[0]!.headers['idempotency-key']).toMatch(/^orun-local-/);
  for (const out of [run.stdout, run.stderr]) expect(out).not.toContain(PLX_KEY);
});

test('SIGINT mid-run: the job is cancelled, its final state printed, and the CLI exits non-zero promptly', async () => {
  w.plx.setSyncScenario(CONN, { outcome: 'hang' });
  let pid = 0;
  const started = Date.now();
  const done = cli([...base(), '--timeout', '60s'], (p) => (pid = p));
  // Interrupt once the job is being followed.
  while (Date.now() - started < 15_000 && w.sim.journal.count({ method: 'GET', path: /^\/api\/v1\/jobs\/job_/ }) === 0) {
    await new Promise((r) => setTimeout(r, 50));
  }
  await new Promise((r) => setTimeout(r, 300));
  const interruptedAt = Date.now();
  process.kill(pid, 'SIGINT');
  const run = await done;
  expect(Date.now() - interruptedAt).toBeLessThan(7000);
  expect(run.code).toBe(1);
  const [job] = w.plx.jobs(CONN);
  expect(w.sim.journal.count({ method: 'POST', path: `/api/v1/jobs/${job!.id}/cancel` })).toBe(1);
  expect(w.plx.cancels()).toEqual([expect.objectContaining({ kind: 'job', id: job!.id, status: 202 })]);
  expect(job!.status).toBe('cancelled');
  const all = run.stdout + run.stderr;
  expect(all).toMatch(/SIGINT received/);
  expect(all).toMatch(new RegExp(`run ${job!.id} ended cancelled.* after the cancel`));
  expect(run.stdout).toMatch(/cancelled/);
});

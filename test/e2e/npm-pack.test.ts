/**
 * The CLI as an npm package, the way a user gets it: `npm pack` (whose prepack bundles the program), the
 * tarball installed offline into an empty folder that knows nothing of this repository, and the program run
 * there with `npx --no-install orchestration-run` against the simulator over loopback.
 *
 * npm runs with a clean environment: a throwaway HOME and cache, offline, no update check, so the test
 * neither reads the user's npm configuration nor touches the network.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HELP_WIDTH, VERSION } from '../../src/adapters/cli/main.js';
import { PLATFORMS } from '../../src/providers/registry.js';
import type { Simulator } from '../../src/simulator/index.js';
import { KEY, tdpWorld, triggerPosts, WS } from '../helpers/tdp.js';

const ROOT = process.cwd();

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

let work: string;
let npmEnv: Record<string, string>;

function run(command: string, args: string[], cwd: string, env: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, env: { ...npmEnv, ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

interface PackEntry {
  filename: string;
  files: Array<{ path: string; mode: number }>;
}

let pack: PackEntry;
let packedManifest: Record<string, unknown>;
let app: string;

/** The packaged program, started the way a user starts it. */
const npx = (args: string[], env: Record<string, string> = {}) =>
  run('npx', ['--no-install', 'orchestration-run', ...args], app, { ORCHESTRATION_RUN_LOG_DIR: work, ...env });

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'npm-pack-'));
  npmEnv = {
    PATH: process.env.PATH ?? '',
    HOME: join(work, 'home'),
    npm_config_cache: join(work, 'npm-cache'),
    npm_config_offline: 'true',
    npm_config_update_notifier: 'false',
    npm_config_audit: 'false',
    npm_config_fund: 'false',
  };
  const packed = await run('npm', ['pack', '--json', '--pack-destination', work], ROOT);
  if (packed.code !== 0) throw new Error(`npm pack failed (${packed.code}):\n${packed.stderr}`);
  // The JSON is the last thing on stdout (the prepack script prints its own line first).
  pack = (JSON.parse(packed.stdout.slice(packed.stdout.indexOf('[\n'))) as PackEntry[])[0]!;

  app = mkdtempSync(join(work, 'empty-'));
  const installed = await run('npm', ['install', '--offline', '--no-audit', '--no-fund', join(work, pack.filename)], app);
  if (installed.code !== 0) throw new Error(`npm install of the tarball failed (${installed.code}):\n${installed.stderr}`);
  packedManifest = JSON.parse(readFileSync(join(app, 'node_modules', 'orchestration-run', 'package.json'), 'utf8')) as Record<string, unknown>;
}, 120_000);

afterAll(() => {
  rmSync(work, { recursive: true, force: true });
});

describe('the tarball', () => {
  test('holds the bundled program, the manifest, the README and the license: no sources, no lib/, no tests', () => {
    // The program, and the chunk its engine and providers load from once the inputs are valid.
    const chunks = pack.files.map((f) => f.path).filter((p) => /^dist-cli\/\d+\.index\.js$/.test(p));
    expect(pack.files.map((f) => f.path).sort()).toEqual(['LICENSE', 'README.md', ...chunks, 'dist-cli/index.js', 'dist-cli/licenses.txt', 'dist-cli/package.json', 'package.json'].sort());
    expect(pack.files.find((f) => f.path === 'dist-cli/index.js')!.mode & 0o111).not.toBe(0);
  });

  test('its manifest: publishable, no runtime dependencies, a bin with a shebang, the version of the CLI', () => {
    expect(packedManifest.private).toBeUndefined();
    expect(packedManifest.dependencies ?? {}).toEqual({});
    expect(packedManifest.version).toBe(VERSION);
    expect(packedManifest.bin).toEqual({ 'orchestration-run': 'dist-cli/index.js' });
    const bin = readFileSync(join(app, 'node_modules', 'orchestration-run', 'dist-cli', 'index.js'), 'utf8');
    expect(bin.startsWith('#!/usr/bin/env node\n')).toBe(true);
  });

  test('installed into an empty folder, it brings nothing else along', () => {
    const lock = JSON.parse(readFileSync(join(app, 'package-lock.json'), 'utf8')) as { packages: Record<string, unknown> };
    expect(Object.keys(lock.packages).sort()).toEqual(['', 'node_modules/orchestration-run']);
  });
});

describe('npx orchestration-run from the empty folder', () => {
  let sim: Simulator;
  beforeEach(async () => {
    sim = await tdpWorld();
  });
  afterEach(async () => {
    await sim.close();
  });

  test('--version and --help', async () => {
    expect(await npx(['--version'])).toEqual({ code: 0, stdout: `${VERSION}\n`, stderr: '' });
    const help = await npx(['--help']);
    expect(help.code).toBe(0);
    const lines = help.stdout.trimEnd().split('\n');
    expect(lines.filter((line) => [...line].length > HELP_WIDTH)).toEqual([]);
    expect(lines.filter((line) => /^\s+orchestration-run --platform /.test(line))).toHaveLength(PLATFORMS.length);
  });

  test('a run against the simulator: exit 0, the JSON result, one trigger', async () => {
    const result = await npx(
      ['--platform', 'timextender', '--base-url', sim.url, '--workspace', WS, '--task', 'Package/1005', '--poll-interval', '200ms', '--json'],
      { ORCHESTRATION_RUN_API_KEY: KEY },
    );
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual([expect.objectContaining({ target: 'finance/Package/1005', status: 'succeeded' })]);
    expect(triggerPosts(sim)).toBe(1);
    expect(result.stdout + result.stderr).not.toContain(KEY);
  });

  test('an unknown flag: exit 2, the suggestion, no request', async () => {
    const result = await npx(['--platform', 'timextender', '--base-url', sim.url, '--taks', 'Package/1005'], { ORCHESTRATION_RUN_API_KEY: KEY });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('did you mean --task?');
    expect(sim.journal.count()).toBe(0);
  });
});

/**
 * The command line itself, in process: flags parsed by `node:util` parseArgs, the same "did you mean" as the
 * inputs, `--version`, `-h`/`--help` (one usage line per platform, no line over 100 columns), and a key given
 * on the command line (works, warned about once). Runs against the simulator over loopback where a run is needed.
 */
import { runCliInProcess } from '../helpers/cli.js';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { helpText, parseArgs, UsageError, VERSION } from '../../src/adapters/cli/main.js';
import { INPUTS, PLATFORMS } from '../../src/providers/registry.js';
import type { Simulator } from '../../src/simulator/index.js';
import { KEY, tdpWorld, WS } from '../helpers/tdp.js';

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function cli(args: string[], env: Record<string, string> = {}): Promise<Run> {
  return runCliInProcess(args, { ORCHESTRATION_RUN_LOG_DIR: tmpdir(), ...env });
}

const lines = (text: string) => text.split('\n').filter((l) => l !== '');

describe('--help and --version', () => {
  test('no line of the help is wider than 100 columns', () => {
    const wide = helpText()
      .split('\n')
      .filter((line) => [...line].length > 100);
    expect(wide).toEqual([]);
  });

  test('one usage line per platform, each naming the platform', () => {
    const usage = helpText()
      .split('\n')
      .filter((line) => /^\s+orchestration-run --platform /.test(line));
    expect(usage.map((line) => /--platform (\S+)/.exec(line)![1])).toEqual([...PLATFORMS]);
  });

  test('every input and every CLI option is in the help', () => {
    const help = helpText();
    for (const def of INPUTS) expect(help).toContain(`--${def.name} `);
    for (const flag of ['--json', '--summary', '--junit', '--verbose', '-h, --help', '--version']) expect(help).toContain(flag);
  });

  test('a description too long for one line wraps under its own column, without losing a word', () => {
    const help = helpText();
    const def = INPUTS.find((d) => d.description.length > 100)!;
    const start = help.split('\n').findIndex((line) => line.startsWith(`  --${def.name} `));
    const column = help.split('\n')[start]!.indexOf(def.description.split(' ')[0]!);
    const continuation = help.split('\n')[start + 1]!;
    expect(continuation.slice(0, column).trim()).toBe('');
    expect(continuation[column]).not.toBe(' ');
    const joined = help.replace(/\n\s+/g, ' ');
    expect(joined).toContain(def.description);
  });

  test.each([['-h'], ['--help']])('%s prints the help and exits 0, whatever else is on the line', async (flag) => {
    const result = await cli(['--platform', 'nope', '--taks', 'x', flag]);
    expect(result).toEqual({ code: 0, stdout: `${helpText()}\n`, stderr: '' });
  });

  test('--version prints the version alone, the one package.json carries', async () => {
    const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { version: string };
    expect(VERSION).toBe(pkg.version);
    expect(await cli(['--version'])).toEqual({ code: 0, stdout: `${VERSION}\n`, stderr: '' });
  });
});

describe('flags', () => {
  test('repeated flags and --name=value give several lines, in order', () => {
    const args = parseArgs(['--task', 'Package/1', '--task=Package/2', '--platform=timextender', '--json', '--junit', 'r.xml']);
    expect(args.values.get('task')).toEqual(['Package/1', 'Package/2']);
    expect(args.values.get('platform')).toEqual(['timextender']);
    expect(args.values.get('junit-file')).toEqual(['r.xml']);
    expect(args.json).toBe(true);
  });

  test('a value may start with a dash when it is not a flag (e.g. a parameter)', () => {
    expect(parseArgs(['--parameters', '-x=1']).values.get('parameters')).toEqual(['-x=1']);
  });

  test.each([
    ['--taks', '--task'],
    ['--proces-map', '--process-map'],
    ['--processMap', '--process-map'],
    ['--plattform', '--platform'],
    ['--jsn', '--json'],
    ['--timout', '--timeout'],
    ['--verbos', '--verbose'],
  ])('unknown flag %s: did you mean %s (the inputs\' edit distance)', async (typo, meant) => {
    const result = await cli(['--platform', 'timextender', typo, 'x']);
    expect(result.code).toBe(2);
    expect(lines(result.stderr)).toEqual([`orchestration-run: unknown flag ${typo}; did you mean ${meant}? (see --help)`]);
  });

  test('an unknown flag far from every name gets no guess', async () => {
    const result = await cli(['--frobnicate', 'x']);
    expect(lines(result.stderr)).toEqual(['orchestration-run: unknown flag --frobnicate (see --help)']);
  });

  test.each([
    [['--task'], /flag --task needs a value, e.g. --task Package\/1005/],
    [['--api-key'], /flag --api-key needs a value; better, set ORCHESTRATION_RUN_API_KEY/],
    [['--task', '--json'], /flag --task needs a value/],
    [['Package/1005'], /unexpected argument 'Package\/1005'/],
    [['--json=yes'], /flag --json takes no value/],
    [['-x'], /unknown flag -x/],
  ])('%j: exit 2, one line', async (argv, message) => {
    const result = await cli(argv);
    expect(result.code).toBe(2);
    expect(lines(result.stderr)).toHaveLength(1);
    expect(result.stderr).toMatch(message);
    expect(result.stdout).toBe('');
  });

  test('parseArgs throws UsageError (the caller turns it into exit 2)', () => {
    expect(() => parseArgs(['--nope'])).toThrow(UsageError);
  });
});

describe('a key on the command line', () => {
  let sim: Simulator;
  beforeEach(async () => {
    sim = await tdpWorld();
  });
  afterEach(async () => {
    await sim.close();
  });
  const base = () => ['--platform', 'timextender', '--base-url', sim.url, '--workspace', WS, '--poll-interval', '200ms'];

  test('--api-key works, warns once that process lists can show it, and is masked', async () => {
    const result = await cli([...base(), '--task', 'Package/1005', '--task', 'Package/1010', '--api-key', KEY]);
    expect(result.code).toBe(0);
    const warnings = lines(result.stderr).filter((l) => /process lists/.test(l));
    expect(warnings).toEqual(['warning: --api-key on the command line can be read from process lists and shell history; set ORCHESTRATION_RUN_API_KEY instead']);
    expect(result.stdout + result.stderr).not.toContain(KEY);
  });

  test('the key from ORCHESTRATION_RUN_API_KEY: no such warning', async () => {
    const result = await cli([...base(), '--task', 'Package/1005'], { ORCHESTRATION_RUN_API_KEY: KEY });
    expect(result.code).toBe(0);
    expect(result.stderr).not.toMatch(/process lists/);
  });

  test('bad input with the key on the command line: still exactly one line, the key masked', async () => {
    const result = await cli([...base(), '--task', 'Pkg/1', '--api-key', KEY]);
    expect(result.code).toBe(2);
    expect(lines(result.stderr)).toHaveLength(1);
    expect(result.stderr).not.toContain(KEY);
    expect(sim.journal.count()).toBe(0);
  });
});

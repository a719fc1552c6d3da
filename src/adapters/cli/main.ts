/**
 * The command-line front end: every input as a `--kebab-case` flag (repeat a flag for several lines), with
 * `ORCHESTRATION_RUN_<NAME>` environment variables as fallback (e.g. ORCHESTRATION_RUN_API_KEY). The key
 * belongs in the environment: `--api-key` works but is warned about once, as process lists can show it.
 * Exit codes: 0 succeeded, 1 failed or cancelled, 2 bad input, 3 timed out.
 */
import { readFileSync } from 'node:fs';
import { parseArgs as parseArgv } from 'node:util';
import { runStep } from '../../core/engine/index.js';
import { EXIT } from '../../core/outcome.js';
import { InputError, MAX_TARGETS, closest, prepareOutputFile } from '../../core/inputs/index.js';
import type { Platform } from '../../core/settings.js';
import { INPUTS, PLATFORMS, inputByName, parseSettings, registry } from '../../providers/registry.js';
import { maskJsonStrings, maskSecrets, neutralizeJson, neutralizeLine, secretMasker } from '../../core/untrusted.js';
import { loadProvider } from '../../providers/registry.js';
import { CliHost } from './host.js';
import { runProcess } from '../entry.js';

/** The package's version (package.json `version`; a test keeps the two equal). */
export const VERSION = '1.0.0';

/** The widest line the help prints. */
export const HELP_WIDTH = 100;

interface CliArgs {
  values: Map<string, string[]>;
  json: boolean;
  summaryFile?: string;
  /** The flag the JUnit path came with (`--junit` or `--junit-file`), for messages about it. */
  junitFlag?: string;
  verbose: boolean;
  help: boolean;
  version: boolean;
}

/** The options of the CLI alone (every input is a flag as well). */
const CLI_OPTIONS = {
  json: { type: 'boolean' },
  summary: { type: 'string' },
  junit: { type: 'string' },
  verbose: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean' },
} as const;

/** Every flag parseArgs knows: the inputs (strings, repeatable) and the CLI's own options. */
function flagConfig(): Record<string, { type: 'string' | 'boolean'; multiple?: boolean; short?: string }> {
  const config: Record<string, { type: 'string' | 'boolean'; multiple?: boolean; short?: string }> = {};
  for (const def of INPUTS) config[def.name] = { type: 'string', multiple: true };
  return { ...config, ...CLI_OPTIONS };
}

export class UsageError extends Error {}

/** Said once when the key came as a flag: it works, but other users of the machine can read it. */
export const KEY_ON_COMMAND_LINE =
  '--api-key on the command line can be read from process lists and shell history; set ORCHESTRATION_RUN_API_KEY instead';

/**
 * The command line as flags, with node:util's parseArgs reading the tokens: `--name value`, `--name=value`, a
 * repeated flag for several lines, `-h`. Our own rules on top, each one line of bad input: an unknown flag
 * gets the inputs' "did you mean" (the same edit distance), a flag without its value names an example, a value
 * that is itself a flag is taken as a missing value (`--task --json`), and every input is a flag, never a bare
 * word. `-h`/`--help` and `--version` win over everything else on the line.
 */
export function parseArgs(argv: readonly string[]): CliArgs {
  const options = flagConfig();
  const { tokens } = parseArgv({ args: [...argv], options, strict: false, allowPositionals: true, tokens: true });
  const args: CliArgs = { values: new Map(), json: false, verbose: false, help: false, version: false };
  for (const token of tokens) {
    if (token.kind === 'option' && (token.name === 'help' || token.name === 'version')) args[token.name] = true;
  }
  if (args.help || args.version) return args;

  for (const token of tokens) {
    if (token.kind === 'positional') {
      throw new UsageError(`unexpected argument ${quoteArg(token.value)}: every input is a --flag, e.g. --task Package/1005`);
    }
    if (token.kind === 'option-terminator') continue;
    const { name, rawName } = token;
    const option = options[name];
    if (!option) {
      const guess = closest(name, Object.keys(options));
      throw new UsageError(`unknown flag ${rawName}${guess ? `; did you mean --${guess}?` : ''} (see --help)`);
    }
    if (option.type === 'boolean') {
      if (token.value !== undefined) throw new UsageError(`flag --${name} takes no value; write --${name} alone`);
      if (name === 'json' || name === 'verbose') args[name] = true;
      continue;
    }
    const value = token.value;
    if (value === undefined || (!token.inlineValue && isFlag(value, options))) {
      if (name === 'api-key') throw new UsageError('flag --api-key needs a value; better, set ORCHESTRATION_RUN_API_KEY and leave the flag out');
      throw new UsageError(`flag --${name} needs a value, e.g. --${name} ${exampleFor(name)}`);
    }
    if (name === 'summary') args.summaryFile = value;
    else if (name === 'junit') {
      args.values.set('junit-file', [value]);
      args.junitFlag = '--junit';
    } else {
      args.values.set(name, [...(args.values.get(name) ?? []), value]);
      if (name === 'junit-file') args.junitFlag = '--junit-file';
    }
  }
  return args;
}

/** `--json`, `--task=x`, `-h`: a word that names one of our flags, so not a value. */
function isFlag(word: string, options: Record<string, unknown>): boolean {
  if (word === '-h') return true;
  if (!word.startsWith('--')) return false;
  const name = word.slice(2).split('=')[0]!;
  return Object.hasOwn(options, name);
}

function quoteArg(text: string): string {
  return `'${neutralizeLine(text.length > 60 ? `${text.slice(0, 59)}…` : text)}'`;
}

function exampleFor(name: string): string {
  if (name === 'summary') return 'reports/summary.md';
  if (name === 'junit') return inputByName('junit-file').example;
  return INPUTS.find((d) => d.name === name)?.example.split('\n')[0] ?? 'VALUE';
}

function usageLine(platform: Platform): string {
  // One usage line per platform: the flags of its most common target (the key comes from the environment).
  const pairs = registry.module(platform)?.usage ?? [];
  const flags: string[] = [];
  for (let i = 0; i + 1 < pairs.length; i += 2) flags.push(`--${pairs[i]} ${pairs[i + 1]}`);
  return ['orchestration-run', `--platform ${platform}`, ...flags].join(' ');
}

/** `text` in lines of at most `width` columns, the first after `head`, the others indented to its width. */
function wrap(head: string, text: string, width = HELP_WIDTH): string[] {
  const indent = ' '.repeat(head.length);
  const out: string[] = [];
  let line = head;
  let empty = true;
  for (const word of text.split(/\s+/).filter(Boolean)) {
    if (!empty && line.length + 1 + word.length > width) {
      out.push(line);
      line = indent + word;
    } else {
      line += (empty ? '' : ' ') + word;
    }
    empty = false;
  }
  out.push(line);
  return out;
}

const COLUMN = 23;
const optionLines = (flag: string, text: string) => wrap(`  ${flag}`.padEnd(COLUMN), text);

export function helpText(): string {
  const lines = [
    `orchestration-run ${VERSION}: trigger a data load, follow its run, explain failures, pass or fail.`,
    '',
    'Usage (the API key from the environment: export ORCHESTRATION_RUN_API_KEY=...):',
    ...PLATFORMS.map((platform) => `  ${usageLine(platform)}`),
    '',
    'Inputs (a flag, or the variable ORCHESTRATION_RUN_<NAME>; repeat a flag for several lines):',
  ];
  for (const def of INPUTS) {
    const dflt = def.default !== undefined ? ` (default ${def.default})` : '';
    lines.push(...optionLines(`--${def.name} `, `${def.description}${dflt}`));
  }
  lines.push(
    '',
    'CLI options:',
    ...optionLines('--json', 'print the results as JSON on stdout (progress goes to stderr)'),
    ...optionLines('--summary FILE', 'write the markdown summary to FILE'),
    ...optionLines('--junit FILE', 'write JUnit XML results to FILE'),
    ...optionLines('--verbose', 'print debug lines (requests and retries)'),
    ...optionLines('-h, --help', 'print this help'),
    ...optionLines('--version', 'print the version'),
    '',
    'Durations (--timeout, --poll-interval, --max-age) need a unit (90s, 45m, 2h, 1h30m):',
    'a bare number is refused.',
    `A step takes at most ${MAX_TARGETS} targets (all target flags together).`,
    'The folders of --junit and --summary files are created;',
    'a path that cannot be written is refused before any request.',
    '--api-key works, but process lists and shell history can show it: use ORCHESTRATION_RUN_API_KEY.',
    '',
    'Exit codes: 0 succeeded, 1 failed or cancelled, 2 bad input, 3 timed out.',
  );
  return lines.join('\n');
}

export interface CliIo {
  stdout: (line: string) => void;
  stderr: (line: string) => void;
  env: Record<string, string | undefined>;
  signal: AbortSignal;
}

export async function main(argv: readonly string[], io: CliIo): Promise<number> {
  let args: CliArgs;
  try {
    args = parseArgs(argv);
  } catch (error) {
    io.stderr(`orchestration-run: ${(error as Error).message}`);
    return EXIT.badInput;
  }
  if (args.help) {
    io.stdout(helpText());
    return EXIT.succeeded;
  }
  if (args.version) {
    io.stdout(VERSION);
    return EXIT.succeeded;
  }
  const envName = (name: string) => `ORCHESTRATION_RUN_${name.toUpperCase().replace(/-/g, '_')}`;
  const raw = (name: string) => {
    const given = args.values.get(name);
    if (given) return given.join('\n');
    return io.env[envName(name)];
  };
  const apiKeyHint = raw('api-key');
  let parsed;
  try {
    parsed = parseSettings(raw, { nameStyle: 'cli' });
  } catch (error) {
    if (error instanceof InputError) {
      io.stderr(`orchestration-run: ${neutralizeLine(maskSecrets(error.message, apiKeyHint ? [apiKeyHint] : []))}`);
      return EXIT.badInput;
    }
    throw error;
  }
  // Output files are prepared (missing folders created) or refused before the first request: a load must not
  // run when its report cannot be written.
  const outputs: Array<[flag: string, path: string | undefined]> = [
    [args.junitFlag ?? '--junit-file', parsed.settings.junitFile],
    ['--summary', args.summaryFile],
  ];
  for (const [flag, path] of outputs) {
    if (path === undefined) continue;
    const problem = prepareOutputFile(path);
    if (problem !== undefined) {
      const example = flag === '--summary' ? 'reports/summary.md' : inputByName('junit-file').example;
      io.stderr(`orchestration-run: ${neutralizeLine(`Input '${flag}' ${problem}. Example: ${flag} ${example}`)}`);
      return EXIT.badInput;
    }
  }
  const host = new CliHost({
    out: args.json ? io.stderr : io.stdout,
    err: io.stderr,
    verbose: args.verbose,
    summaryFile: args.summaryFile,
    env: io.env,
    signal: io.signal,
  });
  host.setSecret(parsed.settings.apiKey);
  if (args.values.has('api-key')) host.warning(KEY_ON_COMMAND_LINE);
  for (const warning of parsed.warnings) host.warning(warning);
  const outcome = await runStep(parsed.settings, host, { loadProvider });
  // Each failure is shown in full above (its log lines and the summary's ✗ line): the last line only names them.
  if (outcome.failingTargetsLine) host.error(outcome.failingTargetsLine);
  if (args.json) {
    // Strings masked one by one (control characters stripped first), then every `#` and `::` escaped: the
    // JSON carries server text, and an Azure agent or a GitHub runner reading this stdout must find no
    // command in it. It parses back to the same data.
    // The full result (the `result` output may be capped for CI output limits; stdout has none).
    const json = maskJsonStrings(fullResult(host) ?? host.outputs.get('result') ?? '[]', secretMasker([parsed.settings.apiKey]));
    io.stdout(neutralizeJson(json));
  }
  return outcome.exitCode;
}

/** The full result JSON from the result file, when the step wrote one. */
function fullResult(host: CliHost): string | undefined {
  const file = host.outputs.get('result-file');
  if (!file) return undefined;
  try {
    return readFileSync(file, 'utf8').trim();
  } catch {
    return undefined;
  }
}

/** A stray handle (a keep-alive socket, a timer) gets this long after the result before the process exits. */
const LINGER_MS = 2_000;

/**
 * Runs the CLI as a process, with the policy of ../entry.ts: the first signal (Ctrl-C) cancels the run, a
 * second one exits at once (130, as a shell reports an interrupted command); an unexpected fault is one line
 * on stderr, exit 1, never a stack trace, never the key (from the environment or a flag).
 */
export function runAsProcess(): void {
  const write = (stream: NodeJS.WriteStream) => (line: string) => void stream.write(`${line}\n`);
  const stderr = write(process.stderr);
  const argv = process.argv.slice(2);
  runProcess(
    {
      label: 'orchestration-run',
      say: stderr,
      firstLine: (signal) => `orchestration-run: ${signal} received: stopping (cancelling remote runs where the platform can)`,
      // The engine gives cancels 15 s; should anything hang past that, the process still ends on its own
      // (a CI system other than GitHub or Azure may wait long before it kills).
      hardExitMs: HARD_EXIT_MS,
      stopNow: (why) => {
        if (why.kind === 'late') stderr(`orchestration-run: still busy ${why.hardExitMs / 1000}s after ${why.signal}: exiting`);
        return 130;
      },
      secrets: () => [process.env.ORCHESTRATION_RUN_API_KEY, ...keysOnCommandLine(argv)],
      fault: (line) => {
        stderr(line);
        return EXIT.failed;
      },
      lingerMs: LINGER_MS,
    },
    (signal) => main(argv, { stdout: write(process.stdout), stderr, env: process.env, signal }),
  );
}

/** From the first signal to the forced exit: the engine's 15 s for cancels, and a margin. */
export const HARD_EXIT_MS = 20_000;

/** The values given to --api-key, read without the parser (for the crash line, which must mask them too). */
function keysOnCommandLine(argv: readonly string[]): string[] {
  const keys: string[] = [];
  argv.forEach((arg, i) => {
    if (arg === '--api-key' && argv[i + 1] !== undefined) keys.push(argv[i + 1]!);
    else if (arg.startsWith('--api-key=')) keys.push(arg.slice('--api-key='.length));
  });
  return keys;
}

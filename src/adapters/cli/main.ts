/**
 * The command-line front end: every input as a `--kebab-case` flag (repeat a flag for several lines), with
 * `ORCHESTRATION_RUN_<NAME>` environment variables as fallback (e.g. ORCHESTRATION_RUN_API_KEY).
 * Exit codes: 0 succeeded, 1 failed or cancelled, 2 bad input, 3 timed out.
 */
import { readFileSync } from 'node:fs';
import { runStep } from '../../core/engine/index.js';
import { EXIT } from '../../core/outcome.js';
import { InputError, MAX_TARGETS, prepareOutputFile } from '../../core/inputs/index.js';
import { INPUTS, inputByName, parseSettings } from '../../providers/registry.js';
import { maskJsonStrings, maskSecrets, neutralize, neutralizeJson, neutralizeLine, secretMasker } from '../../core/untrusted.js';
import { loadProvider } from '../../providers/registry.js';
import { CliHost } from './host.js';

export const VERSION = '1.0.0';

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

const CLI_ONLY_FLAGS = ['json', 'summary', 'junit', 'verbose', 'help', 'version'];

export class UsageError extends Error {}

export function parseArgs(argv: readonly string[]): CliArgs {
  const known = new Set(INPUTS.map((d) => d.name));
  const args: CliArgs = { values: new Map(), json: false, verbose: false, help: false, version: false };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (!arg.startsWith('--')) throw new UsageError(`unexpected argument '${arg}': every input is a --flag, e.g. --task Package/1005`);
    const eq = arg.indexOf('=');
    const name = arg.slice(2, eq === -1 ? undefined : eq);
    if (name === 'json' || name === 'verbose' || name === 'help' || name === 'version') {
      args[name] = true;
      continue;
    }
    const value = eq !== -1 ? arg.slice(eq + 1) : argv[++i];
    if (value === undefined) throw new UsageError(`flag --${name} needs a value, e.g. --${name} ${exampleFor(name)}`);
    if (name === 'summary') args.summaryFile = value;
    else if (name === 'junit') {
      args.values.set('junit-file', [value]);
      args.junitFlag = '--junit';
    } else if (known.has(name)) {
      args.values.set(name, [...(args.values.get(name) ?? []), value]);
      if (name === 'junit-file') args.junitFlag = '--junit-file';
    }
    else {
      const all = [...known, ...CLI_ONLY_FLAGS];
      const close = all.filter((n) => n.includes(name) || name.includes(n)).slice(0, 3);
      throw new UsageError(`unknown flag --${name}${close.length ? `; did you mean ${close.map((n) => `--${n}`).join(' or ')}?` : ''} (see --help)`);
    }
  }
  return args;
}

function exampleFor(name: string): string {
  return INPUTS.find((d) => d.name === name)?.example.split('\n')[0] ?? 'VALUE';
}

export function helpText(): string {
  const lines = [
    `orchestration-run ${VERSION}: trigger a data load, follow the run it caused, explain failures, pass or fail.`,
    '',
    'Usage: orchestration-run --platform timextender --tenant acme --workspace finance --task Package/1005',
    '',
    'Inputs (flag, or environment variable ORCHESTRATION_RUN_<NAME>; repeat a flag for several lines):',
  ];
  for (const def of INPUTS) {
    const dflt = def.default !== undefined ? ` (default ${def.default})` : '';
    lines.push(`  --${def.name.padEnd(18)} ${def.description}${dflt}`);
  }
  lines.push(
    '',
    'CLI options:',
    '  --json               print the results as JSON on stdout (progress goes to stderr)',
    '  --summary FILE       write the markdown summary to FILE',
    '  --junit FILE         write JUnit XML results to FILE',
    '  --verbose            print debug lines (requests and retries)',
    '',
    'Durations (--timeout, --poll-interval, --max-age) need a unit: 90s, 45m, 2h, 1h30m; a bare number is refused.',
    `A step takes at most ${MAX_TARGETS} targets (all target flags together).`,
    'The folders of --junit and --summary files are created; a path that cannot be written is refused before any request.',
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
  for (const warning of parsed.warnings) host.warning(warning);
  const outcome = await runStep(parsed.settings, host, { loadProvider });
  if (outcome.failureLine) host.error(outcome.failureLine);
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

/** Runs the CLI as a process: signals cancel the run; a second signal exits at once. */
export async function runAsProcess(): Promise<void> {
  const controller = new AbortController();
  let signals = 0;
  const onSignal = (name: string) => {
    signals++;
    if (signals > 1) process.exit(130);
    process.stderr.write(`orchestration-run: ${name} received: stopping (cancelling remote runs where the platform can)\n`);
    controller.abort();
  };
  process.on('SIGINT', () => onSignal('SIGINT'));
  process.on('SIGTERM', () => onSignal('SIGTERM'));
  // Never a stack trace, never the key, never exit 0 on an unexpected fault.
  const key = process.env.ORCHESTRATION_RUN_API_KEY;
  const crash = (error: unknown) => {
    const message = error instanceof Error ? error.message : String(error);
    process.stderr.write(`orchestration-run: internal error: ${neutralize(maskSecrets(message, key ? [key] : []))}\n`);
    process.exit(EXIT.failed);
  };
  process.on('uncaughtException', crash);
  process.on('unhandledRejection', crash);
  const write = (stream: NodeJS.WriteStream) => (line: string) => void stream.write(`${line}\n`);
  try {
    process.exitCode = await main(process.argv.slice(2), {
      stdout: write(process.stdout),
      stderr: write(process.stderr),
      env: process.env,
      signal: controller.signal,
    });
  } catch (error) {
    crash(error);
  }
}

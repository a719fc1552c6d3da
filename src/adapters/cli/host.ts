/**
 * The CLI host: progress on stdout (stderr when --json owns stdout), warnings and errors on stderr.
 * Every line is neutralized (no CI command can come out of server text, whichever CI runs the CLI) and
 * masked against the registered secrets.
 */
import { writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import type { Annotation, Host, OutputName } from '../../core/host.js';
import type { CiContext } from '../../core/settings.js';
import { maskSecrets, neutralize, secretMasker } from '../../core/untrusted.js';

export interface CliHostOptions {
  /** Where progress goes. */
  out: (line: string) => void;
  err: (line: string) => void;
  verbose: boolean;
  summaryFile?: string;
  env: Record<string, string | undefined>;
  signal: AbortSignal;
}

export class CliHost implements Host {
  readonly name = 'cli' as const;
  /** A terminal has no annotations: error lines the log already shows are not printed again. */
  readonly raisesAnnotations = false;
  readonly outputs = new Map<OutputName, string>();
  readonly tempDir: string;
  readonly ciContext: CiContext;
  readonly signal: AbortSignal;
  private readonly secrets: string[] = [];
  /** The masker for `secrets`, built once per secret (a live log prints 200,000 lines through it). */
  private mask: (text: string) => string = secretMasker([]);
  private readonly state = new Map<string, string>();
  private indent = '';

  constructor(private readonly options: CliHostOptions) {
    this.signal = options.signal;
    this.tempDir = options.env.ORCHESTRATION_RUN_LOG_DIR || options.env.RUNNER_TEMP || tmpdir();
    this.ciContext = ciContextFromEnv(options.env);
  }

  /**
   * One printed line per text line, cleaned in this order: control characters and escape sequences removed
   * and the secrets masked (maskSecrets does both, stripping first so a key split by an escape sequence
   * cannot be joined after masking), then CI commands broken (neutralize).
   */
  clean(text: string): string[] {
    return neutralize(this.mask(text)).split('\n');
  }

  info(message: string): void {
    for (const line of this.clean(message)) this.options.out(this.indent + line);
  }

  warning(message: string, annotation?: Annotation): void {
    const prefix = annotation?.title ? `warning: ${annotation.title}: ` : 'warning: ';
    for (const line of this.clean(prefix + message)) this.options.err(line);
  }

  error(message: string, annotation?: Annotation): void {
    const prefix = annotation?.title ? `error: ${annotation.title}: ` : 'error: ';
    for (const line of this.clean(prefix + message)) this.options.err(line);
  }

  debug(message: string): void {
    if (this.options.verbose) for (const line of this.clean(message)) this.options.err(`debug: ${line}`);
  }

  async group<T>(title: string, fn: () => Promise<T>): Promise<T> {
    this.info(`▼ ${title}`);
    const outer = this.indent;
    this.indent = `${outer}  │ `;
    try {
      return await fn();
    } finally {
      this.indent = outer;
    }
  }

  setOutput(name: OutputName, value: string): void {
    this.outputs.set(name, value);
  }

  setSecret(value: string): void {
    if (value && !this.secrets.includes(value)) {
      this.secrets.push(value);
      this.mask = secretMasker(this.secrets);
    }
  }

  async writeSummary(markdown: string): Promise<void> {
    if (this.options.summaryFile) await writeFile(this.options.summaryFile, maskSecrets(markdown, this.secrets));
  }

  saveState(key: string, value: string): void {
    this.state.set(key, value);
  }

  getState(key: string): string {
    return this.state.get(key) ?? '';
  }
}

/** Traceability for other CI systems, from their well-known variables. */
export function ciContextFromEnv(env: Record<string, string | undefined>): CiContext {
  const first = (...names: string[]) => names.map((n) => env[n]).find((v) => v !== undefined && v !== '');
  return {
    system: 'cli',
    runUrl: first('ORCHESTRATION_RUN_CI_URL', 'CI_JOB_URL', 'BUILD_URL', 'CIRCLE_BUILD_URL'),
    runId: first('ORCHESTRATION_RUN_CI_RUN_ID', 'CI_PIPELINE_ID', 'BUILD_ID', 'CIRCLE_WORKFLOW_ID'),
    attempt: first('ORCHESTRATION_RUN_CI_ATTEMPT', 'CI_JOB_ID'),
    commit: first('ORCHESTRATION_RUN_CI_COMMIT', 'CI_COMMIT_SHA', 'GIT_COMMIT', 'CIRCLE_SHA1'),
    actor: first('ORCHESTRATION_RUN_CI_ACTOR', 'GITLAB_USER_LOGIN', 'CIRCLE_USERNAME', 'USER'),
    workflow: first('CI_PROJECT_PATH', 'JOB_NAME', 'CIRCLE_PROJECT_REPONAME'),
  };
}

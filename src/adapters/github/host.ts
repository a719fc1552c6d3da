/**
 * The GitHub Actions host: the core's logging, outputs, secrets, summary and state mapped onto `@actions/core`
 * (workflow commands, the runner's environment files GITHUB_OUTPUT / GITHUB_STATE, and `core.summary` for
 * GITHUB_STEP_SUMMARY), with the run's context from `@actions/github` (context.ts).
 *
 * Everything printed goes through `clean` first: secrets masked, then neutralized, so that no line coming from
 * the server (task names, log lines, error messages) can start a workflow command (`::set-output`,
 * `::add-mask`, `::stop-commands`, `##[group]`…). `@actions/core` escapes only what its own command syntax
 * needs (`%`, CR, LF; in properties also `:` and `,`): it does not stop a line of server text from being a
 * command, which is why every message goes through `clean` before it reaches `core.info` and the others.
 */
import * as actionsCore from '@actions/core';
import { tmpdir } from 'node:os';
import type { Annotation, Host, OutputName } from '../../core/host.js';
import type { CiContext } from '../../core/settings.js';
import { flatten, maskSecrets, neutralize, secretMasker } from '../../core/untrusted.js';
import { ciContextOf, readRunContext, type RunContext } from './context.js';

/** The part of `core.summary` the host uses. */
export interface SummaryApi {
  addRaw(text: string, addEOL?: boolean): SummaryApi;
  write(options?: { overwrite?: boolean }): Promise<SummaryApi>;
  emptyBuffer(): SummaryApi;
}

/** The part of `@actions/core` the Action uses; tests may pass a recording double. */
export interface CoreApi {
  info(message: string): void;
  warning(message: string, properties?: { title?: string }): void;
  error(message: string, properties?: { title?: string }): void;
  debug(message: string): void;
  startGroup(name: string): void;
  endGroup(): void;
  setOutput(name: string, value: string): void;
  setSecret(secret: string): void;
  saveState(name: string, value: string): void;
  getState(name: string): string;
  setFailed(message: string): void;
  getInput(name: string, options?: { trimWhitespace?: boolean }): string;
  readonly summary: SummaryApi;
}

export const realCore: CoreApi = actionsCore;

/** GitHub refuses a job summary above 1 MiB per step; keep well below it. */
export const MAX_SUMMARY_BYTES = 1000 * 1024;

export interface GitHubHostOptions {
  /** Fires on cancellation (SIGINT/SIGTERM from the runner). */
  signal: AbortSignal;
  env?: Record<string, string | undefined>;
  core?: CoreApi;
  /** The run's context; read from the environment when not given. */
  context?: RunContext;
}

export class GitHubHost implements Host {
  readonly name = 'github' as const;
  readonly tempDir: string;
  readonly ciContext: CiContext;
  /** Undefined on purpose: the HTTP client reads HTTPS_PROXY/HTTP_PROXY/NO_PROXY from the environment itself. */
  readonly proxy = undefined;
  readonly signal: AbortSignal;
  private readonly core: CoreApi;
  private readonly env: Record<string, string | undefined>;
  private readonly secrets: string[] = [];
  /** The masker for `secrets`, built once per secret (a live log prints 200,000 lines through it). */
  private mask: (text: string) => string = secretMasker([]);
  /** GitHub has no nested groups: an inner group's title becomes a plain line. */
  private groupDepth = 0;
  private summary: string | undefined;

  constructor(options: GitHubHostOptions) {
    this.signal = options.signal;
    this.core = options.core ?? realCore;
    this.env = options.env ?? process.env;
    this.tempDir = this.env.RUNNER_TEMP || tmpdir();
    this.ciContext = ciContextOf(options.context ?? readRunContext());
  }

  /** Masked, then neutralized; one entry per printed line. */
  clean(text: string): string[] {
    return neutralize(this.mask(text)).split('\n');
  }

  /** Masked and neutralized on a single line (annotation titles, group titles, the failure line). */
  cleanLine(text: string): string {
    return flatten(this.mask(text));
  }

  info(message: string): void {
    for (const line of this.clean(message)) this.core.info(line);
  }

  warning(message: string, annotation?: Annotation): void {
    // Warnings are few (cannot cancel, a name resolved oddly…) and worth an annotation each.
    this.core.warning(this.clean(message).join('\n'), this.properties(annotation));
  }

  error(message: string, annotation?: Annotation): void {
    if (annotation) {
      this.core.error(this.clean(message).join('\n'), this.properties(annotation));
      return;
    }
    // No annotation wanted (the engine has spent its 10): a plain line in the log.
    for (const line of this.clean(message)) this.core.info(`Error: ${line}`);
  }

  debug(message: string): void {
    for (const line of this.clean(message)) this.core.debug(line);
  }

  async group<T>(title: string, fn: () => Promise<T>): Promise<T> {
    if (this.groupDepth > 0) {
      this.info(title);
      return fn();
    }
    this.groupDepth++;
    this.core.startGroup(this.cleanLine(title));
    try {
      return await fn();
    } finally {
      this.core.endGroup();
      this.groupDepth--;
    }
  }

  setOutput(name: OutputName, value: string): void {
    // Not neutralized: outputs are data for later steps (the result JSON must stay exact); masked all the same.
    this.core.setOutput(name, maskSecrets(value, this.secrets));
  }

  setSecret(value: string): void {
    if (!value) return;
    // A multi-line value is printed line by line, so each longer line is registered on its own too.
    const lines = /[\r\n]/.test(value) ? value.split(/\r\n|[\r\n]/).filter((line) => line.trim().length >= 4) : [];
    const pieces = [value, ...lines];
    for (const piece of pieces) {
      if (this.secrets.includes(piece)) continue;
      this.secrets.push(piece);
      this.core.setSecret(piece);
    }
    this.mask = secretMasker(this.secrets);
  }

  /** The summary as written (masked, within the size limit), for the pull-request comment. */
  get summaryText(): string | undefined {
    return this.summary;
  }

  async writeSummary(markdown: string): Promise<void> {
    const text = limitBytes(maskSecrets(markdown, this.secrets), MAX_SUMMARY_BYTES);
    this.summary = text;
    if (!this.env.GITHUB_STEP_SUMMARY) {
      this.debug('GITHUB_STEP_SUMMARY is not set: no job summary written');
      return;
    }
    try {
      // Appended (never overwriting an earlier step's summary), with a final line break.
      await this.core.summary.addRaw(text, true).write();
    } catch (error) {
      // Not left in the buffer for a later write.
      this.core.summary.emptyBuffer();
      throw error;
    }
  }

  saveState(key: string, value: string): void {
    this.core.saveState(key, maskSecrets(value, this.secrets));
  }

  getState(key: string): string {
    return this.core.getState(key);
  }

  private properties(annotation: Annotation | undefined): { title?: string } {
    return annotation?.title ? { title: this.cleanLine(annotation.title) } : {};
  }
}

/** Cuts markdown to at most `max` UTF-8 bytes, at a line break, with a note saying so. */
export function limitBytes(text: string, max: number): string {
  if (Buffer.byteLength(text, 'utf8') <= max) return text;
  const note = '\n\n_(summary shortened: GitHub allows at most 1 MiB per step; the full logs are in the log file)_';
  let cut = Buffer.from(text, 'utf8').subarray(0, max - Buffer.byteLength(note)).toString('utf8');
  // A partial multi-byte character decodes to U+FFFD at the end; cutting at the last line break drops it.
  const lastBreak = cut.lastIndexOf('\n');
  if (lastBreak > 0) cut = cut.slice(0, lastBreak);
  return cut + note;
}

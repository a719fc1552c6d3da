/**
 * The Azure DevOps host: the Host seam implemented with azure-pipelines-task-lib's logging commands.
 *
 * Everything the task prints goes through one AgentConsole:
 * - plain lines (progress, log excerpts) are neutralized by the host, so server text can never hold a live
 *   `##vso[` or `##[`, and masked against every registered secret;
 * - task-lib's own `##vso[...]` commands (issues, variables, debug, result) reach stdout through
 *   `tl.setStdStream`, masked too; task-lib prints the value of every input it reads in a debug line
 *   (`apiKey=…`), so until the key is known and registered the console holds all output back.
 *
 * Only the `task.setsecret` command carries a secret in clear, since the agent needs it to mask.
 * The module imports task-lib's types only; main.ts hands in the loaded library.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type * as TaskLibModule from 'azure-pipelines-task-lib/task.js';
import type { Annotation, Host, OutputName } from '../../core/host.js';
import { RESULT_OUTPUT_MAX_CHARS } from '../../core/report.js';
import { STATE_RUNS, type SavedRun } from '../../core/saved-runs.js';
import type { CiContext, ProxySettings } from '../../core/settings.js';
import { markdownCell, maskSecrets, neutralize, neutralizeLine, secretMasker, splitLines } from '../../core/untrusted.js';
import { outputVariableName } from './task-metadata.js';
import { truncate } from '../../core/text.js';

/** The part of azure-pipelines-task-lib the task uses (tests may pass the real module or a stand-in). */
export type TaskLib = Pick<
  typeof TaskLibModule,
  | 'getInput'
  | 'getEndpointUrl'
  | 'getEndpointAuthorizationParameter'
  | 'getHttpProxyConfiguration'
  | 'setSecret'
  | 'setVariable'
  | 'setResult'
  | 'logIssue'
  | 'debug'
  | 'uploadSummary'
  | 'setStdStream'
  | 'TaskResult'
  | 'IssueType'
>;

export type Env = Record<string, string | undefined>;

/** Error issues the host raises; the task's result line (setResult) is one more, so the step shows at most 10. */
export const MAX_ERROR_ISSUES = 9;
/** Warning issues beyond this go to the log only. */
export const MAX_WARNING_ISSUES = 10;

const SETSECRET_COMMAND = '##vso[task.setsecret]';

/**
 * The first `#` of `##[`, `## [` or `##vso` (any case), as in untrusted.ts; used where neutralizeLine's
 * per-line length limit and line handling must not apply: output values and task-lib command messages.
 */
const EMBEDDED_COMMAND = /#(?=#(?:\s*\[|vso))/giu;
/** The character untrusted.ts puts between the two `#`, taken from neutralizeLine so the two never differ. */
const BREAKER = neutralizeLine('##vso[').slice(1, -'#vso['.length) || '\u00B7';

/** Breaks every `##vso[`/`##[` in a text of any length the way neutralizeLine does, without cutting it. */
export function breakCommands(text: string): string {
  return text.replace(EMBEDDED_COMMAND, `#${BREAKER}`);
}

/** task-lib's escaping of command messages: a secret with `%` or a line break appears in this form. */
function commandEscaped(value: string): string {
  return value.replace(/%/g, '%AZP25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
}

/** The one writer to stdout: holds output until the secrets are registered, masks it, keeps commands inert. */
export class AgentConsole {
  private readonly secrets: string[] = [];
  private held: string[] | undefined;
  private complete = false;

  /** task-lib writes its commands here (tl.setStdStream). */
  readonly stream = { write: (text: string): boolean => this.fromTaskLib(text) };

  constructor(private readonly sink: (text: string) => void) {}

  /**
   * Whether a `task.complete` command (the task's result) has reached stdout, not just the hold buffer: only
   * then may the process exit 0 (with no result, the agent takes exit 0 as success).
   */
  get completeWritten(): boolean {
    return this.complete;
  }

  /** Whether output is being held back (the secrets are not registered yet). */
  get holding(): boolean {
    return this.held !== undefined;
  }

  /** Holds everything back (except task.setsecret) until release(). */
  hold(): void {
    this.held ??= [];
  }

  /** Prints what was held, masked with the secrets known now. */
  release(): void {
    const held = this.held ?? [];
    this.held = undefined;
    for (const text of held) this.emit(text);
  }

  addSecret(value: string): void {
    if (value === '') return;
    for (const form of [value, commandEscaped(value)]) if (!this.secrets.includes(form)) this.secrets.push(form);
  }

  /** One line the host composed; any server text in it was neutralized by the host. */
  line(text: string): void {
    this.write(`${text}\n`);
  }

  private fromTaskLib(text: string): boolean {
    if (text.startsWith(SETSECRET_COMMAND)) {
      this.sink(text); // the agent masks with this value; it never shows the line
      return true;
    }
    this.write(text);
    return true;
  }

  private write(text: string): void {
    if (this.held) this.held.push(text);
    else this.emit(text);
  }

  private emit(text: string): void {
    this.sink(this.mask(text));
    if (/^##vso\[task\.complete[\s\]]/i.test(text)) this.complete = true;
  }

  /**
   * A `##vso[...]` command keeps its name and properties (a 4-character secret must not turn `task` into
   * `***`); its message is masked and any embedded command broken. Other text is masked whole.
   */
  private mask(text: string): string {
    const command = /^##vso\[[^\]]*\]/.exec(text);
    if (!command) return maskSecrets(text, this.secrets);
    const message = text.slice(command[0].length);
    return command[0] + breakCommands(maskSecrets(message, this.secrets));
  }
}

/**
 * Largest value of an output variable, in characters. The agent hands every output variable to each later
 * step of the job as an environment variable: Linux refuses to start a process with one string over 128 KiB
 * (E2BIG), Windows allows 32,767 characters per variable. `result` is capped by the core at the same size and
 * fitted again here after its `#` escapes; any other value this long is cut (the full values are in the
 * result file).
 */
export const OUTPUT_MAX_CHARS = RESULT_OUTPUT_MAX_CHARS;

/** What the task knows about the step once its inputs are read, for an exit before the engine is done. */
export interface KnownStep {
  platform: string;
  mode: string;
  targets: string[];
}

export interface AzureHostOptions {
  tl: TaskLib;
  console: AgentConsole;
  env: Env;
  signal: AbortSignal;
  proxy?: ProxySettings;
}

export class AzureHost implements Host {
  readonly name = 'azure' as const;
  readonly tempDir: string;
  readonly ciContext: CiContext;
  readonly signal: AbortSignal;
  /** Set once the base URL is known (the agent's bypass list is matched against it). */
  proxy: ProxySettings | undefined;
  /** Summary files written, newest last (tests and diagnostics). */
  readonly summaryFiles: string[] = [];
  private readonly tl: TaskLib;
  private readonly console: AgentConsole;
  private readonly secrets: string[] = [];
  /** The masker for `secrets`, built once per secret (a live log prints 200,000 lines through it). */
  private mask: (text: string) => string = secretMasker([]);
  private readonly state = new Map<string, string>();
  private errorIssues = 0;
  private warningIssues = 0;
  private groupDepth = 0;
  /** Outputs set so far, with their values (an exit before the engine is done fills in the rest). */
  private readonly outputs = new Map<OutputName, string>();
  private summaryWritten = false;
  /** Set once the inputs are valid. */
  known: KnownStep | undefined;

  constructor(options: AzureHostOptions) {
    this.tl = options.tl;
    this.console = options.console;
    this.signal = options.signal;
    this.proxy = options.proxy;
    this.tempDir = options.env.AGENT_TEMPDIRECTORY || tmpdir();
    this.ciContext = ciContextFromAzureEnv(options.env);
  }

  /** Masked and neutralized, one entry per printed line. */
  lines(text: string): string[] {
    return neutralize(this.mask(text)).split('\n');
  }

  /** Masked and neutralized on one line, for titles and issue messages. */
  oneLine(text: string): string {
    return neutralizeLine(this.mask(text));
  }

  info(message: string): void {
    for (const line of this.lines(message)) this.console.line(line);
  }

  warning(message: string, annotation?: Annotation): void {
    if (annotation && this.warningIssues < MAX_WARNING_ISSUES) {
      this.warningIssues++;
      this.tl.logIssue(this.tl.IssueType.Warning, this.issueText(message, annotation));
      return;
    }
    for (const line of this.lines(message)) this.console.line(`##[warning]${line}`);
  }

  error(message: string, annotation?: Annotation): void {
    if (annotation && this.errorIssues < MAX_ERROR_ISSUES) {
      this.errorIssues++;
      this.tl.logIssue(this.tl.IssueType.Error, this.issueText(message, annotation));
      return;
    }
    for (const line of this.lines(message)) this.console.line(`##[error]${line}`);
  }

  debug(message: string): void {
    for (const line of this.lines(message)) this.tl.debug(line);
  }

  /** Azure log groups do not nest: an inner group is a plain line inside the outer one. */
  async group<T>(title: string, fn: () => Promise<T>): Promise<T> {
    if (this.groupDepth > 0) {
      this.info(title);
      return fn();
    }
    this.groupDepth++;
    this.console.line(`##[group]${this.oneLine(title)}`);
    try {
      return await fn();
    } finally {
      this.console.line('##[endgroup]');
      this.groupDepth--;
    }
  }

  /**
   * An output variable (camelCase, isOutput=true). Values hold server text, and a later step may echo one
   * into its log: no value may carry a live command. In the `result` JSON every `#` becomes `\u0023`, which
   * parses back to the same string; other values are short and get the zero-width break.
   */
  setOutput(name: OutputName, value: string): void {
    const masked = maskSecrets(value, this.secrets);
    let safe: string;
    if (name === 'result') {
      // The escapes lengthen the JSON (six characters a `#`): it is fitted again, escapes counted.
      safe = fitResultJson(masked, OUTPUT_MAX_CHARS, escapeResultJson, this.outputs.get('status'));
    } else {
      safe = breakCommands(masked);
      if (safe.length > OUTPUT_MAX_CHARS) {
        safe = `${cutAt(safe, OUTPUT_MAX_CHARS - 1)}…`;
        this.console.line(`orchestration-run: output ${outputVariableName(name)} is cut to ${OUTPUT_MAX_CHARS} characters (later steps get it as an environment variable); the result file has every value`);
      }
    }
    this.outputs.set(name, value);
    this.tl.setVariable(outputVariableName(name), safe, false, true);
  }

  setSecret(value: string): void {
    if (!value || this.secrets.includes(value)) return;
    this.secrets.push(value);
    this.mask = secretMasker(this.secrets);
    registerSecret(this.tl, this.console, value);
  }

  /** Written to its own folder under the agent's temp directory, then attached as a build summary section. */
  async writeSummary(markdown: string): Promise<void> {
    const dir = await mkdtemp(join(this.tempDir, 'orchestration-run-summary-'));
    const file = join(dir, 'Orchestration run.md');
    await writeFile(file, maskSecrets(markdown, this.secrets), 'utf8');
    this.summaryFiles.push(file);
    this.summaryWritten = true;
    this.tl.uploadSummary(file);
  }

  /**
   * The task is exiting before the engine finished (the cancellation backstop, a second signal): writes,
   * synchronously, what is known and not written yet: the status, the run ids the step saved, a `result` and
   * its file, a summary and one log line per target. The runs' final states were not read, and a cancel the
   * engine sent may be unconfirmed: the output says so rather than guess.
   */
  writeKnown(status: 'cancelled' | 'timed-out', why: string): void {
    const runs = savedRunsByIndex(this.state.get(STATE_RUNS));
    const step = this.known;
    const targets = step?.targets ?? [];
    const rows = targets.map((target, index) => {
      const saved = runs.get(index);
      return { target, runId: saved?.runId, note: savedRunNote(saved) };
    });
    for (const row of rows) {
      this.info(`orchestration-run: ${row.target}: ${row.runId !== undefined ? `run ${row.runId}` : 'no run id'}: ${row.note}`);
    }
    const set = (name: OutputName, value: () => string) => {
      if (this.outputs.has(name)) return;
      try {
        this.setOutput(name, value());
      } catch {
        // One output that cannot be written must not cost the others.
      }
    };
    set('status', () => status);
    if (step) {
      set('run-id', () => rows.map((r) => r.runId ?? '').join(','));
      const json = JSON.stringify(rows.map((r) => ({ target: r.target, runId: r.runId, status, message: `${why}; ${r.note}` })));
      set('result', () => json);
      set('result-file', () => {
        const file = join(mkdtempSync(join(this.tempDir, 'orchestration-run-result-')), 'result.json');
        writeFileSync(file, `${maskSecrets(json, this.secrets)}\n`, 'utf8');
        return file;
      });
    }
    if (this.summaryWritten) return;
    try {
      const lines = [
        `### Orchestration run: ${status}`,
        '',
        `The task exited before it had finished stopping (${markdownCell(why)}). What it knew then:`,
        '',
      ];
      if (step) {
        lines.push(`Platform ${markdownCell(step.platform)}, mode ${markdownCell(step.mode)}.`, '', '| Target | Run id | State |', '|---|---|---|');
        for (const r of rows) lines.push(`| ${markdownCell(r.target)} | ${r.runId !== undefined ? markdownCell(r.runId) : '(none)'} | ${markdownCell(r.note)} |`);
      } else {
        lines.push('The inputs had not been read yet: no run was started.');
      }
      const dir = mkdtempSync(join(this.tempDir, 'orchestration-run-summary-'));
      const file = join(dir, 'Orchestration run.md');
      writeFileSync(file, maskSecrets(`${lines.join('\n')}\n`, this.secrets), 'utf8');
      this.summaryFiles.push(file);
      this.summaryWritten = true;
      this.tl.uploadSummary(file);
    } catch {
      // The status and the run ids above are what matters most.
    }
  }

  saveState(key: string, value: string): void {
    this.state.set(key, value);
  }

  getState(key: string): string {
    return this.state.get(key) ?? '';
  }

  private issueText(message: string, annotation: Annotation): string {
    const text = annotation.title ? `${annotation.title}: ${message}` : message;
    return splitLines(maskSecrets(text, this.secrets)).map(neutralizeLine).join(' ').trim();
  }
}

/** `result`'s JSON escapes: `#` and the characters some readers take as line breaks (JSON parses them back). */
export function escapeResultJson(json: string): string {
  return json.replace(/[#\u2028\u2029\u0085]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** The first `n` characters, not splitting a surrogate pair. */
/** The first `n` characters, never half a surrogate pair (the caller adds its own `…`). */
const cutAt = (text: string, n: number): string => truncate(text, n, { suffix: () => '', reserve: 0 });

/**
 * `json` (the core's `result`, one object per target) encoded with `encode`, within `maxChars`. When the
 * encoded text is too long, every object says `"truncated": true` and the longest strings are cut, step by
 * step, until it fits; past that only the statuses are kept. Always valid JSON.
 */
export function fitResultJson(json: string, maxChars: number, encode: (text: string) => string, overallStatus?: string): string {
  const whole = encode(json);
  if (whole.length <= maxChars) return whole;
  const fallback = () => encode(JSON.stringify([{ status: overallStatus ?? 'unknown', truncated: true }]));
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch {
    return fallback();
  }
  if (!Array.isArray(value)) return fallback();
  const items = value.map((item: unknown) => (item && typeof item === 'object' && !Array.isArray(item) ? { ...(item as object), truncated: true } : item));
  const cutStrings = (node: unknown, limit: number): unknown => {
    if (typeof node === 'string') return encode(JSON.stringify(node)).length > limit ? `${cutAt(node, Math.max(1, Math.floor(limit / 6)))}…` : node;
    if (Array.isArray(node)) return node.map((v) => cutStrings(v, limit));
    if (node && typeof node === 'object') return Object.fromEntries(Object.entries(node).map(([k, v]) => [k, k === 'status' ? v : cutStrings(v, limit)]));
    return node;
  };
  for (let limit = Math.floor(maxChars / 4); limit >= 8; limit = Math.floor(limit / 2)) {
    const text = encode(JSON.stringify(cutStrings(items, limit)));
    if (text.length <= maxChars) return text;
  }
  const statuses = encode(
    JSON.stringify(items.map((item) => ({ status: (item as { status?: unknown } | null)?.status ?? overallStatus ?? 'unknown', truncated: true }))),
  );
  return statuses.length <= maxChars ? statuses : fallback();
}

/** The runs the engine saved (STATE_RUNS), by target index. */
function savedRunsByIndex(text: string | undefined): Map<number, SavedRun> {
  const runs = new Map<number, SavedRun>();
  if (!text) return runs;
  try {
    const value: unknown = JSON.parse(text);
    if (Array.isArray(value)) for (const r of value as SavedRun[]) if (typeof r?.index === 'number') runs.set(r.index, r);
  } catch {
    // Nothing known.
  }
  return runs;
}

/** What can be said about a saved run when the task exits before reading its final state. */
function savedRunNote(saved: SavedRun | undefined): string {
  if (!saved) return 'no run was started';
  if (saved.runId === undefined) {
    return saved.trigger
      ? `a trigger was sent at ${saved.trigger.sentAt} and its run was not found before the task exited: look for a run started after that time; it may keep going`
      : 'no run id known';
  }
  if (saved.cancel === 'unconfirmed') return 'a cancel was requested but not confirmed: the run may keep going on the server';
  if (saved.done) return 'final state not read by this task';
  return 'final state not read, and any cancel not confirmed: the run may keep going on the server';
}

/**
 * Registers a secret with the agent (task.setsecret) and with the console. task-lib refuses a multi-line
 * secret; each of its lines is registered instead, which is how it would be printed anyway.
 */
export function registerSecret(tl: Pick<TaskLib, 'setSecret'>, console: AgentConsole, value: string): void {
  if (!value) return;
  console.addSecret(value);
  const parts = /[\r\n]/.test(value) ? splitLines(value).filter((line) => line.trim() !== '') : [value];
  for (const part of parts) {
    console.addSecret(part);
    try {
      tl.setSecret(part);
    } catch {
      // Not expected after the split; the console still masks it.
    }
  }
}

/** Traceability from the agent's predefined variables. */
export function ciContextFromAzureEnv(env: Env): CiContext {
  const value = (name: string) => (env[name] && env[name]!.trim() !== '' ? env[name]!.trim() : undefined);
  const collection = value('SYSTEM_COLLECTIONURI');
  const project = value('SYSTEM_TEAMPROJECT');
  const buildId = value('BUILD_BUILDID');
  const runUrl =
    collection && project && buildId
      ? `${collection.endsWith('/') ? collection : `${collection}/`}${encodeURIComponent(project)}/_build/results?buildId=${encodeURIComponent(buildId)}`
      : undefined;
  const context: CiContext = { system: 'azure' };
  const set = <K extends keyof CiContext>(key: K, v: CiContext[K] | undefined) => {
    if (v !== undefined) context[key] = v;
  };
  set('runUrl', runUrl);
  set('runId', buildId);
  set('attempt', value('SYSTEM_JOBATTEMPT'));
  set('commit', value('BUILD_SOURCEVERSION'));
  set('actor', value('BUILD_REQUESTEDFOR'));
  set('workflow', value('BUILD_DEFINITIONNAME'));
  set('repository', value('BUILD_REPOSITORY_NAME'));
  const job = value('SYSTEM_JOBID');
  const task = value('SYSTEM_TASKINSTANCEID');
  if (job || task) context.step = `${job ?? ''}/${task ?? ''}`;
  return context;
}

/**
 * The agent's proxy (Agent.ProxyUrl, credentials, bypass list) as ProxySettings for the HTTP client.
 * The agent's bypass entries are regular expressions matched against the request URL; the client only ever
 * talks to the API root, so task-lib matches them against it and a match becomes a bypass of that host.
 * Credentials go into the URL percent-encoded (task-lib's own formatted URL does not encode them).
 */
export function agentProxy(tl: Pick<TaskLib, 'getHttpProxyConfiguration'>, baseUrl: string | undefined): ProxySettings | undefined {
  const config = tl.getHttpProxyConfiguration();
  if (!config || !config.proxyUrl) return undefined;
  let url: string;
  try {
    const parsed = new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(config.proxyUrl) ? config.proxyUrl : `http://${config.proxyUrl}`);
    if (config.proxyUsername) {
      parsed.username = encodeURIComponent(config.proxyUsername);
      parsed.password = encodeURIComponent(config.proxyPassword ?? '');
    }
    url = parsed.toString().replace(/\/$/, '');
  } catch {
    url = config.proxyUrl; // the HTTP client reports an unusable proxy with its own message
  }
  const bypass: string[] = [];
  if (baseUrl) {
    try {
      if (tl.getHttpProxyConfiguration(baseUrl) === null) bypass.push(new URL(baseUrl).host);
    } catch {
      // An invalid regular expression in the agent's bypass list: use the proxy.
    }
  }
  return { url, bypass };
}

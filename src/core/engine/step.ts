/**
 * The step: its targets (at most `max-concurrency` at once, fail-fast), the one HTTP client and provider they
 * share, the saved state for the post step, the annotation budget, and the outputs, summary and reports when
 * it ends. One target's life is target-run.ts.
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type { Clock } from '../clock.js';
import { systemClock } from '../clock.js';
import type { Host } from '../host.js';
import { HttpClient, RequestBudget, requestScope } from '../http/index.js';
import { LogFile } from '../logs.js';
import { exitCodeFor, overallStatus, type TargetResult } from '../outcome.js';
import type { AccessHints } from '../platform.js';
import { cappedResultJson, renderSummaryMarkdown, renderTextSummary, resultJson } from '../report.js';
import { renderJUnit } from '../report-junit.js';
import { encodeBaseline, STATE_INVOCATION, STATE_RUNS, type SavedRun } from '../saved-runs.js';
import type { CiContext, Settings, TargetSpec } from '../settings.js';
import { errorText } from '../text.js';
import { secretMasker } from '../untrusted.js';
import { formatMs, StopSignal, type AnyProvider, type EngineOptions, type StepOutcome } from './common.js';
import { FollowReads } from './follow.js';
import { resultFromError } from './stop.js';
import { TargetRun } from './target-run.js';

/**
 * The runner keeps at most 10 error annotations per step (and the Azure agent caps its issue list too); the
 * front end raises one more for the step's failure message, so the log lines of failed tasks share the rest.
 */
export const MAX_ANNOTATIONS = 10;
const LOG_LINE_ANNOTATIONS = MAX_ANNOTATIONS - 1;

export async function runStep(settings: Settings, host: Host, options: EngineOptions): Promise<StepOutcome> {
  host.setSecret(settings.apiKey);
  const step = new Step(settings, host, options);
  try {
    return await step.run();
  } finally {
    await step.close();
  }
}

export class Step {
  readonly clock: Clock;
  /** Clock time at which the step times out. */
  readonly deadline: number;
  /** Clock time at which the step began. */
  readonly startedAt: number;
  readonly logFile: LogFile;
  private http: HttpClient | undefined;
  private loaded: AnyProvider | undefined;
  /** What a refused key needs, from the platform module. */
  accessHints: AccessHints | undefined;
  private annotations = 0;
  private readonly annotationsByTarget = new Map<number, number>();
  private readonly savedRuns = new Map<number, SavedRun>();
  private reads: FollowReads | undefined;
  /** Fires at the deadline or on CI cancellation; every wait and request listens to it. */
  private readonly stepAbort = new AbortController();
  private deadlineTimer: NodeJS.Timeout | undefined;
  /** The host's CI context plus this invocation's id (saved for the post step). */
  private readonly ciContext: CiContext;
  /** Things said once per step, whatever the number of targets. */
  private readonly said = new Set<string>();

  constructor(
    readonly settings: Settings,
    readonly host: Host,
    readonly options: EngineOptions,
  ) {
    this.clock = options.clock ?? systemClock;
    this.startedAt = this.clock.now();
    const invocation = host.ciContext.invocation ?? randomBytes(8).toString('hex');
    host.saveState(STATE_INVOCATION, invocation);
    this.ciContext = { ...host.ciContext, invocation };
    this.deadline = this.startedAt + settings.timeoutMs;
    const stamp = new Date().toISOString().replace(/[:.]/g, '-');
    this.logFile = new LogFile(
      join(host.tempDir, `orchestration-run-${stamp}-${randomBytes(3).toString('hex')}.log`),
      settings.logLines,
      [settings.apiKey],
    );
    const onHostAbort = () => this.stepAbort.abort(new StopSignal('cancelled', 'the CI job was cancelled'));
    if (host.signal.aborted) onHostAbort();
    else host.signal.addEventListener('abort', onHostAbort, { once: true });
    this.deadlineTimer = setTimeout(
      () => this.stepAbort.abort(new StopSignal('timed-out', `timed out after ${formatMs(settings.timeoutMs)}`)),
      settings.timeoutMs,
    );
    this.deadlineTimer.unref?.();
  }

  async close(): Promise<void> {
    clearTimeout(this.deadlineTimer);
    this.logFile.close();
    await this.http?.close();
    await this.loaded?.close?.();
  }

  async run(): Promise<StepOutcome> {
    try {
      await this.loadProvider();
    } catch (error) {
      // No target can start; every one is reported failed, and the summary and outputs are still written.
      const message = `could not start the ${this.settings.platform} provider: ${errorText(error)}`;
      this.host.debug(error instanceof Error && error.stack ? error.stack : String(error));
      return this.finish(this.settings.targets.map((spec) => ({ target: spec.label, platform: spec.platform, status: 'failed', failedTasks: [], message })));
    }
    this.host.info(
      `orchestration-run: ${this.settings.platform}, mode ${this.settings.mode}, ${this.settings.targets.length} target(s), timeout ${formatMs(this.settings.timeoutMs)}`,
    );
    const results = await this.runAll();
    return this.finish(results);
  }

  private async loadProvider(): Promise<void> {
    const { settings, host } = this;
    const module = await this.options.loadProvider(settings.platform);
    this.accessHints = module.accessHints;
    // One client (one keep-alive pool) for every target of the step; the key goes to the API origin only.
    // One request budget for the step's key, every target and every phase (http/budget.ts).
    this.http = new HttpClient({
      budget: new RequestBudget(this.clock, module.requestLimit),
      baseUrl: settings.baseUrl,
      headers: module.authHeaders(settings.apiKey),
      proxy: host.proxy,
      deadline: () => this.deadline,
      clock: this.clock,
      secrets: [settings.apiKey],
      log: (m) => host.debug(m),
      notice: (m) => host.info(m),
      ...this.options.http,
    });
    this.loaded = module.create({
      http: this.http,
      settings,
      ciContext: this.ciContext,
      clock: this.clock,
      signal: this.stepAbort.signal,
      log: { info: (m) => host.info(m), warn: (m) => host.warning(m), debug: (m) => host.debug(m) },
      ...(this.options.settleMs !== undefined && { settleMs: this.options.settleMs }),
    }) as AnyProvider;
    const batching = (this.options.polling?.batch ?? true) && !!this.loaded.observeMany && settings.targets.length > 1 && settings.maxConcurrency > 1;
    this.reads = new FollowReads(this.loaded, this.clock, settings.pollIntervalMs, this.stepAbort.signal, batching);
  }

  /** Runs every target, at most `max-concurrency` at once; with fail-fast, one failure stops the rest. */
  private async runAll(): Promise<TargetResult[]> {
    const { settings } = this;
    const specs = settings.targets;
    const results: TargetResult[] = new Array(specs.length);
    const controllers = specs.map(() => new AbortController());
    let failFastBy: string | undefined;
    let next = 0;

    const worker = async () => {
      for (;;) {
        const index = next++;
        if (index >= specs.length) return;
        const spec = specs[index]!;
        if (failFastBy !== undefined) {
          results[index] = this.notStarted(spec, `not started: ${failFastBy} did not succeed (fail-fast)`);
          continue;
        }
        const signal = AbortSignal.any([this.stepAbort.signal, controllers[index]!.signal]);
        const result = await this.runTarget(spec, index, signal);
        results[index] = result;
        // Checks are a few reads each: every target's verdict is worth more than stopping early.
        const failFast = settings.failFast && settings.mode !== 'check';
        if (failFast && !isGreen(result) && failFastBy === undefined && specs.length > 1) {
          failFastBy = spec.label;
          controllers.forEach((c, i) => {
            if (i !== index) c.abort(new StopSignal('cancelled', `stopped: ${spec.label} did not succeed (fail-fast)`));
          });
        }
      }
    };
    const workers = Array.from({ length: Math.min(settings.maxConcurrency, specs.length) }, worker);
    await Promise.all(workers);
    return results;
  }

  private notStarted(spec: TargetSpec, message: string): TargetResult {
    return { target: spec.label, platform: spec.platform, status: 'cancelled', failedTasks: [], message };
  }

  /** One target from start to end; never throws. */
  private async runTarget(spec: TargetSpec, index: number, signal: AbortSignal): Promise<TargetResult> {
    const run = new TargetRun(this, spec, index, signal);
    try {
      return await requestScope.run({ signal }, () => run.execute());
    } catch (error) {
      // Cancelling the remote run must not be stopped by the signal that ended the following.
      const budget = AbortSignal.timeout(this.options.cancelBudgetMs ?? 15_000);
      return requestScope.run({ signal: budget }, () => resultFromError(run, error));
    }
  }

  // --- what the targets share ------------------------------------------------------------------

  get provider(): AnyProvider {
    if (!this.loaded) throw new Error('provider not loaded');
    return this.loaded;
  }

  /** Status reads while following, shared by the step's targets. */
  get followReads(): FollowReads {
    if (!this.reads) throw new Error('provider not loaded');
    return this.reads;
  }


  /** True the first time it is called with this key in the step. */
  once(key: string): boolean {
    if (this.said.has(key)) return false;
    this.said.add(key);
    return true;
  }

  saveRun(index: number, runId: string, done: boolean, cancel?: 'unconfirmed'): void {
    this.savedRuns.set(index, { index, runId, done, ...(cancel ? { cancel } : {}) });
    this.host.saveState(STATE_RUNS, JSON.stringify([...this.savedRuns.values()]));
  }

  /** Saved just before a trigger is sent, so a stop while it is in flight can still find the run it started. */
  saveTrigger(index: number, baseline: unknown): void {
    let encoded: string;
    try {
      encoded = encodeBaseline(baseline);
    } catch {
      return;
    }
    this.savedRuns.set(index, { index, done: false, trigger: { sentAt: new Date(this.clock.now()).toISOString(), baseline: encoded } });
    this.host.saveState(STATE_RUNS, JSON.stringify([...this.savedRuns.values()]));
  }

  /**
   * An error line as an annotation while the step's budget lasts: every target gets an equal share of the
   * log-line budget (at least one), so one target's many errors cannot crowd out another's; past its share or
   * the budget, the line is a plain error line in the log. The failure message always has its own slot.
   * `shownInLog`: the line is already in the printed log (its task's excerpt or failure line).
   */
  annotate(message: string, title: string, index: number, shownInLog = false): void {
    // A host without annotations (the CLI) would only print the line a second time.
    if (shownInLog && this.host.raisesAnnotations === false) return;
    const share = Math.max(1, Math.floor(LOG_LINE_ANNOTATIONS / Math.max(1, this.settings.targets.length)));
    const used = this.annotationsByTarget.get(index) ?? 0;
    if (this.annotations < LOG_LINE_ANNOTATIONS && used < share) {
      this.annotations++;
      this.annotationsByTarget.set(index, used + 1);
      this.host.error(message, { title });
    } else {
      this.host.error(message);
    }
  }

  private async finish(unmasked: TargetResult[]): Promise<StepOutcome> {
    const { settings, host } = this;
    // Server text may echo the key: mask it in the results before any rendering (escaping would split it).
    const results = maskResults(unmasked, secretMasker([settings.apiKey]));
    const status = overallStatus(results);
    for (const line of renderTextSummary(results)) host.info(line);

    const joined = (pick: (r: TargetResult) => string | number | undefined) =>
      results.map((r) => (pick(r) === undefined ? '' : String(pick(r)))).join(',');
    const logFile = this.logFile.path;
    for (const r of results) if (r.failedTasks.length > 0 || r.logFile) r.logFile = logFile;

    const reportContext = {
      platform: settings.platform,
      mode: settings.mode,
      ciContext: host.ciContext,
      logFile,
    };
    const summaryMarkdown = renderSummaryMarkdown(results, reportContext);
    host.setOutput('status', status);
    host.setOutput('run-id', joined((r) => r.runId));
    host.setOutput('raw-status', joined((r) => r.rawStatus));
    host.setOutput('started-at', joined((r) => r.startedAt));
    host.setOutput('finished-at', joined((r) => r.finishedAt));
    host.setOutput('duration-seconds', joined((r) => r.durationSeconds));
    host.setOutput('result', cappedResultJson(results));
    // The full result, never capped, beside the log file.
    const resultFile = logFile.replace(/\.log$/, '') + '.result.json';
    try {
      const { writeFile } = await import('node:fs/promises');
      await writeFile(resultFile, resultJson(results) + '\n');
      host.setOutput('result-file', resultFile);
    } catch (error) {
      host.warning(`could not write the result file ${resultFile}: ${errorText(error)}`);
      host.setOutput('result-file', '');
    }
    host.setOutput('log-file', logFile);
    try {
      await host.writeSummary(summaryMarkdown);
    } catch (error) {
      host.warning(`could not write the summary: ${errorText(error)}`);
    }
    if (settings.junitFile) {
      try {
        const { writeFile } = await import('node:fs/promises');
        await writeFile(settings.junitFile, renderJUnit(results, reportContext));
        host.info(`JUnit results written to ${settings.junitFile}`);
      } catch (error) {
        host.warning(`could not write the JUnit file ${settings.junitFile}: ${errorText(error)}`);
      }
    }
    const failing = results.filter((r) => !isGreen(r));
    const failingTargetsLine =
      failing.length === 0
        ? undefined
        : `${failing.length} of ${results.length} ${results.length === 1 ? 'target' : 'targets'} did not succeed: ` +
          failing.map((r) => `${r.target} (${r.status})`).join(', ');
    const failureLine = failing.length === 1 ? `${failing[0]!.target}: ${failing[0]!.message ?? failing[0]!.status}` : failingTargetsLine;
    return { status, exitCode: exitCodeFor(status), results, summaryMarkdown, logFile, failureLine, failingTargetsLine };
  }
}


/** Every string of the results through `mask` (names, messages, log excerpts may all hold server text). */
function maskResults(results: TargetResult[], mask: (text: string) => string): TargetResult[] {
  const walk = (value: unknown): unknown => {
    if (typeof value === 'string') return mask(value);
    if (Array.isArray(value)) return value.map(walk);
    if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, walk(v)]));
    return value;
  };
  return results.map((r) => walk(r) as TargetResult);
}

function isGreen(result: TargetResult): boolean {
  return result.status === 'succeeded' || result.status === 'triggered' || result.status === 'running';
}


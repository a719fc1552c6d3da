/**
 * The engine: targets → resolve → (in-flight check) → baseline → trigger → find the triggered run → follow
 * → logs → results. Platform-neutral: it drives a Provider and talks to the CI system only through a Host.
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type { Clock } from '../clock.js';
import { systemClock } from '../clock.js';
import type { Host } from '../host.js';
import { ApiError, HttpClient, requestScope, type HttpClientOptions, type Phase } from '../http/index.js';
import { LogFile } from '../logs.js';
import type { AccessHints } from '../platform.js';
import { secretMasker } from '../untrusted.js';
import {
  exitCodeFor,
  isTerminal,
  missingProofs,
  overallStatus,
  type CancelReport,
  type Evidence,
  type FailedTask,
  type Proof,
  type ProofName,
  type RunState,
  type StepStatus,
  type TargetResult,
} from '../outcome.js';
import { DeadlineError, expectedFromHistory, PollSchedule, pollUntil, type ExpectedDuration } from '../poll.js';
import { cappedResultJson, renderJUnit, renderSummaryMarkdown, renderTextSummary, resultJson } from '../report.js';
import { decodeBaseline, encodeBaseline, pendingSavedRuns, STATE_INVOCATION, STATE_RUNS, type SavedRun } from '../saved-runs.js';
import type { CiContext } from '../settings.js';
import type { Settings, TargetSpec } from '../settings.js';
import type {
  FindResult,
  Observation,
  Provider,
  ProviderLoader,
  ResolvedTarget,
  RunHandle,
  TriggerResult,
} from '../provider.js';

export interface EngineOptions {
  loadProvider: ProviderLoader;
  clock?: Clock;
  /** Overrides for the HTTP client (tests: shorter per-request timeouts, retry delays). */
  http?: Partial<HttpClientOptions>;
  /** How long a triggered run may take to show up (default 5 minutes, never past the timeout). */
  startWindowMs?: number;
  /** How long to look for the run of a trigger whose answer was lost, before sending it again. */
  confirmWindowMs?: number;
  /** A progress line this often while nothing changes (default 5 minutes). */
  heartbeatMs?: number;
  /** Time allowed for cancelling remote runs after a timeout or cancellation. */
  cancelBudgetMs?: number;
  /** How runs are followed. The defaults are the product's; benchmarks compare the alternatives. */
  polling?: PollingOptions;
}

export interface PollingOptions {
  /** 'adaptive' (default): quick reads, then by history or a ramp to poll-interval. 'fixed': a read every poll-interval, as peer actions do. */
  strategy?: 'adaptive' | 'fixed';
  /** Place reads by the target's run history, where the provider offers it (default true). */
  history?: boolean;
  /** With history, early gaps may exceed poll-interval while the history rules out an end (default 'history'; see poll.ts). */
  earlyGaps?: 'history' | 'poll-interval';
  /** The longest such early gap, in poll-intervals (default 4; see poll.ts). */
  earlyGapFactor?: number;
  /** Read the runs a step follows together, where the provider can (default true). */
  batch?: boolean;
}

export interface StepOutcome {
  status: StepStatus;
  exitCode: number;
  results: TargetResult[];
  summaryMarkdown: string;
  logFile: string;
  /** One line for the CI system's failure message, when the step does not pass. */
  failureLine?: string;
}

/** Why following a target stopped early. */
class StopSignal extends Error {
  constructor(
    readonly status: 'cancelled' | 'timed-out',
    message: string,
  ) {
    super(message);
  }
}

/**
 * The runner keeps at most 10 error annotations per step (and the Azure agent caps its issue list too); the
 * front end raises one more for the step's failure message, so the log lines of failed tasks share the rest.
 */
export const MAX_ANNOTATIONS = 10;
const LOG_LINE_ANNOTATIONS = MAX_ANNOTATIONS - 1;

type AnyProvider = Provider<ResolvedTarget, RunHandle, unknown>;

export { STATE_RUNS, type SavedRun } from '../saved-runs.js';

export async function runStep(settings: Settings, host: Host, options: EngineOptions): Promise<StepOutcome> {
  host.setSecret(settings.apiKey);
  const step = new Step(settings, host, options);
  try {
    return await step.run();
  } finally {
    await step.close();
  }
}

class Step {
  private readonly clock: Clock;
  private readonly deadline: number;
  private readonly startedAt: number;
  private readonly logFile: LogFile;
  private http: HttpClient | undefined;
  private provider: AnyProvider | undefined;
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

  constructor(
    private readonly settings: Settings,
    private readonly host: Host,
    private readonly options: EngineOptions,
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
    await this.provider?.close?.();
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
    this.http = new HttpClient({
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
    this.provider = module.create({
      http: this.http,
      settings,
      ciContext: this.ciContext,
      clock: this.clock,
      signal: this.stepAbort.signal,
      log: { info: (m) => host.info(m), warn: (m) => host.warning(m), debug: (m) => host.debug(m) },
    }) as AnyProvider;
    const batching = (this.options.polling?.batch ?? true) && !!this.provider.observeMany && settings.targets.length > 1 && settings.maxConcurrency > 1;
    this.reads = new FollowReads(this.provider, this.clock, settings.pollIntervalMs, this.stepAbort.signal, batching);
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
      return requestScope.run({ signal: budget }, () => run.resultFromError(error));
    }
  }

  // --- helpers used by TargetRun ---------------------------------------------------------------

  get providerOrThrow(): AnyProvider {
    if (!this.provider) throw new Error('provider not loaded');
    return this.provider;
  }

  /** Status reads while following, shared by the step's targets. */
  get followReads(): FollowReads {
    if (!this.reads) throw new Error('provider not loaded');
    return this.reads;
  }

  get s(): Settings {
    return this.settings;
  }

  get h(): Host {
    return this.host;
  }

  get c(): Clock {
    return this.clock;
  }

  get startedAtMs(): number {
    return this.startedAt;
  }

  get stepDeadline(): number {
    return this.deadline;
  }

  get log(): LogFile {
    return this.logFile;
  }

  get opts(): EngineOptions {
    return this.options;
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
   */
  annotate(message: string, title: string, index: number): void {
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
    const failureLine =
      failing.length === 0
        ? undefined
        : failing.length === 1
          ? `${failing[0]!.target}: ${failing[0]!.message ?? failing[0]!.status}`
          : `${failing.length} of ${results.length} targets did not succeed: ` +
            failing.map((r) => `${r.target} (${r.status})`).join(', ');
    return { status, exitCode: exitCodeFor(status), results, summaryMarkdown, logFile, failureLine };
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

/** The life of one target. */
class TargetRun {
  private phase: Phase = 'resolve';
  private target: ResolvedTarget | undefined;
  private handles: RunHandle[] = [];
  private last = new Map<string, Observation>();
  private readonly notes: string[] = [];
  private readonly provider: AnyProvider;
  private readonly label: string;
  /** How each followed run is known to be ours or equivalent (the identity proof), and whether this step started it. */
  private readonly identities = new Map<string, RunIdentity>();
  /** Set when the trigger's answer was lost: what happened, for the messages and the identity proofs. */
  private lostAnswer: string | undefined;
  /** The baseline taken before the (last) trigger: a stop before the run was found still looks for it. */
  private baseline: unknown;
  /** Clock time just before this target's trigger was sent: the start of the run, for history-aware polling. */
  private triggeredAt: number | undefined;

  constructor(
    private readonly step: Step,
    private readonly spec: TargetSpec,
    private readonly index: number,
    private readonly signal: AbortSignal,
  ) {
    this.provider = step.providerOrThrow;
    this.label = spec.label;
  }

  private info(message: string): void {
    this.step.h.info(`${this.label}: ${message}`);
  }

  async execute(): Promise<TargetResult> {
    const { mode } = this.step.s;
    this.phase = 'resolve';
    const target = await this.provider.resolve(this.spec);
    this.target = target;
    if (target.label !== this.label) this.info(`resolved to ${target.label}`);

    if (mode === 'wait') return this.waitMode(target);
    if (mode === 'check') return this.checkMode(target);

    const handle = await this.startRun(target);
    await this.announce(target);
    if (mode === 'trigger') {
      this.step.saveRun(this.index, handle.runId, true);
      const identity = this.identityProof();
      const adopted = this.identities.get(handle.runId)?.adopted === true;
      const message = adopted
        ? `the trigger's answer was lost; adopted run ${handle.runId} (${identity.detail}); not waiting (mode: trigger). ` +
          `Its run-id handle says so (${ADOPTED_PREFIX}${handle.runId}), and mode: wait reports it as adopted`
        : `triggered run ${handle.runId}; not waiting (mode: trigger)`;
      return this.result({ status: 'triggered', message, evidence: { identity } });
    }
    return this.followAndReport(target);
  }

  /** Applies if-running, then triggers and finds the run this trigger caused. */
  private async startRun(target: ResolvedTarget): Promise<RunHandle> {
    const { ifRunning } = this.step.s;
    for (;;) {
      this.phase = 'baseline';
      const busy = await this.provider.inFlight(target);
      if (busy) {
        if (ifRunning === 'fail') {
          throw new TargetFailure(
            `already running (${busy.description}); if-running is 'fail'. Set if-running: attach to follow that run, or queue to wait for it and then trigger`,
          );
        }
        if (ifRunning === 'attach') {
          const handle = busy.handle ?? (await this.waitForInFlightHandle(target));
          this.info(`already running: attaching to run ${handle.runId} (if-running: attach); this step did not start it and will not cancel it`);
          this.adopt([handle], { detail: 'in flight when the step began; followed by if-running: attach (not started by this step)', ours: false });
          return handle;
        }
        this.info(`already running (${busy.description}): waiting for it to end before triggering (if-running: queue)`);
        await this.waitUntilIdle(target);
      }
      this.phase = 'baseline';
      const baseline = await this.provider.baseline(target);
      this.phase = 'trigger';
      this.triggeredAt = this.step.c.now();
      this.baseline = baseline;
      this.step.saveTrigger(this.index, baseline);
      const answer = await this.triggerSafely(target, baseline);
      if (answer.kind === 'already-running') {
        // Someone started it between our check and our trigger: apply if-running to that run.
        if (ifRunning === 'fail') throw new TargetFailure(`${answer.message}; if-running is 'fail'`);
        if (ifRunning === 'attach') {
          const handle = answer.handle ?? (await this.waitForInFlightHandle(target));
          this.info(`already running: attaching to run ${handle.runId} (if-running: attach); this step did not start it and will not cancel it`);
          this.adopt([handle], { detail: 'the trigger answered "already running"; followed by if-running: attach (not started by this step)', ours: false });
          return handle;
        }
        // queue: wait for it, then trigger again (a pause first, in case the platform does not show it in flight)
        await this.sleep(this.step.s.pollIntervalMs);
        continue;
      }
      if (answer.note) this.info(answer.note);
      if (answer.handle) {
        if (!this.identities.has(answer.handle.runId)) {
          this.info(`triggered: run ${answer.handle.runId}`);
          this.adopt([answer.handle], { detail: 'the run id the trigger answered', ours: true });
        }
        return answer.handle;
      }
      this.info('trigger accepted; looking for the run it started');
      const found = await this.findTriggeredRun(target, baseline);
      return found;
    }
  }

  /**
   * Sends the trigger. When the answer is lost (reset, timeout, 5xx), it first looks for the run the lost
   * attempt may have started (no platform documents idempotency for what we send), and sends again only when
   * none appeared, the target is idle and a last look still finds nothing: a second, accidental load is the
   * thing we must never cause.
   */
  private async triggerSafely(target: ResolvedTarget, baseline: unknown): Promise<TriggerResult<RunHandle>> {
    try {
      return await this.provider.trigger(target);
    } catch (error) {
      // Stopped (cancel, timeout) while the trigger was in flight: resultFromError looks for its run.
      if (this.signal.aborted || !(error instanceof ApiError) || !error.mayHaveApplied) throw error;
      const window = Math.min(this.step.opts.confirmWindowMs ?? 30_000, this.timeLeft());
      this.lostAnswer = error.message;
      const rule =
        this.provider.adoption === 'own-marker'
          ? "only a run carrying this step's idempotency key or metadata is taken as its own"
          : 'a run of this target and environment that started after the baseline is an equivalent load';
      this.phase = 'trigger';
      this.info(`the trigger's answer was lost (${error.message}); looking for the run it may have started before sending anything again (${rule})`);
      const found = await this.lookForRun(target, baseline, window);
      if (found) return this.adoptAfterLostAnswer(found, error.message, '');
      const busy = await this.provider.inFlight(target);
      if (busy) {
        // Not sent again: the target is busy, most likely with our own trigger. The find below must still
        // show a run that started after the baseline before anything is followed.
        return { kind: 'accepted', note: `the target is busy (${busy.description}): the lost trigger most likely landed; not sending it again` };
      }
      // A last look right before any resend: a look may have been slow (a 429, a retried page) while the run
      // appeared, and the target may be idle because that run has already ended.
      const late = await this.lookOnce(target, baseline);
      if (late) return this.adoptAfterLostAnswer(late, error.message, ' It had already ended when it was found.');
      this.info('no run appeared and the target is idle: sending the trigger again (resend 1 of 1)');
      this.notes.push(`the trigger's answer was lost (${error.message}); no run appeared and the target was idle, so the trigger was sent once more`);
      this.phase = 'trigger';
      const again = await this.provider.trigger(target);
      if (again.kind === 'already-running') {
        return { kind: 'accepted', note: 'the second trigger answered "already running": the first one most likely landed; not sending again' };
      }
      return again;
    }
  }

  /**
   * Follows the run(s) a look found after the trigger's answer was lost, and says so in the log and the notes.
   * Equivalent loads (TimeXtender, Qarion) may be someone else's, so they are never cancelled; a run carrying
   * our own marker (Planasonix) is ours.
   */
  private adoptAfterLostAnswer(found: Extract<FindResult<RunHandle>, { kind: 'found' }>, lost: string, remark: string): TriggerResult<RunHandle> {
    const all = [found.handle, ...(found.others ?? [])];
    const how = found.identity ?? 'started after the baseline taken just before the trigger';
    this.adopt(all, { detail: `adopted after the trigger's answer was lost (${lost}): ${how}`, ours: this.provider.adoption === 'own-marker', adopted: true });
    const note =
      `the trigger's answer was lost; adopted run${all.length > 1 ? 's' : ''} ${all.map((h) => h.runId).join(', ')} (${how}). ` +
      (all.length > 1 ? 'All are followed; the step passes only if every one succeeds.' : 'Its outcome decides the step.') +
      remark;
    this.notes.push(note);
    return { kind: 'accepted', handle: found.handle, note };
  }

  /** One look for the run of a lost trigger; undefined when nothing is found. */
  private async lookOnce(target: ResolvedTarget, baseline: unknown) {
    this.phase = 'find';
    const result = await this.provider.find(target, baseline);
    return result.kind === 'found' ? result : undefined;
  }

  /** Polls `find` for up to `windowMs`; undefined when nothing appeared. */
  private async lookForRun(target: ResolvedTarget, baseline: unknown, windowMs: number) {
    this.phase = 'find';
    const until = this.step.c.now() + windowMs;
    const schedule = new PollSchedule({ maxDelayMs: this.step.s.pollIntervalMs, firstDelayMs: 500 });
    for (;;) {
      const result = await this.provider.find(target, baseline);
      if (result.kind === 'found') return result;
      const left = until - this.step.c.now();
      if (left <= 0) return undefined;
      await this.sleep(Math.min(schedule.next(), left));
    }
  }

  private async findTriggeredRun(target: ResolvedTarget, baseline: unknown): Promise<RunHandle> {
    this.phase = 'find';
    const windowMs = Math.min(this.step.opts.startWindowMs ?? 5 * 60_000, this.timeLeft());
    const windowEnd = this.step.c.now() + windowMs;
    const schedule = new PollSchedule({ maxDelayMs: this.step.s.pollIntervalMs, firstDelayMs: 500 });
    let lastPending: FindResult<RunHandle> | undefined;
    for (;;) {
      const result = await this.provider.find(target, baseline);
      if (result.kind === 'found') {
        const all = [result.handle, ...(result.others ?? [])];
        const how = result.identity ?? 'a new run: not in the baseline taken just before the trigger';
        const adopted = this.lostAnswer !== undefined;
        if (all.length > 1) {
          const ids = all.map((h) => h.runId).join(', ');
          const note = `${all.length} new runs started after the trigger (${ids}): another user or a schedule ran it too. All are followed; the step passes only if every one succeeds.`;
          this.notes.push(note);
          this.step.h.warning(`${this.label}: ${note}`);
        }
        if (adopted) {
          const note = `the trigger's answer was lost (${this.lostAnswer}); adopted run ${all.map((h) => h.runId).join(', ')} (${how})`;
          this.notes.push(note);
          this.info(note);
        } else {
          this.info(`found run ${result.handle.runId}`);
        }
        // Two new runs: either may be someone else's, so neither is cancelled on our behalf.
        const ours = all.length === 1 && (!adopted || this.provider.adoption === 'own-marker');
        this.adopt(all, {
          detail: adopted ? `adopted after the trigger's answer was lost (${this.lostAnswer}): ${how}` : how,
          ours,
          adopted,
        });
        return result.handle;
      }
      lastPending = result;
      const now = this.step.c.now();
      // A trigger the platform shows as taken (queued) may wait past the start window: the timeout bounds it.
      if (now >= windowEnd && !result.accepted) {
        throw new TargetFailure(
          `${this.lostAnswer ? "the trigger was sent (its answer was lost)" : 'the trigger was accepted'}, but no new run appeared within ${formatMs(windowMs)}` +
            (lastPending.reason ? ` (${lastPending.reason})` : ''),
        );
      }
      await this.sleep(Math.min(schedule.next(), Math.max(1, this.step.stepDeadline - now)));
    }
  }

  /** Polls by the usual schedule until the step's deadline (then DeadlineError: the target timed out). */
  private pollUntil<T>(read: () => Promise<T | undefined>): Promise<T> {
    const schedule = new PollSchedule({ maxDelayMs: this.step.s.pollIntervalMs });
    return pollUntil(read, { schedule, clock: this.step.c, deadline: this.step.stepDeadline, signal: this.signal });
  }

  private waitForInFlightHandle(target: ResolvedTarget): Promise<RunHandle> {
    return this.pollUntil(async () => {
      const busy = await this.provider.inFlight(target);
      if (!busy) throw new TargetFailure('the run in flight ended before it could be identified; nothing to attach to');
      return busy.handle;
    });
  }

  private async waitUntilIdle(target: ResolvedTarget): Promise<void> {
    await this.pollUntil(async () => ((await this.provider.inFlight(target)) ? undefined : true));
  }

  /**
   * Follows these runs from now on, recording how each is known to be ours or equivalent. Only runs this
   * step started (`ours`) are ever cancelled, here or by the post step.
   */
  private adopt(handles: RunHandle[], identity: RunIdentity): void {
    for (const handle of handles) {
      if (!this.handles.some((h) => h.runId === handle.runId)) this.handles.push(handle);
      if (!this.identities.has(handle.runId)) this.identities.set(handle.runId, identity);
    }
    const primary = this.handles[0]!;
    this.step.saveRun(this.index, primary.runId, this.identities.get(primary.runId)?.ours !== true);
  }

  /** The identity proof of the runs followed (all of them must hold). */
  private identityProof(): Proof {
    if (this.handles.length === 0) return { ok: false, detail: 'no run was identified' };
    const parts = this.handles.map((h) => {
      const id = this.identities.get(h.runId);
      return { runId: h.runId, ok: id !== undefined, detail: id?.detail ?? 'not identified' };
    });
    const ok = parts.every((p) => p.ok);
    const detail = parts.length === 1 ? parts[0]!.detail : parts.map((p) => `run ${p.runId}: ${p.detail}`).join(' | ');
    return { ok, detail };
  }

  /**
   * The evidence behind the verdict of the runs followed. Green only when every required proof holds for
   * every run: there is no path to `succeeded` that skips one.
   */
  private evidenceFor(handles: RunHandle[], extra: Evidence = {}): { evidence: Evidence; missing: ProofName[] } {
    const composite = this.target?.composite === true;
    const many = handles.length > 1;
    const label = (h: RunHandle, text: string) => (many ? `run ${h.runId}: ${text}` : text);
    const combine = (proofs: Array<[RunHandle, Proof]>): Proof => ({
      ok: proofs.length > 0 && proofs.every(([, p]) => p.ok),
      detail: proofs.length === 0 ? 'no run observed' : proofs.map(([h, p]) => label(h, p.detail)).join(' | '),
    });
    const obsOf = (h: RunHandle) => this.last.get(h.runId);
    const success = combine(
      handles.map((h) => {
        const obs = obsOf(h);
        if (!obs) return [h, { ok: false, detail: 'never observed' }];
        return [h, obs.state === 'succeeded' ? { ok: true, detail: `${obs.rawStatus} (a success word)` } : { ok: false, detail: `${obs.rawStatus || '(no status)'} is not a success word (${obs.state})` }];
      }),
    );
    const end = combine(
      handles.map((h) => {
        const obs = obsOf(h);
        return [h, obs?.end ? { ok: true, detail: obs.end } : { ok: false, detail: 'no end seen on the platform' }];
      }),
    );
    const evidence: Evidence = { identity: extra.identity ?? this.identityProof(), success, end };
    const required: ProofName[] = ['identity', 'success', 'end'];
    if (composite) {
      evidence.members = combine(
        handles.map((h) => {
          const members = obsOf(h)?.members;
          return [h, members ?? { ok: false, detail: 'no member of this run was accounted for' }];
        }),
      );
      required.push('members');
    } else {
      const reported = handles.map((h) => [h, obsOf(h)?.members] as const).filter((pair): pair is readonly [RunHandle, Proof] => pair[1] !== undefined);
      if (reported.length > 0) {
        evidence.members = combine(reported.map(([h, p]) => [h, p]));
        required.push('members');
      }
    }
    if (extra.history) {
      evidence.history = extra.history;
      required.push('history');
    }
    return { evidence, missing: missingProofs(evidence, required) };
  }

  /** Lets the provider mark the run as ours (e.g. a comment with the CI run link); only warns on failure. */
  private async announce(target: ResolvedTarget): Promise<void> {
    const handle = this.handles[0];
    if (!handle || !this.provider.announce) return;
    try {
      await this.provider.announce(target, handle);
    } catch (error) {
      this.step.h.warning(`${this.label}: could not annotate run ${handle.runId} on ${this.spec.platform}: ${errorText(error)}`);
    }
  }

  /** Follows every adopted run until all have ended, then fetches failure details. */
  private async followAndReport(target: ResolvedTarget): Promise<TargetResult> {
    this.phase = 'follow';
    await this.follow(target);
    const primary = this.handles[0]!;
    const observation = this.last.get(primary.runId)!;
    this.step.saveRun(this.index, primary.runId, true);
    const failedRuns = this.handles.filter((h) => this.last.get(h.runId)!.state !== 'succeeded');
    const { evidence, missing } = this.evidenceFor(this.handles);
    let status: StepStatus = failedRuns.length === 0 ? 'succeeded' : stepStatusOf(this.last.get(failedRuns[0]!.runId)!.state);
    // Logs of runs that ended with a success word but lack another proof are worth showing too.
    const failedTasks = await this.collectFailures(target, failedRuns.length > 0 || missing.length === 0 ? failedRuns : this.handles);
    let message: string | undefined;
    if (status === 'succeeded' && missing.length > 0) {
      status = 'failed';
      message = `run ${primary.runId} ended ${observation.rawStatus}, but it is not counted as green: ${missingLine(evidence, missing)}`;
    } else if (status !== 'succeeded') {
      const run = failedRuns[0]!;
      const obs = this.last.get(run.runId)!;
      message = `run ${run.runId} ended ${obs.rawStatus || 'without a status'} (${obs.state})`;
      if (failedTasks.length > 0) message += `; failed: ${failedTasks.map((t) => t.name).slice(0, 5).join(', ')}`;
      if (evidence.members && !evidence.members.ok) message += `; members: ${evidence.members.detail}`;
    } else if (this.lostAnswer) {
      message = `run ${primary.runId} succeeded; the trigger's answer was lost and this run was adopted (${evidence.identity!.detail})`;
    }
    return this.result({ status, message, failedTasks, observation, evidence });
  }

  /**
   * Reads every open run of this target until all have ended. The reads are spaced by a follow schedule
   * (poll.ts): quick reads, then by the target's run history when this step started the run and the
   * provider has one, else a ramp to poll-interval on a grid shared by the step's targets. The reads
   * themselves go through the step's FollowReads, which batches them across targets where it can.
   */
  private async follow(target: ResolvedTarget): Promise<void> {
    const clock = this.step.c;
    const heartbeatMs = this.step.opts.heartbeatMs ?? 5 * 60_000;
    const polling = this.step.opts.polling ?? {};
    const interval = this.step.s.pollIntervalMs;
    const expected = await this.expectedDuration(target);
    // The schedule's time scale: since the trigger when this step started the run, else since following began.
    let origin = this.triggeredAt ?? clock.now();
    const makeSchedule = (withHistory: boolean): PollSchedule =>
      polling.strategy === 'fixed'
        ? new PollSchedule({ maxDelayMs: interval, firstDelayMs: interval, factor: 1 })
        : new PollSchedule({
            maxDelayMs: interval,
            follow: {
              elapsedMs: clock.now() - origin,
              expected: withHistory ? expected : undefined,
              gridPhaseMs: this.step.startedAtMs - origin,
              earlyGaps: polling.earlyGaps,
              earlyGapFactor: polling.earlyGapFactor,
            },
          });
    let schedule: PollSchedule | undefined;
    let waitingForStart = false;
    let lastGap = 0;
    let lastLine = clock.now();
    /** When each run was first seen missing on the platform (reset when it shows up). */
    const missingSince = new Map<string, number>();
    const missingWindowMs = this.step.opts.confirmWindowMs ?? 30_000;
    const reads = this.step.followReads;
    const leave = reads.join();
    try {
      for (;;) {
        const open = this.handles.filter((h) => !isTerminal(this.last.get(h.runId)?.state ?? 'unknown'));
        if (open.length === 0) return;
        const observations = await Promise.all(open.map((handle) => reads.observe(target, handle, this.signal)));
        open.forEach((handle, i) => {
          const observation = observations[i]!;
          if (observation.notFound) {
            const since = missingSince.get(handle.runId) ?? clock.now();
            missingSince.set(handle.runId, since);
            if (clock.now() - since >= missingWindowMs) {
              throw new TargetFailure(
                `run ${handle.runId} does not exist on ${this.spec.platform}, or is not visible to this key: ${observation.progress ?? 'the platform does not show it'} (checked for ${formatMs(clock.now() - since)})`,
              );
            }
          } else {
            missingSince.delete(handle.runId);
          }
          const previous = this.last.get(handle.runId);
          this.last.set(handle.runId, observation);
          if (!previous || previous.rawStatus !== observation.rawStatus || previous.state !== observation.state) {
            this.info(`run ${handle.runId} is ${describe(observation)}`);
            lastLine = clock.now();
          } else if (observation.progress && observation.progress !== previous.progress) {
            this.info(`run ${handle.runId}: ${observation.progress}`);
            lastLine = clock.now();
          }
        });
        if (this.handles.every((h) => isTerminal(this.last.get(h.runId)!.state))) return;
        const state = this.last.get(this.handles[0]!.runId)!.state;
        if (!schedule) {
          // The history counts from the run's start: a run still queued gets it once it runs.
          waitingForStart = expected !== undefined && state === 'queued';
          schedule = makeSchedule(!waitingForStart);
        } else if (waitingForStart && state !== 'queued') {
          waitingForStart = false;
          origin = clock.now() - lastGap / 2;
          schedule = makeSchedule(true);
        }
        if (clock.now() - lastLine >= heartbeatMs) {
          const elapsed = formatMs(clock.now() - this.step.startedAtMs);
          this.info(`still ${describe(this.last.get(this.handles[0]!.runId)!)} after ${elapsed}`);
          lastLine = clock.now();
        }
        lastGap = schedule.next(clock.now() - origin);
        await this.sleep(lastGap);
      }
    } finally {
      leave();
    }
  }

  /**
   * The target's expected duration from its run history, when this step started the run (so its start is
   * known). Not when the step's reads are batched: one list read serves every target, so all read together on
   * the step's poll-interval grid; a schedule per run would each need reads of its own.
   */
  private async expectedDuration(target: ResolvedTarget): Promise<ExpectedDuration | undefined> {
    const polling = this.step.opts.polling ?? {};
    if (this.triggeredAt === undefined || polling.history === false || polling.strategy === 'fixed' || !this.provider.history) return undefined;
    if (this.step.followReads.batching) return undefined;
    try {
      const expected = expectedFromHistory(await this.provider.history(target));
      if (expected) {
        this.step.h.debug(
          `${this.label}: recent runs took about ${formatMs(expected.medianMs)} (spread ${Math.round(expected.spread * 100)}%); status reads follow that history`,
        );
      }
      return expected;
    } catch (error) {
      this.step.h.debug(`${this.label}: no run history for polling (${errorText(error)}); reading on the plain schedule`);
      return undefined;
    }
  }

  private async collectFailures(target: ResolvedTarget, runs: RunHandle[]): Promise<FailedTask[]> {
    const { logs } = this.step.s;
    const wanted = logs === 'always' ? this.handles : runs;
    if (wanted.length === 0) return [];
    const failed: FailedTask[] = [];
    this.phase = 'logs';
    for (const handle of wanted) {
      const observation = this.last.get(handle.runId)!;
      let tasks: FailedTask[];
      try {
        tasks = await this.provider.failures(target, handle, observation, this.step.log, { fetchLogs: logs !== 'never' });
      } catch (error) {
        const reason = errorText(error);
        this.step.log.note(`${this.label}: could not read the failure details of run ${handle.runId}: ${reason}`);
        this.step.h.warning(`${this.label}: could not read the failure details of run ${handle.runId}: ${reason}`);
        continue;
      }
      for (const task of tasks) {
        // With logs: always, a succeeded run's task logs are printed but are not failures.
        if (observation.state !== 'succeeded') failed.push(task);
        await this.printTask(task, observation.state !== 'succeeded');
      }
    }
    return failed;
  }

  private async printTask(task: FailedTask, failed: boolean): Promise<void> {
    const host = this.step.h;
    const title = `${this.label} › ${task.name}${task.type ? ` (${task.type}${task.id ? ` ${task.id}` : ''})` : ''}: ${task.status}`;
    if (task.logExcerpt.length > 0) {
      await host.group(`${title} — last ${task.logExcerpt.length} log lines`, async () => {
        for (const line of task.logExcerpt) host.info(line);
      });
    } else {
      host.info(`${title}${task.logNote ? ` — ${task.logNote}` : ''}`);
    }
    if (!failed) return;
    const lines = task.errorLines.length > 0 ? task.errorLines : [`${task.name} ended ${task.status}${task.logNote ? ` (${task.logNote})` : ''}`];
    for (const line of lines) this.step.annotate(line, `${this.label} › ${task.name}`, this.index);
  }

  // --- modes wait and check ------------------------------------------------------------------

  private async waitMode(target: ResolvedTarget): Promise<TargetResult> {
    const { runId } = this.step.s;
    let handle: RunHandle;
    this.phase = 'find';
    let identity: RunIdentity;
    if (runId) {
      if (!this.provider.handleFor) throw new TargetFailure(`mode 'wait' with a run-id is not supported on ${this.spec.platform}`);
      // One handle per target, in target order (the run-id output of mode trigger): `id`, `adopted:id`, or
      // several runs of the target joined by `+` (all are followed; green only if every one succeeds).
      const given = (runId.split(',')[this.index] ?? '').trim();
      if (given === '') throw new TargetFailure(`run-id has no id for target ${this.index + 1} (give one id per target, comma-separated in target order)`);
      // `+` joins runs, except where it starts a UTC offset inside an id (an Airflow dag_run_id ends `+00:00`).
      const parts = given.split(/\+(?!\d{2}:?\d{2}(?![\w-]))/).map((p) => p.trim()).filter(Boolean);
      const followed: RunHandle[] = [];
      for (const part of parts) {
        const adopted = part.startsWith(ADOPTED_PREFIX);
        const id = adopted ? part.slice(ADOPTED_PREFIX.length) : part;
        const each = await this.provider.handleFor(target, id);
        // This step only follows the run (product spec: never cancel a run the step only followed), even when
        // an earlier trigger step of the same pipeline started it.
        this.adopt(
          [each],
          adopted
            ? { detail: `run id given in run-id, marked by the trigger step as adopted after its trigger's answer was lost`, ours: false, adopted: true }
            : { detail: 'run id given in run-id', ours: false },
        );
        if (adopted) this.notes.push(`run ${id} was adopted by the trigger step after its trigger's answer was lost, not started by it for certain`);
        followed.push(each);
      }
      this.info(`following run ${followed.map((h) => h.runId).join(', ')}; this step did not start it and will not cancel it`);
      return this.followAndReport(target);
    } else {
      const busy = await this.provider.inFlight(target);
      if (!busy) throw new TargetFailure('no run in flight to wait for (mode: wait without run-id); give run-id, or use mode: check');
      handle = busy.handle ?? (await this.waitForInFlightHandle(target));
      identity = { detail: 'the run in flight (mode: wait without run-id; not started by this step)', ours: false };
    }
    this.info(`following run ${handle.runId}${identity.ours ? '' : '; this step did not start it and will not cancel it'}`);
    this.adopt([handle], identity);
    return this.followAndReport(target);
  }

  private async checkMode(target: ResolvedTarget): Promise<TargetResult> {
    this.phase = 'check';
    if (!this.provider.latest) throw new TargetFailure(`mode 'check' is not supported on ${this.spec.platform}`);
    const latest = await this.provider.latest(target);
    if (!latest) return this.result({ status: 'failed', message: 'never ran: no run found for this target' });
    this.handles = [latest.handle];
    this.identities.set(latest.handle.runId, { detail: 'the latest run of the target by its history', ours: false });
    const obs = latest.observation;
    this.last.set(latest.handle.runId, obs);
    const { maxAgeMs } = this.step.s;
    const history: Proof = latest.history ?? { ok: false, detail: 'the provider did not say how the history was read' };
    const { evidence, missing } = this.evidenceFor([latest.handle], { history });
    if (!history.ok) {
      return this.result({ status: 'failed', observation: obs, evidence, message: `the latest run cannot be told: ${history.detail}` });
    }
    if (!isTerminal(obs.state)) {
      return this.result({ status: 'failed', observation: obs, evidence, message: `the latest run ${latest.handle.runId} is still ${describe(obs)}` });
    }
    if (obs.state !== 'succeeded') {
      const failedTasks = await this.collectFailures(target, [latest.handle]);
      return this.result({ status: 'failed', observation: obs, evidence, failedTasks, message: `the latest run ${latest.handle.runId} ${describe(obs)}` });
    }
    if (missing.length > 0) {
      return this.result({ status: 'failed', observation: obs, evidence, message: `the latest run ${latest.handle.runId} ended ${obs.rawStatus}, but it is not counted as green: ${missingLine(evidence, missing)}` });
    }
    if (maxAgeMs !== undefined) {
      if (latest.ageMs === undefined) {
        return this.result({ status: 'failed', observation: obs, evidence, message: `the latest run ${latest.handle.runId} succeeded, but its age cannot be told` });
      }
      if (latest.ageMs > maxAgeMs) {
        return this.result({
          status: 'failed',
          observation: obs,
          evidence,
          message:
            `too old: the latest run ${latest.handle.runId} succeeded ${formatMs(latest.ageMs)} ago (max-age ${formatMs(maxAgeMs)})` +
            (latest.ageNote ? `; the age is ${latest.ageNote}` : ''),
        });
      }
    }
    return this.result({
      status: 'succeeded',
      observation: obs,
      evidence,
      message: `the latest run ${latest.handle.runId} succeeded` + (latest.ageMs !== undefined ? ` ${formatMs(latest.ageMs)} ago` : ''),
    });
  }

  // --- results and errors --------------------------------------------------------------------

  private result(parts: {
    status: StepStatus;
    message?: string;
    failedTasks?: FailedTask[];
    observation?: Observation;
    cancel?: CancelReport;
    evidence?: Evidence;
  }): TargetResult {
    const primary = this.handles[0];
    const obs = parts.observation ?? (primary ? this.last.get(primary.runId) : undefined);
    const result: TargetResult = {
      target: this.target?.label ?? this.label,
      platform: this.spec.platform,
      runId: this.handles.map((h) => (this.identities.get(h.runId)?.adopted ? ADOPTED_PREFIX : '') + h.runId).join('+') || undefined,
      status: parts.status,
      rawStatus: obs?.rawStatus,
      startedAt: obs?.startedAt,
      finishedAt: obs?.finishedAt,
      durationSeconds: obs?.durationSeconds,
      timeNote: this.provider.timeNote,
      failedTasks: parts.failedTasks ?? [],
      message: parts.message,
      cancel: parts.cancel,
      notes: this.notes.length > 0 ? this.notes : undefined,
      evidence: parts.evidence ?? (this.handles.length > 0 ? { identity: this.identityProof() } : undefined),
    };
    if (result.evidence === undefined) delete result.evidence;
    if (result.runId === undefined) delete result.runId;
    return result;
  }

  async resultFromError(error: unknown): Promise<TargetResult> {
    const stop = stopReason(error, this.signal);
    if (stop) {
      // The state when the step stopped, before any cancel changed it.
      const when = this.handles.length ? ` while run ${this.handles[0]!.runId} was ${describe(this.last.get(this.handles[0]!.runId))}` : '';
      let inFlight = '';
      if (this.handles.length === 0 && this.triggeredAt !== undefined && this.target) {
        // Stopped while the trigger was in flight or its run was being looked for: one look for that run.
        inFlight = await this.lookAfterStop(this.target);
      }
      const cancel = await this.cancelRemote(stop.status);
      if (this.handles.length > 0) {
        const primary = this.handles[0]!;
        const ours = this.identities.get(primary.runId)?.ours === true;
        // Settled when the run has ended (a cancel is confirmed by the end it causes) or was not ours to cancel;
        // otherwise the post step retries the cancel and reports the final state it reads.
        const settled = !ours || isTerminal(this.last.get(primary.runId)?.state ?? 'unknown') || (cancel !== undefined && !cancel.requested);
        this.step.saveRun(this.index, primary.runId, settled, settled || !cancel?.requested ? undefined : 'unconfirmed');
      }
      const message = `${stop.message}${when}${inFlight}`;
      return this.result({ status: stop.status, message, cancel });
    }
    const message = this.explain(error);
    this.step.h.debug(`${this.label}: ${error instanceof Error && error.stack ? error.stack : String(error)}`);
    return this.result({ status: 'failed', message });
  }

  /**
   * The step stopped after the trigger was sent but before its run was known: one look for that run, so it
   * can be cancelled (when it is provably ours) and reported. Otherwise the saved trigger lets the post step
   * look again.
   */
  private async lookAfterStop(target: ResolvedTarget): Promise<string> {
    try {
      const found = await this.provider.find(target, this.baseline);
      if (found.kind !== 'found') return '; the trigger had been sent, and no run it started was seen yet';
      const all = [found.handle, ...(found.others ?? [])];
      // The trigger's answer never came: only a run carrying our own marker is proven ours (and so cancelled).
      const ours = all.length === 1 && this.provider.adoption === 'own-marker';
      this.adopt(all, { detail: found.identity ?? 'a new run: not in the baseline taken just before the trigger', ours, adopted: true });
      return `; the trigger had been sent and run ${all.map((h) => h.runId).join(', ')} had started`;
    } catch (error) {
      return `; the trigger had been sent, and its run could not be looked for (${errorText(error)})`;
    }
  }

  /** One line naming the phase and the cause, with what to do for the usual HTTP answers. */
  private explain(error: unknown): string {
    if (error instanceof TargetFailure) return error.message;
    if (error instanceof ApiError) {
      const hint = hintFor(error, this.spec.platform, this.step.accessHints);
      return `${error.message}${hint ? `. ${hint}` : ''}`;
    }
    return `${this.phase}: ${errorText(error)}`;
  }

  private async cancelRemote(status: 'cancelled' | 'timed-out'): Promise<CancelReport | undefined> {
    const unfinished = this.handles.filter((h) => !isTerminal(this.last.get(h.runId)?.state ?? 'unknown'));
    if (unfinished.length === 0) return undefined;
    // Never cancel a run this step did not start (attached, waited for, or adopted as an equivalent load).
    const foreign = unfinished.filter((h) => this.identities.get(h.runId)?.ours !== true);
    const open = unfinished.filter((h) => this.identities.get(h.runId)?.ours === true);
    if (foreign.length > 0) {
      const note = `run ${foreign.map((h) => h.runId).join(', ')} was not started by this step: not cancelled, it keeps going on the server`;
      this.info(note);
      if (open.length === 0) return { requested: false, accepted: false, note };
    }
    const wanted = status === 'cancelled' || this.step.s.cancelOnTimeout;
    if (!wanted) {
      return { requested: false, accepted: false, note: 'not cancelled (cancel-on-timeout: false); the remote run keeps going' };
    }
    if (!this.provider.cancel || !this.target) {
      const note = `${this.spec.platform} offers no way to cancel a run: run ${open.map((h) => h.runId).join(', ')} keeps going on the server`;
      this.step.h.warning(`${this.label}: ${note}`);
      return { requested: false, accepted: false, note };
    }
    this.phase = 'cancel';
    const notes: string[] = [];
    let accepted = true;
    for (const handle of open) {
      try {
        const report = await this.provider.cancel(this.target, handle);
        accepted &&= report.accepted;
        notes.push(report.note);
        // Refused or accepted, the run's real final state is what the user needs (a refused cancel usually
        // means it had just ended).
        notes.push(await this.finalStateAfterCancel(this.target, handle, status));
      } catch (error) {
        accepted = false;
        notes.push(`cancel of run ${handle.runId} failed: ${errorText(error)}`);
      }
    }
    const note = notes.join('; ');
    this.info(note);
    return { requested: true, accepted, note };
  }

  /**
   * Cancellation is cooperative on some platforms: the run may finish its batch and even end `completed`.
   * Read it until it ends (within the cancel budget) and report what really happened.
   */
  private async finalStateAfterCancel(target: ResolvedTarget, handle: RunHandle, status: 'cancelled' | 'timed-out'): Promise<string> {
    const schedule = new PollSchedule({ maxDelayMs: Math.min(this.step.s.pollIntervalMs, 2000), firstDelayMs: 200 });
    const clock = this.step.c;
    const until = clock.now() + (this.step.opts.cancelBudgetMs ?? 15_000) - 500;
    let last: Observation | undefined;
    try {
      while (clock.now() < until) {
        last = await this.provider.observe(target, handle);
        this.last.set(handle.runId, last);
        if (isTerminal(last.state)) {
          const stays = last.state === 'succeeded' ? `; the step stays ${status}: the run did not end within the step` : '';
          return `run ${handle.runId} ended ${describe(last)} after the cancel${stays}`;
        }
        await clock.sleep(Math.min(schedule.next(), Math.max(0, until - clock.now())));
      }
    } catch (error) {
      return `the state of run ${handle.runId} after the cancel could not be read: ${errorText(error)}`;
    }
    return `run ${handle.runId} was still ${describe(last)} when the step stopped waiting for the cancel to finish`;
  }

  private timeLeft(): number {
    return Math.max(0, this.step.stepDeadline - this.step.c.now());
  }

  /** Sleeps on the injected clock; a sleep that reaches the step's deadline ends in a timeout on that clock. */
  private async sleep(ms: number): Promise<void> {
    const left = this.step.stepDeadline - this.step.c.now();
    if (ms < left) return this.step.c.sleep(ms, this.signal);
    await this.step.c.sleep(Math.max(0, left), this.signal);
    throw new StopSignal('timed-out', `timed out after ${formatMs(this.step.s.timeoutMs)}`);
  }
}

/** How a followed run is known to be ours or equivalent. */
interface RunIdentity {
  /** The identity proof's line. */
  detail: string;
  /** This step started it (so it may cancel it); false for attached, waited-for or equivalent adopted runs. */
  ours: boolean;
  /** Adopted after the trigger's answer was lost: its run-id handle is marked `adopted:`. */
  adopted?: boolean;
}

/** Marks a run-id handle whose run was adopted after a lost trigger answer (mode: wait reads it). */
export const ADOPTED_PREFIX = 'adopted:';

/** `missing proof: end (no end seen on the platform)`, naming each proof that does not hold. */
function missingLine(evidence: Evidence, missing: readonly ProofName[]): string {
  const parts = missing.map((name) => `${name} (${evidence[name]?.detail ?? 'not shown'})`);
  return `missing proof${parts.length > 1 ? 's' : ''}: ${parts.join('; ')}`;
}

/** Longest wait for other targets' reads to join a batch. */
const GATHER_MS = 250;

interface WaitingRead {
  target: ResolvedTarget;
  handle: RunHandle;
  resolve(observation: Observation): void;
  reject(error: unknown): void;
}

/**
 * The status reads of the runs a step follows. With a provider that can read many runs at once
 * (`observeMany`, e.g. one list request per page for all tasks of a workspace) and more than one target
 * following, reads that come within a short window go out as one batch; the follow schedules put their
 * `poll-interval` grid at the same instants for every target of the step, so their reads meet. Otherwise
 * each run is read on its own.
 */
class FollowReads {
  private followers = 0;
  private batch: WaitingRead[] | undefined;
  private readonly gatherMs: number;

  constructor(
    private readonly provider: AnyProvider,
    private readonly clock: Clock,
    pollIntervalMs: number,
    private readonly stepSignal: AbortSignal,
    /** The step has several targets and the provider reads many runs at once. */
    readonly batching: boolean,
  ) {
    this.gatherMs = Math.max(1, Math.min(GATHER_MS, Math.floor(pollIntervalMs / 4)));
  }

  /** A target starts following; call the returned function when it stops. */
  join(): () => void {
    this.followers++;
    let left = false;
    return () => {
      if (!left) this.followers--;
      left = true;
    };
  }

  observe(target: ResolvedTarget, handle: RunHandle, signal: AbortSignal): Promise<Observation> {
    if (!this.batching || !this.provider.observeMany || this.followers < 2) return this.provider.observe(target, handle);
    signal.throwIfAborted();
    return new Promise<Observation>((resolve, reject) => {
      // The batch belongs to the step: a target stopped (fail-fast) stops waiting, not the others' reads.
      const onAbort = () => reject(signal.reason);
      signal.addEventListener('abort', onAbort, { once: true });
      const waiting: WaitingRead = {
        target,
        handle,
        resolve: (observation) => {
          signal.removeEventListener('abort', onAbort);
          resolve(observation);
        },
        reject: (error) => {
          signal.removeEventListener('abort', onAbort);
          reject(error);
        },
      };
      if (this.batch) {
        this.batch.push(waiting);
      } else {
        this.batch = [waiting];
        void this.flushSoon();
      }
    });
  }

  private async flushSoon(): Promise<void> {
    try {
      await this.clock.sleep(this.gatherMs, this.stepSignal);
    } catch {
      // The step stopped: the reads below fail at once with its reason.
    }
    const batch = this.batch ?? [];
    this.batch = undefined;
    await requestScope.run({ signal: this.stepSignal }, async () => {
      try {
        if (batch.length === 1) {
          batch[0]!.resolve(await this.provider.observe(batch[0]!.target, batch[0]!.handle));
          return;
        }
        const results = await this.provider.observeMany!(batch.map(({ target, handle }) => ({ target, handle })));
        batch.forEach((waiting, i) => {
          const result = results[i];
          if (result === undefined) waiting.reject(new Error(`no status was read for run ${waiting.handle.runId}`));
          else if (result instanceof Error) waiting.reject(result);
          else waiting.resolve(result);
        });
      } catch (error) {
        for (const waiting of batch) waiting.reject(error);
      }
    });
  }
}

class TargetFailure extends Error {}

function stopReason(error: unknown, signal: AbortSignal): StopSignal | undefined {
  if (error instanceof StopSignal) return error;
  if (error instanceof DeadlineError) return new StopSignal('timed-out', 'timed out');
  if (signal.aborted && signal.reason instanceof StopSignal) return signal.reason;
  return undefined;
}

function stepStatusOf(state: RunState): StepStatus {
  if (state === 'succeeded') return 'succeeded';
  if (state === 'cancelled') return 'cancelled';
  return 'failed';
}

function describe(observation: Observation | undefined): string {
  if (!observation) return 'not yet observed';
  const raw = observation.rawStatus || '(no status)';
  const state = raw.toLowerCase() === observation.state ? '' : ` (${observation.state})`;
  return `${raw}${state}${observation.progress ? `, ${observation.progress}` : ''}`;
}

/** What to do about the usual HTTP answers (product spec: Errors); a 403 says what the platform's key needs. */
function hintFor(error: ApiError, platform: string, access: AccessHints | undefined): string | undefined {
  switch (error.status) {
    case 401:
      return 'The API key was rejected: it is missing, wrong or revoked, or the user behind it was deactivated. Create a new key and update the secret';
    case 403:
      return error.phase === 'trigger'
        ? `The key's user may read but not trigger: it needs ${access?.trigger ?? 'the right to trigger'}`
        : (access?.read ?? "The key's user has no read access to this target, or the platform's API is disabled for the organization");
    case 404:
      return `Not found: the target does not exist on ${platform}, or it is not visible to the key's user. Check the names and ids, and the user's access`;
    case 409:
      return 'The target is already running. Use if-running: attach to follow that run, or queue to wait for it';
    default:
      return undefined;
  }
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

export function formatMs(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return s % 60 ? `${m}m ${s % 60}s` : `${m}m`;
  const h = Math.floor(m / 60);
  return m % 60 ? `${h}h ${m % 60}m` : `${h}h`;
}

/**
 * The GitHub post step: settles what the main step left unsettled (it was killed before it could), from the
 * state it saved: retries cancels the platform had not confirmed and reports the run's final state; looks for
 * the run of a trigger that was in flight and cancels it where the platform can prove it is ours. Does nothing
 * when the main step ended normally. Resolves to the number of cancels the platform accepted.
 */
export async function cancelSavedRuns(
  settings: Settings,
  host: Host,
  options: Pick<EngineOptions, 'loadProvider' | 'http' | 'clock'> & { findWindowMs?: number; settleWindowMs?: number },
): Promise<number> {
  const saved = pendingSavedRuns(host.getState(STATE_RUNS));
  if (saved.length === 0) return 0;
  host.setSecret(settings.apiKey);
  const clock = options.clock ?? systemClock;
  const module = await options.loadProvider(settings.platform);
  const http = new HttpClient({
    baseUrl: settings.baseUrl,
    headers: module.authHeaders(settings.apiKey),
    proxy: host.proxy,
    secrets: [settings.apiKey],
    log: (m) => host.debug(m),
    notice: (m) => host.info(m),
    requestTimeoutMs: 10_000,
    retry: { maxAttempts: 3 },
    ...options.http,
  });
  const invocation = host.getState(STATE_INVOCATION) || host.ciContext.invocation;
  const provider = module.create({
    http,
    settings,
    ciContext: invocation ? { ...host.ciContext, invocation } : host.ciContext,
    clock,
    signal: host.signal,
    log: { info: (m) => host.info(m), warn: (m) => host.warning(m), debug: (m) => host.debug(m) },
  }) as AnyProvider;
  let cancelled = 0;
  const schedule = () => new PollSchedule({ maxDelayMs: 2000, firstDelayMs: 300 });
  /** Reads the run until it ends or the window closes; one line for the report. */
  const finalState = async (target: ResolvedTarget, handle: RunHandle): Promise<string> => {
    const until = clock.now() + (options.settleWindowMs ?? 15_000);
    const gaps = schedule();
    let last: Observation;
    for (;;) {
      last = await provider.observe(target, handle);
      if (isTerminal(last.state) || clock.now() >= until) break;
      await clock.sleep(Math.min(gaps.next(), Math.max(0, until - clock.now())), host.signal);
    }
    return isTerminal(last.state) ? `run ${handle.runId} ended ${describe(last)}` : `run ${handle.runId} is still ${describe(last)}; it may keep going on the server`;
  };
  try {
    for (const run of saved) {
      const spec = settings.targets[run.index];
      if (!spec) continue;
      try {
        const target = await provider.resolve(spec);
        let handle: RunHandle | undefined;
        let ours = true;
        if (run.runId !== undefined) {
          if (!provider.handleFor) throw new Error(`${settings.platform} cannot read run ${run.runId} by its id`);
          handle = await provider.handleFor(target, run.runId);
        } else if (run.trigger) {
          // The main step was stopped while its trigger was in flight: look for the run it may have started.
          const baseline = decodeBaseline(run.trigger.baseline);
          const until = clock.now() + (options.findWindowMs ?? 20_000);
          const gaps = schedule();
          for (;;) {
            const found = await provider.find(target, baseline);
            if (found.kind === 'found') {
              handle = found.handle;
              // Only a run that carries our own marker is proven ours; an equivalent run may be someone else's.
              ours = provider.adoption === 'own-marker' && !found.others?.length;
              host.info(
                `${spec.label}: the main step was stopped while its trigger (sent ${run.trigger.sentAt}) was in flight; found run ${handle.runId}` +
                  (found.identity ? ` (${found.identity})` : ''),
              );
              break;
            }
            if (clock.now() >= until) break;
            await clock.sleep(Math.min(gaps.next(), Math.max(0, until - clock.now())), host.signal);
          }
          if (!handle) {
            host.warning(
              `${spec.label}: the main step was stopped while its trigger (sent ${run.trigger.sentAt}) was in flight, and no run it started was found; check ${settings.platform} for a run that started then`,
            );
            continue;
          }
        }
        if (!handle) continue;
        const found = handle;
        const stateLine = () => finalState(target, found).catch((e: unknown) => `the state of run ${found.runId} could not be read: ${errorText(e)}`);
        if (!ours) {
          host.warning(`${spec.label}: run ${found.runId} cannot be proven to be this step's own, so it is not cancelled; ${await stateLine()}`);
          continue;
        }
        if (!provider.cancel) {
          host.warning(`${spec.label}: the main step ended before run ${found.runId} did; ${settings.platform} offers no way to cancel it, so it keeps going on the server`);
          continue;
        }
        const report = await provider.cancel(target, found);
        const retry = run.cancel === 'unconfirmed' ? " (the main step's cancel was not confirmed: sent again)" : '';
        host.info(`${spec.label}: ${report.note}${retry}`);
        if (report.accepted) cancelled++;
        host.info(`${spec.label}: ${await stateLine()}`);
      } catch (error) {
        host.warning(`${spec.label}: could not settle ${run.runId !== undefined ? `run ${run.runId}` : 'the trigger in flight'}: ${errorText(error)}`);
      }
    }
  } finally {
    await http.close();
  }
  return cancelled;
}

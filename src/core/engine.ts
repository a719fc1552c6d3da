/**
 * The engine: targets → resolve → (in-flight check) → baseline → trigger → find the triggered run → follow
 * → logs → results. Platform-neutral: it drives a Provider and talks to the CI system only through a Host.
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type { Clock } from './clock.js';
import { systemClock } from './clock.js';
import type { Host } from './host.js';
import { ApiError, HttpClient, requestScope, type HttpClientOptions, type Phase } from './http.js';
import { LogFile } from './logs.js';
import { secretMasker } from './untrusted.js';
import {
  exitCodeFor,
  isTerminal,
  overallStatus,
  type CancelReport,
  type FailedTask,
  type RunState,
  type StepStatus,
  type TargetResult,
} from './outcome.js';
import { DeadlineError, expectedFromHistory, PollSchedule, pollUntil, type ExpectedDuration } from './poll.js';
import { renderJUnit, renderSummaryMarkdown, renderTextSummary, resultJson } from './report.js';
import { STATE_RUNS, type SavedRun } from './saved-runs.js';
import type { Settings, TargetSpec } from './settings.js';
import type {
  FindResult,
  Observation,
  Provider,
  ProviderLoader,
  ResolvedTarget,
  RunHandle,
  TriggerResult,
} from '../providers/provider.js';

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

const MAX_ANNOTATIONS = 10;

type AnyProvider = Provider<ResolvedTarget, RunHandle, unknown>;

export { STATE_RUNS, type SavedRun } from './saved-runs.js';

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
  private annotations = 0;
  private readonly savedRuns = new Map<number, SavedRun>();
  private reads: FollowReads | undefined;
  /** Fires at the deadline or on CI cancellation; every wait and request listens to it. */
  private readonly stepAbort = new AbortController();
  private deadlineTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly settings: Settings,
    private readonly host: Host,
    private readonly options: EngineOptions,
  ) {
    this.clock = options.clock ?? systemClock;
    this.startedAt = this.clock.now();
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
    // One client (one keep-alive pool) for every target of the step; the key goes to the API origin only.
    this.http = new HttpClient({
      baseUrl: settings.baseUrl,
      headers: module.authHeaders(settings.apiKey),
      proxy: host.proxy,
      deadline: () => this.deadline,
      clock: this.clock,
      secrets: [settings.apiKey],
      log: (m) => host.debug(m),
      ...this.options.http,
    });
    this.provider = module.create({
      http: this.http,
      settings,
      ciContext: host.ciContext,
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

  saveRun(index: number, runId: string, done: boolean): void {
    this.savedRuns.set(index, { index, runId, done });
    this.host.saveState(STATE_RUNS, JSON.stringify([...this.savedRuns.values()]));
  }

  annotate(message: string, title: string): void {
    if (this.annotations < MAX_ANNOTATIONS) {
      this.annotations++;
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
    host.setOutput('result', resultJson(results));
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
  /** Set when the run followed may not be the one this step started (a lost trigger answer): never green. */
  private uncertainOrigin: string | undefined;
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
      return this.result({ status: 'triggered', message: `triggered run ${handle.runId}; not waiting (mode: trigger)` });
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
          this.info(`already running: attaching to run ${handle.runId} (if-running: attach)`);
          this.adopt([handle]);
          return handle;
        }
        this.info(`already running (${busy.description}): waiting for it to end before triggering (if-running: queue)`);
        await this.waitUntilIdle(target);
      }
      this.phase = 'baseline';
      const baseline = await this.provider.baseline(target);
      this.phase = 'trigger';
      this.triggeredAt = this.step.c.now();
      const answer = await this.triggerSafely(target, baseline);
      if (answer.kind === 'already-running') {
        // Someone started it between our check and our trigger: apply if-running to that run.
        if (ifRunning === 'fail') throw new TargetFailure(`${answer.message}; if-running is 'fail'`);
        if (ifRunning === 'attach') {
          const handle = answer.handle ?? (await this.waitForInFlightHandle(target));
          this.info(`already running: attaching to run ${handle.runId} (if-running: attach)`);
          this.adopt([handle]);
          return handle;
        }
        // queue: wait for it, then trigger again (a pause first, in case the platform does not show it in flight)
        await this.sleep(this.step.s.pollIntervalMs);
        continue;
      }
      if (answer.note) this.info(answer.note);
      if (answer.handle) {
        this.info(`triggered: run ${answer.handle.runId}`);
        this.adopt([answer.handle]);
        return answer.handle;
      }
      this.info('trigger accepted; looking for the run it started');
      const found = await this.findTriggeredRun(target, baseline);
      return found;
    }
  }

  /**
   * Sends the trigger. When the answer is lost (reset, timeout, 5xx) on a platform without idempotent
   * triggers, it first looks for the run the lost attempt may have started, and sends again only when none
   * appeared and the target is idle: a second, accidental load is the thing we must never cause.
   */
  private async triggerSafely(target: ResolvedTarget, baseline: unknown): Promise<TriggerResult<RunHandle>> {
    try {
      return await this.provider.trigger(target);
    } catch (error) {
      if (!(error instanceof ApiError) || !error.mayHaveApplied) throw error;
      const window = Math.min(this.step.opts.confirmWindowMs ?? 30_000, this.timeLeft());
      if (this.provider.triggerSafety === 'idempotent') {
        // The HTTP client already re-sent it with the same key. It may still have been applied: a run carrying
        // our key is ours, so look for it before giving up (and before a re-run of the step starts another).
        this.info(`the trigger failed (${error.message}); looking for a run it may have started`);
        const found = await this.lookForRun(target, baseline, window);
        if (!found) throw error;
        this.adopt([found.handle, ...(found.others ?? [])]);
        return { kind: 'accepted', handle: found.handle, note: `found run ${found.handle.runId}, started by the trigger whose answer was lost` };
      }
      this.phase = 'trigger';
      this.info(`the trigger's answer was lost (${error.message}); looking for the run it may have started before sending again`);
      const found = await this.lookForRun(target, baseline, window);
      if (found) {
        this.uncertainOrigin = `it appeared after the trigger's answer was lost (${error.message})`;
        this.adopt([found.handle, ...(found.others ?? [])]);
        return { kind: 'accepted', handle: found.handle, note: `found run ${found.handle.runId} after the trigger's answer was lost` };
      }
      const busy = await this.provider.inFlight(target);
      if (busy) {
        this.uncertainOrigin = `the trigger's answer was lost and the target was then busy (${busy.description})`;
        return { kind: 'accepted', note: `the target is busy (${busy.description}): the lost trigger most likely landed; not sending it again` };
      }
      this.info('no run appeared and the target is idle: sending the trigger again');
      this.phase = 'trigger';
      const again = await this.provider.trigger(target);
      if (again.kind === 'already-running') {
        this.uncertainOrigin = `the trigger's answer was lost and a second trigger answered "already running"`;
        return { kind: 'accepted', note: 'the second trigger answered "already running": the first one most likely landed; not sending again' };
      }
      return again;
    }
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
        if (all.length > 1) {
          const ids = all.map((h) => h.runId).join(', ');
          const note = `${all.length} new runs started after the trigger (${ids}): another user or a schedule ran it too. All are followed; the step passes only if every one succeeds.`;
          this.notes.push(note);
          this.step.h.warning(`${this.label}: ${note}`);
        }
        this.info(`found run ${result.handle.runId}`);
        this.adopt(all);
        return result.handle;
      }
      lastPending = result;
      const now = this.step.c.now();
      // A trigger the platform shows as taken (queued) may wait past the start window: the timeout bounds it.
      if (now >= windowEnd && !result.accepted) {
        throw new TargetFailure(
          `${this.uncertainOrigin ? "the trigger was sent (its answer was lost)" : 'the trigger was accepted'}, but no new run appeared within ${formatMs(windowMs)}` +
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

  private adopt(handles: RunHandle[]): void {
    for (const handle of handles) {
      if (!this.handles.some((h) => h.runId === handle.runId)) this.handles.push(handle);
    }
    this.step.saveRun(this.index, this.handles[0]!.runId, false);
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
    let status: StepStatus = failedRuns.length === 0 ? 'succeeded' : stepStatusOf(this.last.get(failedRuns[0]!.runId)!.state);
    const failedTasks = await this.collectFailures(target, failedRuns);
    let message: string | undefined;
    if (status === 'succeeded' && this.uncertainOrigin) {
      status = 'failed';
      message =
        `run ${primary.runId} ended ${observation.rawStatus}, but it cannot be proven to be the run this step started: ${this.uncertainOrigin}. ` +
        `${this.spec.platform}'s trigger answer carries no run id, so a schedule or another user may have started it; not counted as green. ` +
        'Run the step again, or gate on it with mode: check';
    } else if (status !== 'succeeded') {
      const run = failedRuns[0]!;
      const obs = this.last.get(run.runId)!;
      message = `run ${run.runId} ended ${obs.rawStatus || 'without a status'} (${obs.state})`;
      if (failedTasks.length > 0) message += `; failed: ${failedTasks.map((t) => t.name).slice(0, 5).join(', ')}`;
    }
    return this.result({ status, message, failedTasks, observation });
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
    const reads = this.step.followReads;
    const leave = reads.join();
    try {
      for (;;) {
        const open = this.handles.filter((h) => !isTerminal(this.last.get(h.runId)?.state ?? 'unknown'));
        if (open.length === 0) return;
        const observations = await Promise.all(open.map((handle) => reads.observe(target, handle, this.signal)));
        open.forEach((handle, i) => {
          const observation = observations[i]!;
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
    for (const line of lines) this.step.annotate(line, `${this.label} › ${task.name}`);
  }

  // --- modes wait and check ------------------------------------------------------------------

  private async waitMode(target: ResolvedTarget): Promise<TargetResult> {
    const { runId } = this.step.s;
    let handle: RunHandle;
    this.phase = 'find';
    if (runId) {
      if (!this.provider.handleFor) throw new TargetFailure(`mode 'wait' with a run-id is not supported on ${this.spec.platform}`);
      // One id per target, in target order (the run-id output of mode trigger).
      handle = await this.provider.handleFor(target, runId.split(',')[this.index]!.trim());
    } else {
      const busy = await this.provider.inFlight(target);
      if (!busy) throw new TargetFailure('no run in flight to wait for (mode: wait without run-id); give run-id, or use mode: check');
      handle = busy.handle ?? (await this.waitForInFlightHandle(target));
    }
    this.info(`following run ${handle.runId}`);
    this.adopt([handle]);
    return this.followAndReport(target);
  }

  private async checkMode(target: ResolvedTarget): Promise<TargetResult> {
    this.phase = 'check';
    if (!this.provider.latest) throw new TargetFailure(`mode 'check' is not supported on ${this.spec.platform}`);
    const latest = await this.provider.latest(target);
    if (!latest) return this.result({ status: 'failed', message: 'never ran: no run found for this target' });
    this.handles = [latest.handle];
    const obs = latest.observation;
    this.last.set(latest.handle.runId, obs);
    const { maxAgeMs } = this.step.s;
    if (!isTerminal(obs.state)) {
      return this.result({ status: 'failed', observation: obs, message: `the latest run ${latest.handle.runId} is still ${describe(obs)}` });
    }
    if (obs.state !== 'succeeded') {
      const failedTasks = await this.collectFailures(target, [latest.handle]);
      return this.result({ status: 'failed', observation: obs, failedTasks, message: `the latest run ${latest.handle.runId} ${describe(obs)}` });
    }
    if (maxAgeMs !== undefined) {
      if (latest.ageMs === undefined) {
        return this.result({ status: 'failed', observation: obs, message: `the latest run ${latest.handle.runId} succeeded, but its age cannot be told` });
      }
      if (latest.ageMs > maxAgeMs) {
        return this.result({
          status: 'failed',
          observation: obs,
          message:
            `too old: the latest run ${latest.handle.runId} succeeded ${formatMs(latest.ageMs)} ago (max-age ${formatMs(maxAgeMs)})` +
            (latest.ageNote ? `; the age is ${latest.ageNote}` : ''),
        });
      }
    }
    return this.result({ status: 'succeeded', observation: obs, message: `the latest run ${latest.handle.runId} succeeded` + (latest.ageMs !== undefined ? ` ${formatMs(latest.ageMs)} ago` : '') });
  }

  // --- results and errors --------------------------------------------------------------------

  private result(parts: { status: StepStatus; message?: string; failedTasks?: FailedTask[]; observation?: Observation; cancel?: CancelReport }): TargetResult {
    const primary = this.handles[0];
    const obs = parts.observation ?? (primary ? this.last.get(primary.runId) : undefined);
    const result: TargetResult = {
      target: this.target?.label ?? this.label,
      platform: this.spec.platform,
      runId: this.handles.map((h) => h.runId).join('+') || undefined,
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
    };
    if (result.runId === undefined) delete result.runId;
    return result;
  }

  async resultFromError(error: unknown): Promise<TargetResult> {
    const stop = stopReason(error, this.signal);
    if (stop) {
      // The state when the step stopped, before any cancel changed it.
      const when = this.handles.length ? ` while run ${this.handles[0]!.runId} was ${describe(this.last.get(this.handles[0]!.runId))}` : '';
      const cancel = await this.cancelRemote(stop.status);
      // Handled here: the post step has nothing left to cancel for this target.
      if (this.handles.length > 0) this.step.saveRun(this.index, this.handles[0]!.runId, true);
      const message = `${stop.message}${when}`;
      return this.result({ status: stop.status, message, cancel });
    }
    const message = this.explain(error);
    this.step.h.debug(`${this.label}: ${error instanceof Error && error.stack ? error.stack : String(error)}`);
    return this.result({ status: 'failed', message });
  }

  /** One line naming the phase and the cause, with what to do for the usual HTTP answers. */
  private explain(error: unknown): string {
    if (error instanceof TargetFailure) return error.message;
    if (error instanceof ApiError) {
      const hint = hintFor(error, this.spec.platform);
      return `${error.message}${hint ? `. ${hint}` : ''}`;
    }
    return `${this.phase}: ${errorText(error)}`;
  }

  private async cancelRemote(status: 'cancelled' | 'timed-out'): Promise<CancelReport | undefined> {
    const open = this.handles.filter((h) => !isTerminal(this.last.get(h.runId)?.state ?? 'unknown'));
    if (open.length === 0) return undefined;
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
    const until = Date.now() + (this.step.opts.cancelBudgetMs ?? 15_000) - 500;
    let last: Observation | undefined;
    try {
      while (Date.now() < until) {
        last = await this.provider.observe(target, handle);
        this.last.set(handle.runId, last);
        if (isTerminal(last.state)) {
          const stays = last.state === 'succeeded' ? `; the step stays ${status}: the run did not end within the step` : '';
          return `run ${handle.runId} ended ${describe(last)} after the cancel${stays}`;
        }
        await new Promise((resolve) => setTimeout(resolve, Math.min(schedule.next(), Math.max(0, until - Date.now()))));
      }
    } catch (error) {
      return `the state of run ${handle.runId} after the cancel could not be read: ${errorText(error)}`;
    }
    return `run ${handle.runId} was still ${describe(last)} when the step stopped waiting for the cancel to finish`;
  }

  private timeLeft(): number {
    return Math.max(0, this.step.stepDeadline - this.step.c.now());
  }

  private sleep(ms: number): Promise<void> {
    return this.step.c.sleep(ms, this.signal);
  }
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

/** What a key's user needs to trigger, per platform. */
const TRIGGER_ACCESS: Record<string, string> = {
  timextender: 'Contributor access on the workspace (Viewer is read-only)',
  qarion: "the Editor or Admin role in the space (Qarion also passes Airflow's own 403 through)",
  planasonix: 'a scope that may trigger (sync:trigger for syncs and backfills, pipelines:run for pipeline runs)',
};

/** What to do about the usual HTTP answers (product spec: Errors). */
function hintFor(error: ApiError, platform: string): string | undefined {
  switch (error.status) {
    case 401:
      return 'The API key was rejected: it is missing, wrong or revoked, or the user behind it was deactivated. Create a new key and update the secret';
    case 403:
      return error.phase === 'trigger'
        ? `The key's user may read but not trigger: it needs ${TRIGGER_ACCESS[platform] ?? 'the right to trigger'}`
        : "The key's user has no access to this workspace or space (it needs at least Viewer, or a read scope on Planasonix), or the platform's API is disabled for the organization";
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
 * The GitHub post step: cancels the runs the main step left unfinished (it was killed before it could),
 * from the state it saved. Does nothing when the main step ended normally.
 */
export async function cancelSavedRuns(settings: Settings, host: Host, options: Pick<EngineOptions, 'loadProvider' | 'http'>): Promise<number> {
  const saved = parseSavedRuns(host.getState(STATE_RUNS)).filter((r) => !r.done);
  if (saved.length === 0) return 0;
  host.setSecret(settings.apiKey);
  const module = await options.loadProvider(settings.platform);
  const http = new HttpClient({
    baseUrl: settings.baseUrl,
    headers: module.authHeaders(settings.apiKey),
    proxy: host.proxy,
    secrets: [settings.apiKey],
    log: (m) => host.debug(m),
    requestTimeoutMs: 10_000,
    retry: { maxAttempts: 3 },
    ...options.http,
  });
  const provider = module.create({
    http,
    settings,
    ciContext: host.ciContext,
    clock: systemClock,
    signal: host.signal,
    log: { info: (m) => host.info(m), warn: (m) => host.warning(m), debug: (m) => host.debug(m) },
  }) as AnyProvider;
  let cancelled = 0;
  try {
    for (const run of saved) {
      const spec = settings.targets[run.index];
      if (!spec) continue;
      if (!provider.cancel || !provider.handleFor) {
        host.warning(`${spec.label}: the main step ended before run ${run.runId} did; ${settings.platform} offers no way to cancel it, so it keeps going on the server`);
        continue;
      }
      try {
        const target = await provider.resolve(spec);
        const report = await provider.cancel(target, await provider.handleFor(target, run.runId));
        host.info(`${spec.label}: ${report.note}`);
        if (report.accepted) cancelled++;
      } catch (error) {
        host.warning(`${spec.label}: could not cancel run ${run.runId}: ${errorText(error)}`);
      }
    }
  } finally {
    await http.close();
  }
  return cancelled;
}

function parseSavedRuns(text: string): SavedRun[] {
  if (!text) return [];
  try {
    const value: unknown = JSON.parse(text);
    return Array.isArray(value) ? (value as SavedRun[]).filter((r) => typeof r?.runId === 'string' && typeof r?.index === 'number') : [];
  } catch {
    return [];
  }
}

/**
 * Live logs (`logs: live`): the log lines a run writes while it runs, read through the provider's `liveLog`
 * on the status schedule and printed as `<target> › <source>: <line>`, so the lines of several targets and
 * members stay readable. Every line also goes to the step's log file.
 *
 * The cost rule: live reads ride on the status reads (follow.ts). After a status read of a running run, at
 * most one `liveLog` call (the provider makes at most one log request per running execution, member or node
 * per call); none when that status read saw no change while the follow schedule is in its sparse early
 * phase (gaps longer than `poll-interval`, placed by the run's history: `PollSchedule.sparse`), so the
 * lines then wait for the next read that counts, the cursor keeping their place. One last call after the
 * run ended drains the last lines. A failing log read is a warning from the provider (never a red step);
 * its other notes (a log rewritten, a task type that keeps no log) are information.
 *
 * Printing: the lines are already stripped of control characters and masked by the provider (the log
 * file's masker); the host neutralizes CI commands in every line it prints, as for the failure excerpt.
 * When the process's output is a pipe read more slowly than the log comes (a CI runner, a 200,000-line log),
 * the read waits for it to drain (see `outputBacklog`): the lines never pile up in memory.
 */
import type { Writable } from 'node:stream';
import { isTerminal } from '../outcome.js';
import type { LiveLogCursor, Observation, ResolvedTarget, RunHandle } from '../provider.js';
import { errorText } from '../text.js';
import type { TargetRun } from './target-run.js';

export class LiveLogs {
  private readonly cursors = new Map<string, LiveLogCursor>();
  /** Lines printed per run id. */
  private readonly printed = new Map<string, number>();
  /** Runs whose last lines were drained after their end. */
  private readonly drained = new Set<string>();

  constructor(
    private readonly run: TargetRun,
    private readonly backlog: () => Promise<void> | undefined = () => outputBacklog(),
  ) {}

  /** How many lines of this run were printed live. */
  printedFor(runId: string): number {
    return this.printed.get(runId) ?? 0;
  }

  /**
   * After a status read of `handle` (its observation, whether it changed the status, whether the schedule is
   * in its sparse early phase): reads the new lines when the cost rule allows.
   */
  async afterStatusRead(target: ResolvedTarget, handle: RunHandle, observation: Observation, changed: boolean, sparse: boolean): Promise<void> {
    const provider = this.run.provider;
    if (!provider.liveLog || observation.notFound) return;
    const ended = isTerminal(observation.state);
    if (ended) {
      if (this.drained.has(handle.runId)) return;
      this.drained.add(handle.runId);
    } else if (observation.state !== 'running' || (sparse && !changed)) {
      return;
    }
    const { host, logFile } = this.run.step;
    const prefix = this.run.label;
    let count = this.printedFor(handle.runId);
    try {
      const read = await provider.liveLog(target, handle, observation, this.cursors.get(handle.runId), (line) => {
        const text = `${prefix} › ${line.label}: ${line.text}`;
        logFile.line(text);
        host.info(text);
        count++;
        return this.backlog();
      });
      this.cursors.set(handle.runId, read.cursor);
      for (const note of read.notes) {
        logFile.note(`${prefix}: live log: ${note}`);
        host.info(`${prefix}: live log: ${note}`);
      }
      for (const warning of read.warnings ?? []) {
        logFile.note(`${prefix}: live log: ${warning}`);
        host.warning(`${prefix}: live log: ${warning}`);
      }
    } catch (error) {
      // liveLog reports failing reads as notes; anything else (a stop) ends the following as usual.
      if (this.run.signal.aborted) throw error;
      host.warning(`${prefix}: live log of run ${handle.runId} could not be read: ${errorText(error)}${ended ? '' : ' (the next status read tries again)'}`);
    } finally {
      this.printed.set(handle.runId, count);
    }
  }
}

/**
 * What `logs: live` says for a platform without a log endpoint: once per step, or once per target naming
 * where its run's logs are when the provider can tell (`liveLogAbsent`, e.g. Qarion's Airflow run).
 */
export function noLiveLogLine(platform: string, where?: string): string {
  const start = `logs: live: the API of platform ${platform} has no log endpoint, so no log lines can be printed while the run runs; `;
  if (where !== undefined) return `${start}the status changes are printed as usual, and ${where}`;
  return `${start}the status changes are printed as usual, and a run that fails points to its task logs on the platform that ran it (as with logs: on-failure)`;
}

/** Says once that this target's platform has no log endpoint, and where its run's logs are when the provider knows. */
export function sayNoLiveLog(run: TargetRun, target: ResolvedTarget): void {
  const { step, provider } = run;
  if (provider.liveLogAbsent && run.handles.length > 0) {
    if (!step.once(`no-live-log:${run.label}`)) return;
    const where = run.handles.map((h) => `run ${h.runId} are in ${provider.liveLogAbsent!(target, h)}`).join('; ');
    step.host.info(noLiveLogLine(run.spec.platform, `the task logs of ${run.label} ${where}`));
    return;
  }
  if (step.once('no-live-log')) step.host.info(noLiveLogLine(run.spec.platform));
}

/** Bytes waiting in the process's output before a live read pauses for it to drain. */
const OUTPUT_BACKLOG_BYTES = 1 << 20;
/** Longest pause for a drain (a stream that never drains must not stop the following). */
const DRAIN_WAIT_MS = 5_000;

/**
 * The hosts print to the process's stdout and stderr; on a pipe Node writes asynchronously and keeps what the
 * reader has not taken yet in memory. A live log printed faster than a CI runner reads would pile up there
 * (tens of MiB for a 200,000-line log): past 1 MiB waiting, the live read waits for a drain (so the HTTP read
 * of the log waits too).
 */
export function outputBacklog(streams: readonly Writable[] = [process.stdout, process.stderr]): Promise<void> | undefined {
  for (const stream of streams) {
    // Only a stream that said it is full emits 'drain' (stdout's high-water mark is far below 1 MiB).
    if (stream.writableLength <= OUTPUT_BACKLOG_BYTES || stream.destroyed || !stream.writableNeedDrain) continue;
    return new Promise<void>((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        stream.off('drain', done);
        stream.off('close', done);
        resolve();
      };
      const timer = setTimeout(done, DRAIN_WAIT_MS);
      stream.once('drain', done);
      stream.once('close', done);
    });
  }
  return undefined;
}

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
 * run ended drains the last lines. A failing log read is a note from the provider, printed as a warning:
 * never a red step.
 *
 * Printing: the lines are already stripped of control characters and masked by the provider (the log
 * file's masker); the host neutralizes CI commands in every line it prints, as for the failure excerpt.
 */
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

  constructor(private readonly run: TargetRun) {}

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
      });
      this.cursors.set(handle.runId, read.cursor);
      for (const note of read.notes) {
        logFile.note(`${prefix}: live log: ${note}`);
        host.warning(`${prefix}: live log: ${note}`);
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

/** What `logs: live` says once per step for a platform without a log endpoint. */
export function noLiveLogLine(platform: string): string {
  return (
    `logs: live: the API of platform ${platform} has no log endpoint, so no log lines can be printed while the run runs; ` +
    'the status changes are printed as usual, and a run that fails points to its task logs on the platform that ran it (as with logs: on-failure)'
  );
}

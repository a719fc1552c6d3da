/**
 * The failure details of the runs that did not succeed (with `logs: always`, of every run): read from the
 * provider, printed (a log excerpt, or a pointer to the lines printed live) and raised as annotations.
 */
import type { FailedTask } from '../outcome.js';
import type { ResolvedTarget, RunHandle } from '../provider.js';
import { errorText } from '../text.js';
import type { TargetRun } from './target-run.js';

/** Failure details (and logs) of the runs that did not succeed, printed and annotated; a read error only warns. */
export async function collectFailures(run: TargetRun, target: ResolvedTarget, runs: RunHandle[]): Promise<FailedTask[]> {
  const { logs } = run.step.settings;
  const wanted = logs === 'always' ? run.handles : runs;
  if (wanted.length === 0) return [];
  const failed: FailedTask[] = [];
  run.phase = 'logs';
  for (const handle of wanted) {
    const observation = run.last.get(handle.runId)!;
    let tasks: FailedTask[];
    try {
      tasks = await run.provider.failures(target, handle, observation, run.step.logFile, { fetchLogs: logs !== 'never' });
    } catch (error) {
      const reason = errorText(error);
      run.step.logFile.note(`${run.label}: could not read the failure details of run ${handle.runId}: ${reason}`);
      run.step.host.warning(`${run.label}: could not read the failure details of run ${handle.runId}: ${reason}`);
      continue;
    }
    for (const task of tasks) {
      // With logs: always, a succeeded run's task logs are printed but are not failures.
      if (observation.state !== 'succeeded') failed.push(task);
      await printTask(run, task, observation.state !== 'succeeded', run.live?.printedFor(handle.runId) ?? 0);
    }
  }
  return failed;
}

/**
 * One task's failure details: its log excerpt in a group, or, when this run's lines were printed live, a
 * pointer to them and to the log file instead of the same lines again; error lines become annotations
 * either way (within the step's budget).
 */
async function printTask(run: TargetRun, task: FailedTask, failed: boolean, printedLive: number): Promise<void> {
  const host = run.step.host;
  const title = `${run.label} › ${task.name}${task.type ? ` (${task.type}${task.id ? ` ${task.id}` : ''})` : ''}: ${task.status}`;
  if (printedLive > 0 && task.logExcerpt.length > 0) {
    host.info(`${title} — its log lines were printed above as they came (logs: live); the whole log is in ${run.step.logFile.path}`);
  } else if (task.logExcerpt.length > 0) {
    await host.group(`${title} — last ${task.logExcerpt.length} log lines`, async () => {
      for (const line of task.logExcerpt) host.info(line);
    });
  } else {
    host.info(`${title}${task.logNote ? ` — ${task.logNote}` : ''}`);
  }
  if (!failed) return;
  if (task.errorLines.length === 0) {
    // The task's line above already says this: name, status and note.
    run.step.annotate(`${task.name} ended ${task.status}${task.logNote ? ` (${task.logNote})` : ''}`, `${run.label} › ${task.name}`, run.index, true);
    return;
  }
  for (const line of task.errorLines) {
    const shown = task.logExcerpt.some((printed) => printed.includes(line));
    run.step.annotate(line, `${run.label} › ${task.name}`, run.index, shown);
  }
}


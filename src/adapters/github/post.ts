/**
 * The Action's post step (bundled to dist/post/index.js): when the main step was killed before it finished,
 * cancels the runs it left running, where the platform can. Never fails the job. Like main.ts, it runs itself
 * when started as the process, and only exports `run` when imported.
 */
import * as core from '@actions/core';
import { isProcessEntry, runEntry } from './process.js';
import { runPostStep } from './steps.js';

/** The post step gets one minute at most: it must not hold up the end of the job. */
const POST_DEADLINE_MS = 60_000;

/** The post step; always resolves to 0. */
export function run(signal: AbortSignal = AbortSignal.timeout(POST_DEADLINE_MS)): Promise<number> {
  return runPostStep({ core, env: process.env, signal });
}

if (isProcessEntry(import.meta.url)) {
  runEntry(core, { label: 'orchestration-run post', signalExitCode: 0, faultExitCode: 0, deadlineMs: POST_DEADLINE_MS }, run);
}

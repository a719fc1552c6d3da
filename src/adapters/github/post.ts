/**
 * Entry point of the Action's post step (bundled to dist/post/index.js): when the main step was killed
 * before it finished, cancels the runs it left running, where the platform can. Never fails the job.
 */
import * as core from './commands.js';
import { runEntry } from './process.js';
import { runPostStep } from './steps.js';

/** The post step gets one minute at most: it must not hold up the end of the job. */
const POST_DEADLINE_MS = 60_000;

runEntry(core, { label: 'orchestration-run post', signalExitCode: 0, faultExitCode: 0, deadlineMs: POST_DEADLINE_MS }, (signal) =>
  runPostStep({ core, env: process.env, signal }),
);

/**
 * The Action's main step (bundled to dist/main/index.js, with lazily loaded chunks beside it): `run()` reads
 * the inputs, runs the step and reports through `@actions/core` (steps.ts). Started by the runner
 * (`node dist/main/index.js`), the module runs itself with the process wiring of process.ts (signals, exit
 * code, a hard exit as backstop); imported (e.g. by `@github/local-action`, which calls `run()`), it only
 * exports `run`.
 */
import * as core from '@actions/core';
import { isProcessEntry, runEntry } from './process.js';
import { runMainStep } from './main-step.js';

/** The main step; resolves to the exit code (failures are reported with `core.setFailed`). */
export function run(signal: AbortSignal = new AbortController().signal): Promise<number> {
  return runMainStep({ core, env: process.env, signal });
}

if (isProcessEntry(import.meta.url)) {
  runEntry(core, { label: 'orchestration-run', signalExitCode: 1, faultExitCode: 1 }, run);
}

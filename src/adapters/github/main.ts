/**
 * Entry point of the Action's main step (bundled to dist/main/index.js): reads the inputs, runs the step,
 * reports through @actions/core. See steps.ts for the step itself and process.ts for signals and exit.
 */
import * as core from '@actions/core';
import { runEntry } from './process.js';
import { runMainStep } from './steps.js';

runEntry(core, { label: 'orchestration-run', signalExitCode: 1, faultExitCode: 1 }, (signal) =>
  runMainStep({ core, env: process.env, signal }),
);

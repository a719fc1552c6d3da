/**
 * Entry point of the Action's main step (bundled to dist/main/index.js): reads the inputs, runs the step,
 * reports through workflow commands (commands.ts). See steps.ts for the step itself and process.ts for
 * signals and exit. The engine and the providers (and their HTTP client) are loaded only once the inputs are
 * valid (steps.ts), so an input error is reported at bare-Node speed.
 */
import * as core from './commands.js';
import { runEntry } from './process.js';
import { runMainStep } from './steps.js';

runEntry(core, { label: 'orchestration-run', signalExitCode: 1, faultExitCode: 1 }, (signal) =>
  runMainStep({ core, env: process.env, signal }),
);

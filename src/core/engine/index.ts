/**
 * The engine: targets → resolve → (in-flight check) → baseline → trigger → find the triggered run → follow
 * → logs → results. Platform-neutral: it drives a Provider and talks to the CI system only through a Host.
 *
 * step.ts (the step and its targets), target-run.ts (one target's life), follow.ts (status reads and failure
 * details), evidence.ts (what makes a verdict green), modes.ts (wait, check), stop.ts (timeout, cancel,
 * fail-fast), hints.ts (what to do about an HTTP error), post.ts (the GitHub post step's settling).
 */
export { ADOPTED_PREFIX, formatMs, type EngineOptions, type PollingOptions, type StepOutcome } from './common.js';
export { MAX_ANNOTATIONS, runStep } from './step.js';
export { cancelSavedRuns } from './post.js';
export { STATE_RUNS, type SavedRun } from '../saved-runs.js';

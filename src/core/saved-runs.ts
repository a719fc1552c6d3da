/**
 * The runs a step saves in the host state, so a GitHub post step can cancel what the main step could not.
 * Kept apart from the engine so a front end can read the state name without loading the engine (and its
 * HTTP client) at start-up.
 */
export interface SavedRun {
  index: number;
  runId: string;
  done: boolean;
}

export const STATE_RUNS = 'orchestration-runs';

/**
 * The runs a step saves in the host state, so a GitHub post step can cancel what the main step could not.
 * Kept apart from the engine so a front end can read the state name without loading the engine (and its
 * HTTP client) at start-up.
 */
export interface SavedRun {
  index: number;
  /** The run followed; absent while a trigger is in flight and its run is not known yet. */
  runId?: string;
  /** Nothing left for the post step: the run ended, its cancel was confirmed, or this step did not start it. */
  done: boolean;
  /** A cancel was requested but the platform has not confirmed it (no answer, or the run did not end yet). */
  cancel?: 'unconfirmed';
  /** Saved just before a trigger is sent: when, and the baseline taken before it (to find the run it started). */
  trigger?: { sentAt: string; baseline: string };
}

export const STATE_RUNS = 'orchestration-runs';
/** The invocation id of the main step (CiContext.invocation), for the post step. */
export const STATE_INVOCATION = 'orchestration-invocation';

/** The saved runs the post step still has to act on (a run to cancel, or a trigger whose run is not known). */
export function pendingSavedRuns(text: string): SavedRun[] {
  if (!text) return [];
  try {
    const value: unknown = JSON.parse(text);
    if (!Array.isArray(value)) return [];
    return (value as SavedRun[]).filter(
      (r) => typeof r?.index === 'number' && r.done !== true && (typeof r.runId === 'string' || (typeof r.trigger?.sentAt === 'string' && typeof r.trigger.baseline === 'string')),
    );
  } catch {
    return [];
  }
}

/** JSON for a provider's baseline, which may hold Sets and Maps (of ids). */
export function encodeBaseline(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (v instanceof Set) return { $set: [...v] };
    if (v instanceof Map) return { $map: [...v.entries()] };
    return v;
  });
}

export function decodeBaseline(text: string): unknown {
  return JSON.parse(text, (_key, v: unknown) => {
    if (v && typeof v === 'object' && !Array.isArray(v)) {
      const o = v as Record<string, unknown>;
      if (Array.isArray(o.$set) && Object.keys(o).length === 1) return new Set(o.$set);
      if (Array.isArray(o.$map) && Object.keys(o).length === 1) return new Map(o.$map as Array<[unknown, unknown]>);
    }
    return v;
  });
}

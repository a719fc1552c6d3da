/**
 * Where a simulated run is at an instant. Every platform module schedules its runs as times (created,
 * started, ended) on the simulated clock and derives the state from them on each request: no timers.
 */
export type LifecyclePhase = 'absent' | 'queued' | 'running' | 'ended';

export interface Scheduled {
  createdMs: number;
  startMs: number;
  /** null: never ends. */
  endMs: number | null;
}

export function lifecyclePhaseAt(run: Scheduled, t: number): LifecyclePhase {
  if (t < run.createdMs) return 'absent';
  if (t < run.startMs) return 'queued';
  if (run.endMs === null || t < run.endMs) return 'running';
  return 'ended';
}

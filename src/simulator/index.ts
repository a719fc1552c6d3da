/**
 * The loopback simulator of the orchestration APIs (apis.md §4): one server, one module per platform,
 * a virtual clock, a request journal and fault injection. It depends on nothing in the client.
 */
import { SimClock } from './clock.js';
import { Faults } from './faults.js';
import { Journal } from './journal.js';
import { SimServer, type SimModule } from './server.js';
import { createTimextenderModule, type TimextenderModule } from './timextender.js';
import type { TdpOptions } from './tdp-world.js';
import { createQarionModule, type QarionModule, type QarionOptions } from './qarion.js';
import { createPlanasonixModule, type PlanasonixModule, type PlanasonixOptions } from './planasonix.js';

export { SimClock } from './clock.js';
export { Faults, type FaultKind, type FaultRule } from './faults.js';
export { Journal, REDACTED, type JournalEntry, type JournalFilter } from './journal.js';
export { SimResponse, type SimModule, type SimReply, type SimRequest, type BodyChunk, type ReplyBody } from './server.js';
export { TDP_PREFIX, TDP_PLATFORM, TimextenderModule, createTimextenderModule } from './timextender.js';
export {
  DEFAULT_TDP_OPTIONS,
  TASK_TYPES,
  TdpWorld,
  type ExecutionTruth,
  type HistoryItem,
  type ProcessMapDefinition,
  type ProcessMapMember,
  type Scenario,
  type ScenarioOutcome,
  type TaskDefinition,
  type TdpOptions,
  type TriggerRecord,
} from './tdp-world.js';
export { durationText, formatServerLocal } from './tdp-format.js';
export { findRoute, matchPattern, type RouteMatch, type RouteShape } from './router.js';
export * from './qarion.js';
export * from './planasonix.js';

export interface SimulatorOptions {
  /** '127.0.0.1' (default) or '::1'. */
  host?: string;
  /** 0 (default): an ephemeral port. */
  port?: number;
  /** Simulated ms per real ms (default 1; 0 freezes time until `clock.advance`). */
  timeScale?: number;
  /** Seed of the worlds' randomness (ids, generated keys). Default 1. */
  seed?: number;
  /** Simulated epoch ms at start (default: now). */
  startEpochMs?: number;
  timextender?: Partial<TdpOptions>;
  qarion?: Partial<QarionOptions>;
  planasonix?: Partial<PlanasonixOptions>;
}

export interface Simulator {
  /** Base URL, e.g. http://127.0.0.1:41234 (no trailing slash). */
  url: string;
  clock: SimClock;
  journal: Journal;
  faults: Faults;
  /** The TimeXtender world (its HTTP routes are under /api/v0/orchestration). */
  tdp: TimextenderModule;
  /** The Qarion world (routes under /api/v1.0 and /catalog). */
  qarion: QarionModule;
  /** The Planasonix world (routes under /api/v1, /api/pipelines, /api/runs; its log URLs on a second origin). */
  planasonix: PlanasonixModule;
  /** The names of the platform modules mounted (the built-in ones, then any mounted later). */
  readonly platforms: readonly string[];
  /** Adds a platform module; it is tried before those mounted earlier (the built-in ones last). */
  mount(module: SimModule): void;
  /** Stops listening and destroys open sockets. */
  close(): Promise<void>;
}

export async function startSimulator(options: SimulatorOptions = {}): Promise<Simulator> {
  const clock = new SimClock({ startEpochMs: options.startEpochMs, timeScale: options.timeScale ?? 1 });
  const journal = new Journal();
  const faults = new Faults();
  const server = new SimServer({ clock, journal, faults });
  const tdp = createTimextenderModule({ clock, seed: options.seed ?? 1, options: options.timextender });
  server.mount(tdp);
  const qarion = createQarionModule({ clock, seed: options.seed ?? 1, options: options.qarion });
  server.mount(qarion);
  const planasonix = createPlanasonixModule({ clock, seed: options.seed ?? 1, options: options.planasonix });
  server.mount(planasonix);
  const platforms = [tdp.name, qarion.name, planasonix.name];
  const url = await server.listen(options.host ?? '127.0.0.1', options.port ?? 0);
  return {
    url,
    clock,
    journal,
    faults,
    tdp,
    qarion,
    planasonix,
    platforms,
    mount: (module) => {
      server.mount(module);
      if (!platforms.includes(module.name)) platforms.push(module.name);
    },
    close: async () => {
      await server.close();
      await planasonix.close();
    },
  };
}

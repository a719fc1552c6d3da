/**
 * The exploration's cases and their generators (fast-check arbitraries): one case is one platform target in
 * a simulator of its own, a mode (run, trigger, wait, trigger then wait, check), the server freedoms the
 * documents leave (apis.md §4, §5; the simulator's switches), the outcome of the step's own run, runs of
 * other users or schedules before, during and after the step, and a fault schedule on the target's routes.
 *
 * Times in a case are simulated milliseconds (the simulator runs TIME_SCALE times faster than real time),
 * except `timeoutMs`, which is the step's own (real) timeout.
 *
 * Freedoms the simulator may not offer yet are generated only when its defaults name them (`hasOption`):
 * a switch that does not exist would be ignored by the world, and a case that claims it would lie.
 */
import fc from 'fast-check';
import { DEFAULT_TDP_OPTIONS } from '../../src/simulator/tdp-world.js';
import { DEFAULT_QARION_OPTIONS } from '../../src/simulator/qarion-world.js';
import { DEFAULT_PLANASONIX_OPTIONS } from '../../src/simulator/planasonix-world.js';

export type Target = 'tdp-task' | 'tdp-map' | 'qarion' | 'plx-sync' | 'plx-pipeline';
export const TARGETS: readonly Target[] = ['tdp-task', 'tdp-map', 'qarion', 'plx-sync', 'plx-pipeline'];

/**
 * 'trigger-wait': a step in mode trigger, then a second step in mode wait with the first one's run-id.
 * 'run-twice': two steps in mode run, one after the other, in the same CI job (same CI context, no step id):
 * each must start and judge its own load.
 */
export type Mode = 'run' | 'trigger' | 'wait' | 'trigger-wait' | 'run-twice' | 'check';
export const MODES: readonly Mode[] = ['run', 'trigger', 'wait', 'trigger-wait', 'run-twice', 'check'];

export type Outcome = 'success' | 'failure' | 'hang' | 'unknown-ended' | 'unknown-running' | 'cancelled';
export const OUTCOMES: readonly Outcome[] = ['success', 'failure', 'hang', 'unknown-ended', 'unknown-running', 'cancelled'];

export interface RunSpec {
  outcome: Outcome;
  queuedMs: number;
  durationMs: number;
  /** A word the status tables do not know, shown at the end ('unknown-ended') or while running ('unknown-running'). */
  statusWord?: string;
}

/**
 * A run someone else started. `atMs` is its creation relative to the step's start: 'past' runs ended long
 * before, 'in-flight' runs started before the step and still run, 'during' and 'after' start while the step
 * runs (before its trigger or after it); 'around-trigger' runs start `atMs` from the moment the step's
 * trigger reaches the server (negative: just before ours, yet after the baseline; else just after).
 */
export interface ForeignSpec {
  when: 'past' | 'in-flight' | 'during' | 'after' | 'around-trigger';
  atMs: number;
  outcome: 'success' | 'failure' | 'hang';
  durationMs: number;
  /** tdp-map only: a standalone run of one member task (not a run of the map). */
  member?: number;
}

export type FaultRoute = 'trigger' | 'read' | 'any';
export interface FaultSpec {
  route: FaultRoute;
  /** Let this many matching requests through first. */
  skip: number;
  times: number;
  kind: string;
  status?: number;
  delayMs?: number;
  headers?: Record<string, string>;
}

export interface Case {
  target: Target;
  mode: Mode;
  ifRunning: 'fail' | 'attach' | 'queue';
  /** The step's own run (or, on tdp-map, ignored: the members decide). */
  own: RunSpec;
  /** tdp-map: the member tasks' runs, and their stages. */
  members: Array<RunSpec & { stage: number }>;
  failurePolicy: 'fail-parent' | 'ignore-failure';
  foreign: ForeignSpec[];
  faults: FaultSpec[];
  /** The step's timeout, real ms. */
  timeoutMs: number;
  /** mode check: max-age in simulated ms (the engine reads it as real ms of the server's clock). */
  maxAgeMs?: number;
  /** The simulator's clock starts just after a daylight-saving fall-back (TDP: Europe/Copenhagen). */
  dst: boolean;
  /** TDP: pass the server's zone as the `server-time-zone` input. */
  giveZone: boolean;
  /** Qarion: `sync-before-poll: true`. */
  syncBeforePoll: boolean;
  /** Planasonix: an explicit `idempotency-key` input. */
  idempotencyKey: boolean;
  tdp: Record<string, unknown>;
  qarion: Record<string, unknown>;
  planasonix: Record<string, unknown>;
}

/** Whether the simulator's switch exists (its documented default is present). */
export function hasOption(platform: 'tdp' | 'qarion' | 'planasonix', name: string): boolean {
  const defaults: object = platform === 'tdp' ? DEFAULT_TDP_OPTIONS : platform === 'qarion' ? DEFAULT_QARION_OPTIONS : DEFAULT_PLANASONIX_OPTIONS;
  return Object.prototype.hasOwnProperty.call(defaults, name);
}

/** Words no status table knows (never green), and the cases of the known ones that must still be read right. */
const STRANGE_WORDS = ['Completed', 'Succeeded', 'Done', 'Warning', 'FinishedWithWarnings', 'Paused', 'Skipped', ''];

/** `arb`, or undefined with probability 1/freq. */
const optional = <T>(arb: fc.Arbitrary<T>, freq = 2) => fc.option(arb, { nil: undefined, freq });

const runSpec = (outcomes: fc.Arbitrary<Outcome>): fc.Arbitrary<RunSpec> =>
  fc
    .record({
      outcome: outcomes,
      queuedMs: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 3000 })),
      durationMs: fc.integer({ min: 50, max: 4000 }),
      word: optional(fc.constantFrom(...STRANGE_WORDS), 4),
    })
    .map(({ outcome, queuedMs, durationMs, word }) => {
      const spec: RunSpec = { outcome, queuedMs, durationMs };
      if (word !== undefined && (outcome === 'unknown-ended' || outcome === 'unknown-running')) spec.statusWord = word;
      return spec;
    });

const ownOutcome = fc.oneof(
  { weight: 8, arbitrary: fc.constant<Outcome>('success') },
  { weight: 5, arbitrary: fc.constant<Outcome>('failure') },
  { weight: 2, arbitrary: fc.constantFrom<Outcome>('hang', 'unknown-ended', 'unknown-running', 'cancelled') },
);

const foreignSpec: fc.Arbitrary<ForeignSpec> = fc.oneof(
  fc.record({ when: fc.constant('past' as const), atMs: fc.integer({ min: -7_200_000, max: -10_000 }), outcome: fc.constantFrom('success' as const, 'failure' as const), durationMs: fc.integer({ min: 1000, max: 9000 }) }),
  fc.record({ when: fc.constant('in-flight' as const), atMs: fc.integer({ min: -6000, max: -200 }), outcome: fc.constantFrom('success' as const, 'failure' as const, 'hang' as const), durationMs: fc.integer({ min: 7000, max: 40_000 }) }),
  // While the step takes its baseline and triggers: just before or just after our run.
  fc.record({ when: fc.constant('during' as const), atMs: fc.integer({ min: 0, max: 3000 }), outcome: fc.constantFrom('success' as const, 'failure' as const), durationMs: fc.integer({ min: 50, max: 4000 }) }),
  fc.record({ when: fc.constant('after' as const), atMs: fc.integer({ min: 3000, max: 30_000 }), outcome: fc.constantFrom('success' as const, 'failure' as const), durationMs: fc.integer({ min: 50, max: 4000 }) }),
  fc.record({ when: fc.constant('around-trigger' as const), atMs: fc.integer({ min: -1500, max: 1500 }), outcome: fc.constantFrom('success' as const, 'failure' as const), durationMs: fc.integer({ min: 50, max: 4000 }) }),
);

/** Faults the client must absorb or fail clearly on; the trigger also gets the ones applied by the server. */
const faultKind = (route: FaultRoute): fc.Arbitrary<Omit<FaultSpec, 'route' | 'skip' | 'times'>> => {
  const common: Array<fc.Arbitrary<Omit<FaultSpec, 'route' | 'skip' | 'times'>>> = [
    fc.constantFrom(500, 502, 503, 504).map((status) => ({ kind: 'status', status })),
    fc.constant({ kind: 'reset' }),
    fc.constant({ kind: 'refuse' }),
    fc.constant({ kind: 'reset-mid-body' }),
    fc.constant({ kind: 'slow', delayMs: 700 }),
    fc.constant({ kind: 'malformed-json' }),
    fc.constant({ kind: 'html' }),
    fc.constant({ kind: 'empty' }),
    // 429 with Retry-After in seconds, as an HTTP-date (in the past: retry at once), and without the header.
    fc.constantFrom<Record<string, string>>({ 'Retry-After': '0' }, { 'Retry-After': '1' }, { 'Retry-After': 'Thu, 01 Jan 2026 00:00:00 GMT' }, {}).map((headers) => ({ kind: 'rate-limit', headers })),
  ];
  if (route === 'read') return fc.oneof(...common);
  // The server applies the POST, but the client sees a reset or a gateway's 502/504.
  const applied: Array<fc.Arbitrary<Omit<FaultSpec, 'route' | 'skip' | 'times'>>> = [fc.constant({ kind: 'apply-then-reset' })];
  applied.push(fc.constantFrom(502, 504).map((status) => ({ kind: 'apply-then-status', status })));
  return fc.oneof({ weight: 3, arbitrary: fc.oneof(...common) }, { weight: 4, arbitrary: fc.oneof(...applied) });
};

const faultSpec: fc.Arbitrary<FaultSpec> = fc
  .constantFrom<FaultRoute>('trigger', 'trigger', 'read', 'read', 'any')
  .chain((route) =>
    fc.record({
      route: fc.constant(route),
      skip: route === 'trigger' ? fc.integer({ min: 0, max: 1 }) : fc.integer({ min: 0, max: 12 }),
      times: fc.oneof({ weight: 4, arbitrary: fc.constant(1) }, { weight: 1, arbitrary: fc.integer({ min: 2, max: 4 }) }),
      fault: faultKind(route),
    }),
  )
  .map(({ fault, ...rest }) => ({ ...rest, ...fault }));

// ---------------------------------------------------------------------------------------------------------
// Freedoms per platform (each field is a simulator switch; absent = the documented default)

function tdpFreedoms(): fc.Arbitrary<Record<string, unknown>> {
  const fields: Record<string, fc.Arbitrary<unknown>> = {
    historyOrder: fc.constantFrom(...TDP_HISTORY_ORDERS),
    idMode: fc.constantFrom('non-monotonic', 'random', 'monotonic'),
    rowDelayMs: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 4000 })),
    rowOnlyWhenStarted: fc.boolean(),
    dashboardLagMs: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 6000 })),
    secondTriggerWhileRunning: fc.constantFrom<409 | 'queue'>(409, 'queue'),
    timeZone: fc.constantFrom('Pacific/Kiritimati', 'UTC', 'America/New_York', 'Europe/Copenhagen', 'Asia/Kathmandu'),
  };
  if (hasOption('tdp', 'historyPageCap')) fields.historyPageCap = fc.integer({ min: 1, max: 60 });
  if (hasOption('tdp', 'mapDispatchDelayMs')) fields.mapDispatchDelayMs = fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 5000 }));
  return sparse(fields);
}

function qarionFreedoms(): fc.Arbitrary<Record<string, unknown>> {
  const fields: Record<string, fc.Arbitrary<unknown>> = {
    triggerAnswer: fc.constantFrom('empty-202', 'empty-204', 'run-200', 'run-201', 'dag-run', 'run-id', 'run-id-airflow', 'data-id'),
    runVisibility: fc.constantFrom('immediate', 'delayed', 'after-sync'),
    visibilityDelayMs: fc.integer({ min: 0, max: 6000 }),
    syncDelayMs: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 3000 })),
    secondTriggerWhileActive: fc.constantFrom<'queue' | 409>('queue', 409),
    listStyle: fc.constantFrom('envelope', 'array'),
    wordStyle: fc.constantFrom('airflow', 'qarion'),
    fieldStyle: fc.constantFrom('default', 'aliases'),
    timestampStyle: fc.constantFrom('z', 'offset', 'naive'),
    startedFilter: fc.constantFrom('started_at', 'started_or_queued'),
    defaultPageSize: fc.constantFrom(5, 20, 50),
    maxPageSize: fc.constantFrom(10, 100),
  };
  if (hasOption('qarion', 'syncsUntilVisible')) fields.syncsUntilVisible = fc.integer({ min: 1, max: 3 });
  if (hasOption('qarion', 'runListOrder')) fields.runListOrder = fc.constantFrom('newest-first', 'oldest-first', 'shuffled');
  if (hasOption('qarion', 'taskRunsInDetail')) fields.taskRunsInDetail = fc.constantFrom('listed', 'omitted');
  return sparse(fields);
}

function planasonixFreedoms(): fc.Arbitrary<Record<string, unknown>> {
  const fields: Record<string, fc.Arbitrary<unknown>> = {
    idempotency: fc.constantFrom('both', 'header', 'body', 'none'),
    syncResponseShape: fc.constantFrom('enveloped', 'flat', 'no-id'),
    jobDetailShape: fc.constantFrom('flat', 'data', 'data-job'),
    pipelineRunResponseShape: fc.constantFrom('success-runId', 'data-id', 'data-runId', 'id', 'no-id'),
    pipelineRunWhileActive: fc.constantFrom<'queue' | 409>('queue', 409),
    runWords: fc.constantFrom('doc', 'alt'),
    runEndField: fc.constantFrom('finishedAt', 'endedAt'),
    listShape: fc.constantFrom('bare', 'cursor', 'page-cursor'),
    defaultPageSize: fc.constantFrom(3, 20),
    cancelPolls: fc.integer({ min: 0, max: 3 }),
    cancelWord: fc.constantFrom('running', 'cancelling', 'canceling'),
    cancelEndsAs: fc.constantFrom('cancelled', 'completed', 'failed'),
    cancelFinished: fc.constantFrom<409 | 400>(409, 400),
    jobCancelledWord: fc.constantFrom('cancelled', 'canceled'),
    timestamps: fc.constantFrom('utc', 'no-offset'),
    errorShape: fc.constantFrom('nested', 'flat', 'string'),
  };
  if (hasOption('planasonix', 'listOrder')) fields.listOrder = fc.constantFrom('newest-first', 'oldest-first');
  if (hasOption('planasonix', 'pageCap')) fields.pageCap = fc.integer({ min: 1, max: 10 });
  return sparse(fields);
}

/** Each switch is left at its default half of the time, so failures shrink to the switches that matter. */
function sparse(fields: Record<string, fc.Arbitrary<unknown>>): fc.Arbitrary<Record<string, unknown>> {
  const entries = Object.entries(fields).map(([name, arb]) => [name, optional(arb, 2)] as const);
  return fc.record(Object.fromEntries(entries)).map((value) => Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)));
}

/** Every history order the TDP simulator offers (TdpOptions.historyOrder). */
export const TDP_HISTORY_ORDERS: readonly string[] = ['newest-first', 'running-last', 'shuffled', 'oldest-first', 'id-descending'];

// ---------------------------------------------------------------------------------------------------------

export function caseArbitrary(): fc.Arbitrary<Case> {
  return fc
    .record({
      target: fc.constantFrom(...TARGETS),
      mode: fc.oneof({ weight: 5, arbitrary: fc.constant<Mode>('run') }, { weight: 1, arbitrary: fc.constant<Mode>('trigger') }, { weight: 2, arbitrary: fc.constant<Mode>('wait') }, { weight: 2, arbitrary: fc.constant<Mode>('trigger-wait') }, { weight: 1, arbitrary: fc.constant<Mode>('run-twice') }, { weight: 3, arbitrary: fc.constant<Mode>('check') }),
      ifRunning: fc.constantFrom<Case['ifRunning']>('fail', 'attach', 'queue'),
      own: runSpec(ownOutcome),
      members: fc.array(fc.tuple(runSpec(ownOutcome), fc.integer({ min: 1, max: 2 })).map(([spec, stage]) => ({ ...spec, stage })), { minLength: 1, maxLength: 3 }),
      failurePolicy: fc.constantFrom<Case['failurePolicy']>('fail-parent', 'ignore-failure'),
      foreign: fc.array(foreignSpec, { maxLength: 4 }),
      memberRuns: fc.array(fc.integer({ min: 0, max: 2 }), { maxLength: 4 }),
      faults: fc.array(faultSpec, { maxLength: 3 }),
      longHistory: fc.oneof({ weight: 4, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.integer({ min: 40, max: 160 }) }),
      timeoutMs: fc.integer({ min: 1500, max: 3500 }),
      maxAgeMs: optional(fc.constantFrom(60_000, 600_000, 3_600_000, 86_400_000)),
      dst: fc.boolean(),
      giveZone: fc.boolean(),
      syncBeforePoll: fc.boolean(),
      idempotencyKey: fc.boolean(),
      tdp: tdpFreedoms(),
      qarion: qarionFreedoms(),
      planasonix: planasonixFreedoms(),
    })
    .map((raw): Case => {
      const foreign = [...raw.foreign];
      // Standalone runs of member tasks (between map runs) only mean something on a map.
      if (raw.target === 'tdp-map') {
        foreign.forEach((f, i) => {
          const member = raw.memberRuns[i] ?? 0;
          if (member > 0) foreign[i] = { ...f, member: member - 1 };
        });
      }
      // Mode wait without a run id follows the run in flight: give it one.
      if (raw.mode === 'wait' && !foreign.some((f) => f.when === 'in-flight')) foreign.unshift({ when: 'in-flight', atMs: -1000, outcome: 'success', durationMs: 8000 });
      // A long history (paging) of ended runs, oldest first.
      for (let i = 0; i < raw.longHistory; i++) foreign.push({ when: 'past', atMs: -7_300_000 - (raw.longHistory - i) * 60_000, outcome: i % 7 === 3 ? 'failure' : 'success', durationMs: 20_000 });
      const c: Case = {
        target: raw.target,
        mode: raw.mode,
        ifRunning: raw.ifRunning,
        own: raw.own,
        members: raw.target === 'tdp-map' ? raw.members : [],
        failurePolicy: raw.failurePolicy,
        foreign,
        faults: raw.mode === 'check' || raw.mode === 'wait' ? raw.faults.filter((f) => f.route !== 'trigger') : raw.faults,
        timeoutMs: raw.timeoutMs,
        dst: raw.dst && raw.target.startsWith('tdp'),
        giveZone: raw.giveZone,
        syncBeforePoll: raw.syncBeforePoll,
        // An explicit idempotency key shared by two steps asks for one load on purpose: not in run-twice.
        idempotencyKey: raw.idempotencyKey && raw.mode !== 'run-twice',
        tdp: raw.target.startsWith('tdp') ? raw.tdp : {},
        qarion: raw.target === 'qarion' ? raw.qarion : {},
        planasonix: raw.target.startsWith('plx') ? raw.planasonix : {},
      };
      if (raw.mode === 'check' && raw.maxAgeMs !== undefined) c.maxAgeMs = raw.maxAgeMs;
      return c;
    });
}

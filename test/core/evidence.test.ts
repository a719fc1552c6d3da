/**
 * Verdicts from evidence (issue: green only on proof), driven through the real engine with a fake provider
 * and a fake clock: a target is green only when every proof holds (identity, success word, end seen, members
 * of a composite run, complete history in check mode); adoption after a lost trigger answer is reported and
 * marked in the run-id handle; a run the step did not start is never cancelled.
 */
import { ADOPTED_PREFIX, cancelSavedRuns, runStep, STATE_RUNS, type StepOutcome } from '../../src/core/engine/index.js';
import { ApiError } from '../../src/core/http/index.js';
import { parseSettings } from '../../src/providers/registry.js';
import type { CancelReport, Proof, StatusTable } from '../../src/core/outcome.js';
import type {
  FindResult,
  InFlight,
  LatestRun,
  Observation,
  Provider,
  ProviderModule,
  ResolvedTarget,
  RunHandle,
  TriggerResult,
} from '../../src/core/provider.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { RecordingHost } from '../helpers/recording-host.js';

const KEY = 'txk_abcdefghijklmnopqrstuvwxyz123456';


const TABLE: StatusTable = { succeeded: ['Done'], failed: ['Broken'], cancelled: ['Stopped'], queued: ['Waiting'], running: ['Busy'] };

interface World {
  composite?: boolean;
  adoption?: 'equivalent' | 'own-marker';
  /** Called inside the trigger request, before it answers (e.g. to cancel the job while it is in flight). */
  duringTrigger?: () => void;
  /** What the trigger does: answer with an id, accept without one, or lose its answer (the POST may have landed). */
  trigger?: 'id' | 'no-id' | 'lost';
  /** Results of `find`, one per call (the last repeats). */
  finds?: Array<FindResult<RunHandle>>;
  /** Observations of `observe`, one per call (the last repeats). */
  observations: Observation[];
  /** What `observe` answers once a cancel was requested. */
  afterCancel?: Observation;
  inFlight?: InFlight<RunHandle>;
  latest?: LatestRun<RunHandle>;
  /** Durations (s) of past runs, for the provider's `history`. */
  history?: number[];
  /** `find` answers found (run 103) from the first look after the idle check that follows the trigger, pending before. */
  foundAfterIdleCheck?: boolean;
  /** Calls made, for assertions. */
  calls: { trigger: number; cancel: string[]; handleFor: string[]; /** inFlight calls after the trigger */ inFlight: number };
}

function world(partial: Omit<World, 'calls'>): World {
  return { ...partial, calls: { trigger: 0, cancel: [], handleFor: [], inFlight: 0 } };
}

function fakeModule(w: World): ProviderModule {
  let observed = 0;
  let found = 0;
  const provider: Provider = {
    platform: 'timextender',
    statusTable: TABLE,
    adoption: w.adoption ?? 'equivalent',
    async resolve(spec) {
      return { spec, label: spec.label, composite: w.composite } satisfies ResolvedTarget;
    },
    async inFlight() {
      if (w.calls.trigger > 0) w.calls.inFlight++;
      return w.inFlight;
    },
    async baseline() {
      return [];
    },
    async trigger(): Promise<TriggerResult<RunHandle>> {
      w.calls.trigger++;
      if (w.duringTrigger) {
        w.duringTrigger();
        throw new ApiError('POST /trigger was cancelled', { kind: 'aborted', phase: 'trigger', method: 'POST', path: '/trigger', mayHaveApplied: true, attempts: 1 });
      }
      if (w.trigger === 'lost' && w.calls.trigger === 1) {
        throw new ApiError('POST /trigger: connection reset', {
          kind: 'network',
          phase: 'trigger',
          method: 'POST',
          path: '/trigger',
          mayHaveApplied: true,
          attempts: 1,
        });
      }
      return w.trigger === 'id' ? { kind: 'accepted', handle: { runId: '101' } } : { kind: 'accepted' };
    },
    async find() {
      if (w.foundAfterIdleCheck) return w.calls.inFlight > 0 ? { kind: 'found', handle: { runId: '103' } } : { kind: 'pending' };
      const list = w.finds ?? [{ kind: 'found', handle: { runId: '101' } }];
      return list[Math.min(found++, list.length - 1)]!;
    },
    async observe() {
      if (w.afterCancel && w.calls.cancel.length > 0) return w.afterCancel;
      return w.observations[Math.min(observed++, w.observations.length - 1)]!;
    },
    async failures() {
      return [];
    },
    async cancel(_target, handle): Promise<CancelReport> {
      w.calls.cancel.push(handle.runId);
      return { requested: true, accepted: true, note: `cancel of ${handle.runId} accepted` };
    },
    async handleFor(_target, runId) {
      w.calls.handleFor.push(runId);
      return { runId };
    },
    async latest() {
      return w.latest;
    },
    ...(w.history && { history: async () => w.history! }),
  };
  return { platform: 'timextender', authHeaders: () => ({}), create: () => provider };
}

function settingsFor(inputs: Record<string, string>) {
  const values: Record<string, string> = {
    platform: 'timextender',
    'base-url': 'http://127.0.0.1:9',
    'api-key': KEY,
    workspace: 'finance',
    task: 'Package/1005',
    'poll-interval': '5s',
    timeout: '10m',
    ...inputs,
  };
  return parseSettings((name) => values[name]).settings;
}

async function run(w: World, inputs: Record<string, string> = {}, host = new RecordingHost()): Promise<{ outcome: StepOutcome; host: RecordingHost }> {
  if (w.duringTrigger === undefined && inputs['cancel-in-trigger'] === 'true') w.duringTrigger = () => host.controller.abort();
  delete inputs['cancel-in-trigger'];
  const settings = settingsFor(inputs);
  const outcome = await runStep(settings, host, { loadProvider: async () => fakeModule(w), clock: new FakeClock(), startWindowMs: 60_000, confirmWindowMs: 10_000 });
  return { outcome, host };
}

const running: Observation = { state: 'running', rawStatus: 'Busy', startedAt: '2026-03-15T08:30:00' };
const done = (extra: Partial<Observation> = {}): Observation => ({
  state: 'succeeded',
  rawStatus: 'Done',
  startedAt: '2026-03-15T08:30:00',
  finishedAt: '2026-03-15T08:31:00',
  end: 'endTime 2026-03-15T08:31:00',
  ...extra,
});
const membersOk: Proof = { ok: true, detail: '3 of 3 member executions ended, none failed' };

const logText = (host: RecordingHost) => host.lines.filter((l) => l.level !== 'debug').map((l) => l.text).join('\n');

describe('verdicts from evidence', () => {
  test('a success word without an end seen is not green, and the missing proof is named', async () => {
    const { outcome } = await run(world({ trigger: 'id', observations: [running, done({ end: undefined })] }));
    expect(outcome.status).toBe('failed');
    expect(outcome.results[0]!.message).toMatch(/missing proof: end/);
    expect(outcome.results[0]!.evidence?.end?.ok).toBe(false);
  });

  test('a composite run with a success word but no member accounted for is not green', async () => {
    const { outcome } = await run(world({ composite: true, trigger: 'no-id', observations: [done()] }));
    expect(outcome.status).toBe('failed');
    expect(outcome.results[0]!.message).toMatch(/missing proof: members/);
  });

  test('a composite run whose members proof fails is not green even with a success word', async () => {
    const { outcome } = await run(world({ composite: true, trigger: 'no-id', observations: [done({ members: { ok: false, detail: '0 members seen' } })] }));
    expect(outcome.status).toBe('failed');
    expect(outcome.results[0]!.message).toMatch(/members \(0 members seen\)/);
  });

  test('every proof holds: green, with the evidence in result, summary and text', async () => {
    const { outcome, host } = await run(world({ composite: true, trigger: 'id', observations: [running, done({ members: membersOk })] }));
    expect(outcome.status).toBe('succeeded');
    const evidence = outcome.results[0]!.evidence!;
    expect(evidence.identity).toEqual({ ok: true, detail: 'the run id the trigger answered' });
    expect(evidence.success?.ok && evidence.end?.ok && evidence.members?.ok).toBe(true);
    expect(JSON.parse(host.outputs.get('result')!)[0].evidence.identity.detail).toBe('the run id the trigger answered');
    expect(outcome.summaryMarkdown).toMatch(/evidence: identity ✓ the run id the trigger answered; success ✓ Done/);
    expect(logText(host)).toMatch(/evidence finance\/Package\/1005: identity ✓/);
  });

  test('a run found after an accepted trigger is identified by the baseline', async () => {
    const { outcome } = await run(world({ trigger: 'no-id', observations: [done()] }));
    expect(outcome.status).toBe('succeeded');
    expect(outcome.results[0]!.evidence?.identity?.detail).toMatch(/not in the baseline/);
  });
});

describe('lost trigger answers', () => {
  test('a run that started after the baseline is adopted, said plainly, marked in run-id, and decides the step', async () => {
    const w = world({ trigger: 'lost', observations: [running, done()] });
    const { outcome, host } = await run(w);
    expect(w.calls.trigger).toBe(1);
    expect(outcome.status).toBe('succeeded');
    expect(host.outputs.get('run-id')).toBe(`${ADOPTED_PREFIX}101`);
    expect(outcome.results[0]!.evidence?.identity?.detail).toMatch(/adopted after the trigger's answer was lost/);
    expect(logText(host)).toMatch(/adopted run 101/);
    expect(outcome.summaryMarkdown).toMatch(/adopted run 101/);
  });

  test('an adopted run that fails makes the step red', async () => {
    const w = world({ trigger: 'lost', observations: [done({ state: 'failed', rawStatus: 'Broken' })] });
    const { outcome } = await run(w);
    expect(outcome.status).toBe('failed');
  });

  test('nothing found and the target idle: the trigger is sent once more, and the resend is in the normal log', async () => {
    const w = world({ trigger: 'lost', finds: [{ kind: 'pending' }, { kind: 'pending' }, { kind: 'pending' }, { kind: 'pending' }, { kind: 'pending' }, { kind: 'pending' }, { kind: 'pending' }, { kind: 'pending' }, { kind: 'found', handle: { runId: '102' } }], observations: [done()] });
    const { outcome, host } = await run(w);
    expect(w.calls.trigger).toBe(2);
    expect(logText(host)).toMatch(/sending the trigger again/);
    // The run found may come from either attempt: it is reported as adopted, not as the answer's run.
    expect(outcome.results[0]!.evidence?.identity?.detail).toMatch(/adopted/);
  });

  test('the run shows up only after the look window (a slow look), on the last look before a resend: adopted, never sent again', async () => {
    const w = world({ trigger: 'lost', foundAfterIdleCheck: true, observations: [done()] });
    const { outcome, host } = await run(w);
    expect(w.calls.inFlight).toBeGreaterThan(0);
    expect(w.calls.trigger).toBe(1);
    expect(logText(host)).not.toMatch(/sending the trigger again/);
    expect(outcome.status).toBe('succeeded');
    expect(logText(host)).toMatch(/adopted run 103/);
  });

  test('mode trigger marks an adopted run in its run-id handle, and mode wait reports it as adopted', async () => {
    const w = world({ trigger: 'lost', observations: [running] });
    const first = await run(w, { mode: 'trigger' });
    expect(first.outcome.status).toBe('triggered');
    const handle = first.host.outputs.get('run-id')!;
    expect(handle).toBe(`${ADOPTED_PREFIX}101`);
    expect(first.outcome.results[0]!.message).toMatch(/answer was lost; adopted run 101/);

    const w2 = world({ observations: [done()] });
    const second = await run(w2, { mode: 'wait', 'run-id': handle });
    expect(w2.calls.handleFor).toEqual(['101']);
    expect(second.outcome.status).toBe('succeeded');
    expect(second.outcome.results[0]!.evidence?.identity?.detail).toMatch(/adopted after its trigger's answer was lost/);
  });
});

describe('mode wait takes the run-id handle mode trigger writes', () => {
  test('several runs of one target (a+adopted:b): all are followed, each with its identity', async () => {
    const w = world({ observations: [done()] });
    const { outcome } = await run(w, { mode: 'wait', 'run-id': `101+${ADOPTED_PREFIX}102` });
    expect(w.calls.handleFor).toEqual(['101', '102']);
    expect(outcome.status).toBe('succeeded');
    expect(outcome.results[0]!.runId).toBe(`101+${ADOPTED_PREFIX}102`);
    expect(outcome.results[0]!.evidence?.identity?.detail).toMatch(/run 101: run id given in run-id \| run 102: .*adopted/);
  });
});

describe('cancel only what the step started', () => {
  test('a run attached to (if-running: attach) is not cancelled on timeout', async () => {
    const w = world({ inFlight: { handle: { runId: 'F1' }, description: 'run F1 is running' }, observations: [running] });
    const { outcome, host } = await run(w, { 'if-running': 'attach', timeout: '1m' });
    expect(outcome.status).toBe('timed-out');
    expect(w.calls.cancel).toEqual([]);
    expect(logText(host)).toMatch(/F1 was not started by this step: not cancelled, it keeps going/);
  });

  test('a run this step triggered is cancelled on timeout', async () => {
    const w = world({ trigger: 'id', observations: [running] });
    const { outcome } = await run(w, { timeout: '1m' });
    expect(outcome.status).toBe('timed-out');
    expect(w.calls.cancel).toEqual(['101']);
  });
});

describe('mode check', () => {
  const latest = (history: Proof, observation: Observation = done()): LatestRun<RunHandle> => ({ handle: { runId: 'L1' }, observation, ageMs: 60_000, history });

  test('an incomplete history reading is not green', async () => {
    const { outcome } = await run(world({ observations: [], latest: latest({ ok: false, detail: 'page 51 not read (bound 50 pages)' }) }), { mode: 'check' });
    expect(outcome.status).toBe('failed');
    expect(outcome.results[0]!.message).toMatch(/cannot be told: page 51 not read/);
  });

  test('a complete history, a success word and an end: green with every proof shown', async () => {
    const { outcome } = await run(world({ observations: [], latest: latest({ ok: true, detail: '2 pages read, newest first' }) }), { mode: 'check', 'max-age': '24h' });
    expect(outcome.status).toBe('succeeded');
    expect(outcome.results[0]!.evidence?.history?.detail).toBe('2 pages read, newest first');
  });

  test('a success word without an end is not green in check mode either', async () => {
    const { outcome } = await run(world({ observations: [], latest: latest({ ok: true, detail: 'newest first' }, done({ end: undefined })) }), { mode: 'check' });
    expect(outcome.status).toBe('failed');
    expect(outcome.results[0]!.message).toMatch(/missing proof: end/);
  });
});

describe('saved state for the post step', () => {
  const stopped: Observation = { state: 'cancelled', rawStatus: 'Stopped', finishedAt: '2026-03-15T08:40:00', end: 'endTime 2026-03-15T08:40:00' };

  test('a cancel the platform has not confirmed is saved as unconfirmed; the post step sends it again and reports the final state', async () => {
    const w = world({ trigger: 'id', observations: [running] });
    const main = await run(w, { timeout: '1m' });
    expect(main.outcome.status).toBe('timed-out');
    expect(w.calls.cancel).toEqual(['101']);
    const saved = JSON.parse(main.host.state.get(STATE_RUNS)!);
    expect(saved).toEqual([{ index: 0, runId: '101', done: false, cancel: 'unconfirmed' }]);

    const post = new RecordingHost();
    post.state.set(STATE_RUNS, main.host.state.get(STATE_RUNS)!);
    const w2 = world({ observations: [stopped] });
    const cancelled = await cancelSavedRuns(settingsFor({}), post, { loadProvider: async () => fakeModule(w2), clock: new FakeClock() });
    expect(cancelled).toBe(1);
    expect(w2.calls.cancel).toEqual(['101']);
    expect(logText(post)).toMatch(/not confirmed: sent again/);
    expect(logText(post)).toMatch(/run 101 ended Stopped/);
  });

  test('a run that ended after its cancel is settled: nothing left for the post step', async () => {
    const w = world({ trigger: 'id', observations: [running], afterCancel: stopped });
    const main = await run(w, { timeout: '1m' });
    const saved = JSON.parse(main.host.state.get(STATE_RUNS)!);
    expect(saved[0].done).toBe(true);
  });

  test('cancelled while the trigger is in flight: the run it started is looked for, and cancelled when it carries our marker', async () => {
    const w = world({ adoption: 'own-marker', observations: [running], finds: [{ kind: 'found', handle: { runId: 'M1' }, identity: "carries this step's idempotency key" }] });
    const main = await run(w, { 'cancel-in-trigger': 'true' });
    expect(main.outcome.status).toBe('cancelled');
    expect(w.calls.cancel).toEqual(['M1']);
    expect(main.outcome.results[0]!.message).toMatch(/the trigger had been sent and run M1 had started/);
  });

  test('cancelled while the trigger is in flight and nothing found yet: the trigger is saved, and the post step finds the run later', async () => {
    const w = world({ adoption: 'own-marker', observations: [running], finds: [{ kind: 'pending' }] });
    const main = await run(w, { 'cancel-in-trigger': 'true' });
    expect(main.outcome.status).toBe('cancelled');
    expect(w.calls.cancel).toEqual([]);
    const saved = JSON.parse(main.host.state.get(STATE_RUNS)!);
    expect(saved[0]).toMatchObject({ index: 0, done: false, trigger: { baseline: '[]' } });

    const post = new RecordingHost();
    post.state.set(STATE_RUNS, main.host.state.get(STATE_RUNS)!);
    const w2 = world({ adoption: 'own-marker', observations: [stopped], finds: [{ kind: 'pending' }, { kind: 'found', handle: { runId: 'M2' } }] });
    await cancelSavedRuns(settingsFor({}), post, { loadProvider: async () => fakeModule(w2), clock: new FakeClock() });
    expect(w2.calls.cancel).toEqual(['M2']);
    expect(logText(post)).toMatch(/trigger \(sent .*\) was in flight; found run M2/);
  });

  test('a run found after a trigger in flight on a platform without our marker is reported, never cancelled', async () => {
    const post = new RecordingHost();
    post.state.set(STATE_RUNS, JSON.stringify([{ index: 0, done: false, trigger: { sentAt: '2026-03-15T08:30:00.000Z', baseline: '[]' } }]));
    const w2 = world({ adoption: 'equivalent', observations: [running], finds: [{ kind: 'found', handle: { runId: 'E1' } }] });
    await cancelSavedRuns(settingsFor({}), post, { loadProvider: async () => fakeModule(w2), clock: new FakeClock(), settleWindowMs: 1000 });
    expect(w2.calls.cancel).toEqual([]);
    expect(logText(post)).toMatch(/E1 cannot be proven to be this step's own, so it is not cancelled/);
  });
});

describe('progress on long runs', () => {
  test('with a run history, the expected end is said once, with its zone and how many runs it comes from', async () => {
    const w = world({ trigger: 'id', history: [600, 620, 590, 610], observations: [running, running, running, done()] });
    const { outcome, host } = await run(w);
    expect(outcome.status).toBe('succeeded');
    const said = logText(host).split('\n').filter((l) => l.includes('expected to end around'));
    expect(said).toEqual([expect.stringMatching(/expected to end around \d\d:\d\d UTC \(in about 10m \d+s\), from 4 past runs/)]);
  });

  test('without history, nothing is predicted', async () => {
    const w = world({ trigger: 'id', observations: [running, done()] });
    const { host } = await run(w);
    expect(logText(host)).not.toMatch(/expected to end/);
  });
});

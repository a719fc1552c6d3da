/**
 * The exploration's invariants on hand-made truths: each one must flag the false verdict it exists for and
 * accept the true one (an invariant that cannot fail would prove nothing).
 */
import { checkCancels, checkGreen, checkOneLoad, checkTime, SETTLE_MS, type StepRecord } from './oracle.js';
import type { TruthRun } from './worlds.js';

const T0 = 1_000_000;
const T1 = T0 + 60_000;

function step(parts: Partial<StepRecord> = {}): StepRecord {
  return {
    mode: 'run',
    ifRunning: 'fail',
    platform: 'timextender',
    status: 'succeeded',
    runIds: ['1'],
    t0: T0,
    t1: T1,
    windowEnd: Number.POSITIVE_INFINITY,
    clockLeadMs: 0,
    realMs: 1000,
    timeoutMs: 2000,
    triggerArrivals: [T0 + 1000],
    ...parts,
  };
}

function run(id: string, parts: Partial<TruthRun> = {}): TruthRun {
  return { ids: [id], origin: 'api', createdMs: T0 + 1000, startMs: T0 + 1000, endMs: T0 + 5000, success: true, word: 'Finished', visibleMs: T0 + 1000, ...parts };
}

describe('(a) never green without proof in the truth', () => {
  test('a green on our own run that truly succeeded holds', () => {
    expect(checkGreen(step(), [run('1')])).toEqual([]);
  });

  test('a green on a run that failed, has not ended, or ended after the step is flagged', () => {
    expect(checkGreen(step(), [run('1', { success: false, word: 'Failed' })])).toEqual([expect.stringContaining('did not succeed')]);
    expect(checkGreen(step(), [run('1', { endMs: null })])).toEqual([expect.stringContaining('did not succeed')]);
    expect(checkGreen(step(), [run('1', { endMs: T1 + 10 })])).toEqual([expect.stringContaining('did not succeed')]);
  });

  test('a green on a run that started before the baseline (stale) or on no known run is flagged', () => {
    expect(checkGreen(step(), [run('1', { origin: 'foreign', createdMs: T0 - 5000, startMs: T0 - 5000 })])).toEqual([expect.stringContaining('(stale)')]);
    // Within the Date header's resolution of the step's start: cannot be told apart, not stale.
    expect(checkGreen(step(), [run('1', { origin: 'foreign', createdMs: T0 - 10, startMs: T0 - 10 })])).toEqual([]);
    expect(checkGreen(step({ runIds: ['9'] }), [run('1')])).toEqual([expect.stringContaining('not a run of the target')]);
  });

  test("an equivalent run of others after the baseline may count on TDP and Qarion, never on Planasonix", () => {
    const foreign = run('2', { origin: 'foreign' });
    expect(checkGreen(step({ runIds: ['2'] }), [foreign])).toEqual([]);
    expect(checkGreen(step({ runIds: ['2'], platform: 'qarion' }), [foreign])).toEqual([]);
    expect(checkGreen(step({ runIds: ['2'], platform: 'planasonix' }), [foreign])).toEqual([expect.stringContaining("not this step's own")]);
  });

  test('a green that leaves out the load our trigger started, which failed, is flagged', () => {
    const own = run('1', { success: false, word: 'Failed' });
    const foreign = run('2', { origin: 'foreign' });
    expect(checkGreen(step({ runIds: ['2'] }), [own, foreign])).toEqual([expect.stringContaining('was left out and failed')]);
    // Still queued when an equivalent load succeeded: not decided, may be left.
    expect(checkGreen(step({ runIds: ['2'] }), [{ ...own, endMs: null }, foreign])).toEqual([]);
    // Listed only after the run counted: out of the step's sight.
    expect(checkGreen(step({ runIds: ['2'] }), [{ ...own, visibleMs: T0 + 9000 }, foreign])).toEqual([]);
  });

  test('if-running attach and mode wait may count a run the step did not start, when it truly succeeded', () => {
    const inFlight = run('3', { origin: 'foreign', createdMs: T0 - 5000, startMs: T0 - 5000 });
    expect(checkGreen(step({ ifRunning: 'attach', runIds: ['3'] }), [inFlight])).toEqual([]);
    expect(checkGreen(step({ mode: 'wait', runIds: ['3'] }), [inFlight])).toEqual([]);
    expect(checkGreen(step({ mode: 'wait', runIds: ['3'] }), [{ ...inFlight, success: false }])).toEqual([expect.stringContaining('did not succeed')]);
    // Ended before the step began: not the run in flight.
    const old = run('4', { origin: 'foreign', createdMs: T0 - 9000, startMs: T0 - 9000, endMs: T0 - 8000 });
    expect(checkGreen(step({ ifRunning: 'attach', runIds: ['4'] }), [old])).toEqual([expect.stringContaining('(stale)')]);
  });

  test('check: green only on the truly latest run, with success, within max-age', () => {
    const older = run('5', { origin: 'history', createdMs: T0 - 100_000, startMs: T0 - 100_000, endMs: T0 - 90_000, visibleMs: T0 - 100_000 });
    const newerFailed = run('6', { origin: 'history', createdMs: T0 - 50_000, startMs: T0 - 50_000, endMs: T0 - 40_000, success: false, visibleMs: T0 - 50_000 });
    const check = step({ mode: 'check', runIds: ['5'] });
    expect(checkGreen(check, [older])).toEqual([]);
    expect(checkGreen(check, [older, newerFailed])).toEqual([expect.stringContaining('the truly latest run ended without success')]);
    const newerRunning = { ...newerFailed, endMs: null, success: false };
    expect(checkGreen(check, [older, newerRunning])).toEqual([expect.stringContaining('still in flight')]);
    // Naming an older run is not judged when the truly latest one succeeded too.
    const newerOk = { ...newerFailed, success: true };
    expect(checkGreen(check, [older, newerOk])).toEqual([]);
    expect(checkGreen({ ...check, runIds: ['6'] }, [older, newerFailed])).toEqual([expect.stringContaining('the run counted did not succeed'), expect.stringContaining('the truly latest run ended without success')]);
    // A newer run that appeared just before the step (within the settle time) may or may not be seen.
    const justNow = { ...newerFailed, createdMs: T0 - SETTLE_MS + 1, startMs: T0 - SETTLE_MS + 1 };
    expect(checkGreen(check, [older, justNow])).toEqual([]);
    // A run that started during the step and succeeded before the step read it is a newer latest: green holds,
    // unless a run that failed started after it and before it ended.
    const during = run('7', { origin: 'foreign', createdMs: T0 + 400, startMs: T0 + 400, endMs: T0 + 1100, visibleMs: T0 + 400 });
    expect(checkGreen({ ...check, runIds: ['7'] }, [older, newerFailed, during])).toEqual([]);
    const failedAfter = run('8', { origin: 'foreign', createdMs: T0 + 600, startMs: T0 + 600, endMs: T0 + 900, success: false, visibleMs: T0 + 600 });
    expect(checkGreen({ ...check, runIds: ['7'] }, [older, newerFailed, during, failedAfter])).toEqual([expect.stringContaining('the truly latest run ended without success')]);
    expect(checkGreen({ ...check, maxAgeMs: 60_000 }, [older])).toEqual([expect.stringContaining('max-age')]);
    expect(checkGreen({ ...check, maxAgeMs: 120_000 }, [older])).toEqual([]);
  });

  test('not green: nothing to check', () => {
    expect(checkGreen(step({ status: 'failed' }), [run('1', { success: false })])).toEqual([]);
  });
});

describe('(b) one load per step', () => {
  test('two loads started by one step are flagged; one is fine; any in check mode is flagged', () => {
    const triggers = [{ simTimeMs: T0 + 1000 }, { simTimeMs: T0 + 2000 }];
    expect(checkOneLoad(step(), [run('1')], triggers.slice(0, 1))).toEqual([]);
    expect(checkOneLoad(step(), [run('1'), run('2', { createdMs: T0 + 2000 })], triggers)).toEqual([expect.stringContaining('SECOND LOAD')]);
    expect(checkOneLoad(step({ mode: 'check' }), [run('1')], triggers.slice(0, 1))).toEqual([expect.stringContaining('LOAD STARTED in mode check')]);
    // A load of the next step (after this step's window) is not this step's.
    const arrivals = { triggerArrivals: [T0 + 1000, T0 + 2000] };
    expect(checkOneLoad(step({ ...arrivals, windowEnd: T0 + 1500 }), [run('1'), run('2', { createdMs: T0 + 2000 })], triggers)).toEqual([]);
    // A trigger request of this step applied late (after its window) is still this step's load.
    expect(checkOneLoad(step({ ...arrivals, windowEnd: T0 + 1500 }), [run('1'), run('3', { createdMs: T0 + 1800 })], [])).toEqual([expect.stringContaining('SECOND LOAD')]);
  });
});

describe('(c) no cancel of a run the step did not start', () => {
  test('cancelling our own run is fine; a followed or foreign one is flagged', () => {
    const cancel = (id: string) => [{ id, simTimeMs: T0 + 3000, request: `cancel ${id}` }];
    expect(checkCancels(step(), [run('1')], cancel('1'))).toEqual([]);
    expect(checkCancels(step(), [run('1'), run('2', { origin: 'foreign' })], cancel('2'))).toEqual([expect.stringContaining('CANCEL')]);
    expect(checkCancels(step({ mode: 'wait' }), [run('1')], cancel('1'))).toEqual([expect.stringContaining('CANCEL')]);
  });
});

describe('(d) no hang', () => {
  test('past the timeout plus the grace is flagged', () => {
    expect(checkTime(step({ realMs: 3000, timeoutMs: 2000 }))).toEqual([]);
    expect(checkTime(step({ realMs: 4500, timeoutMs: 2000 }))).toEqual([expect.stringContaining('HANG')]);
  });
});

describe('(e) the key in no output or file', () => {
  test('a key in a file left behind, in a printed line or in an output is found', async () => {
    const { mkdtempSync, writeFileSync, rmSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const { ProofHost } = await import('../proof/support.js');
    const { stepLeaks } = await import('./runner.js');
    const key = 'txk_OracleTestKey0123456789abcdef0123';
    const dir = mkdtempSync(join(tmpdir(), 'explore-oracle-'));
    try {
      const host = new ProofHost(undefined, dir);
      host.info('nothing secret here');
      expect(stepLeaks(host, undefined, dir, key)).toEqual([]);
      writeFileSync(join(dir, 'left-behind.log'), `Authorization: ${Buffer.from(`Bearer ${key}`).toString('base64')}\n`);
      expect(stepLeaks(host, undefined, dir, key).length).toBeGreaterThan(0);
      rmSync(join(dir, 'left-behind.log'));
      host.setOutput('result', `{"echo":"${key.slice(2, 20)}"}`);
      expect(stepLeaks(host, undefined, dir, key).length).toBeGreaterThan(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

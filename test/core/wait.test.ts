import { FakeClock } from '../helpers/fake-clock.js';
import { PollSchedule } from '../../src/core/poll.js';
import { waitFor, type Acceptor } from '../../src/core/wait.js';

const fakeClock = () => new FakeClock(0);

const done: Acceptor<string | undefined> = { name: 'done', state: 'success', matches: (value) => value === 'done' };
const broken: Acceptor<string | undefined> = { name: 'broken', state: 'failure', matches: (value) => value === 'broken' };
const still: Acceptor<string | undefined> = { name: 'still going', state: 'retry', matches: (value) => value === 'still' };

describe('waitFor', () => {
  test('reads until an acceptor says success, sleeping by the schedule, and hands back the observation', async () => {
    const clock = fakeClock();
    const schedule = new PollSchedule({ maxDelayMs: 5000 });
    let reads = 0;
    const result = await waitFor({ read: async () => (++reads === 4 ? 'done' : undefined), accept: [done], schedule: () => schedule.next(), clock, deadline: 60_000 });
    expect(result).toEqual({ state: 'success', acceptor: 'done', observation: 'done', reads: 4 });
    expect(clock.gaps).toEqual([1000, 1500, 2250]);
  });

  test('a failure acceptor ends the wait with its name and the observation; the first matching acceptor decides', async () => {
    const clock = fakeClock();
    const answers = ['still', 'broken'];
    const result = await waitFor({ read: async () => answers.shift(), accept: [still, broken, done], schedule: () => 100, clock });
    expect(result).toEqual({ state: 'failure', acceptor: 'broken', observation: 'broken', reads: 2 });
  });

  test('never sleeps past the deadline and never reads at it: a timeout with the last observation', async () => {
    const clock = fakeClock();
    const schedule = new PollSchedule({ maxDelayMs: 4000 });
    const result = await waitFor({ read: async () => `read at ${clock.now()}`, accept: [done], schedule: () => schedule.next(), clock, deadline: 5000 });
    expect(result).toEqual({ state: 'timeout', observation: 'read at 4750', reads: 4 });
    expect(clock.now()).toBe(5000);
    expect(clock.gaps).toEqual([1000, 1500, 2250, 250]);
  });

  test('a window end cuts the gaps so that one read falls on it, where an acceptor decides', async () => {
    const clock = fakeClock();
    const windowClosed: Acceptor<string | undefined> = { name: 'window closed', state: 'failure', matches: (_value, now) => now >= 3000 };
    const result = await waitFor({ read: async () => undefined, accept: [done, windowClosed], schedule: () => 2000, windowEnd: 3000, clock, deadline: 60_000 });
    expect(result).toMatchObject({ state: 'failure', acceptor: 'window closed', reads: 3 });
    expect(clock.gaps).toEqual([2000, 1000]);
  });

  test('an aborted signal ends the wait with its reason and the last observation', async () => {
    const clock = fakeClock();
    const controller = new AbortController();
    let reads = 0;
    const result = await waitFor({
      read: async () => {
        if (++reads === 2) controller.abort(new Error('cancelled by CI'));
        return `read ${reads}`;
      },
      accept: [done],
      schedule: () => 1000,
      clock,
      deadline: 60_000,
      signal: controller.signal,
    });
    expect(result).toEqual({ state: 'aborted', reason: new Error('cancelled by CI'), observation: 'read 2', reads: 2 });
  });

  test('a read that throws ends the wait with that error (errors are not observations)', async () => {
    const clock = fakeClock();
    await expect(waitFor({ read: async () => Promise.reject(new Error('403')), accept: [done], schedule: () => 1, clock })).rejects.toThrow('403');
  });

  test('onRetry sees each undecided observation before the gap', async () => {
    const clock = fakeClock();
    const seen: string[] = [];
    const answers = ['a', 'b', 'done'];
    await waitFor({ read: async () => answers.shift(), accept: [done], schedule: () => 10, onRetry: (value) => seen.push(`${value}@${clock.now()}`), clock });
    expect(seen).toEqual(['a@0', 'b@10']);
  });
});

import { normalizeStatus, overallStatus, exitCodeFor, type StatusTable, type TargetResult } from '../../src/core/outcome.js';

const table: StatusTable = {
  succeeded: ['Finished'],
  failed: ['Failed'],
  cancelled: ['Cancelled', 'canceled'],
  queued: ['Queued'],
  running: ['Running'],
};

describe('normalizeStatus', () => {
  test.each([
    ['Finished', false, 'succeeded'],
    ['  finished ', true, 'succeeded'],
    ['FAILED', true, 'failed'],
    ['Canceled', true, 'cancelled'],
    ['Queued', false, 'queued'],
    ['running', false, 'running'],
    // a known in-progress word stays in progress even if an end time is already set
    ['Running', true, 'running'],
    // unknown words: in progress while there is no end time, failed once there is one
    ['Aborted', false, 'unknown'],
    ['Aborted', true, 'failed'],
    ['', false, 'unknown'],
    ['', true, 'failed'],
    [null, true, 'failed'],
    [undefined, false, 'unknown'],
  ] as const)('%j (ended: %s) → %s', (raw, ended, expected) => {
    expect(normalizeStatus(table, raw, ended)).toBe(expected);
  });

  test('only the success words are ever green', () => {
    for (const word of ['Success', 'OK', 'Done', 'Completed', 'Finished with warnings', 'Disabled']) {
      expect(normalizeStatus(table, word, true)).not.toBe('succeeded');
    }
  });
});

describe('overallStatus and exit codes', () => {
  const r = (status: TargetResult['status']): TargetResult => ({ target: 't', platform: 'timextender', status, failedTasks: [] });
  test.each([
    [['succeeded', 'succeeded'], 'succeeded', 0],
    [['succeeded', 'failed'], 'failed', 1],
    [['succeeded', 'timed-out'], 'timed-out', 3],
    [['failed', 'timed-out'], 'failed', 1],
    [['cancelled'], 'cancelled', 1],
    [['triggered', 'triggered'], 'triggered', 0],
    [[], 'failed', 1],
  ] as const)('%j → %s (exit %d)', (statuses, overall, code) => {
    const status = overallStatus(statuses.map(r));
    expect(status).toBe(overall);
    expect(exitCodeFor(status)).toBe(code);
  });
});

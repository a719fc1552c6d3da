// The order in which jest hands test files to its workers (jest.config.js, testSequencer).
//
// Jest's own order (files that failed last time first, then the slowest) starts the heaviest files together.
// On 2 cores that starves the proofs that check real-time bounds while running many steps at once, and they
// miss their bounds. So:
// - first, in this order: the fault matrix (16 steps at a time against 400 ms request timeouts) beside the
//   long files that mostly wait on child processes (the bundle end-to-end tests), then the file that starts
//   several processes at a time (bad inputs), then the exploration;
// - then every other file, in jest's order (the slowest first, so the last ones are short unit tests);
// - last, the soak: 32 steps at a time against real-time timeouts need a core of their own, and by the time
//   it starts the other workers are finishing their last short files.
import TestSequencer from '@jest/test-sequencer';

const FIRST = [
  'test/proof/fault-matrix.test.ts',
  'test/github/e2e.test.ts',
  'test/azure/e2e.test.ts',
  'test/proof/bad-inputs.test.ts',
  'test/azure/agent-contract.test.ts',
  'test/explore/explore.test.ts',
];
const LAST = ['test/proof/soak.test.ts'];

const Base = TestSequencer.default ?? TestSequencer;

export default class SpreadSequencer extends Base {
  async sort(tests) {
    const sorted = await super.sort(tests);
    const rank = (test) => {
      const path = test.path.replace(/\\/g, '/');
      const first = FIRST.findIndex((p) => path.endsWith(p));
      if (first >= 0) return first;
      return LAST.some((p) => path.endsWith(p)) ? FIRST.length + 1 : FIRST.length;
    };
    // Array.prototype.sort is stable: the files in between keep jest's order.
    return [...sorted].sort((a, b) => rank(a) - rank(b));
  }
}

import { availableParallelism } from 'node:os';

/**
 * Tests are TypeScript ESM, transpiled by ts-jest without type checks (npm run lint type-checks).
 *
 * Workers: two test files per core (4 on 2 cores), at most 8. About half of the suite's wall time is
 * waiting (child processes, loopback HTTP, real-time timeouts in the proofs), so more files than cores keep
 * the CPU busy: on 2 cores, 3 workers left it idle a quarter of the time (npm test 125-139 s), 4 workers
 * 120-121 s. The workers run with a 32 MiB young generation (package.json `test`): the suite churns through
 * short-lived objects, and the larger nursery cut its CPU time by about 15 % (226 -> 192 CPU-seconds).
 * test/sequencer.mjs keeps the heaviest files apart (the real-time proofs beside files that mostly wait) and
 * runs the soak last. Every file starts its own simulator on an ephemeral port and writes only to fresh
 * temporary folders, so files are independent. `--maxWorkers` on the command line still overrides this.
 */
export default {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  transform: {
    '^.+\\.ts$': ['ts-jest', { useESM: true, diagnostics: false }],
  },
  testTimeout: 30000,
  maxWorkers: Math.min(8, Math.max(2, availableParallelism() * 2)),
  // The heavy files first and apart, the soak last (see the file).
  testSequencer: '<rootDir>/test/sequencer.mjs',
};

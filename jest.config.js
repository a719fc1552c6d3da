import { availableParallelism } from 'node:os';

/**
 * Tests are TypeScript ESM, transpiled by ts-jest without type checks (npm run lint type-checks).
 *
 * Workers: the suite is I/O bound (loopback HTTP, child processes, timers), so it runs two test files per core
 * (4 on 2 cores; jest's default of cores − 1 would run one file at a time there), at most 8. Every file starts
 * its own simulator on an ephemeral port and writes only to fresh temporary folders, so files are independent.
 * `--maxWorkers` on the command line still overrides this.
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
};

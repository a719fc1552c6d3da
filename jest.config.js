import { availableParallelism } from 'node:os';

/**
 * Tests are TypeScript ESM, transpiled by ts-jest without type checks (npm run lint type-checks).
 *
 * Workers: one and a half test files per core (3 on 2 cores; jest's default of cores − 1 ran one file at a time
 * there), at most 8. Many files wait on child processes and loopback HTTP, so more files than cores keep the
 * CPU busy; but the proofs that check real-time bounds need CPU headroom, and two files per core overloaded 2
 * cores until they missed their bounds. test/sequencer.mjs keeps the heaviest files apart and runs the soak
 * last. Every file starts its own simulator on an ephemeral port and writes only to fresh temporary folders,
 * so files are independent. `--maxWorkers` on the command line still overrides this.
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
  maxWorkers: Math.min(8, Math.max(2, Math.round(availableParallelism() * 1.5))),
  // The heavy files first and apart, the soak last (see the file).
  testSequencer: '<rootDir>/test/sequencer.mjs',
};

/**
 * Toy Flow: a fourth platform that exists only in the tests, to show that a platform is one folder (this
 * one: platform.ts, provider.ts), one registry line (`registerPlatform(toy)`) and a simulator module
 * (simulator.ts). Nothing in src/ names it. Its API, as the simulator serves it:
 *
 *   GET  /toy/flows/{flow}            the flow (404 when unknown)
 *   GET  /toy/flows/{flow}/runs       its runs, newest first
 *   POST /toy/flows/{flow}/runs       starts a run; answers 201 {"id": "…"}
 *   GET  /toy/runs/{id}               {"id", "flow", "status", "startedAt", "endedAt"}
 *   GET  /toy/runs/{id}/log           the run's log, as plain text
 *
 * The key goes in `Authorization: Bearer <key>`.
 */
import { DuplicateGuard, checkIdentifier, checkTargetCount, quote, type InputReader } from '../../src/core/inputs/index.js';
import type { PlatformModule } from '../../src/core/platform.js';
import type { TargetSpec } from '../../src/core/settings.js';

declare module '../../src/core/settings.js' {
  interface TargetSpecs {
    toy: ToyFlowSpec;
  }
}

export interface ToyFlowSpec {
  platform: 'toy';
  kind: 'flow';
  label: string;
  /** The flow's id (lower-case letters, digits, dashes). */
  flow: string;
}

function parseToyTargets(r: InputReader): TargetSpec[] {
  checkTargetCount(r, ['flow']);
  const lines = r.lines('flow');
  if (lines.length === 0) r.fail('flow', 'needs at least one line for platform toy');
  const seen = new DuplicateGuard(r, 'flow');
  return lines.map((line): ToyFlowSpec => {
    seen.check(line.text, line);
    checkIdentifier(r, 'flow', line.text);
    if (!/^[a-z0-9-]+$/.test(line.text)) r.fail('flow', `${quote(line.text)} is not a flow id (lower-case letters, digits, dashes)`, { line: line.number });
    return { platform: 'toy', kind: 'flow', flow: line.text, label: `flow/${line.text}` };
  });
}

export const toy: PlatformModule = {
  name: 'toy',
  label: 'Toy Flow',
  inputs: [
    {
      name: 'flow',
      azureName: 'flow',
      group: 'target',
      multiline: true,
      description: 'Toy Flow: flows to run, one id per line.',
      example: 'nightly',
    },
  ],
  baseUrl: { shown: 'https://api.toy.invalid', example: 'https://api.toy.invalid', fallback: () => 'https://api.toy.invalid' },
  keyFormat: { pattern: /^toy_[a-z0-9]{8}$/, looksLike: 'a Toy Flow key (toy_ followed by 8 letters or digits)' },
  accessHints: { trigger: 'the runner role on the flow' },
  parseTargets: parseToyTargets,
  load: async () => (await import('./provider.js')).toyProviderModule,
};

/**
 * The registry is the one list of platforms: everything else that names platforms is derived from it or
 * checked against it here (the README's links to the guides, Azure endpoint types, the simulator, the proof).
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { endpointFile, withPlatformEndpoints, type Contribution } from '../../src/adapters/azure/task-metadata.js';
import { composeInputs } from '../../src/core/inputs/index.js';
import type { PlatformModule } from '../../src/core/platform.js';
import { PlatformRegistry } from '../../src/core/platforms.js';
import { INPUTS, PLATFORMS, registry } from '../../src/providers/registry.js';
import { startSimulator } from '../../src/simulator/index.js';
import { PLATFORMS as PROOF_PLATFORMS } from '../proof/platforms.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

describe('every registered platform', () => {
  test.each(PLATFORMS.map((p) => [p]))('%s has a guide the README links, an endpoint.json and a simulator module', async (name) => {
    const module = registry.module(name)!;
    expect(module.guide).toBe(`docs/${name}.md`);
    expect(existsSync(join(root, module.guide!))).toBe(true);
    expect(readFileSync(join(root, 'README.md'), 'utf8')).toContain(`- [${module.label}](${module.guide})`);
    const endpoint = JSON.parse(readFileSync(join(root, endpointFile(name)), 'utf8')) as Contribution;
    expect(endpoint.properties?.name).toBe(name);
    const sim = await startSimulator();
    try {
      expect(sim.platforms).toContain(name);
    } finally {
      await sim.close();
    }
  });

  test('vss-extension.json contributes exactly their endpoint types, from their endpoint.json (node scripts/gen-task.mjs)', () => {
    const manifest = JSON.parse(readFileSync(join(root, 'azure-task', 'vss-extension.json'), 'utf8')) as { contributions: Contribution[] };
    const endpoints = PLATFORMS.map((name) => JSON.parse(readFileSync(join(root, endpointFile(name)), 'utf8')) as Contribution);
    expect(manifest).toEqual(withPlatformEndpoints(manifest, endpoints));
  });

  test('the proof covers them all, in registry order', () => {
    expect(PROOF_PLATFORMS.map((p) => p.name)).toEqual([...PLATFORMS]);
  });
});

describe('the input table from platform rows', () => {
  const base = registry.module('qarion')!;
  const platform = (name: string, inputs: PlatformModule['inputs']): PlatformModule => ({ ...base, name, inputs });

  test('a row two platforms declare is one row, owned by both, its description joined from their parts', () => {
    const pipeline = INPUTS.find((d) => d.name === 'pipeline')!;
    expect(pipeline.platforms).toEqual(['qarion', 'planasonix']);
    expect(pipeline.description).toBe('Pipelines to run, one per line: a Qarion pipeline id or name, or a Planasonix pipeline id.');
    expect(INPUTS.filter((d) => d.name === 'pipeline')).toHaveLength(1);
  });

  test('platform rows follow the neutral rows of their group, in registry order; `after` places one behind a neutral row', () => {
    const names = INPUTS.map((d) => d.name);
    expect(names.slice(0, 4)).toEqual(['platform', 'api-key', 'base-url', 'tenant']);
    expect(names.indexOf('server-time-zone')).toBe(names.indexOf('max-age') + 1);
    expect(names.slice(-5)).toEqual(['max-concurrency', 'fail-fast', 'comment', 'sync-before-poll', 'idempotency-key']);
  });

  test('refuses rows that disagree, a shared row without parts, a redefined neutral input, and a bad placement', () => {
    const row = { name: 'flow', azureName: 'flow', group: 'target' as const, example: 'x' };
    expect(() => composeInputs([platform('a', [{ ...row, description: 'A flow.' }]), platform('b', [{ ...row, multiline: true, description: 'B flow.' }])])).toThrow(
      "platforms a and b define the input 'flow' differently (multiline)",
    );
    expect(() => composeInputs([platform('a', [{ ...row, description: 'A flow.' }]), platform('b', [{ ...row, description: 'B flow.' }])])).toThrow(
      "the input 'flow' is shared by several platforms, so each must describe it as { lead, part } with the same lead",
    );
    expect(() => composeInputs([platform('a', [{ ...row, name: 'timeout', description: 'x' }])])).toThrow("platform a redefines the input 'timeout'");
    expect(() => composeInputs([platform('a', [{ ...row, after: 'tenant', description: 'x' }])])).toThrow(
      "input 'flow' is placed after 'tenant', which is not a platform-neutral input",
    );
  });

  test('refuses a platform name that cannot be an input value, an endpoint type and a name prefix', () => {
    expect(() => new PlatformRegistry([platform('Toy Flow', [])])).toThrow("platform name 'Toy Flow' must be lower-case letters and digits");
  });
});

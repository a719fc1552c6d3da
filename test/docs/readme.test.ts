/** The README documents every input (its table is generated from the one input table) and every output. */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { OUTPUT_NAMES } from '../../src/core/host.js';
import { INPUTS } from '../../src/providers/registry.js';

const readme = readFileSync('README.md', 'utf8');

test('the inputs table in README.md is generated from the input table and up to date', () => {
  expect(() => execFileSync(process.execPath, ['scripts/gen-docs.mjs', '--check'], { stdio: 'pipe' })).not.toThrow();
  for (const def of INPUTS) expect(readme).toContain(`| \`${def.name}\` | \`${def.azureName}\` |`);
});

test('every output is in README.md', () => {
  for (const name of OUTPUT_NAMES) expect(readme).toContain(`\`${name}\``);
});

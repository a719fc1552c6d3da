// Writes the generated parts of README.md: the inputs table (between the inputs markers) from the one input
// table (lib/providers/registry.js, built by `npm run build:lib`), one include block per registered platform's
// guide (between the platform-guides markers), and each `<!-- include: docs/X.md -->` block from that file, so
// every guide is written once. `--check` exits 1 when README.md is out of date.
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const { INPUTS, registry } = await import(join(root, 'lib/providers/registry.js'));

export function inputsTable() {
  const cell = (text) => text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
  const rows = INPUTS.map((d) => {
    const dflt = d.default !== undefined ? `\`${d.default}\`` : d.required ? 'required' : '—';
    const scope = `${d.platforms ? d.platforms.join(', ') : 'all'}${d.modes ? ` (mode ${d.modes.join(', ')})` : ''}`;
    return `| \`${d.name}\` | \`${d.azureName}\` | ${dflt} | ${scope} | ${cell(d.description)} |`;
  });
  return ['| GitHub / CLI | Azure | default | applies to | meaning |', '|---|---|---|---|---|', ...rows].join('\n');
}

const readmePath = join(root, 'README.md');
const readme = readFileSync(readmePath, 'utf8');
const start = '<!-- inputs:start -->';
const end = '<!-- inputs:end -->';
const before = readme.slice(0, readme.indexOf(start) + start.length);
const after = readme.slice(readme.indexOf(end));
const withInputs = `${before}\n${inputsTable()}\n${after}`;
// The platform guides: one include block per registered platform, in registry order.
const guidesStart = /<!-- platform-guides:start[^>]*-->/;
const guidesEnd = '<!-- platform-guides:end -->';
const guides = registry.modules.filter((m) => m.guide).map((m) => `<!-- include: ${m.guide} -->\n<!-- include end -->`);
const opening = guidesStart.exec(withInputs);
if (!opening || !withInputs.includes(guidesEnd)) {
  console.error('README.md has no <!-- platform-guides:start … --> / <!-- platform-guides:end --> markers');
  process.exit(1);
}
const withGuides =
  withInputs.slice(0, opening.index + opening[0].length) +
  `\n${guides.join('\n\n')}\n` +
  withInputs.slice(withInputs.indexOf(guidesEnd));
const next = withGuides.replace(
  /(<!-- include: (\S+) -->\n)[\s\S]*?(<!-- include end -->)/g,
  (_all, open, file, close) => `${open}${readFileSync(join(root, file), 'utf8').trimEnd()}\n${close}`,
);
if (process.argv.includes('--check')) {
  if (next !== readme) {
    console.error('README.md inputs table is out of date: run node scripts/gen-docs.mjs');
    process.exit(1);
  }
} else {
  writeFileSync(readmePath, next);
}

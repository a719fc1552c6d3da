// Writes the generated parts of README.md: the inputs table (between the inputs markers) from the one input
// table (lib/providers/registry.js, built by `npm run build:lib`), one include block per registered platform's
// guide (between the platform-guides markers), and each `<!-- include: docs/X.md -->` block from that file, so
// every guide is written once. In README.md and docs/*.md, every reference to the Action (`uses: owner/name@vN`)
// is set from package.json (scripts/project-settings.mjs). `--check` exits 1 when README.md or a guide is out
// of date.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { projectSettings, withActionRef } from './project-settings.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const { INPUTS, registry } = await import(join(root, 'lib/providers/registry.js'));
const { actionRef } = projectSettings(root);
const check = process.argv.includes('--check');

// The guides first: README.md includes them.
const staleGuides = [];
for (const name of readdirSync(join(root, 'docs')).filter((f) => f.endsWith('.md'))) {
  const path = join(root, 'docs', name);
  const text = readFileSync(path, 'utf8');
  const fixed = withActionRef(text, actionRef);
  if (fixed === text) continue;
  staleGuides.push(`docs/${name}`);
  if (!check) writeFileSync(path, fixed);
}

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
const included = withGuides.replace(
  /(<!-- include: (\S+) -->\n)[\s\S]*?(<!-- include end -->)/g,
  (_all, open, file, close) => `${open}${withActionRef(readFileSync(join(root, file), 'utf8'), actionRef).trimEnd()}\n${close}`,
);
const next = withActionRef(included, actionRef);
if (check) {
  if (next !== readme || staleGuides.length > 0) {
    const files = [...(next !== readme ? ['README.md'] : []), ...staleGuides];
    console.error(`out of date: ${files.join(', ')} (inputs table, included guides or the Action's name ${actionRef}): run node scripts/gen-docs.mjs`);
    process.exit(1);
  }
} else {
  writeFileSync(readmePath, next);
}

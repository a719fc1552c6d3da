// Writes the generated parts of README.md and docs/: the README's list of platforms (between the
// platform-guides markers: one link per registered platform, its label and its guide, in registry order, from
// lib/providers/registry.js, built by `npm run build:lib`), and, in README.md, docs/*.md and the Marketplace page
// (azure-task/overview.md), every reference to the Action (`uses: owner/name@vN`) from package.json (scripts/project-settings.mjs). The README is a front
// page: the guides and the input and output tables live in docs/ (docs/inputs.md is written by gen-action).
// `--check` exits 1 when README.md or a guide is out of date.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { projectSettings, withActionRef } from './project-settings.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const { registry } = await import(join(root, 'lib/providers/registry.js'));
const { actionRef } = projectSettings(root);
const check = process.argv.includes('--check');

const stale = [];
/** Writes `text` to `file` (a path from the root) unless it is already there; notes the file as stale. */
function put(file, current, text) {
  if (text === current) return;
  stale.push(file);
  if (!check) writeFileSync(join(root, file), text);
}

// The guides, and the Marketplace page (it leads with the README's examples, the GitHub one among them).
const pages = [...readdirSync(join(root, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`), 'azure-task/overview.md'];
for (const file of pages) {
  const text = readFileSync(join(root, file), 'utf8');
  put(file, text, withActionRef(text, actionRef));
}

/** The README's platform list: one line per registered platform with a guide, in registry order. */
function platformList(modules = registry.modules) {
  return modules.filter((m) => m.guide).map((m) => `- [${m.label}](${m.guide})`).join('\n');
}

const readme = readFileSync(join(root, 'README.md'), 'utf8');
const listStart = /<!-- platform-guides:start[^>]*-->/;
const listEnd = '<!-- platform-guides:end -->';
const opening = listStart.exec(readme);
if (!opening || !readme.includes(listEnd)) {
  console.error('README.md has no <!-- platform-guides:start … --> / <!-- platform-guides:end --> markers');
  process.exit(1);
}
const withList =
  readme.slice(0, opening.index + opening[0].length) + `\n${platformList()}\n` + readme.slice(readme.indexOf(listEnd));
put('README.md', readme, withActionRef(withList, actionRef));

if (check && stale.length > 0) {
  console.error(`out of date: ${stale.join(', ')} (the platform list or the Action's name ${actionRef}): run node scripts/gen-docs.mjs`);
  process.exit(1);
}

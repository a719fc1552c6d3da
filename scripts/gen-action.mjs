// Generates action.yml and the input/output tables of the docs from the one input table (the registry's:
// src/core/inputs/table.ts and each platform's targets.ts), as compiled to lib/ by the tsc step
// (`npm run build:lib`), so the metadata can never drift from the code.
//
//   node scripts/gen-action.mjs           write action.yml, docs/inputs.md (the one place of the inputs and
//                                          outputs tables), and any marked table block (<!-- inputs-table:start
//                                          --> … :end -->) of docs/github.md and README.md
//   node scripts/gen-action.mjs --check   write nothing; exit 1 listing the files that are out of date
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const compiled = join(root, 'lib', 'adapters', 'github', 'action-metadata.js');
if (!existsSync(compiled)) {
  process.stderr.write(`gen-action: ${compiled} is missing; run \`npm run build:lib\` first\n`);
  process.exit(2);
}
const { renderActionYml, renderInputsDoc, fillTableBlocks } = await import(pathToFileURL(compiled).href);

const check = process.argv.includes('--check');

/** Each generated file: path and its wanted text (undefined: leave the file alone). */
const files = [
  { path: 'action.yml', text: renderActionYml() },
  { path: 'docs/inputs.md', text: renderInputsDoc() },
  ...['docs/github.md', 'README.md'].map((path) => {
    const full = join(root, path);
    return { path, text: existsSync(full) ? fillTableBlocks(readFileSync(full, 'utf8')) : undefined };
  }),
];

const stale = [];
for (const { path, text } of files) {
  if (text === undefined) continue;
  const full = join(root, path);
  const current = existsSync(full) ? readFileSync(full, 'utf8') : undefined;
  if (current === text) continue;
  stale.push(path);
  if (!check) writeFileSync(full, text);
}

if (check) {
  if (stale.length > 0) {
    process.stderr.write(`gen-action: out of date: ${stale.join(', ')}. Run \`npm run build:lib && node scripts/gen-action.mjs\`.\n`);
    process.exit(1);
  }
  process.stdout.write('gen-action: action.yml and the docs tables are up to date\n');
} else {
  process.stdout.write(stale.length > 0 ? `gen-action: wrote ${stale.join(', ')}\n` : 'gen-action: nothing to change\n');
}

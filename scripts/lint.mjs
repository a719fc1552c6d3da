// Architecture rules the type checker cannot see (docs/architecture in the README):
// - src/core imports nothing platform-specific: no adapter, no provider (the Provider seam lives in core);
// - @actions/* only in src/adapters/github, azure-pipelines-task-lib only in src/adapters/azure;
// - the simulator depends on nothing but itself;
// - a platform's description (platform.ts, targets.ts) loads no HTTP code: its provider is imported lazily,
//   so a bad input is reported before the provider and its HTTP client are loaded.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const files = [];
(function walk(dir) {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) walk(path);
    else if (path.endsWith('.ts')) files.push(relative(root, path));
  }
})(join(root, 'src'));

const problems = [];
const importRe = /(?:import|export)\s+(?:type\s+)?[^'"]*?from\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g;
for (const file of files) {
  const text = readFileSync(join(root, file), 'utf8');
  for (const m of text.matchAll(importRe)) {
    const spec = m[1] ?? m[2];
    const where = `${file}: imports '${spec}'`;
    if (file.startsWith('src/core/')) {
      if (spec.includes('/adapters/')) problems.push(`${where} (core must not import a front end)`);
      if (spec.includes('/providers/')) problems.push(`${where} (core must not import a platform)`);
    }
    if (spec.startsWith('@actions/') && !file.startsWith('src/adapters/github/')) problems.push(`${where} (only the GitHub adapter)`);
    if (spec.startsWith('azure-pipelines-task-lib') && !file.startsWith('src/adapters/azure/')) problems.push(`${where} (only the Azure adapter)`);
    if (file.startsWith('src/simulator/') && spec.startsWith('.') && !spec.startsWith('./')) problems.push(`${where} (the simulator depends on nothing else)`);
    const lazy = m[2] !== undefined;
    if (/^src\/providers\/[^/]+\/(platform|targets)\.ts$/.test(file) && !lazy && /\/http\/|^\.\/(api|provider)\.js$|^undici/.test(spec)) {
      problems.push(`${where} (a platform's description loads its provider and HTTP code lazily)`);
    }
  }
}
if (problems.length) {
  for (const p of problems) console.error(p);
  process.exit(1);
}
console.log(`lint: ${files.length} source files follow the architecture rules`);

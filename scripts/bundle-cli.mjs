// Bundles the command-line program for the npm package: one ESM file, dist-cli/index.js, with every
// dependency inside (undici and our own modules; no GitHub or Azure library is reachable from the CLI), so the
// published package has no runtime dependencies at all. `npm pack` and `npm publish` run it (prepack).
//
// ncc compiles the TypeScript sources directly (transpile only: `npm run lint` type-checks them), so packing
// never rewrites lib/ under a test or a program that is running from it.
//
//   node scripts/bundle-cli.mjs            write dist-cli/ (index.js, package.json, licenses.txt)
//   node scripts/bundle-cli.mjs --if-stale do nothing when dist-cli/index.js is newer than every file it is
//                                          built from (src/, the lock file, this script): what prepack runs
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, 'dist-cli');
const ncc = join(root, 'node_modules', '.bin', process.platform === 'win32' ? 'ncc.cmd' : 'ncc');
if (!existsSync(ncc)) {
  console.error('bundle-cli: the build tools are missing; run npm ci first');
  process.exit(1);
}

function newestMtime(path) {
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  let newest = stat.mtimeMs;
  for (const name of readdirSync(path)) newest = Math.max(newest, newestMtime(join(path, name)));
  return newest;
}

if (process.argv.includes('--if-stale') && existsSync(join(out, 'index.js')) && existsSync(join(out, 'package.json'))) {
  const built = statSync(join(out, 'index.js')).mtimeMs;
  const sources = Math.max(...['src', 'package.json', 'package-lock.json', 'tsconfig.json', 'scripts/bundle-cli.mjs'].map((p) => newestMtime(join(root, p))));
  if (built > sources) {
    console.log('bundle-cli: dist-cli/index.js is up to date');
    process.exit(0);
  }
}

rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
const statsDir = mkdtempSync(join(tmpdir(), 'bundle-cli-'));
const stats = join(statsDir, 'stats.json');
// --no-cache: a cache shared with other builds on the machine could hand back another tree's modules.
execFileSync(
  ncc,
  ['build', 'src/adapters/cli/index.ts', '-o', 'dist-cli', '--transpile-only', '--no-cache', '--license', 'licenses.txt', '--quiet', '--target', 'es2022', '--stats-out', stats],
  { cwd: root, stdio: 'inherit' },
);
// The packages inside the bundle, from the bundler's own module list: never a CI front end's library.
const modules = JSON.parse(readFileSync(stats, 'utf8')).modules ?? [];
rmSync(statsDir, { recursive: true, force: true });
const packages = new Set();
for (const module of modules) {
  const match = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(String(module.name ?? ''));
  if (match) packages.add(match[1]);
}
const forbidden = [...packages].filter((name) => name.startsWith('@actions/') || name === 'azure-pipelines-task-lib');
if (forbidden.length > 0) {
  console.error(`bundle-cli: the CLI bundle contains ${forbidden.join(', ')}; the CLI must not depend on a CI front end's library`);
  process.exit(1);
}
// ncc may name an ESM bundle index.mjs; the bin is index.js, marked ESM by the package.json beside it.
for (const file of readdirSync(out)) {
  if (file.endsWith('.mjs')) renameSync(join(out, file), join(out, file.replace(/\.mjs$/, '.js')));
}
writeFileSync(join(out, 'package.json'), '{ "type": "module" }\n');

const bin = join(out, 'index.js');
const text = readFileSync(bin, 'utf8');
if (!text.startsWith('#!/usr/bin/env node\n')) {
  console.error('bundle-cli: dist-cli/index.js lost its #!/usr/bin/env node line; npx could not run it');
  process.exit(1);
}
chmodSync(bin, 0o755);
console.log(`bundle-cli: wrote dist-cli/index.js (${Math.round(text.length / 1024)} KiB; packages inside: ${[...packages].sort().join(', ') || 'none'})`);

// Bundles the Azure DevOps task from the compiled lib/ (lib/adapters/azure/main.js) into
// azure-task/OrchestrationRunV1/dist with ncc: the same step as scripts/build.mjs does for this bundle, without
// recompiling or deleting lib/ (tests use it while other test files read lib/ in parallel).
//
//   node scripts/bundle-azure.mjs [--if-stale]
//
// --if-stale: do nothing when the bundle is newer than every file in lib/.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const entry = join('lib', 'adapters', 'azure', 'main.js');
const out = join('azure-task', 'OrchestrationRunV1', 'dist');
const outDir = join(root, out);
const bundle = join(outDir, 'index.js');

if (!existsSync(join(root, entry))) {
  console.error(`bundle-azure: ${entry} is missing; run npm run build:lib first`);
  process.exit(1);
}

function newestMtime(dir) {
  let newest = 0;
  for (const name of readdirSync(dir)) {
    // The compiler's incremental state is not code: it changes on every build.
    if (name === '.tsbuildinfo') continue;
    const path = join(dir, name);
    const stat = statSync(path);
    newest = Math.max(newest, stat.isDirectory() ? newestMtime(path) : stat.mtimeMs);
  }
  return newest;
}

if (process.argv.includes('--if-stale') && existsSync(bundle) && statSync(bundle).mtimeMs > newestMtime(join(root, 'lib'))) {
  console.log(`bundle-azure: ${out}/index.js is up to date`);
  process.exit(0);
}

// Built next to the target and swapped in, so a reader never sees a half-written bundle.
const staging = join(root, 'azure-task', 'OrchestrationRunV1', `.dist-${process.pid}`);
rmSync(staging, { recursive: true, force: true });
mkdirSync(staging, { recursive: true });
execFileSync(join(root, 'node_modules', '.bin', 'ncc'), ['build', entry, '-o', staging, '--license', 'licenses.txt', '--quiet', '--target', 'es2022'], {
  cwd: root,
  stdio: 'inherit',
});
for (const file of readdirSync(staging)) {
  if (file.endsWith('.mjs')) renameSync(join(staging, file), join(staging, file.replace(/\.mjs$/, '.js')));
}
writeFileSync(join(staging, 'package.json'), '{ "type": "module" }\n');
rmSync(outDir, { recursive: true, force: true });
renameSync(staging, outDir);
console.log(`bundle-azure: wrote ${out}/index.js`);

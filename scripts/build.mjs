// Builds the project: TypeScript → lib/ (used by the CLI, the demo and the simulator), then the single-file
// bundles with ncc: the GitHub Action (dist/, committed) and the Azure DevOps task (azure-task/…, packaged).
// `node scripts/build.mjs lib` stops after the TypeScript step.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const bin = (name) => join(root, 'node_modules', '.bin', name);
const run = (cmd, args) => execFileSync(cmd, args, { cwd: root, stdio: 'inherit' });

// lib/ is overwritten in place (not deleted first), so a run in progress never loses its files.
// lib/ is ESM like the sources (written first, so a failed compile never leaves lib/ unmarked).
mkdirSync(join(root, 'lib'), { recursive: true });
writeFileSync(join(root, 'lib', 'package.json'), '{ "type": "module" }\n');
run(bin('tsc'), ['-p', 'tsconfig.build.json']);
if (process.argv[2] === 'lib') process.exit(0);

/** Each bundle: entry (compiled), output folder. */
const bundles = [
  { entry: 'lib/adapters/github/main.js', out: 'dist/main' },
  { entry: 'lib/adapters/github/post.js', out: 'dist/post' },
  { entry: 'lib/adapters/azure/main.js', out: 'azure-task/OrchestrationRunV1/dist' },
].filter((b) => existsSync(join(root, b.entry)));

for (const { entry, out } of bundles) {
  const outDir = join(root, out);
  rmSync(outDir, { recursive: true, force: true });
  mkdirSync(outDir, { recursive: true });
  run(bin('ncc'), ['build', entry, '-o', out, '--license', 'licenses.txt', '--quiet', '--target', 'es2022']);
  // ncc names an ESM bundle index.mjs; the runner and the agent start index.js, and a package.json marks it ESM.
  for (const file of readdirSync(outDir)) {
    if (file.endsWith('.mjs')) renameSync(join(outDir, file), join(outDir, file.replace(/\.mjs$/, '.js')));
  }
  writeFileSync(join(outDir, 'package.json'), '{ "type": "module" }\n');
}

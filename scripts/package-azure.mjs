// Packages the Azure DevOps extension (.vsix): builds the task bundle, regenerates task.json from the input
// table, puts the task icon beside it, runs `tfx extension create` (offline) and checks the result.
//
//   node scripts/package-azure.mjs [--out <dir or file.vsix>] [--publisher <id>] [--skip-build] [--check-task-json]
//
// --skip-build packages the bundle already in azure-task/OrchestrationRunV1/dist (scripts/bundle-azure.mjs
// makes one from lib/); --check-task-json fails when task.json is stale instead of rewriting it (tests).
//
// --publisher replaces the manifest's publisher for this package only. The publisher (and the version) of
// azure-task/vss-extension.json come from package.json (config.marketplacePublisher, version): gen-task,
// run below, writes them; set your own publisher there before publishing to the Marketplace.
// The .vsix path is printed on the last line of the output.
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const taskDir = join(root, 'azure-task', 'OrchestrationRunV1');

function option(name) {
  const i = process.argv.indexOf(`--${name}`);
  if (i < 0) return undefined;
  const value = process.argv[i + 1];
  if (value === undefined || value.startsWith('--')) {
    console.error(`package-azure: --${name} needs a value`);
    process.exit(2);
  }
  return value;
}

const out = resolve(option('out') ?? join(root, 'artifacts'));
const publisher = option('publisher');
const run = (cmd, args) => execFileSync(cmd, args, { cwd: root, stdio: 'inherit' });

if (!process.argv.includes('--skip-build')) run(process.execPath, [join(root, 'scripts', 'build.mjs')]);
run(process.execPath, [join(root, 'scripts', 'gen-task.mjs'), ...(process.argv.includes('--check-task-json') ? ['--check'] : [])]);

const bundle = join(taskDir, 'dist', 'index.js');
if (!existsSync(bundle)) {
  console.error(`package-azure: ${bundle} is missing; the build did not produce the task bundle`);
  process.exit(1);
}
// The task picker shows the task folder's icon.png; the extension uses images/icon.png.
copyFileSync(join(root, 'azure-task', 'images', 'icon.png'), join(taskDir, 'icon.png'));

const outputIsFile = out.endsWith('.vsix');
mkdirSync(outputIsFile ? dirname(out) : out, { recursive: true });
const before = outputIsFile ? new Set() : new Set(listVsix(out));

const tfx = join(root, 'node_modules', '.bin', process.platform === 'win32' ? 'tfx.cmd' : 'tfx');
const args = ['extension', 'create', '--manifest-globs', 'vss-extension.json', '--root', join(root, 'azure-task'), '--output-path', out, '--no-prompt', '--no-color'];
if (publisher) args.push('--publisher', publisher);
run(tfx, args);

const vsix = outputIsFile ? out : newestVsix(out, before);
run(process.execPath, [join(root, 'scripts', 'check-vsix.mjs'), vsix]);
console.log(vsix);

function listVsix(dir) {
  return existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.vsix')).map((f) => join(dir, f)) : [];
}

/** tfx names the file publisher.id-version.vsix; the newest one is the one it just wrote. */
function newestVsix(dir, known) {
  const all = listVsix(dir).sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs);
  const created = all.find((f) => !known.has(f)) ?? all[0];
  if (!created) {
    console.error(`package-azure: tfx wrote no .vsix into ${dir}`);
    process.exit(1);
  }
  return created;
}

// Builds the project: TypeScript → lib/ (used by the CLI, the demo and the simulator), then the bundles with
// ncc: the GitHub Action (dist/, committed) and the Azure DevOps task (azure-task/…, packaged).
// `node scripts/build.mjs lib` stops after the TypeScript step.
//
// A GitHub Action bundle is an entry file (index.js) and the chunks it loads on first use beside it
// (`<id>.index.js`: the engine with its HTTP client; octokit for the pull-request comment), so an input error
// is reported without reading them. ncc writes the licenses of one chunk only when there are several, so
// licenses.txt is written here, from the build's module list: every bundled package, once.
import { execFileSync } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, isAbsolute, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const bin = (name) => join(root, 'node_modules', '.bin', name);
const run = (cmd, args) => execFileSync(cmd, args, { cwd: root, stdio: 'inherit' });

// lib/ is overwritten in place (not deleted first), so a run in progress never loses its files.
// lib/ is ESM like the sources (written first, so a failed compile never leaves lib/ unmarked).
mkdirSync(join(root, 'lib'), { recursive: true });
const libManifest = join(root, 'lib', 'package.json');
if (!existsSync(libManifest) || readFileSync(libManifest, 'utf8') !== '{ "type": "module" }\n') writeFileSync(libManifest, '{ "type": "module" }\n');
// Incremental: a warm build re-emits only what changed, so lib/ files keep their times and the Azure bundle's
// --if-stale check (npm test) can skip an unchanged bundle.
run(bin('tsc'), ['-p', 'tsconfig.build.json', '--incremental', '--tsBuildInfoFile', join(root, 'lib', '.tsbuildinfo')]);
if (process.argv[2] === 'lib') process.exit(0);

/** Each bundle: entry (compiled), output folder, and whether licenses.txt is written from the module list. */
const bundles = [
  { entry: 'lib/adapters/github/main.js', out: 'dist/main', allLicenses: true },
  { entry: 'lib/adapters/github/post.js', out: 'dist/post', allLicenses: true },
  { entry: 'lib/adapters/azure/main.js', out: 'azure-task/OrchestrationRunV1/dist', allLicenses: false },
].filter((b) => existsSync(join(root, b.entry)));

if (lstatSync(join(root, 'node_modules')).isSymbolicLink()) {
  process.stderr.write(
    'build: node_modules is a link: the bundles will name their modules by paths outside the project. ' +
      'For dist/ as committed, run `node scripts/check-dist.mjs --write` (it builds with a real node_modules).\n',
  );
}

const statsDir = mkdtempSync(join(tmpdir(), 'orchestration-run-build-'));
try {
  for (const { entry, out, allLicenses } of bundles) {
    const outDir = join(root, out);
    const stats = join(statsDir, `${out.replace(/[\\/]/g, '_')}.json`);
    rmSync(outDir, { recursive: true, force: true });
    mkdirSync(outDir, { recursive: true });
    run(bin('ncc'), ['build', entry, '-o', out, '--license', 'licenses.txt', '--quiet', '--target', 'es2022', ...(allLicenses ? ['--stats-out', stats] : [])]);
    // ncc names an ESM entry index.mjs when no package.json marks it ESM; the runner and the agent start
    // index.js, and a package.json beside it marks it ESM. A chunk is loaded by the name the entry file holds:
    // renaming one would break it, so a chunk named .mjs is an error.
    for (const file of readdirSync(outDir)) {
      if (file === 'index.mjs') renameSync(join(outDir, file), join(outDir, 'index.js'));
      else if (file.endsWith('.mjs')) throw new Error(`build: ${out}/${file}: a chunk named .mjs would not be found once renamed`);
    }
    writeFileSync(join(outDir, 'package.json'), '{ "type": "module" }\n');
    if (allLicenses) writeFileSync(join(outDir, 'licenses.txt'), licensesText(JSON.parse(readFileSync(stats, 'utf8'))));
  }
} finally {
  rmSync(statsDir, { recursive: true, force: true });
}

/** The folder of the package holding `file` (the part up to the package name after the last node_modules). */
function packageDir(file) {
  const parts = file.split(sep);
  const at = parts.lastIndexOf('node_modules');
  if (at < 0) return undefined;
  const depth = parts[at + 1]?.startsWith('@') ? 3 : 2;
  return parts.slice(0, at + depth).join(sep);
}

/** Every package with a module in the bundle: name, license type and the text of its license file. */
function licensesText(stats) {
  const files = new Set();
  const walk = (modules) => {
    for (const m of modules ?? []) {
      const name = m.nameForCondition ?? m.name;
      if (typeof name === 'string' && name.includes('node_modules')) files.add(isAbsolute(name) ? name : resolve(root, name));
      walk(m.modules);
    }
  };
  walk(stats.modules);
  const byName = new Map();
  for (const dir of new Set([...files].map(packageDir).filter(Boolean))) {
    const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
    const licenseFile = readdirSync(dir).filter((f) => /^licen[cs]e/i.test(f)).sort()[0];
    const text = licenseFile ? readFileSync(join(dir, licenseFile), 'utf8').trim() : '(the package ships no license file)';
    const type = typeof pkg.license === 'string' ? pkg.license : (pkg.license?.type ?? 'UNKNOWN');
    const entries = byName.get(pkg.name) ?? [];
    if (!entries.some((e) => e.type === type && e.text === text)) entries.push({ type, text });
    byName.set(pkg.name, entries);
  }
  return [...byName.keys()]
    .sort()
    .flatMap((name) => byName.get(name).map((e) => `${name}\n${e.type}\n${e.text}\n`))
    .join('\n');
}

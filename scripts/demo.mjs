// `npm run demo`: starts the bundled simulator with its demo world and runs the real CLI against it over
// HTTP: a TimeXtender task that succeeds (its log printed live), then a process map in which one task fails, with its log lines.
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const { startSimulator } = await import(join(root, 'lib/simulator/index.js'));
const { seedDemoWorld } = await import(join(root, 'lib/simulator/demo-world.js'));

const sim = await startSimulator({ timeScale: 20 });
const world = seedDemoWorld(sim);
const cli = join(root, 'lib/adapters/cli/index.js');

function say(text) {
  process.stdout.write(`\n\x1b[1m${text}\x1b[0m\n`);
}

/** An argument as a shell would need it: names with spaces or quotes are quoted, so the echo can be pasted. */
const shellQuote = (arg) => (/^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replaceAll("'", "'\\''")}'`);

function runCli(args, key = world.tdpKey) {
  say(`$ orchestration-run ${args.map(shellQuote).join(' ')}`);
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [cli, ...args], {
      stdio: 'inherit',
      env: { ...process.env, ORCHESTRATION_RUN_API_KEY: key },
    });
    child.on('exit', (code) => {
      say(`→ exit code ${code}`);
      resolve(code);
    });
  });
}

const common = ['--platform', 'timextender', '--base-url', sim.url, '--workspace', world.workspace, '--poll-interval', '2s'];
say(`Simulator running at ${sim.url} (the API key is passed in ORCHESTRATION_RUN_API_KEY).`);
say('1. A task that succeeds, with its log lines printed while it runs (--logs live):');
await runCli([...common, '--task', 'Package/1005', '--logs', 'live']);
say('2. A whole process map in which one task fails (its log lines are shown, then the summary):');
await runCli([...common, '--process-map', 'Daily Finance Load', '--log-lines', '20']);
say('3. A Qarion (Airflow-backed) pipeline whose run fails in one task:');
await runCli(['--platform', 'qarion', '--base-url', sim.url, '--space', world.qarionSpace, '--pipeline', world.qarionPipeline, '--poll-interval', '2s'], world.qarionKey);
say('4. A Planasonix sync job that succeeds, and a pipeline run that fails in one node:');
await runCli(['--platform', 'planasonix', '--base-url', sim.url, '--connection', world.planasonixConnection, '--pipeline', world.planasonixPipeline, '--poll-interval', '2s', '--fail-fast', 'false'], world.planasonixKey);
await sim.close();

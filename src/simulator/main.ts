/**
 * `npm run simulator`: the loopback simulator with the demo world, until SIGINT/SIGTERM.
 * Env: SIMULATOR_PORT (default 0: ephemeral), SIMULATOR_TIME_SCALE (default 1).
 */
import { seedDemoWorld } from './demo-world.js';
import { startSimulator, TDP_PREFIX } from './index.js';

function numberFromEnv(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < 0) throw new Error(`${name} must be a number >= 0, got '${raw}'`);
  return value;
}

async function main(): Promise<void> {
  const sim = await startSimulator({
    host: '127.0.0.1',
    port: numberFromEnv('SIMULATOR_PORT', 0),
    timeScale: numberFromEnv('SIMULATOR_TIME_SCALE', 1),
  });
  const demo = seedDemoWorld(sim);
  const api = `${sim.url}${TDP_PREFIX}`;
  const keyVar = 'ORCHESTRATION_RUN_API_KEY';
  const platform = (name: string, key: string, args: string) => [
    `${name}`,
    `  --base-url ${sim.url}`,
    `  demo key:  ${key}`,
    `  try:       ${keyVar}=${key} npx orchestration-run --platform ${name.toLowerCase()} --base-url ${sim.url} ${args}`,
    '',
  ];
  const lines = [
    `Simulator listening on ${sim.url} (time scale ${sim.clock.timeScale}). The three platforms share this base URL.`,
    '',
    ...platform('TimeXtender', demo.tdpKey, `--workspace ${demo.workspace} --task Package/1005`),
    `  a process map where one task fails: --workspace ${demo.workspace} --process-map 'Daily Finance Load'`,
    `  a Viewer-only key (triggers get 403): ${demo.viewerKey}`,
    `  the raw API: curl -s ${api}/workspaces -H "X-API-Key: ${demo.tdpKey}"`,
    '',
    ...platform('Qarion', demo.qarionKey, `--space ${demo.qarionSpace} --pipeline ${demo.qarionPipeline}`),
    ...platform('Planasonix', demo.planasonixKey, `--connection ${demo.planasonixConnection} --pipeline ${demo.planasonixPipeline} --fail-fast false`),
    `Keys go in ${keyVar} (or the api-key input), never on the command line. From a clone, use node lib/adapters/cli/index.js in place of npx orchestration-run.`,
    'Press Ctrl+C to stop.',
  ];
  process.stdout.write(`${lines.join('\n')}\n`);

  const stop = (signal: string) => {
    process.stdout.write(`\n${signal}: stopping the simulator\n`);
    sim.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGINT', () => stop('SIGINT'));
  process.once('SIGTERM', () => stop('SIGTERM'));
}

main().catch((error: unknown) => {
  process.stderr.write(`simulator failed to start: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});

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
  const lines = [
    `Simulator listening on ${sim.url} (time scale ${sim.clock.timeScale})`,
    `TimeXtender base URL: ${sim.url}   (API under ${TDP_PREFIX})`,
    `Demo key (Contributor on '${demo.workspace}'): ${demo.tdpKey}`,
    `Viewer-only key: ${demo.viewerKey}`,
    '',
    'Try:',
    `  curl -s ${api}/workspaces -H "X-API-Key: ${demo.tdpKey}"`,
    `  curl -s -i -X POST ${api}/${demo.workspace}/tasks/Package/1005/trigger -H "X-API-Key: ${demo.tdpKey}" -H "Content-Type: application/json" -d '{"uat": "Production"}'`,
    `  curl -s "${api}/${demo.workspace}/tasks/Package/1005/executions?limit=10" -H "X-API-Key: ${demo.tdpKey}"`,
    '',
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

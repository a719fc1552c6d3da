// Writes azure-task/OrchestrationRunV1/task.json from the input table (the registry's, through
// lib/adapters/azure/task-metadata.js) and the project's version, so the task's inputs and version never
// drift from the code; sets the extension manifest's (azure-task/vss-extension.json) `version` and
// `publisher` from package.json (`version`, `config.marketplacePublisher`: scripts/project-settings.mjs) and
// writes its service endpoint types from each registered platform's src/providers/<platform>/endpoint.json
// (the rest of the manifest is edited by hand); and fills the input and output tables of docs/azure.md
// (between their <!-- azure-…-table:start/end --> markers).
// Needs the compiled lib/: `npm run build:lib && node scripts/gen-task.mjs`. With --check, writes nothing and
// exits 1 when a committed file differs.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { projectSettings, withManifestSettings } from './project-settings.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const metadataModule = join(root, 'lib', 'adapters', 'azure', 'task-metadata.js');
if (!existsSync(metadataModule)) {
  console.error(`gen-task: ${metadataModule} is missing; run npm run build:lib first`);
  process.exit(1);
}
const { renderTaskJson, fillAzureTableBlocks, TASK_FOLDER, withPlatformEndpoints, endpointFile } = await import(pathToFileURL(metadataModule).href);
const { PLATFORMS } = await import(pathToFileURL(join(root, 'lib', 'providers', 'registry.js')).href);
const settings = projectSettings(root);
const manifestPath = join(root, 'azure-task', 'vss-extension.json');
const manifest = JSON.parse(withManifestSettings(readFileSync(manifestPath, 'utf8'), settings));
const endpoints = PLATFORMS.map((platform) => JSON.parse(readFileSync(join(root, endpointFile(platform)), 'utf8')));
const docs = join(root, 'docs', 'azure.md');
const outputs = [
  [join(root, 'azure-task', TASK_FOLDER, 'task.json'), () => renderTaskJson(settings.version)],
  [manifestPath, () => `${JSON.stringify(withPlatformEndpoints(manifest, endpoints), null, 2)}\n`],
];
if (existsSync(docs)) outputs.push([docs, () => fillAzureTableBlocks(readFileSync(docs, 'utf8'))]);

const check = process.argv.includes('--check');
let stale = 0;
for (const [target, render] of outputs) {
  const text = render();
  const current = existsSync(target) ? readFileSync(target, 'utf8') : '';
  if (current === text) continue;
  if (check) {
    console.error(`gen-task: ${target} is out of date; run npm run build:lib && node scripts/gen-task.mjs`);
    stale++;
  } else {
    writeFileSync(target, text);
    console.log(`gen-task: wrote ${target}`);
  }
}
if (check && stale > 0) process.exit(1);
console.log(
  `gen-task: task.json and vss-extension.json (version ${settings.version}, publisher ${settings.marketplacePublisher}, the endpoint types of each platform) and the docs/azure.md tables are up to date`,
);

// Checks a packaged Azure DevOps extension: node scripts/check-vsix.mjs <file.vsix> [--json]
//
// A .vsix is a zip. It is read here with node alone (central directory + inflate), so the check runs where no
// `unzip` is installed. It must hold the manifests, the task's task.json, its bundle (every execution
// handler's target), the icons, the Marketplace overview and no node_modules; the extension's version must
// equal the task's version, and the service endpoint type of each platform the task offers a connection for
// (the registry's platforms, through task.json) must be contributed.
// Prints the listing (or, with --json, a JSON report) and exits 1 on the first list of problems.
import { readFileSync } from 'node:fs';
import { inflateRawSync } from 'node:zlib';

const file = process.argv[2];
if (!file || file.startsWith('--')) {
  console.error('usage: node scripts/check-vsix.mjs <file.vsix> [--json]');
  process.exit(2);
}
const asJson = process.argv.includes('--json');

/** Entries of a zip file: name, sizes, and a way to read the content. */
export function readZip(buffer) {
  const EOCD = 0x06054b50;
  let eocd = -1;
  for (let i = buffer.length - 22; i >= Math.max(0, buffer.length - 22 - 0xffff); i--) {
    if (buffer.readUInt32LE(i) === EOCD) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) throw new Error('not a zip file (no end of central directory record)');
  const count = buffer.readUInt16LE(eocd + 10);
  let offset = buffer.readUInt32LE(eocd + 16);
  const entries = [];
  for (let n = 0; n < count; n++) {
    if (buffer.readUInt32LE(offset) !== 0x02014b50) throw new Error(`bad central directory entry ${n}`);
    const method = buffer.readUInt16LE(offset + 10);
    const compressedSize = buffer.readUInt32LE(offset + 20);
    const size = buffer.readUInt32LE(offset + 24);
    const nameLength = buffer.readUInt16LE(offset + 28);
    const extraLength = buffer.readUInt16LE(offset + 30);
    const commentLength = buffer.readUInt16LE(offset + 32);
    const localOffset = buffer.readUInt32LE(offset + 42);
    const name = buffer.toString('utf8', offset + 46, offset + 46 + nameLength);
    entries.push({
      name,
      size,
      compressedSize,
      read() {
        if (buffer.readUInt32LE(localOffset) !== 0x04034b50) throw new Error(`bad local header for ${name}`);
        const start = localOffset + 30 + buffer.readUInt16LE(localOffset + 26) + buffer.readUInt16LE(localOffset + 28);
        const data = buffer.subarray(start, start + compressedSize);
        if (method === 0) return Buffer.from(data);
        if (method === 8) return inflateRawSync(data);
        throw new Error(`${name}: unsupported compression method ${method}`);
      },
    });
    offset += 46 + nameLength + extraLength + commentLength;
  }
  return entries;
}

const problems = [];
const buffer = readFileSync(file);
const entries = readZip(buffer);
const byName = new Map(entries.map((e) => [e.name.replace(/\\/g, '/'), e]));
const has = (name) => byName.has(name);
const text = (name) => byName.get(name).read().toString('utf8');

for (const required of ['extension.vsixmanifest', 'extension.vsomanifest', '[Content_Types].xml', 'OrchestrationRunV1/task.json', 'images/icon.png', 'overview.md']) {
  if (!has(required)) problems.push(`missing ${required}`);
}
if ([...byName.keys()].some((n) => n.includes('node_modules/'))) problems.push('contains node_modules: the task must run from its bundle alone');

let extensionVersion;
if (has('extension.vsixmanifest')) {
  const identity = /<Identity\b[^>]*>/.exec(text('extension.vsixmanifest'))?.[0] ?? '';
  extensionVersion = /\bVersion="([^"]+)"/.exec(identity)?.[1];
  if (!extensionVersion) problems.push('extension.vsixmanifest has no Identity Version');
}

let task;
if (has('OrchestrationRunV1/task.json')) {
  task = JSON.parse(text('OrchestrationRunV1/task.json'));
  const version = task.version ? `${task.version.Major}.${task.version.Minor}.${task.version.Patch}` : undefined;
  if (extensionVersion && version !== extensionVersion) {
    problems.push(`the extension's version ${extensionVersion} differs from the task's version ${version}`);
  }
  for (const [handler, { target }] of Object.entries(task.execution ?? {})) {
    const path = `OrchestrationRunV1/${target}`;
    if (!has(path)) problems.push(`handler ${handler}: its target ${path} is missing`);
    else if (byName.get(path).size < 1000) problems.push(`handler ${handler}: ${path} is suspiciously small`);
  }
  for (const handler of ['Node24', 'Node20_1']) if (!task.execution?.[handler]) problems.push(`task.json has no ${handler} handler`);
  const bundleDir = 'OrchestrationRunV1/dist/';
  if (!has(`${bundleDir}package.json`)) problems.push(`missing ${bundleDir}package.json (marks the ESM bundle as a module)`);
}

if (has('images/icon.png')) {
  const png = byName.get('images/icon.png').read();
  const isPng = png.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
  if (!isPng) problems.push('images/icon.png is not a PNG');
  else if (png.readUInt32BE(16) !== 128 || png.readUInt32BE(20) !== 128) problems.push('images/icon.png is not 128x128');
}

let endpointTypes = [];
if (has('extension.vsomanifest')) {
  const manifest = JSON.parse(text('extension.vsomanifest'));
  const contributions = manifest.contributions ?? [];
  endpointTypes = contributions.filter((c) => c.type === 'ms.vss-endpoint.service-endpoint-type').map((c) => c.properties?.name);
  // Every platform the task offers a service connection for (its `connectedService:<platform>` inputs, generated
  // from the registry) must have its endpoint type in the package.
  const connected = (task?.inputs ?? []).map((i) => /^connectedService:(.+)$/.exec(i.type ?? '')?.[1]).filter(Boolean);
  if (task && connected.length === 0) problems.push('task.json offers no service connection');
  for (const platform of connected) {
    if (!endpointTypes.includes(platform)) problems.push(`no service endpoint type '${platform}'`);
  }
  if (!contributions.some((c) => c.type === 'ms.vss-distributed-task.task' && c.properties?.name === 'OrchestrationRunV1')) {
    problems.push('no task contribution for OrchestrationRunV1');
  }
}

const report = {
  file,
  bytes: buffer.length,
  extensionVersion,
  taskVersion: task?.version,
  endpointTypes,
  entries: entries.map((e) => ({ name: e.name, size: e.size })),
  problems,
};
if (asJson) {
  console.log(JSON.stringify(report, null, 2));
} else {
  for (const e of entries) console.log(`${String(e.size).padStart(10)}  ${e.name}`);
  console.log(`${file}: ${buffer.length} bytes, ${entries.length} entries, extension ${extensionVersion}, task ${task ? `${task.version.Major}.${task.version.Minor}.${task.version.Patch}` : '?'}`);
  for (const p of problems) console.error(`check-vsix: ${p}`);
  if (problems.length === 0) console.log('check-vsix: ok');
}
process.exit(problems.length === 0 ? 0 : 1);

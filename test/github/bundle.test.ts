/**
 * The shape of the committed GitHub Action bundles (dist/main, dist/post): what the runner starts needs no
 * node_modules, is ESM, and carries nothing that belongs to another front end or to the tests. The entry file
 * holds what an input error needs (`@actions/core`, the input checks); the engine with its HTTP client
 * (undici) and, in the main bundle only, octokit for the pull-request comment are chunks beside it, loaded
 * on first use. (Freshness against the sources is scripts/check-dist.mjs's job; it covers every file.)
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const DIST = join(process.cwd(), 'dist');
const ENTRIES = ['main', 'post'];

/** Markers of bundled code: undici's global dispatcher symbol; webpack's comments naming a module's path. */
const UNDICI = /Symbol\.for\('undici\.globalDispatcher\.1'\)/;
const OCTOKIT = /node_modules\/@octokit\/core\//;
const ACTIONS_CORE = /node_modules\/@actions\/core\/lib\/core\.js/;
const ENGINE = /class StepRunner|function runStep\(/;

describe.each(ENTRIES)('dist/%s', (entry) => {
  const dir = join(DIST, entry);
  const files = () => readdirSync(dir);
  const jsFiles = () => files().filter((f) => f.endsWith('.js'));
  const read = (file: string) => readFileSync(join(dir, file), 'utf8');
  const chunks = () => jsFiles().filter((f) => f !== 'index.js');
  const code = () => jsFiles().map(read).join('\n');

  beforeAll(() => {
    if (!existsSync(join(dir, 'index.js'))) throw new Error(`${dir}/index.js is missing: run \`npm run build\` and commit dist/`);
  });

  test('index.js is an ES module (package.json type module beside it), with the licenses of every chunk', () => {
    expect(JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'))).toEqual({ type: 'module' });
    const licenses = readFileSync(join(dir, 'licenses.txt'), 'utf8');
    const packages = licenses.split('\n').filter((line, i, all) => (i === 0 || all[i - 1] === '') && /^(@[a-z0-9-]+\/)?[a-z0-9.-]+$/.test(line));
    // The entry's (@actions/core and what it loads), the engine's (undici), and octokit's in the main bundle.
    expect(packages).toEqual(expect.arrayContaining(['@actions/core', '@actions/http-client', 'tunnel', 'undici']));
    if (entry === 'main') expect(packages).toEqual(expect.arrayContaining(['@actions/github', '@octokit/core']));
    else expect(packages).not.toContain('@octokit/core');
    expect(licenses).not.toContain('node_modules');
    expect(files().filter((f) => f.endsWith('.mjs'))).toEqual([]);
  });

  test('carries no Azure task library, no simulator, and requires nothing from node_modules', () => {
    const text = code();
    expect(text).not.toContain('azure-pipelines-task-lib');
    expect(text).not.toMatch(/startSimulator|seedDemoWorld/);
    expect(text).not.toMatch(/require\(["'](?:undici|@actions\/core|@actions\/github|@octokit\/[a-z-]+)["']\)|from ["'](?:undici|@actions\/core|@actions\/github)["']/);
  });

  // A build from a checkout whose node_modules is a link names the modules by the path it leads to: build the
  // committed bundles with scripts/check-dist.mjs --write, which uses a real node_modules.
  test('names no module by a path outside the project', () => {
    expect(code()).not.toMatch(/(?:MODULE|OBJECT): \.\.\//);
  });

  test('the entry file holds @actions/core and the input checks, not the engine, our undici or octokit', () => {
    const index = read('index.js');
    expect(index).toMatch(ACTIONS_CORE);
    expect(index).toContain("is not a boolean; use true or false");
    expect(index).not.toMatch(ENGINE);
    expect(index).not.toMatch(OCTOKIT);
    // Chunks are loaded from beside the entry file, by relative import.
    expect(index).toMatch(/import\("\.\/" \+ __nccwpck_require__\.u\(chunkId\)\)/);
  });

  test('the engine is in a chunk of its own; octokit in another, only in the main bundle', () => {
    const withEngine = chunks().filter((f) => ENGINE.test(read(f)));
    expect(withEngine).toHaveLength(1);
    expect(chunks().filter((f) => UNDICI.test(read(f))).length).toBeGreaterThan(0);
    const withOctokit = chunks().filter((f) => OCTOKIT.test(read(f)));
    expect(withOctokit).toHaveLength(entry === 'main' ? 1 : 0);
    for (const f of withOctokit) expect(read(f)).not.toMatch(ENGINE);
    for (const f of chunks()) expect(f).toMatch(/^\d+\.index\.js$/);
  });
});

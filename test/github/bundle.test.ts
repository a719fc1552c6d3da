/**
 * The shape of the committed GitHub Action bundles (dist/main, dist/post): what the runner starts needs no
 * node_modules, is ESM, and carries nothing that belongs to another front end or to the tests.
 * (Freshness against the sources is scripts/check-dist.mjs's job.)
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const DIST = join(process.cwd(), 'dist');
const ENTRIES = ['main', 'post'];

describe.each(ENTRIES)('dist/%s', (entry) => {
  const dir = join(DIST, entry);
  const files = () => readdirSync(dir);
  const code = () =>
    files()
      .filter((f) => f.endsWith('.js'))
      .map((f) => readFileSync(join(dir, f), 'utf8'))
      .join('\n');

  beforeAll(() => {
    if (!existsSync(join(dir, 'index.js'))) throw new Error(`${dir}/index.js is missing: run \`npm run build\` and commit dist/`);
  });

  test('index.js is an ES module (package.json type module beside it), with its licenses', () => {
    expect(JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'))).toEqual({ type: 'module' });
    expect(readFileSync(join(dir, 'licenses.txt'), 'utf8')).toContain('undici');
    expect(files().filter((f) => f.endsWith('.mjs'))).toEqual([]);
  });

  test('carries no Azure task library, no simulator, and requires nothing from node_modules', () => {
    const text = code();
    expect(text).not.toContain('azure-pipelines-task-lib');
    expect(text).not.toMatch(/startSimulator|seedDemoWorld/);
    expect(text).not.toMatch(/require\(["'](?:undici|@actions\/core)["']\)|from ["'](?:undici|@actions\/core)["']/);
  });

  // each platform.ts imports its provider with webpackMode "eager": in the bundle, evaluated on use.
  test('is one JavaScript file per entry (no chunk files)', () => {
    expect(files().filter((f) => f.endsWith('.js'))).toEqual(['index.js']);
  });
});

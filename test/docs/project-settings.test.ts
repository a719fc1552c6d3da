/**
 * The publishing settings are one setting each, in package.json (scripts/project-settings.mjs): `version`,
 * `repository.url` (the Action's repository) and `config.marketplacePublisher`. Everything else is derived:
 * the `uses:` lines of README.md and docs/ (gen-docs), the extension manifest and task.json (gen-task), and the
 * CLI's --version (a test keeps the constant equal).
 */
import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { VERSION } from '../../src/adapters/cli/main.js';

const ROOT = process.cwd();

interface Settings {
  version: string;
  actionRepository: string;
  majorTag: string;
  actionRef: string;
  marketplacePublisher: string;
}
interface SettingsModule {
  projectSettings(root: string): Settings;
  withActionRef(text: string, ref: string): string;
  withManifestSettings(text: string, settings: Pick<Settings, 'version' | 'marketplacePublisher'>): string;
}
let mod: SettingsModule;
beforeAll(async () => {
  mod = (await import(join(ROOT, 'scripts', 'project-settings.mjs'))) as SettingsModule;
});

const json = (path: string) => JSON.parse(readFileSync(path, 'utf8')) as Record<string, any>;

test('the settings as package.json gives them', () => {
  const settings = mod.projectSettings(ROOT);
  const pkg = json(join(ROOT, 'package.json'));
  expect(settings.version).toBe(pkg.version);
  expect(settings.marketplacePublisher).toBe(pkg.config.marketplacePublisher);
  expect(pkg.repository.url).toContain(`github.com/${settings.actionRepository}`);
  expect(settings.actionRef).toBe(`${settings.actionRepository}@v${pkg.version.split('.')[0]}`);
});

test('one version everywhere: package.json, the CLI, the extension and its task', () => {
  const { version, marketplacePublisher } = mod.projectSettings(ROOT);
  const manifest = json(join(ROOT, 'azure-task', 'vss-extension.json'));
  const task = json(join(ROOT, 'azure-task', 'OrchestrationRunV1', 'task.json'));
  expect(VERSION).toBe(version);
  expect(manifest.version).toBe(version);
  expect(`${task.version.Major}.${task.version.Minor}.${task.version.Patch}`).toBe(version);
  expect(manifest.publisher).toBe(marketplacePublisher);
});

test('every action named in README.md, docs/ and the Marketplace page is GitHub\'s own or this one, by its setting', () => {
  const { actionRef } = mod.projectSettings(ROOT);
  const files = ['README.md', 'azure-task/overview.md', ...['azure', 'behaviour', 'cli', 'gating', 'github', 'planasonix', 'qarion', 'releases', 'timextender'].map((d) => `docs/${d}.md`)];
  const named = new Set<string>();
  for (const file of files) {
    for (const m of readFileSync(join(ROOT, file), 'utf8').matchAll(/uses:\s*([\w.-]+\/[^\s@'"`]+@[^\s'"`]+)/g)) named.add(m[1]!);
  }
  const others = [...named].filter((n) => !n.startsWith('actions/'));
  expect(others).toEqual([actionRef]);
});

describe('withActionRef', () => {
  test.each([
    ['      - uses: your-org/orchestration-run@v1', '      - uses: contoso/gate@v3'],
    ['        uses: acme/orchestration-run@v1.2.0', '        uses: contoso/gate@v3'],
    ['replace `acme/orchestration-run@v1` with', 'replace `contoso/gate@v3` with'],
    ['      - uses: actions/checkout@v4', '      - uses: actions/checkout@v4'],
    ['      - uses: ./', '      - uses: ./'],
    ['      - uses: ./.github/actions/simulator', '      - uses: ./.github/actions/simulator'],
    ['see `actions/upload-artifact@v4`', 'see `actions/upload-artifact@v4`'],
    ['"repository": "acme/data"', '"repository": "acme/data"'],
  ])('%s', (text, expected) => {
    expect(mod.withActionRef(text, 'contoso/gate@v3')).toBe(expected);
  });
});

describe('projectSettings refuses a malformed setting with one line', () => {
  const at = (pkg: object) => {
    const dir = mkdtempSync(join(tmpdir(), 'settings-'));
    writeFileSync(join(dir, 'package.json'), JSON.stringify(pkg));
    return () => mod.projectSettings(dir);
  };
  const good = { version: '1.2.3', repository: { url: 'git+https://github.com/acme/x.git' }, config: { marketplacePublisher: 'acme' } };
  test('good', () => expect(at(good)()).toMatchObject({ actionRef: 'acme/x@v1', marketplacePublisher: 'acme', version: '1.2.3' }));
  test('no repository', () => expect(at({ ...good, repository: undefined })).toThrow(/repository\.url must be the Action's GitHub repository/));
  test('a publisher with a space', () => expect(at({ ...good, config: { marketplacePublisher: 'my pub' } })).toThrow(/marketplacePublisher/));
  test('a version without a patch', () => expect(at({ ...good, version: '1.2' })).toThrow(/Major\.Minor\.Patch/));
});

test('changing the three settings in package.json changes every derived file, and --check then passes', () => {
  // A copy of what the generators read and write (lib/ and node_modules linked: nothing writes there).
  const dir = mkdtempSync(join(tmpdir(), 'settings-copy-'));
  for (const part of ['scripts', 'docs', 'azure-task', 'src', 'README.md', 'package.json']) cpSync(join(ROOT, part), join(dir, part), { recursive: true });
  symlinkSync(join(ROOT, 'lib'), join(dir, 'lib'));
  symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'));
  const pkg = json(join(dir, 'package.json'));
  pkg.version = '2.3.4';
  pkg.repository.url = 'git+https://github.com/contoso/data-gate.git';
  pkg.config.marketplacePublisher = 'contoso';
  writeFileSync(join(dir, 'package.json'), `${JSON.stringify(pkg, null, 2)}\n`);

  const node = (script: string, ...args: string[]) => execFileSync(process.execPath, [join(dir, 'scripts', script), ...args], { cwd: dir, stdio: 'pipe' });
  expect(() => node('gen-docs.mjs', '--check')).toThrow();
  expect(() => node('gen-task.mjs', '--check')).toThrow();
  node('gen-docs.mjs');
  node('gen-task.mjs');
  node('gen-docs.mjs', '--check');
  node('gen-task.mjs', '--check');

  const readme = readFileSync(join(dir, 'README.md'), 'utf8');
  expect(readme).toContain('uses: contoso/data-gate@v2');
  expect(readme).not.toContain('acme/orchestration-run');
  expect(readFileSync(join(dir, 'docs', 'github.md'), 'utf8')).toContain('`contoso/data-gate@v2`');
  expect(readFileSync(join(dir, 'azure-task', 'overview.md'), 'utf8')).toContain('uses: contoso/data-gate@v2');
  const manifest = json(join(dir, 'azure-task', 'vss-extension.json'));
  expect({ publisher: manifest.publisher, version: manifest.version }).toEqual({ publisher: 'contoso', version: '2.3.4' });
  const task = json(join(dir, 'azure-task', 'OrchestrationRunV1', 'task.json'));
  expect(task.version).toEqual({ Major: 2, Minor: 3, Patch: 4 });
  // The manifest is edited in place: only those two lines moved.
  const before = readFileSync(join(ROOT, 'azure-task', 'vss-extension.json'), 'utf8').split('\n');
  const after = readFileSync(join(dir, 'azure-task', 'vss-extension.json'), 'utf8').split('\n');
  expect(after.filter((line, i) => line !== before[i])).toEqual(['  "publisher": "contoso",', '  "version": "2.3.4",']);
});

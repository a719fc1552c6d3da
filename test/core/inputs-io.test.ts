/**
 * Issue 13, inputs and outputs 1, 2 and 6: output paths prepared (or refused) before the first request, no
 * bare numbers as durations, and a bound on the number of targets. Each rule fails with one line that names
 * the input the way the user wrote it and shows a right value.
 */
import { chmodSync, existsSync, mkdirSync, mkdtempSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InputError, MAX_TARGETS, parseDuration, prepareOutputFile, prepareOutputPaths, type NameStyle } from '../../src/core/inputs/index.js';
import { parseSettings } from '../../src/providers/registry.js';

const KEY = 'txk_SECRETSECRETSECRETSECRETSECRET12';
type Values = Record<string, string | undefined>;
const TDP: Values = { platform: 'timextender', 'api-key': KEY, tenant: 'acme', workspace: 'finance', task: 'Package/1005' };
const QARION: Values = { platform: 'qarion', 'api-key': KEY, space: 'analytics', pipeline: 'daily_finance' };
const PLANASONIX: Values = { platform: 'planasonix', 'api-key': KEY, connection: 'conn_1' };

function inputError(values: Values, style: NameStyle = 'github'): InputError {
  try {
    parseSettings((name) => values[name], { nameStyle: style });
  } catch (error) {
    if (error instanceof InputError) return error;
    throw error;
  }
  throw new Error('expected an InputError, but parsing succeeded');
}

const lines = (n: number, make: (i: number) => string) => Array.from({ length: n }, (_, i) => make(i + 1)).join('\n');

describe('a bare number is not a duration', () => {
  it.each([
    ['timeout', '90', {}, '90m'],
    ['timeout', '1.5', {}, '1.5m'],
    ['poll-interval', '30', {}, '30s'],
    ['max-age', '24', { mode: 'check' }, '24h'],
  ])('%s: %j is refused with one line naming the input and an example with a unit', (input, value, extra, example) => {
    for (const [style, shown] of [['github', `'${input}'`], ['cli', `'--${input}'`]] as const) {
      const error = inputError({ ...TDP, ...extra, [input]: value }, style);
      expect(error.input).toBe(input);
      expect(error.message).not.toMatch(/[\r\n]/);
      expect(error.message).toContain(`Input ${shown}`);
      expect(error.message).toMatch(/no unit|bare number/);
      expect(error.message).toMatch(new RegExp(`Example: ${example.replace('.', '\\.')}$`));
    }
  });

  it('names the Azure input by its Azure name', () => {
    expect(inputError({ ...TDP, 'max-age': '24', mode: 'check' }, 'azure').message).toContain("Input 'maxAge'");
  });

  it.each(['90', '0', '1.5', ' 24 '])('parseDuration(%j) throws: a number needs a unit', (text) => {
    expect(() => parseDuration(text)).toThrow(/unit/);
  });

  it('numbers with a unit are still durations', () => {
    const { settings } = parseSettings((name) => ({ ...TDP, mode: 'check', timeout: '90m', 'poll-interval': '30s', 'max-age': '24h' })[name]);
    expect(settings).toMatchObject({ timeoutMs: 90 * 60_000, pollIntervalMs: 30_000, maxAgeMs: 24 * 3_600_000 });
  });
});

describe(`at most ${MAX_TARGETS} targets per step`, () => {
  it('is 200', () => expect(MAX_TARGETS).toBe(200));

  it(`${MAX_TARGETS} targets are accepted`, () => {
    const { settings } = parseSettings((name) => ({ ...TDP, task: lines(MAX_TARGETS, (i) => `Package/${i}`) })[name]);
    expect(settings.targets).toHaveLength(MAX_TARGETS);
  });

  it.each([
    ['5,000 --task lines', { ...TDP, task: lines(5000, (i) => `Package/${i}`) }, 'task', 5000],
    ['201 --task lines, all the same', { ...TDP, task: lines(201, () => 'Package/1005') }, 'task', 201],
    ['150 tasks and 60 process maps', { ...TDP, task: lines(150, (i) => `Package/${i}`), 'process-map': lines(60, (i) => `map ${i}`) }, 'process-map', 210],
    ['201 Qarion pipelines', { ...QARION, pipeline: lines(201, (i) => `p${i}`) }, 'pipeline', 201],
    ['120 Planasonix connections and 90 pipelines', { ...PLANASONIX, connection: lines(120, (i) => `conn_${i}`), pipeline: lines(90, (i) => `pl_${i}`) }, 'pipeline', 210],
    ['300 Planasonix connections', { ...PLANASONIX, connection: lines(300, (i) => `conn_${i}`) }, 'connection', 300],
  ])('%s: refused, naming the input and the count', (_name, values, input, count) => {
    const error = inputError(values as Values, 'cli');
    expect(error.input).toBe(input);
    expect(error.message).not.toMatch(/[\r\n]/);
    expect(error.message).toContain(`Input '--${input}'`);
    expect(error.message).toContain(`${count} targets`);
    expect(error.message).toContain(`at most ${MAX_TARGETS}`);
    expect(error.message.length).toBeLessThan(400);
  });
});

describe('output paths are prepared before the first request', () => {
  const root = () => mkdtempSync(join(tmpdir(), 'outputs-'));

  it('creates the missing folders of a file and leaves the file itself to be written later', () => {
    const path = join(root(), 'reports', 'nested', 'junit.xml');
    expect(prepareOutputFile(path)).toBeUndefined();
    expect(statSync(join(path, '..')).isDirectory()).toBe(true);
    expect(existsSync(path)).toBe(false);
  });

  it('accepts an existing writable file and an existing folder', () => {
    const dir = root();
    writeFileSync(join(dir, 'old.xml'), 'x');
    expect(prepareOutputFile(join(dir, 'old.xml'))).toBeUndefined();
    expect(prepareOutputFile(join(dir, 'new.xml'))).toBeUndefined();
  });

  it('refuses a path whose folder is a file', () => {
    const dir = root();
    writeFileSync(join(dir, 'reports'), 'a file, not a folder');
    expect(prepareOutputFile(join(dir, 'reports', 'junit.xml'))).toMatch(/not a folder/);
    expect(prepareOutputFile(join(dir, 'reports', 'deeper', 'junit.xml'))).toMatch(/not a folder/);
  });

  it('refuses a path that is a folder', () => {
    const dir = root();
    mkdirSync(join(dir, 'junit.xml'));
    expect(prepareOutputFile(join(dir, 'junit.xml'))).toMatch(/is a folder/);
    expect(prepareOutputFile(`${dir}/`)).toMatch(/folder/);
  });

  const root0 = typeof process.getuid === 'function' && process.getuid() === 0;
  (root0 ? it.skip : it)('refuses a folder that cannot be written (not testable as root)', () => {
    const dir = root();
    mkdirSync(join(dir, 'locked'));
    chmodSync(join(dir, 'locked'), 0o500);
    try {
      expect(prepareOutputFile(join(dir, 'locked', 'junit.xml'))).toMatch(/not writable|permission/);
      expect(prepareOutputFile(join(dir, 'locked', 'sub', 'junit.xml'))).toMatch(/cannot be created|permission/);
    } finally {
      chmodSync(join(dir, 'locked'), 0o700);
    }
  });

  it('prepareOutputPaths: junit-file refused as bad input, one line naming the input, the problem and an example', () => {
    const dir = root();
    writeFileSync(join(dir, 'reports'), 'x');
    const junit = join(dir, 'reports', 'junit.xml');
    for (const [style, shown] of [['github', "'junit-file'"], ['azure', "'junitFile'"], ['cli', "'--junit-file'"]] as const) {
      const { settings } = parseSettings((name) => ({ ...TDP, 'junit-file': junit })[name], { nameStyle: style });
      let error: unknown;
      try {
        prepareOutputPaths(settings, { nameStyle: style });
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(InputError);
      const message = (error as InputError).message;
      expect((error as InputError).input).toBe('junit-file');
      expect(message).toContain(`Input ${shown}`);
      expect(message).toMatch(/not a folder/);
      expect(message).toMatch(/Example: reports\/orchestration\.xml$/);
      expect(message).not.toMatch(/[\r\n]/);
    }
  });

  it('prepareOutputPaths: creates the folder of junit-file; no junit-file, nothing to do', () => {
    const junit = join(root(), 'out', 'junit.xml');
    const { settings } = parseSettings((name) => ({ ...TDP, 'junit-file': junit })[name]);
    prepareOutputPaths(settings);
    expect(statSync(join(junit, '..')).isDirectory()).toBe(true);
    const plain = parseSettings((name) => TDP[name]).settings;
    expect(() => prepareOutputPaths(plain)).not.toThrow();
  });
});

/**
 * action.yml (and the generated docs tables) against the one input table: rendered again in memory and
 * compared with the committed files, field by field first (for a readable failure), then as text.
 * Fix a failure with `npm run build:lib && node scripts/gen-action.mjs`.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  ACTION_INPUTS,
  fillTableBlocks,
  OUTPUT_DESCRIPTIONS,
  renderActionYml,
  renderInputsDoc,
} from '../../src/adapters/github/action-metadata.js';
import { OUTPUT_NAMES } from '../../src/core/host.js';
import { INPUTS } from '../../src/providers/registry.js';
import { GITHUB_ONLY_INPUTS } from '../../src/adapters/github/inputs.js';

const root = process.cwd();
const committed = readFileSync(join(root, 'action.yml'), 'utf8');

interface YamlNode {
  [key: string]: string | YamlNode;
}

/**
 * A reader for the subset of YAML the generator writes: two-space indentation, `key:` opening a mapping,
 * `key: value` with a plain word or a JSON string as value, `#` comments.
 */
function readYaml(text: string): YamlNode {
  const root: YamlNode = {};
  const stack: Array<{ indent: number; node: YamlNode }> = [{ indent: -1, node: root }];
  for (const raw of text.split('\n')) {
    if (raw.trim() === '' || raw.trimStart().startsWith('#')) continue;
    const indent = raw.length - raw.trimStart().length;
    const match = /^([A-Za-z0-9_-]+):(?: (.*))?$/.exec(raw.trim());
    if (!match) throw new Error(`unexpected line in action.yml: ${raw}`);
    while (stack[stack.length - 1]!.indent >= indent) stack.pop();
    const parent = stack[stack.length - 1]!.node;
    const [, key, value] = match;
    if (value === undefined) {
      const child: YamlNode = {};
      parent[key!] = child;
      stack.push({ indent, node: child });
    } else {
      parent[key!] = value.startsWith('"') ? (JSON.parse(value) as string) : value;
    }
  }
  return root;
}

const yaml = readYaml(committed);
const inputs = yaml.inputs as YamlNode;
const outputs = yaml.outputs as YamlNode;

describe('action.yml', () => {
  test('lists every input of the table, in order, then the GitHub-only ones, and nothing else', () => {
    expect(Object.keys(inputs)).toEqual([...INPUTS, ...GITHUB_ONLY_INPUTS].map((d) => d.name));
    expect(GITHUB_ONLY_INPUTS.map((d) => d.name)).toEqual(['pr-comment', 'github-token']);
  });

  test('the pull-request comment is off by default, with the workflow token', () => {
    expect((inputs['pr-comment'] as YamlNode).default).toBe('false');
    expect((inputs['github-token'] as YamlNode).default).toBe('${{ github.token }}');
  });

  test.each(ACTION_INPUTS.map((d) => [d.name, d] as const))('input %s: description, default and required-ness', (name, def) => {
    const node = inputs[name] as YamlNode;
    expect(node.description).toBe(def.description);
    expect(node.default).toBe(def.default);
    expect(node.required).toBe(def.required ? 'true' : 'false');
  });

  test('only platform is required; names are kebab-case', () => {
    expect(Object.entries(inputs).filter(([, n]) => (n as YamlNode).required === 'true').map(([k]) => k)).toEqual(['platform']);
    for (const name of Object.keys(inputs)) expect(name).toMatch(/^[a-z]+(-[a-z]+)*$/);
  });

  test('lists every output with its description', () => {
    expect(Object.keys(outputs)).toEqual([...OUTPUT_NAMES]);
    expect(Object.keys(outputs)).toEqual(['status', 'run-id', 'raw-status', 'started-at', 'finished-at', 'duration-seconds', 'result', 'result-file', 'log-file']);
    for (const name of OUTPUT_NAMES) expect((outputs[name] as YamlNode).description).toBe(OUTPUT_DESCRIPTIONS[name]);
  });

  test('runs on node24 with the committed bundles and a post step that always runs', () => {
    expect(yaml.runs).toEqual({ using: 'node24', main: 'dist/main/index.js', post: 'dist/post/index.js', 'post-if': 'always()' });
  });

  test('has a name, a description and branding', () => {
    expect(yaml.name).toBe('Orchestration Run');
    expect(typeof yaml.description).toBe('string');
    expect((yaml.description as string).length).toBeLessThanOrEqual(125);
    expect(yaml.branding).toEqual({ icon: expect.any(String), color: expect.any(String) });
  });

  test('is exactly what the generator writes', () => {
    expect(committed).toBe(renderActionYml());
  });
});

describe('generated docs', () => {
  test('docs/inputs.md is up to date', () => {
    expect(readFileSync(join(root, 'docs', 'inputs.md'), 'utf8')).toBe(renderInputsDoc());
  });

  test.each(['docs/github.md', 'README.md'])('the table blocks of %s are up to date', (path) => {
    const file = join(root, path);
    if (!existsSync(file)) return;
    const text = readFileSync(file, 'utf8');
    expect(text).toBe(fillTableBlocks(text));
  });

  test('docs/inputs.md holds both tables, every input of the Action (GitHub-only ones too) and every output', () => {
    const text = readFileSync(join(root, 'docs', 'inputs.md'), 'utf8');
    for (const def of ACTION_INPUTS) expect(text).toContain(`| \`${def.name}\``);
    for (const name of OUTPUT_NAMES) expect(text).toContain(`| \`${name}\``);
  });
});

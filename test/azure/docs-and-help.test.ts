/**
 * What the Azure task tells its users: the help text of task.json names the Azure inputs (camelCase), the
 * agent requirement is stated as the agent behaves (Node24 from 4.265.0, only with its knob on), and every
 * pipeline example gives its job a timeout longer than the step's `timeout` (a job's default is 60 minutes
 * on Azure DevOps, 360 on GitHub): otherwise the CI system cancels the job before the step's timeout acts.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseDuration } from '../../src/core/inputs/index.js';
import { INPUTS } from '../../src/providers/registry.js';
import { MINIMUM_AGENT_VERSION, renderAzureInputsTable, taskInputs, withAzureInputNames } from '../../src/adapters/azure/task-metadata.js';

const root = process.cwd();
const read = (path: string) => readFileSync(join(root, path), 'utf8');
/** Input names that differ between the front ends (kebab-case on GitHub and the CLI). */
const KEBAB = INPUTS.filter((d) => d.name !== d.azureName).map((d) => d.name);
const kebabIn = (text: string) => KEBAB.filter((name) => new RegExp(`(?<![\\w/-])${name}(?![\\w-])`).test(text));

describe('task.json help text', () => {
  test('names no GitHub/CLI input: every input is named the Azure way', () => {
    for (const input of taskInputs()) expect({ input: input.name, names: kebabIn(input.helpMarkDown) }).toEqual({ input: input.name, names: [] });
    expect(kebabIn(renderAzureInputsTable())).toEqual([]);
  });

  test('the descriptions that name other inputs name them in camelCase', () => {
    const help = (name: string) => taskInputs().find((i) => i.name === name)!.helpMarkDown;
    expect(help('tenant')).toContain('baseUrl');
    expect(help('runId')).toContain('the runId output');
    expect(help('connection')).toMatch(/backfillStart and backfillEnd/);
    // The GitHub help keeps its own names.
    expect(INPUTS.find((d) => d.name === 'tenant')!.description).toContain('base-url');
  });

  test('renames whole input names only', () => {
    expect(withAzureInputNames('set base-url, not my-base-url or base-url-x or a/base-url')).toBe('set baseUrl, not my-base-url or base-url-x or a/base-url');
    expect(withAzureInputNames('cancel-on-timeout and timeout')).toBe('cancelOnTimeout and timeout');
  });
});

describe('agent requirement', () => {
  test('4.265.0, the first agent with the Node24 handler, which it uses only with UseNode24withHandlerData on', () => {
    expect(MINIMUM_AGENT_VERSION).toBe('4.265.0');
    for (const file of ['docs/azure.md', 'azure-task/overview.md', 'README.md']) {
      const text = read(file);
      expect({ file, wrong: text.includes('4.265.1') }).toEqual({ file, wrong: false });
      expect({ file, knob: text.includes('UseNode24withHandlerData') }).toEqual({ file, knob: true });
      expect({ file, version: text.includes('4.265.0') }).toEqual({ file, version: true });
    }
  });
});

/** The ```yaml blocks of a markdown text. */
function yamlBlocks(markdown: string): string[] {
  return [...markdown.matchAll(/```ya?ml\n([\s\S]*?)```/g)].map((m) => m[1]!);
}

interface TimeoutUse {
  platform: 'azure' | 'github';
  stepMinutes: number;
  /** The job's own timeout, in minutes; undefined: the platform's default. */
  jobMinutes: number | undefined;
  line: string;
}

/**
 * Every `timeout:` input of this step in a pipeline example, with the timeout of the job it runs in. A job
 * starts at `- job:`/`- deployment:` (Azure) or at a key under `jobs:` (GitHub); its timeout is the
 * `timeoutInMinutes:`/`timeout-minutes:` between its start and the step.
 */
function timeoutUses(block: string): TimeoutUse[] {
  const platform = /OrchestrationRun@1/.test(block) ? 'azure' : /uses:\s*\S*orchestration-run@/.test(block) ? 'github' : undefined;
  if (!platform) return [];
  const lines = block.split('\n');
  const uses: TimeoutUse[] = [];
  let jobsIndent: number | undefined;
  let jobMinutes: number | undefined;
  for (const line of lines) {
    const indent = line.length - line.trimStart().length;
    if (/^\s*jobs:\s*$/.test(line)) {
      jobsIndent = indent;
      continue;
    }
    const azureJob = /^\s*- (job|deployment):/.test(line);
    const githubJob = platform === 'github' && jobsIndent !== undefined && indent === jobsIndent + 2 && /^\s*[\w-]+:\s*$/.test(line);
    if (azureJob || githubJob) {
      jobMinutes = undefined;
      continue;
    }
    const job = /^\s*(timeoutInMinutes|timeout-minutes):\s*(\d+)/.exec(line);
    if (job) {
      jobMinutes = Number(job[2]);
      continue;
    }
    const step = /^\s*timeout:\s*['"]?([0-9][0-9a-z ]*)['"]?\s*(#.*)?$/.exec(line);
    if (step) uses.push({ platform, stepMinutes: parseDuration(step[1]!.trim()) / 60_000, jobMinutes, line: line.trim() });
  }
  return uses;
}

const DEFAULT_JOB_MINUTES = { azure: 60, github: 360 } as const;
/** Time for the step to cancel the remote run and write its summary after its own timeout. */
const MARGIN_MINUTES = 5;

describe('job timeouts in the examples', () => {
  const files = [
    'README.md',
    'azure-task/overview.md',
    ...readdirSync(join(root, 'docs'))
      .filter((f) => f.endsWith('.md'))
      .map((f) => `docs/${f}`),
  ].filter((f) => existsSync(join(root, f)));

  test('the checker finds the examples it is meant to check', () => {
    const azure = yamlBlocks(read('docs/azure.md')).flatMap(timeoutUses);
    expect(azure.map((u) => u.stepMinutes)).toEqual(expect.arrayContaining([45, 120, 90]));
    expect(azure.find((u) => u.stepMinutes === 45)!.jobMinutes).toBeUndefined();
    // A bare `steps:` pipeline with a 2h timeout is caught.
    const bad = timeoutUses('steps:\n  - task: OrchestrationRun@1\n    inputs:\n      timeout: 2h\n');
    expect(bad).toEqual([{ platform: 'azure', stepMinutes: 120, jobMinutes: undefined, line: 'timeout: 2h' }]);
  });

  test.each(files)('%s: every job outlives the step timeout by at least 5 minutes', (file) => {
    const short: string[] = [];
    for (const use of yamlBlocks(read(file)).flatMap(timeoutUses)) {
      const job = use.jobMinutes ?? DEFAULT_JOB_MINUTES[use.platform];
      if (job < use.stepMinutes + MARGIN_MINUTES) {
        short.push(`${use.platform}: '${use.line}' in a job of ${job} minutes${use.jobMinutes === undefined ? ' (the default)' : ''}`);
      }
    }
    expect(short).toEqual([]);
  });

  test("the task's default timeout ends at least 5 minutes before a job's default timeout (60 minutes)", () => {
    const dflt = taskInputs().find((i) => i.name === 'timeout')!.defaultValue;
    expect(parseDuration(dflt) / 60_000).toBeLessThanOrEqual(DEFAULT_JOB_MINUTES.azure - MARGIN_MINUTES);
  });

  test('the docs state the rule for both platforms', () => {
    for (const file of ['docs/azure.md', 'docs/gating.md']) {
      const text = read(file);
      expect(text).toContain('timeoutInMinutes');
      expect(text).toContain('timeout-minutes');
    }
  });
});

/**
 * One input table: action.yml (GitHub), task.json (Azure DevOps) and INPUTS (the registry's input table) agree on names,
 * defaults, required-ness and pick-list values; task.json is exactly what the generator renders; the task's
 * version moves with the extension's; the service connection inputs match the contributed endpoint types.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { GITHUB_ONLY_INPUTS } from '../../src/adapters/github/inputs.js';
import { OUTPUT_NAMES } from '../../src/core/host.js';
import { type InputDef } from '../../src/core/inputs/index.js';
import { INPUTS } from '../../src/providers/registry.js';
import { PLATFORMS } from '../../src/providers/registry.js';
import {
  connectionInputName,
  inputType,
  outputVariableName,
  renderTaskJson,
  fillAzureTableBlocks,
  MINIMUM_AGENT_VERSION,
  TASK_FOLDER,
  type TaskInput,
  withAzureInputNames,
} from '../../src/adapters/azure/task-metadata.js';

const root = process.cwd();
const taskJsonPath = join(root, 'azure-task', TASK_FOLDER, 'task.json');
const manifestPath = join(root, 'azure-task', 'vss-extension.json');
const actionYmlPath = join(root, 'action.yml');

interface TaskJson {
  id: string;
  name: string;
  version: { Major: number; Minor: number; Patch: number };
  minimumAgentVersion: string;
  instanceNameFormat: string;
  groups: Array<{ name: string }>;
  inputs: TaskInput[];
  outputVariables: Array<{ name: string; description: string }>;
  execution: Record<string, { target: string }>;
}

interface Manifest {
  version: string;
  publisher: string;
  files: Array<{ path: string }>;
  icons: { default: string };
  content: { details: { path: string } };
  contributions: Array<{ id: string; type: string; targets: string[]; properties: Record<string, unknown> }>;
}

const task = JSON.parse(readFileSync(taskJsonPath, 'utf8')) as TaskJson;
const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as Manifest;
const taskInput = (name: string) => task.inputs.find((i) => i.name === name);

describe('task.json', () => {
  test('is what scripts/gen-task.mjs renders from the input table (regenerate: npm run build:lib && node scripts/gen-task.mjs)', () => {
    expect(readFileSync(taskJsonPath, 'utf8')).toBe(renderTaskJson(manifest.version));
  });

  test('has one input per INPUTS entry, in camelCase, plus one service connection input per platform', () => {
    const fromTable = INPUTS.map((d) => d.azureName);
    const connections = PLATFORMS.map(connectionInputName);
    expect(task.inputs.map((i) => i.name).sort()).toEqual([...fromTable, ...connections].sort());
    for (const name of task.inputs.map((i) => i.name)) expect(name).toMatch(/^[a-z][A-Za-z0-9]*$/);
  });

  test.each(INPUTS.map((d) => [d.azureName, d] as const))('%s: default, required-ness, type, pick-list values, group', (_, def: InputDef) => {
    const input = taskInput(def.azureName)!;
    expect(input.defaultValue).toBe(def.default ?? '');
    expect(input.required).toBe(def.required === true);
    expect(input.groupName).toBe(def.group);
    expect(input.type).toBe(inputType(def));
    if (input.type === 'pickList') expect(Object.keys(input.options ?? {})).toEqual([...def.options!]);
    if (input.type === 'boolean') expect([...def.options!].sort()).toEqual(['false', 'true']);
    if (def.multiline) expect(input.type).toBe('multiLine');
    // The same description, with other inputs named the Azure way.
    expect(input.helpMarkDown).toContain(withAzureInputNames(def.description));
    if (def.default !== undefined && def.options) expect(def.options).toContain(def.default);
  });

  test('visible rules show an input only for its platforms and modes, and name real inputs and values', () => {
    for (const def of INPUTS) {
      const rule = taskInput(def.azureName)!.visibleRule;
      if (!def.platforms && !def.modes) {
        expect(rule).toBeUndefined();
        continue;
      }
      for (const p of def.platforms ?? []) expect(rule).toContain(`platform = ${p}`);
      for (const m of def.modes ?? []) expect(rule).toContain(`mode = ${m}`);
    }
    const values: Record<string, readonly string[]> = {
      platform: INPUTS.find((d) => d.name === 'platform')!.options!,
      mode: INPUTS.find((d) => d.name === 'mode')!.options!,
    };
    for (const input of task.inputs) {
      if (!input.visibleRule) continue;
      expect(input.visibleRule.includes('&&') && input.visibleRule.includes('||')).toBe(false);
      for (const clause of input.visibleRule.split(/\s*(?:&&|\|\|)\s*/)) {
        const [name, value] = clause.split(/\s*=\s*/);
        expect(values[name!]).toContain(value);
      }
    }
  });

  test('the service connection inputs use the endpoint types the extension contributes', () => {
    const endpointTypes = manifest.contributions
      .filter((c) => c.type === 'ms.vss-endpoint.service-endpoint-type')
      .map((c) => c.properties.name);
    expect(endpointTypes.sort()).toEqual([...PLATFORMS].sort());
    for (const platform of PLATFORMS) {
      const input = taskInput(connectionInputName(platform))!;
      expect(input.type).toBe(`connectedService:${platform}`);
      expect(input.visibleRule).toBe(`platform = ${platform}`);
      expect(input.required).toBe(false);
      expect(input.groupName).toBe('connection');
    }
  });

  test('groups, output variables, handlers and agent version', () => {
    expect(task.name).toBe('OrchestrationRun');
    expect(task.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(task.groups.map((g) => g.name).sort()).toEqual([...new Set(INPUTS.map((d) => d.group))].sort());
    expect(task.outputVariables.map((o) => o.name)).toEqual(OUTPUT_NAMES.map(outputVariableName));
    expect(task.outputVariables.map((o) => o.name)).toEqual([
      'status', 'runId', 'rawStatus', 'startedAt', 'finishedAt', 'durationSeconds', 'result', 'resultFile', 'logFile',
    ]);
    expect(task.execution).toEqual({
      Node24: { target: 'dist/index.js', argumentFormat: '' },
      Node20_1: { target: 'dist/index.js', argumentFormat: '' },
    });
    expect(task.minimumAgentVersion).toBe(MINIMUM_AGENT_VERSION);
    expect(task.instanceNameFormat).toContain('$(platform)');
  });
});

describe('docs/azure.md', () => {
  const docsPath = join(root, 'docs', 'azure.md');

  test('its input and output tables are generated from the same data and up to date (node scripts/gen-task.mjs)', () => {
    const docs = readFileSync(docsPath, 'utf8');
    expect(docs).toBe(fillAzureTableBlocks(docs));
    for (const input of task.inputs) expect(docs).toContain(`| \`${input.name}\``);
    for (const output of task.outputVariables) expect(docs).toContain(`| \`${output.name}\` |`);
  });
});

describe('vss-extension.json', () => {
  test("the task's version is the extension's version", () => {
    const { Major, Minor, Patch } = task.version;
    expect(`${Major}.${Minor}.${Patch}`).toBe(manifest.version);
  });

  test('packages the task folder, the icon and the overview, and contributes the task', () => {
    expect(manifest.files.map((f) => f.path)).toContain(TASK_FOLDER);
    expect(existsSync(join(root, 'azure-task', manifest.icons.default))).toBe(true);
    expect(existsSync(join(root, 'azure-task', manifest.content.details.path))).toBe(true);
    const taskContribution = manifest.contributions.find((c) => c.type === 'ms.vss-distributed-task.task');
    expect(taskContribution).toMatchObject({ targets: ['ms.vss-distributed-task.tasks'], properties: { name: TASK_FOLDER } });
    // The one publisher setting (package.json config.marketplacePublisher), written here by gen-task.
    expect(manifest.publisher).toBe(JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).config.marketplacePublisher);
  });

  test('every endpoint type uses token auth with an apitoken input, and the right header per platform', () => {
    const headers: Record<string, string> = {
      timextender: 'X-API-Key: {{endpoint.apitoken}}',
      qarion: 'Authorization: Bearer {{endpoint.apitoken}}',
      planasonix: 'Authorization: Bearer {{endpoint.apitoken}}',
    };
    for (const c of manifest.contributions.filter((x) => x.type === 'ms.vss-endpoint.service-endpoint-type')) {
      expect(c.targets).toEqual(['ms.vss-endpoint.endpoint-types']);
      const schemes = c.properties.authenticationSchemes as Array<{
        type: string;
        headers: Array<{ name: string; value: string }>;
        inputDescriptors: Array<{ id: string; isConfidential: boolean }>;
      }>;
      expect(schemes).toHaveLength(1);
      expect(schemes[0]!.type).toBe('ms.vss-endpoint.endpoint-auth-scheme-token');
      expect(schemes[0]!.inputDescriptors).toEqual([expect.objectContaining({ id: 'apitoken', isConfidential: true })]);
      expect(schemes[0]!.headers.map((h) => `${h.name}: ${h.value}`)).toEqual([headers[c.properties.name as string]]);
    }
    const url = (name: string) =>
      (manifest.contributions.find((c) => c.properties.name === name)!.properties.url as { value?: string }).value;
    expect(url('qarion')).toBe('https://api.qarion.com');
    expect(url('planasonix')).toBe('https://api.planasonix.com');
    expect(url('timextender')).toBeUndefined(); // one URL per tenant: no default
  });
});

/** The inputs of the generated action.yml: name → { required, default } (scalars as written by gen-action). */
function parseActionInputs(text: string): Map<string, { required?: string; default?: string; description?: string }> {
  const inputs = new Map<string, { required?: string; default?: string; description?: string }>();
  let section = '';
  let current: string | undefined;
  const scalar = (raw: string): string => {
    const value = raw.trim();
    if (value.startsWith('"')) return JSON.parse(value) as string;
    if (value.startsWith("'")) return value.slice(1, -1).replace(/''/g, "'");
    return value;
  };
  for (const line of text.split(/\r?\n/)) {
    if (/^\s*(#|$)/.test(line)) continue;
    const top = /^([A-Za-z][\w-]*):/.exec(line);
    if (top) {
      section = top[1]!;
      current = undefined;
      continue;
    }
    if (section !== 'inputs') continue;
    const name = /^ {2}([A-Za-z][\w-]*):\s*$/.exec(line);
    if (name) {
      current = name[1]!;
      inputs.set(current, {});
      continue;
    }
    const prop = /^ {4}(required|default|description):\s*(.*)$/.exec(line);
    if (prop && current) inputs.get(current)![prop[1] as 'required' | 'default' | 'description'] = scalar(prop[2]!);
  }
  return inputs;
}

const describeAction = existsSync(actionYmlPath) ? describe : describe.skip;
if (!existsSync(actionYmlPath)) {
  console.warn('action.yml is not in the repository yet: the action.yml ↔ task.json half of the one-input-table test is skipped');
}

describeAction('action.yml ↔ task.json ↔ INPUTS', () => {
  const action = existsSync(actionYmlPath) ? parseActionInputs(readFileSync(actionYmlPath, 'utf8')) : new Map();

  test('the same inputs: kebab-case on GitHub, the same words in camelCase on Azure', () => {
    // The GitHub-only inputs (the pull-request comment) are in action.yml alone.
    expect([...action.keys()].sort()).toEqual([...INPUTS, ...GITHUB_ONLY_INPUTS].map((d) => d.name).sort());
    for (const def of INPUTS) {
      const camel = def.name.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
      expect(def.azureName).toBe(camel);
      expect(taskInput(def.azureName)).toBeDefined();
    }
  });

  test.each(INPUTS.map((d) => [d.name, d] as const))('%s: same default and required-ness in both files', (_, def: InputDef) => {
    const gh = action.get(def.name)!;
    const az = taskInput(def.azureName)!;
    expect(gh.default ?? '').toBe(az.defaultValue);
    expect(gh.default ?? '').toBe(def.default ?? '');
    expect(gh.required === 'true').toBe(az.required);
    expect(az.required).toBe(def.required === true);
    if (def.options && az.type === 'pickList') {
      // GitHub has no pick-lists: the description names every value instead.
      for (const option of def.options) expect(gh.description).toContain(option);
      expect(Object.keys(az.options ?? {})).toEqual([...def.options]);
    }
  });
});

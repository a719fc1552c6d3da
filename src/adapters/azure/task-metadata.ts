/**
 * `azure-task/OrchestrationRunV1/task.json`, rendered from the one input table (the registry's), so the task's
 * inputs cannot drift from what the code accepts. `scripts/gen-task.mjs` writes the file from the compiled
 * copy of this module; `test/azure/one-input-table.test.ts` renders it again and compares.
 *
 * No azure-pipelines-task-lib here: this module only describes the task, it does not run it.
 */
import { OUTPUT_NAMES, type OutputName } from '../../core/host.js';
import type { InputDef, InputGroup } from '../../core/inputs/index.js';
import { fillMarkedBlocks } from '../../core/marked-blocks.js';
import type { Platform } from '../../core/settings.js';
import { INPUTS, PLATFORMS, platformLabel } from '../../providers/registry.js';

/** Fixed forever: the agent and the service know the task by this id (a new id is a new task). */
export const TASK_ID = 'd5871942-ccd9-4a6c-99a7-6a373638ac8d';
export const TASK_NAME = 'OrchestrationRun';
export const TASK_FOLDER = 'OrchestrationRunV1';
export const TASK_TARGET = 'dist/index.js';
/**
 * Agent 4.265.0 is the first that knows the `Node24` handler; it runs a task on Node 24 only while its
 * `UseNode24withHandlerData` knob is on, and on Node 20 (`Node20_1`, also in the handler list) otherwise. An
 * older agent that honours the demand upgrades itself.
 */
export const MINIMUM_AGENT_VERSION = '4.265.0';

/** The service connection input of each platform (type `connectedService:<platform>`). */
export function connectionInputName(platform: Platform): string {
  return `${platform}Connection`;
}

export const GROUP_LABELS: Readonly<Record<InputGroup, { displayName: string; isExpanded: boolean }>> = {
  connection: { displayName: 'Connection', isExpanded: true },
  target: { displayName: 'What to run', isExpanded: true },
  waiting: { displayName: 'Mode and waiting', isExpanded: true },
  logs: { displayName: 'Logs and reports', isExpanded: false },
  advanced: { displayName: 'Advanced', isExpanded: false },
};

/** What each output variable holds; a Record, so a new output without a description does not compile. */
export const OUTPUT_VARIABLE_DESCRIPTIONS: Readonly<Record<OutputName, string>> = {
  status:
    'succeeded, failed, cancelled, timed-out, triggered (mode trigger) or running (mode wait, run still going). Several targets: succeeded only if all succeeded.',
  'run-id': "The platform's id of the run (execution id, run id or job id); several targets: comma-separated, in input order.",
  'raw-status': "The platform's own status word; several targets: comma-separated, in input order.",
  'started-at': "When the run started, from the platform's clock; several targets: comma-separated.",
  'finished-at': "When the run ended, from the platform's clock; several targets: comma-separated.",
  'duration-seconds': 'How long the run took, in seconds; several targets: comma-separated.',
  result:
    'JSON array, one object per target: target, runId, status, rawStatus, startedAt, finishedAt, durationSeconds, failedTasks, logFile, message, evidence. Capped at 32,000 characters (later steps get output variables as environment variables): past that, details are shortened and each object says "truncated": true; the full JSON is in resultFile.',
  'result-file': 'Path of the file (under Agent.TempDirectory) holding the full result JSON, never capped.',
  'log-file': 'Path of the file (under Agent.TempDirectory) holding the full logs of this step.',
};

/** camelCase output variable name of a canonical output (`run-id` → `runId`). */
export function outputVariableName(name: OutputName): string {
  return name.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
}

export interface TaskVersion {
  Major: number;
  Minor: number;
  Patch: number;
}

/** `1.2.3` → { Major: 1, Minor: 2, Patch: 3 }; the extension's version drives the task's. */
export function taskVersion(extensionVersion: string): TaskVersion {
  const m = /^(\d+)\.(\d+)\.(\d+)$/.exec(extensionVersion.trim());
  if (!m) throw new Error(`extension version '${extensionVersion}' is not Major.Minor.Patch`);
  return { Major: Number(m[1]), Minor: Number(m[2]), Patch: Number(m[3]) };
}

export interface TaskInput {
  name: string;
  type: string;
  label: string;
  defaultValue: string;
  required: boolean;
  helpMarkDown: string;
  groupName: InputGroup;
  visibleRule?: string;
  options?: Record<string, string>;
  properties?: Record<string, string>;
}

/** Words whose capitals a plain sentence-case label would lose. */
const LABEL_WORDS: Readonly<Record<string, string>> = { api: 'API', url: 'URL', id: 'ID', junit: 'JUnit', json: 'JSON' };

/** `base-url` → `Base URL`, `run-id` → `Run ID`. */
export function inputLabel(def: InputDef): string {
  const words = def.name.split('-').map((w) => LABEL_WORDS[w] ?? w);
  const first = words[0]!;
  words[0] = first === first.toLowerCase() ? first[0]!.toUpperCase() + first.slice(1) : first;
  return words.join(' ');
}

function isBoolean(def: InputDef): boolean {
  return def.options !== undefined && def.options.length === 2 && def.options.includes('true') && def.options.includes('false');
}

export function inputType(def: InputDef): 'pickList' | 'boolean' | 'multiLine' | 'string' {
  if (def.options && isBoolean(def)) return 'boolean';
  if (def.options) return 'pickList';
  if (def.multiline) return 'multiLine';
  return 'string';
}

/**
 * The designer shows an input only where it applies. A visible rule cannot mix `&&` and `||`, so an input
 * owned by several platforms AND a mode keeps the platform rule only (none such exists today).
 */
export function visibleRule(def: InputDef): string | undefined {
  const platformRule = def.platforms?.map((p) => `platform = ${p}`);
  const modeRule = def.modes?.map((m) => `mode = ${m}`);
  if (platformRule && modeRule) {
    return platformRule.length === 1 && modeRule.length === 1 ? `${platformRule[0]} && ${modeRule[0]}` : platformRule.join(' || ');
  }
  return (platformRule ?? modeRule)?.join(' || ');
}

/**
 * A text of the input table (written with the GitHub/CLI input names) with every input named the Azure way:
 * `base-url` → `baseUrl`, `run-id` → `runId` (also right for the output of that name). A name counts only as
 * a whole word: not inside a longer kebab-case word or a path.
 */
export function withAzureInputNames(text: string, inputs: readonly InputDef[] = INPUTS): string {
  const renames = inputs.filter((d) => d.name !== d.azureName).sort((a, b) => b.name.length - a.name.length);
  if (renames.length === 0) return text;
  const byName = new Map(renames.map((d) => [d.name, d.azureName]));
  const names = renames.map((d) => d.name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|');
  return text.replace(new RegExp(`(?<![\\w/-])(${names})(?![\\w-])`, 'g'), (name) => byName.get(name) ?? name);
}

function helpText(def: InputDef): string {
  // The key's example is a secret reference in each host's own syntax; on Azure a secret variable.
  const example = def.secret ? '$(orchestrationApiKey)' : def.example;
  return `${withAzureInputNames(def.description)} Example: \`${example}\``;
}

function taskInput(def: InputDef): TaskInput {
  const type = inputType(def);
  const input: TaskInput = {
    name: def.azureName,
    type,
    label: inputLabel(def),
    defaultValue: def.default ?? '',
    required: def.required === true,
    helpMarkDown: helpText(def),
    groupName: def.group,
  };
  const rule = visibleRule(def);
  if (rule) input.visibleRule = rule;
  if (type === 'pickList') {
    input.options = Object.fromEntries(
      def.options!.map((o) => [o, def.name === 'platform' ? platformLabel(o) : o]),
    );
    input.properties = { EditableOptions: 'False' };
  }
  if (type === 'multiLine') input.properties = { resizable: 'true', rows: '3' };
  return input;
}

function connectionInput(platform: Platform): TaskInput {
  return {
    name: connectionInputName(platform),
    type: `connectedService:${platform}`,
    label: `${platformLabel(platform)} service connection`,
    defaultValue: '',
    required: false,
    helpMarkDown:
      `The ${platformLabel(platform)} service connection that holds the API key (and the API root). ` +
      'The preferred source of the key; apiKey and baseUrl, when set, take precedence over it.',
    groupName: 'connection',
    visibleRule: `platform = ${platform}`,
  };
}

/** Every task input in order: `platform`, the service connections, then the rest of the table. */
export function taskInputs(inputs: readonly InputDef[] = INPUTS): TaskInput[] {
  const out: TaskInput[] = [];
  for (const def of inputs) {
    out.push(taskInput(def));
    if (def.name === 'platform') out.push(...PLATFORMS.map(connectionInput));
  }
  return out;
}

export const FRIENDLY_NAME = 'Orchestration Run';
export const TASK_DESCRIPTION =
  'Trigger a data load on TimeXtender Data Platform, Qarion or Planasonix, follow the run it caused, explain failures, and pass or fail the step.';

/** The task.json object. */
export function renderTask(extensionVersion: string, inputs: readonly InputDef[] = INPUTS): Record<string, unknown> {
  const groups = (Object.keys(GROUP_LABELS) as InputGroup[]).map((name) => ({ name, ...GROUP_LABELS[name] }));
  const handler = { target: TASK_TARGET, argumentFormat: '' };
  return {
    $schema: 'https://raw.githubusercontent.com/Microsoft/azure-pipelines-task-lib/master/tasks.schema.json',
    id: TASK_ID,
    name: TASK_NAME,
    friendlyName: FRIENDLY_NAME,
    description: TASK_DESCRIPTION,
    helpMarkDown:
      'Triggers a TimeXtender task or process map, a Qarion pipeline or a Planasonix sync, backfill or pipeline run; follows the run it caused to the end; shows the failing tasks and their logs. Choose a service connection for the key.',
    category: 'Deploy',
    author: 'orchestration-run',
    version: taskVersion(extensionVersion),
    minimumAgentVersion: MINIMUM_AGENT_VERSION,
    instanceNameFormat: 'Data load on $(platform)',
    groups,
    inputs: taskInputs(inputs),
    outputVariables: OUTPUT_NAMES.map((name) => ({ name: outputVariableName(name), description: OUTPUT_VARIABLE_DESCRIPTIONS[name] })),
    execution: { Node24: handler, Node20_1: handler },
  };
}

/** The text of task.json: two-space JSON with a final newline. */
export function renderTaskJson(extensionVersion: string, inputs: readonly InputDef[] = INPUTS): string {
  return `${JSON.stringify(renderTask(extensionVersion, inputs), null, 2)}\n`;
}

// ---------------------------------------------------------------------------------------------------------
// vss-extension.json: each platform's service endpoint type, from its endpoint.json
// ---------------------------------------------------------------------------------------------------------

export const ENDPOINT_TYPE = 'ms.vss-endpoint.service-endpoint-type';

/** A contribution of the extension manifest (only what is checked here). */
export interface Contribution {
  type: string;
  properties?: { name?: unknown } & Record<string, unknown>;
  [key: string]: unknown;
}

/** Where a platform's service endpoint contribution lives, from the repository root. */
export function endpointFile(platform: Platform): string {
  return `src/providers/${platform}/endpoint.json`;
}

/**
 * The extension manifest with one service endpoint type per registered platform, in registry order, after
 * its other contributions: `endpoints[i]` is the content of `endpointFile(PLATFORMS[i])`. The task's
 * `connectedService:<platform>` inputs need exactly these types.
 */
export function withPlatformEndpoints<M extends { contributions: Contribution[] }>(
  manifest: M,
  endpoints: readonly Contribution[],
  platforms: readonly Platform[] = PLATFORMS,
): M {
  if (endpoints.length !== platforms.length) throw new Error(`${platforms.length} platforms, but ${endpoints.length} endpoint contributions`);
  endpoints.forEach((endpoint, i) => {
    const platform = platforms[i]!;
    if (endpoint.type !== ENDPOINT_TYPE) throw new Error(`${endpointFile(platform)}: type must be ${ENDPOINT_TYPE}`);
    if (endpoint.properties?.name !== platform) throw new Error(`${endpointFile(platform)}: properties.name must be '${platform}'`);
  });
  const others = manifest.contributions.filter((c) => c.type !== ENDPOINT_TYPE);
  return { ...manifest, contributions: [...others, ...endpoints] };
}

// ---------------------------------------------------------------------------------------------------------
// The input and output tables of docs/azure.md, rendered from the same data as task.json
// ---------------------------------------------------------------------------------------------------------

/** Text inside a markdown table cell. */
function cell(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/\|/g, '\\|').replace(/\r?\n/g, '<br>');
}

function code(text: string): string {
  return text.includes('`') ? `\`\` ${text} \`\`` : `\`${text}\``;
}

function appliesTo(input: TaskInput): string {
  return input.visibleRule ? input.visibleRule.replace(/ = /g, ': ').replace(/ \|\| /g, ' or ').replace(/ && /g, ', ') : 'all';
}

/** The task's inputs as a markdown table: camelCase name, default, where it applies, description. */
export function renderAzureInputsTable(inputs: readonly InputDef[] = INPUTS): string {
  const rows = ['| Input | Default | Applies to | Description |', '|---|---|---|---|'];
  for (const input of taskInputs(inputs)) {
    const name = code(input.name) + (input.required ? ' (required)' : '');
    const dflt = input.defaultValue !== '' ? code(input.defaultValue) : '';
    const values = input.type === 'pickList' ? ` Values: ${Object.keys(input.options ?? {}).map(code).join(', ')}.` : '';
    const kind = input.type.startsWith('connectedService:') ? ' (service connection)' : input.type === 'multiLine' ? ' Several lines allowed.' : '';
    const [description, example = ''] = input.helpMarkDown.split(/ (?=Example: )/);
    const text = `${description}${values}${kind}${example ? ` ${example}` : ''}`;
    rows.push(`| ${name} | ${dflt} | ${cell(appliesTo(input))} | ${cell(text)} |`);
  }
  return rows.join('\n');
}

export function renderAzureOutputsTable(outputs: readonly OutputName[] = OUTPUT_NAMES): string {
  const rows = ['| Output variable | Description |', '|---|---|'];
  for (const name of outputs) rows.push(`| ${code(outputVariableName(name))} | ${cell(OUTPUT_VARIABLE_DESCRIPTIONS[name])} |`);
  return rows.join('\n');
}

/** Marker pairs in docs/azure.md whose content the generator owns. */
export const AZURE_TABLE_BLOCKS: ReadonlyArray<{ name: string; render: () => string }> = [
  { name: 'azure-inputs-table', render: () => renderAzureInputsTable() },
  { name: 'azure-outputs-table', render: () => renderAzureOutputsTable() },
];

/** Replaces the content between `<!-- name:start -->` and `<!-- name:end -->` with the rendered table. */
export function fillAzureTableBlocks(markdown: string): string {
  return fillMarkedBlocks(markdown, AZURE_TABLE_BLOCKS);
}

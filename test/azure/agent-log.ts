/**
 * Reads a task's stdout the way the Azure Pipelines agent does: `##vso[area.command k=v;…]message` logging
 * commands (found anywhere in a line, and unescaped like task-lib's TaskCommand), and `##[group]`-style
 * formatting lines. Anything that would act as a command or a formatting prefix without being one of the
 * task's own, at the start of its own line, is reported as a violation.
 */

export interface AgentCommand {
  /** e.g. `task.setvariable`. */
  name: string;
  properties: Record<string, string>;
  message: string;
  line: string;
}

export interface AgentLog {
  commands: AgentCommand[];
  /** `##[group]title` etc.: kind and text. */
  formatting: Array<{ kind: string; text: string }>;
  /** Lines that are neither. */
  plain: string[];
  /** Lines holding a command or formatting prefix that is not the task's own at the start of the line. */
  violations: string[];
}

/** The commands the task itself emits (through task-lib). */
const OWN_COMMANDS = new Set([
  'task.debug',
  'task.setsecret',
  'task.setvariable',
  'task.logissue',
  'task.issue',
  'task.uploadsummary',
  'task.complete',
]);
const OWN_FORMATTING = new Set(['group', 'endgroup', 'warning', 'error']);

const COMMAND = /##vso\[/gi;
/** `##[`, also with whitespace between (the agent's log viewer is lenient). */
const FORMATTING = /##\s*\[/gi;

function unescapeProperty(value: string): string {
  return value.replace(/%0D/g, '\r').replace(/%0A/g, '\n').replace(/%5D/g, ']').replace(/%3B/g, ';').replace(/%AZP25/g, '%');
}

function unescapeMessage(value: string): string {
  return value.replace(/%0D/g, '\r').replace(/%0A/g, '\n').replace(/%AZP25/g, '%');
}

export function parseAgentLog(stdout: string): AgentLog {
  const log: AgentLog = { commands: [], formatting: [], plain: [], violations: [] };
  // The agent reads lines; a bare CR, NEL or a Unicode line separator must not start a new "line" the
  // viewer shows, so every such break counts as a line start here too.
  for (const line of stdout.split(/\r\n|[\n\r\u0085\u2028\u2029]/)) {
    if (line === '') continue;
    // The agent matches culture-sensitively: ICU skips zero-width (format) characters, so `#\u200B#vso[`
    // still counts as a command here. Positions are in the visible text, where the task's own are at 0 too.
    const visible = line.replace(/\p{Cf}/gu, '');
    const commandAt = [...visible.matchAll(COMMAND)].map((m) => m.index!);
    const formattingAt = [...visible.matchAll(FORMATTING)].map((m) => m.index!);
    if (commandAt[0] === 0) {
      const close = line.indexOf(']');
      const head = line.slice('##vso['.length, close);
      const space = head.indexOf(' ');
      const name = space < 0 ? head : head.slice(0, space);
      const properties: Record<string, string> = {};
      if (space >= 0) {
        for (const pair of head.slice(space + 1).split(';')) {
          const eq = pair.indexOf('=');
          if (pair.trim() !== '' && eq > 0) properties[pair.slice(0, eq).trim()] = unescapeProperty(pair.slice(eq + 1));
        }
      }
      const command = { name, properties, message: unescapeMessage(line.slice(close + 1)), line };
      log.commands.push(command);
      if (!OWN_COMMANDS.has(name)) log.violations.push(line);
      // The agent acts on the first command of a line only, but a second one is still a payload that got through.
      if (commandAt.length > 1 || formattingAt.length > 0) log.violations.push(line);
      continue;
    }
    if (formattingAt[0] === 0 && commandAt.length === 0) {
      const m = /^##\[([a-z]+)\](.*)$/i.exec(line);
      if (!m || !OWN_FORMATTING.has(m[1]!.toLowerCase())) log.violations.push(line);
      else log.formatting.push({ kind: m[1]!.toLowerCase(), text: m[2]! });
      if (formattingAt.length > 1) log.violations.push(line);
      continue;
    }
    if (commandAt.length > 0 || formattingAt.length > 0) log.violations.push(line);
    if (/^\s*::/.test(line)) log.violations.push(line); // a GitHub workflow command, for good measure
    log.plain.push(line);
  }
  return log;
}

export function commandsNamed(log: AgentLog, name: string): AgentCommand[] {
  return log.commands.filter((c) => c.name === name);
}

/** Output variables set with isOutput=true: name → value. */
export function outputVariables(log: AgentLog): Map<string, string> {
  const vars = new Map<string, string>();
  for (const c of commandsNamed(log, 'task.setvariable')) {
    if (c.properties.isOutput === 'true') vars.set(c.properties.variable!, c.message);
  }
  return vars;
}

/** The forms of a secret that must never be printed: raw, URL-encoded, base64 (standard and URL-safe). */
export function secretForms(secret: string): string[] {
  const b64 = Buffer.from(secret, 'utf8').toString('base64');
  const forms = [secret, encodeURIComponent(secret), b64, b64.replace(/=+$/, ''), b64.replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '')];
  return [...new Set(forms)];
}

/** Text with every `task.setsecret` line removed: the only place a secret may appear, for the agent to mask. */
export function withoutSetSecret(stdout: string): string {
  return stdout
    .split(/\r?\n/)
    .filter((line) => !line.startsWith('##vso[task.setsecret]'))
    .join('\n');
}

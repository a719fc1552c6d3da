/**
 * What the GitHub Actions runner would take as workflow commands in a process's output, modelled on
 * actions/runner (ActionCommand.TryParseV2 and the legacy TryParse): a line whose text, after leading
 * whitespace, starts with `::` is a command named up to the next space or `::`; a line holding `##[` is a
 * legacy command. Azure's `##vso[` is listed too: the same server text could reach an Azure agent.
 */

export interface ParsedCommand {
  line: number;
  name: string;
  /** The data after the second `::`, unescaped as the runner does (%25, %0D, %0A). */
  data: string;
  /** Raw properties text (`title=…`). */
  properties: string;
  kind: 'v2' | 'legacy' | 'azure';
  text: string;
}

/** Leading characters the runner's TrimStart removes (char.IsWhiteSpace), plus format characters to be strict. */
const LEADING = /^[\s\p{Cf}]*/u;

export function parseRunnerCommands(output: string): ParsedCommand[] {
  const commands: ParsedCommand[] = [];
  const lines = output.split(/\r\n|\n|\r|\u2028|\u2029|\u0085/);
  lines.forEach((text, index) => {
    const trimmed = text.replace(LEADING, '');
    if (trimmed.startsWith('::')) {
      const rest = trimmed.slice(2);
      const end = rest.indexOf('::');
      const head = end < 0 ? rest : rest.slice(0, end);
      const space = head.indexOf(' ');
      const name = space < 0 ? head : head.slice(0, space);
      const properties = space < 0 ? '' : head.slice(space + 1);
      const data = end < 0 ? '' : unescape(rest.slice(end + 2));
      commands.push({ line: index + 1, name, data, properties, kind: 'v2', text });
    }
    if (text.includes('##[')) commands.push({ line: index + 1, name: 'legacy ##[', data: text, properties: '', kind: 'legacy', text });
    if (/##vso\[/i.test(text)) commands.push({ line: index + 1, name: '##vso[', data: text, properties: '', kind: 'azure', text });
  });
  return commands;
}

function unescape(data: string): string {
  return data.replace(/%0D/gi, '\r').replace(/%0A/gi, '\n').replace(/%25/g, '%');
}

/** Commands this action itself issues (through `@actions/core`, src/adapters/github/host.ts). */
export const OWN_COMMANDS: ReadonlySet<string> = new Set(['add-mask', 'error', 'warning', 'debug', 'group', 'endgroup', 'notice']);

/**
 * Commands that did not come from this action: any legacy/Azure command, any v2 command with a foreign
 * name, and any `add-mask` whose value is not one of the secrets the action registered.
 */
export function foreignCommands(output: string, secrets: readonly string[]): ParsedCommand[] {
  return parseRunnerCommands(output).filter((c) => {
    if (c.kind !== 'v2') return true;
    if (!OWN_COMMANDS.has(c.name)) return true;
    if (c.name === 'add-mask') return !secrets.includes(c.data);
    return false;
  });
}

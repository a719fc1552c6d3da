/**
 * Does a line of output act as a CI command? Two checks, both must hold for text that came from the server:
 *
 * 1. The plain rule (the issue's): after trimming, no line starts with `::`; no line contains `##vso[` or
 *    `##[` (any case, also `## [`).
 * 2. A model of how the runners really parse, because both compare culture-sensitively (ICU), which skips
 *    zero-width and other format characters: a line is a live command when the prefix matches with those
 *    characters ignored AND the command name, cut at the runner's fixed offset from the match, is a real one.
 *    (GitHub: TrimStart, StartsWith("::"), name = text from offset 2 to a space or "::". Azure: IndexOf("##vso["),
 *    name = text from offset 6 to "]", then up to a space, of the form area.event.)
 *
 * The front end's own commands (its add-mask, error annotations, groups, set-variable…) are allowed only at
 * the very start of a line, with an own name, and no second command prefix inside.
 */

/** Line breaks any runner, terminal or log viewer honours (the product's own definition, untrusted.ts). */
export const LINE_BREAKS = /\r\n|[\n\r\u0085\u2028\u2029]/;
/** Line breaks of the runners themselves (.NET StreamReader.ReadLine: CR, LF, CRLF). */
export const RUNNER_LINE_BREAKS = /\r\n|[\n\r]/;

const FORMAT_CHARS = /\p{Cf}/u;

export type Runner = 'github' | 'azure';

/** Commands each front end issues itself (the first token after the prefix). */
export const OWN_COMMANDS: Record<Runner, ReadonlySet<string>> = {
  github: new Set(['add-mask', 'error', 'warning', 'notice', 'debug', 'group', 'endgroup']),
  azure: new Set(['task.debug', 'task.setsecret', 'task.setvariable', 'task.logissue', 'task.issue', 'task.uploadsummary', 'task.complete']),
};
const OWN_FORMATTING = new Set(['group', 'endgroup', 'warning', 'error', 'section', 'debug', 'command']);

export interface LiveCommand {
  runner: Runner | 'plain';
  name: string;
  line: string;
}

/** Index in `text` of the `index`-th visible (non-format) character. */
function originalIndex(text: string, visibleIndex: number): number {
  let seen = 0;
  for (let i = 0; i < text.length; i++) {
    if (FORMAT_CHARS.test(text[i]!)) continue;
    if (seen === visibleIndex) return i;
    seen++;
  }
  return text.length;
}

/** The GitHub runner's reading of a line: the command name it would dispatch, if any. */
export function githubCommandName(line: string): string | undefined {
  const trimmed = line.replace(/^\s+/, '');
  const visible = trimmed.replace(/\p{Cf}/gu, '');
  if (!visible.startsWith('::')) return undefined;
  // The match spans the format characters; the runner then cuts at offset 2 of the TRIMMED ORIGINAL text.
  const rest = trimmed.slice(2);
  const end = rest.indexOf('::');
  const head = end < 0 ? rest : rest.slice(0, end);
  const name = head.split(' ')[0]!;
  return /^[A-Za-z][A-Za-z0-9_-]*$/.test(name) ? name.toLowerCase() : undefined;
}

/** The Azure agent's reading: the `area.event` it would dispatch for the first `##vso[` in the line. */
export function azureCommandName(line: string): { name: string; at: number } | undefined {
  const visible = line.replace(/\p{Cf}/gu, '');
  const match = /##vso\[/i.exec(visible);
  if (!match) return undefined;
  const at = originalIndex(line, match.index);
  const cmdIndex = at + '##vso['.length;
  const close = line.indexOf(']', cmdIndex);
  if (close < 0) return undefined;
  const name = line.slice(cmdIndex, close).split(' ')[0]!;
  return /^[A-Za-z]+\.[A-Za-z]+$/.test(name) ? { name: name.toLowerCase(), at } : undefined;
}

/**
 * Commands in `output` that the front end did not issue itself. `runner` names the front end's own CI system
 * (its own commands are allowed at the start of a line); 'none' (the CLI) allows no command at all.
 * `breaks`: 'runner' splits lines as the runners read them (CR, LF); 'viewer' also at NEL, LS and PS, which
 * terminals and log viewers may show as new lines (the product's own, stricter definition).
 */
export function foreignCommands(output: string, runner: Runner | 'none', breaks: 'runner' | 'viewer' = 'viewer'): LiveCommand[] {
  const found: LiveCommand[] = [];
  for (const line of output.split(breaks === 'runner' ? RUNNER_LINE_BREAKS : LINE_BREAKS)) {
    const own = ownCommand(line, runner);
    // After an own command prefix, the rest of the line is its message: checked like any other text, except
    // that a GitHub runner only parses a command at the start of a line.
    const body = own ? line.slice(own.length) : line;
    // 1. The plain rule.
    if (!own && body.replace(/^\s+/, '').startsWith('::')) found.push({ runner: 'plain', name: 'line starts with ::', line });
    if (/##vso\[/i.test(body)) found.push({ runner: 'plain', name: 'contains ##vso[', line });
    if (/##\s*\[/i.test(body)) found.push({ runner: 'plain', name: 'contains ##[', line });
    // 2. The runners' own reading.
    const gh = own ? undefined : githubCommandName(body);
    if (gh !== undefined) found.push({ runner: 'github', name: gh, line });
    const az = azureCommandName(body);
    if (az) found.push({ runner: 'azure', name: az.name, line });
  }
  return found;
}

/** The front end's own command prefix at the start of the line (e.g. `::error title=x::`, `##[group]`), if any. */
function ownCommand(line: string, runner: Runner | 'none'): string | undefined {
  if (runner === 'github') {
    const m = /^::([a-z-]+)( [^:]*)?::/.exec(line);
    return m && OWN_COMMANDS.github.has(m[1]!) ? m[0] : undefined;
  }
  if (runner === 'azure') {
    const vso = /^##vso\[([a-z]+\.[a-z]+)[^\]]*\]/.exec(line);
    if (vso && OWN_COMMANDS.azure.has(vso[1]!)) return vso[0];
    const fmt = /^##\[([a-z]+)\]/.exec(line);
    if (fmt && OWN_FORMATTING.has(fmt[1]!)) return fmt[0];
  }
  return undefined;
}

/**
 * The part of `@actions/core` the Action uses, written against GitHub's documented workflow commands
 * (`::name prop=value::data` on stdout) and environment files (GITHUB_OUTPUT, GITHUB_STATE), so that the
 * bundle starts without loading @actions/core's HTTP client, proxy tunnel and exec/io helpers. Escaping and
 * file formats are those of @actions/core: what the runner reads does not change.
 *
 * Nothing here neutralizes or masks: the host (host.ts) cleans every line before it gets here.
 */
import { randomUUID } from 'node:crypto';
import { appendFileSync, existsSync } from 'node:fs';
import { EOL } from 'node:os';

/** Annotation properties this Action sets. */
export interface CommandProperties {
  title?: string;
}

function escapeData(text: string): string {
  return text.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
}

function escapeProperty(text: string): string {
  return escapeData(text).replace(/:/g, '%3A').replace(/,/g, '%2C');
}

/** Prints `::command prop=value,…::data`; empty properties are left out, as @actions/core does. */
export function issueCommand(command: string, properties: Record<string, string | undefined>, data: string): void {
  const props = Object.entries(properties)
    .filter((entry): entry is [string, string] => Boolean(entry[1]))
    .map(([key, value]) => `${key}=${escapeProperty(value)}`)
    .join(',');
  process.stdout.write(`::${command}${props ? ` ${props}` : ''}::${escapeData(data)}${EOL}`);
}

/** `name<<delimiter`, the value, the delimiter, appended to the file named by GITHUB_<kind>. */
function issueFileCommand(kind: 'OUTPUT' | 'STATE', name: string, value: string): void {
  const file = process.env[`GITHUB_${kind}`];
  if (!file) throw new Error(`Unable to find environment variable for file command ${kind}`);
  if (!existsSync(file)) throw new Error(`Missing file at path: ${file}`);
  const delimiter = `ghadelimiter_${randomUUID()}`;
  if (name.includes(delimiter)) throw new Error(`Unexpected input: name should not contain the delimiter "${delimiter}"`);
  if (value.includes(delimiter)) throw new Error(`Unexpected input: value should not contain the delimiter "${delimiter}"`);
  appendFileSync(file, `${name}<<${delimiter}${EOL}${value}${EOL}${delimiter}${EOL}`, { encoding: 'utf8' });
}

/** `INPUT_<NAME>` (upper-cased, spaces as `_`), trimmed unless asked not to. */
export function getInput(name: string, options?: { trimWhitespace?: boolean }): string {
  const value = process.env[`INPUT_${name.replace(/ /g, '_').toUpperCase()}`] || '';
  return options?.trimWhitespace === false ? value : value.trim();
}

export function info(message: string): void {
  process.stdout.write(message + EOL);
}

export function debug(message: string): void {
  issueCommand('debug', {}, message);
}

export function warning(message: string, properties: CommandProperties = {}): void {
  issueCommand('warning', { title: properties.title }, message);
}

export function error(message: string, properties: CommandProperties = {}): void {
  issueCommand('error', { title: properties.title }, message);
}

export function startGroup(name: string): void {
  issueCommand('group', {}, name);
}

export function endGroup(): void {
  issueCommand('endgroup', {}, '');
}

export function setSecret(secret: string): void {
  issueCommand('add-mask', {}, secret);
}

/** To GITHUB_OUTPUT; without it (an old runner), the legacy `::set-output` command as @actions/core does. */
export function setOutput(name: string, value: string): void {
  if (process.env.GITHUB_OUTPUT) return issueFileCommand('OUTPUT', name, value);
  process.stdout.write(EOL);
  issueCommand('set-output', { name }, value);
}

/** To GITHUB_STATE (read back by the post step as `STATE_<name>`); without it, the legacy `::save-state`. */
export function saveState(name: string, value: string): void {
  if (process.env.GITHUB_STATE) return issueFileCommand('STATE', name, value);
  issueCommand('save-state', { name }, value);
}

export function getState(name: string): string {
  return process.env[`STATE_${name}`] || '';
}

/** An error annotation, and the process exits 1 when it ends. */
export function setFailed(message: string): void {
  process.exitCode = 1;
  error(message);
}

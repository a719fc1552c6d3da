/**
 * Output files named by inputs (`junit-file`) or front-end options (the CLI's `--summary`) are prepared before
 * the first request: a load must never start whose report cannot be written.
 */
import { accessSync, constants as fsConstants, mkdirSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { Settings } from '../settings.js';
import { errorText } from '../text.js';
import { InputError, type ParseOptions } from './reader.js';
import { coreInputs, displayName } from './table.js';
import { quote } from './values.js';

/**
 * Makes sure a file can be written at `path` when the step ends: creates its missing folders (like
 * `mkdir -p`) and checks that the folder can be written. The file itself is not created, so a step that
 * stops early leaves no empty report behind. Returns what is wrong, or undefined when the path is usable.
 * Runs before the first request, so a load is never started whose report cannot be written.
 */
export function prepareOutputFile(path: string): string | undefined {
  if (path.trim() === '') return 'is empty; give a file name';
  if (/[\\/]$/.test(path)) return `names a folder (${quote(path)}); give a file name inside it`;
  const full = resolve(path);
  const existing = statOrProblem(full);
  if (typeof existing === 'string') return existing;
  if (existing !== undefined) {
    if (existing.isDirectory()) return `is a folder (${quote(path)}); give a file name inside it`;
    return writable(full) ? undefined : `cannot be written: the file exists and is not writable (${quote(path)})`;
  }
  const folder = dirname(full);
  try {
    mkdirSync(folder, { recursive: true });
  } catch (error) {
    return folderProblem(error, folder);
  }
  return writable(folder) ? undefined : `cannot be written: its folder is not writable (${quote(folder)})`;
}

/**
 * The output paths among the inputs (`junit-file`) prepared by prepareOutputFile, before the first request;
 * throws an InputError naming the input the way the user wrote it, with an example, when one is unusable.
 * Front ends call it right after parseSettings (which stays free of file system effects).
 */
export function prepareOutputPaths(settings: Settings, options: Pick<ParseOptions, 'nameStyle'> = {}): void {
  if (settings.junitFile === undefined) return;
  const problem = prepareOutputFile(settings.junitFile);
  if (problem === undefined) return;
  const def = coreInputs([]).find((d) => d.name === 'junit-file')!;
  const name = displayName(def, options.nameStyle ?? 'github');
  throw new InputError(def.name, `Input '${name}' ${problem}. Example: ${def.example}`);
}

function statOrProblem(path: string): ReturnType<typeof statSync> | string | undefined {
  try {
    return statSync(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return undefined;
    if (code === 'ENOTDIR') return `cannot be written: a part of its folder path is a file, not a folder (${quote(path)})`;
    if (code === 'EACCES' || code === 'EPERM') return `cannot be reached: permission denied on its folder (${quote(path)})`;
    return `cannot be checked (${code ?? errorText(error)})`;
  }
}

function folderProblem(error: unknown, folder: string): string {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ENOTDIR' || code === 'EEXIST') {
    return `cannot be written: a part of its folder path is a file, not a folder (${quote(folder)})`;
  }
  if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS') {
    return `cannot be written: its folder cannot be created, permission denied (${quote(folder)})`;
  }
  return `cannot be written: its folder cannot be created, ${code ?? errorText(error)} (${quote(folder)})`;
}

function writable(path: string): boolean {
  try {
    accessSync(path, fsConstants.W_OK);
    return true;
  } catch {
    return false;
  }
}

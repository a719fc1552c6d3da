/**
 * InputReader: reads, defaults and reports on raw inputs, in the naming style of the front end that asked.
 *
 * A bad value fails with ONE line that names the input the way the user wrote it (GitHub, Azure or CLI),
 * says what is wrong and shows a right value. The platforms' target grammars read their inputs through it
 * too, so their messages have the same shape. Helpers the grammars share (duplicate lines, the target
 * bound, identifiers in URL paths) are here as well.
 */
import { editDistance } from '../names.js';
import type { Mode, Platform } from '../settings.js';
import { errorText, listWords } from '../text.js';
import { displayName, isBooleanInput, type InputDef, type NameStyle } from './table.js';
import { BARE_NUMBER, bareNumberProblem, parseBoolean, parseDuration, quote } from './values.js';

/** An invalid input: the message is one line, names the input and gives an example of a right value. */
export class InputError extends Error {
  /** Canonical (kebab-case) name of the input at fault. */
  readonly input: string;
  constructor(input: string, message: string) {
    super(oneLine(message));
    this.name = 'InputError';
    this.input = input;
  }
}

/** Raw input values by kebab-case name; undefined or blank means "not set". */
export type RawInputs = (name: string) => string | undefined;

export interface ParseOptions {
  /** How input names appear in messages; default github. */
  nameStyle?: NameStyle;
  /** The key from an Azure service connection, used when `api-key` is empty. */
  apiKeyFallback?: string;
  /** The server URL from an Azure service connection, used when `base-url` is empty. */
  baseUrlFallback?: string;
}

export interface Line {
  text: string;
  /** 1-based, counting blank lines, so it matches what the user sees. */
  number: number;
}

/** Whether a value came from the input itself or from the Azure service connection. */
export type ValueSource = 'input' | 'fallback';

export interface FailOptions {
  line?: number;
  /** Overrides the input's own example. */
  example?: string | undefined;
  source?: ValueSource;
}

/** The unit a bare number most likely meant, per duration input, for the example in the message. */
const LIKELY_UNIT: Readonly<Record<string, string>> = { timeout: 'm', 'poll-interval': 's', 'max-age': 'h' };

export class InputReader {
  readonly style: NameStyle;
  readonly warnings: string[] = [];
  private readonly byName: ReadonlyMap<string, InputDef>;

  constructor(
    /** The whole input table (every platform's rows). */
    readonly table: readonly InputDef[],
    private readonly raw: RawInputs,
    readonly options: ParseOptions,
  ) {
    this.style = options.nameStyle ?? 'github';
    this.byName = new Map(table.map((def) => [def.name, def]));
  }

  /** The definition of an input; an unknown name is a programming error. */
  def(name: string): InputDef {
    const def = this.byName.get(name);
    if (!def) throw new Error(`Unknown input '${name}'. Known inputs: ${this.table.map((d) => d.name).join(', ')}`);
    return def;
  }

  /** The trimmed value, or undefined when not set. */
  value(name: string): string | undefined {
    this.def(name); // guards against typos in the callers
    const text = this.raw(name)?.trim();
    return text === undefined || text === '' ? undefined : text;
  }

  valueOrDefault(name: string): string {
    const value = this.value(name) ?? this.def(name).default;
    if (value === undefined) throw new Error(`internal: input '${name}' has no default`);
    return value;
  }

  /** Set to something other than its default (GitHub and Azure pass defaults, so those do not count). */
  isGiven(name: string): boolean {
    const value = this.value(name);
    return value !== undefined && !isDefaultValue(this.def(name), value);
  }

  /** The non-blank lines of a multi-line input, trimmed. */
  lines(name: string): Line[] {
    if (this.value(name) === undefined) return [];
    return (this.raw(name) ?? '')
      .split(/\r\n|\r|\n/)
      .map((text, i) => ({ text: text.trim(), number: i + 1 }))
      .filter((line) => line.text !== '');
  }

  name(name: string): string {
    return `'${displayName(this.def(name), this.style)}'`;
  }

  subject(name: string, source: ValueSource = 'input'): string {
    const from = source === 'fallback' ? ' (from the service connection)' : '';
    return `Input ${this.name(name)}${from}`;
  }

  /** `name: value` for YAML hosts, `--name value` for the CLI: an example that involves another input. */
  assignment(name: string, value: string): string {
    const def = this.def(name);
    return this.style === 'cli' ? `${displayName(def, 'cli')} ${value}` : `${displayName(def, this.style)}: ${value}`;
  }

  example(def: InputDef): string {
    if (!def.secret) return def.example;
    // A secret's example is a reference to a secret store, which each host spells differently.
    switch (this.style) {
      case 'github':
        return def.example;
      case 'azure':
        return '$(orchestrationApiKey)';
      case 'cli':
        return '"$ORCHESTRATION_API_KEY"';
    }
  }

  /**
   * Throws `Input 'x' <problem>. Example: <value>`. The problem is either a predicate ("is required") or,
   * starting with ':', a statement ("': 'abc' is not a duration"); with a line number it is always a statement.
   */
  fail(name: string, problem: string, options: FailOptions = {}): never {
    const def = this.def(name);
    const statement = problem.replace(/^:\s*/, '');
    const body =
      options.line !== undefined
        ? ` line ${options.line}: ${statement}`
        : problem.startsWith(':')
          ? `: ${statement}`
          : ` ${problem}`;
    const text = `${this.subject(name, options.source)}${body}`.replace(/[.\s]+$/, '');
    throw new InputError(name, `${text}. Example: ${options.example ?? this.example(def)}`);
  }

  warn(message: string): void {
    this.warnings.push(message);
  }

  /** Characters no input may hold; the key has its own checks that never quote it. */
  checkCharacters(): void {
    for (const def of this.table) {
      if (def.secret) continue;
      const value = this.value(def.name);
      if (value === undefined) continue;
      if (/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/.test(value)) this.fail(def.name, 'contains a control character');
      if (!def.multiline && /[\r\n]/.test(value)) this.fail(def.name, 'must be a single line');
    }
  }

  /** An input of another platform or mode, set to a non-default value, is a mistake worth stopping for. */
  checkOwnership(platform: Platform, mode: Mode): void {
    for (const def of this.table) {
      if (!this.isGiven(def.name)) continue;
      if (def.platforms && !def.platforms.includes(platform)) {
        const owners = def.platforms.length === 1 ? `platform ${def.platforms[0]}` : `platforms ${listWords(def.platforms)}`;
        this.fail(def.name, `applies to ${owners} only (platform is ${platform}); remove it or change the platform`, {
          example: this.assignment('platform', def.platforms[0]!),
        });
      }
      if (def.modes && !def.modes.includes(mode)) {
        const owners = def.modes.length === 1 ? `mode ${def.modes[0]}` : `modes ${listWords(def.modes)}`;
        this.fail(def.name, `applies to ${owners} only (mode is ${mode}); remove it or change the mode`, {
          example: this.assignment('mode', def.modes[0]!),
        });
      }
    }
  }

  /** A pick-list value, matched case-insensitively, with a suggestion for a near miss. */
  choice<T extends string>(name: string): T {
    const def = this.def(name);
    const options = def.options ?? [];
    const value = this.value(name);
    if (value === undefined) {
      if (def.default !== undefined) return def.default as T;
      return this.fail(name, `is required: ${listWords(options, 'or')}`);
    }
    const match = options.find((o) => o.toLowerCase() === value.toLowerCase());
    if (match !== undefined) return match as T;
    const guess = closest(value, options);
    const hint = guess ? `; did you mean ${guess}?` : '.';
    return this.fail(name, `: unknown value ${quote(value)}${hint} Valid values: ${options.join(', ')}`, {
      example: guess ?? def.example,
    });
  }

  boolean(name: string): boolean {
    try {
      return parseBoolean(this.valueOrDefault(name));
    } catch (error) {
      return this.fail(name, `: ${errorText(error)}`);
    }
  }

  duration(name: string): number {
    const text = this.valueOrDefault(name).trim();
    if (BARE_NUMBER.test(text) && Number(text) !== 0) {
      return this.fail(name, `: ${bareNumberProblem(text)}`, { example: `${text}${LIKELY_UNIT[name] ?? 'm'}` });
    }
    try {
      return parseDuration(text);
    } catch (error) {
      return this.fail(name, `: ${errorText(error)}`);
    }
  }

  optionalDuration(name: string): number | undefined {
    return this.value(name) === undefined ? undefined : this.duration(name);
  }

  integer(name: string, min: number, max: number): number {
    const text = this.valueOrDefault(name);
    const n = /^\d+$/.test(text) ? Number(text) : NaN;
    if (!Number.isSafeInteger(n) || n < min || n > max) {
      this.fail(name, `: ${quote(text)} is not a whole number from ${min} to ${max}`);
    }
    return n;
  }
}

function isDefaultValue(def: InputDef, value: string): boolean {
  if (def.default === undefined) return false;
  if (isBooleanInput(def)) {
    try {
      return parseBoolean(value) === parseBoolean(def.default);
    } catch {
      return false;
    }
  }
  return value.toLowerCase() === def.default.toLowerCase();
}

// ---------------------------------------------------------------------------------------------------------
// Helpers the platforms' target grammars share
// ---------------------------------------------------------------------------------------------------------

/**
 * The most targets one step follows, over all its target inputs together. Each target costs requests,
 * log lines, a summary row and part of the outputs; thousands would flood the platform and the CI log
 * (5,000 lines printed 774 KB). A bigger load belongs in a process map or pipeline, or in several steps.
 */
export const MAX_TARGETS = 200;

/**
 * Refuses more than MAX_TARGETS lines over the target inputs `names` (in the order targets are built),
 * before any line is read, naming the input whose lines go past the bound and the count.
 */
export function checkTargetCount(r: InputReader, names: readonly string[]): void {
  const counts = names.map((name) => ({ name, count: r.lines(name).length }));
  const total = counts.reduce((sum, c) => sum + c.count, 0);
  if (total <= MAX_TARGETS) return;
  let before = 0;
  const culprit = counts.find((c) => (before += c.count) > MAX_TARGETS)!;
  const others = counts.filter((c) => c !== culprit && c.count > 0);
  const with_ = others.length ? ` (with ${others.map((c) => `${c.count} in ${r.name(c.name)}`).join(' and ')})` : '';
  r.fail(
    culprit.name,
    `has ${culprit.count} line(s), ${total} targets in all${with_}; a step follows at most ${MAX_TARGETS} targets: split them over several steps, or run them as one process map or pipeline`,
  );
}

/** Workspace keys and space slugs go into URL paths as one segment. */
export function checkIdentifier(r: InputReader, name: string, value: string): void {
  if (value.includes('/')) r.fail(name, `: ${quote(value)} must not contain '/'; give the name alone`);
  if (/\s/.test(value)) r.fail(name, `: ${quote(value)} must not contain whitespace`);
}

/** Refuses a target listed twice in one input, naming both lines. */
export class DuplicateGuard {
  private readonly firstLine = new Map<string, number>();
  constructor(
    private readonly r: InputReader,
    private readonly name: string,
  ) {}
  check(key: string, line: Line): void {
    const first = this.firstLine.get(key);
    if (first !== undefined) {
      this.r.fail(this.name, `repeats ${quote(key)} (first on line ${first}); list each target once`, {
        line: line.number,
      });
    }
    this.firstLine.set(key, line.number);
  }
}

export function oneLine(text: string): string {
  return text.replace(/\s*[\r\n]+\s*/g, ' ');
}

/** The option nearest to a typo ('timeextender' → 'timextender'), or undefined when none is close. */
export function closest(value: string, options: readonly string[]): string | undefined {
  const word = value.toLowerCase();
  let best: { option: string; distance: number } | undefined;
  for (const option of options) {
    const distance = editDistance(word, option.toLowerCase());
    if (distance <= Math.max(2, Math.floor(option.length / 3)) && (!best || distance < best.distance)) {
      best = { option, distance };
    }
  }
  return best?.option;
}

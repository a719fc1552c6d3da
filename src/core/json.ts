/**
 * Tolerant readers for server JSON: providers parse each answer into typed objects once, accepting the
 * field aliases a platform is known (or suspected) to use and ignoring extra fields.
 */

export type JsonObject = Record<string, unknown>;

export function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The first present (not undefined/null) field among `names`. */
export function pick(obj: JsonObject, ...names: string[]): unknown {
  for (const name of names) {
    const value = obj[name];
    if (value !== undefined && value !== null) return value;
  }
  return undefined;
}

export function str(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  return undefined;
}

export function num(value: unknown): number | undefined {
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  if (typeof value === 'string' && value.trim() !== '' && Number.isFinite(Number(value))) return Number(value);
  return undefined;
}

/** An array answer, or the list inside a known envelope (`items`, `data`, `results`). */
export function listOf(value: unknown, ...envelopeKeys: string[]): unknown[] | undefined {
  if (Array.isArray(value)) return value;
  if (isObject(value)) {
    for (const key of envelopeKeys.length ? envelopeKeys : ['items', 'data', 'results']) {
      const inner = value[key];
      if (Array.isArray(inner)) return inner;
    }
  }
  return undefined;
}

/** Thrown when an answer does not have the shape the API documents; the message names what was expected. */
export class ShapeError extends Error {
  constructor(what: string, got: unknown) {
    const kind = Array.isArray(got) ? 'an array' : got === null ? 'null' : typeof got;
    super(`unexpected answer: expected ${what}, got ${kind}`);
    this.name = 'ShapeError';
  }
}

/**
 * Value parsers shared by the reader, the platforms' grammars and the front ends: durations, booleans, time
 * zones, ISO 8601 instants. Each throws an Error whose message completes "Input 'x': …".
 */
import { truncate } from '../text.js';

/** A user value inside a message: on one line, printable, and short. */
export function quote(value: string): string {
  return `'${truncate(value.replace(/[\u0000-\u001f\u007f]+/g, ' '), 60)}'`;
}

export const DURATION_UNITS_MS: Readonly<Record<string, number>> = {
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
};
const DURATION_HINT = 'use a number with a unit: 90s, 45m, 2h, 1h30m, 500ms or 1d';

/** A number without a unit: `90`, `1.5`. */
export const BARE_NUMBER = /^\d+(\.\d+)?$/;

/**
 * A duration in milliseconds: `90s`, `45m`, `2h`, `1h30m`, `500ms`, `1d`. A bare number is refused: read as
 * seconds, `timeout: 90` meant to be 90 minutes would give up after a minute and a half, and `max-age: 24`
 * meant to be a day would refuse every load. Zero and negative values are refused: every duration input
 * here is a limit or a gap, and zero would mean "never wait" or a busy loop.
 */
export function parseDuration(text: string): number {
  const value = text.trim();
  if (value === '') throw new Error(`the duration is empty; ${DURATION_HINT}`);
  if (value.startsWith('-')) throw new Error(`${quote(value)} is negative; a duration must be greater than zero`);
  if (BARE_NUMBER.test(value)) throw new Error(bareNumberProblem(value));

  // Components such as `1h30m` or `1h 30m`; the sticky regex must consume the whole text.
  const component = /\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)/iy;
  let ms = 0;
  let consumed = 0;
  let match: RegExpExecArray | null;
  while ((match = component.exec(value)) !== null) {
    ms += Number(match[1]) * DURATION_UNITS_MS[match[2]!.toLowerCase()]!;
    consumed = component.lastIndex;
  }
  if (consumed === 0 || consumed !== value.length) throw new Error(`${quote(value)} is not a duration; ${DURATION_HINT}`);
  if (!Number.isFinite(ms)) throw new Error(`${quote(value)} is too long`);
  ms = Math.round(ms);
  if (ms <= 0) throw new Error(`${quote(value)} is zero; a duration must be greater than zero`);
  return ms;
}

export function bareNumberProblem(value: string): string {
  if (Number(value) === 0) return `${quote(value)} is zero; a duration must be greater than zero, with a unit`;
  return `${quote(value)} has no unit, and a bare number is not a duration; write ${value}s, ${value}m or ${value}h`;
}

const TRUE_WORDS = new Set(['true', 'yes', '1', 'on']);
const FALSE_WORDS = new Set(['false', 'no', '0', 'off']);

/** true/false, yes/no, 1/0, on/off, case-insensitive. */
export function parseBoolean(text: string): boolean {
  const word = text.trim().toLowerCase();
  if (TRUE_WORDS.has(word)) return true;
  if (FALSE_WORDS.has(word)) return false;
  throw new Error(`${quote(text.trim())} is not a boolean; use true or false`);
}

/** An IANA zone name the runtime knows, `UTC`/`Z`, or an offset like `+01:00` / `-0530`. */
export function isTimeZone(text: string): boolean {
  if (/^(Z|UTC|[+-]\d{2}:?\d{2})$/i.test(text)) return true;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: text });
    return true;
  } catch {
    return false;
  }
}

const ISO_DATE_TIME =
  /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(\.\d{1,9})?)?(Z|[+-]\d{2}(?::?\d{2})?)?)?$/i;

/**
 * Milliseconds since the epoch of an ISO 8601 date or date-time, or undefined when it is not one or names
 * an impossible day. Values without an offset are read as UTC: good enough to compare start and end.
 */
export function isoInstant(text: string): number | undefined {
  const m = ISO_DATE_TIME.exec(text);
  if (!m) return undefined;
  const [year, month, day] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const [hour, minute, second] = [Number(m[4] ?? 0), Number(m[5] ?? 0), Number(m[6] ?? 0)];
  if (month < 1 || month > 12 || hour > 23 || minute > 59 || second > 59) return undefined;
  const utc = Date.UTC(year, month - 1, day, hour, minute, second);
  if (new Date(utc).getUTCDate() !== day) return undefined; // 2024-02-30 rolls over to March
  const fraction = m[7] ? Math.round(Number(m[7]) * 1000) : 0;
  return utc + fraction - offsetMs(m[8]);
}

function offsetMs(zone: string | undefined): number {
  if (zone === undefined || zone.toUpperCase() === 'Z') return 0;
  const sign = zone.startsWith('-') ? -1 : 1;
  const digits = zone.slice(1).replace(':', '');
  return sign * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2) || '0')) * 60_000;
}

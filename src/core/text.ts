/**
 * Small text helpers every part of the product shares: one `truncate`, one `errorText`, one `listWords`.
 * Nothing here knows about CI commands or secrets (that is untrusted.ts).
 */

export interface TruncateOptions {
  /** What replaces the cut part, given how many characters were cut (default `…`). */
  suffix?: (cut: number) => string;
  /** Room kept for the suffix inside `max` (default 1, the length of `…`): `max` is then a hard limit. */
  reserve?: number;
}

/**
 * At most `max` characters (plus the suffix beyond `reserve`), never splitting a surrogate pair:
 * `truncate('abcdef', 4)` is `abc…`.
 */
export function truncate(text: string, max: number, options: TruncateOptions = {}): string {
  if (text.length <= max) return text;
  const reserve = options.reserve ?? 1;
  let cut = Math.max(0, max - reserve);
  if (/[\uD800-\uDBFF]/.test(text[cut - 1] ?? '')) cut--;
  return text.slice(0, cut) + (options.suffix ?? (() => '…'))(text.length - cut);
}

/** The message of an error, or the thing thrown as text. */
export function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** `a, b and c` (or `a, b or c`). */
export function listWords(words: readonly string[], conjunction = 'and'): string {
  if (words.length <= 1) return words.join('');
  return `${words.slice(0, -1).join(', ')} ${conjunction} ${words[words.length - 1]}`;
}

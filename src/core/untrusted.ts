/**
 * Neutralizing text that comes from the server before it reaches a CI log, a job summary or a report.
 *
 * Logs, task names and error messages are written by whoever controls the data platform (or the data it
 * processes). Printed verbatim, a line could act as a workflow command: GitHub's runner acts on a line that,
 * after leading whitespace, starts with `::`; the Azure agent acts on `##vso[` anywhere in a line, and both
 * treat `##[` as a formatting or legacy command prefix. The functions here keep such text readable while
 * making sure it can never drive the runner.
 *
 * The breaking character is a visible middle dot (U+00B7) between the two characters of a prefix
 * (`:·:error::`, `#·#vso[`). Both runners compare with culture-sensitive StartsWith/IndexOf, under which ICU
 * skips zero-width characters; a character with a collation weight of its own breaks the prefix under either
 * comparison. The tests simulate both parsers.
 *
 * This is also the one place that masks secrets (secretMasker, secretPieces): the HTTP client, the input
 * parser, the log file and the front ends all mask through it.
 */
import { truncate } from './text.js';

/**
 * Inserted between the two characters of a command prefix (`:·:`, `#·#vso[`). A visible middle dot, not a
 * zero-width space: the runners compare culture-sensitively (ICU), which skips zero-width characters, so
 * only a character with a collation weight of its own reliably breaks the prefix.
 */
const BREAKER = '\u00B7';

/** Longest line printed; longer server lines (minified JSON, base64 blobs) only bury the useful ones. */
export const MAX_LINE_LENGTH = 4000;
/** Longest text in a markdown table cell, so one long message cannot blow up the summary table. */
export const MAX_CELL_LENGTH = 200;

/**
 * ANSI/ECMA-48 escape sequences, 7-bit and 8-bit (C1) introducers:
 * - string sequences (OSC, incl. OSC 8 hyperlinks; DCS, SOS, PM, APC) up to BEL or ST; they never span a line,
 *   so an unterminated one cannot swallow the lines after it;
 * - CSI: parameter bytes, intermediate bytes, one final byte;
 * - any other ESC sequence: intermediate bytes and one final byte.
 * What is left of a malformed sequence is caught by CONTROL_CHARS below.
 */
const ESCAPE_SEQUENCE =
  /(?:\x1b[\]PX^_]|[\x90\x98\x9d\x9e\x9f])[^\x07\x1b\x9c\n\r\u0085\u2028\u2029]*(?:\x07|\x1b\\|\x9c)|(?:\x1b\[|\x9b)[\x30-\x3f]*[\x20-\x2f]*[\x40-\x7e]|\x1b[\x20-\x2f]*[\x30-\x7e]/g;

/** C0, DEL and C1 controls, except tab and the line breaks (CR, LF, NEL) that splitLines deals with. */
const CONTROL_CHARS = /[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x84\x86-\x9f]/g;

/** A high surrogate not followed by a low one, or a low surrogate not preceded by a high one. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/** Every sequence a runner, a terminal or a log viewer may take as the end of a line. */
const LINE_BREAK = /\r\n|[\n\r\u0085\u2028\u2029]/;
const LINE_BREAKS = /\r\n|[\n\r\u0085\u2028\u2029]/g;

/**
 * `::` at the start of the line after whitespace. Format characters (zero-width space, BOM, word joiner…)
 * count as leading too: they are invisible, so breaking a `::` behind them costs nothing.
 */
const LEADING_COLONS = /^([\s\p{Cf}]*):(?=:)/u;

/** The first `#` of a `##` that starts `##[`, `## [` or `##vso` in any case. */
const HASH_COMMAND = /#(?=#(?:\s*\[|vso))/giu;

/**
 * Removes terminal escape sequences and control characters (tab and line breaks stay), and replaces lone
 * surrogates with U+FFFD. Whole escape sequences go first: removing only their ESC would leave `[31m` behind.
 * Removing characters can join `:\x00:` into `::`, which is why neutralizeLine looks for commands afterwards.
 */
export function stripControl(text: string): string {
  return text.replace(ESCAPE_SEQUENCE, '').replace(CONTROL_CHARS, '').replace(LONE_SURROGATE, '\uFFFD');
}

/** Splits on every line break a runner or viewer honours, so a bare CR cannot smuggle a second line in. */
export function splitLines(text: string): string[] {
  return text.split(LINE_BREAK);
}

/**
 * One line that cannot act as a workflow or logging command on GitHub Actions or Azure Pipelines.
 * A value holding line breaks is kept on one line (breaks become spaces): a caller asking for one line must
 * get one line, since the next "line" would otherwise be free to start with `::`.
 */
export function neutralizeLine(line: string): string {
  let out = stripControl(line).replace(LINE_BREAKS, ' ');
  out = out.replace(LEADING_COLONS, `$1:${BREAKER}`);
  out = out.replace(HASH_COMMAND, `#${BREAKER}`);
  // Text is often neutralized twice (the report, then the host); a line already cut keeps its count.
  if (out.length <= MAX_LINE_LENGTH + 40 && ALREADY_TRUNCATED.test(out)) return out;
  return truncate(out, MAX_LINE_LENGTH, { suffix: (rest) => `… (${rest} more characters)`, reserve: 0 });
}

const ALREADY_TRUNCATED = /… \(\d+ more characters\)$/;

/** Multi-line server text made safe to print: each line neutralized, joined with `\n`. */
export function neutralize(text: string): string {
  return splitLines(text).map(neutralizeLine).join('\n');
}

/**
 * Cleaning order for server text, wherever it is printed or written (log lines, the log file, the summary,
 * JSON): 1. remove control characters and escape sequences (stripControl), 2. mask secrets, 3. break CI
 * commands (neutralize, neutralizeJson). Masking first would let a key split by an escape sequence
 * (`txk_ab<ESC>[0mcd`) pass the masker and be joined back into one piece by the stripping after it. The
 * masker below therefore strips before it masks, so every caller gets steps 1 and 2 in that order.
 */

/**
 * Masks secrets as they may appear in server text: raw, URL-encoded, JSON-escaped and base64 (standard and
 * URL-safe alphabets, with and without padding). Base64 is also matched when the secret was encoded as
 * part of a longer value (e.g. `user:secret` in a Basic authorization header): there the secret's bytes
 * start at any of three offsets within a base64 group, so the encodings of the three alignments are masked,
 * minus the edge characters that depend on neighbouring bytes.
 * Secrets shorter than 4 characters are ignored: masking every "abc" would destroy the log and reveal more
 * about the secret than it hides. Longer patterns go first so a secret containing another is masked whole.
 */
export function maskSecrets(text: string, secrets: readonly string[]): string {
  // Control characters and escape sequences are removed first (see the cleaning order above): the result
  // holds none, so nothing done to it later can join the pieces of a key. Serialized JSON that holds them
  // is cleaned string by string (see secretMasker), so it stays valid JSON.
  return secretMasker(secrets)(text);
}

/**
 * The pieces of a secret value worth masking: the value as given, trimmed, and each whitespace-separated
 * part of 8 characters or more (a key pasted as `Bearer <key>` or with a line break). Shorter parts are
 * skipped: masking `Bearer` or two letters everywhere would garble messages without protecting anything.
 */
export function secretPieces(value: string | undefined): string[] {
  if (!value || value.trim() === '') return [];
  const pieces = new Set([value, value.trim()]);
  for (const part of value.split(/\s+/)) if (part.length >= 8) pieces.add(part);
  return [...pieces];
}

/**
 * maskSecrets with the forms worked out once, for masking many lines (a log of 200,000 lines) cheaply:
 * each line costs one `includes` per form. `json: false` masks serialized JSON as plain text (for excerpts
 * that must keep their exact layout, such as an error body's first 500 characters).
 */
export function secretMasker(secrets: readonly string[], options: { json?: boolean } = {}): (text: string) => string {
  const patterns = new Set<string>();
  for (const secret of secrets) {
    // A multi-line secret (a PEM key) is printed line by line, so each line is a secret of its own.
    const parts = [secret, ...(LINE_BREAK.test(secret) ? splitLines(secret) : [])];
    for (const part of parts) {
      // The text is stripped before it is masked, so a secret holding a control character is looked for
      // in its stripped form too.
      for (const variant of new Set([part, stripControl(part)])) {
        if (variant.length < MIN_SECRET_LENGTH) continue;
        for (const form of secretForms(variant)) patterns.add(form);
      }
    }
  }
  const ordered = [...patterns].sort((a, b) => b.length - a.length);
  const maskText = (text: string): string => {
    let out = UNCLEAN.test(text) ? stripControl(text) : text;
    for (const pattern of ordered) {
      if (out.includes(pattern)) out = out.split(pattern).join('***');
    }
    return out;
  };
  return (text: string) => {
    // Serialized JSON (a result, saved state) holding control characters, raw or escaped, is cleaned string
    // by string: stripping the text itself could cut a JSON escape in half, and an escaped `\u001b[0m`
    // between two halves of a key would survive the text masker and be decoded by whoever parses the JSON.
    if (options.json !== false && JSON_START.test(text) && (UNCLEAN.test(text) || ESCAPED_CONTROL.test(text))) {
      const masked = maskParsedJson(text, maskText);
      if (masked !== undefined) return masked;
    }
    return maskText(text);
  };
}

const JSON_START = /^\s*[[{"]/;
/** A JSON escape of a character stripControl removes (C0, DEL, C1) or of a lone surrogate. */
const ESCAPED_CONTROL = /\\u(?:00[01][0-9a-f]|007f|008[0-46-9a-f]|009[0-9a-f]|d[89a-f][0-9a-f]{2})/i;

/** Any character stripControl would remove or replace; most lines hold none and skip the stripping. */
const UNCLEAN = /[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x84\x86-\x9f\uD800-\uDFFF]/;

/**
 * Masks the strings (keys and values) of serialized JSON and serializes it again, in the same layout
 * (compact, or indented as its first line is). The masker strips control characters, and on serialized JSON that
 * could cut an escape in half (a C1 introducer taking the backslash of `\"` as its final byte) or leave
 * a key split by an escaped `\u001b[0m`; string by string, neither can happen. Text that is not JSON is
 * masked as text.
 */
export function maskJsonStrings(json: string, mask: (text: string) => string): string {
  return maskParsedJson(json, mask) ?? mask(json);
}

/** maskJsonStrings, or undefined when the text is not JSON. The indentation of the first line is kept. */
function maskParsedJson(json: string, mask: (text: string) => string): string | undefined {
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch {
    return undefined;
  }
  const walk = (v: unknown): unknown => {
    if (typeof v === 'string') return mask(v);
    if (Array.isArray(v)) return v.map(walk);
    if (v !== null && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [mask(k), walk(x)]));
    return v;
  };
  const indent = /^\s*[[{]\r?\n( +|\t)/.exec(json)?.[1];
  return JSON.stringify(walk(value), null, indent);
}

/** `#` anywhere, the colons of `::`, and characters some viewers take as line breaks or controls. */
const JSON_RISKY = /#|:(?=:)|(?<=:):|[\u007f-\u009f\u2028\u2029]/g;

/**
 * Serialized JSON that no CI runner acts on, and that parses back to the same data. The Azure agent acts on
 * `##vso[` (and `##[`) anywhere in a line and GitHub's runner on a line starting with `::`; server text
 * inside JSON strings can hold either. Every `#` becomes `\u0023`, every colon of a `::` `\u003a`, and DEL,
 * C1 controls and the Unicode line and paragraph separators their `\uXXXX` escapes. This is safe on any
 * output of JSON.stringify: outside strings JSON has no `#`, no two adjacent colons and none of those
 * characters, and inside a string none of them can follow a backslash that starts an escape.
 */
export function neutralizeJson(json: string): string {
  return json.replace(JSON_RISKY, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

const MIN_SECRET_LENGTH = 4;
/** Shorter base64 fragments of an embedded secret would match ordinary words; they are not masked. */
const MIN_FRAGMENT_LENGTH = 8;

function secretForms(secret: string): string[] {
  const forms = [secret];
  const encoded = safeEncodeURIComponent(secret);
  if (encoded !== undefined) forms.push(encoded);
  forms.push(JSON.stringify(secret).slice(1, -1));

  const bytes = Buffer.from(secret, 'utf8');
  const whole = bytes.toString('base64');
  forms.push(whole, whole.replace(/=+$/, ''), toUrlSafe(whole), toUrlSafe(whole).replace(/=+$/, ''));

  for (const shift of [0, 1, 2]) {
    const fragment = base64Fragment(bytes, shift);
    if (fragment.length >= MIN_FRAGMENT_LENGTH) forms.push(fragment, toUrlSafe(fragment));
  }
  return forms.filter((f) => f.length >= MIN_SECRET_LENGTH);
}

/**
 * The base64 characters that depend only on the secret when it is encoded after `shift` other bytes.
 * Leading characters made of (or mixing in) the preceding bytes are dropped, and so is a trailing partial
 * character, whose low bits come from whatever follows the secret.
 */
function base64Fragment(bytes: Buffer, shift: number): string {
  const encoded = Buffer.concat([Buffer.alloc(shift), bytes]).toString('base64').replace(/=+$/, '');
  // shift 1: 8 filler bits fill one character and 2 bits of the next; shift 2: 16 bits, two and 4 bits.
  const lead = [0, 2, 3][shift]!;
  const fullChars = Math.floor(((shift + bytes.length) * 8) / 6);
  return encoded.slice(lead, fullChars);
}

function toUrlSafe(base64: string): string {
  return base64.replace(/\+/g, '-').replace(/\//g, '_');
}

function safeEncodeURIComponent(text: string): string | undefined {
  try {
    return encodeURIComponent(text);
  } catch {
    // Lone surrogates cannot be URL-encoded; such a secret cannot appear URL-encoded either.
    return undefined;
  }
}

/**
 * Server text made safe inside a markdown table cell (and inline markdown in general): neutralized, on one
 * line, with the characters that end a cell, open a code span, a link or an HTML tag escaped, and at most
 * 200 characters. Truncation happens before escaping so that an escape or an entity is never cut in half.
 */
export function markdownCell(text: string): string {
  const flat = flatten(text);
  const short = truncate(flat, MAX_CELL_LENGTH);
  return short.replace(/[\\|`*_[\]]/g, '\\$&').replace(/[&<>]/g, (c) => HTML_ENTITIES[c]!);
}

const HTML_ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' };

/**
 * A fenced code block holding the lines. The fence is longer than any run of backticks in the content, so no
 * line can close it early and turn the rest into live markdown or HTML (e.g. a `</details>` ending the
 * block the excerpt sits in). Lines are neutralized too: people copy from summaries into terminals.
 */
export function markdownCodeBlock(lines: readonly string[]): string {
  const body = lines.flatMap((line) => splitLines(line).map(neutralizeLine));
  let longestRun = 0;
  for (const line of body) {
    for (const run of line.match(/`+/g) ?? []) longestRun = Math.max(longestRun, run.length);
  }
  const fence = '`'.repeat(Math.max(3, longestRun + 1));
  return [fence, ...body, fence].join('\n');
}

/** Characters XML 1.0 forbids (a surrogate pair is matched whole and kept). */
const XML_INVALID = /[\uD800-\uDBFF][\uDC00-\uDFFF]|[\x00-\x08\x0b\x0c\x0e-\x1f\uD800-\uDFFF\uFFFE\uFFFF]/g;

/**
 * Text safe in an XML attribute value or element content: the five special characters escaped, characters
 * XML 1.0 does not allow removed (a single one makes the whole report unreadable to a JUnit parser).
 */
export function xmlEscape(text: string): string {
  return text
    .replace(XML_INVALID, (m) => (m.length === 2 ? m : ''))
    .replace(/[&<>"']/g, (c) => HTML_ENTITIES[c]!);
}

/** Server text as one neutralized line, for places that hold a single line (cells, headings, attributes). */
export function flatten(text: string): string {
  return splitLines(text)
    .map(neutralizeLine)
    .map((l) => l.trim())
    .filter((l) => l !== '')
    .join(' ');
}


/**
 * Server text fit for an error message: escape sequences and control characters removed (bidi and
 * zero-width marks too, which can make a line read differently from what it holds), secrets masked through
 * the one masker (untrusted.ts), then cut to length, so no secret is ever cut in half.
 */
import { truncate } from '../text.js';
import { secretMasker } from '../untrusted.js';

const ANSI_ESCAPE = /\u001b(?:\[[0-?]*[ -/]*[@-~]|\][^\u0007\u001b]*(?:\u0007|\u001b\\)?|[@-Z\\-_])/g;
// Control characters other than tab and newline, plus the invisible bidi and zero-width marks that can
// make a printed line read differently from what it contains.
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]/g;

export interface ServerText {
  /** One line for a message: breaks become spaces, runs of spaces one, masked, at most `max` characters. */
  line(text: string, max?: number): string;
  /** The start of a body for `ApiError.bodyText`: line breaks kept, other control characters removed. */
  excerpt(text: string, max?: number): string;
}

export function serverText(secrets: readonly string[]): ServerText {
  // As text: an excerpt of a JSON body keeps its exact layout.
  const mask = secretMasker(secrets, { json: false });
  // A masked form may be up to three times the secret's length (URL encoding): mask over a window that long
  // past the excerpt, so a secret straddling the cut is masked, not halved.
  const margin = 3 * Math.max(0, ...secrets.map((s) => s.length));
  return {
    line(text, max = 300) {
      const line = text
        .replace(ANSI_ESCAPE, '')
        .replace(/[\r\n\t\u2028\u2029]+/g, ' ')
        .replace(CONTROL, '')
        .replace(/ {2,}/g, ' ')
        .trim();
      return truncate(mask(line), max);
    },
    excerpt(text, max = 500) {
      const window = text.slice(0, max + margin);
      const stripped = window.replace(ANSI_ESCAPE, '').replace(/\r\n?/g, '\n').replace(CONTROL, '');
      return truncate(mask(stripped), max);
    },
  };
}

/**
 * Secret hygiene: finds an API key in what a front end produced (stdout, stderr, summary, outputs, state,
 * log files), in every form a careless program or a chatty server could print it:
 *
 * - raw, and JSON-escaped (a key with `"` or `\` inside a JSON document);
 * - URL-encoded (`encodeURIComponent`, and the `+`-for-space form of a query string);
 * - base64, standard and URL-safe alphabets, with and without padding, of the key alone;
 * - base64 of the key inside a longer value (`Bearer <key>`, `user:<key>` in a Basic header, `<key>:`):
 *   the key's bytes then start at any of the three offsets of a base64 group, so for each offset the
 *   characters that depend on the key alone are looked for (the edge characters mix in neighbouring bytes);
 *   plus the whole encodings of the usual wrappers;
 * - a long piece of the raw key (the product promises never to echo the key "not even partly").
 *
 * This file deliberately does not reuse the product's masking code (src/core/untrusted.ts): a proof that
 * checks the masker with the masker's own idea of a leak proves nothing.
 */

/** The shortest base64 run of an embedded key that is still looked for (shorter ones match ordinary words). */
const MIN_FRAGMENT = 8;
/** A piece of the raw key this long (or the whole key, when shorter) counts as a partial echo. */
export const PARTIAL_WINDOW = 12;

export interface SecretForm {
  /** e.g. 'raw', 'base64url', 'base64 of "Bearer <key>"', 'base64 fragment (offset 1)'. */
  name: string;
  text: string;
}

const b64 = (text: string | Buffer) => Buffer.from(text).toString('base64');
const urlSafe = (base64: string) => base64.replace(/\+/g, '-').replace(/\//g, '_');
const unpadded = (base64: string) => base64.replace(/=+$/, '');

/** Every form of the secret that findLeaks looks for, longest first. */
export function secretForms(secret: string): SecretForm[] {
  const forms: SecretForm[] = [];
  const add = (name: string, text: string) => {
    if (text.length >= 4 && !forms.some((f) => f.text === text)) forms.push({ name, text });
  };
  add('raw', secret);
  add('JSON-escaped', JSON.stringify(secret).slice(1, -1));
  add('URL-encoded', encodeURIComponent(secret));
  add('form-encoded', new URLSearchParams({ k: secret }).toString().slice(2));
  const whole = b64(secret);
  add('base64', whole);
  add('base64 (unpadded)', unpadded(whole));
  add('base64url', urlSafe(whole));
  add('base64url (unpadded)', unpadded(urlSafe(whole)));
  for (const wrapper of [`Bearer ${secret}`, `bearer ${secret}`, `${secret}:`, `:${secret}`, `api-key:${secret}`, `X-API-Key: ${secret}`]) {
    const encoded = b64(wrapper);
    add(`base64 of "${wrapper.replace(secret, '<key>')}"`, unpadded(encoded));
    add(`base64url of "${wrapper.replace(secret, '<key>')}"`, unpadded(urlSafe(encoded)));
  }
  const bytes = Buffer.from(secret, 'utf8');
  for (const shift of [0, 1, 2]) {
    const fragment = embeddedFragment(bytes, shift);
    if (fragment.length >= MIN_FRAGMENT) {
      add(`base64 fragment (offset ${shift})`, fragment);
      add(`base64url fragment (offset ${shift})`, urlSafe(fragment));
    }
  }
  return forms.sort((a, b) => b.text.length - a.text.length);
}

/**
 * The base64 characters of `bytes` encoded after `shift` other bytes that depend on `bytes` only: the leading
 * characters holding (some of) the preceding bytes and the trailing partial character are dropped.
 */
function embeddedFragment(bytes: Buffer, shift: number): string {
  const encoded = unpadded(Buffer.concat([Buffer.alloc(shift), bytes]).toString('base64'));
  const firstClean = Math.ceil((shift * 8) / 6);
  const lastClean = Math.floor(((shift + bytes.length) * 8) / 6);
  return encoded.slice(firstClean, lastClean);
}

/**
 * Where the secret leaked: one description per (text, form) found, e.g. `text 2: base64url at 120: "…"`.
 * Empty when nothing leaked. `texts` are whole outputs (stdout, a summary file…), searched as they are.
 */
export function findLeaks(texts: string[], secret: string): string[] {
  if (secret.length < 4) throw new Error('findLeaks: a secret shorter than 4 characters cannot be told from ordinary text');
  const forms = secretForms(secret);
  const windows = partialWindows(secret);
  const leaks: string[] = [];
  texts.forEach((text, index) => {
    let found = false;
    for (const form of forms) {
      const at = text.indexOf(form.text);
      if (at >= 0) {
        leaks.push(`text ${index}: ${form.name} at ${at}: ${context(text, at, form.text.length)}`);
        found = true;
      }
    }
    if (found) return; // a whole form found: its pieces would only repeat it
    for (const piece of windows) {
      const at = text.indexOf(piece);
      if (at >= 0) {
        leaks.push(`text ${index}: a ${piece.length}-character piece of the raw key at ${at}: ${context(text, at, piece.length)}`);
        break;
      }
    }
  });
  return leaks;
}

function partialWindows(secret: string): string[] {
  if (secret.length <= PARTIAL_WINDOW) return [secret];
  const out: string[] = [];
  for (let i = 0; i + PARTIAL_WINDOW <= secret.length; i++) out.push(secret.slice(i, i + PARTIAL_WINDOW));
  return out;
}

/** A short excerpt around a hit, with the hit itself replaced, so a failing assertion does not print the key. */
function context(text: string, at: number, length: number): string {
  const before = text.slice(Math.max(0, at - 30), at);
  const after = text.slice(at + length, at + length + 30);
  return JSON.stringify(`${before}<LEAK>${after}`);
}

/** A fresh random TimeXtender-shaped key, with characters that URL-encoding and base64 change when `specials`. */
export function randomKey(specials = false): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  let body = '';
  for (let i = 0; i < 32; i++) body += alphabet[Math.floor(Math.random() * alphabet.length)];
  return specials ? `txk_${body.slice(0, 10)}+/=%&${body.slice(10, 20)}` : `txk_${body}`;
}

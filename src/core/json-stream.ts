/**
 * Streams the items of a top-level JSON array without holding the whole body: a 25 MB log is parsed one
 * entry at a time. Each item's text is handed to JSON.parse, so the items themselves may be any JSON.
 */
import { StringDecoder } from 'node:string_decoder';

export class JsonStreamError extends Error {}

export async function* jsonArrayItems(body: AsyncIterable<Buffer | Uint8Array | string>): AsyncGenerator<unknown> {
  const decoder = new StringDecoder('utf8');
  let started = false;
  let ended = false;
  let depth = 0;
  let inString = false;
  let escaped = false;
  let item = '';

  for await (const chunk of body) {
    const text = typeof chunk === 'string' ? chunk : decoder.write(Buffer.from(chunk));
    const items: unknown[] = [];
    let from = 0;
    for (let i = 0; i < text.length; i++) {
      const ch = text[i]!;
      if (!started) {
        if (ch === '[') {
          started = true;
          from = i + 1;
        } else if (!/\s/.test(ch)) {
          throw new JsonStreamError(`expected a JSON array, got '${ch}'`);
        }
        continue;
      }
      if (ended) {
        if (!/\s/.test(ch)) throw new JsonStreamError('unexpected text after the JSON array');
        continue;
      }
      if (inString) {
        if (escaped) escaped = false;
        else if (ch === '\\') escaped = true;
        else if (ch === '"') inString = false;
        continue;
      }
      if (ch === '"') inString = true;
      else if (ch === '{' || ch === '[') depth++;
      else if (ch === '}' || ch === ']') {
        if (depth === 0) {
          // the closing bracket of the top-level array
          item += text.slice(from, i);
          if (item.trim() !== '') items.push(parseItem(item));
          item = '';
          ended = true;
          continue;
        }
        depth--;
      } else if (ch === ',' && depth === 0) {
        item += text.slice(from, i);
        items.push(parseItem(item));
        item = '';
        from = i + 1;
      }
    }
    if (started && !ended) item += text.slice(from);
    for (const value of items) yield value;
  }
  if (!started) throw new JsonStreamError('expected a JSON array, got an empty body');
  if (!ended) throw new JsonStreamError('the JSON array was cut off before its end');
}

function parseItem(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new JsonStreamError(`malformed JSON item: ${(error as Error).message}`);
  }
}

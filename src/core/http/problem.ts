/**
 * What an error body says, whatever its shape: RFC 9457 problem details, FastAPI validation lists, ASP.NET
 * `errors`, `{error: {code, message}}`, a bare string, an HTML page from a proxy, or plain text.
 */
import { truncate } from '../text.js';
import type { ApiProblem } from './errors.js';
import type { ServerText } from './server-text.js';

export const HTML_PAGE = 'an HTML page (probably from a proxy or gateway)';

export function looksLikeHtml(contentType: string, text: string): boolean {
  return contentType === 'text/html' || contentType === 'application/xhtml+xml' || /^\s*</.test(text);
}

export function htmlTitle(text: string): string | undefined {
  const match = /<title[^>]*>([\s\S]*?)<\/title>/i.exec(text);
  if (!match) return undefined;
  const title = match[1]!
    .replace(/<[^>]*>/g, '')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#0*39;|&apos;/g, "'")
    .replace(/&nbsp;/g, ' ')
    .replace(/&amp;/g, '&')
    .trim();
  return title || undefined;
}

function asText(value: unknown): string | undefined {
  if (typeof value === 'string') return value.trim() ? value : undefined;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  return undefined;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** FastAPI validation items: `{"loc": ["body", "name"], "msg": "field required"}` → "body.name: field required". */
function validationItems(items: unknown[]): string[] {
  const out: string[] = [];
  for (const item of items) {
    if (isObject(item)) {
      const loc = Array.isArray(item.loc) ? item.loc.map((part) => String(part)).join('.') : undefined;
      const msg = asText(item.msg) ?? asText(item.message) ?? asText(item.type);
      if (msg) out.push(loc ? `${loc}: ${msg}` : msg);
    } else {
      const text = asText(item);
      if (text) out.push(text);
    }
  }
  return out;
}

/** RFC 9110 `errors: {field: [messages]}` (ASP.NET validation), or a plain list. */
function fieldErrors(errors: unknown): string[] | undefined {
  let out: string[] = [];
  if (Array.isArray(errors)) out = validationItems(errors);
  else if (isObject(errors)) {
    for (const [field, messages] of Object.entries(errors)) {
      const list = Array.isArray(messages) ? validationItems(messages) : validationItems([messages]);
      if (list.length) out.push(`${field}: ${list.join(', ')}`);
    }
  }
  return out.length ? out.slice(0, 20) : undefined;
}

function problemFromJson(value: unknown): ApiProblem | undefined {
  if (typeof value === 'string') return value.trim() ? { detail: value } : undefined;
  if (!isObject(value)) return undefined;
  const problem: ApiProblem = {};
  const error = value.error;
  const title = asText(value.title);
  const type = asText(value.type);
  const traceId = asText(value.traceId) ?? asText(value.trace_id) ?? asText(value.traceid);
  const code = asText(value.code) ?? (isObject(error) ? asText(error.code) : undefined);
  let detail: string | undefined;
  if (Array.isArray(value.detail)) {
    const items = validationItems(value.detail);
    if (items.length) detail = items.join('; ');
  } else {
    detail = asText(value.detail);
  }
  detail ??= (isObject(error) ? asText(error.message) ?? asText(error.detail) : asText(error)) ?? asText(value.message);
  const errors = fieldErrors(value.errors) ?? (isObject(error) ? fieldErrors(error.details) : undefined);
  if (title !== undefined) problem.title = title;
  if (detail !== undefined) problem.detail = detail;
  if (traceId !== undefined) problem.traceId = traceId;
  if (code !== undefined) problem.code = code;
  if (type !== undefined) problem.type = type;
  if (errors !== undefined) problem.errors = errors;
  return Object.keys(problem).length ? problem : undefined;
}

function cleanProblem(problem: ApiProblem, text: ServerText): ApiProblem {
  const out: ApiProblem = {};
  for (const key of ['title', 'detail', 'traceId', 'code', 'type'] as const) {
    const value = problem[key];
    if (value !== undefined) out[key] = text.line(value);
  }
  if (problem.errors) out.errors = problem.errors.map((e) => text.line(e));
  return out;
}

/** What an error body says, whatever its shape; never throws. */
export function extractProblem(contentType: string, raw: string, text: ServerText): ApiProblem | undefined {
  const body = raw.replace(/^\ufeff/, '').trim();
  if (!body) return undefined;
  try {
    if (contentType.includes('json') || /^[{["]/.test(body)) {
      try {
        const parsed = problemFromJson(JSON.parse(body));
        if (parsed) return cleanProblem(parsed, text);
      } catch {
        // Not JSON after all: read it as text below.
      }
    }
    if (looksLikeHtml(contentType, body)) {
      const title = htmlTitle(body);
      return { detail: title ? `${HTML_PAGE}: ${text.line(title, 200)}` : HTML_PAGE };
    }
    const firstLine = body.split(/\r?\n/).find((line) => line.trim()) ?? '';
    return firstLine ? { detail: text.line(firstLine) } : undefined;
  } catch {
    return undefined;
  }
}

/** The tail of an error message, e.g. ": Service busy (traceId 00-abc)". The status text is not repeated. */
export function describeProblem(problem: ApiProblem | undefined, statusText: string): string {
  if (!problem) return '';
  const parts: string[] = [];
  if (problem.title && problem.title.toLowerCase() !== statusText.toLowerCase()) parts.push(problem.title);
  if (problem.detail && problem.detail !== problem.title) parts.push(problem.detail);
  if (problem.errors?.length) parts.push(problem.errors.slice(0, 5).join('; '));
  const extras: string[] = [];
  if (problem.code) extras.push(`code ${problem.code}`);
  if (problem.traceId) extras.push(`traceId ${problem.traceId}`);
  const main = parts.length ? `: ${truncate(parts.join(': '), 400)}` : '';
  return extras.length ? `${main} (${extras.join(', ')})` : main;
}

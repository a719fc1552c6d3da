/**
 * The raw inputs validated into `Settings`, before the first request.
 *
 * The platform-neutral inputs are read here; the chosen platform's module reads its own (its target grammar,
 * its settings, the shape of its run ids). A bad value fails with one line (see reader.ts). The API key is
 * never echoed, not even partly: messages about it describe the problem without quoting it, and every message
 * and warning is masked against the key before it leaves `parseSettings`, in case a user pasted the key into
 * some other input.
 */
import type { PlatformModule } from '../platform.js';
import type { IfRunning, LogsPolicy, Mode, Platform, Settings } from '../settings.js';
import { secretMasker, secretPieces } from '../untrusted.js';
import { isLoopbackHost } from '../urls.js';
import { InputError, InputReader, oneLine, type ParseOptions, type RawInputs, type ValueSource } from './reader.js';
import type { InputDef } from './table.js';
import { DURATION_UNITS_MS, quote } from './values.js';

/** What parsing needs to know about the platforms: the whole input table and each platform's module. */
export interface PlatformCatalog {
  readonly inputs: readonly InputDef[];
  module(name: Platform): PlatformModule | undefined;
}

export interface ParsedInputs {
  settings: Settings;
  /** Problems worth a CI warning that do not stop the step. Never contain the key. */
  warnings: string[];
}

/**
 * Validates the raw inputs into Settings, or throws an InputError on the first problem.
 * Every message and warning is masked against the API key before it is returned or thrown.
 */
export function parseSettings(raw: RawInputs, catalog: PlatformCatalog, options: ParseOptions = {}): ParsedInputs {
  const mask = secretMasker([...secretPieces(raw('api-key')), ...secretPieces(options.apiKeyFallback)]);
  try {
    const reader = new InputReader(catalog.inputs, raw, options);
    const settings = buildSettings(reader, catalog);
    return { settings, warnings: reader.warnings.map((w) => mask(oneLine(w))) };
  } catch (error) {
    if (error instanceof InputError) throw new InputError(error.input, mask(error.message));
    throw error;
  }
}

/** The adopted mark of a run-id handle (see the engine's ADOPTED_PREFIX). */
const ADOPTED_MARK = /^adopted:/;

function buildSettings(r: InputReader, catalog: PlatformCatalog): Settings {
  r.checkCharacters();
  const platform = r.choice<Platform>('platform');
  const mode = r.choice<Mode>('mode');
  r.checkOwnership(platform, mode);
  const module = catalog.module(platform);
  if (!module) throw new Error(`internal: platform '${platform}' is in the table but has no module`);

  const apiKey = readApiKey(r, module);
  const baseUrl = readBaseUrl(r, module);
  // Labels are unique because each target input refuses duplicate lines and each kind has its own prefix.
  const targets = module.parseTargets(r);

  const runId = r.value('run-id');
  if (runId !== undefined && runId.split(',').length !== targets.length) {
    // Each target needs its own id (the run-id output of mode trigger lists them in target order); following
    // the wrong run silently would be worse than refusing.
    r.fail(
      'run-id',
      `lists ${runId.split(',').length} run id(s), but the step has ${targets.length} target(s); give one id per target, comma-separated in target order`,
    );
  }
  if (runId !== undefined && module.checkRunId) {
    // A platform whose run ids have a fixed shape refuses a wrong one before any request, instead of waiting
    // for a run that cannot exist. A target's handle may name several runs (`a+b`) and mark adopted ones
    // (`adopted:`), as mode trigger writes it.
    runId.split(',').forEach((handle, i) => {
      const spec = targets[i];
      if (spec === undefined) return;
      for (const part of handle.split('+')) module.checkRunId!(r, spec, part.trim().replace(ADOPTED_MARK, ''));
    });
  }
  const own = module.readSettings?.(r) ?? {};
  const maxAgeMs = r.optionalDuration('max-age');

  const timeoutMs = r.duration('timeout');
  if (timeoutMs > 7 * DURATION_UNITS_MS.d!) r.fail('timeout', `: ${quote(r.valueOrDefault('timeout'))} is longer than 7 days`);
  let pollIntervalMs = r.duration('poll-interval');
  if (pollIntervalMs < 100) r.fail('poll-interval', `: ${quote(r.valueOrDefault('poll-interval'))} is shorter than 100ms`);
  if (pollIntervalMs > timeoutMs && !r.isGiven('poll-interval')) {
    // Only the default gap outlasts a short timeout the user chose: shorten it rather than refuse.
    pollIntervalMs = timeoutMs;
  }
  if (pollIntervalMs > timeoutMs) {
    r.fail(
      'poll-interval',
      `: ${quote(r.valueOrDefault('poll-interval'))} is longer than ${r.name('timeout')} (${r.valueOrDefault('timeout')})`,
    );
  }

  const settings: Settings = {
    platform,
    apiKey,
    baseUrl,
    mode,
    targets,
    timeoutMs,
    pollIntervalMs,
    ifRunning: r.choice<IfRunning>('if-running'),
    cancelOnTimeout: r.boolean('cancel-on-timeout'),
    logs: r.choice<LogsPolicy>('logs'),
    logLines: r.integer('log-lines', 0, 100_000),
    maxConcurrency: r.integer('max-concurrency', 1, 64),
    failFast: r.boolean('fail-fast'),
    ...own,
  };
  if (runId !== undefined) settings.runId = runId;
  if (maxAgeMs !== undefined) settings.maxAgeMs = maxAgeMs;
  const junitFile = r.value('junit-file');
  if (junitFile !== undefined) settings.junitFile = junitFile;
  return settings;
}

// --- connection ------------------------------------------------------------------------------------------

function readApiKey(r: InputReader, module: PlatformModule): string {
  const fromInput = r.value('api-key');
  const fromConnection = r.options.apiKeyFallback?.trim() || undefined;
  const key = fromInput ?? fromConnection;
  const source = fromInput === undefined && fromConnection !== undefined ? 'fallback' : 'input';
  const fail = (problem: string): never => r.fail('api-key', problem, { source });

  if (key === undefined) {
    const where = r.style === 'azure' ? ', or choose a service connection' : '';
    return fail(`is required: the platform's API key, passed from a secret${where}`);
  }
  // None of these messages may quote the key, so each names the problem only.
  if (/[\r\n]/.test(key)) fail('contains a line break; store the key alone in the secret, on one line');
  if (/\s/.test(key)) fail("contains whitespace; store the key alone, without spaces or a 'Bearer ' prefix");
  if (/[\u0000-\u001f\u007f]/.test(key)) fail('contains a control character; copy the key again from the platform');
  if (/[^\x21-\x7e]/.test(key)) {
    // HTTP headers carry ASCII only; a typographic quote pasted with the key would fail later, less clearly.
    fail('contains a character outside printable ASCII (a typographic quote?); copy the key again');
  }
  if (module.keyFormat && !module.keyFormat.pattern.test(key)) {
    // A vendor's own example key may not match its documented format, so this is only a hint.
    r.warn(`${r.subject('api-key', source)} does not look like ${module.keyFormat.looksLike}; using it anyway`);
  }
  return key;
}

function readBaseUrl(r: InputReader, module: PlatformModule): string {
  const fromInput = r.value('base-url');
  const fromConnection = r.options.baseUrlFallback?.trim() || undefined;
  const text = fromInput ?? fromConnection;
  // Asked either way, so the platform checks its own inputs (a tenant) and may warn that they are ignored.
  const fallback = module.baseUrl.fallback(r, text !== undefined);
  if (text !== undefined) return validateBaseUrl(r, text, module, fromInput === undefined ? 'fallback' : 'input');
  if (fallback === undefined) return r.fail('base-url', `is required for platform ${module.name}`, { example: module.baseUrl.example });
  return fallback;
}

/** The URL is never quoted in these messages: it may carry credentials or a key in its query. */
function validateBaseUrl(r: InputReader, text: string, module: PlatformModule, source: ValueSource): string {
  const fail = (problem: string): never => r.fail('base-url', problem, { source, example: module.baseUrl.example });
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return fail('is not an absolute URL; start it with https://');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') fail(`must be an https URL, not ${url.protocol.replace(':', '')}`);
  if (url.protocol === 'http:' && !isLoopbackHost(url.hostname)) {
    fail('must use https: the key would travel in clear text (http is allowed only for loopback addresses)');
  }
  if (url.username !== '' || url.password !== '') fail(`must not contain a user name or password; the key goes in ${r.name('api-key')}`);
  if (text.includes('?') || text.includes('#')) fail('must not contain a query (?…) or a fragment (#…); give the API root only');
  // A path prefix is legitimate (e.g. `/v1`); a trailing slash would double up when paths are joined.
  return `${url.protocol}//${url.host}${url.pathname.replace(/\/+$/, '')}`;
}

import { InputError, displayName, parseBoolean, parseDuration, type RawInputs } from '../../src/core/inputs/index.js';
import { INPUTS, inputByName, parseSettings } from '../../src/providers/registry.js';
import { TASK_TYPES } from '../../src/providers/timextender/targets.js';
import type { TargetSpec } from '../../src/core/settings.js';

type Style = 'github' | 'azure' | 'cli';
const STYLES: readonly Style[] = ['github', 'azure', 'cli'];

/** Distinctive, and a valid TimeXtender key (txk_ + 32 alphanumerics), so it raises no warning. */
const KEY = 'txk_SECRETSECRETSECRETSECRETSECRET12';
const KEY_PIECES = Array.from({ length: KEY.length - 5 }, (_, i) => KEY.slice(i, i + 6));

type Values = Record<string, string | undefined>;

const TDP: Values = { platform: 'timextender', 'api-key': KEY, tenant: 'acme', workspace: 'finance', task: 'Package/1005' };
const QARION: Values = { platform: 'qarion', 'api-key': KEY, space: 'analytics', pipeline: 'daily_finance' };
const PLANASONIX: Values = { platform: 'planasonix', 'api-key': KEY, connection: 'conn_1' };

function rawOf(values: Values): RawInputs {
  return (name) => values[name];
}

function parse(values: Values, options?: Parameters<typeof parseSettings>[1]) {
  return parseSettings(rawOf(values), options);
}

function targets(values: Values): TargetSpec[] {
  return parse(values).settings.targets;
}

/** What every secret-bearing text must satisfy: not one 6-character piece of the key. */
function expectNoKey(text: string): void {
  for (const piece of KEY_PIECES) expect(text).not.toContain(piece);
}

function catchInputError(fn: () => unknown): InputError {
  try {
    fn();
  } catch (error) {
    if (error instanceof InputError) return error;
    throw error;
  }
  throw new Error('expected an InputError, but parsing succeeded');
}

interface ErrorCase {
  rule: string;
  values: Values;
  /** The input the error must name (kebab-case). */
  input: string;
  /** Fragments the message must hold (style-independent). */
  says: string[];
  options?: { apiKeyFallback?: string; baseUrlFallback?: string };
}

const CASES: ErrorCase[] = [
  // platform
  { rule: 'platform is required', values: { 'api-key': KEY }, input: 'platform', says: ['is required', 'qarion'] },
  {
    rule: 'platform typo gets a suggestion',
    values: { ...TDP, platform: 'timeextender' },
    input: 'platform',
    says: ["unknown value 'timeextender'", 'did you mean timextender?', 'Example: timextender'],
  },
  { rule: 'unknown platform', values: { ...TDP, platform: 'oracle' }, input: 'platform', says: ["'oracle'", 'Valid values: timextender, qarion, planasonix'] },
  // api-key
  { rule: 'api-key is required', values: { ...QARION, 'api-key': undefined }, input: 'api-key', says: ['is required'] },
  { rule: 'api-key blank is missing', values: { ...QARION, 'api-key': '   ' }, input: 'api-key', says: ['is required'] },
  {
    rule: 'api-key with a line break',
    values: { ...TDP, 'api-key': `${KEY}\nsecond-line-of-junk` },
    input: 'api-key',
    says: ['contains a line break'],
  },
  { rule: 'api-key with whitespace', values: { ...TDP, 'api-key': `Bearer ${KEY}` }, input: 'api-key', says: ['contains whitespace'] },
  { rule: 'api-key with a control character', values: { ...TDP, 'api-key': `${KEY}\u0007` }, input: 'api-key', says: ['control character'] },
  { rule: 'api-key outside ASCII', values: { ...TDP, 'api-key': `${KEY}\u201d` }, input: 'api-key', says: ['printable ASCII'] },
  {
    rule: 'api-key from the service connection is checked too',
    values: { ...QARION, 'api-key': undefined },
    options: { apiKeyFallback: `${KEY} trailing` },
    input: 'api-key',
    says: ['(from the service connection)', 'contains whitespace'],
  },
  // base-url
  { rule: 'http to a public host', values: { ...QARION, 'base-url': 'http://example.com' }, input: 'base-url', says: ['must use https'] },
  { rule: 'not an absolute URL', values: { ...QARION, 'base-url': 'api.qarion.com' }, input: 'base-url', says: ['absolute URL'] },
  { rule: 'another scheme', values: { ...QARION, 'base-url': 'ftp://api.qarion.com' }, input: 'base-url', says: ['https URL, not ftp'] },
  {
    rule: 'credentials in the URL (never shown)',
    values: { ...QARION, 'base-url': `https://user:${KEY}@api.qarion.com` },
    input: 'base-url',
    says: ['user name or password'],
  },
  { rule: 'a query', values: { ...PLANASONIX, 'base-url': `https://api.planasonix.com/v1?key=${KEY}` }, input: 'base-url', says: ['query'] },
  { rule: 'a fragment', values: { ...QARION, 'base-url': 'https://api.qarion.com/#top' }, input: 'base-url', says: ['fragment'] },
  {
    rule: 'bad URL from the service connection',
    values: QARION,
    options: { baseUrlFallback: 'http://qarion.example.com' },
    input: 'base-url',
    says: ['(from the service connection)', 'https'],
  },
  { rule: 'neither base-url nor tenant', values: { ...TDP, tenant: undefined }, input: 'tenant', says: ['is required for platform timextender', 'tenant', 'acme'] },
  // tenant
  { rule: 'tenant is one DNS label', values: { ...TDP, tenant: 'acme.odq.timextender.com' }, input: 'tenant', says: ['not a tenant name', 'Example: acme'] },
  { rule: 'tenant cannot end with a hyphen', values: { ...TDP, tenant: 'acme-' }, input: 'tenant', says: ['not a tenant name'] },
  // ownership
  { rule: 'tenant on qarion', values: { ...QARION, tenant: 'acme' }, input: 'tenant', says: ['applies to platform timextender only (platform is qarion)'] },
  { rule: 'space on timextender', values: { ...TDP, space: 'analytics' }, input: 'space', says: ['applies to platform qarion only (platform is timextender)'] },
  {
    rule: 'pipeline on timextender',
    values: { ...TDP, pipeline: 'daily' },
    input: 'pipeline',
    says: ['applies to platforms qarion and planasonix only (platform is timextender)'],
  },
  { rule: 'comment=false on timextender', values: { ...TDP, comment: 'false' }, input: 'comment', says: ['platform qarion only'] },
  { rule: 'sync-before-poll=true on planasonix', values: { ...PLANASONIX, 'sync-before-poll': 'true' }, input: 'sync-before-poll', says: ['platform qarion only'] },
  { rule: 'environment=Development on qarion', values: { ...QARION, environment: 'Development' }, input: 'environment', says: ['platform timextender only'] },
  { rule: 'sync-type=full on qarion', values: { ...QARION, 'sync-type': 'full' }, input: 'sync-type', says: ['platform planasonix only'] },
  { rule: 'priority=high on timextender', values: { ...TDP, priority: 'high' }, input: 'priority', says: ['platform planasonix only'] },
  { rule: 'idempotency-key on qarion', values: { ...QARION, 'idempotency-key': 'abc' }, input: 'idempotency-key', says: ['platform planasonix only'] },
  { rule: 'run-id outside mode wait', values: { ...TDP, 'run-id': '97210' }, input: 'run-id', says: ['applies to mode wait only (mode is run)'] },
  { rule: 'max-age outside mode check', values: { ...TDP, mode: 'wait', 'max-age': '24h' }, input: 'max-age', says: ['applies to mode check only (mode is wait)'] },
  // generic text rules
  { rule: 'a control character in any input', values: { ...TDP, workspace: 'fin\u0000ance' }, input: 'workspace', says: ['control character'] },
  { rule: 'a single-line input on two lines', values: { ...TDP, environment: 'Production\nTest' }, input: 'environment', says: ['single line'] },
  { rule: 'junit-file on two lines', values: { ...TDP, 'junit-file': 'a.xml\nb.xml' }, input: 'junit-file', says: ['single line'] },
  // timextender targets
  { rule: 'workspace is required', values: { ...TDP, workspace: undefined }, input: 'workspace', says: ['is required for platform timextender', 'Example: finance'] },
  { rule: "workspace without '/'", values: { ...TDP, workspace: 'acme/finance' }, input: 'workspace', says: ["must not contain '/'"] },
  { rule: 'workspace without whitespace', values: { ...TDP, workspace: 'fin ance' }, input: 'workspace', says: ['whitespace'] },
  { rule: 'a task or a process map is required', values: { ...TDP, task: undefined }, input: 'task', says: ['needs at least one line for platform timextender'] },
  {
    rule: 'unknown task type, with its line',
    values: { ...TDP, task: 'Package/1005\nPkg/1006' },
    input: 'task',
    says: ["line 2: unknown task type 'Pkg'", 'Valid types: Query, CompareQuery, Package,', 'Example: Package/1005'],
  },
  { rule: 'near-miss task type', values: { ...TDP, task: 'Pakage/1005' }, input: 'task', says: ['Did you mean Package?'] },
  { rule: 'task without id', values: { ...TDP, task: 'Package' }, input: 'task', says: ["line 1: 'Package' has no task id or name; write Type/Id or Type/Name. Example: Package/1005"] },
  { rule: 'task with an empty id', values: { ...TDP, task: 'query/ ' }, input: 'task', says: ["'Query' has no task id or name", 'Example: Query/1005'] },
  { rule: 'task without type', values: { ...TDP, task: '1005' }, input: 'task', says: ["'1005' has no task type"] },
  { rule: 'duplicate task (after canonical type)', values: { ...TDP, task: 'Package/1005\n\npackage/1005' }, input: 'task', says: ['line 3:', 'first on line 1'] },
  { rule: 'duplicate process map', values: { ...TDP, task: undefined, 'process-map': '42\n42' }, input: 'process-map', says: ['line 2:', "repeats '42'"] },
  // qarion targets
  { rule: 'space is required', values: { ...QARION, space: undefined }, input: 'space', says: ['is required for platform qarion'] },
  { rule: "space without '/'", values: { ...QARION, space: 'a/b' }, input: 'space', says: ["must not contain '/'"] },
  { rule: 'a qarion pipeline is required', values: { ...QARION, pipeline: undefined }, input: 'pipeline', says: ['needs at least one line'] },
  { rule: 'duplicate qarion pipeline', values: { ...QARION, pipeline: 'daily\n  daily  ' }, input: 'pipeline', says: ['line 2:', "repeats 'daily'"] },
  // planasonix targets
  { rule: 'a connection or pipeline is required', values: { ...PLANASONIX, connection: undefined }, input: 'connection', says: ['needs at least one line', 'pipeline'] },
  { rule: 'backfill-start needs backfill-end', values: { ...PLANASONIX, 'backfill-start': '2024-01-01' }, input: 'backfill-end', says: ['is required when'] },
  { rule: 'backfill-end needs backfill-start', values: { ...PLANASONIX, 'backfill-end': '2024-01-31' }, input: 'backfill-start', says: ['is required when'] },
  {
    rule: 'backfill dates are ISO 8601',
    values: { ...PLANASONIX, 'backfill-start': '01/02/2024', 'backfill-end': '2024-01-31' },
    input: 'backfill-start',
    says: ['not an ISO 8601 date'],
  },
  {
    rule: 'backfill dates must exist',
    values: { ...PLANASONIX, 'backfill-start': '2024-01-01', 'backfill-end': '2023-02-29' },
    input: 'backfill-end',
    says: ["'2023-02-29' is not an ISO 8601 date"],
  },
  {
    rule: 'backfill start before end',
    values: { ...PLANASONIX, 'backfill-start': '2024-02-01', 'backfill-end': '2024-01-31T23:00:00Z' },
    input: 'backfill-start',
    says: ['must be before'],
  },
  {
    rule: 'backfill start before end, offsets counted',
    values: { ...PLANASONIX, 'backfill-start': '2024-01-01T10:00:00+02:00', 'backfill-end': '2024-01-01T08:00:00Z' },
    input: 'backfill-start',
    says: ['must be before'],
  },
  {
    rule: 'backfill only with a connection',
    values: { ...PLANASONIX, connection: undefined, pipeline: 'pl_1', 'backfill-start': '2024-01-01', 'backfill-end': '2024-01-31' },
    input: 'backfill-start',
    says: ['applies to connection targets only', 'conn_8f2a'],
  },
  { rule: 'tables only with a connection', values: { ...PLANASONIX, connection: undefined, pipeline: 'pl_1', tables: 'orders' }, input: 'tables', says: ['connection targets only'] },
  { rule: 'priority only with a connection', values: { ...PLANASONIX, connection: undefined, pipeline: 'pl_1', priority: 'high' }, input: 'priority', says: ['connection targets only'] },
  { rule: 'duplicate table', values: { ...PLANASONIX, tables: 'orders, customers\norders' }, input: 'tables', says: ["lists 'orders' twice"] },
  { rule: 'parameters only with a pipeline', values: { ...PLANASONIX, parameters: 'a=1' }, input: 'parameters', says: ['pipeline targets only'] },
  {
    rule: 'parameters: invalid JSON names the problem',
    values: { ...PLANASONIX, pipeline: 'pl_1', parameters: '{"region": eu}' },
    input: 'parameters',
    says: ['is not valid JSON:', 'Example: {"region": "eu"}'],
  },
  { rule: 'parameters: a JSON array', values: { ...PLANASONIX, pipeline: 'pl_1', parameters: '[1, 2]' }, input: 'parameters', says: ['must be a JSON object'] },
  { rule: 'parameters: a line without =', values: { ...PLANASONIX, pipeline: 'pl_1', parameters: 'a=1\nregion' }, input: 'parameters', says: ["line 2: 'region' is not key=value"] },
  { rule: 'parameters: a repeated key', values: { ...PLANASONIX, pipeline: 'pl_1', parameters: 'a=1\na=2' }, input: 'parameters', says: ["line 2: sets 'a' twice"] },
  { rule: 'sync-type pick-list', values: { ...PLANASONIX, 'sync-type': 'partial' }, input: 'sync-type', says: ["unknown value 'partial'", 'incremental, full'] },
  { rule: 'sync-type with a backfill', values: { ...PLANASONIX, 'sync-type': 'full', 'backfill-start': '2024-01-01', 'backfill-end': '2024-01-31' }, input: 'sync-type', says: ['does not apply to a backfill'] },
  { rule: 'priority pick-list', values: { ...PLANASONIX, priority: 'urgent' }, input: 'priority', says: ['low, normal, high'] },
  { rule: 'idempotency-key length', values: { ...PLANASONIX, 'idempotency-key': 'k'.repeat(256) }, input: 'idempotency-key', says: ['limit is 255'] },
  { rule: 'idempotency-key ASCII', values: { ...PLANASONIX, 'idempotency-key': 'clé' }, input: 'idempotency-key', says: ['printable ASCII'] },
  // mode
  { rule: 'mode pick-list', values: { ...TDP, mode: 'follow' }, input: 'mode', says: ["unknown value 'follow'", 'run, trigger, wait, check'] },
  { rule: 'run-id with fewer ids than targets', values: { ...TDP, mode: 'wait', task: 'Package/1\nPackage/2', 'run-id': '5' }, input: 'run-id', says: ['2 target(s)', 'one id per target'] },
  { rule: 'server-time-zone that is no zone', values: { ...TDP, mode: 'check', 'server-time-zone': 'Mars/Olympus' }, input: 'server-time-zone', says: ['neither an IANA time zone nor a UTC offset'] },
  { rule: 'server-time-zone outside mode check', values: { ...TDP, 'server-time-zone': 'UTC' }, input: 'server-time-zone', says: ['applies to mode check only'] },
  { rule: 'max-age is a duration', values: { ...TDP, mode: 'check', 'max-age': 'soon' }, input: 'max-age', says: ["'soon' is not a duration"] },
  // durations
  { rule: 'timeout garbage', values: { ...TDP, timeout: 'forever' }, input: 'timeout', says: ['not a duration', 'Example: 45m'] },
  { rule: 'timeout zero', values: { ...TDP, timeout: '0' }, input: 'timeout', says: ['greater than zero', 'Example: 45m'] },
  { rule: 'timeout negative', values: { ...TDP, timeout: '-5m' }, input: 'timeout', says: ['greater than zero'] },
  { rule: 'timeout at most 7 days', values: { ...TDP, timeout: '8d' }, input: 'timeout', says: ['longer than 7 days'] },
  { rule: 'poll-interval at least 100ms', values: { ...TDP, 'poll-interval': '50ms' }, input: 'poll-interval', says: ['shorter than 100ms'] },
  { rule: 'poll-interval within the timeout', values: { ...TDP, 'poll-interval': '2h' }, input: 'poll-interval', says: ['longer than', 'timeout', '(55m)'] },
  // booleans, numbers, pick-lists
  { rule: 'cancel-on-timeout boolean', values: { ...TDP, 'cancel-on-timeout': 'maybe' }, input: 'cancel-on-timeout', says: ["'maybe' is not a boolean"] },
  { rule: 'fail-fast boolean', values: { ...TDP, 'fail-fast': 'nah' }, input: 'fail-fast', says: ['not a boolean'] },
  { rule: 'comment boolean on qarion', values: { ...QARION, comment: 'perhaps' }, input: 'comment', says: ['not a boolean'] },
  { rule: 'log-lines negative', values: { ...TDP, 'log-lines': '-1' }, input: 'log-lines', says: ['whole number from 0 to 100000'] },
  { rule: 'log-lines too large', values: { ...TDP, 'log-lines': '100001' }, input: 'log-lines', says: ['whole number from 0 to 100000'] },
  { rule: 'log-lines fraction', values: { ...TDP, 'log-lines': '1.5' }, input: 'log-lines', says: ['whole number'] },
  { rule: 'max-concurrency zero', values: { ...TDP, 'max-concurrency': '0' }, input: 'max-concurrency', says: ['from 1 to 64'] },
  { rule: 'max-concurrency too large', values: { ...TDP, 'max-concurrency': '65' }, input: 'max-concurrency', says: ['from 1 to 64'] },
  { rule: 'if-running near miss', values: { ...TDP, 'if-running': 'atach' }, input: 'if-running', says: ['did you mean attach?', 'Example: attach'] },
  { rule: 'logs pick-list', values: { ...TDP, logs: 'sometimes' }, input: 'logs', says: ['on-failure, always, never, live'] },
  // the key pasted into another input is still never echoed
  { rule: 'key pasted into workspace', values: { ...TDP, workspace: `finance/${KEY}` }, input: 'workspace', says: ["must not contain '/'"] },
  { rule: 'key pasted into a task line', values: { ...TDP, task: KEY }, input: 'task', says: ['has no task type'] },
];

describe('parseSettings: every rule fails with one line naming the input and an example', () => {
  describe.each(STYLES)('%s names', (style) => {
    it.each(CASES)('$rule', ({ values, input, says, options }) => {
      const error = catchInputError(() => parse(values, { ...options, nameStyle: style }));
      const name = displayName(inputByName(input), style);
      expect(error.input).toBe(input);
      expect(error.message).toMatch(new RegExp(`^Input '${name.replace(/[-]/g, '\\-')}'[ :]`));
      expect(error.message).toContain('Example: ');
      expect(error.message).not.toMatch(/[\r\n]/);
      for (const fragment of says) expect(error.message).toContain(fragment);
      expectNoKey(error.message);
    });
  });

  it('names the input in the caller style', () => {
    const values = { ...TDP, timeout: 'forever' };
    expect(catchInputError(() => parse(values)).message).toMatch(/^Input 'timeout': /);
    expect(catchInputError(() => parse({ ...TDP, 'poll-interval': '1ms' }, { nameStyle: 'azure' })).message).toMatch(
      /^Input 'pollInterval': /,
    );
    expect(catchInputError(() => parse({ ...TDP, 'poll-interval': '1ms' }, { nameStyle: 'cli' })).message).toMatch(
      /^Input '--poll-interval': /,
    );
  });

  it('names other inputs in the caller style too', () => {
    const azure = catchInputError(() => parse({ ...TDP, tenant: undefined }, { nameStyle: 'azure' }));
    expect(azure.message).toBe("Input 'tenant' or 'baseUrl' is required for platform timextender. Example: tenant: acme");
    const cli = catchInputError(() => parse({ ...TDP, tenant: undefined }, { nameStyle: 'cli' }));
    expect(cli.message).toBe("Input '--tenant' or '--base-url' is required for platform timextender. Example: --tenant acme");
  });

  it('reads as the spec example for an unknown task type', () => {
    const error = catchInputError(() => parse({ ...TDP, task: 'Package/1005\nPkg/7' }));
    expect(error.message).toBe(
      `Input 'task' line 2: unknown task type 'Pkg'. Valid types: ${TASK_TYPES.join(', ')}. Example: Package/1005`,
    );
  });

  it('gives a secret-store reference, never a key, as the api-key example', () => {
    const missing = { ...QARION, 'api-key': undefined };
    expect(catchInputError(() => parse(missing)).message).toContain('Example: ${{ secrets.');
    const azure = catchInputError(() => parse(missing, { nameStyle: 'azure' })).message;
    expect(azure).toContain('service connection');
    expect(azure).toContain('Example: $(');
  });

  it('is an Error with the name InputError', () => {
    const error = catchInputError(() => parse({}));
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe('InputError');
  });
});

describe('parseSettings: timextender', () => {
  it('builds a task target, the base URL from the tenant, and every default', () => {
    const { settings, warnings } = parse(TDP);
    expect(warnings).toEqual([]);
    expect(settings).toEqual({
      platform: 'timextender',
      apiKey: KEY,
      baseUrl: 'https://acme.odq.timextender.com',
      mode: 'run',
      targets: [
        {
          platform: 'timextender',
          kind: 'task',
          workspace: 'finance',
          environment: 'Production',
          taskType: 'Package',
          ref: '1005',
          label: 'finance/Package/1005',
        },
      ],
      timeoutMs: 55 * 60_000,
      pollIntervalMs: 30_000,
      ifRunning: 'fail',
      cancelOnTimeout: true,
      logs: 'on-failure',
      logLines: 200,
      maxConcurrency: 4,
      failFast: true,
    });
  });

  it('canonicalises task types, keeps names with spaces, and labels the environment', () => {
    const found = targets({
      ...TDP,
      tenant: 'ACME',
      environment: 'Development',
      task: '\n  package/1005  \n\nPackage/Load Customer Dim\nemailsummary/3001\n',
      'process-map': '42\nDaily Finance Load',
    });
    expect(found.map((t) => t.label)).toEqual([
      'finance/Package/1005 [Development]',
      'finance/Package/Load Customer Dim [Development]',
      'finance/EmailSummary/3001 [Development]',
      'finance/process-map/42 [Development]',
      'finance/process-map/Daily Finance Load [Development]',
    ]);
    expect(found[1]).toMatchObject({ kind: 'task', taskType: 'Package', ref: 'Load Customer Dim', environment: 'Development' });
    expect(found[3]).toMatchObject({ kind: 'process-map', ref: '42', workspace: 'finance' });
  });

  it('accepts a process map alone, and lowercases the tenant', () => {
    const { settings } = parse({ ...TDP, tenant: 'Acme-Corp', task: undefined, 'process-map': '42' });
    expect(settings.baseUrl).toBe('https://acme-corp.odq.timextender.com');
    expect(settings.targets).toEqual([
      { platform: 'timextender', kind: 'process-map', workspace: 'finance', environment: 'Production', ref: '42', label: 'finance/process-map/42' },
    ]);
  });

  it('accepts every task type in any case', () => {
    const found = targets({ ...TDP, task: TASK_TYPES.map((t) => `${t.toUpperCase()}/1`).join('\n') });
    expect(found.map((t) => (t.kind === 'task' ? t.taskType : ''))).toEqual([...TASK_TYPES]);
  });

  it('passes an unknown environment through, with a warning', () => {
    const { settings, warnings } = parse({ ...TDP, environment: 'Staging' });
    expect(settings.targets[0]).toMatchObject({ environment: 'Staging', label: 'finance/Package/1005 [Staging]' });
    expect(warnings).toEqual([expect.stringContaining("'Staging' is not one TimeXtender documents")]);
  });

  it('warns, without showing the key, when the key does not look like a TimeXtender key', () => {
    const oddKey = 'txk_ABCDEFGHIJKLMNOPQRSTUWXYZ1234567890'; // the vendor's own example: 35 characters
    const { settings, warnings } = parse({ ...TDP, 'api-key': oddKey });
    expect(settings.apiKey).toBe(oddKey);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain("Input 'api-key' does not look like a TimeXtender API key");
    for (let i = 0; i + 6 <= oddKey.length; i++) expect(warnings[0]).not.toContain(oddKey.slice(i, i + 6));
  });

  it('lets base-url win over tenant, with a warning', () => {
    const { settings, warnings } = parse({ ...TDP, 'base-url': 'https://acme.timextender.com/' });
    expect(settings.baseUrl).toBe('https://acme.timextender.com');
    expect(warnings).toEqual([expect.stringContaining("Input 'tenant' is ignored")]);
  });

  it('trims the key', () => {
    expect(parse({ ...TDP, 'api-key': `  ${KEY}\n` }).settings.apiKey).toBe(KEY);
  });
});

describe('parseSettings: qarion', () => {
  it('builds pipeline targets with space/pipeline labels and the default base URL', () => {
    const { settings, warnings } = parse({ ...QARION, pipeline: 'daily_finance\nHourly Sales Load', comment: 'false', 'sync-before-poll': 'yes' });
    expect(warnings).toEqual([]);
    expect(settings.baseUrl).toBe('https://api.qarion.com');
    expect(settings.comment).toBe(false);
    expect(settings.syncBeforePoll).toBe(true);
    expect(settings.targets).toEqual([
      { platform: 'qarion', kind: 'pipeline', space: 'analytics', ref: 'daily_finance', label: 'analytics/daily_finance' },
      { platform: 'qarion', kind: 'pipeline', space: 'analytics', ref: 'Hourly Sales Load', label: 'analytics/Hourly Sales Load' },
    ]);
  });

  it('does not warn about the key format', () => {
    expect(parse({ ...QARION, 'api-key': 'qk_short' }).warnings).toEqual([]);
  });
});

describe('parseSettings: planasonix', () => {
  it('builds connection syncs with tables, sync type and priority', () => {
    const { settings } = parse({ ...PLANASONIX, connection: 'conn_1\nconn_2', 'sync-type': 'FULL', priority: 'high', tables: 'orders, customers\n line_items ' });
    expect(settings.baseUrl).toBe('https://api.planasonix.com');
    expect(settings.targets).toEqual([
      { platform: 'planasonix', kind: 'sync', connection: 'conn_1', syncType: 'full', priority: 'high', tables: ['orders', 'customers', 'line_items'], label: 'connection/conn_1' },
      { platform: 'planasonix', kind: 'sync', connection: 'conn_2', syncType: 'full', priority: 'high', tables: ['orders', 'customers', 'line_items'], label: 'connection/conn_2' },
    ]);
  });

  it('defaults a sync to incremental, normal priority, all tables', () => {
    expect(targets(PLANASONIX)).toEqual([
      { platform: 'planasonix', kind: 'sync', connection: 'conn_1', syncType: 'incremental', priority: 'normal', tables: [], label: 'connection/conn_1' },
    ]);
  });

  it('turns connections into backfills when a window is given, keeping the dates as written', () => {
    const found = targets({ ...PLANASONIX, 'backfill-start': '2024-01-01', 'backfill-end': '2024-01-31T23:59:59.999+01:00', tables: 'orders', priority: 'low' });
    expect(found).toEqual([
      {
        platform: 'planasonix',
        kind: 'backfill',
        connection: 'conn_1',
        start: '2024-01-01',
        end: '2024-01-31T23:59:59.999+01:00',
        tables: ['orders'],
        priority: 'low',
        label: 'backfill/conn_1',
      },
    ]);
  });

  it('reads parameters as a JSON object', () => {
    const found = targets({ ...PLANASONIX, connection: undefined, pipeline: 'pl_1', parameters: '{\n  "region": "eu",\n  "full": true,\n  "days": 3\n}' });
    expect(found).toEqual([
      { platform: 'planasonix', kind: 'pipeline', pipeline: 'pl_1', parameters: { region: 'eu', full: true, days: 3 }, label: 'pipeline/pl_1' },
    ]);
  });

  it('reads parameters as key=value lines, values kept as strings', () => {
    const [target] = targets({ ...PLANASONIX, connection: undefined, pipeline: 'pl_1', parameters: 'region = eu\n\ndays=3\nquery=a=b' });
    expect(target).toMatchObject({ parameters: { region: 'eu', days: '3', query: 'a=b' } });
  });

  it('runs connections and pipelines together; labels stay unique', () => {
    const found = targets({ ...PLANASONIX, connection: 'x', pipeline: 'x', parameters: 'a=1' });
    expect(found.map((t) => t.label)).toEqual(['connection/x', 'pipeline/x']);
  });

  it('keeps a base-url path prefix and drops the trailing slash', () => {
    expect(parse({ ...PLANASONIX, 'base-url': 'https://acme.planasonixapis.com/v1/' }).settings.baseUrl).toBe('https://acme.planasonixapis.com/v1');
  });

  it('takes an idempotency key', () => {
    expect(parse({ ...PLANASONIX, 'idempotency-key': 'release-42 attempt 1' }).settings.idempotencyKey).toBe('release-42 attempt 1');
  });
});

describe('parseSettings: defaults that CI systems pass for every platform', () => {
  const passedDefaults = Object.fromEntries(INPUTS.filter((d) => d.default !== undefined).map((d) => [d.name, d.default]));

  it.each([TDP, QARION, PLANASONIX])('accepts every default for platform $platform', (values) => {
    expect(() => parse({ ...passedDefaults, ...values })).not.toThrow();
  });

  it('treats defaults spelled differently as defaults (True, PRODUCTION)', () => {
    expect(() => parse({ ...QARION, environment: 'PRODUCTION', comment: 'True' })).not.toThrow();
    expect(() => parse({ ...TDP, comment: 'yes', 'sync-before-poll': 'no' })).not.toThrow();
  });
});

describe('parseSettings: the other inputs', () => {
  it('reads durations, booleans, numbers and pick-lists', () => {
    const { settings } = parse({
      ...TDP,
      timeout: '1h30m',
      'poll-interval': '500ms',
      'if-running': 'Attach',
      'cancel-on-timeout': 'off',
      logs: 'always',
      'log-lines': '0',
      'max-concurrency': '64',
      'fail-fast': 'NO',
      'junit-file': ' reports/junit.xml ',
    });
    expect(settings).toMatchObject({
      timeoutMs: 90 * 60_000,
      pollIntervalMs: 500,
      ifRunning: 'attach',
      cancelOnTimeout: false,
      logs: 'always',
      logLines: 0,
      maxConcurrency: 64,
      failFast: false,
      junitFile: 'reports/junit.xml',
    });
  });

  it('shortens the default poll interval to a shorter timeout instead of refusing it', () => {
    expect(parse({ ...TDP, timeout: '10s' }).settings).toMatchObject({ timeoutMs: 10_000, pollIntervalMs: 10_000 });
    expect(parse({ ...TDP, timeout: '10s', 'poll-interval': '30s' }).settings.pollIntervalMs).toBe(10_000); // GitHub passes the default
  });

  it('takes run-id in mode wait and max-age in mode check', () => {
    expect(parse({ ...TDP, mode: 'wait', 'run-id': '97210' }).settings).toMatchObject({ mode: 'wait', runId: '97210' });
    expect(parse({ ...TDP, mode: 'wait', task: 'Package/1\nPackage/2', 'run-id': '5,6' }).settings.runId).toBe('5,6');
    expect(parse({ ...TDP, mode: 'check', 'server-time-zone': 'Europe/Copenhagen' }).settings.serverTimeZone).toBe('Europe/Copenhagen');
    expect(parse({ ...TDP, mode: 'check', 'server-time-zone': '+01:00' }).settings.serverTimeZone).toBe('+01:00');
    expect(parse({ ...TDP, mode: 'wait' }).settings.runId).toBeUndefined();
    expect(parse({ ...TDP, mode: 'check', 'max-age': '24h' }).settings).toMatchObject({ mode: 'check', maxAgeMs: 24 * 3_600_000 });
    expect(parse({ ...TDP, mode: 'check' }).settings.maxAgeMs).toBeUndefined();
  });

  it('leaves optional settings out when not set', () => {
    const { settings } = parse(TDP);
    for (const key of ['runId', 'maxAgeMs', 'idempotencyKey', 'junitFile']) expect(settings).not.toHaveProperty(key);
  });

  it.each(['http://127.0.0.1:8080/', 'http://127.12.0.3', 'http://localhost:3000/tdp', 'http://[::1]:9000'])(
    'allows http to loopback %s',
    (url) => {
      expect(parse({ ...QARION, 'base-url': url }).settings.baseUrl).toBe(url.replace(/\/$/, ''));
    },
  );

  it.each(['http://10.0.0.1', 'http://localhost.example.com', 'http://128.0.0.1'])('refuses http to %s', (url) => {
    expect(catchInputError(() => parse({ ...QARION, 'base-url': url })).message).toContain('must use https');
  });
});

describe('parseSettings: Azure service connection fallbacks', () => {
  it('uses the connection key and URL when the inputs are empty', () => {
    const { settings } = parse({ ...QARION, 'api-key': '' }, { nameStyle: 'azure', apiKeyFallback: 'conn-key-123', baseUrlFallback: 'https://qarion.internal/' });
    expect(settings.apiKey).toBe('conn-key-123');
    expect(settings.baseUrl).toBe('https://qarion.internal');
  });

  it('prefers the inputs when both are set', () => {
    const { settings } = parse({ ...QARION, 'base-url': 'https://api.qarion.com' }, { apiKeyFallback: 'conn-key-123', baseUrlFallback: 'https://other.example.com' });
    expect(settings.apiKey).toBe(KEY);
    expect(settings.baseUrl).toBe('https://api.qarion.com');
  });

  it('builds the TimeXtender URL from the connection URL before the tenant', () => {
    const { settings } = parse({ ...TDP, tenant: undefined }, { baseUrlFallback: 'https://acme.odq.timextender.com' });
    expect(settings.baseUrl).toBe('https://acme.odq.timextender.com');
  });

  it('never echoes a connection key that fails a rule', () => {
    const error = catchInputError(() => parse({ ...QARION, 'api-key': undefined }, { apiKeyFallback: `${KEY}\n` + KEY }));
    expect(error.message).toContain('line break');
    expectNoKey(error.message);
  });
});

describe('parseDuration', () => {
  it.each([
    ['90s', 90_000],
    ['45m', 2_700_000],
    ['2h', 7_200_000],
    ['1h30m', 5_400_000],
    ['1h 30m', 5_400_000],
    ['500ms', 500],
    ['1d', 86_400_000],
    ['1.5h', 5_400_000],
    [' 10M ', 600_000],
  ])('%s is %d ms', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  // A bare number is not a duration (issue 13): '90' and '1.5' were once read as seconds.
  it.each(['', '0', '0s', '-5m', 'abc', '5 minutes', '1h30', 'm', '5mm', '0.0001ms', '90', '1.5'])('refuses %j', (text) => {
    expect(() => parseDuration(text)).toThrow(/duration|zero|negative/);
  });
});

describe('parseBoolean', () => {
  it.each(['true', 'TRUE', 'yes', 'Yes', '1', 'on', ' ON '])('%j is true', (text) => expect(parseBoolean(text)).toBe(true));
  it.each(['false', 'False', 'no', '0', 'off', 'OFF'])('%j is false', (text) => expect(parseBoolean(text)).toBe(false));
  it.each(['', 'maybe', 'y', '2', 'truee'])('%j throws', (text) => expect(() => parseBoolean(text)).toThrow('not a boolean'));
});

describe('the input table', () => {
  const names = INPUTS.map((d) => d.name);

  it('holds exactly the documented inputs, each once', () => {
    expect(names).toEqual([
      'platform', 'api-key', 'base-url', 'tenant', 'workspace', 'task', 'process-map', 'environment', 'space', 'pipeline',
      'connection', 'sync-type', 'backfill-start', 'backfill-end', 'tables', 'parameters', 'priority', 'mode', 'run-id',
      'max-age', 'server-time-zone', 'timeout', 'poll-interval', 'if-running', 'cancel-on-timeout', 'logs', 'log-lines', 'junit-file',
      'max-concurrency', 'fail-fast', 'comment', 'sync-before-poll', 'idempotency-key',
    ]);
    expect(new Set(names).size).toBe(names.length);
  });

  it.each(INPUTS.map((d) => [d.name, d] as const))('%s is well formed', (_name, def) => {
    expect(def.name).toMatch(/^[a-z]+(-[a-z]+)*$/);
    expect(def.azureName).toMatch(/^[a-z][A-Za-z0-9]*$/);
    expect(def.azureName).toBe(def.name.replace(/-([a-z])/g, (_m, c: string) => c.toUpperCase()));
    expect(def.description.length).toBeGreaterThan(10);
    expect(def.description).not.toMatch(/[\r\n]/);
    expect(def.example.length).toBeGreaterThan(0);
    if (def.options && def.default !== undefined) expect(def.options).toContain(def.default);
    if (def.options) expect(def.options).toContain(def.example);
  });

  it('has the documented defaults', () => {
    const defaults = Object.fromEntries(INPUTS.filter((d) => d.default !== undefined).map((d) => [d.name, d.default]));
    expect(defaults).toEqual({
      environment: 'Production',
      'sync-type': 'incremental',
      priority: 'normal',
      mode: 'run',
      timeout: '55m',
      'poll-interval': '30s',
      'if-running': 'fail',
      'cancel-on-timeout': 'true',
      logs: 'on-failure',
      'log-lines': '200',
      'max-concurrency': '4',
      'fail-fast': 'true',
      comment: 'true',
      'sync-before-poll': 'false',
    });
  });

  it('requires only platform, and keeps only api-key secret', () => {
    expect(INPUTS.filter((d) => d.required).map((d) => d.name)).toEqual(['platform']);
    expect(INPUTS.filter((d) => d.secret).map((d) => d.name)).toEqual(['api-key']);
  });

  it('marks target lists, tables and parameters as multi-line', () => {
    expect(INPUTS.filter((d) => d.multiline).map((d) => d.name)).toEqual(['task', 'process-map', 'pipeline', 'connection', 'tables', 'parameters']);
  });

  it('gives examples that parse', () => {
    for (const name of ['timeout', 'poll-interval', 'max-age']) expect(parseDuration(inputByName(name).example)).toBeGreaterThan(0);
    expect(() => parse({ ...TDP, tenant: inputByName('tenant').example, task: inputByName('task').example, workspace: inputByName('workspace').example })).not.toThrow();
  });

  it('finds inputs by name and throws for an unknown one', () => {
    expect(inputByName('api-key').azureName).toBe('apiKey');
    expect(() => inputByName('apiKey')).toThrow(/Unknown input 'apiKey'/);
  });

  it('spells names per style', () => {
    const def = inputByName('api-key');
    expect([displayName(def, 'github'), displayName(def, 'azure'), displayName(def, 'cli')]).toEqual(['api-key', 'apiKey', '--api-key']);
  });

  it('lists the 11 task types in the documented order', () => {
    expect(TASK_TYPES).toEqual(['Query', 'CompareQuery', 'Package', 'ObjectGroup', 'Process', 'ScheduleGroup', 'TestGroup', 'OrchestrationMap', 'Link', 'EmailSummary', 'Rule']);
  });
});

/**
 * The Azure host and task runner with the real azure-pipelines-task-lib writing into a captured console:
 * what the agent would read (logging commands, output variables, issues, groups, summary) and what must never
 * be in it (a live command from server text, the key in any form).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TaskLib } from '../../src/adapters/azure/host.js';
import {
  AgentConsole,
  AzureHost,
  agentProxy,
  breakCommands,
  ciContextFromAzureEnv,
  escapeResultJson,
  fitResultJson,
  MAX_ERROR_ISSUES,
  OUTPUT_MAX_CHARS,
  registerSecret,
} from '../../src/adapters/azure/host.js';
import { nodeVersionProblem } from '../../src/adapters/azure/node-version.js';
import { cancellationHandler, runTask, TaskCompletion } from '../../src/adapters/azure/run.js';
import { EXIT } from '../../src/core/outcome.js';
import { loadProvider } from '../../src/providers/registry.js';
import type { Simulator } from '../../src/simulator/index.js';
import { FAST, KEY, tdpWorld, WS } from '../helpers/tdp.js';
import { commandsNamed, outputVariables, parseAgentLog, secretForms, withoutSetSecret } from './agent-log.js';

const tempDir = mkdtempSync(join(tmpdir(), 'azure-host-test-'));
let tl: TaskLib;

beforeAll(async () => {
  // task-lib keeps its vault key in Agent.TempDirectory (else the working directory) and prints debug lines
  // while it loads: point it at a temp folder and keep the test output clean.
  process.env.AGENT_TEMPDIRECTORY = tempDir;
  const write = process.stdout.write;
  process.stdout.write = (() => true) as typeof process.stdout.write;
  try {
    tl = (await import('azure-pipelines-task-lib/task.js')) as unknown as TaskLib;
  } finally {
    process.stdout.write = write;
  }
});

afterAll(() => {
  rmSync(tempDir, { recursive: true, force: true });
});

const PAYLOADS = [
  '##vso[task.complete result=Succeeded]',
  '##vso[task.setvariable variable=x]y',
  '##[error]x',
  '::error::x',
  '## [group]spaced',
  '##VSO[task.complete result=Succeeded]',
  'text then ##vso[task.setvariable variable=late]z',
];

function setup(env: Record<string, string> = {}) {
  const chunks: string[] = [];
  const out = new AgentConsole((text) => chunks.push(text));
  tl.setStdStream(out.stream);
  const controller = new AbortController();
  const host = new AzureHost({ tl, console: out, env: { AGENT_TEMPDIRECTORY: tempDir, ...env }, signal: controller.signal });
  const text = () => chunks.join('');
  return { host, out, controller, text, log: () => parseAgentLog(text()) };
}

describe('AzureHost', () => {
  test('no line of server text can act as a logging command; each payload is still readable', () => {
    const { host, log, text } = setup();
    host.info(PAYLOADS.join('\n'));
    host.info(`line one\r${PAYLOADS[0]}\u2028${PAYLOADS[2]}`);
    host.warning(PAYLOADS.join(' | '));
    host.error(PAYLOADS.join('\n'));
    host.debug(PAYLOADS.join('\n'));
    host.warning(PAYLOADS.join('\n'), { title: PAYLOADS[0] });
    host.error(PAYLOADS.join('\n'), { title: PAYLOADS[2] });
    expect(log().violations).toEqual([]);
    expect(text()).toContain(breakCommands('##vso[task.complete result=Succeeded]'));
    expect(breakCommands('##vso[')).not.toBe('##vso[');
    expect(text()).toContain('x]y');
  });

  test('the key is masked in every form, in lines, issues and debug output', () => {
    const { host, text, log } = setup();
    const key = 'txk_Unit+Test/Key=%41&Secret2026';
    host.setSecret(key);
    for (const form of secretForms(key)) {
      host.info(`server said ${form}`);
      host.error(`server said ${form}`, { title: 't' });
      host.warning(`server said ${form}`, { title: 't' });
      host.debug(`server said ${form}`);
    }
    expect(commandsNamed(log(), 'task.setsecret').map((c) => c.message)).toEqual([key]);
    const printed = withoutSetSecret(text());
    for (const form of secretForms(key)) expect(printed).not.toContain(form);
    expect(printed).toContain('server said ***');
  });

  test('the console holds task-lib output until the key is registered, but lets task.setsecret through', () => {
    const { host, out, text } = setup();
    out.hold();
    tl.debug(`apiKey=${KEY}`); // what tl.getInput prints
    host.setSecret(KEY);
    expect(text()).toBe(`##vso[task.setsecret]${KEY}\n`);
    out.release();
    expect(text()).toContain('##vso[task.debug]apiKey=***');
    expect(withoutSetSecret(text())).not.toContain(KEY);
  });

  test("a key with '%' or a line break is masked in task-lib's escaped form too", () => {
    const { host, text } = setup();
    host.setSecret('percent%key-2026');
    tl.debug('value=percent%key-2026');
    registerSecret(tl, (host as unknown as { console: AgentConsole }).console, 'first-line-secret\nsecond-line-secret');
    tl.debug('multi first-line-secret\nsecond-line-secret');
    const printed = withoutSetSecret(text());
    expect(printed).not.toMatch(/percent/);
    expect(printed).not.toMatch(/line-secret/);
    // task-lib refuses multi-line secrets: each line is registered on its own.
    expect(commandsNamed(parseAgentLog(text()), 'task.setsecret').map((c) => c.message)).toEqual(
      expect.arrayContaining(['percent%key-2026', 'first-line-secret', 'second-line-secret']),
    );
  });

  test('outputs are camelCase output variables; the result JSON parses back unchanged and carries no live command', () => {
    const { host, log } = setup();
    const result = [{ target: `finance/${PAYLOADS[0]}`, failedTasks: [{ name: PAYLOADS[1], logExcerpt: PAYLOADS.join('\n') }] }];
    host.setOutput('status', 'failed');
    host.setOutput('run-id', '97210,97211');
    host.setOutput('raw-status', PAYLOADS[0]!);
    host.setOutput('duration-seconds', '32');
    host.setOutput('result', JSON.stringify(result));
    host.setOutput('log-file', '/tmp/x.log');
    const parsed = log();
    expect(parsed.violations).toEqual([]);
    const vars = outputVariables(parsed);
    expect([...vars.keys()]).toEqual(['status', 'runId', 'rawStatus', 'durationSeconds', 'result', 'logFile']);
    expect(vars.get('runId')).toBe('97210,97211');
    expect(JSON.parse(vars.get('result')!)).toEqual(result);
    expect(vars.get('result')).not.toContain('#');
    expect(vars.get('rawStatus')).toBe(breakCommands(PAYLOADS[0]!));
    for (const c of commandsNamed(parsed, 'task.setvariable')) expect(c.properties).toMatchObject({ isOutput: 'true', issecret: 'false' });
  });

  test(`errors with an annotation become issues, at most ${MAX_ERROR_ISSUES} (the result is the 10th); the rest are log lines`, () => {
    const { host, log } = setup();
    for (let i = 1; i <= 15; i++) host.error(`ERROR number ${i}`, { title: 'finance/Package/1010 › Load Sales Fact' });
    host.warning('careful', { title: 'w' });
    host.warning('plain warning');
    host.error('plain error');
    const parsed = log();
    const errors = commandsNamed(parsed, 'task.logissue').filter((c) => c.properties.type === 'error');
    expect(errors).toHaveLength(MAX_ERROR_ISSUES);
    expect(errors[0]!.message).toBe('finance/Package/1010 › Load Sales Fact: ERROR number 1');
    expect(commandsNamed(parsed, 'task.logissue').filter((c) => c.properties.type === 'warning').map((c) => c.message)).toEqual(['w: careful']);
    expect(parsed.formatting.filter((f) => f.kind === 'error').map((f) => f.text)).toEqual([
      ...Array.from({ length: 15 - MAX_ERROR_ISSUES }, (_, i) => `ERROR number ${MAX_ERROR_ISSUES + i + 1}`),
      'plain error',
    ]);
    expect(parsed.formatting).toContainEqual({ kind: 'warning', text: 'plain warning' });
  });

  test('groups are ##[group]/##[endgroup]; an inner group is a plain line; titles are neutralized', async () => {
    const { host, log } = setup();
    await host.group(`Load ${PAYLOADS[0]}`, async () => {
      host.info('inside');
      await host.group('inner', async () => host.info('deeper'));
    });
    const parsed = log();
    expect(parsed.violations).toEqual([]);
    expect(parsed.formatting.map((f) => f.kind)).toEqual(['group', 'endgroup']);
    expect(parsed.formatting[0]!.text).toBe(`Load ${breakCommands(PAYLOADS[0]!)}`);
    expect(parsed.plain).toEqual(['inside', 'inner', 'deeper']);
  });

  test('the summary is written under Agent.TempDirectory, masked, and uploaded', async () => {
    const { host, log } = setup();
    host.setSecret(KEY);
    await host.writeSummary(`## Summary\n\nkey ${KEY}\n`);
    const [upload] = commandsNamed(log(), 'task.uploadsummary');
    expect(upload!.message.startsWith(tempDir)).toBe(true);
    expect(upload!.message).toMatch(/Orchestration run\.md$/);
    expect(readFileSync(upload!.message, 'utf8')).toBe('## Summary\n\nkey ***\n');
  });

  test('ciContext comes from the predefined variables', () => {
    expect(
      ciContextFromAzureEnv({
        SYSTEM_COLLECTIONURI: 'https://dev.azure.com/acme/',
        SYSTEM_TEAMPROJECT: 'Data Platform',
        BUILD_BUILDID: '4711',
        SYSTEM_JOBATTEMPT: '2',
        BUILD_SOURCEVERSION: 'abc123',
        BUILD_REQUESTEDFOR: 'Jane Doe',
        BUILD_DEFINITIONNAME: 'release',
        BUILD_REPOSITORY_NAME: 'warehouse',
      }),
    ).toEqual({
      system: 'azure',
      runUrl: 'https://dev.azure.com/acme/Data%20Platform/_build/results?buildId=4711',
      runId: '4711',
      attempt: '2',
      commit: 'abc123',
      actor: 'Jane Doe',
      workflow: 'release',
      repository: 'warehouse',
    });
    expect(ciContextFromAzureEnv({ SYSTEM_COLLECTIONURI: 'https://tfs.corp/tfs/Default', SYSTEM_TEAMPROJECT: 'p', BUILD_BUILDID: '1' }).runUrl).toBe(
      'https://tfs.corp/tfs/Default/p/_build/results?buildId=1',
    );
    expect(ciContextFromAzureEnv({})).toEqual({ system: 'azure' });
  });
});

describe('agentProxy', () => {
  const config = {
    proxyUrl: 'http://proxy.corp:8080',
    proxyUsername: 'svc@corp',
    proxyPassword: 'p@ss:w/rd',
    proxyBypassHosts: ['\\.internal\\.corp'],
    proxyFormattedUrl: 'unused',
  };
  const stub = (bypassed: (url: string) => boolean) => ({
    getHttpProxyConfiguration: (url?: string) => (url && bypassed(url) ? null : config),
  });

  test('credentials are percent-encoded into the URL', () => {
    expect(agentProxy(stub(() => false), 'https://acme.odq.timextender.com')).toEqual({
      url: 'http://svc%40corp:p%40ss%3Aw%2Frd@proxy.corp:8080',
      bypass: [],
    });
  });

  test("the agent's bypass list (regular expressions) is matched against the API root", () => {
    expect(agentProxy(stub((u) => /\.internal\.corp/.test(u)), 'https://tdp.internal.corp:8443/api')).toEqual({
      url: 'http://svc%40corp:p%40ss%3Aw%2Frd@proxy.corp:8080',
      bypass: ['tdp.internal.corp:8443'],
    });
  });

  test('no agent proxy: none', () => {
    expect(agentProxy({ getHttpProxyConfiguration: () => null }, 'https://x')).toBeUndefined();
  });
});

describe('TaskCompletion and cancellation', () => {
  test('the result is set once, whoever comes first', () => {
    const { log } = setup();
    const completion = new TaskCompletion(tl);
    completion.failed('first');
    completion.succeeded('second');
    expect(commandsNamed(log(), 'task.complete').map((c) => [c.properties.result, c.message])).toEqual([['Failed', 'first']]);
  });

  test('a signal aborts the host signal and says so; the backstop sets the result and exits 0 after the grace time', async () => {
    const { out, log, controller } = setup();
    const completion = new TaskCompletion(tl);
    const exits: number[] = [];
    const onSignal = cancellationHandler({ console: out, completion, controller, exit: (code) => exits.push(code), graceMs: 50 });
    onSignal('SIGINT');
    expect(controller.signal.aborted).toBe(true);
    expect(log().plain.join('\n')).toMatch(/SIGINT received, the job is being cancelled/);
    expect(exits).toEqual([]);
    await new Promise((r) => setTimeout(r, 120));
    // The result went over task.complete: exit 0 (a non-zero code would add the agent's own error).
    expect(exits).toEqual([0]);
    expect(commandsNamed(log(), 'task.complete')[0]!.properties.result).toBe('Failed');
  });

  test('the backstop exits non-zero when the result could not reach stdout', async () => {
    const { out, controller } = setup();
    out.hold();
    const stuck = { release: () => undefined, line: () => undefined, completeWritten: false } as unknown as AgentConsole;
    const exits: number[] = [];
    const onSignal = cancellationHandler({ console: stuck, completion: new TaskCompletion({ setResult: () => undefined, TaskResult: tl.TaskResult }), controller, exit: (code) => exits.push(code), graceMs: 10 });
    onSignal('SIGINT');
    await new Promise((r) => setTimeout(r, 60));
    expect(exits).toEqual([EXIT.failed]);
  });

  test('an early exit writes what the host knows: status, run ids, result and its file, summary', () => {
    const { host, out, controller, log } = setup();
    host.known = { platform: 'planasonix', mode: 'run', targets: ['connection/conn_a', 'connection/conn_b'] };
    host.saveState('orchestration-runs', JSON.stringify([{ index: 0, runId: 'job_1', done: false, cancel: 'unconfirmed' }, { index: 1, done: false, trigger: { sentAt: '2026-01-01T00:00:00.000Z', baseline: '{}' } }]));
    const exits: number[] = [];
    const onSignal = cancellationHandler({ console: out, completion: new TaskCompletion(tl), controller, exit: (code) => exits.push(code), graceMs: 60_000, host: () => host });
    onSignal('SIGINT');
    onSignal('SIGTERM');
    expect(exits).toEqual([0]);
    const parsed = log();
    const vars = outputVariables(parsed);
    expect(vars.get('status')).toBe('cancelled');
    expect(vars.get('runId')).toBe('job_1,');
    const result = JSON.parse(vars.get('result')!) as Array<{ target: string; runId?: string; status: string; message: string }>;
    expect(result.map((r) => [r.target, r.runId, r.status])).toEqual([
      ['connection/conn_a', 'job_1', 'cancelled'],
      ['connection/conn_b', undefined, 'cancelled'],
    ]);
    expect(result[0]!.message).toMatch(/cancel was requested but not confirmed/);
    expect(result[1]!.message).toMatch(/trigger was sent at 2026-01-01T00:00:00.000Z/);
    expect(JSON.parse(readFileSync(vars.get('resultFile')!, 'utf8'))).toEqual(result);
    const summary = readFileSync(commandsNamed(parsed, 'task.uploadsummary')[0]!.message, 'utf8');
    expect(summary).toContain('job\\_1');
    expect(commandsNamed(parsed, 'task.complete').map((c) => c.properties.result)).toEqual(['Failed']);
  });

  test('an early exit does not overwrite what the engine already wrote', () => {
    const { host, out, controller, log } = setup();
    host.known = { platform: 'timextender', mode: 'run', targets: ['finance/Package/1'] };
    host.setOutput('status', 'failed');
    const onSignal = cancellationHandler({ console: out, completion: new TaskCompletion(tl), controller, exit: () => undefined, graceMs: 60_000, host: () => host });
    onSignal('SIGINT');
    onSignal('SIGINT');
    const statuses = commandsNamed(log(), 'task.setvariable').filter((c) => c.properties.variable === 'status').map((c) => c.message);
    expect(statuses).toEqual(['failed']);
  });

  test('a second signal exits at once', () => {
    const { out, controller } = setup();
    const exits: number[] = [];
    const onSignal = cancellationHandler({ console: out, completion: new TaskCompletion(tl), controller, exit: (code) => exits.push(code), graceMs: 60_000 });
    onSignal('SIGINT');
    onSignal('SIGTERM');
    expect(exits).toEqual([0]); // the result is out (task.complete): exit 0
  });
});

describe('output sizes', () => {
  test('result: fitted after its # escapes, valid JSON, within the cap; statuses kept', () => {
    const items = Array.from({ length: 3 }, (_, i) => ({ target: `t${i}`, status: 'failed', message: '#'.repeat(20_000), failedTasks: [{ name: '#'.repeat(5000) }] }));
    const json = JSON.stringify(items);
    const fitted = fitResultJson(json, OUTPUT_MAX_CHARS, escapeResultJson, 'failed');
    expect(fitted.length).toBeLessThanOrEqual(OUTPUT_MAX_CHARS);
    expect(fitted).not.toContain('#');
    const parsed = JSON.parse(fitted) as Array<{ target: string; status: string; truncated: boolean }>;
    expect(parsed.map((p) => [p.target, p.status, p.truncated])).toEqual([
      ['t0', 'failed', true],
      ['t1', 'failed', true],
      ['t2', 'failed', true],
    ]);
    // What fits is left alone.
    expect(fitResultJson('[{"status":"succeeded","name":"#1"}]', OUTPUT_MAX_CHARS, escapeResultJson)).toBe('[{"status":"succeeded","name":"\\u00231"}]');
  });

  test('setOutput keeps every variable within the cap', () => {
    const { host, log } = setup();
    host.setOutput('status', 'failed');
    host.setOutput('result', JSON.stringify([{ status: 'failed', message: '#'.repeat(OUTPUT_MAX_CHARS) }]));
    host.setOutput('raw-status', 'x'.repeat(OUTPUT_MAX_CHARS + 10));
    const vars = outputVariables(log());
    expect(vars.get('result')!.length).toBeLessThanOrEqual(OUTPUT_MAX_CHARS);
    expect(JSON.parse(vars.get('result')!)).toEqual([expect.objectContaining({ status: 'failed', truncated: true })]);
    expect(vars.get('rawStatus')!.length).toBeLessThanOrEqual(OUTPUT_MAX_CHARS);
  });
});

describe('Node version guard', () => {
  test('Node 16 and 20.17 are refused with one line naming the requirement; 20.18, 22 and 24 run', () => {
    expect(nodeVersionProblem('16.20.2')).toMatch(/^orchestration-run needs Node\.js 20\.18 or later, but the agent started it with Node\.js 16\.20\.2/);
    expect(nodeVersionProblem('v20.17.0')).toMatch(/Node\.js 20\.17\.0/);
    expect(nodeVersionProblem('16.20.2')).not.toMatch(/[\r\n;\]]/);
    for (const ok of ['20.18.0', '20.19.1', '22.1.0', '24.0.0']) expect(nodeVersionProblem(ok)).toBeUndefined();
  });
});

describe('runTask (in process, against the simulator)', () => {
  let sim: Simulator;
  beforeEach(async () => {
    sim = await tdpWorld();
  });
  afterEach(async () => {
    await sim.close();
  });

  /** The real task-lib, with inputs and endpoints from a table instead of the agent's environment. */
  function agent(inputs: Record<string, string>, endpoints: Record<string, { url: string; token?: string }> = {}) {
    const { out, text, log, controller } = setup();
    const fake: TaskLib = {
      ...tl,
      getInput: (name: string) => inputs[name],
      getEndpointUrl: (id: string) => endpoints[id]?.url,
      getEndpointAuthorizationParameter: (id: string, key: string) => (key === 'apitoken' ? endpoints[id]?.token : undefined),
    };
    const completion = new TaskCompletion(fake);
    const run = () =>
      runTask({ tl: fake, console: out, env: { AGENT_TEMPDIRECTORY: tempDir }, signal: controller.signal, loadProvider, engine: FAST }, completion);
    return { run, text, log };
  }

  test('the key and URL come from the chosen service connection', async () => {
    const { run, log, text } = agent(
      { platform: 'timextender', timextenderConnection: 'ep1', workspace: WS, task: 'Package/1005', pollInterval: '100ms', timeout: '20s' },
      { ep1: { url: sim.url, token: KEY } },
    );
    expect(await run()).toBe(EXIT.succeeded);
    const parsed = log();
    expect(commandsNamed(parsed, 'task.complete').map((c) => c.properties.result)).toEqual(['Succeeded']);
    expect(outputVariables(parsed).get('status')).toBe('succeeded');
    expect(withoutSetSecret(text())).not.toContain(KEY);
  });

  test('a bad input fails with one line that names the input in camelCase, before any request', async () => {
    const { run, log } = agent({ platform: 'timextender', apiKey: KEY, baseUrl: sim.url, workspace: WS, processMap: '42', pollInterval: 'soon' });
    expect(await run()).toBe(EXIT.badInput);
    const [complete] = commandsNamed(log(), 'task.complete');
    expect(complete!.properties.result).toBe('Failed');
    expect(complete!.message).toMatch(/^Input 'pollInterval'.*Example: /);
    expect(sim.journal.count()).toBe(0);
  });

  test('a key pasted with a Bearer prefix: every piece is registered as a secret before anything is printed, as the Action does', async () => {
    const { run, log } = agent({ platform: 'timextender', apiKey: `  Bearer ${KEY}\n`, baseUrl: sim.url, workspace: WS, task: 'Package/1005' });
    expect(await run()).toBe(EXIT.badInput);
    const secrets = commandsNamed(log(), 'task.setsecret').map((c) => c.message);
    expect(secrets).toEqual(expect.arrayContaining([KEY, `Bearer ${KEY}`]));
    expect(commandsNamed(log(), 'task.complete')[0]!.message).not.toContain(KEY);
  });

  test('no key anywhere: the message points at the service connection', async () => {
    const { run, log } = agent({ platform: 'timextender', baseUrl: sim.url, workspace: WS, task: 'Package/1005' });
    expect(await run()).toBe(EXIT.badInput);
    expect(commandsNamed(log(), 'task.complete')[0]!.message).toMatch(/'apiKey'.*service connection/);
  });

  test("a connection chosen for another platform is reported, and 'apiKey' wins over a connection", async () => {
    const { run, log } = agent(
      {
        platform: 'timextender',
        apiKey: KEY,
        baseUrl: sim.url,
        timextenderConnection: 'ep1',
        qarionConnection: 'ep2',
        workspace: WS,
        task: 'Package/1005',
        pollInterval: '100ms',
      },
      { ep1: { url: 'https://unused.example', token: 'txk_SomeOtherKeyThatIsNotUsed0000001' }, ep2: { url: 'https://api.qarion.com', token: 'q' } },
    );
    expect(await run()).toBe(EXIT.succeeded);
    const warnings = commandsNamed(log(), 'task.logissue').filter((c) => c.properties.type === 'warning').map((c) => c.message);
    expect(warnings).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/'qarionConnection' is ignored: platform is timextender/),
        expect.stringMatching(/Both 'apiKey' and a service connection are set: using 'apiKey'/),
      ]),
    );
  });
});

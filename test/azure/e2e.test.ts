/**
 * The Azure DevOps task as the agent runs it: the BUILT bundle (azure-task/OrchestrationRunV1/dist/index.js)
 * started with the agent's environment (INPUT_*, ENDPOINT_*, AGENT_TEMPDIRECTORY, SYSTEM_* and BUILD_*
 * variables, the agent's proxy variables), against the loopback simulator: every scenario on Node 24 (the
 * handler task.json names first), the core ones on Node 20 too (test/helpers/runtimes.ts `scenario`). Its
 * stdout is read like the agent reads it (agent-log.ts).
 *
 * The bundle is made from lib/ (built by `npm test`) with scripts/bundle-azure.mjs when it is older than lib/.
 * The packaging test at the end packages that bundle into a .vsix and checks it.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { breakCommands } from '../../src/adapters/azure/host.js';
import type { Simulator } from '../../src/simulator/index.js';
import { runtimes, scenario } from '../helpers/runtimes.js';
import { tdpWorld, WS } from '../helpers/tdp.js';
import { commandsNamed, outputVariables, secretForms } from './agent-log.js';
import { BUILD_ROOT, ENDPOINT, ensureBundle, expectNoSecret, removeTempDirs, results, runBundle, summaryOf, tempDir } from './run-bundle.js';

const RUNTIMES = runtimes();
/** A key with characters that URL-encoding and base64 change, so every printed form can be looked for. */
const AZ_KEY = 'txk_Azure+E2e/Key=%41&Secret#2026';
const OUTPUTS = ['status', 'runId', 'rawStatus', 'startedAt', 'finishedAt', 'durationSeconds', 'result', 'resultFile', 'logFile'];
const RUN_URL = 'https://dev.azure.com/acme/Data%20Platform/_build/results?buildId=4711';

afterAll(removeTempDirs);

beforeAll(() => {
  ensureBundle();
}, 180_000);

let sim: Simulator;
beforeEach(async () => {
  sim = await tdpWorld();
  sim.tdp.addKey('engineer', AZ_KEY);
});
afterEach(async () => {
  await sim.close();
});

const common = { platform: 'timextender', workspace: WS, pollInterval: '200ms', timeout: '60s' };

describe.each(RUNTIMES.map((r) => [r.name, r] as const))('OrchestrationRun@1 bundle on %s', (_, runtime) => {
  const it = scenario(RUNTIMES, runtime);
  it('core')('a task that succeeds, with the key and URL from the service connection: result, outputs, summary', async () => {
    const run = await runBundle(runtime, {
      inputs: { ...common, timextenderConnection: ENDPOINT, task: 'Package/1005' },
      endpoint: { url: sim.url, token: AZ_KEY },
    });
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.log.violations).toEqual([]);
    expect(results(run)).toEqual(['Succeeded']);
    // The key is registered with the agent before anything else is printed.
    expect(run.log.commands.findIndex((c) => c.name === 'task.setsecret')).toBeLessThan(
      run.log.commands.findIndex((c) => c.name === 'task.debug' && c.message.startsWith('platform=')),
    );
    expect(commandsNamed(run.log, 'task.setsecret').map((c) => c.message)).toContain(AZ_KEY);

    const vars = outputVariables(run.log);
    expect([...vars.keys()].sort()).toEqual([...OUTPUTS].sort());
    expect(vars.get('status')).toBe('succeeded');
    expect(vars.get('runId')).toMatch(/^\d+$/);
    expect(vars.get('rawStatus')).toBe('Finished');
    expect(vars.get('startedAt')).toMatch(/^\d{4}-\d{2}-\d{2}T/);
    expect(vars.get('finishedAt')).toMatch(/^\d{4}-\d{2}-\d{2}T/);
    expect(vars.get('durationSeconds')).toMatch(/^\d+$/);
    expect(vars.get('logFile')!.startsWith(run.agentTemp)).toBe(true);
    const result = JSON.parse(vars.get('result')!) as Array<Record<string, unknown>>;
    expect(result).toEqual([expect.objectContaining({ target: 'finance/Package/1005', status: 'succeeded', runId: vars.get('runId') })]);

    const summary = summaryOf(run);
    expect(summary).toContain('finance/Package/1005');
    expect(summary).toContain('succeeded');
    expect(summary).toContain(RUN_URL);
    expect(run.log.plain.join('\n')).toMatch(/found run \d+/);
    expect(sim.journal.count({ method: 'POST', path: /\/trigger$/ })).toBe(1);
    expectNoSecret(run, [AZ_KEY]);
  }, 60_000);

  it('core')('a failure whose names and logs carry logging commands and the key: explained, nothing gets through', async () => {
    const run = await runBundle(runtime, { inputs: seedInjectedFailure(sim) });
    // The result goes over task.complete; a non-zero exit would add the agent's own "Exit code 1" error.
    expect(run.code).toBe(0);
    expect(run.stderr).toBe('');
    expect(run.log.violations).toEqual([]);
    expect(results(run)).toEqual(['Failed']);
    const complete = commandsNamed(run.log, 'task.complete')[0]!;
    expect(complete.message).toMatch(/^finance\/Package\/7001: run \d+ ended Failed/);

    // Only the task's own variables, each set once.
    const setVariables = commandsNamed(run.log, 'task.setvariable').map((c) => c.properties.variable);
    expect(setVariables.sort()).toEqual([...OUTPUTS].sort());
    expect(outputVariables(run.log).get('status')).toBe('failed');
    expect(commandsNamed(run.log, 'task.uploadsummary')).toHaveLength(1);
    const result = JSON.parse(outputVariables(run.log).get('result')!) as Array<{ failedTasks: Array<{ name: string }> }>;
    expect(result[0]!.failedTasks[0]!.name).toContain('##vso[task.complete result=Succeeded]'); // unchanged value, inert encoding

    // The payloads are shown, broken, in the log excerpt group and the issues.
    expect(run.stdout).toContain(breakCommands('##vso[task.setvariable variable=injected]yes'));
    expect(run.log.formatting.map((f) => f.kind)).toEqual(expect.arrayContaining(['group', 'endgroup']));
    const errorIssues = [...commandsNamed(run.log, 'task.logissue'), ...commandsNamed(run.log, 'task.issue')].filter(
      (c) => c.properties.type === 'error',
    );
    expect(errorIssues.length).toBeGreaterThan(1);
    expect(errorIssues.length).toBeLessThanOrEqual(10);
    expect(errorIssues.map((c) => c.message).join('\n')).toContain(breakCommands('##vso[task.complete result=Succeeded]'));

    const summary = summaryOf(run);
    expect(summary).toContain('finance/Package/7001');
    expect(summary).not.toMatch(/##vso\[|##\[/i);
    // The step's log file is checked on its own below (a known gap in the engine).
    expectNoSecret(run, [AZ_KEY], (file) => file === outputVariables(run.log).get('logFile'));
  }, 60_000);

  it('core')('cancelled (SIGINT) while following a TimeXtender run: a clear line, a failed result, exit 0, a prompt exit', async () => {
    sim.tdp.setScenario(WS, 'Package', 1005, { outcome: 'hang' });
    const run = await runBundle(runtime, {
      inputs: { ...common, timextenderConnection: ENDPOINT, task: 'Package/1005' },
      endpoint: { url: sim.url, token: AZ_KEY },
      onLine: (line, signal) => {
        if (/run \d+ is Running/.test(line)) signal('SIGINT');
      },
    });
    expect(run.exitAfterSignalMs).toBeDefined();
    expect(run.exitAfterSignalMs!).toBeLessThan(5_500);
    // The result (Failed, cancelled) went over task.complete: exit 0, no second error from the agent.
    expect(run.code).toBe(0);
    expect(run.log.violations).toEqual([]);
    const text = run.stdout;
    expect(text).toMatch(/SIGINT received, the job is being cancelled/);
    expect(text).toMatch(/timextender offers no way to cancel a run: run \d+ keeps going on the server/);
    expect(results(run)).toEqual(['Failed']);
    expect(commandsNamed(run.log, 'task.complete')[0]!.message).toMatch(/cancelled/);
    expect(outputVariables(run.log).get('status')).toBe('cancelled');
    expect(summaryOf(run)).toContain('cancelled');
    expectNoSecret(run, [AZ_KEY]);
  }, 60_000);

  it()('a bad input: one line naming the input in camelCase, the result over task.complete and exit 0, no request sent', async () => {
    const run = await runBundle(runtime, { inputs: { ...common, apiKey: AZ_KEY, baseUrl: sim.url, task: 'Package' } });
    expect(run.code).toBe(0);
    expect(results(run)).toEqual(['Failed']);
    expect(commandsNamed(run.log, 'task.complete')[0]!.message).toMatch(/^Input 'task' line 1: .*Example: /);
    expect(sim.journal.count()).toBe(0);
    expectNoSecret(run, [AZ_KEY]);
  }, 60_000);

  it()("the agent's proxy, with credentials, is used; its bypass list is honoured", async () => {
    const proxy = await startForwardProxy();
    const password = 'pr0xy:p@ss/w0rd';
    const proxyEnv = {
      AGENT_PROXYURL: proxy.url,
      AGENT_PROXYUSERNAME: 'svc@corp',
      SECRET_AGENT_PROXYPASSWORD: password,
      VSTS_SECRET_VARIABLES: JSON.stringify(['Agent.ProxyPassword']),
    };
    try {
      const inputs = { ...common, timextenderConnection: ENDPOINT, task: 'Package/1005' };
      const endpoint = { url: sim.url, token: AZ_KEY };
      const viaProxy = await runBundle(runtime, { inputs, endpoint, env: proxyEnv });
      expect(viaProxy.code).toBe(0);
      expect(proxy.requests.length).toBeGreaterThan(0);
      expect(new Set(proxy.requests.map((r) => r.auth))).toEqual(
        new Set([`Basic ${Buffer.from(`svc@corp:${password}`).toString('base64')}`]),
      );
      expectNoSecret(viaProxy, [AZ_KEY, password]);

      proxy.requests.length = 0;
      const bypassed = await runBundle(runtime, {
        inputs,
        endpoint,
        env: { ...proxyEnv, AGENT_PROXYBYPASSLIST: JSON.stringify(['127\\.0\\.0\\.1']) },
      });
      expect(bypassed.code).toBe(0);
      expect(proxy.requests).toHaveLength(0);
    } finally {
      await proxy.close();
    }
  }, 60_000);
});

// A server log line that holds the key must not put it in the step's log file, which the logFile output
// points at and pipelines publish: the engine masks every line it writes there.
test('the log file holds no form of the key either, even when the server logs it', async () => {
  const run = await runBundle(RUNTIMES[0]!, { inputs: seedInjectedFailure(sim) });
  const logFile = outputVariables(run.log).get('logFile')!;
  expect(existsSync(logFile)).toBe(true);
  const text = readFileSync(logFile, 'utf8');
  for (const form of secretForms(AZ_KEY)) expect(text).not.toContain(form);
}, 60_000);

describe('packaging', () => {
  test('package-azure.mjs makes a .vsix with the manifest, task.json, the bundle and the icons; versions agree', () => {
    const out = tempDir('azure-vsix-');
    const log = execFileSync(process.execPath, [join(BUILD_ROOT, 'scripts', 'package-azure.mjs'), '--skip-build', '--check-task-json', '--out', out], {
      cwd: BUILD_ROOT,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: 120_000,
    });
    const vsix = log.trim().split('\n').pop()!;
    expect(vsix.startsWith(out)).toBe(true);
    const { config, version } = JSON.parse(readFileSync(join(BUILD_ROOT, 'package.json'), 'utf8')) as { config: { marketplacePublisher: string }; version: string };
    expect(vsix.endsWith(`${config.marketplacePublisher}.orchestration-run-${version}.vsix`)).toBe(true);
    const report = JSON.parse(execFileSync(process.execPath, [join(BUILD_ROOT, 'scripts', 'check-vsix.mjs'), vsix, '--json'], { encoding: 'utf8' })) as {
      extensionVersion: string;
      taskVersion: { Major: number; Minor: number; Patch: number };
      entries: Array<{ name: string; size: number }>;
      endpointTypes: string[];
      problems: string[];
      bytes: number;
    };
    expect(report.problems).toEqual([]);
    const names = report.entries.map((e) => e.name);
    expect(names).toEqual(
      expect.arrayContaining([
        'extension.vsixmanifest',
        'extension.vsomanifest',
        'OrchestrationRunV1/task.json',
        'OrchestrationRunV1/dist/index.js',
        'OrchestrationRunV1/dist/package.json',
        'OrchestrationRunV1/icon.png',
        'images/icon.png',
        'overview.md',
      ]),
    );
    const { Major, Minor, Patch } = report.taskVersion;
    expect(`${Major}.${Minor}.${Patch}`).toBe(report.extensionVersion);
    const manifest = JSON.parse(readFileSync(join(BUILD_ROOT, 'azure-task', 'vss-extension.json'), 'utf8')) as { version: string };
    expect(report.extensionVersion).toBe(manifest.version);
    expect(report.endpointTypes.sort()).toEqual(['planasonix', 'qarion', 'timextender']);
    expect(report.bytes).toBeLessThan(5 * 1024 * 1024);
  }, 180_000);
});

/**
 * A failing task whose name and log lines carry Azure (and GitHub) logging commands, escape sequences, bare
 * CRs, the key in every printable form, and more ERROR lines than annotations allowed. Returns the inputs.
 */
function seedInjectedFailure(simulator: Simulator): Record<string, string> {
  const payloads = [
    '##vso[task.complete result=Succeeded]',
    '##vso[task.setvariable variable=injected]yes',
    '##vso[task.setvariable variable=status;isOutput=true]succeeded',
    '##[error]x',
    '::error::x',
    '##vso[task.uploadsummary]/etc/passwd',
    '\u001b[31m##vso[task.setvariable variable=ansi]1\u001b[0m',
    'ok\r##vso[task.complete result=Succeeded]',
  ];
  simulator.tdp.addTask(WS, {
    taskType: 'Package',
    taskId: 7001,
    taskName: 'Load ##vso[task.complete result=Succeeded] ##[error]name\n##vso[task.setvariable variable=injected]yes',
  });
  simulator.tdp.setScenario(WS, 'Package', 7001, {
    outcome: 'failure',
    durationMs: 300,
    logLines: [
      'Starting package execution',
      ...payloads,
      ...payloads.map((p) => `ERROR: ${p}`),
      ...secretForms(AZ_KEY).map((form) => `ERROR: connecting with key ${form}`),
      ...Array.from({ length: 12 }, (_, i) => `ERROR: failure number ${i + 1}`),
    ],
  });
  return { ...common, apiKey: AZ_KEY, baseUrl: simulator.url, task: 'Package/7001', logLines: '500' };
}

/** A classic forward proxy for plain-http targets (absolute-form requests), recording Proxy-Authorization. */
async function startForwardProxy(): Promise<{ url: string; requests: Array<{ url: string; auth: string | undefined }>; close: () => Promise<void> }> {
  const requests: Array<{ url: string; auth: string | undefined }> = [];
  const server = http.createServer((req, res) => {
    requests.push({ url: req.url ?? '', auth: req.headers['proxy-authorization'] });
    const headers = { ...req.headers };
    delete headers['proxy-authorization'];
    delete headers['proxy-connection'];
    const upstream = http.request(req.url ?? '', { method: req.method, headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    upstream.on('error', () => {
      res.writeHead(502);
      res.end();
    });
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

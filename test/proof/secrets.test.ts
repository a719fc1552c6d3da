/**
 * Proof 4, secret hygiene. findLeaks (test/helpers/leaks.ts) looks for the key raw, URL-encoded, base64
 * (standard and URL-safe, alone and inside wrappers such as `Bearer <key>`), JSON-escaped and in long
 * pieces. Here it is first shown to find what it claims to find, then turned on everything the front ends
 * produce while a server echoes the key back in every encoding: in log lines, a task name and an error's
 * problem details. The key is registered with the CI system before the first line is printed, and the CLI
 * never prints it at all. A redirect never carries the key to another origin.
 */
import { runStep } from '../../src/core/engine/index.js';
import { parseSettings } from '../../src/providers/registry.js';
import { maskSecrets } from '../../src/core/untrusted.js';
import { loadProvider } from '../../src/providers/registry.js';
import { startSimulator, type Simulator } from '../../src/simulator/index.js';
import { findLeaks, randomKey, secretForms } from '../helpers/leaks.js';
import { availableFrontEnds, everythingPrinted, runFrontEnd, type FrontEnd, type FrontEndRun } from './frontends.js';
import { lines, pool, ProofHost, writeFigures } from './support.js';

/**
 * Two keys: one shaped like a real TimeXtender key (txk_ + 32 letters and digits), and one with characters
 * that URL-encoding, JSON, HTML/XML escaping and base64 all change (tokens of other platforms may hold them).
 */
const KEYS = { plain: 'txk_SecretProofKeyAbCdEfGhIjKlMnOp01', special: 'txk_Secret+Proof/Key=%41&"q"\\AbCdEf0123456789' } as const;
type KeyKind = keyof typeof KEYS;
const KEY = KEYS.plain;
const WS = 'secrets';
const b64 = (s: string) => Buffer.from(s).toString('base64');
const echoes = (key: string) => [
  `ERROR: rejected X-API-Key ${key}`,
  `GET /api?key=${encodeURIComponent(key)} failed`,
  `Authorization: Basic ${b64(`svc:${key}`)}`,
  `Authorization: Bearer ${key} / ${b64(`Bearer ${key}`)}`,
  `token (base64url) ${Buffer.from(key).toString('base64url')}`,
  `config {"apiKey": ${JSON.stringify(key)}}`,
];
const TASKS: Record<KeyKind, { echo: number; problem: number }> = { plain: { echo: 7001, problem: 7002 }, special: { echo: 7011, problem: 7012 } };

let sim: Simulator;
const frontEnds = availableFrontEnds();
const runs = new Map<string, FrontEndRun>();
let leaksFound = 0;

function seedWorld(s: Simulator): void {
  const tdp = s.tdp;
  tdp.addUser('prover');
  tdp.addWorkspace(WS, { name: 'Secrets', access: { prover: 'contributor' } });
  for (const kind of Object.keys(KEYS) as KeyKind[]) {
    const key = KEYS[kind];
    tdp.addKey('prover', key);
    // A failing task whose log and name echo the key.
    tdp.addTask(WS, { taskType: 'Package', taskId: TASKS[kind].echo, taskName: `Load with ${key}` });
    tdp.setScenario(WS, 'Package', TASKS[kind].echo, { outcome: 'failure', durationMs: 150, logLines: echoes(key) });
    // A task whose lookup fails with the key in the problem details.
    tdp.addTask(WS, { taskType: 'Package', taskId: TASKS[kind].problem, taskName: 'Problem echo' });
    const problem = { title: `Invalid key ${key}`, status: 403, detail: `key=${encodeURIComponent(key)}; basic ${b64(`u:${key}`)}`, traceId: Buffer.from(key).toString('base64url') };
    s.faults.add({ method: 'GET', path: `/api/v0/orchestration/${WS}/tasks/Package/${TASKS[kind].problem}`, kind: 'status', status: 403, body: JSON.stringify(problem), times: Infinity });
  }
}

const SCENARIOS = ['log and name echo', 'problem echo'] as const;
const RUNS = frontEnds.flatMap((fe) => (Object.keys(KEYS) as KeyKind[]).flatMap((kind) => SCENARIOS.map((scenario) => ({ fe, kind, scenario }))));
const runName = (r: { fe: FrontEnd; kind: KeyKind; scenario: string }) => `${r.fe}/${r.kind} key/${r.scenario}`;

beforeAll(async () => {
  sim = await startSimulator({ seed: 17 });
  seedWorld(sim);
  await pool(RUNS, 3, async (r) => {
    const task = `Package/${r.scenario === 'problem echo' ? TASKS[r.kind].problem : TASKS[r.kind].echo}`;
    const inputs = { platform: 'timextender', 'base-url': sim.url, 'api-key': KEYS[r.kind], workspace: WS, task, 'poll-interval': '200ms', timeout: '30s' };
    runs.set(runName(r), await runFrontEnd(r.fe, inputs, { cliFlags: ['--verbose'] }));
  });
}, 180_000);

afterAll(async () => {
  writeFigures('secrets', { frontEnds, runs: runs.size, leaksFound, forms: secretForms(KEYS.special).length });
  await sim.close();
});

describe('findLeaks', () => {
  const key = randomKey(true);
  const filler = (text: string) => `some log text before ${text} and after`;

  test.each(secretForms(key).map((f) => [f.name, f.text] as const))('finds the %s form', (name, text) => {
    const leaks = findLeaks(['nothing here', filler(text)], key);
    // Forms overlap (a whole base64 also holds the fragments): this one is named, and only text 1 leaks.
    expect(leaks.some((l) => l.startsWith(`text 1: ${name} at `))).toBe(true);
    expect(leaks.every((l) => l.startsWith('text 1: '))).toBe(true);
  });

  test.each([
    ['inside a Basic header', (k: string) => b64(`svc-user:${k}`)],
    ['inside a JSON document', (k: string) => b64(JSON.stringify({ token: k, scope: 'all' }))],
    ['inside a longer value, url-safe', (k: string) => Buffer.from(`x=1&key=${k}&y=2`).toString('base64url')],
    ['a 12-character piece', (k: string) => k.slice(7, 19)],
  ])('finds the key %s', (_name, make) => {
    expect(findLeaks([filler(make(key))], key)).not.toEqual([]);
  });

  test('finds nothing in clean text, in other keys, or in what maskSecrets left', () => {
    expect(findLeaks(['run 12345 ended Finished', randomKey(true), randomKey()], key)).toEqual([]);
    const everyForm = secretForms(key).map((f) => filler(f.text)).join('\n');
    const wrapped = [b64(`svc:${key}`), b64(`Bearer ${key}`), Buffer.from(`{"k":"${key}"}`).toString('base64url')].join(' ');
    // The product's masker must cover every form the detector knows.
    expect(findLeaks([maskSecrets(`${everyForm}\n${wrapped}`, [key])], key)).toEqual([]);
  });

  test('does not print the key when it reports a leak', () => {
    const report = findLeaks([filler(key)], key).join('\n');
    expect(report).toContain('<LEAK>');
    expect(report).not.toContain(key);
  });
});

test('the engine registers the key before anything else reaches the host', async () => {
  const values: Record<string, string> = { platform: 'timextender', 'base-url': sim.url, 'api-key': KEY, workspace: WS, task: 'Package/7001', 'poll-interval': '100ms', timeout: '20s' };
  const { settings } = parseSettings((name) => values[name]);
  const host = new ProofHost();
  const outcome = await runStep(settings, host, { loadProvider });
  expect(outcome.status).toBe('failed');
  expect(host.calls[0]!.method).toBe('setSecret');
  expect(host.calls.filter((c) => c.method === 'setSecret')).toHaveLength(1);
  // What the host printed, set and saved (the summary and files are checked through the front ends below).
  expect(findLeaks([host.printed(), ...host.outputs.values(), ...host.state.values()], KEY)).toEqual([]);
});

test('a redirect to another origin is not followed, so the key never goes there', async () => {
  const other = await startSimulator({ seed: 18 });
  try {
    sim.faults.add({ method: 'GET', path: `/api/v0/orchestration/${WS}/tasks/Package/7001`, kind: 'redirect', location: `${other.url}/api/v0/orchestration/${WS}/tasks/Package/7001` });
    const values: Record<string, string> = { platform: 'timextender', 'base-url': sim.url, 'api-key': KEY, workspace: WS, task: 'Package/7001', timeout: '10s' };
    const { settings } = parseSettings((name) => values[name]);
    const host = new ProofHost();
    const outcome = await runStep(settings, host, { loadProvider });
    expect(outcome.status).toBe('failed');
    expect(outcome.failureLine).toMatch(/redirect.*not followed/);
    expect(other.journal.entries()).toEqual([]);
  } finally {
    await other.close();
  }
});

describe.each(RUNS.map((r) => [runName(r), r] as const))('%s', (_name, r) => {
  test('the step failed, and the key shows nowhere: output, summary, outputs, state, JUnit, log files', () => {
    const run = runs.get(runName(r))!;
    if (r.fe === 'azure') {
      // The agent reads the result from task.complete and expects exit 0 after it.
      expect(run.code).toBe(0);
      expect(lines(run.stdout).filter((l) => /^##vso\[task\.complete /.test(l)).map((l) => /result=(\w+)/.exec(l)?.[1])).toEqual(['Failed']);
    } else {
      expect(run.code).toBe(1);
    }
    const leaks = findLeaks(everythingPrinted(run), KEYS[r.kind]).map((l) => {
      const index = Number(/^text (\d+)/.exec(l)![1]);
      return `${index === 0 ? 'stdout' : index === 1 ? 'stderr' : run.files[index - 2]!.path.replace(/.*\//, '').replace(/-20\d\d-.*\.log$/, '-….log')}: ${l.replace(/^text \d+: /, '')}`;
    });
    leaksFound += leaks.length;
    expect(leaks).toEqual([]);
  });

  test('the key is registered with the CI system before the first line is printed (the CLI never prints it)', () => {
    const run = runs.get(runName(r))!;
    const out = lines(run.stdout);
    const isRegistration = (l: string) => /^::add-mask::|^##vso\[task\.setsecret\]/.test(l);
    if (r.fe === 'github') expect(out[0]).toMatch(/^::add-mask::/);
    else if (r.fe === 'azure') expect(out[0]).toMatch(/^##vso\[task\.setsecret\]/);
    else {
      expect(out.some(isRegistration)).toBe(false);
      expect(findLeaks([run.stdout, run.stderr], KEYS[r.kind])).toEqual([]);
    }
    // Every registration comes before every other line.
    const firstOther = out.findIndex((l) => !isRegistration(l));
    const lastRegistration = out.map(isRegistration).lastIndexOf(true);
    expect(lastRegistration).toBeLessThan(firstOther);
  });
});

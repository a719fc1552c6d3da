/**
 * The pull-request comment (`pr-comment: true`, src/adapters/github/pr-comment.ts) through the main step, with
 * the real octokit pointed (`baseUrl`) at a loopback fake of the REST endpoints it uses (fake-github.ts), and
 * the data load against the simulator: one comment per pull request and step, updated in place on re-runs,
 * found by its hidden marker; a comment that fails is a warning and never changes the step's result.
 */
import type { RunContext } from '../../src/adapters/github/context.js';
import { runMainStep } from '../../src/adapters/github/main-step.js';
import { commentBody, commentMarker, MAX_COMMENT_CHARS } from '../../src/adapters/github/pr-comment.js';
import type { StepDeps } from '../../src/adapters/github/steps.js';
import { loadProvider } from '../../src/providers/registry.js';
import type { Simulator } from '../../src/simulator/index.js';
import { FAILURE_LOG, FAST, KEY, tdpWorld, WS } from '../helpers/tdp.js';
import { startFakeGitHub, type FakeGitHub } from './fake-github.js';
import { RecordingCore } from './recording-core.js';

const TOKEN = 'ghs_PrCommentTestToken0123456789abcdef';
const PR = 7;

let sim: Simulator;
let gh: FakeGitHub;

beforeEach(async () => {
  sim = await tdpWorld();
  gh = await startFakeGitHub({ owner: 'acme', repo: 'app', token: TOKEN });
});

afterEach(async () => {
  await gh.close();
  await sim.close();
});

function inputs(extra: Record<string, string> = {}): Record<string, string> {
  return {
    platform: 'timextender',
    'api-key': KEY,
    'base-url': sim.url,
    workspace: WS,
    task: 'Package/1005',
    timeout: '20s',
    'poll-interval': '100ms',
    'pr-comment': 'true',
    'github-token': TOKEN,
    ...extra,
  };
}

/** A pull_request run of acme/app, with the fake as its API. */
function prContext(extra: Partial<RunContext> = {}): RunContext {
  return {
    serverUrl: 'https://github.com',
    apiUrl: gh.url,
    repository: 'acme/app',
    runId: 4242,
    runAttempt: 1,
    sha: '0123456789abcdef0123456789abcdef01234567',
    actor: 'octocat',
    workflow: 'ci',
    job: 'load',
    action: 'gate',
    eventName: 'pull_request',
    payload: { pull_request: { number: PR } },
    ...extra,
  };
}

function deps(core: RecordingCore, context: RunContext = prContext(), extra: Partial<StepDeps> = {}): StepDeps {
  return { core, env: {}, context, signal: new AbortController().signal, loadProvider, engine: FAST, ...extra };
}

const writes = () => gh.requests.filter((r) => r.method !== 'GET');
const warnings = (core: RecordingCore) => core.calls.filter((c) => c.fn === 'warning' && c.message.startsWith('pr-comment:')).map((c) => c.message);

test('the first run comments on the pull request with the summary table, behind a hidden marker', async () => {
  const core = new RecordingCore(inputs());
  await expect(runMainStep(deps(core))).resolves.toBe(0);
  expect(gh.comments).toHaveLength(1);
  const [comment] = gh.comments;
  expect(comment!.issue).toBe(PR);
  expect(comment!.body).toMatch(/^<!-- orchestration-run:pr-comment [0-9a-f]{16} -->\n## orchestration-run: timextender run\n/);
  expect(comment!.body).toContain('| Target | Run id | Status |');
  expect(comment!.body).toContain('finance/Package/1005');
  expect(comment!.body).toContain('https://github.com/acme/app/actions/runs/4242/attempts/1');
  expect(gh.requests.every((r) => r.authorization === `token ${TOKEN}`)).toBe(true);
  expect(core.text()).toContain(`pr-comment: commented on pull request #${PR}`);
  expect(core.text()).not.toContain(TOKEN);
  expect(warnings(core)).toEqual([]);
});

test('a re-run updates the same comment instead of adding another; other comments are left alone', async () => {
  const before = gh.addComment(PR, 'LGTM, but please run the load');
  await runMainStep(deps(new RecordingCore(inputs())));
  const first = gh.comments.find((c) => c.id !== before.id)!;
  sim.tdp.setScenario(WS, 'Package', 1005, { outcome: 'failure', durationMs: 200, logLines: FAILURE_LOG });
  const rerun = new RecordingCore(inputs());
  await expect(runMainStep(deps(rerun, prContext({ runAttempt: 2 })))).resolves.toBe(1);

  expect(gh.comments.map((c) => c.id)).toEqual([before.id, first.id]);
  expect(gh.comments[0]!.body).toBe('LGTM, but please run the load');
  expect(first.body).toContain('❌');
  expect(first.body).toContain('/attempts/2');
  expect(writes().map((r) => `${r.method} ${r.path}`)).toEqual([`POST /repos/acme/app/issues/${PR}/comments`, `PATCH /repos/acme/app/issues/comments/${first.id}`]);
  expect(rerun.text()).toContain(`pr-comment: updated the step's comment on pull request #${PR}`);
  // The step still fails on the load, with the load's own line.
  expect(rerun.failed).toMatch(/^finance\/Package\/1005.*Failed/);
});

test('two steps, and two legs of a matrix (same job and step id, other targets), get a comment each', async () => {
  await runMainStep(deps(new RecordingCore(inputs())));
  await runMainStep(deps(new RecordingCore(inputs()), prContext({ action: 'gate-2' })));
  await runMainStep(deps(new RecordingCore(inputs({ task: 'Package/42' }))));
  await runMainStep(deps(new RecordingCore(inputs({ task: 'Package/42' }))));
  expect(gh.comments).toHaveLength(3);
  const markers = gh.comments.map((c) => c.body.split('\n')[0]);
  expect(new Set(markers).size).toBe(3);
  expect(writes().filter((r) => r.method === 'PATCH')).toHaveLength(1);
});

test('the step finds its comment past the first page of comments', async () => {
  await runMainStep(deps(new RecordingCore(inputs())));
  const own = gh.comments[0]!;
  // Move it behind 150 others: the look-up has to turn a page.
  gh.comments.splice(0, 1);
  for (let i = 0; i < 150; i++) gh.addComment(PR, `comment ${i}`);
  gh.comments.push(own);
  await runMainStep(deps(new RecordingCore(inputs())));
  expect(gh.comments).toHaveLength(151);
  expect(gh.requests.filter((r) => r.method === 'GET').map((r) => r.path)).toEqual(
    expect.arrayContaining([expect.stringMatching(/page=2/)]),
  );
  expect(writes().at(-1)).toEqual(expect.objectContaining({ method: 'PATCH', path: `/repos/acme/app/issues/comments/${own.id}` }));
});

test('a comment the token may not write (a fork pull request, a read-only token) is a warning; the step passes', async () => {
  gh.mode = 'refuse';
  const core = new RecordingCore(inputs());
  await expect(runMainStep(deps(core))).resolves.toBe(0);
  expect(core.failed).toBeUndefined();
  expect(core.outputs.get('status')).toBe('succeeded');
  expect(warnings(core)).toEqual([
    expect.stringMatching(/^pr-comment: could not comment on pull request #7: HTTP 403: Resource not accessible by integration.*pull-requests: write.*fork/),
  ]);
  expect(core.text()).not.toContain(TOKEN);
});

test('a failing load with a refused comment still fails on the load, not on the comment', async () => {
  gh.mode = 'refuse';
  sim.tdp.setScenario(WS, 'Package', 1010, { outcome: 'failure', durationMs: 200, logLines: FAILURE_LOG });
  const core = new RecordingCore(inputs({ task: 'Package/1010' }));
  await expect(runMainStep(deps(core))).resolves.toBe(1);
  expect(core.failed).toMatch(/^finance\/Package\/1010/);
  expect(warnings(core)).toHaveLength(1);
});

test('an API that does not answer: a warning after the comment time limit, and the step goes on', async () => {
  gh.mode = 'hang';
  const core = new RecordingCore(inputs());
  const started = Date.now();
  await expect(runMainStep(deps(core, prContext(), { commentTimeoutMs: 500 }))).resolves.toBe(0);
  expect(Date.now() - started).toBeLessThan(10_000);
  expect(warnings(core)).toEqual([expect.stringMatching(/^pr-comment: could not comment on pull request #7: no answer in time/)]);
});

test('not a pull request, or pr-comment off: no request to the API at all', async () => {
  const push = new RecordingCore(inputs());
  await expect(runMainStep(deps(push, prContext({ eventName: 'push', payload: {} })))).resolves.toBe(0);
  expect(push.text()).toContain('pr-comment: this run is not for a pull request (event push): no comment posted');
  const off = new RecordingCore(inputs({ 'pr-comment': 'false' }));
  await expect(runMainStep(deps(off))).resolves.toBe(0);
  expect(gh.requests).toEqual([]);
});

test('a job being cancelled posts no comment', async () => {
  sim.tdp.setScenario(WS, 'Package', 1005, { outcome: 'hang' });
  const core = new RecordingCore(inputs());
  const controller = new AbortController();
  const running = runMainStep({ ...deps(core), signal: controller.signal });
  for (let i = 0; i < 100 && !core.text().includes('found run'); i++) await new Promise((r) => setTimeout(r, 50));
  controller.abort();
  await expect(running).resolves.toBe(1);
  expect(core.text()).toContain('pr-comment: the job is being cancelled: no comment posted');
  expect(gh.requests).toEqual([]);
});

describe('the comment text', () => {
  const marker = commentMarker('0123456789abcdef');

  test('a summary that fits is kept whole', () => {
    expect(commentBody(marker, '## t\n\n| a |\n')).toBe(`${marker}\n## t\n\n| a |\n`);
  });

  test('too long: the log excerpts go first, then the text is cut at a line', () => {
    const table = ['## t', '', '| Target |', '|---|', '| x |'].join('\n');
    const details = Array.from({ length: 400 }, (_, i) => `<details><summary>task ${i}</summary>\n\n\`\`\`\n${'log line\n'.repeat(30)}\`\`\`\n\n</details>`).join('\n');
    const body = commentBody(marker, `${table}\n${details}`);
    expect(body.length).toBeLessThanOrEqual(MAX_COMMENT_CHARS);
    expect(body).toContain('| x |');
    expect(body).not.toContain('<details>');
    expect(body).toContain('failed-task logs left out of this comment');

    const huge = Array.from({ length: 20_000 }, (_, i) => `| row ${i} |`).join('\n');
    const cut = commentBody(marker, huge);
    expect(cut.length).toBeLessThanOrEqual(MAX_COMMENT_CHARS);
    expect(cut.startsWith(`${marker}\n| row 0 |\n`)).toBe(true);
    expect(cut).toMatch(/\| row \d+ \|\n\n_\(comment shortened/);
  });
});

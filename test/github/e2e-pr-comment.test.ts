/**
 * The pull-request comment from the committed bundle, as the runner starts it (action-runner.ts), on Node 24
 * (and its first scenario on Node 20 too: test/helpers/runtimes.ts `scenario`): the event payload file of a
 * pull_request event, GITHUB_API_URL pointing at a loopback fake of the REST endpoints (fake-github.ts), the
 * data load against the simulator. The comment's code and octokit
 * sit in chunks the bundle loads only for this.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Simulator } from '../../src/simulator/index.js';
import { KEY, tdpWorld, WS } from '../helpers/tdp.js';
import { runtimes, scenario } from '../helpers/runtimes.js';
import { ensureBundles, runAction } from './action-runner.js';
import { startFakeGitHub, type FakeGitHub } from './fake-github.js';
import { foreignCommands, parseRunnerCommands } from './runner-commands.js';

const TOKEN = 'ghs_E2eCommentToken0123456789abcdefABCD';
let MAIN = '';
let sim: Simulator;
let gh: FakeGitHub;
let eventPath = '';

beforeAll(async () => {
  ({ main: MAIN } = ensureBundles());
  sim = await tdpWorld();
  sim.tdp.setScenario(WS, 'Package', 1005, { outcome: 'success', durationMs: 300 });
  gh = await startFakeGitHub({ owner: 'acme', repo: 'data-app', token: TOKEN });
  eventPath = join(mkdtempSync(join(tmpdir(), 'gh-e2e-event-')), 'event.json');
  writeFileSync(eventPath, JSON.stringify({ action: 'synchronize', number: 12, pull_request: { number: 12 } }));
}, 180_000);

afterAll(async () => {
  await gh?.close();
  await sim?.close();
});

const inputs = (extra: Record<string, string> = {}) => ({
  platform: 'timextender',
  'api-key': KEY,
  'base-url': sim.url,
  workspace: WS,
  task: 'Package/1005',
  'poll-interval': '200ms',
  timeout: '1m',
  'pr-comment': 'true',
  'github-token': TOKEN,
  ...extra,
});

const prEnv = () => ({ GITHUB_EVENT_NAME: 'pull_request', GITHUB_EVENT_PATH: eventPath, GITHUB_API_URL: gh.url });

const RUNTIMES = runtimes();

describe.each(RUNTIMES)('pull-request comment from the bundle on $name', (runtime) => {
  const it = scenario(RUNTIMES, runtime);
  beforeEach(() => {
    gh.comments.length = 0;
    gh.requests.length = 0;
    gh.mode = 'ok';
  });

  it('core')('comments once, then updates that comment on the next run; the token is masked, never printed', async () => {
    const first = await runAction(runtime, MAIN, inputs(), { env: prEnv() });
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    expect(gh.comments).toHaveLength(1);
    expect(gh.comments[0]!.issue).toBe(12);
    expect(gh.comments[0]!.body).toContain('| finance/Package/1005 |');
    expect(first.stdout).toContain('pr-comment: commented on pull request #12');

    const second = await runAction(runtime, MAIN, inputs(), { env: { ...prEnv(), GITHUB_RUN_ATTEMPT: '4' } });
    expect(second.code).toBe(0);
    expect(gh.comments).toHaveLength(1);
    expect(gh.comments[0]!.body).toContain('/attempts/4');
    expect(second.stdout).toContain("pr-comment: updated the step's comment on pull request #12");

    for (const run of [first, second]) {
      const masks = parseRunnerCommands(run.stdout).filter((c) => c.name === 'add-mask').map((c) => c.data);
      expect(masks).toContain(TOKEN);
      expect(foreignCommands(run.stdout, [KEY, TOKEN])).toEqual([]);
      expect(run.stdout.replace(/^::add-mask::.*$/gm, '')).not.toContain(TOKEN);
    }
  });

  it()('a refused comment is one warning; the step passes on the load alone', async () => {
    gh.mode = 'refuse';
    const run = await runAction(runtime, MAIN, inputs(), { env: prEnv() });
    expect(run.code).toBe(0);
    expect(run.outputs.status).toBe('succeeded');
    const warnings = parseRunnerCommands(run.stdout).filter((c) => c.name === 'warning' && c.data.startsWith('pr-comment:'));
    expect(warnings.map((w) => w.data)).toEqual([expect.stringMatching(/^pr-comment: could not comment on pull request #12: HTTP 403/)]);
    expect(parseRunnerCommands(run.stdout).filter((c) => c.name === 'error')).toEqual([]);
  });

  it()('pr-comment off (the default): no request to the API', async () => {
    const run = await runAction(runtime, MAIN, inputs({ 'pr-comment': 'false' }), { env: prEnv() });
    expect(run.code).toBe(0);
    expect(gh.requests).toEqual([]);
    expect(run.stdout).not.toContain('pr-comment');
  });
});

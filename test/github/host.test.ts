/**
 * The GitHub host with the real `@actions/core` writing to a captured stdout: server text passed to any of
 * the printing methods never becomes a workflow command, secrets are masked everywhere, and each Host
 * method lands on the runner's mechanism (annotations, groups, output/state files, job summary). Also the
 * run's context (context.ts) as the host and the pull-request comment read it.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ciContextOf, pullRequestNumber, readRunContext, type RunContext } from '../../src/adapters/github/context.js';
import { GitHubHost, limitBytes, type CoreApi } from '../../src/adapters/github/host.js';
import { RecordingCore } from './recording-core.js';
import { foreignCommands, parseRunnerCommands } from './runner-commands.js';

/** Server text that would drive the runner if printed verbatim. */
export const PAYLOADS: readonly string[] = [
  '::set-output name=x::y',
  '::add-mask::x',
  '::stop-commands::tok',
  '  ::error file=a.js,line=1::indented',
  '\t::warning::tabbed',
  '##[error]boom',
  '##[group]fake group',
  '##vso[task.complete result=Succeeded]',
  'prefix ##vso[task.setvariable variable=x]y',
  'before\r::set-env name=A::b',
  'before\n::warning::second line',
  'before\r\n::debug::crlf',
  'x\u2028::notice::line separator',
  'x\u0085::notice::next line',
  '\x1b[31m::error::coloured\x1b[0m',
  '\ufeff::error::bom',
  '\u200b::error::zwsp',
  '::::error::many colons',
  '::ERROR::upper',
];

const KEY = 'txk_HostTestKey+/=%&0123456789abcdefgh';

/** Runs fn with process.stdout.write captured; returns what was written. */
async function captureStdout(fn: () => unknown): Promise<string> {
  const original = process.stdout.write.bind(process.stdout);
  let captured = '';
  process.stdout.write = ((chunk: string | Uint8Array) => {
    captured += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
    return true;
  }) as typeof process.stdout.write;
  try {
    await fn();
  } finally {
    process.stdout.write = original;
  }
  return captured;
}

function tempFile(name: string): string {
  const file = join(mkdtempSync(join(tmpdir(), 'gh-host-test-')), name);
  writeFileSync(file, '');
  return file;
}

/** `core.summary` keeps the first path it finds in GITHUB_STEP_SUMMARY for the life of the process: one file here. */
const SUMMARY_FILE = tempFile('summary');

/** The real `@actions/core` writes files named by these variables; each test gets fresh ones (the summary emptied). */
function withRunnerFiles(): { output: string; state: string; summary: string; restore: () => void } {
  const saved = { GITHUB_OUTPUT: process.env.GITHUB_OUTPUT, GITHUB_STATE: process.env.GITHUB_STATE, GITHUB_STEP_SUMMARY: process.env.GITHUB_STEP_SUMMARY };
  const output = tempFile('output');
  const state = tempFile('state');
  const summary = SUMMARY_FILE;
  writeFileSync(summary, '');
  process.env.GITHUB_OUTPUT = output;
  process.env.GITHUB_STATE = state;
  process.env.GITHUB_STEP_SUMMARY = summary;
  return {
    output,
    state,
    summary,
    restore: () => {
      for (const [name, value] of Object.entries(saved)) {
        if (value === undefined) delete process.env[name];
        else process.env[name] = value;
      }
    },
  };
}

/** A context outside any workflow run. */
const NO_RUN: RunContext = { serverUrl: 'https://github.com', apiUrl: 'https://api.github.com', runId: NaN, runAttempt: NaN, payload: {} };

function newHost(env: Record<string, string | undefined> = {}, core?: CoreApi): GitHubHost {
  return new GitHubHost({ signal: new AbortController().signal, env, context: NO_RUN, ...(core ? { core } : {}) });
}

describe('server text cannot start a workflow command', () => {
  const methods: Array<[string, (host: GitHubHost, text: string) => unknown]> = [
    ['info', (h, t) => h.info(t)],
    ['warning', (h, t) => h.warning(t)],
    ['warning with a title', (h, t) => h.warning(t, { title: t })],
    ['error with an annotation', (h, t) => h.error(t, { title: t })],
    ['error without an annotation', (h, t) => h.error(t)],
    ['debug', (h, t) => h.debug(t)],
    ['group title and content', (h, t) => h.group(t, async () => h.info(t))],
    ['nested group title', (h, t) => h.group('outer', () => h.group(t, async () => h.info(t)))],
  ];

  test.each(methods)('%s', async (_name, print) => {
    const host = newHost();
    const printed = await captureStdout(async () => {
      host.setSecret(KEY);
      for (const payload of PAYLOADS) await print(host, payload);
    });
    expect(foreignCommands(printed, [KEY])).toEqual([]);
    // Still readable: the words of the payloads are there.
    expect(printed).toContain('set-output name=x');
    expect(printed).toContain('stop-commands');
  });

  test('every printed line holds at most one command, and it is ours', async () => {
    const host = newHost();
    const printed = await captureStdout(async () => {
      host.setSecret(KEY);
      await host.group('::endgroup::', async () => {
        host.info(PAYLOADS.join('\n'));
        host.error(PAYLOADS.join('\n'), { title: 'Load › ::stop-commands::x' });
      });
    });
    const names = parseRunnerCommands(printed).map((c) => c.name);
    expect(names).toEqual(['add-mask', 'group', 'error', 'endgroup']);
    const error = parseRunnerCommands(printed).find((c) => c.name === 'error')!;
    // The annotation keeps the lines of the message (escaped as %0A) and its title stays one property.
    expect(error.data.split('\n')).toHaveLength(PAYLOADS.join('\n').split(/\r\n|[\n\r\u2028\u0085]/).length);
    expect(error.properties).toMatch(/^title=/);
  });
});

describe('secrets', () => {
  test('setSecret registers the key once with the runner, before anything else is printed', async () => {
    const host = newHost();
    const printed = await captureStdout(() => {
      host.setSecret(KEY);
      host.setSecret(KEY);
      host.info('hello');
    });
    expect(printed.split('\n')[0]).toBe(`::add-mask::${KEY.replace(/%/g, '%25')}`);
    expect(printed.match(/::add-mask::/g)).toHaveLength(1);
  });

  test('a multi-line secret is registered line by line too', async () => {
    const host = newHost();
    const printed = await captureStdout(() => host.setSecret('first-line-secret\nsecond-line-secret'));
    const masks = parseRunnerCommands(printed).filter((c) => c.name === 'add-mask').map((c) => c.data);
    expect(masks).toEqual(['first-line-secret\nsecond-line-secret', 'first-line-secret', 'second-line-secret']);
  });

  test('the key is masked raw, URL-encoded and base64 in lines, annotations, titles, outputs, state and summary', async () => {
    const files = withRunnerFiles();
    try {
      const host = newHost({ GITHUB_STEP_SUMMARY: files.summary });
      const forms = [KEY, encodeURIComponent(KEY), Buffer.from(KEY).toString('base64')];
      const text = forms.map((f) => `key: ${f}`).join('\n');
      const printed = await captureStdout(async () => {
        host.setSecret(KEY);
        host.info(text);
        host.warning(text, { title: KEY });
        host.error(text, { title: KEY });
        host.error(text);
        host.debug(text);
        await host.group(KEY, async () => undefined);
        host.setOutput('result', text);
        host.saveState('x', text);
        await host.writeSummary(text);
      });
      const withoutMaskCommand = printed
        .split('\n')
        .filter((line) => !line.startsWith('::add-mask::'))
        .join('\n');
      for (const written of [withoutMaskCommand, readFileSync(files.output, 'utf8'), readFileSync(files.state, 'utf8'), readFileSync(files.summary, 'utf8')]) {
        for (const form of forms) expect(written).not.toContain(form);
        expect(written).toContain('***');
      }
    } finally {
      files.restore();
    }
  });
});

describe('host methods map to the runner', () => {
  test('errors: with an annotation a titled ::error, without one a plain line', async () => {
    const host = newHost();
    const printed = await captureStdout(() => {
      host.error('ERROR: Connection timeout', { title: 'finance/Package/1010 › Load Sales Fact' });
      host.error('eleventh error line');
    });
    const lines = printed.trimEnd().split('\n');
    expect(lines[0]).toBe('::error title=finance/Package/1010 › Load Sales Fact::ERROR: Connection timeout');
    expect(lines[1]).toBe('Error: eleventh error line');
  });

  test('warnings are annotations, with a title when given', async () => {
    const host = newHost();
    const printed = await captureStdout(() => {
      host.warning('cannot cancel');
      host.warning('odd', { title: 'A, B: c' });
    });
    expect(printed.trimEnd().split('\n')).toEqual(['::warning::cannot cancel', '::warning title=A%2C B%3A c::odd']);
  });

  test('groups: startGroup/endGroup around the content; a nested group becomes a line', async () => {
    const host = newHost();
    const printed = await captureStdout(() =>
      host.group('outer', async () => {
        host.info('a');
        await host.group('inner', async () => host.info('b'));
      }),
    );
    expect(printed.trimEnd().split('\n')).toEqual(['::group::outer', 'a', 'inner', 'b', '::endgroup::']);
  });

  test('a group is closed when its content throws', async () => {
    const host = newHost();
    const printed = await captureStdout(async () => {
      await expect(host.group('g', async () => Promise.reject(new Error('x')))).rejects.toThrow('x');
    });
    expect(printed.trimEnd().split('\n')).toEqual(['::group::g', '::endgroup::']);
  });

  test('outputs and state go to the GITHUB_OUTPUT and GITHUB_STATE files, multi-line values intact', async () => {
    const files = withRunnerFiles();
    try {
      const host = newHost();
      const printed = await captureStdout(() => {
        host.setOutput('result', '[{"a":1},\n{"b":"::set-output name=x::y"}]');
        host.saveState('orchestration-runs', '[{"index":0,"runId":"7","done":false}]');
      });
      expect(printed).toBe('');
      expect(readFileSync(files.output, 'utf8')).toMatch(/^result<<(ghadelimiter_[-0-9a-f]+)\n\[\{"a":1\},\n\{"b":"::set-output name=x::y"\}\]\n\1\n$/);
      expect(readFileSync(files.state, 'utf8')).toContain('orchestration-runs<<');
    } finally {
      files.restore();
    }
  });

  test('getState reads STATE_<name>', () => {
    process.env['STATE_host-test'] = 'saved';
    try {
      expect(newHost().getState('host-test')).toBe('saved');
      expect(newHost().getState('host-test-missing')).toBe('');
    } finally {
      delete process.env['STATE_host-test'];
    }
  });

  test('writeSummary appends to GITHUB_STEP_SUMMARY (core.summary); without it, nothing is written and nothing fails', async () => {
    const files = withRunnerFiles();
    try {
      writeFileSync(files.summary, 'earlier step\n');
      const host = newHost({ GITHUB_STEP_SUMMARY: files.summary });
      await host.writeSummary('## orchestration-run');
      expect(readFileSync(files.summary, 'utf8')).toBe('earlier step\n## orchestration-run\n');
      expect(host.summaryText).toBe('## orchestration-run');
    } finally {
      files.restore();
    }
    const host = newHost({});
    const printed = await captureStdout(() => expect(host.writeSummary('x')).resolves.toBeUndefined());
    expect(printed).toBe('::debug::GITHUB_STEP_SUMMARY is not set: no job summary written\n');
    // Kept all the same, for the pull-request comment.
    expect(host.summaryText).toBe('x');
  });

  test('a summary that cannot be written fails the write (the engine warns), and is not written again later', async () => {
    const core = new RecordingCore();
    let fail = true;
    const write = core.summary.write.bind(core.summary);
    core.summary.write = async () => {
      if (fail) throw new Error("Unable to access summary file: '/gone/summary'");
      return write();
    };
    const host = newHost({ GITHUB_STEP_SUMMARY: '/gone/summary' }, core);
    await expect(host.writeSummary('first')).rejects.toThrow(/Unable to access summary file/);
    fail = false;
    await host.writeSummary('second');
    expect(core.summary.written).toBe('second\n');
  });

  test('a summary over 1 MiB is cut at a line with a note', () => {
    const big = Array.from({ length: 30_000 }, (_, i) => `| row ${i} | ${'é'.repeat(20)} |`).join('\n');
    const cut = limitBytes(big, 100_000);
    expect(Buffer.byteLength(cut)).toBeLessThanOrEqual(100_000);
    expect(cut).toContain('summary shortened');
    expect(cut).not.toContain('\uFFFD');
    expect(limitBytes('small', 100)).toBe('small');
  });

  test('tempDir is RUNNER_TEMP, else the system temp dir; proxy is left to the HTTP client', () => {
    expect(newHost({ RUNNER_TEMP: '/runner/_temp' }).tempDir).toBe('/runner/_temp');
    expect(newHost({}).tempDir).toBe(tmpdir());
    expect(newHost({}).proxy).toBeUndefined();
    expect(newHost({}).name).toBe('github');
  });
});

describe('the run context (@actions/github context)', () => {
  const run: RunContext = {
    serverUrl: 'https://github.example.com/',
    apiUrl: 'https://github.example.com/api/v3',
    repository: 'acme/app',
    runId: 123,
    runAttempt: 2,
    sha: 'abc123',
    actor: 'octocat',
    workflow: 'release',
    job: 'load',
    action: 'gate',
    eventName: 'push',
    payload: {},
  };

  test('gives the core where the step runs, with the attempt in the run URL', () => {
    expect(ciContextOf(run)).toEqual({
      system: 'github',
      runUrl: 'https://github.example.com/acme/app/actions/runs/123/attempts/2',
      runId: '123',
      attempt: '2',
      commit: 'abc123',
      actor: 'octocat',
      workflow: 'release',
      repository: 'acme/app',
      step: 'load/gate',
    });
  });

  test('no URL without repository and run id; nothing made up outside a run', () => {
    expect(ciContextOf({ ...NO_RUN, repository: 'a/b', runId: 1 }).runUrl).toBe('https://github.com/a/b/actions/runs/1');
    expect(ciContextOf(NO_RUN)).toEqual({ system: 'github' });
  });

  test('the pull request: from pull_request events, and from comments on a pull request; none for a push', () => {
    expect(pullRequestNumber({ ...run, payload: { pull_request: { number: 17 } } })).toBe(17);
    expect(pullRequestNumber({ ...run, payload: { issue: { number: 18, pull_request: { url: 'x' } } } })).toBe(18);
    expect(pullRequestNumber({ ...run, payload: { issue: { number: 19 } } })).toBeUndefined();
    expect(pullRequestNumber({ ...run, payload: { pull_request: { number: '20' } } })).toBeUndefined();
    expect(pullRequestNumber(run)).toBeUndefined();
  });

  test('readRunContext reads the runner variables and the event payload, as @actions/github does', () => {
    const event = tempFile('event.json');
    writeFileSync(event, JSON.stringify({ pull_request: { number: 7 } }));
    const vars: Record<string, string> = {
      GITHUB_SERVER_URL: 'https://github.com',
      GITHUB_API_URL: 'http://127.0.0.1:9/api',
      GITHUB_REPOSITORY: 'acme/data-app',
      GITHUB_RUN_ID: '4242',
      GITHUB_RUN_ATTEMPT: '3',
      GITHUB_SHA: '0123456789abcdef',
      GITHUB_ACTOR: 'octocat',
      GITHUB_WORKFLOW: 'release',
      GITHUB_JOB: 'load',
      GITHUB_ACTION: 'gate',
      GITHUB_EVENT_NAME: 'pull_request',
      GITHUB_EVENT_PATH: event,
    };
    const saved = Object.fromEntries(Object.keys(vars).map((k) => [k, process.env[k]]));
    Object.assign(process.env, vars);
    try {
      const context = readRunContext();
      expect(context).toEqual(
        expect.objectContaining({ repository: 'acme/data-app', runId: 4242, runAttempt: 3, apiUrl: 'http://127.0.0.1:9/api', eventName: 'pull_request', job: 'load', action: 'gate' }),
      );
      expect(pullRequestNumber(context)).toBe(7);
      expect(ciContextOf(context).runUrl).toBe('https://github.com/acme/data-app/actions/runs/4242/attempts/3');
      // An event file that is not JSON: the step goes on without the payload.
      writeFileSync(event, '{not json');
      const without = readRunContext();
      expect(without.payload).toEqual({});
      expect(without.repository).toBe('acme/data-app');
      expect(process.env.GITHUB_EVENT_PATH).toBe(event);
    } finally {
      for (const [k, v] of Object.entries(saved)) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
    }
  });
});

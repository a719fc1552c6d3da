/**
 * What the GitHub host relies on in `@actions/core`, checked on the library itself so that an upgrade that
 * changes it shows here: inputs from INPUT_*, the command line format and its escaping (as the runner
 * unescapes it), the environment files (heredoc with a random delimiter) and failing the step. The
 * neutralizing of server text is the host's own, on top (host.test.ts).
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as commands from '@actions/core';
import { parseRunnerCommands } from './runner-commands.js';

function captureStdout(fn: () => void): string {
  const original = process.stdout.write.bind(process.stdout);
  let captured = '';
  process.stdout.write = ((chunk: string | Uint8Array) => {
    captured += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
    return true;
  }) as typeof process.stdout.write;
  try {
    fn();
  } finally {
    process.stdout.write = original;
  }
  return captured;
}

function withEnv(values: Record<string, string | undefined>, fn: () => void): void {
  const saved = Object.fromEntries(Object.keys(values).map((name) => [name, process.env[name]]));
  const apply = (entries: Record<string, string | undefined>) => {
    for (const [name, value] of Object.entries(entries)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  };
  apply(values);
  try {
    fn();
  } finally {
    apply(saved);
  }
}

test('getInput reads INPUT_<NAME> (upper-cased, spaces as _), trimmed unless asked not to; multi-line kept', () => {
  withEnv({ 'INPUT_API-KEY': '  k  ', INPUT_MY_INPUT: 'x', INPUT_TASK: '\n a\n b \n' }, () => {
    expect(commands.getInput('api-key')).toBe('k');
    expect(commands.getInput('api-key', { trimWhitespace: false })).toBe('  k  ');
    expect(commands.getInput('my input')).toBe('x');
    expect(commands.getInput('task')).toBe('a\n b');
    expect(commands.getInput('missing')).toBe('');
  });
});

test('commands escape data (%, CR, LF) and properties (also : and ,); the runner reads the data back', () => {
  const printed = captureStdout(() => {
    commands.debug('50% done\r\nnext');
    commands.warning('w', { title: 'A, B: 100%' });
    commands.error('e\nf', {});
    commands.startGroup('g');
    commands.endGroup();
    commands.setSecret('s%3A');
    commands.info('plain ::text::');
  });
  expect(printed.split('\n')).toEqual([
    '::debug::50%25 done%0D%0Anext',
    '::warning title=A%2C B%3A 100%25::w',
    '::error::e%0Af',
    '::group::g',
    '::endgroup::',
    '::add-mask::s%253A',
    'plain ::text::',
    '',
  ]);
  expect(parseRunnerCommands(printed).find((c) => c.name === 'debug')!.data).toBe('50% done\r\nnext');
});

test('setOutput and saveState append heredoc blocks with a random delimiter; getState reads STATE_<name>', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gh-commands-test-'));
  const output = join(dir, 'output');
  const state = join(dir, 'state');
  writeFileSync(output, '');
  writeFileSync(state, '');
  withEnv({ GITHUB_OUTPUT: output, GITHUB_STATE: state, 'STATE_cmd-test': 'saved' }, () => {
    const printed = captureStdout(() => {
      commands.setOutput('a', 'one\ntwo');
      commands.setOutput('b', '');
      commands.saveState('s', 'v');
    });
    expect(printed).toBe('');
    expect(readFileSync(output, 'utf8')).toMatch(/^a<<(ghadelimiter_[-0-9a-f]+)\none\ntwo\n\1\nb<<(ghadelimiter_[-0-9a-f]+)\n\n\2\n$/);
    expect(readFileSync(state, 'utf8')).toMatch(/^s<<(ghadelimiter_[-0-9a-f]+)\nv\n\1\n$/);
    expect(commands.getState('cmd-test')).toBe('saved');
    expect(commands.getState('cmd-test-missing')).toBe('');
  });
  withEnv({ GITHUB_OUTPUT: join(dir, 'missing') }, () => {
    expect(() => commands.setOutput('a', 'x')).toThrow(/Missing file/);
  });
});

test('summary.addRaw(text, true).write() appends the text and a line break to GITHUB_STEP_SUMMARY', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'gh-commands-test-'));
  const summary = join(dir, 'summary');
  writeFileSync(summary, 'earlier step\n');
  const saved = process.env.GITHUB_STEP_SUMMARY;
  process.env.GITHUB_STEP_SUMMARY = summary;
  try {
    await commands.summary.addRaw('## table', true).write();
    expect(readFileSync(summary, 'utf8')).toBe('earlier step\n## table\n');
  } finally {
    if (saved === undefined) delete process.env.GITHUB_STEP_SUMMARY;
    else process.env.GITHUB_STEP_SUMMARY = saved;
  }
});

test('setFailed prints an error annotation and sets the exit code to 1', () => {
  const before = process.exitCode;
  try {
    const printed = captureStdout(() => commands.setFailed('it broke: 100%'));
    expect(printed).toBe('::error::it broke: 100%25\n');
    expect(process.exitCode).toBe(1);
  } finally {
    process.exitCode = before;
  }
});

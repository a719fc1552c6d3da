import { readFileSync } from 'node:fs';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LogFile } from '../../src/core/logs.js';

test('the whole log goes to the file; only the tail and a few error lines stay in memory', () => {
  const path = join(mkdtempSync(join(tmpdir(), 'logs-')), 'step.log');
  const file = new LogFile(path, 3);
  const log = file.open('finance/Package/1010 execution 97105: Failed');
  for (let i = 1; i <= 10_000; i++) log.write(i % 2500 === 0 ? `ERROR: failure ${i}` : `line ${i}`);
  const summary = log.finish();
  file.close();
  expect(summary.count).toBe(10_000);
  expect(summary.excerpt).toEqual(['line 9998', 'line 9999', 'ERROR: failure 10000']);
  expect(summary.errorLines).toEqual(['ERROR: failure 2500', 'ERROR: failure 5000', 'ERROR: failure 7500', 'ERROR: failure 10000']);
  const text = readFileSync(path, 'utf8').split('\n');
  expect(text[0]).toContain('===== finance/Package/1010');
  expect(text).toHaveLength(10_002);
});

test('the tail keeps its order: a log shorter than log-lines keeps every line, log-lines 0 keeps none', () => {
  const dir = mkdtempSync(join(tmpdir(), 'logs-'));
  const short = new LogFile(join(dir, 'a.log'), 5);
  const a = short.open('a');
  for (const line of ['one', 'two', 'three']) a.write(line);
  expect(a.finish().excerpt).toEqual(['one', 'two', 'three']);
  const exact = short.open('b');
  for (let i = 1; i <= 12; i++) exact.write(`line ${i}`);
  expect(exact.finish().excerpt).toEqual(['line 8', 'line 9', 'line 10', 'line 11', 'line 12']);
  short.close();
  const none = new LogFile(join(dir, 'b.log'), 0);
  const b = none.open('c');
  b.write('ERROR: x');
  expect(b.finish()).toMatchObject({ excerpt: [], errorLines: ['ERROR: x'], count: 1 });
  none.close();
});

test('a key split by an escape sequence is masked in the file and in memory: escapes go first, then the key', () => {
  const key = 'txk_LogFileSplitKeyAbCdEfGh123456789';
  const path = join(mkdtempSync(join(tmpdir(), 'logs-')), 'step.log');
  const file = new LogFile(path, 5, [key]);
  const log = file.open('finance/Package/1010 execution 97105: Failed');
  const split = `${key.slice(0, 12)}\x1b[0m${key.slice(12)}`;
  log.write(`ERROR: login failed for ${split}`);
  log.write(`\x1b[31mred\x1b[0m text and \x9b1mC1\x9b0m too, ${key.slice(0, 5)}\x00${key.slice(5)}`);
  const summary = log.finish();
  file.close();
  const text = readFileSync(path, 'utf8');
  for (const out of [text, ...summary.excerpt, ...summary.errorLines]) {
    expect(out).not.toContain(key);
    // What a terminal shows (escapes interpreted, i.e. removed) must not show the key either.
    expect(out.replace(/\x1b\[[0-9;]*m|\x9b[0-9;]*m|\x00/g, '')).not.toContain(key);
  }
  expect(summary.errorLines).toEqual(['ERROR: login failed for ***']);
  expect(summary.excerpt[1]).toBe('red text and C1 too, ***');
});

import {
  markdownCell,
  markdownCodeBlock,
  maskSecrets,
  neutralize,
  neutralizeLine,
  splitLines,
  stripControl,
  xmlEscape,
} from '../../src/core/untrusted.js';

const ZWSP = '\u200B';
const DOT = '\u00B7';
const ESC = '\x1b';

/** A server string that must never act as a command, and words a reader must still see. */
interface Payload {
  name: string;
  input: string;
  words: string[];
}

const PAYLOADS: Payload[] = [
  { name: 'set-output', input: '::set-output name=x::y', words: ['set-output', 'name=x', 'y'] },
  { name: 'add-mask', input: '::add-mask::secret', words: ['add-mask', 'secret'] },
  { name: 'stop-commands', input: '::stop-commands::tok', words: ['stop-commands', 'tok'] },
  { name: 'error with properties', input: '::error file=a.js,line=1::boom', words: ['error', 'file=a.js,line=1', 'boom'] },
  { name: 'leading spaces', input: '  ::warning::x', words: ['warning'] },
  { name: 'leading tab', input: '\t::debug::x', words: ['debug'] },
  { name: 'leading nbsp', input: '\u00a0::error::x', words: ['error'] },
  { name: 'leading ideographic space', input: '\u3000::error::x', words: ['error'] },
  { name: 'leading BOM', input: '\ufeff::error::x', words: ['error'] },
  { name: 'leading zero-width space', input: `${ZWSP}::error::x`, words: ['error'] },
  { name: 'bare CR splits a line', input: 'x\r::error::y', words: ['x', 'error', 'y'] },
  { name: 'CRLF', input: 'x\r\n::error::y', words: ['x', 'error', 'y'] },
  { name: 'LF then indented', input: 'x\n\n  ::notice::y', words: ['x', 'notice', 'y'] },
  { name: 'line separator', input: 'x\u2028::error::y', words: ['x', 'error', 'y'] },
  { name: 'paragraph separator', input: 'x\u2029::error::y', words: ['x', 'error', 'y'] },
  { name: 'next line (NEL)', input: 'x\u0085::error::y', words: ['x', 'error', 'y'] },
  { name: 'vertical tab', input: 'x\x0b::error::y', words: ['x', 'error', 'y'] },
  { name: 'form feed', input: 'x\x0c::error::y', words: ['x', 'error', 'y'] },
  { name: 'NUL between the colons', input: ':\x00:error::x', words: ['error'] },
  { name: 'many colons', input: '::::error::x', words: ['error'] },
  { name: 'mixed case', input: '::ERROR::x', words: ['ERROR'] },
  { name: 'ANSI colour before the command', input: `${ESC}[31m::error::x${ESC}[0m`, words: ['error', 'x'] },
  { name: 'C1 CSI before the command', input: '\x9b31m::error::x', words: ['error'] },
  {
    name: 'OSC 8 hyperlink (BEL) around a command',
    input: `${ESC}]8;;https://evil.example/${'\x07'}::error::click${ESC}]8;;${'\x07'}`,
    words: ['error', 'click'],
  },
  {
    name: 'OSC 8 hyperlink (ST) around an Azure command',
    input: `${ESC}]8;;https://evil.example/${ESC}\\##vso[task.complete result=Succeeded]done${ESC}]8;;${ESC}\\`,
    words: ['vso', 'task.complete', 'done'],
  },
  { name: 'DCS string hiding a command', input: `${ESC}P##vso[task.complete]${ESC}\\visible`, words: ['visible'] },
  { name: 'setvariable', input: '##vso[task.setvariable variable=x]y', words: ['vso', 'task.setvariable', 'variable=x', 'y'] },
  { name: 'complete', input: '##vso[task.complete result=Succeeded]', words: ['vso', 'task.complete', 'result=Succeeded'] },
  { name: 'Azure command mid-line', input: 'prefix ##vso[task.complete result=Succeeded]', words: ['prefix', 'task.complete'] },
  { name: 'Azure command upper case', input: '##VSO[task.complete]', words: ['VSO', 'task.complete'] },
  { name: 'Azure command mixed case', input: '##Vso[task.prependpath]/evil/bin', words: ['Vso', 'task.prependpath', '/evil/bin'] },
  { name: 'two Azure commands on a line', input: 'a ##vso[x.y]1 b ##vso[task.setvariable variable=z]2', words: ['a', 'x.y', 'b', 'variable=z'] },
  { name: 'three hashes', input: '###vso[task.setvariable variable=x]y', words: ['vso', 'task.setvariable'] },
  { name: 'ANSI between the hashes', input: `#${ESC}[0m#vso[task.setvariable variable=x]y`, words: ['vso', 'task.setvariable'] },
  { name: 'NUL between the hashes', input: '#\x00#[error]x', words: ['error'] },
  { name: 'group', input: '##[group]x', words: ['group', 'x'] },
  { name: 'error format', input: '##[error]x', words: ['error', 'x'] },
  { name: 'space before bracket', input: '## [error]x', words: ['error'] },
  { name: 'tab before bracket', input: '##\t[warning]x', words: ['warning'] },
  { name: 'spaces before bracket', input: 'log: ##   [section]x', words: ['log:', 'section'] },
  { name: 'lone high surrogate in a command', input: '::error::bad \uD800 surrogate', words: ['error', 'bad', '\uFFFD', 'surrogate'] },
  { name: 'lone low surrogate then a command', input: '\uDC00\n::error::x', words: ['\uFFFD', 'error'] },
  { name: 'a 10,000 character command line', input: `::error::${'A'.repeat(10_000)}`, words: ['error', 'AAAA', 'more characters'] },
];

/** Every line as a runner would see it: split on LF and on CR. */
function runnerLines(output: string): string[] {
  return output.split(/[\n\r]/);
}

function expectInert(output: string, words: readonly string[]): void {
  for (const line of runnerLines(output)) {
    expect(line.replace(/^\s+/, '')).not.toMatch(/^::/);
    expect(line).not.toMatch(/##vso\[/i);
    expect(line).not.toMatch(/##\[/);
    expect(line).not.toMatch(/##\s*\[/);
    expect(line).not.toMatch(/[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029]/);
  }
  const visible = output.replace(/[\u200B\u00B7]/g, '');
  for (const word of words) expect(visible).toContain(word);
}

// ---------------------------------------------------------------------------------------------------------
// Simulations of the two runners' parsers (actions/runner ActionCommand.TryParseV2 / TryParse and
// azure-pipelines-agent Command.TryParse). They compare with culture-sensitive StartsWith/IndexOf, which
// under ICU skips ignorable characters such as U+200B; both comparison modes are simulated. A command
// "name" is accepted if it merely looks like one, which is stricter than the real registered-command lists.
// ---------------------------------------------------------------------------------------------------------

type Compare = 'ordinal' | 'icu';
const IGNORABLE = /[\p{Cf}\p{Cc}\u034F\u180B-\u180F\uFE00-\uFE0F]/u;

function indexOf(s: string, prefix: string, from: number, mode: Compare, ignoreCase = false): number {
  const eq = (a: string, b: string) => (ignoreCase ? a.toLowerCase() === b.toLowerCase() : a === b);
  for (let i = from; i < s.length; i++) {
    if (mode === 'icu' && i > from && IGNORABLE.test(s[i]!)) continue;
    let j = i;
    let k = 0;
    while (k < prefix.length && j < s.length) {
      if (mode === 'icu' && IGNORABLE.test(s[j]!)) {
        j++;
        continue;
      }
      if (!eq(s[j]!, prefix[k]!)) break;
      j++;
      k++;
    }
    if (k === prefix.length) return i;
  }
  return -1;
}

/** .NET TrimStart: Char.IsWhiteSpace, i.e. JS \s without U+FEFF. */
function dotnetTrimStart(s: string): string {
  return s.replace(/^[^\S\uFEFF]+/, '');
}

function githubCommand(line: string, mode: Compare): string | undefined {
  const message = dotnetTrimStart(line);
  if (indexOf(message, '::', 0, mode) === 0) {
    const end = indexOf(message, '::', 2, mode);
    if (end >= 2) {
      const name = message.substring(2, end).split(' ')[0]!;
      if (/^[A-Za-z][\w-]*$/.test(name)) return name;
    }
  }
  const legacy = indexOf(line, '##[', 0, mode);
  if (legacy >= 0) {
    const rb = line.indexOf(']', legacy);
    if (rb > legacy) {
      const name = line.substring(legacy + 3, rb).split(' ')[0]!;
      if (/^[A-Za-z][\w-]*$/.test(name)) return name;
    }
  }
  return undefined;
}

function azureCommand(line: string, mode: Compare, ignoreCase: boolean): string | undefined {
  const p = indexOf(line, '##vso[', 0, mode, ignoreCase);
  if (p < 0) return undefined;
  const rb = line.indexOf(']', p);
  if (rb < 0) return undefined;
  const name = line.substring(p + 6, rb).split(' ')[0]!;
  const areaEvent = name.split('.').filter((part) => part !== '');
  return areaEvent.length === 2 && areaEvent.every((part) => /^[A-Za-z]+$/.test(part)) ? name : undefined;
}

describe('the runner simulations', () => {
  // Guards the guards: a simulation that accepts nothing would make the tests below meaningless.
  it('recognize the raw payloads', () => {
    expect(githubCommand('  ::error::x', 'ordinal')).toBe('error');
    expect(githubCommand(`:${ZWSP}:error::x`, 'ordinal')).toBeUndefined();
    expect(githubCommand('##[group]x', 'icu')).toBe('group');
    expect(azureCommand('a ##vso[task.setvariable variable=x]y', 'ordinal', false)).toBe('task.setvariable');
    expect(azureCommand('##VSO[task.complete]', 'ordinal', true)).toBe('task.complete');
    // ICU ignores a zero-width space where the parser cuts at a fixed offset; the offset saves us.
    expect(indexOf(`#${ZWSP}#vso[`, '##vso[', 0, 'icu')).toBe(0);
    expect(azureCommand(`#${ZWSP}#vso[task.complete]`, 'icu', false)).toBeUndefined();
  });
});

describe('neutralize', () => {
  it('has at least 30 payloads', () => {
    expect(PAYLOADS.length).toBeGreaterThanOrEqual(30);
  });

  test.each(PAYLOADS)('$name: cannot act as a command and stays readable', ({ input, words }) => {
    expectInert(neutralize(input), words);
    expectInert(neutralizeLine(input), words);
  });

  test.each(PAYLOADS)('$name: no command for the simulated runners', ({ input }) => {
    for (const output of [neutralize(input), neutralizeLine(input)]) {
      for (const line of runnerLines(output)) {
        for (const mode of ['ordinal', 'icu'] as const) {
          expect(githubCommand(line, mode)).toBeUndefined();
          expect(azureCommand(line, mode, false)).toBeUndefined();
          expect(azureCommand(line, mode, true)).toBeUndefined();
        }
      }
    }
  });

  test.each(PAYLOADS)('$name: neutralizing twice changes nothing', ({ input }) => {
    const once = neutralize(input);
    expect(neutralize(once)).toBe(once);
  });

  it('breaks the leading colons with a zero-width space and keeps the rest', () => {
    expect(neutralizeLine('::error::boom')).toBe(`:${DOT}:error::boom`);
    expect(neutralizeLine('  ::warning::x')).toBe(`  :${DOT}:warning::x`);
  });

  it('breaks every ## before [ or vso', () => {
    expect(neutralizeLine('a ##vso[x.y]1 ##[error]2 ## [b]')).toBe(`a #${DOT}#vso[x.y]1 #${DOT}#[error]2 #${DOT}# [b]`);
  });

  it('leaves ordinary text alone', () => {
    for (const text of ['## Heading', 'C# is #1', 'a::b', 'time 12:00::00', 'x ::error:: not at the start', 'see #vso[1]']) {
      expect(neutralizeLine(text)).toBe(text);
    }
  });

  it('leaves fullwidth look-alikes readable and unchanged', () => {
    const lookAlike = '：：error：：x ＃＃vso［task.complete］';
    expect(neutralize(lookAlike)).toBe(lookAlike);
  });

  it('keeps a neutralized line on one line', () => {
    // Joined, the second line is no longer at the start, where GitHub would look for it.
    expect(neutralizeLine('a\r::error::b\nc')).toBe('a ::error::b c');
    expect(neutralizeLine('\n::error::b')).toBe(` :${DOT}:error::b`);
    expect(neutralizeLine('a\n::error::b')).not.toMatch(/[\n\r]/);
  });

  it('splits into as many lines as the input has', () => {
    expect(neutralize('a\r\nb\rc\nd\u2028e')).toBe('a\nb\nc\nd\ne');
    expect(neutralize('')).toBe('');
    expect(neutralize('last\n')).toBe('last\n');
  });

  it('truncates long lines and says how much was cut', () => {
    const out = neutralizeLine('x'.repeat(10_000));
    expect(out).toBe(`${'x'.repeat(4000)}… (6000 more characters)`);
    expect(neutralizeLine('y'.repeat(4000))).toBe('y'.repeat(4000));
  });

  it('does not cut a surrogate pair in half when truncating', () => {
    const out = neutralizeLine(`${'x'.repeat(3999)}😀tail`);
    expect(out.startsWith(`${'x'.repeat(3999)}…`)).toBe(true);
    expect(out).not.toMatch(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])/);
  });
});

describe('stripControl', () => {
  it('removes CSI, OSC and other escape sequences', () => {
    expect(stripControl(`${ESC}[1;31mred${ESC}[0m ${ESC}[?25lhidden`)).toBe('red hidden');
    expect(stripControl(`${ESC}]8;;https://x.example/${'\x07'}link${ESC}]8;;${ESC}\\`)).toBe('link');
    expect(stripControl(`${ESC}]0;title${'\x07'}text`)).toBe('text');
    expect(stripControl(`${ESC}(Bcharset ${ESC}7saved`)).toBe('charset saved');
  });

  it('removes C0 and C1 controls but keeps tab and line breaks', () => {
    expect(stripControl('a\x00b\x07c\x7fd\x80e\x9ff')).toBe('abcdef');
    expect(stripControl('a\tb\nc\rd\u0085e')).toBe('a\tb\nc\rd\u0085e');
  });

  it('does not let an unterminated OSC swallow the next line', () => {
    expect(stripControl(`${ESC}]8;;https://x.example/\nnext`)).toBe('8;;https://x.example/\nnext');
  });

  it('replaces lone surrogates and keeps pairs', () => {
    expect(stripControl('a\uD800b\uDC00c😀')).toBe('a\uFFFDb\uFFFDc😀');
  });
});

describe('splitLines', () => {
  it('splits on every kind of line break', () => {
    expect(splitLines('a\r\nb\rc\nd\u0085e\u2028f\u2029g')).toEqual(['a', 'b', 'c', 'd', 'e', 'f', 'g']);
    expect(splitLines('one')).toEqual(['one']);
    expect(splitLines('a\n\nb')).toEqual(['a', '', 'b']);
  });
});

describe('maskSecrets', () => {
  it('masks the raw secret', () => {
    expect(maskSecrets('token abcd1234 used', ['abcd1234'])).toBe('token *** used');
  });

  it('masks the URL-encoded secret', () => {
    const secret = 'p@ss w/rd!';
    const text = `GET https://api.example/?key=${encodeURIComponent(secret)}&x=1`;
    expect(maskSecrets(text, [secret])).toBe('GET https://api.example/?key=***&x=1');
  });

  it('masks the base64 secret in standard and URL-safe alphabets, padded or not', () => {
    const secret = '>>>???~~';
    const standard = Buffer.from(secret).toString('base64');
    const urlSafe = Buffer.from(secret).toString('base64url');
    expect(standard).toMatch(/[+/]/);
    expect(maskSecrets(`a ${standard} b`, [secret])).toBe('a *** b');
    expect(maskSecrets(`a ${urlSafe} b`, [secret])).toBe('a *** b');
    expect(maskSecrets(`a ${standard.replace(/=+$/, '')} b`, [secret])).toBe('a *** b');
  });

  it('masks a secret base64-encoded inside a longer value (Basic auth)', () => {
    const secret = 's3cr3t-value-42';
    for (const user of ['u', 'us', 'usr']) {
      const header = `Authorization: Basic ${Buffer.from(`${user}:${secret}`).toString('base64')}`;
      const masked = maskSecrets(header, [secret]);
      expect(masked).toContain('***');
      // What is left is the user name's group and the edge characters: too short to hold the secret.
      const leftover = masked.replace('Authorization: Basic ', '').replace('***', '');
      expect(leftover.length).toBeLessThanOrEqual(10);
    }
  });

  it('masks the JSON-escaped secret', () => {
    const secret = 'quote"back\\slash';
    expect(maskSecrets(JSON.stringify({ key: secret }), [secret])).toBe('{"key":"***"}');
  });

  it('masks longer secrets first', () => {
    expect(maskSecrets('abcdefgh and abcd', ['abcd', 'abcdefgh'])).toBe('*** and ***');
  });

  it('masks each line of a multi-line secret', () => {
    expect(maskSecrets('line one\nsecond-line', ['first-line\nsecond-line'])).toBe('line one\n***');
  });

  it('ignores empty and very short secrets', () => {
    expect(maskSecrets('abc def', ['', 'abc'])).toBe('abc def');
  });
});

describe('markdownCell', () => {
  it('escapes pipes, HTML and backticks', () => {
    const cell = markdownCell('a | b <script>alert(1)</script> `x` & [link](javascript:x)');
    expect(cell).toBe('a \\| b &lt;script&gt;alert(1)&lt;/script&gt; \\`x\\` &amp; \\[link\\](javascript:x)');
    expect(cell).not.toContain('<script>');
    expect(cell).not.toMatch(/(?<!\\)\|/);
  });

  it('puts everything on one line and neutralizes it', () => {
    const cell = markdownCell('first\r\n::error::second\nthird');
    expect(cell).toBe(`first :${DOT}:error::second third`);
    expect(markdownCell('##vso[task.complete]')).toBe(`#${DOT}#vso\\[task.complete\\]`);
  });

  it('escapes backslashes so an escaped pipe cannot be unescaped', () => {
    expect(markdownCell('a\\|b')).toBe('a\\\\\\|b');
  });

  it('truncates to 200 characters before escaping', () => {
    const cell = markdownCell('x'.repeat(500));
    expect(cell).toBe(`${'x'.repeat(199)}…`);
    expect(markdownCell('<'.repeat(300))).toBe(`${'&lt;'.repeat(199)}…`);
  });
});

describe('markdownCodeBlock', () => {
  it('uses a fence longer than any backtick run inside', () => {
    const block = markdownCodeBlock(['before', '```', 'inside ```` four', 'after']);
    const lines = block.split('\n');
    expect(lines[0]).toBe('`````');
    expect(lines[lines.length - 1]).toBe('`````');
    expect(lines.slice(1, -1)).toEqual(['before', '```', 'inside ```` four', 'after']);
  });

  it('uses three backticks when the content has none', () => {
    expect(markdownCodeBlock(['a', 'b'])).toBe('```\na\nb\n```');
    expect(markdownCodeBlock([])).toBe('```\n```');
  });

  it('neutralizes each line, and splits lines that hold breaks', () => {
    const block = markdownCodeBlock(['::error::x', 'a\r##vso[task.complete]', '</details>']);
    expect(block).toBe(`\`\`\`\n:${DOT}:error::x\na\n#${DOT}#vso[task.complete]\n</details>\n\`\`\``);
  });
});

describe('xmlEscape', () => {
  it('escapes the five special characters', () => {
    expect(xmlEscape(`<a href="x">'&'</a>`)).toBe('&lt;a href=&quot;x&quot;&gt;&apos;&amp;&apos;&lt;/a&gt;');
  });

  it('removes characters XML 1.0 does not allow and keeps tab, LF, CR', () => {
    expect(xmlEscape('a\u0001b\u0000c\u001fd\uFFFEe\uFFFF')).toBe('abcde');
    expect(xmlEscape('t\tl\nc\r')).toBe('t\tl\nc\r');
    expect(xmlEscape('lone\uD800 pair😀')).toBe('lone pair😀');
  });
});

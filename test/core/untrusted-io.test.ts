/**
 * Order of cleaning for server text (issue 13, inputs and outputs 3 and 4): control and escape sequences are
 * removed first, then the key is masked, then CI commands are broken; and JSON printed by the CLI carries no
 * character sequence a runner or agent would act on, while parsing back to the same data.
 */
import fc from 'fast-check';
import { maskJsonStrings, maskSecrets, neutralize, neutralizeJson, secretMasker, stripControl } from '../../src/core/untrusted.js';

const KEY = 'txk_SplitKeyAbCdEfGhIjKlMnOpQrStUv1234';
const HALF = 17;
const [FRONT, BACK] = [KEY.slice(0, HALF), KEY.slice(HALF)];

/** Ways a server can put something between two halves of the key that vanishes when the text is cleaned. */
const SPLITTERS: Array<[string, string]> = [
  ['ANSI colour reset', '\x1b[0m'],
  ['ANSI colour with parameters', '\x1b[1;31m'],
  ['C1 CSI', '\x9b0m'],
  ['OSC 8 hyperlink', '\x1b]8;;https://x.example/\x07'],
  ['NUL', '\x00'],
  ['DEL', '\x7f'],
  ['two escapes in a row', '\x1b[0m\x1b[K'],
];

describe('a key split by something that cleaning removes', () => {
  it.each(SPLITTERS)('%s: masked once the text is cleaned (strip, then mask, then neutralize)', (_name, splitter) => {
    const line = `connecting with key ${FRONT}${splitter}${BACK} now`;
    const printed = neutralize(maskSecrets(line, [KEY]));
    expect(printed).not.toContain(KEY);
    expect(printed).toContain('***');
    expect(printed).toContain('connecting with key');
    // The same through the per-line masker the log file and the engine use.
    const masked = secretMasker([KEY])(line);
    expect(masked).not.toContain(KEY);
    expect(stripControl(masked)).not.toContain(KEY);
  });

  it('the masker never leaves control characters for a later step to remove (which could join a key)', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 40 }), fc.string({ unit: 'binary', maxLength: 40 }), fc.constantFrom(...SPLITTERS.map((s) => s[1])), (before, after, splitter) => {
        const masked = secretMasker([KEY])(`${before}${FRONT}${splitter}${BACK}${after}`);
        expect(stripControl(masked)).toBe(masked);
        expect(neutralize(masked)).not.toContain(KEY);
      }),
      { seed: 13, numRuns: 300 },
    );
  });
});

describe('maskJsonStrings', () => {
  it('masks a key split by an escape inside JSON text, and keeps the JSON valid', () => {
    const data = [{ target: 'a', failedTasks: [{ logExcerpt: `key=${FRONT}\x1b[0m${BACK}\nnext \x9b"} line` }] }];
    const masked = maskJsonStrings(JSON.stringify(data), secretMasker([KEY]));
    const back = JSON.parse(masked) as typeof data;
    // Cleaned string by string: on the raw JSON text, the C1 CSI would take the backslash of `\"` as its final
    // byte and end the string early.
    expect(back[0]!.failedTasks[0]!.logExcerpt).toBe('key=***\nnext  line');
    expect(masked).not.toContain(KEY);
    expect(stripControl(masked)).not.toContain(KEY);
  });

  it('maskSecrets and the masker treat serialized JSON the same way: valid, layout kept, split key masked', () => {
    const data = { runs: [{ runId: `x\x9b"}`, note: `key ${FRONT}\x1b[0m${BACK}` }] };
    for (const indent of [undefined, 2]) {
      const json = JSON.stringify(data, null, indent);
      for (const masked of [maskSecrets(json, [KEY]), secretMasker([KEY])(json)]) {
        expect(JSON.parse(masked)).toEqual({ runs: [{ runId: 'x', note: 'key ***' }] });
        expect(masked).toBe(JSON.stringify(JSON.parse(masked), null, indent));
      }
    }
  });

  it('falls back to masking the text when it is not JSON', () => {
    expect(maskJsonStrings(`not json ${KEY}`, secretMasker([KEY]))).toBe('not json ***');
  });
});

describe('neutralizeJson', () => {
  const AZURE = /##vso\[|##\[/i;
  const GITHUB_ANYWHERE = /::/;

  it('breaks an Azure logging command and a GitHub workflow command carried in JSON strings', () => {
    const data = [
      {
        target: 'finance/Package/1010',
        failedTasks: [
          { name: '##vso[task.setvariable variable=DEPLOY]yes', logExcerpt: '::error::boom\n##[error]x\n::add-mask::y' },
        ],
      },
    ];
    const json = JSON.stringify(data);
    expect(json).toMatch(AZURE); // the raw JSON would drive the agent
    const safe = neutralizeJson(json);
    expect(safe).not.toMatch(AZURE);
    expect(safe).not.toMatch(GITHUB_ANYWHERE);
    expect(safe).not.toContain('#');
    expect(JSON.parse(safe)).toEqual(data);
    expect(safe).toContain('\\u0023\\u0023vso[task.setvariable');
  });

  it('keeps ordinary colons (times, URLs) readable', () => {
    const data = { startedAt: '2024-06-01T10:00:00Z', url: 'https://x.example/a' };
    const safe = neutralizeJson(JSON.stringify(data));
    expect(safe).toContain('10:00:00Z');
    expect(safe).toContain('https://x.example/a');
    expect(JSON.parse(safe)).toEqual(data);
  });

  it('escapes line separators and C1 controls, which a viewer may treat as line breaks', () => {
    const data = { a: 'x\u2028::error::y', b: 'x\u0085##vso[task.complete]', c: 'x\u2029y\u009b' };
    const safe = neutralizeJson(JSON.stringify(data));
    expect(safe).not.toMatch(/[\u007f-\u009f\u2028\u2029]/);
    expect(JSON.parse(safe)).toEqual(data);
  });

  it('any JSON value: parses back to the same data, with no #, no :: and one line', () => {
    const text = fc.string({ unit: 'binary', maxLength: 30 });
    const risky = fc.constantFrom('##vso[task.complete result=Succeeded]', '::error::x', ':::', '#', '\\', '"', '\u2028', '\\u0023', ':');
    const str = fc.oneof(text, risky, fc.array(fc.oneof(text, risky), { maxLength: 5 }).map((parts) => parts.join('')));
    const value = fc.letrec((tie) => ({
      node: fc.oneof({ depthSize: 'small' }, str, fc.integer(), fc.boolean(), fc.constant(null), fc.array(tie('node'), { maxLength: 4 }), fc.dictionary(str, tie('node'), { maxKeys: 4 })),
    })).node;
    fc.assert(
      fc.property(value, fc.constantFrom(undefined, 2), (v, indent) => {
        const json = JSON.stringify(v, null, indent);
        const safe = neutralizeJson(json);
        expect(JSON.parse(safe)).toEqual(JSON.parse(json));
        expect(safe).not.toContain('#');
        expect(safe).not.toContain('::');
        expect(safe).not.toMatch(/[\r\u0085\u2028\u2029]/);
        if (indent === undefined) expect(safe).not.toContain('\n');
      }),
      { seed: 13, numRuns: 500 },
    );
  });
});

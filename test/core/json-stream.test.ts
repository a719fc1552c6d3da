import { jsonArrayItems } from '../../src/core/json-stream.js';

async function collect(chunks: string[]): Promise<unknown[]> {
  const out: unknown[] = [];
  for await (const item of jsonArrayItems((async function* () {
    for (const c of chunks) yield Buffer.from(c);
  })())) out.push(item);
  return out;
}

test('items split across chunks at any point, strings with brackets, commas and escapes', async () => {
  const value = [{ log: 'a, [b] {c}', t: 1 }, { log: 'quote \\" and \\\\', t: 2 }, [1, [2]], 'x', 3, null];
  const text = JSON.stringify(value);
  for (let size = 1; size <= 7; size++) {
    const chunks = text.match(new RegExp(`[\\s\\S]{1,${size}}`, 'g'))!;
    expect(await collect(chunks)).toEqual(value);
  }
});

test('multi-byte characters split between chunks', async () => {
  const bytes = Buffer.from(JSON.stringify([{ log: 'Zürich → 東京' }]));
  const out: unknown[] = [];
  for await (const item of jsonArrayItems((async function* () {
    for (const b of bytes) yield Buffer.from([b]);
  })())) out.push(item);
  expect(out).toEqual([{ log: 'Zürich → 東京' }]);
});

test('an empty array, and errors for non-arrays, cut-off bodies and malformed items', async () => {
  expect(await collect(['  [ ] '])).toEqual([]);
  await expect(collect(['{"a":1}'])).rejects.toThrow(/expected a JSON array/);
  await expect(collect(['[{"a":1},'])).rejects.toThrow(/cut off/);
  await expect(collect(['[{"a":1},{b}]'])).rejects.toThrow(/malformed/);
  await expect(collect([''])).rejects.toThrow(/empty body/);
});

test('skip: the first items are counted and dropped unparsed, at any chunk split; the rest come whole', async () => {
  const value = [{ log: 'a, [b]', t: 1 }, [1, [2]], { log: 'quote \\" }', t: 3 }, 'x', 5, null];
  const text = JSON.stringify(value);
  const items = async (chunks: string[], skip: number) => {
    const out: unknown[] = [];
    for await (const item of jsonArrayItems((async function* () {
      for (const c of chunks) yield Buffer.from(c);
    })(), { skip })) out.push(item);
    return out;
  };
  for (let size = 1; size <= 7; size++) {
    const chunks = text.match(new RegExp(`[\\s\\S]{1,${size}}`, 'g'))!;
    for (const skip of [0, 1, 3, 6, 9]) expect(await items(chunks, skip)).toEqual(value.slice(skip));
  }
  // Not parsed: a malformed item among the skipped ones is not even looked at; after them it is an error.
  expect(await items(['[{b},{"a":1}]'], 1)).toEqual([{ a: 1 }]);
  await expect(items(['[{"a":1},{b}]'], 1)).rejects.toThrow(/malformed/);
  expect(await items(['[ ]'], 2)).toEqual([]);
  await expect(items(['[{"a":1},'], 1)).rejects.toThrow(/cut off/);
});

test('skip on bytes: any array, split at any byte (inside a multi-byte character too), any skip: the items after the skipped ones, whole', async () => {
  const { default: fc } = await import('fast-check');
  const entry = fc.oneof(
    fc.record({ logTime: fc.string(), log: fc.string({ unit: 'grapheme' }) }),
    fc.string({ unit: 'grapheme' }),
    fc.array(fc.oneof(fc.integer(), fc.constant('é, [ü] "}'))),
    fc.constant(null),
  );
  await fc.assert(
    fc.asyncProperty(fc.array(entry, { maxLength: 12 }), fc.array(fc.nat(40), { maxLength: 8 }), fc.nat(14), fc.constantFrom('', ' ', '\n  '), async (value, cuts, skip, pad) => {
      const bytes = Buffer.from(`${pad}[${pad}${value.map((v) => JSON.stringify(v)).join(`,${pad}`)}${pad}]${pad}`);
      const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
      const chunks: Buffer[] = [];
      let at = 0;
      for (const p of [...points, bytes.length]) {
        chunks.push(bytes.subarray(at, p));
        at = p;
      }
      const out: unknown[] = [];
      for await (const item of jsonArrayItems((async function* () {
        yield* chunks;
      })(), { skip })) out.push(item);
      expect(out).toEqual(value.slice(skip));
    }),
    { numRuns: 400 },
  );
});

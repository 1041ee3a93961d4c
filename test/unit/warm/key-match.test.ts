import { test } from 'node:test';
import assert from 'node:assert/strict';
import { matchRowIndexes } from '../../../src/core/warm/batch.js';
import { matchByteValueRows, matchRowIndexesOnBytes } from '../../../src/core/warm/key-match.js';
import { parsePattern } from '../../../src/core/warm/pattern.js';
import { rowShape } from '../../../src/core/warm/values.js';
import type { ByteValueRows } from '../../../src/core/warm/ports.js';

/** Rows of (id, value) packed into a few chunks, as a fetch gives them; null: a NULL id. */
function byteRows(ids: (string | null)[], textKey = true): ByteValueRows {
  const chunkList: Buffer[] = [];
  const chunkOf = new Int32Array(ids.length);
  const keySpans = new Int32Array(2 * ids.length);
  const valueSpans = new Int32Array(2 * ids.length);
  let parts: Buffer[] = [];
  let size = 0;
  const flush = () => {
    chunkList.push(Buffer.concat(parts));
    parts = [];
    size = 0;
  };
  ids.forEach((id, r) => {
    if (r % 7 === 6) flush();
    chunkOf[r] = chunkList.length;
    const key = Buffer.from(id ?? '', 'utf8');
    const value = Buffer.from(`v${r}`);
    keySpans[2 * r] = size + 1;
    keySpans[2 * r + 1] = id === null ? -1 : key.length;
    valueSpans[2 * r] = size + 1 + key.length;
    valueSpans[2 * r + 1] = value.length;
    parts.push(Buffer.from('#'), key, value);
    size += 1 + key.length + value.length;
  });
  flush();
  return {
    count: ids.length,
    chunkList,
    chunkOf,
    valueSpans,
    cell: (r, c) => (c === 0 ? ids[r] : `v${r}`),
    textSpans: (c) => (c === 0 && textKey ? keySpans : undefined),
  };
}

const pattern = parsePattern('p:{id}');
const shape = rowShape(['id', 'value']);

function random(seed: number): () => number {
  let s = seed;
  return () => {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    return s / 2 ** 32;
  };
}

test('matching on bytes gives every key the row matching by strings gives it: missing rows, NULL keys, repeated ids and rows, other rows', () => {
  for (let seed = 1; seed <= 40; seed++) {
    const rnd = random(seed);
    const pick = (n: number) => Math.floor(rnd() * n);
    // Short ids so that repeats, prefixes and hash collisions are frequent.
    const ids = Array.from({ length: 1 + pick(300) }, () => String(pick(120)) + (rnd() < 0.2 ? 'x' : ''));
    const rows: (string | null)[] = Array.from({ length: pick(400) }, () => (rnd() < 0.05 ? null : rnd() < 0.1 ? '' : String(pick(150))));
    const keys = ids.map((id) => `p:${id}`);
    const bytes = byteRows(rows);
    const expected = matchRowIndexes(pattern, keys, rows.length, (r, c) => bytes.cell(r, c), shape, ids);
    const got = matchRowIndexesOnBytes(ids, bytes.count, bytes.chunkList, bytes.chunkOf, bytes.textSpans(0) as Int32Array);
    assert.deepEqual(got, expected, `seed ${seed}`);
    assert.deepEqual(matchByteValueRows(pattern, keys, [ids], bytes, shape), expected, `seed ${seed}, through matchByteValueRows`);
  }
});

test('a batch with a non-ASCII id, or a key column whose bytes are not its text, is matched by strings', () => {
  const ids = ['1', 'é', '2'];
  const keys = ids.map((id) => `p:${id}`);
  const bytes = byteRows(['2', 'é', '1']);
  assert.equal(matchRowIndexesOnBytes(ids, bytes.count, bytes.chunkList, bytes.chunkOf, bytes.textSpans(0) as Int32Array), undefined);
  assert.deepEqual([...matchByteValueRows(pattern, keys, [ids], bytes, shape)], [2, 1, 0]);
  // A column the source cannot vouch for: its cells decide (here they differ from the bytes).
  const numeric = byteRows(['01', '2'], false);
  const cells = { ...numeric, cell: (r: number, c: number) => (c === 0 ? ['1', '2'][r] : 'v') };
  assert.deepEqual([...matchByteValueRows(pattern, ['p:1', 'p:2'], [['1', '2']], cells, shape)], [0, 1]);
});

test("the table is reused across batches of different sizes without keeping the last one's ids", () => {
  for (const n of [5000, 3, 0, 40_000, 10]) {
    const ids = Array.from({ length: n }, (_, i) => `k${i}`);
    const bytes = byteRows(ids.slice().reverse());
    const got = matchRowIndexesOnBytes(ids, bytes.count, bytes.chunkList, bytes.chunkOf, bytes.textSpans(0) as Int32Array) as Int32Array;
    assert.equal(got.length, n);
    for (let i = 0; i < n; i++) assert.equal(got[i], n - 1 - i);
  }
});

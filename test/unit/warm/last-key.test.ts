import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LastKey } from '../../../src/core/warm/last-key.js';
import type { ByteRows } from '../../../src/core/warm/ports.js';

/** Rows with these keys (null: NULL) as byte rows, each key in its own place of one chunk, some in a second chunk. */
function byteRows(keys: (string | null)[]): ByteRows {
  const parts: Buffer[] = [];
  const spans = new Int32Array(4 * Math.max(1, keys.length));
  const chunks: Buffer[] = [];
  let at = 0;
  keys.forEach((k, r) => {
    const bytes = Buffer.from(`#${k ?? ''}`, 'utf8');
    parts.push(bytes);
    spans[4 * r] = at + 1;
    spans[4 * r + 1] = k === null ? -1 : bytes.length - 1;
    at += bytes.length;
  });
  const chunk = Buffer.concat(parts);
  keys.forEach(() => chunks.push(chunk));
  return { count: keys.length, chunks, spans };
}

/** What the checkpoint mark should say after these rows: the last non-empty key and its run at the end. */
function reference(rows: (string | null)[], start: { key: string | undefined; repeats: number }) {
  let { key, repeats } = start;
  for (const k of rows) {
    if (k === null || k === '') continue;
    if (k === key) repeats++;
    else {
      key = k;
      repeats = 1;
    }
  }
  return { key, repeats };
}

test('LastKey over byte rows: the last key and its run, across batches, NULL and empty keys, multi-byte keys', () => {
  let seed = 7;
  const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  const alphabet = ['product:1', 'product:2', 'é:1', 'é:10', '', null];
  for (let trial = 0; trial < 300; trial++) {
    const resumeKey = random() < 0.3 ? 'product:2' : undefined;
    const last = new LastKey(resumeKey);
    let expected = { key: resumeKey, repeats: 0 };
    for (let b = 0; b < 4; b++) {
      // Runs, as an ORDER BY key gives them, and now and then a batch of one key only.
      const rows: (string | null)[] = [];
      const size = Math.floor(random() * 6);
      for (let i = 0; i < size; i++) rows.push(alphabet[Math.floor(random() * alphabet.length)] as string | null);
      const keyed = last.trackBytes(byteRows(rows));
      expected = reference(rows, expected);
      assert.equal(keyed, rows.filter((k) => k !== null).length);
      assert.equal(last.key, expected.key, JSON.stringify({ trial, b, rows }));
      assert.equal(last.repeats, expected.repeats, JSON.stringify({ trial, b, rows }));
    }
  }
});

test('LastKey: text rows and byte rows continue one run', () => {
  const last = new LastKey(undefined);
  last.trackRows([['a'], ['b'], ['b']], { keyIndex: 0 });
  assert.deepEqual([last.key, last.repeats], ['b', 2]);
  last.trackBytes(byteRows(['b', null, 'b']));
  assert.deepEqual([last.key, last.repeats], ['b', 4]);
  last.trackBytes(byteRows(['b', 'c']));
  assert.deepEqual([last.key, last.repeats], ['c', 1]);
});

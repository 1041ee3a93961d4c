import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { readKeyBatches } from '../../../src/sources/keylist.js';

async function all(text: string | Buffer[], batchSize = 2, skip = 0) {
  const stream = Readable.from(Array.isArray(text) ? text : [Buffer.from(text)], { objectMode: false });
  const out: { keys: string[]; lines: number[] }[] = [];
  for await (const b of readKeyBatches(stream, 'keys.txt', batchSize, skip)) out.push(b);
  return out;
}

test('BOM, CRLF, blank lines and comments are handled; line numbers are kept', async () => {
  const batches = await all('\uFEFFa:1\r\n\r\n# comment\nb:2\n   \nc:3\td:4 is a comment\n  e:5');
  assert.deepEqual(batches.flatMap((b) => b.keys), ['a:1', 'b:2', 'c:3', '  e:5']);
  assert.deepEqual(batches.flatMap((b) => b.lines), [1, 4, 6, 7]);
  assert.deepEqual(batches.map((b) => b.keys.length), [2, 2]);
});

test('a multi-byte character split across chunks stays whole', async () => {
  const bytes = Buffer.from('k:é\nk:ü\n');
  const batches = await all([bytes.subarray(0, 3), bytes.subarray(3, 7), bytes.subarray(7)]);
  assert.deepEqual(batches.flatMap((b) => b.keys), ['k:é', 'k:ü']);
});

test('resume skips the first lines', async () => {
  const batches = await all('a\nb\nc\nd\n', 10, 2);
  assert.deepEqual(batches.flatMap((b) => b.keys), ['c', 'd']);
});

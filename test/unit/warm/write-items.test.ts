import { test } from 'node:test';
import assert from 'node:assert/strict';
import { emptyItems, keyOf, pushFromBatch, takeItems, type Items } from '../../../src/adapters/redis/write-items.js';
import { byteRowsBatch } from '../../../src/core/warm/batch.js';
import type { Ticket, WriteBatch } from '../../../src/core/warm/ports.js';
import type { WarmEntry } from '../../../src/core/warm/types.js';

function items(values: (string | string[])[]): Items {
  const ticket: Ticket = { entry: 'e', entryIndex: 0, position: 0, remaining: values.length, sealed: false };
  const batch: WriteBatch = {
    keys: values.map((_, i) => `k${i}`),
    values,
    ttls: values.map(() => 1000),
    stale: values.map(() => false),
    tickets: values.map(() => ticket),
    format: 'string',
    onlyMissing: false,
  };
  const out = emptyItems();
  for (let i = 0; i < values.length; i++) pushFromBatch(out, batch, i);
  return out;
}

test('a pipeline takes up to n items, in order, and leaves the rest', () => {
  const src = items(['a', 'b', 'c', 'd', 'e']);
  const first = takeItems(src, 2);
  assert.deepEqual(first.keys, ['k0', 'k1']);
  assert.deepEqual(src.keys, ['k2', 'k3', 'k4']);
  assert.deepEqual(takeItems(src, 10).values, ['c', 'd', 'e']);
  assert.equal(src.keys.length, 0);
});

test('a pipeline of large values is cut by size, one item at least', () => {
  const big = 'x'.repeat(3000);
  const src = items([big, big, big, ['f', big], 'small']);
  // Key (2 units) + 3000 per value: two fit under 7000 units, the third would pass it.
  assert.deepEqual(takeItems(src, 100, 7000).keys, ['k0', 'k1']);
  // A single item over the limit still goes alone, or nothing would ever be sent.
  assert.deepEqual(takeItems(src, 100, 10).keys, ['k2']);
  // Hash values count every field and value.
  assert.deepEqual(takeItems(src, 100, 3000).keys, ['k3']);
  assert.deepEqual(takeItems(src, 100, 3000).keys, ['k4']);
});

test('a batch of streamed rows takes their columns over: items read back the same bytes, NULL values empty, the TTLs per row', () => {
  const chunk = Buffer.from('k:1v1k:2k:3vvv');
  // Capacity for 8 rows, 3 used; the second value is NULL.
  const spans = new Int32Array(32);
  spans.set([0, 3, 3, 2, 5, 3, 0, -1, 8, 3, 11, 3]);
  const chunks = [chunk, chunk, chunk];
  const ticket: Ticket = { entry: 'e', entryIndex: 0, position: 3, remaining: 0, sealed: false };
  const entry = { ttlMs: 60_000, jitter: 0.1, format: 'string', onlyMissing: false } as unknown as WarmEntry;
  let r = 0;
  const randoms = [0, 0.5, 1];
  const batch = byteRowsBatch(entry, ticket, chunks, spans, 3, () => randoms[r++] as number);
  assert.equal(ticket.remaining, 3);
  assert.equal(batch.keys.length, 3);
  assert.deepEqual(batch.ttls, [54_000, 60_000, 66_000]);
  const lane = emptyItems();
  for (let i = 0; i < batch.keys.length; i++) pushFromBatch(lane, batch, i);
  assert.deepEqual(
    [0, 1, 2].map((i) => keyOf(lane, i)),
    ['k:1', 'k:2', 'k:3'],
  );
  assert.deepEqual(lane.spans, [0, 3, 3, 2, 5, 3, 0, 0, 8, 3, 11, 3], 'the NULL value is written empty');
  const fixed = byteRowsBatch({ ...entry, jitter: 0 }, ticket, [chunk, chunk], new Int32Array(8), 1, () => 0.5);
  assert.deepEqual(fixed.ttls, [60_000]);
  assert.equal(fixed.chunks?.length, 1, 'only the batch rows of a longer chunks column');
  assert.deepEqual(byteRowsBatch({ ...entry, ttlMs: null }, ticket, [chunk], new Int32Array(4), 1, () => 0.5).ttls, [-1]);
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { emptyItems, keyOf, pushFromBatch, pushItem } from '../../../src/adapters/redis/write-items.js';
import { LaneQueue } from '../../../src/adapters/redis/lane-queue.js';
import { byteRowsBatch } from '../../../src/core/warm/batch.js';
import type { Ticket, WriteBatch } from '../../../src/core/warm/ports.js';
import type { WarmEntry } from '../../../src/core/warm/types.js';

function batchOf(values: (string | string[])[]): WriteBatch {
  const ticket: Ticket = { entry: 'e', entryIndex: 0, position: 0, remaining: values.length, sealed: false };
  return {
    keys: values.map((_, i) => `k${i}`),
    values,
    ttls: values.map(() => 1000),
    stale: values.map(() => false),
    tickets: values.map(() => ticket),
    format: 'string',
    onlyMissing: false,
  };
}

function queueOf(batch: WriteBatch): LaneQueue {
  const q = new LaneQueue();
  q.addFromBatch(
    batch,
    Int32Array.from(batch.keys, (_, i) => i),
  );
  return q;
}

test('a pipeline takes up to n items, in order, and leaves the rest', () => {
  const src = queueOf(batchOf(['a', 'b', 'c', 'd', 'e']));
  const first = src.take(2);
  assert.deepEqual(first.keys, ['k0', 'k1']);
  assert.equal(src.length, 3);
  assert.deepEqual(src.take(10).values, ['c', 'd', 'e']);
  assert.equal(src.length, 0);
});

test('a pipeline of large values is cut by size, one item at least', () => {
  const big = 'x'.repeat(3000);
  const src = queueOf(batchOf([big, big, big, ['f', big], 'small']));
  // Key (2 units) + 3000 per value: two fit under 7000 units, the third would pass it.
  assert.deepEqual(src.take(100, 7000).keys, ['k0', 'k1']);
  // A single item over the limit still goes alone, or nothing would ever be sent.
  assert.deepEqual(src.take(100, 10).keys, ['k2']);
  // Hash values count every field and value.
  assert.deepEqual(src.take(100, 3000).keys, ['k3']);
  assert.deepEqual(src.take(100, 3000).keys, ['k4']);
});

test('runs from batches and from Items, string and byte items mixed, come out as pushFromBatch and pushItem would make them', () => {
  const chunk = Buffer.from('s:1AAs:2BBBs:3C');
  const ticket: Ticket = { entry: 'e', entryIndex: 0, position: 0, remaining: 0, sealed: false };
  const streamed: WriteBatch = {
    keys: ['', '', ''],
    values: ['', '', ''],
    ttls: [10, 20, 30],
    stale: [false, false, false],
    tickets: [ticket, ticket, ticket],
    format: 'string',
    onlyMissing: true,
    chunks: [chunk, chunk, chunk],
    spans: Int32Array.from([0, 3, 3, 2, 5, 3, 8, 3, 11, 3, 14, 1, 99, 99]),
  };
  const strings: WriteBatch = { ...batchOf(['x', ['f', 'v'], 'z']), format: 'hash', refreshBelowMs: [5, 6, 7] };
  const retried = emptyItems();
  for (let i = 0; i < 3; i++) pushFromBatch(retried, i === 1 ? streamed : strings, i);
  retried.attempts[0] = 2;
  retried.attempts[2] = 1;
  const q = new LaneQueue();
  q.addFromBatch(strings, Int32Array.from([2, 0]));
  q.addFromBatch(streamed, Int32Array.from([1, 2]));
  q.addFromItems(retried, Int32Array.from([0, 1, 2]));
  const expected = emptyItems();
  for (const i of [2, 0]) pushFromBatch(expected, strings, i);
  for (const i of [1, 2]) pushFromBatch(expected, streamed, i);
  for (const i of [0, 1, 2]) pushItem(expected, retried, i);
  // Taken in pipelines that cut runs in the middle.
  const got = [q.take(1), q.take(3), q.take(10)];
  const all = emptyItems();
  for (const part of got) for (let i = 0; i < part.keys.length; i++) pushItem(all, part, i);
  assert.deepEqual(all, expected);
  assert.deepEqual(got[0]?.chunks, [], 'a pipeline of string items only has no byte columns');
  assert.deepEqual(
    [0, 1, 2, 3, 4, 5, 6].map((i) => keyOf(all, i)),
    ['k2', 'k0', 's:2', 's:3', 'k0', 's:2', 'k2'],
  );
  assert.equal(q.length, 0);
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

test('byte items of a batch are cut by their byte lengths (a NULL value counts nothing)', () => {
  const chunk = Buffer.alloc(64);
  const ticket: Ticket = { entry: 'e', entryIndex: 0, position: 0, remaining: 0, sealed: false };
  const streamed: WriteBatch = {
    keys: ['', '', '', ''],
    values: ['', '', '', ''],
    ttls: [1, 1, 1, 1],
    stale: [false, false, false, false],
    tickets: [ticket, ticket, ticket, ticket],
    format: 'string',
    onlyMissing: false,
    chunks: [chunk, chunk, chunk, chunk],
    // keys of 4 bytes; values of 10, 10, NULL, 30 bytes
    spans: Int32Array.from([0, 4, 4, 10, 14, 4, 18, 10, 28, 4, 32, -1, 32, 4, 0, 30]),
  };
  const q = queueOf(streamed);
  assert.equal(q.take(10, 30).keys.length, 2, '14 + 14 units fit in 30, the third would pass it');
  assert.equal(q.take(10, 4).keys.length, 1, 'the NULL value: 4 units');
  assert.equal(q.take(10, 4).keys.length, 1, 'over the limit alone still goes');
  assert.equal(q.length, 0);
});

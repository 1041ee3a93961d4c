import { test } from 'node:test';
import assert from 'node:assert/strict';
import { emptyItems, pushFromBatch, takeItems, type Items } from '../../../src/adapters/redis/write-items.js';
import type { Ticket, WriteBatch } from '../../../src/core/warm/ports.js';

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

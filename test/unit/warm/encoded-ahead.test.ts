import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EncodedAhead, type AheadBudget, type EncodedPipeline } from '../../../src/adapters/redis/encoded-ahead.js';
import { LaneQueue } from '../../../src/adapters/redis/lane-queue.js';
import { BufferPool } from '../../../src/adapters/redis/resp-buffer.js';
import { emptyItems, encodeItems, modeOf, pushFromBatch, type Items } from '../../../src/adapters/redis/write-items.js';
import type { Ticket, WriteBatch } from '../../../src/core/warm/ports.js';

const ticket: Ticket = { entry: 'e', entryIndex: 0, position: 0, remaining: 0, sealed: false };

function stringBatch(values: (string | string[])[], format: 'string' | 'hash' = 'string'): WriteBatch {
  return {
    keys: values.map((_, i) => `k${i}:ü`),
    values,
    ttls: values.map((_, i) => (i % 2 ? -1 : 1000 + i)),
    stale: values.map(() => false),
    tickets: values.map(() => ticket),
    format,
    onlyMissing: false,
  };
}

/** Streamed rows (key and value in the chunk), written only where missing (SET ... NX). */
function byteBatch(): WriteBatch {
  const chunk = Buffer.from('r:1' + 'v'.repeat(40) + 'r:2' + 'ß€' + 'r:3');
  return {
    keys: ['', '', ''],
    values: ['', '', ''],
    ttls: [5, 6, 7],
    stale: [false, false, false],
    tickets: [ticket, ticket, ticket],
    format: 'string',
    onlyMissing: true,
    chunks: [chunk, chunk, chunk],
    // The third value is NULL (written empty).
    spans: Int32Array.from([0, 3, 3, 40, 43, 3, 46, 5, 51, 3, 0, -1]),
  };
}

function lane(pipelineSize: number, maxUnits: number, budget: AheadBudget = { bytes: 0, max: Infinity }) {
  const queue = new LaneQueue();
  const ahead = new EncodedAhead(pipelineSize, maxUnits, new BufferPool(), budget);
  return {
    queue,
    ahead,
    budget,
    add(batch: WriteBatch, indexes: number[]) {
      queue.addFromBatch(batch, Int32Array.from(indexes));
      for (const i of indexes) ahead.add(batch, i, modeOf(batch));
    },
    take(): { items: Items; encoded: EncodedPipeline | undefined } {
      const items = queue.take(pipelineSize, maxUnits);
      return { items, encoded: ahead.takeFor(items.keys.length, queue.length === 0) };
    },
  };
}

function assertSame(encoded: EncodedPipeline | undefined, items: Items, what: string): void {
  assert.ok(encoded, `${what}: encoded ahead`);
  // What the writer encodes for a taken pipeline when nothing was encoded ahead.
  const late = encodeItems(items, false);
  assert.equal(encoded.count, items.keys.length, what);
  assert.deepEqual(Buffer.from(encoded.p.bytes()), Buffer.from(late.p.bytes()), `${what}: the same bytes`);
  assert.deepEqual([...encoded.ends.subarray(0, encoded.count)], [...late.ends], `${what}: the same reply ends`);
  assert.deepEqual([...encoded.bytes.subarray(0, encoded.count)], [...late.bytes], `${what}: the same value bytes`);
}

test('pipelines encoded as keys arrive are, byte for byte, what the taken items encode to, cut where the queue cuts them', () => {
  const strings = stringBatch(['a', 'x'.repeat(300), '', 'é€😀', 'y'.repeat(250), 'z']);
  const hashes = stringBatch(
    [
      ['f', 'v'],
      ['g', 'ü'.repeat(100)],
    ],
    'hash',
  );
  const rows = byteBatch();
  // Three items a pipeline, or fewer past 300 units of keys and values.
  const l = lane(3, 300);
  l.add(strings, [0, 1, 2, 3]);
  l.add(rows, [0, 1, 2]);
  l.add(hashes, [1, 0]);
  l.add(strings, [4, 5]);
  const sizes: number[] = [];
  while (l.queue.length > 0) {
    const { items, encoded } = l.take();
    assertSame(encoded, items, `pipeline ${sizes.length + 1}`);
    sizes.push(items.keys.length);
  }
  // Cut by size before and after the 304-unit item (it goes alone), by count elsewhere.
  assert.deepEqual(sizes, [1, 1, 3, 3, 3]);
  assert.equal(l.take().encoded, undefined, 'nothing left');
});

test('an item queued without being encoded ends the cover: pipelines before it are used, the rest encoded when sent, and the cover starts again once the lane is empty', () => {
  const l = lane(2, Infinity);
  const first = stringBatch(['a', 'b', 'c', 'd', 'e']);
  l.add(first, [0, 1, 2, 3, 4]);
  const retried = emptyItems();
  pushFromBatch(retried, first, 0);
  // A retry (or an item that needs a PTTL look) goes into the queue only.
  l.queue.addFromItems(retried, Int32Array.from([0]));
  l.ahead.stopCovering();
  const later = stringBatch(['f', 'g']);
  l.add(later, [0, 1]);
  const a = l.take();
  assertSame(a.encoded, a.items, 'first pipeline');
  const b = l.take();
  assertSame(b.encoded, b.items, 'second pipeline');
  const c = l.take();
  assert.deepEqual(c.items.keys, ['k4:ü', 'k0:ü'], 'the last encoded item and the retry');
  assert.equal(c.encoded, undefined, 'a pipeline the encoded ones do not match is encoded when sent');
  const d = l.take();
  assert.deepEqual(d.items.keys, ['k0:ü', 'k1:ü']);
  assert.equal(d.encoded, undefined, 'nothing after the gap was encoded');
  assert.equal(l.queue.length, 0);
  l.add(later, [1, 0]);
  const e = l.take();
  assertSame(e.encoded, e.items, 'after the lane was empty');
});

test('a partial pipeline (an idle node takes what is there) is the one being encoded', () => {
  const l = lane(1000, Infinity);
  l.add(stringBatch(['a', 'b', 'c']), [2, 0]);
  const { items, encoded } = l.take();
  assert.equal(items.keys.length, 2);
  assertSame(encoded, items, 'partial');
  l.add(stringBatch(['d']), [0]);
  const next = l.take();
  assertSame(next.encoded, next.items, 'the next one starts afresh');
});

test('what is encoded ahead is bounded in bytes over all lanes: past the bound keys are encoded when sent, and the bytes come back as pipelines are taken', () => {
  const batch = stringBatch(['0123456789', '0123456789', '0123456789', '0123456789', '0123456789', '0123456789']);
  // The bound: one byte less than the first four items encoded (checked before each item).
  const probe = lane(2, Infinity);
  probe.add(batch, [0, 1, 2, 3]);
  const budget: AheadBudget = { bytes: 0, max: probe.budget.bytes - 1 };
  const one = lane(2, Infinity, budget);
  const other = lane(2, Infinity, budget);
  one.add(batch, [0, 1]);
  other.add(batch, [2, 3]);
  assert.equal(budget.bytes, probe.budget.bytes, 'the first pipelines are encoded');
  one.add(batch, [4, 5]);
  const a = other.take();
  assertSame(a.encoded, a.items, 'encoded before the bound was reached');
  const b = one.take();
  assertSame(b.encoded, b.items, 'the other lane, the same');
  const c = one.take();
  assert.equal(c.encoded, undefined, 'past the bound: encoded when sent');
  assert.equal(budget.bytes, 0, 'every byte encoded ahead is accounted back');
  one.add(batch, [0]);
  const d = one.take();
  assertSame(d.encoded, d.items, 'under the bound again, on an empty lane');
  assert.equal(budget.bytes, 0);
});

/**
 * The restart journal's memory bound counts what a kept key costs: its key and value, and its
 * slots in the journal's columns. A bound of k keys' worth keeps k keys (listed and rewritable
 * after a restart) and counts the rest, against a real Redis (the run_id is read with INFO).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ITEM_SLOTS_BYTES, WriteJournal } from '../../src/adapters/redis/write-journal.js';
import { emptyItems, itemUnits, pushFromBatch } from '../../src/adapters/redis/write-items.js';
import type { Ticket, WriteBatch } from '../../src/core/warm/ports.js';
import type { CacheNode } from '../../src/topology/types.js';
import { startRedis, type RedisProcess } from '../harness/redis.js';

const ticket: Ticket = { entry: 'products', entryIndex: 0, position: 0, remaining: 0, sealed: false };

function batchOf(n: number): WriteBatch {
  const keys = Array.from({ length: n }, (_, i) => `product:${1000 + i}`);
  return {
    keys,
    values: keys.map(() => 'v'.repeat(100)),
    ttls: keys.map(() => 60_000),
    stale: keys.map(() => false),
    tickets: keys.map(() => ticket),
    format: 'string',
    onlyMissing: false,
  } as unknown as WriteBatch;
}

describe('WriteJournal memory bound', () => {
  let redis: RedisProcess;
  let node: CacheNode;
  before(async () => {
    redis = await startRedis();
    node = { address: redis.address, host: '127.0.0.1', port: redis.port, name: redis.address };
  });
  after(async () => redis?.stop());

  test('a bound of 10 keys of data and their slots keeps 10 of 40 written keys and counts 30 as unlisted', async () => {
    const batch = batchOf(40);
    const items = emptyItems();
    for (let i = 0; i < batch.keys.length; i++) pushFromBatch(items, batch, i);
    const dataOfOne = itemUnits(items, 0);
    // Between 10 and 11 keys of data plus slots; counting the data alone, it would hold 24.
    const journal = new WriteJournal(() => redis.client(), 10 * (dataOfOne + ITEM_SLOTS_BYTES) + 50);
    await journal.begin(node, 1);
    const open = journal.of(node);
    assert.ok(open, 'the node is journaled once its run_id is read');
    for (let i = 0; i < items.keys.length; i++) journal.record(open, items, i);
    const lost = journal.abandon(node);
    assert.ok(lost);
    assert.equal(lost.items.keys.length, 10);
    assert.deepEqual(lost.items.keys, batch.keys.slice(0, 10));
    assert.equal(lost.unlisted, 30);
    assert.equal(lost.unlistedEntry, 'products');
  });

  test('what abandon() takes is given back to the bound: the next keys are kept again', async () => {
    const batch = batchOf(4);
    const items = emptyItems();
    for (let i = 0; i < batch.keys.length; i++) pushFromBatch(items, batch, i);
    const journal = new WriteJournal(() => redis.client(), 2 * (itemUnits(items, 0) + ITEM_SLOTS_BYTES));
    await journal.begin(node, 1);
    const open = journal.of(node);
    assert.ok(open);
    journal.record(open, items, 0);
    journal.record(open, items, 1);
    journal.record(open, items, 2);
    assert.equal(journal.abandon(node)?.items.keys.length, 2);
    journal.record(open, items, 3);
    const again = journal.abandon(node);
    assert.deepEqual(again?.items.keys, [batch.keys[3]]);
    assert.equal(again?.unlisted, 0);
  });
});

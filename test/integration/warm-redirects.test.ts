/**
 * The pipelined writer against a real cluster whose slots move under it: MOVED (slot reassigned
 * after the writer read the map) and ASK (slot being migrated), key by key from pipeline replies.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Redis } from 'ioredis';
import { openCache, type CacheConnection } from '../../src/adapters/redis/cache.js';
import { PipelinedWriter, type CacheLink } from '../../src/adapters/redis/pipelined-writer.js';
import { ClusterTopology } from '../../src/topology/cluster.js';
import type { Ticket, WriteBatch, WriteReport } from '../../src/core/warm/ports.js';
import { slotOf } from '../../src/topology/cluster.js';
import { startCluster, waitFor, type RedisCluster } from '../harness/redis.js';

function collectingReport() {
  const out = { written: 0, failed: [] as string[], nodes: new Map<string, number>() };
  const report: WriteReport = {
    written: (ticket, keys, _stale, node) => {
      out.written += keys;
      out.nodes.set(node, (out.nodes.get(node) ?? 0) + keys);
      ticket.remaining -= keys;
    },
    skipped: (ticket, keys) => void (ticket.remaining -= keys),
    failed: (ticket, key, reason) => {
      out.failed.push(`${key}: ${reason}`);
      ticket.remaining--;
    },
    retry: () => undefined,
    nodeError: () => undefined,
    verified: () => undefined,
  };
  return { out, report };
}

function batchOf(keys: string[]): WriteBatch {
  const ticket: Ticket = { entry: 'e', entryIndex: 0, position: keys.length, remaining: keys.length, sealed: true };
  return {
    keys,
    values: keys.map((k) => `v-${k}`),
    ttls: keys.map(() => 60_000),
    stale: keys.map(() => false),
    tickets: keys.map(() => ticket),
    format: 'string',
    onlyMissing: false,
  };
}

/** Keys that all hash to `slot` (via a hash tag found by search). */
function keysInSlot(slot: number, n: number): string[] {
  for (let t = 0; ; t++) {
    if (slotOf(`{t${t}}`) === slot) return Array.from({ length: n }, (_, i) => `{t${t}}:k${i}`);
  }
}

describe('writer redirects on a real 3-master cluster', () => {
  let cluster: RedisCluster;
  let clients: Redis[];
  let ids: string[];
  before(async () => {
    cluster = await startCluster(3);
    clients = cluster.masters.map((m) => m.client());
    ids = await Promise.all(clients.map((c) => c.call('CLUSTER', 'MYID') as Promise<string>));
  });
  after(async () => {
    await cluster?.stop();
  });

  const ownerIndex = (slot: number) => Math.min(2, Math.floor(slot / Math.floor(16384 / 3)));

  test('MOVED: a slot reassigned after the map was read is re-routed key by key to its new owner', async () => {
    const cache: CacheConnection = await openCache({ kind: 'cluster', seeds: [{ host: '127.0.0.1', port: cluster.masters[0]!.port }], auth: {} });
    const slot = 100;
    const from = ownerIndex(slot);
    const to = (from + 1) % 3;
    const moving = keysInSlot(slot, 20);
    const staying = Array.from({ length: 50 }, (_, i) => `stay:${i}`);
    try {
      // Reassign the (empty) slot; the writer still holds the old map.
      await Promise.all(clients.map((c) => c.call('CLUSTER', 'SETSLOT', String(slot), 'NODE', ids[to]!)));
      await waitFor(
        async () =>
          (await clients[from]!.call('CLUSTER', 'COUNTKEYSINSLOT', String(slot))) === 0 &&
          (await clients[from]!.set(moving[0]!, 'probe').then(
            () => false,
            (e: Error) => e.message.startsWith('MOVED'),
          )),
        'slot to move',
      );
      const { out, report } = collectingReport();
      const writer = new PipelinedWriter(cache, report, { pipelineSize: 100, inFlight: 2, retries: 3, retryBaseMs: 10, verify: 'none' });
      await writer.write(batchOf([...moving, ...staying]));
      await writer.drain();
      writer.close();
      assert.deepEqual(out.failed, []);
      assert.equal(out.written, 70);
      for (const key of moving) assert.equal(await clients[to]!.get(key), `v-${key}`, key);
      for (const key of staying) {
        const owner = clients[ownerIndex(slotOf(key))]!;
        assert.equal(await owner.get(key), `v-${key}`, key);
      }
    } finally {
      await cache.close();
    }
  });

  test('MOVED again and again while the slot map read back still lags: the keys are waited for, not failed, and land once it settles', async () => {
    const cache: CacheConnection = await openCache({ kind: 'cluster', seeds: [{ host: '127.0.0.1', port: cluster.masters[0]!.port }], auth: {} });
    // Every slot on master 0, as a map read during a failover or a resharding could say: the other
    // masters' keys get MOVED from master 0, and the first maps read back say the same.
    const stale = new ClusterTopology([{ start: 0, end: 16383, master: cache.topology.nodes[0]!, replicas: [] }]);
    let refreshes = 0;
    const lagging: CacheLink = {
      get topology() {
        return refreshes < 7 ? stale : cache.topology;
      },
      target: cache.target,
      clientFor: (node) => cache.clientFor(node),
      refreshTopology: async () => {
        refreshes++;
        return cache.refreshTopology();
      },
    };
    const keys = Array.from({ length: 60 }, (_, i) => `lag:${i}`);
    try {
      for (const key of keys) await clients[ownerIndex(slotOf(key))]!.del(key);
      const { out, report } = collectingReport();
      const writer = new PipelinedWriter(lagging, report, {
        pipelineSize: 100,
        inFlight: 2,
        retries: 3,
        retryBaseMs: 10,
        verify: 'none',
        failoverWaitMs: 30_000,
      });
      await writer.write(batchOf(keys));
      await writer.drain();
      writer.close();
      assert.deepEqual(out.failed, []);
      assert.equal(out.written, 60);
      assert.ok(refreshes >= 7, `${refreshes} slot-map reads`);
      for (const key of keys) assert.equal(await clients[ownerIndex(slotOf(key))]!.get(key), `v-${key}`, key);
    } finally {
      await cache.close();
    }
  });

  test('ASK: keys of a slot being migrated are written on the importing node with ASKING', async () => {
    const cache: CacheConnection = await openCache({ kind: 'cluster', seeds: [{ host: '127.0.0.1', port: cluster.masters[0]!.port }], auth: {} });
    const slot = 12000;
    const from = ownerIndex(slot);
    const to = (from + 1) % 3;
    const keys = keysInSlot(slot, 10);
    try {
      await clients[to]!.call('CLUSTER', 'SETSLOT', String(slot), 'IMPORTING', ids[from]!);
      await clients[from]!.call('CLUSTER', 'SETSLOT', String(slot), 'MIGRATING', ids[to]!);
      const { out, report } = collectingReport();
      const writer = new PipelinedWriter(cache, report, { pipelineSize: 100, inFlight: 2, retries: 3, retryBaseMs: 10, verify: 'none' });
      await writer.write(batchOf(keys));
      await writer.drain();
      writer.close();
      assert.deepEqual(out.failed, []);
      assert.equal(out.written, 10);
      // The keys are on the importing node (readable there with ASKING), not on the old owner.
      for (const key of keys) {
        assert.equal(await clients[from]!.exists(key).catch(() => 0), 0);
        const [, [, value]] = (await clients[to]!.pipeline().call('ASKING').get(key).exec()) as [unknown, [unknown, string]];
        assert.equal(value, `v-${key}`);
      }
    } finally {
      await Promise.all(clients.map((c) => c.call('CLUSTER', 'SETSLOT', String(slot), 'STABLE').catch(() => undefined)));
      await cache.close();
    }
  });
});

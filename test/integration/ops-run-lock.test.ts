import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { singleTarget } from '../../src/config/target.js';
import { openCache, type CacheConnection } from '../../src/adapters/redis/cache.js';
import { acquireRunLock, type LockEvent } from '../../src/adapters/redis/run-lock.js';
import { IncompleteError, LockedError } from '../../src/errors.js';
import { slotOf } from '../../src/topology/cluster.js';
import { startCluster, startRedis, waitFor, type RedisCluster, type RedisProcess } from '../harness/redis.js';
import { makeOutOfMemory, migrateSlots } from '../harness/faults.js';

describe('run lock on real Redis', () => {
  let single: RedisProcess;
  let cluster: RedisCluster;
  let cache: CacheConnection;
  before(async () => {
    [single, cluster] = await Promise.all([startRedis(), startCluster(3)]);
    cache = await openCache(singleTarget(`redis://127.0.0.1:${single.port}`));
  });
  after(async () => {
    await cache?.close();
    await Promise.all([single?.stop(), cluster?.stop()]);
  });

  test('a second run is refused with exit 75 and one line naming the holder; release is owner-only', async () => {
    const key = 'lock:cachectl:warm:catalog';
    const first = await acquireRunLock(cache, {
      key,
      warmlist: 'catalog',
      ttlMs: 30_000,
      holder: { host: 'cron-a', pid: 101, startedAt: '2026-11-26T05:00:00.000Z' },
    });
    const redis = single.client();
    assert.equal(await redis.get(key), first.token);
    const pttl = await redis.pttl(key);
    assert.ok(pttl > 25_000 && pttl <= 30_000, `lock has its TTL (${pttl})`);
    await assert.rejects(
      acquireRunLock(cache, { key, warmlist: 'catalog', ttlMs: 30_000 }),
      (e: unknown) =>
        e instanceof LockedError &&
        e.exitCode === 75 &&
        !e.message.includes('\n') &&
        /locked by cron-a pid 101 since 2026-11-26T05:00:00.000Z \(key lock:cachectl:warm:catalog on 127.0.0.1:\d+, expires in \d+s/.test(e.message),
    );
    // Someone else's value under the key (the lock expired and another run took it): release must not delete it.
    await redis.set(key, 'host=other pid=7 started=x id=y', 'PX', 30_000);
    assert.equal(await first.release(), false);
    assert.equal(await redis.get(key), 'host=other pid=7 started=x id=y');
    await redis.del(key);
    const second = await acquireRunLock(cache, { key, warmlist: 'catalog', ttlMs: 30_000 });
    assert.equal(await second.release(), true);
    assert.equal(await redis.exists(key), 0);
  });

  test('the lock is renewed while the run goes, so it outlives its TTL', async () => {
    const key = 'lock:cachectl:warm:renewed';
    const events: LockEvent[] = [];
    const lock = await acquireRunLock(cache, { key, warmlist: 'renewed', ttlMs: 600, onEvent: (e) => events.push(e) });
    const redis = single.client();
    try {
      // Two full TTLs later the key must still be there with our token: only renewals explain it.
      const t0 = Date.now();
      await waitFor(async () => Date.now() - t0 > 1300 && (await redis.get(key)) === lock.token, 'the lock to survive two TTLs');
      assert.equal(lock.lost, false);
    } finally {
      await lock.release();
    }
    assert.equal(await redis.exists(key), 0);
    assert.deepEqual(
      events.map((e) => e.action),
      ['acquired', 'released'],
    );
  });

  test('--wait-lock waits for the holder to release, and gives up after its budget', async () => {
    const key = 'lock:cachectl:warm:waiting';
    const holder = await acquireRunLock(cache, { key, warmlist: 'waiting', ttlMs: 30_000 });
    const events: LockEvent[] = [];
    const waiter = acquireRunLock(cache, { key, warmlist: 'waiting', ttlMs: 30_000, waitMs: 10_000, onEvent: (e) => events.push(e) });
    await waitFor(async () => events.some((e) => e.action === 'waiting'), 'the second run to start waiting');
    await holder.release();
    const second = await waiter;
    assert.equal(await single.client().get(key), second.token);
    await assert.rejects(
      acquireRunLock(cache, { key, warmlist: 'waiting', ttlMs: 30_000, waitMs: 300 }),
      (e: unknown) => e instanceof LockedError && /after waiting \d+s/.test(e.message),
    );
    await second.release();
  });

  test('on a cluster the lock lives on the node owning its slot, and follows the slot when it moves', async () => {
    const cc = await openCache({ kind: 'cluster', seeds: [{ host: '127.0.0.1', port: cluster.masters[0]!.port }], auth: {} });
    try {
      const key = 'lock:cachectl:warm:cluster';
      const lock = await acquireRunLock(cc, { key, warmlist: 'cluster', ttlMs: 900 });
      const slot = slotOf(key);
      const ownerIndex = cluster.masters.findIndex((m) => m.address === lock.node.address);
      assert.ok(ownerIndex >= 0);
      assert.equal(await cluster.masters[ownerIndex]!.client().get(key), lock.token);
      const to = (ownerIndex + 1) % 3;
      await migrateSlots(cluster, [slot], ownerIndex, to);
      // The next renewal meets MOVED, follows it, and keeps the lock alive on the new owner.
      await waitFor(async () => lock.node.address === cluster.masters[to]!.address, 'the renewal to follow MOVED');
      const t0 = Date.now();
      await waitFor(
        async () => Date.now() - t0 > 1000 && (await cluster.masters[to]!.client().get(key)) === lock.token,
        'the lock to live past its TTL on the new owner',
      );
      assert.equal(lock.lost, false);
      assert.equal(await lock.release(), true);
      assert.equal(await cluster.masters[to]!.client().exists(key), 0);
    } finally {
      await cc.close();
    }
  });

  test('a node refusing writes (OOM) gives a clear exit-1 error that says nothing was written', async () => {
    const oom = await startRedis();
    const c = await openCache(singleTarget(`redis://127.0.0.1:${oom.port}`));
    try {
      await makeOutOfMemory(oom);
      await assert.rejects(
        acquireRunLock(c, { key: 'lock:x', warmlist: 'x', ttlMs: 1000 }),
        (e: unknown) =>
          e instanceof IncompleteError && e.exitCode === 1 && /cannot take the run lock: 127.0.0.1:\d+ refused it: OOM .*nothing was written/.test(e.message),
      );
    } finally {
      await c.close();
      await oom.stop();
    }
  });
});

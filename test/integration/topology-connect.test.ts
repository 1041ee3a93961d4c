import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { singleTarget } from '../../src/config/target.js';
import { openCache } from '../../src/adapters/redis/cache.js';
import { slotOf } from '../../src/topology/cluster.js';
import { startCluster, startRedis, type RedisCluster, type RedisProcess } from '../harness/redis.js';
import { ConnectionError } from '../../src/errors.js';

describe('connecting to real topologies', () => {
  let cluster: RedisCluster;
  let single: RedisProcess;
  before(async () => {
    [cluster, single] = await Promise.all([startCluster(3), startRedis()]);
  });
  after(async () => {
    await Promise.all([cluster?.stop(), single?.stop()]);
  });

  test('a cluster topology comes from the cluster and agrees with the server on every slot owner', async () => {
    const cache = await openCache({ kind: 'cluster', seeds: [{ host: '127.0.0.1', port: cluster.masters[1]!.port }], auth: {} });
    try {
      assert.equal(cache.topology.kind, 'cluster');
      assert.equal(cache.topology.nodes.length, 3);
      for (const key of ['a', 'product:1', 'user:{acme}:7', '{x}y']) {
        const owner = cache.topology.nodes[cache.topology.nodeIndexOf(key)]!;
        const keyslot = Number(await cache.client(0).call('CLUSTER', 'KEYSLOT', key));
        assert.equal(slotOf(key), keyslot);
        // The owner accepts a write for the key without a MOVED redirect.
        assert.equal(await cache.clientFor(owner).set(key, 'v'), 'OK');
      }
    } finally {
      await cache.close();
    }
  });

  test('every key hashes to the slot CLUSTER KEYSLOT names: hash tags, empty tags, non-ASCII', async () => {
    const client = cluster.masters[0]!.client();
    const keys = ['foo{}{bar}', 'a{}b{c}', '{}', '{', '}{x}', '{a{b}c}', 'ü', 'user:{ü€😀}:1', '😀{tag}€', 'x'.repeat(2000), '\u0000{\u007f}'];
    for (let i = 0; i < 300; i++) keys.push(`product:${i * 7919}`, `k{${i % 17}}:${i}`, `é${i}{}{${i}}`);
    const replies = (await Promise.all(keys.map((key) => client.call('CLUSTER', 'KEYSLOT', key)))) as number[];
    keys.forEach((key, i) => assert.equal(slotOf(key), Number(replies[i]), JSON.stringify(key)));
  });

  test('a standalone node given as --cluster is exit 3 with a line that says what to do', async () => {
    await assert.rejects(
      openCache({ kind: 'cluster', seeds: [{ host: '127.0.0.1', port: single.port }], auth: {} }),
      (e: unknown) => e instanceof ConnectionError && e.exitCode === 3 && /not in cluster mode/.test(e.message),
    );
  });

  test('a wrong password is exit 3 and the password is not printed', async () => {
    const guarded = await startRedis({ args: ['--requirepass', 'right-one'] });
    try {
      await assert.rejects(
        openCache(singleTarget(`redis://:wrong-one@127.0.0.1:${guarded.port}`)),
        (e: unknown) => e instanceof ConnectionError && /authentication failed/.test(e.message) && !/wrong-one|right-one/.test(e.message),
      );
    } finally {
      await guarded.stop();
    }
  });
});

/** The fault harness itself: each breakage is real and observable before tests rely on it. */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { startCluster, startRedis, type RedisCluster } from '../harness/redis.js';
import { beginSlotMigration, killMasterAndAwaitFailover, makeOutOfMemory, startReadOnlyReplica } from '../harness/faults.js';
import { startPostgresServer, type PostgresServer } from '../harness/pg-server.js';
import { slotOf } from '../../src/topology/cluster.js';

describe('fault harness: Redis', () => {
  let cluster: RedisCluster;
  before(async () => {
    cluster = await startCluster(3, 1);
  });
  after(async () => cluster?.stop());

  test('a slot being migrated answers ASK, then MOVED once the move is final', async () => {
    const key = 'product:{harness}:1';
    const slot = slotOf(key);
    // startCluster(3) splits the slots evenly: 0-5460, 5461-10921, 10922-16383.
    const from = Math.min(2, Math.floor(slot / 5461));
    const to = (from + 1) % 3;
    const src = cluster.masters[from]!.client();
    await src.set(key, 'v');
    const migration = await beginSlotMigration(cluster, [slot], from, to);
    assert.equal(await migration.moveKeys(), 1);
    await assert.rejects(src.get(key), /^ReplyError: ASK \d+ 127.0.0.1:\d+/);
    await migration.finish();
    await assert.rejects(src.get(key), new RegExp(`MOVED ${slot} 127.0.0.1:${cluster.masters[to]!.port}`));
    assert.equal(await cluster.masters[to]!.client().get(key), 'v');
  });

  test('killing a master promotes its replica', async () => {
    const promoted = await killMasterAndAwaitFailover(cluster, 2);
    const role = (await promoted.client().call('ROLE')) as string[];
    assert.equal(role[0], 'master');
  });

  test('OOM under noeviction and a read-only replica refuse writes', async () => {
    const node = await startRedis();
    const replica = await startReadOnlyReplica(node);
    try {
      await assert.rejects(replica.client().set('k', 'v'), /READONLY/);
      const restore = await makeOutOfMemory(node);
      await assert.rejects(node.client().set('k', 'v'), /^ReplyError: OOM/);
      await restore();
      assert.equal(await node.client().set('k', 'v'), 'OK');
    } finally {
      await replica.stop();
      await node.stop();
    }
  });
});

describe('fault harness: our own PostgreSQL', () => {
  let server: PostgresServer;
  before(async () => {
    server = await startPostgresServer();
  });
  after(async () => server?.destroy());

  test('a restart terminates open sessions (admin shutdown) and the server comes back on the same port', async () => {
    const client = new pg.Client({ connectionString: server.url });
    const errors: Error[] = [];
    client.on('error', (e) => errors.push(e));
    await client.connect();
    assert.equal((await client.query('SELECT 1 AS one')).rows[0].one, 1);
    await server.restart();
    await assert.rejects(client.query('SELECT 1'));
    await client.end().catch(() => undefined);
    assert.ok(
      errors.some((e) => /terminating connection due to administrator command|Connection terminated/.test(e.message)),
      errors.map((e) => e.message).join('; '),
    );
    assert.equal((await server.pool.query('SELECT 2 AS two')).rows[0].two, 2);
    assert.notEqual(server.port, 5432);
  });
});

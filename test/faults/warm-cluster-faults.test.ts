/**
 * A Redis Cluster breaking under a running warm: a master killed (its replica takes over) and
 * slots resharded (MIGRATE, ASK, MOVED). The final state is checked key by key.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import type { Redis } from 'ioredis';
import { runCli } from '../harness/cli.js';
import { createTestDatabase, seedCatalogue, type TestDatabase } from '../harness/postgres.js';
import { startCluster, startRedis, waitFor, type RedisCluster, type RedisProcess } from '../harness/redis.js';
import { beginSlotMigration, killMasterAndAwaitFailover } from '../harness/faults.js';
import { PRODUCT_FETCH, productJson, tempDir, writeKeyList } from '../harness/warm-helpers.js';
import { slotOf } from '../../src/topology/cluster.js';
import { assertNothingLostSilently, clusterOwners, failedKeys } from './fault-checks.js';

const N = 6000;
const ids = Array.from({ length: N }, (_, i) => i + 1);

async function totalKeys(nodes: Redis[]): Promise<number> {
  const sizes = await Promise.all(nodes.map((n) => n.dbsize().catch(() => 0)));
  return sizes.reduce((a, b) => a + b, 0);
}

describe('warm through cluster faults', () => {
  let db: TestDatabase;
  let dir: string;
  let keysFile: string;
  let expected: Map<string, string>;
  before(async () => {
    db = await createTestDatabase('ops_faults_cluster');
    await seedCatalogue(db.pool, N);
    dir = tempDir();
    keysFile = writeKeyList(
      dir,
      'hot.txt',
      ids.map((id) => `product:${id}`),
    );
    expected = await productJson(db.pool, ids);
  });
  after(async () => db?.drop());

  test('a master is SIGKILLed mid-warm (3+3, cluster-node-timeout 5s, default flags): the warm waits for its replica and finishes, exit 0', async () => {
    // Production-like timings: the replica is promoted only after the node timeout and an election.
    const cluster: RedisCluster = await startCluster(3, 1, { args: ['--cluster-node-timeout', '5000'] });
    try {
      const masters = cluster.masters.map((m) => m.client());
      const failed = join(dir, 'failover-failed.txt');
      // Seeds include a replica, so the run can re-read the slot map whichever master dies.
      const seeds = [...cluster.masters, ...cluster.replicas].map((n) => n.address).join(',');
      const run = runCli([
        'warm',
        '--keys',
        keysFile,
        '--pattern',
        'product:{id}',
        '--fetch',
        PRODUCT_FETCH,
        '--ttl',
        '1h',
        '--cluster',
        seeds,
        '--pg',
        db.url,
        '--json',
        '--rate',
        '1500',
        '--failed-keys',
        failed,
        '--verify',
        '--log-format',
        'json',
      ]);
      await waitFor(async () => (await totalKeys(masters)) > N / 5, 'the warm to be under way');
      const promoted = await killMasterAndAwaitFailover(cluster, 1);
      const r = await run;
      assert.equal(r.code, 0, `exit ${r.code}: ${r.stderr.slice(-2000)}`);
      const summary = JSON.parse(r.stdout);
      assert.equal(summary.failed, 0);
      assert.equal(summary.notAttempted, 0);
      assert.equal(summary.written, N);
      assert.equal(summary.verify.missing + summary.verify.unverified + summary.verify.noTtl, 0, JSON.stringify(summary.verify));
      // Keys count as written only once a replica acknowledged them (WAIT), so the failover
      // cannot drop a write the report calls done.
      assert.match(await masters[0]!.info('commandstats'), /cmdstat_wait:calls=[1-9]/, 'pipelines end with WAIT on a master with a replica');
      // The wait was announced: which node, which slots.
      const events = r.stderr
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l));
      const waiting = events.find((e) => e.event === 'failover' && e.state === 'waiting' && e.node === cluster.masters[1]!.address);
      assert.ok(waiting, `a failover event names the dead master: ${r.stderr.slice(-1500)}`);
      assert.equal(waiting.slots, '5461-10921');
      const owners = await clusterOwners(promoted.port);
      try {
        assert.equal(await assertNothingLostSilently(expected, failedKeys(failed), owners.ownerOf, owners.masters), 0);
      } finally {
        owners.close();
      }
    } finally {
      await cluster.stop();
    }
  });

  test('a master without replica is SIGKILLed and stays dead: after --failover-wait exactly its keys fail with the reason, all others are written, exit 1', async () => {
    // cluster-require-full-coverage no: the other masters go on serving their slots (with the
    // default yes the whole cluster refuses writes while a slot is unserved, and every key waits).
    const cluster: RedisCluster = await startCluster(3, 0, { args: ['--cluster-node-timeout', '5000', '--cluster-require-full-coverage', 'no'] });
    try {
      const masters = cluster.masters.map((m) => m.client());
      const failed = join(dir, 'dead-master-failed.txt');
      const dead = cluster.masters[1]!;
      const run = runCli([
        'warm',
        '--keys',
        keysFile,
        '--pattern',
        'product:{id}',
        '--fetch',
        PRODUCT_FETCH,
        '--ttl',
        '1h',
        '--cluster',
        cluster.seeds,
        '--pg',
        db.url,
        '--json',
        '--rate',
        '1500',
        '--failed-keys',
        failed,
      ]);
      await waitFor(async () => (await totalKeys(masters)) > N / 5, 'the warm to be under way');
      await dead.kill();
      const r = await run;
      assert.equal(r.code, 1, r.stderr.slice(-2000));
      const summary = JSON.parse(r.stdout);
      const onDead = [...expected.keys()].filter((k) => slotOf(k) >= 5461 && slotOf(k) <= 10921);
      const listed = failedKeys(failed);
      assert.deepEqual([...listed.keys()].sort(), onDead.sort(), "exactly the dead master's keys are listed");
      for (const reason of listed.values())
        assert.match(reason, /# failed: slots 5461-10921: master 127\.0\.0\.1:\d+ down and no replica took over within 15\.0s/);
      // Its keys written before the kill are gone with it: listed all the same (the run cannot know they survive).
      assert.equal(summary.failed, onDead.length);
      assert.equal(summary.notAttempted, 0);
      assert.equal(summary.written + summary.failed, N, JSON.stringify(summary));
      assert.equal(summary.stopped, undefined, 'a dead node does not spend --max-errors');
      const live = [masters[0]!, masters[2]!];
      for (const [key, value] of expected) {
        if (listed.has(key)) continue;
        const owner = slotOf(key) <= 5460 ? live[0]! : live[1]!;
        assert.equal(await owner.get(key), value, `${key} is on its master`);
        assert.ok((await owner.pttl(key)) > 0, `${key} has a TTL`);
      }
    } finally {
      await cluster.stop();
    }
  });

  test('a master without replica restarts empty mid-warm (default flags): its new run_id is noticed, the keys it lost are written again, exit 0', async () => {
    const cluster: RedisCluster = await startCluster(3, 0);
    let restarted: RedisProcess | undefined;
    try {
      const masters = cluster.masters.map((m) => m.client());
      const failed = join(dir, 'cluster-restart-failed.txt');
      const dead = cluster.masters[1]!;
      const run = runCli([
        'warm',
        '--keys',
        keysFile,
        '--pattern',
        'product:{id}',
        '--fetch',
        PRODUCT_FETCH,
        '--ttl',
        '1h',
        '--cluster',
        cluster.seeds,
        '--pg',
        db.url,
        '--json',
        '--rate',
        '1500',
        '--verify',
        '--failed-keys',
        failed,
      ]);
      await waitFor(async () => (await dead.client().dbsize()) > N / 15, "the warm to have written to master 1's slots");
      await dead.kill();
      // The same port and folder (its nodes.conf: the same node id and slots), no data: a crash without persistence.
      rmSync(join(dead.dir, 'dump.rdb'), { force: true });
      restarted = await startRedis({ port: dead.port, dir: dead.dir, cluster: true });
      const r = await run;
      assert.equal(r.code, 0, `exit ${r.code}: ${r.stderr.slice(-2000)}`);
      const summary = JSON.parse(r.stdout);
      assert.equal(summary.written, N);
      assert.equal(summary.failed + summary.notAttempted, 0, JSON.stringify(summary));
      assert.ok(summary.rewritten > 0, `the keys the restart lost were written again: ${JSON.stringify(summary)}`);
      assert.equal(summary.verify.missing + summary.verify.unverified, 0, JSON.stringify(summary.verify));
      assert.equal(failedKeys(failed).size, 0);
      const live = [masters[0]!, restarted.client(), masters[2]!];
      for (const [key, value] of expected) {
        const slot = slotOf(key);
        const owner = slot <= 5460 ? live[0]! : slot <= 10921 ? live[1]! : live[2]!;
        assert.equal(await owner.get(key), value, `${key} is on its master`);
        assert.ok((await owner.pttl(key)) > 0, `${key} has a TTL`);
      }
    } finally {
      await restarted?.stop();
      await cluster.stop();
    }
  });

  test('slots move between masters mid-warm (ASK while migrating, MOVED after): every key ends on its slot owner', async () => {
    const cluster = await startCluster(3);
    try {
      const masters = cluster.masters.map((m) => m.client());
      // The key list comes through stdin in thirds, so each third meets the cluster in a known
      // state: the first before, the second during (ASK) and the last after the move (MOVED: the
      // run's slot map is stale until a MOVED refreshes it). Timing the move against a running
      // warm instead left it to chance whether any key was written after the move.
      const keys = ids.map((id) => `product:${id}`);
      const third = N / 3;
      const [early, middle, late] = [keys.slice(0, third), keys.slice(third, 2 * third), keys.slice(2 * third)];
      // Master 0 owns slots 0..5460; slots of the second and the last third move to master 2.
      const ownSlots = (part: string[]) => [...new Set(part.map((k) => slotOf(k)).filter((s) => s <= 5460))].slice(0, 200);
      const slots = [...new Set([...ownSlots(middle), ...ownSlots(late)])];
      const failed = join(dir, 'migrate-failed.txt');
      const stdin = new PassThrough();
      const run = runCli(
        [
          'warm',
          '--keys',
          '-',
          '--pattern',
          'product:{id}',
          '--fetch',
          PRODUCT_FETCH,
          '--ttl',
          '1h',
          '--cluster',
          cluster.seeds,
          '--pg',
          db.url,
          '--json',
          '--batch-size',
          '100',
          '--failed-keys',
          failed,
        ],
        { stdin },
      );
      stdin.write(early.join('\n') + '\n');
      await waitFor(async () => (await totalKeys(masters)) >= early.length, 'the first third to be written');
      const migration = await beginSlotMigration(cluster, slots, 0, 2);
      stdin.write(middle.join('\n') + '\n');
      await waitFor(async () => (await totalKeys(masters)) >= early.length + middle.length, 'the second third to be written');
      // New keys of a migrating slot are refused by the source with ASK and written to the target after ASKING.
      assert.match(await masters[2]!.info('commandstats'), /cmdstat_asking:calls=[1-9]/, 'writes followed ASK while the slots migrated');
      await migration.moveKeys();
      await migration.finish();
      stdin.end(late.join('\n') + '\n');
      const r = await run;
      assert.equal(r.code, 0, r.stderr);
      const summary = JSON.parse(r.stdout);
      assert.equal(summary.written, N);
      assert.equal(summary.failed, 0);
      assert.match(await masters[0]!.info('errorstats'), /errorstat_MOVED:count=[1-9]/, 'the run met MOVED after the move');
      const owners = await clusterOwners(cluster.masters[0]!.port);
      try {
        assert.equal(await assertNothingLostSilently(expected, failedKeys(failed), owners.ownerOf, owners.masters), 0);
      } finally {
        owners.close();
      }
      for (const key of [...expected.keys()].filter((k) => slots.includes(slotOf(k)))) {
        assert.equal(await masters[2]!.get(key), expected.get(key), `${key} moved with its slot`);
      }
    } finally {
      await cluster.stop();
    }
  });
});

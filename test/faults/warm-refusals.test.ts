/**
 * Redis refusing writes: a master out of memory under noeviction, a read-only replica. Refused
 * keys are counted, listed with Redis's reason and the run exits 1; the lock itself is refused
 * with one clear line when its node is the one refusing.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { runCli } from '../harness/cli.js';
import { createTestDatabase, seedCatalogue, type TestDatabase } from '../harness/postgres.js';
import { startCluster, startRedis, type RedisCluster, type RedisProcess } from '../harness/redis.js';
import { makeOutOfMemory, startReadOnlyReplica } from '../harness/faults.js';
import { PRODUCT_FETCH, productJson, tempDir, writeKeyList } from '../harness/warm-helpers.js';
import { slotOf } from '../../src/topology/cluster.js';
import { runLockKey } from '../../src/core/run/lock.js';
import { DEFAULTS } from '../../src/config/defaults.js';
import { assertNothingLostSilently, clusterOwners, failedKeys } from './fault-checks.js';

const N = 1500;
const ids = Array.from({ length: N }, (_, i) => i + 1);

describe('warm into a Redis that refuses writes', () => {
  let db: TestDatabase;
  let dir: string;
  let keysFile: string;
  let expected: Map<string, string>;
  before(async () => {
    db = await createTestDatabase('ops_refusals');
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

  const warm = (target: string[], ...extra: string[]) =>
    runCli([
      'warm',
      '--keys',
      keysFile,
      '--pattern',
      'product:{id}',
      '--fetch',
      PRODUCT_FETCH,
      '--ttl',
      '1h',
      '--pg',
      db.url,
      '--json',
      '--lock-name',
      'hot',
      ...target,
      ...extra,
    ]);

  test('one cluster master out of memory: its keys are refused and listed, the error budget stops the run, every key accounted for; exit 1', async () => {
    const cluster: RedisCluster = await startCluster(3);
    try {
      // Break a master that does not hold the run lock, so the run gets to its writes.
      const lockSlot = slotOf(runLockKey(DEFAULTS.operations.lockPrefix, 'hot'));
      const lockOwner = Math.min(2, Math.floor(lockSlot / 5461));
      const broken = (lockOwner + 1) % 3;
      await makeOutOfMemory(cluster.masters[broken]!);
      const failed = join(dir, 'oom-failed.txt');
      const r = await warm(['--cluster', cluster.seeds], '--failed-keys', failed);
      assert.equal(r.code, 1, r.stderr);
      const summary = JSON.parse(r.stdout);
      const listed = failedKeys(failed);
      const onBroken = new Set(ids.map((id) => `product:${id}`).filter((k) => Math.min(2, Math.floor(slotOf(k) / 5461)) === broken));
      // A refused write is a real failure: the default budget (100) stops the run; what it did not get to is listed too.
      assert.equal(summary.stopped?.reason, 'errors');
      assert.ok(summary.failed > 100);
      assert.equal(summary.written + summary.failed + summary.notAttempted, N);
      for (const [key, reason] of listed) {
        if (reason.includes('# failed:')) {
          assert.ok(onBroken.has(key), `${key} failed but is not on the broken master`);
          assert.match(reason, /# failed: OOM command not allowed/);
        } else assert.match(reason, /# notAttempted: not attempted: stopped by --max-errors/);
      }
      assert.equal(listed.size, summary.failed + summary.notAttempted);
      const owners = await clusterOwners(cluster.masters[lockOwner]!.port);
      try {
        assert.equal(await assertNothingLostSilently(expected, listed, owners.ownerOf, owners.masters), listed.size);
      } finally {
        owners.close();
      }
    } finally {
      await cluster.stop();
    }
  });

  test('a single node out of memory refuses the run lock in one line (exit 1); with --no-lock every key is listed', async () => {
    const node: RedisProcess = await startRedis();
    try {
      await makeOutOfMemory(node);
      const locked = await warm(['--redis', `redis://127.0.0.1:${node.port}`]);
      assert.equal(locked.code, 1, locked.stderr);
      // The line naming the topology it connected to, then the refusal in one line.
      assert.match(
        locked.stderr,
        /^cachectl: topology: Redis node 127\.0\.0\.1:\d+ \(from --redis\)[^\n]*\ncachectl: cannot take the run lock: 127.0.0.1:\d+ refused it: OOM command not allowed .*; nothing was written\n$/,
      );
      const failed = join(dir, 'oom-single-failed.txt');
      const r = await warm(['--redis', `redis://127.0.0.1:${node.port}`], '--no-lock', '--failed-keys', failed);
      assert.equal(r.code, 1, r.stderr);
      const summary = JSON.parse(r.stdout);
      assert.ok(summary.failed > 100, 'refused writes spend the error budget');
      assert.equal(summary.failed + summary.notAttempted, N);
      assert.equal(failedKeys(failed).size, N, 'every key is listed: failed, or not attempted after the stop');
      assert.equal(await node.client().dbsize(), 0);
    } finally {
      await node.stop();
    }
  });

  test('a read-only replica given as the target: READONLY for the lock, and for every key with --no-lock', async () => {
    const master = await startRedis();
    const replica = await startReadOnlyReplica(master);
    try {
      const locked = await warm(['--redis', `redis://127.0.0.1:${replica.port}`]);
      assert.equal(locked.code, 1, locked.stderr);
      assert.match(locked.stderr, /cannot take the run lock: 127.0.0.1:\d+ refused it: READONLY/);
      const failed = join(dir, 'readonly-failed.txt');
      const r = await warm(['--redis', `redis://127.0.0.1:${replica.port}`], '--no-lock', '--failed-keys', failed);
      assert.equal(r.code, 1, r.stderr);
      const summary = JSON.parse(r.stdout);
      assert.equal(summary.failed + summary.notAttempted, N);
      const listed = failedKeys(failed);
      assert.equal(listed.size, N);
      for (const reason of listed.values()) assert.match(reason, /# (failed: READONLY|notAttempted: not attempted: stopped by --max-errors)/);
      assert.equal(await master.client().dbsize(), 0, 'nothing reached the master behind the replica');
    } finally {
      await replica.stop();
      await master.stop();
    }
  });
});

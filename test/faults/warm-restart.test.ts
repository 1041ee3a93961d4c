/**
 * A standalone Redis (--redis) restarted under a running warm, with default flags: the warm
 * holds the node's keys until it answers again, then finishes. A restart without persistence
 * loses what the node had acknowledged: the new run_id gives it away and those keys are written
 * again, during the run or, with --verify, after the last write. Checked key by key.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import type { Redis } from 'ioredis';
import { runCli } from '../harness/cli.js';
import { createTestDatabase, seedCatalogue, type TestDatabase } from '../harness/postgres.js';
import { startRedis, waitFor, type RedisProcess } from '../harness/redis.js';
import { PRODUCT_FETCH, productJson, tempDir, writeKeyList } from '../harness/warm-helpers.js';
import { failedKeys } from './fault-checks.js';

const N = 6000;
const ids = Array.from({ length: N }, (_, i) => i + 1);

async function everyKeyPresent(client: Redis, expected: Map<string, string>): Promise<void> {
  for (const [key, value] of expected) {
    assert.equal(await client.get(key), value, `${key} is in Redis`);
    assert.ok((await client.pttl(key)) > 0, `${key} has a TTL`);
  }
}

describe('warm through a standalone Redis restart', () => {
  let db: TestDatabase;
  let dir: string;
  let keysFile: string;
  let expected: Map<string, string>;
  before(async () => {
    db = await createTestDatabase('ops_faults_restart');
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

  const args = (redis: RedisProcess, failed: string, ...more: string[]) => [
    'warm',
    '--keys',
    keysFile,
    '--pattern',
    'product:{id}',
    '--fetch',
    PRODUCT_FETCH,
    '--ttl',
    '1h',
    '--redis',
    `redis://${redis.address}`,
    '--pg',
    db.url,
    '--json',
    '--failed-keys',
    failed,
    ...more,
  ];

  test('restarted with its data (AOF) mid-warm: the warm waits, reconnects and finishes, exit 0, every key present', async () => {
    const data = mkdtempSync(join(tmpdir(), 'cachectl-restart-aof-'));
    const persistent = ['--appendonly', 'yes', '--appendfsync', 'always'];
    let redis = await startRedis({ dir: data, args: persistent });
    try {
      const failed = join(dir, 'restart-aof-failed.txt');
      const run = runCli(args(redis, failed, '--rate', '1500'));
      const probe = redis.client();
      await waitFor(async () => (await probe.dbsize()) > N / 5, 'the warm to be under way');
      await redis.kill();
      redis = await startRedis({ port: redis.port, dir: data, args: persistent });
      const r = await run;
      assert.equal(r.code, 0, `${r.stderr.slice(-2000)}\n${r.stdout.slice(-2000)}`);
      const summary = JSON.parse(r.stdout);
      assert.equal(summary.written, N);
      assert.equal(summary.failed + summary.notAttempted, 0);
      assert.equal(failedKeys(failed).size, 0);
      await everyKeyPresent(redis.client(), expected);
    } finally {
      await redis.stop();
    }
  });

  test('restarted empty (no persistence) mid-warm: the new run_id is noticed and the lost keys are written again, exit 0', async () => {
    let redis = await startRedis();
    try {
      const failed = join(dir, 'restart-empty-failed.txt');
      const run = runCli(args(redis, failed, '--rate', '1500'));
      const probe = redis.client();
      await waitFor(async () => (await probe.dbsize()) > N / 5, 'the warm to be under way');
      await redis.kill();
      redis = await startRedis({ port: redis.port });
      const r = await run;
      assert.equal(r.code, 0, `${r.stderr.slice(-2000)}\n${r.stdout.slice(-2000)}`);
      const summary = JSON.parse(r.stdout);
      assert.equal(summary.written, N);
      // Keys the node had acknowledged (at least one pipeline) were written again; the rest waited for it.
      assert.ok(summary.rewritten > 0, `keys the restart lost were written again: ${JSON.stringify(summary)}`);
      assert.equal(summary.failed + summary.notAttempted, 0);
      await everyKeyPresent(redis.client(), expected);
    } finally {
      await redis.stop();
    }
  });

  test('--verify: a restart after the last write is caught at the end (not by the read-back right after each write)', async () => {
    let redis = await startRedis();
    try {
      const failed = join(dir, 'restart-verify-failed.txt');
      const stdin = new PassThrough();
      const keys = [...expected.keys()];
      const run = runCli(['warm', '--keys', '-', ...args(redis, failed, '--verify').slice(3)], { stdin });
      stdin.write(keys.join('\n') + '\n');
      const probe = redis.client();
      // Every key written (the last read-backs may still be on their way, and may then find the
      // restarted node empty: they are read again after the last write); the run waits for the end of its input.
      await waitFor(async () => (await probe.keys('product:*')).length === N, 'every key to be written');
      await redis.kill();
      redis = await startRedis({ port: redis.port });
      stdin.end();
      const r = await run;
      assert.equal(r.code, 0, `${r.stderr.slice(-2000)}\n${r.stdout.slice(-2000)}`);
      const summary = JSON.parse(r.stdout);
      assert.equal(summary.rewritten, N, JSON.stringify(summary));
      assert.equal(summary.written, N);
      assert.equal(summary.verify.missing + summary.verify.unverified, 0);
      await everyKeyPresent(redis.client(), expected);
    } finally {
      await redis.stop();
    }
  });
});

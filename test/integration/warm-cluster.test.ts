import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Redis } from 'ioredis';
import { slotOf } from '../../src/topology/cluster.js';
import { runCli } from '../harness/cli.js';
import { createTestDatabase, seedCatalogue, type TestDatabase } from '../harness/postgres.js';
import { startCluster, startRedis, type RedisCluster, type RedisProcess } from '../harness/redis.js';
import { assertKeysOnOwners, PRODUCT_FETCH, productJson, tempDir, writeKeyList } from '../harness/warm-helpers.js';

const HOUR = 3_600_000;

describe('warm into a real 3-master cluster and a single node from a real PostgreSQL', () => {
  let db: TestDatabase;
  let cluster: RedisCluster;
  let single: RedisProcess;
  let masters: Redis[];
  let slotOwner: (slot: number) => Redis;
  let dir: string;

  before(async () => {
    [db, cluster, single] = await Promise.all([createTestDatabase('warm_cluster'), startCluster(3), startRedis()]);
    await seedCatalogue(db.pool, 2000);
    masters = cluster.masters.map((m) => m.client());
    const slots = (await masters[0]!.call('CLUSTER', 'SLOTS')) as [number, number, [string, number]][];
    const byPort = new Map(cluster.masters.map((m, i) => [m.port, masters[i]!]));
    slotOwner = (slot) => byPort.get(Number(slots.find(([s, e]) => slot >= s && slot <= e)![2][1]))!;
    dir = tempDir();
  });
  after(async () => {
    await Promise.all([cluster?.stop(), single?.stop(), db?.drop()]);
  });

  const onCluster = (key: string) => slotOwner(slotOf(key));

  test('a key list: every key on its owning master with its value and a jittered TTL; bad keys isolated and listed', async () => {
    const ids = Array.from({ length: 1500 }, (_, i) => i + 1);
    const file = writeKeyList(dir, 'hot.txt', [
      '\uFEFF# hot products',
      ...ids.slice(0, 10).map((id) => `product:${id}\r`),
      '',
      ...ids.slice(10).map((id) => `product:${id}`),
      'product:999999',
      'product:12abc',
      'order:5',
    ]);
    const failed = join(dir, 'failed.txt');
    const startedAt = Date.now();
    const r = await runCli([
      'warm',
      '--keys',
      file,
      '--pattern',
      'product:{id}',
      '--fetch',
      PRODUCT_FETCH,
      '--ttl',
      '1h',
      '--jitter',
      '10%',
      '--cluster',
      cluster.seeds,
      '--pg',
      db.url,
      '--json',
      '--failed-keys',
      failed,
      '--batch-size',
      '200',
    ]);
    assert.equal(r.code, 1, r.stderr);
    const summary = JSON.parse(r.stdout);
    assert.equal(summary.written, 1500);
    assert.equal(summary.missing, 1);
    assert.equal(summary.invalid, 2);
    assert.equal(summary.failed, 0);
    assert.equal(
      Object.values(summary.nodes as Record<string, number>).reduce((a, b) => a + b, 0),
      1500,
    );
    assert.equal(Object.keys(summary.nodes).length, 3);
    assert.equal(summary.entries.keys.written, 1500);
    await assertKeysOnOwners(await productJson(db.pool, ids), onCluster, masters, { min: 0.9 * HOUR, max: 1.1 * HOUR }, startedAt);

    const lines = readFileSync(failed, 'utf8')
      .split('\n')
      .filter((l) => l && !l.startsWith('#'));
    assert.equal(lines.length, 3);
    assert.match(
      lines.find((l) => l.startsWith('product:999999\t'))!,
      /missing: no row/,
    );
    // The key that does not cast to bigint is isolated with the database's own message.
    assert.match(
      lines.find((l) => l.startsWith('product:12abc\t'))!,
      /invalid: .*invalid input syntax for type bigint/,
    );
    assert.match(
      lines.find((l) => l.startsWith('order:5\t'))!,
      /invalid: does not match the pattern/,
    );
  });

  test('a streamed query with stale copies: each key and its :stale copy on their own owners, TTL + window', async () => {
    const startedAt = Date.now();
    const r = await runCli([
      'warm',
      '--query',
      "SELECT 'category:' || slug AS key, row_to_json(c)::text AS value FROM categories c",
      '--ttl',
      '10m',
      '--stale',
      '5m',
      '--cluster',
      cluster.seeds,
      '--pg',
      db.url,
      '--json',
      '--batch-size',
      '7',
    ]);
    assert.equal(r.code, 0, r.stderr);
    const summary = JSON.parse(r.stdout);
    assert.equal(summary.written, 20);
    assert.equal(summary.staleWritten, 20);
    const rows = await db.pool.query<{ key: string; value: string }>("SELECT 'category:' || slug AS key, row_to_json(c)::text AS value FROM categories c");
    const fresh = new Map(rows.rows.map((x) => [x.key, x.value]));
    const stale = new Map(rows.rows.map((x) => [`${x.key}:stale`, x.value]));
    await assertKeysOnOwners(fresh, onCluster, masters, { min: 10 * 60_000, max: 10 * 60_000 }, startedAt);
    await assertKeysOnOwners(stale, onCluster, masters, { min: 15 * 60_000, max: 15 * 60_000 }, startedAt);
  });

  test('hash format: HGETALL gives the row, the hash is replaced whole and expires', async () => {
    const client = single.client();
    await client.hset('user:acme:7', 'leftover', 'x');
    const file = writeKeyList(dir, 'users.txt', ['user:acme:7', 'user:globex:10', 'user:nope:1']);
    const r = await runCli([
      'warm',
      '--keys',
      file,
      '--pattern',
      'user:{tenant}:{id}',
      '--format',
      'hash',
      '--ttl',
      '20m',
      '--fetch',
      'SELECT tenant, id, email, plan FROM users WHERE tenant = ANY($1::text[]) AND id = ANY($2::bigint[])',
      '--redis',
      `redis://${single.address}`,
      '--pg',
      db.url,
      '--json',
    ]);
    assert.equal(r.code, 1, r.stderr);
    assert.equal(JSON.parse(r.stdout).missing, 1);
    assert.deepEqual(await client.hgetall('user:acme:7'), { tenant: 'acme', id: '7', email: 'user7@acme.example', plan: 'free' });
    assert.deepEqual(await client.hgetall('user:globex:10'), { tenant: 'globex', id: '10', email: 'user10@globex.example', plan: 'pro' });
    const pttl = await client.pttl('user:globex:10');
    assert.ok(pttl > 19 * 60_000 && pttl <= 20 * 60_000);
  });

  test('--only-missing keeps existing keys; --refresh-below rewrites only keys close to expiry', async () => {
    const client = single.client();
    const url = `redis://${single.address}`;
    const file = writeKeyList(dir, 'few.txt', ['product:1', 'product:2', 'product:3']);
    await client.set('product:1', 'old', 'PX', 2 * HOUR);
    const base = ['warm', '--keys', file, '--pattern', 'product:{id}', '--fetch', PRODUCT_FETCH, '--ttl', '1h', '--redis', url, '--pg', db.url, '--json'];
    let r = await runCli([...base, '--only-missing']);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual([JSON.parse(r.stdout).written, JSON.parse(r.stdout).skipped], [2, 1]);
    assert.equal(await client.get('product:1'), 'old');

    await client.set('product:2', 'expiring', 'PX', 60_000);
    await client.set('product:3', 'fresh', 'PX', 2 * HOUR);
    await client.set('product:1', 'gone-soon', 'PX', 30_000);
    r = await runCli([...base, '--refresh-below', '5m']);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual([JSON.parse(r.stdout).written, JSON.parse(r.stdout).skipped], [2, 1]);
    const expected = await productJson(db.pool, [1, 2]);
    assert.equal(await client.get('product:1'), expected.get('product:1'));
    assert.equal(await client.get('product:2'), expected.get('product:2'));
    assert.equal(await client.get('product:3'), 'fresh');
    assert.ok((await client.pttl('product:2')) > 59 * 60_000);
  });

  test('--dry-run fetches and plans but writes nothing', async () => {
    const client = single.client();
    await client.flushall();
    const file = writeKeyList(dir, 'dry.txt', ['product:5', 'product:6', 'product:777777']);
    const r = await runCli([
      'warm',
      '--keys',
      file,
      '--pattern',
      'product:{id}',
      '--fetch',
      PRODUCT_FETCH,
      '--ttl',
      '1h',
      '--redis',
      `redis://${single.address}`,
      '--pg',
      db.url,
      '--dry-run',
    ]);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stdout, /dry run: would write 2 keys/);
    assert.match(r.stdout, /product:5\s+127\.0\.0\.1:\d+\s+1h/);
    assert.match(r.stdout, /product:777777\s+missing: no row/);
    assert.equal(await client.dbsize(), 0);
  });

  test('--verify reads every written key back; keys from stdin', async () => {
    const r = await runCli(
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
        '--verify',
      ],
      { stdin: 'product:10\nproduct:11\n# comment\nproduct:12\n' },
    );
    assert.equal(r.code, 0, r.stderr);
    const summary = JSON.parse(r.stdout);
    assert.equal(summary.written, 3);
    assert.deepEqual(summary.verify, { checked: 3, missing: 0, noTtl: 0, unverified: 0 });
  });
});

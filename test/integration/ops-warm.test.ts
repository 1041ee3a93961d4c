/**
 * Issue 6 through `cachectl warm` itself, against a real Redis and PostgreSQL: the run lock,
 * --deadline, SIGTERM with --checkpoint and resume, --shard, --metrics-file, --log-format json.
 * Every test checks Redis key by key against what the run reported.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Redis } from 'ioredis';
import { runCli } from '../harness/cli.js';
import { createTestDatabase, seedCatalogue, type TestDatabase } from '../harness/postgres.js';
import { startRedis, waitFor, type RedisProcess } from '../harness/redis.js';
import { PRODUCT_FETCH, productJson, tempDir, writeKeyList } from '../harness/warm-helpers.js';
import { shardOf } from '../../src/core/run/shard.js';

const N = 3000;

describe('cachectl warm in production', () => {
  let db: TestDatabase;
  let redis: RedisProcess;
  let client: Redis;
  let dir: string;
  let keysFile: string;
  let expected: Map<string, string>;
  const ids = Array.from({ length: N }, (_, i) => i + 1);

  before(async () => {
    [db, redis] = await Promise.all([createTestDatabase('ops_warm'), startRedis()]);
    await seedCatalogue(db.pool, N);
    client = redis.client();
    dir = tempDir();
    keysFile = writeKeyList(
      dir,
      'hot.txt',
      ids.map((id) => `product:${id}`),
    );
    expected = await productJson(db.pool, ids);
  });
  after(async () => {
    await Promise.all([redis?.stop(), db?.drop()]);
  });

  const warmArgs = (...extra: string[]) => [
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
    `redis://127.0.0.1:${redis.port}`,
    '--pg',
    db.url,
    '--json',
    '--batch-size',
    '100',
    ...extra,
  ];

  async function assertAllWarm(keys: Iterable<string> = expected.keys()): Promise<void> {
    for (const key of keys) {
      assert.equal(await client.get(key), expected.get(key), `value of ${key}`);
      assert.ok((await client.pttl(key)) > 0, `${key} has a TTL`);
    }
  }

  test('a second run while the first holds the lock exits 75 with one line; --no-lock runs stay correct', async () => {
    await client.flushall();
    const failedFile = join(dir, 'lock-failed.txt');
    // The first run lists a missing key early; the refused run must not wipe that file.
    const withMissing = writeKeyList(dir, 'hot-missing.txt', ['product:999999', ...ids.map((id) => `product:${id}`)]);
    const args = (...extra: string[]) => warmArgs(...extra).map((a) => (a === keysFile ? withMissing : a));
    const first = runCli(args('--rate', '1000', '--failed-keys', failedFile));
    await waitFor(async () => (await client.keys('lock:cachectl:warm:*')).length === 1, 'the first run to take its lock');
    await waitFor(async () => readFileSync(failedFile, 'utf8').includes('product:999999'), 'the first run to list its missing key');
    const [lockKey] = await client.keys('lock:cachectl:warm:*');
    const second = await runCli(args('--failed-keys', failedFile));
    assert.equal(second.code, 75, second.stderr);
    assert.equal(second.stdout, '');
    assert.match(
      second.stderr,
      /^cachectl: warmlist 'adhoc-[0-9a-f]{8}' is locked by \S+ pid \d+ since \S+ \(key lock:cachectl:warm:adhoc-[0-9a-f]{8} on 127.0.0.1:\d+, expires in \d+s unless renewed\); .*--wait-lock/m,
    );
    // One line for the refusal, after the line naming the topology the run connected to.
    const lines = second.stderr.trim().split('\n');
    assert.equal(lines.length, 2);
    assert.match(lines[0] ?? '', /^cachectl: topology: Redis node /);
    const r = await first;
    assert.equal(r.code, 1, r.stderr);
    assert.equal(JSON.parse(r.stdout).written, N);
    assert.equal(JSON.parse(r.stdout).missing, 1);
    assert.equal(await client.exists(lockKey!), 0, 'released at the end');
    assert.match(readFileSync(failedFile, 'utf8'), /^product:999999\t# missing/m, "the refused run did not truncate the running one's failed-keys file");
    await assertAllWarm();

    await client.flushall();
    const [a, b] = await Promise.all([runCli(warmArgs('--no-lock')), runCli(warmArgs('--no-lock'))]);
    assert.equal(a.code, 0, a.stderr);
    assert.equal(b.code, 0, b.stderr);
    assert.deepEqual(await client.keys('lock:*'), []);
    assert.equal(await client.dbsize(), N);
    await assertAllWarm();
  });

  test('--wait-lock lets the second run wait for the first and then do its own warm', async () => {
    await client.flushall();
    const first = runCli(warmArgs('--rate', '2000'));
    await waitFor(async () => (await client.keys('lock:cachectl:warm:*')).length === 1, 'the first run to take its lock');
    const second = await runCli(warmArgs('--wait-lock', '1m', '--log-format', 'json'));
    const r = await first;
    assert.equal(r.code, 0, r.stderr);
    assert.equal(second.code, 0, second.stderr);
    const lockEvents = second.stderr
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { event: string; action?: string })
      .filter((e) => e.event === 'lock');
    assert.deepEqual(
      lockEvents.map((e) => e.action),
      ['waiting', 'acquired', 'released'],
    );
    assert.equal(JSON.parse(second.stdout).written, N);
  });

  test('--deadline stops starting batches, reports what was not done, exits 1', async () => {
    await client.flushall();
    const r = await runCli(warmArgs('--rate', '1000', '--deadline', '1500ms'));
    assert.equal(r.code, 1, r.stderr);
    const summary = JSON.parse(r.stdout);
    assert.equal(summary.stopped.reason, 'deadline');
    assert.ok(summary.written > 0 && summary.written < N, `written ${summary.written}`);
    // What the summary says was written is exactly what is in Redis.
    assert.equal(await client.dbsize(), summary.written);
    for (const key of await client.keys('product:*')) assert.equal(await client.get(key), expected.get(key));
  });

  test('SIGTERM: in-flight batches finish, checkpoint saved, exit 143; the rerun resumes without redoing done lines', async () => {
    await client.flushall();
    const checkpoint = join(dir, 'warm.ckpt');
    const failed = join(dir, 'failed.txt');
    const ctl = new AbortController();
    const run = runCli(warmArgs('--rate', '1000', '--checkpoint', checkpoint, '--failed-keys', failed), { signal: ctl.signal });
    await waitFor(async () => (await client.dbsize()) > 600, 'the run to be under way');
    ctl.abort('SIGTERM');
    const r = await run;
    assert.equal(r.code, 143, r.stderr);
    const first = JSON.parse(r.stdout);
    assert.equal(first.stopped.reason, 'signal');
    assert.match(r.stderr, /progress saved to .*warm\.ckpt/);
    assert.ok(existsSync(failed), 'failed-keys file written');
    assert.deepEqual(await client.keys('lock:*'), [], 'lock released on SIGTERM');
    // Redis holds exactly what the run reported as written.
    const writtenFirst = (await client.keys('product:*')).length;
    assert.equal(writtenFirst, first.written);
    const saved = JSON.parse(readFileSync(checkpoint, 'utf8'));
    const prefix: number = saved.entries.keys.done[0][1];
    assert.ok(prefix > 0 && prefix <= first.written, `checkpoint prefix ${prefix}, written ${first.written}`);

    const again = await runCli(warmArgs('--checkpoint', checkpoint));
    assert.equal(again.code, 0, again.stderr);
    const second = JSON.parse(again.stdout);
    assert.equal(second.written, N - prefix, 'only the lines after the checkpoint are fetched and written');
    assert.equal(existsSync(checkpoint), false, 'a complete run deletes its checkpoint');
    await assertAllWarm();
  });

  test('a query ordered by key resumes after the rows its checkpoint recorded', async () => {
    await client.flushall();
    const checkpoint = join(dir, 'query.ckpt');
    const query = "SELECT 'q:' || lpad(g::text, 5, '0') AS key, 'v' || g AS value FROM generate_series(1, 3000) g ORDER BY key";
    const args = (...extra: string[]) => [
      'warm',
      '--query',
      query,
      '--ttl',
      '1h',
      '--redis',
      `redis://127.0.0.1:${redis.port}`,
      '--pg',
      db.url,
      '--json',
      '--batch-size',
      '100',
      '--checkpoint',
      checkpoint,
      ...extra,
    ];
    const ctl = new AbortController();
    const run = runCli(args('--rate', '1000'), { signal: ctl.signal });
    await waitFor(async () => (await client.dbsize()) > 600, 'the query warm to be under way');
    ctl.abort('SIGINT');
    const r = await run;
    assert.equal(r.code, 130, r.stderr);
    const saved = JSON.parse(readFileSync(checkpoint, 'utf8')).entries.query;
    const rows: number = saved.rows;
    assert.ok(rows > 0 && rows <= JSON.parse(r.stdout).written, `rows ${rows}`);
    assert.equal(saved.lastKey, `q:${String(rows).padStart(5, '0')}`, 'the key of the last row done');
    const again = await runCli(args());
    assert.equal(again.code, 0, again.stderr);
    // It starts at the last key done: that one row is written again (harmless), none before it.
    assert.equal(JSON.parse(again.stdout).written, 3000 - rows + 1);
    assert.equal(await client.dbsize(), 3000);
    assert.equal(await client.get('q:03000'), 'v3000');
  });

  test('--shard i/3: three workers write every key exactly once, key lists and queries alike', async () => {
    await client.flushall();
    const query = "SELECT 'category:' || slug AS key, name AS value FROM categories ORDER BY key";
    let total = 0;
    let categories = 0;
    // The three workers share one metrics file: each shard keeps its own series.
    const prom = join(dir, 'shards.prom');
    for (let i = 0; i < 3; i++) {
      const r = await runCli(warmArgs('--shard', `${i}/3`, '--metrics-file', prom, '--lock-name', 'products'));
      assert.equal(r.code, 0, r.stderr);
      const s = JSON.parse(r.stdout);
      const mine = ids.filter((id) => shardOf(`product:${id}`, 3) === i).length;
      assert.equal(s.written, mine, `shard ${i} writes its share`);
      total += s.written;
      const q = await runCli(['warm', '--query', query, '--ttl', '1h', '--redis', `redis://127.0.0.1:${redis.port}`, '--pg', db.url, '--json'], {
        env: { JOB_COMPLETION_INDEX: String(i), JOB_COMPLETIONS: '3' },
      });
      assert.equal(q.code, 0, q.stderr);
      categories += JSON.parse(q.stdout).written;
    }
    assert.equal(total, N);
    assert.equal(categories, 20);
    const text = readFileSync(prom, 'utf8');
    for (let i = 0; i < 3; i++) {
      const mine = ids.filter((id) => shardOf(`product:${id}`, 3) === i).length;
      assert.match(
        text,
        new RegExp(`^cachectl_warm_keys_written\\{warmlist="products",topology="redis",shard="${i}/3"\\} ${mine}$`, 'm'),
        `shard ${i}'s series`,
      );
    }
    assert.equal(text.match(/^cachectl_warm_last_run_exit_code\{/gm)?.length, 3, 'one series per shard');
    assert.equal(await client.dbsize(), N + 20);
    await assertAllWarm();
  });

  test('--metrics-file and --log-format json: Prometheus text, and one JSON object per stderr line', async () => {
    await client.flushall();
    const prom = join(dir, 'cachectl.prom');
    const ok = await runCli(warmArgs('--metrics-file', prom, '--log-format', 'json', '--lock-name', 'catalog'));
    assert.equal(ok.code, 0, ok.stderr);
    const events = ok.stderr
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { event: string; level: string; ts: string; exitCode?: number; written?: number; topology?: string });
    assert.equal(events[0]!.event, 'lock');
    // The topology and where it came from ride on the start event (no text line in a JSON log).
    assert.match(events.find((e) => e.event === 'start')?.topology ?? '', /^Redis node 127\.0\.0\.1:\d+ \(from --redis\)$/);
    const summary = events.find((e) => e.event === 'summary')!;
    assert.equal(events.at(-1)!.event, 'lock', 'the lock is released last');
    assert.equal(summary.exitCode, 0);
    assert.equal(summary.written, N);
    const text = readFileSync(prom, 'utf8');
    assert.match(text, new RegExp(`^cachectl_warm_keys_written\\{warmlist="catalog",topology="redis"\\} ${N}$`, 'm'));
    const success = Number(/^cachectl_warm_last_success_timestamp_seconds\{warmlist="catalog",topology="redis"\} (\d+)$/m.exec(text)![1]);
    assert.ok(Math.abs(success - Date.now() / 1000) < 60);
    // A failing run (a missing key) updates the run, keeps the last success.
    const bad = writeKeyList(dir, 'bad.txt', ['product:1', 'product:999999']);
    const r = await runCli([
      'warm',
      '--keys',
      bad,
      '--pattern',
      'product:{id}',
      '--fetch',
      PRODUCT_FETCH,
      '--ttl',
      '1h',
      '--redis',
      `redis://127.0.0.1:${redis.port}`,
      '--pg',
      db.url,
      '--lock-name',
      'catalog',
      '--metrics-file',
      prom,
    ]);
    assert.equal(r.code, 1, r.stderr);
    const after = readFileSync(prom, 'utf8');
    assert.match(after, /^cachectl_warm_keys_missing\{warmlist="catalog",topology="redis"\} 1$/m);
    assert.match(after, /^cachectl_warm_last_run_exit_code\{warmlist="catalog",topology="redis"\} 1$/m);
    assert.match(after, new RegExp(`^cachectl_warm_last_success_timestamp_seconds\\{warmlist="catalog",topology="redis"\\} ${success}$`, 'm'));
  });
});

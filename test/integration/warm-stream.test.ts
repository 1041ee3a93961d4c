/**
 * Streamed query entries: binary COPY where the columns allow it, the cursor elsewhere. Both must
 * write exactly what the README's "What is written" promises, so the path taken never shows in
 * the cache. Real PostgreSQL, real Redis.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Redis } from 'ioredis';
import { copyByteBatches, CopyStalledError, planCopy } from '../../src/adapters/postgres/copy-stream.js';
import { createPgPool } from '../../src/adapters/postgres/pool.js';
import { runCli } from '../harness/cli.js';
import { createTestDatabase, type TestDatabase } from '../harness/postgres.js';
import { startRedis, type RedisProcess } from '../harness/redis.js';

const TRICKY = ['plain', 'ünïcödé € 😀', 'tab\there', 'new\nline', 'back\\slash', '"quoted"', '', 'x'.repeat(100_000)];

describe('streamed queries: binary COPY and the cursor write the same thing', () => {
  let db: TestDatabase;
  let redis: RedisProcess;
  let client: Redis;

  before(async () => {
    [db, redis] = await Promise.all([createTestDatabase('warm_stream'), startRedis()]);
    client = redis.client();
    await db.pool.query('CREATE TABLE docs (id int PRIMARY KEY, body text, label char(6), doc jsonb)');
    await db.pool.query('INSERT INTO docs SELECT g, ($1::text[])[g % $2 + 1], $3, $4::jsonb FROM generate_series(1, 3000) g', [
      TRICKY,
      TRICKY.length,
      'ab',
      '{"a": [1, 2], "b": "c"}',
    ]);
    await db.pool.query('INSERT INTO docs VALUES (0, NULL, NULL, NULL)');
  });
  after(async () => {
    await Promise.all([redis?.stop(), db?.drop()]);
  });

  const warm = (sql: string, extra: string[] = []) =>
    runCli(['warm', '--query', sql, '--ttl', '10m', '--redis', `redis://${redis.address}`, '--pg', db.url, '--json', ...extra]);

  test('which queries take the COPY path', async () => {
    const pool = db.pool;
    assert.ok(await planCopy(pool, "SELECT 'doc:' || id AS key, body AS value FROM docs"), 'text key and text value');
    assert.ok(await planCopy(pool, 'SELECT id AS key, label AS value FROM docs'), 'int key (cast to text), char(n) value');
    assert.equal(await planCopy(pool, "SELECT 'doc:' || id AS key, doc AS value FROM docs"), undefined, 'jsonb value: the driver renders it');
    assert.equal(await planCopy(pool, "SELECT 'doc:' || id AS key, body FROM docs"), undefined, 'no value column: written as a JSON object');
    assert.equal(await planCopy(pool, "SELECT 'doc:' || id AS key, body AS value, label AS value FROM docs"), undefined, 'two value columns');
  });

  test('text values over COPY arrive byte for byte, NULLs as the cursor path treats them', async () => {
    await client.flushall();
    const r = await warm("SELECT 'doc:' || id AS key, body AS value FROM docs");
    assert.equal(r.code, 0, r.stderr);
    assert.equal(JSON.parse(r.stdout).written, 3001);
    const rows = await db.pool.query<{ id: number; body: string | null }>('SELECT id, body FROM docs');
    for (const row of rows.rows) assert.equal(await client.get(`doc:${row.id}`), row.body ?? '', `doc:${row.id}`);
    const pttl = await client.pttl('doc:1');
    assert.ok(pttl > 0 && pttl <= 600_000, `TTL ${pttl}`);
  });

  test('an int key is written as its decimal text; a char(n) value keeps its padding', async () => {
    await client.flushall();
    const r = await warm('SELECT id AS key, label AS value FROM docs WHERE id > 0');
    assert.equal(r.code, 0, r.stderr);
    assert.equal(await client.get('42'), 'ab    ');
    assert.equal(await client.dbsize(), 3000);
  });

  test('a NULL key is listed as invalid with its row, on the COPY path as on the cursor path', async () => {
    for (const sql of [
      "SELECT CASE WHEN id = 0 THEN NULL ELSE 'k:' || id END AS key, body AS value FROM docs ORDER BY id",
      "SELECT CASE WHEN id = 0 THEN NULL ELSE 'k:' || id END AS key, doc AS value FROM docs ORDER BY id",
    ]) {
      await client.flushall();
      const r = await warm(sql);
      assert.equal(r.code, 1, r.stderr);
      const summary = JSON.parse(r.stdout);
      assert.equal(summary.written, 3000);
      assert.equal(summary.invalid, 1);
      assert.match(JSON.stringify(summary.failedExamples), /row 1: the key column is NULL/);
    }
    // The cursor path (jsonb value) writes the driver's rendering, as documented.
    assert.equal(await client.get('k:7'), '{"a":[1,2],"b":"c"}');
  });

  test('a COPY that stalls past the timeout is cancelled on the server; a consumer that stops early cancels it too', async () => {
    const pool = createPgPool({ url: db.url, max: 3, applicationName: 'cachectl-copy-test' });
    try {
      const slow = await planCopy(pool, "SELECT 'k' || g AS key, 'v' AS value FROM generate_series(1, 10) g WHERE pg_sleep(30) IS NOT NULL");
      assert.ok(slow);
      await assert.rejects(async () => {
        for await (const _ of copyByteBatches(pool, slow, 100, 300, new AbortController().signal)) assert.fail('no rows expected');
      }, CopyStalledError);

      const endless = await planCopy(pool, "SELECT 'k' || g AS key, repeat('v', 200) AS value FROM generate_series(1, 2000000) g");
      assert.ok(endless);
      let batches = 0;
      for await (const rows of copyByteBatches(pool, endless, 1000, 30_000, new AbortController().signal)) {
        assert.ok(rows.count >= 1000);
        if (++batches === 3) break;
      }
      const running = await db.pool.query(
        "SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = 'cachectl-copy-test' AND state = 'active' AND query LIKE 'COPY%'",
      );
      assert.equal(running.rows[0].n, 0, 'the COPY must not keep running after the consumer stopped');
    } finally {
      await pool.end();
    }
  });
});

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startRedis, type RedisProcess } from '../harness/redis.js';
import { createTestDatabase, seedCatalogue, type TestDatabase } from '../harness/postgres.js';
import { runCli } from '../harness/cli.js';
import type { DrillResult } from '../../src/core/herd/drill-types.js';

/**
 * The invalidation race on real Redis and PostgreSQL: the row is updated while the herd's
 * recompute is in flight (pg_sleep inside the fetch makes it slow), and the application deletes
 * the key. What the cache ends with is read straight from Redis and compared with the row.
 */
describe('herd --writes: the invalidation race, lock vs versioned', () => {
  let redis: RedisProcess;
  let db: TestDatabase;
  const FETCH = "SELECT p.id, p.name, p.version, nextval('race_fetches') AS fetch_no FROM products p WHERE p.id = $1";
  const UPDATE = 'UPDATE products SET version = version + 1 WHERE id = $1';

  before(async () => {
    [redis, db] = await Promise.all([startRedis(), createTestDatabase('cachectl_race')]);
    await seedCatalogue(db.pool, 20);
    await db.pool.query('ALTER TABLE products ADD COLUMN version bigint NOT NULL DEFAULT 1');
    await db.pool.query('CREATE SEQUENCE race_fetches');
  });
  after(async () => {
    await Promise.all([redis?.stop(), db?.drop()]);
  });

  async function fetches(): Promise<number> {
    const { rows } = await db.pool.query<{ n: string }>('SELECT CASE WHEN is_called THEN last_value ELSE 0 END AS n FROM race_fetches');
    return Number(rows[0]!.n);
  }

  async function rowVersion(id: number): Promise<number> {
    return Number((await db.pool.query<{ version: string }>('SELECT version FROM products WHERE id = $1', [id])).rows[0]!.version);
  }

  /** The version inside the drill's cached value, as an application would decode it. */
  async function cachedVersion(key: string): Promise<number | null> {
    const raw = await redis.client().get(key);
    if (raw === null) return null;
    const rows = JSON.parse((JSON.parse(raw) as { v: string }).v) as { version: string }[];
    return Number(rows[0]!.version);
  }

  async function drill(strategy: string, key: string): Promise<{ code: number; result: DrillResult; stderr: string; fetched: number }> {
    const before = await fetches();
    const r = await runCli([
      'herd',
      '--redis',
      `redis://127.0.0.1:${redis.port}`,
      '--pg',
      db.url,
      '--key',
      key,
      '--fetch',
      FETCH,
      '--writes',
      '4',
      '--update',
      UPDATE,
      '--invalidate',
      'delete',
      '--strategy',
      strategy,
      '--rounds',
      '10',
      '--clients',
      '20',
      '--db-delay',
      '200ms',
      '--seed',
      '7',
      '--ttl',
      '5m',
      '--json',
    ]);
    assert.ok(r.stdout.startsWith('{'), `no JSON (exit ${r.code}): ${r.stderr}`);
    return { code: r.code, result: JSON.parse(r.stdout) as DrillResult, stderr: r.stderr, fetched: (await fetches()) - before };
  }

  test('seeded: lock ends stale in some rounds, versioned in none; the last round checked against Redis and PostgreSQL directly', async () => {
    const lock = await drill('lock', 'product:3');
    assert.equal(lock.code, 0, lock.stderr);
    const l = lock.result.reports[0]!;
    const lr = l.race!;
    assert.equal(lr.rounds, 10);
    assert.ok(lr.staleRounds >= 1 && lr.staleRounds < 10, `lock stale in ${lr.staleRounds} of 10 rounds`);
    assert.equal(
      lr.writes,
      lr.writesPerRound.reduce((a, b) => a + b, 0),
    );
    // What the drill concluded for its last round is what Redis and PostgreSQL say now.
    const pgNow = await rowVersion(3);
    assert.equal(pgNow, 1 + lr.writes, 'every write bumped the row once');
    const cached = await cachedVersion('product:3');
    assert.equal(cached !== null && cached < pgNow, lr.stalePerRound.at(-1), `cache ${cached}, PostgreSQL ${pgNow}`);
    // PostgreSQL's own count: the herd's origin queries, one priming fetch per round, and the
    // writer's re-read of the row after each write (plus once at the start).
    assert.equal(lock.fetched, l.originQueries + 10 + lr.writes + 1);
    assert.equal(l.originQueries, l.originQueriesTool);

    const versioned = await drill('versioned', 'product:4');
    assert.equal(versioned.code, 0, versioned.stderr);
    const vr = versioned.result.reports[0]!.race!;
    assert.equal(
      vr.staleRounds,
      0,
      `versioned stale in rounds ${vr.stalePerRound
        .map((s, i) => (s ? i + 1 : 0))
        .filter(Boolean)
        .join(', ')}`,
    );
    // The same seed: the same writes at the same moments, whatever the strategy.
    assert.deepEqual(vr.writesPerRound, lr.writesPerRound);
    const pgV = await rowVersion(4);
    const cachedV = await cachedVersion('product:4');
    assert.ok(cachedV === null || cachedV === pgV, `cache ${cachedV}, PostgreSQL ${pgV}`);
    // The version floor is cleaned up; nothing of the drill's own stays.
    const c = redis.client();
    assert.equal(await c.exists('product:4:version', 'lock:product:4', 'cachectl:herd:run:product:4'), 0);
    // Left as the drill's last round left it, but never without a TTL.
    if (cachedV !== null) assert.ok((await c.pttl('product:4')) > 0);
  });

  test('without --update the race runs on a scratch table: the key is restored and the table dropped', async () => {
    const c = redis.client();
    await c.set('product:9', 'the app value', 'PX', 600_000);
    const r = await runCli([
      'herd',
      '--redis',
      `redis://127.0.0.1:${redis.port}`,
      '--pg',
      db.url,
      '--key',
      'product:9',
      '--writes',
      '4',
      '--invalidate',
      'set',
      '--strategy',
      'lock,versioned',
      '--rounds',
      '4',
      '--clients',
      '10',
      '--db-delay',
      '100ms',
      '--json',
    ]);
    assert.equal(r.code, 0, r.stderr);
    const result = JSON.parse(r.stdout) as DrillResult;
    assert.equal(result.reports[1]!.race!.staleRounds, 0);
    assert.equal(result.reports[0]!.race!.invalidate, 'set');
    assert.equal(await c.get('product:9'), 'the app value');
    assert.equal(await c.exists('product:9:version', 'product:9:stale'), 0);
    const { rows } = await db.pool.query("SELECT relname FROM pg_class WHERE relname LIKE 'cachectl_herd_%'");
    assert.deepEqual(rows, []);
    assert.equal(await rowVersion(9), 1, 'the real row was never touched');
  });

  test('bad race flags are exit 2 with the flag named', async () => {
    const base = ['herd', '--redis', `redis://127.0.0.1:${redis.port}`, '--pg', db.url, '--key', 'product:5'];
    const withFetch = await runCli([...base, '--fetch', FETCH, '--writes', '2']);
    assert.equal(withFetch.code, 2);
    assert.match(withFetch.stderr, /--writes without --update races on a scratch table/);
    const badInvalidate = await runCli([...base, '--writes', '2', '--invalidate', 'purge']);
    assert.equal(badInvalidate.code, 2);
    assert.match(badInvalidate.stderr, /--invalidate: with --writes it is the application's invalidation, delete or set/);
    const noVersion = await runCli([...base, '--fetch', 'SELECT id, name FROM products WHERE id = $1', '--writes', '2', '--update', UPDATE]);
    assert.equal(noVersion.code, 2);
    assert.match(noVersion.stderr, /--writes: the fetch returns no numeric 'version' column/);
    assert.equal(await rowVersion(5), 1);
  });
});

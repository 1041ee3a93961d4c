import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startCluster, startRedis, type RedisCluster, type RedisProcess } from '../harness/redis.js';
import { createTestDatabase, seedCatalogue, type TestDatabase } from '../harness/postgres.js';
import { runCli } from '../harness/cli.js';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DrillResult } from '../../src/core/herd/drill-types.js';

/**
 * Herds of hundreds of clients on real Redis and PostgreSQL. The fetch bumps a sequence this
 * test owns, so every count below is read from PostgreSQL independently of cachectl's own.
 */
describe('herd drill at tier scale, open loop and on a cluster', () => {
  let redis: RedisProcess;
  let cluster: RedisCluster;
  let db: TestDatabase;
  const FETCH = "SELECT p.*, nextval('test_fetches') AS fetch_no FROM products p WHERE p.id = $1";

  before(async () => {
    [redis, cluster, db] = await Promise.all([startRedis(), startCluster(3), createTestDatabase('cachectl_herd_tier')]);
    await seedCatalogue(db.pool, 100);
    await db.pool.query('CREATE SEQUENCE test_fetches');
  });
  after(async () => {
    await Promise.all([redis?.stop(), cluster?.stop(), db?.drop()]);
  });

  async function fetchesCounted(): Promise<number> {
    const { rows } = await db.pool.query<{ n: string }>('SELECT CASE WHEN is_called THEN last_value ELSE 0 END AS n FROM test_fetches');
    return Number(rows[0]!.n);
  }

  async function drill(
    args: string[],
    target = ['--redis', `redis://127.0.0.1:${redis.port}`],
  ): Promise<{ code: number; result: DrillResult; counted: number; stderr: string }> {
    const before = await fetchesCounted();
    const r = await runCli(['herd', ...target, '--pg', db.url, '--fetch', FETCH, '--json', ...args]);
    assert.ok(r.stdout.startsWith('{'), `no JSON (exit ${r.code}): ${r.stderr}`);
    return { code: r.code, result: JSON.parse(r.stdout) as DrillResult, counted: (await fetchesCounted()) - before, stderr: r.stderr };
  }

  test('--keys: a tier of keys expiring together; lock is exactly one query per key, counted at PostgreSQL', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'herd-keys-'));
    const file = join(dir, 'keys.txt');
    writeFileSync(file, '# hot products\n' + Array.from({ length: 20 }, (_, i) => `product:${31 + i}`).join('\n') + '\n');
    try {
      const { code, result, counted } = await drill(['--keys', file, '--expire-together', '--clients', '200', '--strategy', 'none,lock', '--db-delay', '20ms']);
      assert.equal(code, 0);
      const [none, lock] = result.reports;
      assert.equal(result.keyCount, 20);
      assert.equal(counted, 20 + none!.originQueries + lock!.originQueries, 'priming is one fetch per key');
      assert.ok(none!.originQueries >= 100, `none sent ${none!.originQueries}`);
      assert.equal(lock!.originQueries, 20);
      assert.equal(lock!.amplification, 1);
      assert.equal(lock!.maxPerExpiry, 1);
      // What the database had in flight at once is capped by the pool (--pg-pool 8), whatever the herd.
      assert.ok(none!.peakOriginConcurrency >= 2 && none!.peakOriginConcurrency <= 8, `peak ${none!.peakOriginConcurrency}`);
      assert.equal(await redis.client().exists(...Array.from({ length: 20 }, (_, i) => `product:${31 + i}`)), 0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('open loop: Poisson arrivals across natural expiries; the lock keeps one query per refresh episode', async () => {
    const { code, result, counted } = await drill([
      '--key',
      'product:61',
      '--rate',
      '300',
      '--duration',
      '2s',
      '--ttl',
      '400ms',
      '--clients',
      '10',
      '--strategy',
      'none,lock',
      '--db-delay',
      '20ms',
    ]);
    assert.equal(code, 0);
    assert.equal(result.mode, 'open');
    const [none, lock] = result.reports;
    assert.equal(counted, 1 + none!.originQueries + lock!.originQueries);
    for (const r of [none!, lock!]) {
      assert.equal(r.originQueries, r.originQueriesTool);
      assert.ok(r.expiries >= 3, `${r.strategy}: only ${r.expiries} refresh episodes in 2s with a 400ms TTL`);
      assert.equal(r.requests, result.openLoop!.requests);
      assert.equal(r.errors, 0);
    }
    assert.equal(lock!.amplification, 1);
    assert.ok(none!.amplification > 1, `none ${none!.amplification}`);
    // Ranked by what the database paid over the run: lock's one query per episode costs less.
    assert.deepEqual(
      result.ranking.map((r) => [r.strategy, r.originQueries]),
      [
        ['lock', lock!.originQueries],
        ['none', none!.originQueries],
      ],
    );
  });

  test('on a cluster: lock is exact, and a key without a hash tag gets the slot warning', async () => {
    const untagged = await drill(['--key', 'product:11', '--clients', '200', '--strategy', 'lock'], ['--cluster', cluster.seeds]);
    assert.equal(untagged.code, 0);
    assert.equal(untagged.result.reports[0]!.originQueries, 1);
    assert.equal(untagged.counted, 2);
    assert.match(untagged.stderr, /lock:product:11 is in slot \d+, product:11 in slot \d+.*product:\{11\}/);
    const tagged = await drill(['--key', 'product:{11}', '--clients', '200', '--strategy', 'lock,coalesce'], ['--cluster', cluster.seeds]);
    assert.equal(tagged.code, 0);
    assert.doesNotMatch(tagged.stderr, /hash tag/);
    assert.ok(tagged.result.colocation.filter((c) => c.role !== 'stampede').every((c) => c.sameSlot === true));
    assert.deepEqual(
      tagged.result.reports.map((r) => r.originQueries),
      [1, 1],
    );
  });
});

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Redis } from 'ioredis';
import { openCache, type CacheConnection } from '../../src/adapters/redis/cache.js';
import { parseInfo } from '../../src/core/inspect/keyspace.js';
import type { DriftReport, EntryDrift } from '../../src/core/inspect/drift.js';
import { CATALOGUE_CATEGORIES } from '../../src/adapters/postgres/catalogue.js';
import { runCli } from '../harness/cli.js';
import { createTestDatabase, seedCatalogue, type TestDatabase } from '../harness/postgres.js';
import { startCluster, type RedisCluster } from '../harness/redis.js';
import { PRODUCT_FETCH, tempDir, writeKeyList } from '../harness/warm-helpers.js';

const WARMLIST = `
entries:
  - name: products
    ttl: 1h
    keys: products.txt
    pattern: product:{id}
    fetch: ${PRODUCT_FETCH}
  - name: users
    ttl: 1h
    format: hash
    keys: users.txt
    pattern: user:{tenant}:{id}
    fetch: SELECT u.tenant, u.id, u.email, u.plan FROM users u JOIN unnest($1::text[], $2::bigint[]) AS k(tenant, id) USING (tenant, id)
  - name: categories
    ttl: 1h
    query: SELECT 'category:' || slug AS key, row_to_json(c)::text AS value FROM categories c
`;

/** Warmed from PostgreSQL, then a known number of rows changed and deleted at the origin. */
describe('inspect drift on a 3-master cluster against PostgreSQL', () => {
  let db: TestDatabase;
  let cluster: RedisCluster;
  let cache: CacheConnection;
  let masters: Redis[];
  let dir: string;
  let warmlist: string;
  const entry = (r: DriftReport, name: string) => r.entries.find((e) => e.entry === name) as EntryDrift;

  before(async () => {
    [db, cluster] = await Promise.all([createTestDatabase('inspect_drift'), startCluster(3)]);
    await seedCatalogue(db.pool, 1000);
    cache = await openCache({ kind: 'cluster', seeds: [{ host: '127.0.0.1', port: cluster.masters[0]!.port }], auth: {} });
    masters = cache.topology.nodes.map((_, i) => cache.client(i));
    dir = tempDir();
    writeKeyList(
      dir,
      'products.txt',
      Array.from({ length: 1000 }, (_, i) => `product:${i + 1}`),
    );
    writeKeyList(
      dir,
      'users.txt',
      Array.from({ length: 100 }, (_, i) => `user:${i % 2 === 0 ? 'acme' : 'globex'}:${Math.floor(i / 2) + 1}`),
    );
    warmlist = join(dir, 'catalog.yml');
    writeFileSync(warmlist, WARMLIST);
    const warm = await runCli(['warm', warmlist, '--cluster', cluster.seeds, '--pg', db.url]);
    assert.equal(warm.code, 0, warm.stdout + warm.stderr);
    // The origin moves on: 30 prices changed two hours "ago", 10 products deleted; 7 users changed plan, 3 deleted; 2 categories renamed.
    await db.pool.query(`UPDATE products SET price_cents = price_cents + 1, updated_at = now() - interval '2 hours' WHERE id <= 30`);
    await db.pool.query(`DELETE FROM products WHERE id > 990`);
    await db.pool.query(`UPDATE users SET plan = 'enterprise' WHERE tenant = 'acme' AND id <= 7`);
    await db.pool.query(`DELETE FROM users WHERE tenant = 'globex' AND id <= 3`);
    await db.pool.query(`UPDATE categories SET name = name || ' (renamed)' WHERE id <= 2`);
  });
  after(async () => {
    await cache?.close();
    await Promise.all([cluster?.stop(), db?.drop()]);
  });

  test('--all: every cached key compared; changed, deleted and hash-format rows counted exactly; read-only', async () => {
    await Promise.all(masters.map((m) => m.call('CONFIG', 'RESETSTAT')));
    const drifted = join(dir, 'drifted.txt');
    const r = await runCli([
      'inspect',
      'drift',
      warmlist,
      '--all',
      '--cluster',
      cluster.seeds,
      '--pg',
      db.url,
      '--json',
      '--drifted-keys',
      drifted,
      '--batch-size',
      '128',
    ]);
    assert.equal(r.code, 0, r.stderr);
    const report = JSON.parse(r.stdout) as DriftReport;
    const p = entry(report, 'products');
    assert.deepEqual([p.from, p.compared, p.equal, p.different, p.missingInDb, p.notCached, p.unchecked], ['cache', 1000, 960, 30, 10, 0, 0]);
    assert.equal(p.driftPercent, 4);
    assert.equal(p.oldestStale?.column, 'updated_at');
    assert.ok(Math.abs(p.oldestStale!.ageMs - 2 * 3_600_000) < 120_000, `the oldest stale copy is two hours old: ${p.oldestStale?.ageMs}`);
    assert.ok(p.examples.some((x) => x.kind === 'different' && x.database !== null && x.cached !== x.database));
    assert.ok(p.examples.some((x) => x.kind === 'missing-in-db' && x.database === null) || p.examples.length === 5);
    const u = entry(report, 'users');
    assert.deepEqual([u.format, u.compared, u.equal, u.different, u.missingInDb], ['hash', 100, 90, 7, 3]);
    const c = entry(report, 'categories');
    assert.deepEqual([c.from, c.compared, c.equal, c.different, c.missingInDb], ['query', CATALOGUE_CATEGORIES, CATALOGUE_CATEGORIES - 2, 2, null]);
    assert.deepEqual(report.totals, {
      compared: 1100 + CATALOGUE_CATEGORIES,
      equal: 1050 + CATALOGUE_CATEGORIES - 2,
      different: 39,
      missingInDb: 13,
      drifted: 52,
      driftPercent: (52 / (1100 + CATALOGUE_CATEGORIES)) * 100,
    });
    // Read-only: no write command reached any node.
    for (const m of masters) {
      const stats = parseInfo(await m.info('commandstats'));
      for (const cmd of ['set', 'hset', 'del', 'pexpire', 'expire', 'unlink']) assert.equal(stats[`cmdstat_${cmd}`], undefined, `${cmd} on ${m.options.port}`);
    }
    // The drifted keys, one per line: a key list for warm.
    const lines = readFileSync(drifted, 'utf8')
      .split('\n')
      .filter((l) => l !== '' && !l.startsWith('#'));
    assert.equal(lines.length, 52);
    assert.ok(lines.includes('product:1\t# different: cached value differs from the database [products]'));
    assert.ok(lines.includes('product:1000\t# missing-in-db: cached, but the database has no row for it (deleted at the origin) [products]'));
    assert.ok(lines.includes('user:acme:7\t# different: cached value differs from the database [users]'));
  });

  test('--fail-on drift>1% fails; the text report has a row per entry', async () => {
    const r = await runCli(['inspect', 'drift', warmlist, '--all', '--cluster', cluster.seeds, '--pg', db.url, '--fail-on', 'drift>1%']);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stdout, /^fail-on: drift>1% holds \(4\.\d+%\)$/m);
    assert.match(r.stdout, /^products\s+cache\s+1,000\s+960\s+30\s+10\s+0\s+0\s+4\.00%\s+2h/m);
    assert.match(r.stdout, /^categories\s+query\s+\d+\s+\d+\s+2\s+n\/a\s/m);
    const ok = await runCli([
      'inspect',
      'drift',
      warmlist,
      '--entry',
      'categories',
      '--all',
      '--cluster',
      cluster.seeds,
      '--pg',
      db.url,
      '--fail-on',
      'drift>50%',
    ]);
    assert.equal(ok.code, 0, ok.stdout);
  });

  test('--sample N compares N keys drawn from every node; --from-list reads the key list', async () => {
    const r = JSON.parse(
      (await runCli(['inspect', 'drift', warmlist, '--entry', 'products', '--sample', '200', '--cluster', cluster.seeds, '--pg', db.url, '--json'])).stdout,
    ) as DriftReport;
    const p = entry(r, 'products');
    assert.equal(p.sampled, true);
    assert.equal(p.compared, 200);
    assert.equal(p.equal + p.different + (p.missingInDb ?? 0), 200);
    const list = JSON.parse(
      (await runCli(['inspect', 'drift', warmlist, '--entry', 'users', '--from-list', '--all', '--cluster', cluster.seeds, '--pg', db.url, '--json'])).stdout,
    ) as DriftReport;
    assert.deepEqual([entry(list, 'users').from, entry(list, 'users').different, entry(list, 'users').missingInDb], ['key list', 7, 3]);
  });

  test('--updated-column names the column the age is read from; --rate paces the comparison', async () => {
    // The same entry, whose fetch also returns a column of its own name (an hour before updated_at).
    const custom = join(dir, 'custom-column.yml');
    writeFileSync(
      custom,
      [
        'entries:',
        '  - name: products',
        '    ttl: 1h',
        '    keys: products.txt',
        '    pattern: product:{id}',
        "    fetch: SELECT id, row_to_json(p)::text AS value, p.updated_at - interval '1 hour' AS changed_on FROM products p WHERE id = ANY($1::bigint[])",
      ].join('\n') + '\n',
    );
    const base = ['inspect', 'drift', custom, '--all', '--cluster', cluster.seeds, '--pg', db.url, '--json'];
    const started = Date.now();
    const named = JSON.parse((await runCli([...base, '--updated-column', 'changed_on', '--rate', '400'])).stdout) as DriftReport;
    const took = Date.now() - started;
    const p = entry(named, 'products');
    assert.deepEqual([p.compared, p.different, p.missingInDb], [1000, 30, 10], 'the extra column changes nothing compared');
    assert.equal(p.oldestStale?.column, 'changed_on');
    assert.ok(Math.abs(p.oldestStale!.ageMs - 3 * 3_600_000) < 120_000, `three hours by changed_on: ${p.oldestStale?.ageMs}`);
    // 1,000 keys at 400/s: a second's burst, then 600 more at the rate.
    assert.ok(took >= 1_200, `--rate 400 paced 1,000 keys: ${took}ms`);
    // Without the flag the usual names are looked for: updated_at inside the JSON value.
    const usual = entry(JSON.parse((await runCli(base)).stdout) as DriftReport, 'products');
    assert.equal(usual.oldestStale?.column, 'updated_at');
  });

  test('the drifted-keys file feeds warm --keys, which repairs the changed keys (deleted rows stay: warm reports them missing)', async () => {
    const drifted = join(dir, 'products-drift.txt');
    await runCli(['inspect', 'drift', warmlist, '--entry', 'products', '--all', '--cluster', cluster.seeds, '--pg', db.url, '--drifted-keys', drifted]);
    const warm = await runCli([
      'warm',
      '--keys',
      drifted,
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
    ]);
    const summary = JSON.parse(warm.stdout) as { written: number; missing: number };
    assert.deepEqual([summary.written, summary.missing], [30, 10]);
    const after = JSON.parse(
      (await runCli(['inspect', 'drift', warmlist, '--entry', 'products', '--all', '--cluster', cluster.seeds, '--pg', db.url, '--json'])).stdout,
    ) as DriftReport;
    assert.deepEqual([entry(after, 'products').different, entry(after, 'products').missingInDb], [0, 10]);
  });

  test('bad input: an unknown entry, --sample with --all', async () => {
    const r = await runCli(['inspect', 'drift', warmlist, '--entry', 'nope', '--cluster', cluster.seeds, '--pg', db.url]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /--entry: no entry named nope in .*catalog\.yml; entries are products, users, categories/);
    assert.equal((await runCli(['inspect', 'drift', warmlist, '--all', '--sample', '5', '--cluster', cluster.seeds])).code, 2);
  });
});

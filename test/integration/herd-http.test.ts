import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { startRedis, type RedisProcess } from '../harness/redis.js';
import { createTestDatabase, seedCatalogue, type TestDatabase } from '../harness/postgres.js';
import { runCli } from '../harness/cli.js';
import type { HttpDrillResult } from '../../src/core/herd/http-result.js';

/**
 * A small real application (plain cache-aside over the same Redis and PostgreSQL) drilled
 * through HTTP: cachectl invalidates its key and releases the herd at its URL.
 */
describe('herd --url against a running application', () => {
  let redis: RedisProcess;
  let db: TestDatabase;
  let server: http.Server;
  let url: string;

  before(async () => {
    [redis, db] = await Promise.all([startRedis(), createTestDatabase('cachectl_herd_http')]);
    await seedCatalogue(db.pool, 50);
    await db.pool.query('CREATE SEQUENCE app_queries');
    const cache = redis.client();
    server = http.createServer((req, res) => {
      const id = Number(req.url?.split('/').pop());
      const key = `product:${id}`;
      void (async () => {
        try {
          let value = await cache.get(key);
          if (value === null) {
            const { rows } = await db.pool.query("SELECT p.*, nextval('app_queries') AS q, pg_sleep(0.02) FROM products p WHERE id = $1", [id]);
            value = JSON.stringify(rows[0]);
            await cache.set(key, value, 'EX', 60);
          }
          res.writeHead(200, { 'content-type': 'application/json' }).end(value);
        } catch (error) {
          res.writeHead(500).end(String(error));
        }
      })();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/products/5`;
  });
  after(async () => {
    server?.closeAllConnections();
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
    await Promise.all([redis?.stop(), db?.drop()]);
  });

  test('invalidates the key, releases the herd together, and reports statuses, latency and the database load', async () => {
    const queries = async () =>
      Number((await db.pool.query<{ n: string }>('SELECT CASE WHEN is_called THEN last_value ELSE 0 END AS n FROM app_queries')).rows[0]!.n);
    const r = await runCli([
      'herd',
      '--url',
      url,
      '--invalidate',
      'product:5',
      '--clients',
      '60',
      '--rounds',
      '2',
      '--redis',
      `redis://127.0.0.1:${redis.port}`,
      '--pg',
      db.url,
      '--json',
      '--assert',
      'errors==0',
    ]);
    assert.equal(r.code, 0, r.stderr);
    const result = JSON.parse(r.stdout) as HttpDrillResult;
    assert.equal(result.requests, 120);
    assert.deepEqual(result.statuses, { '200': 120 });
    assert.equal(result.errors, 0);
    // Warm-up filled the key once; each invalidation let a stampede through this cache-aside app.
    const appQueries = await queries();
    assert.ok(appQueries >= 1 + 2 * 2, `the app ran only ${appQueries} queries`);
    assert.ok(result.database!.peakActiveQueries >= 1, 'the sampler saw the stampede at the database');
    assert.ok(result.database!.samples > 0);
    assert.equal(await redis.client().exists('cachectl:herd:run:product:5'), 0);
  });

  test('an --assert on a metric an HTTP drill does not measure is a usage error', async () => {
    const r = await runCli(['herd', '--url', url, '--invalidate', 'product:5', '--redis', `redis://127.0.0.1:${redis.port}`, '--assert', 'amplification<=1']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /'amplification' is not measured by an HTTP drill/);
  });
});

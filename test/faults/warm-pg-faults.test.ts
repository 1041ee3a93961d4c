/**
 * PostgreSQL breaking under a running warm, on a server of our own (never the shared one):
 * a restart (retried with backoff, the run completes), an outage (the error budget stops the run
 * with a clear message), and a statement over the statement timeout (that entry ends with its rest named as unread, the
 * rest goes on).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { writeFileSync } from 'node:fs';
import type { Redis } from 'ioredis';
import { runCli } from '../harness/cli.js';
import { seedCatalogue } from '../harness/postgres.js';
import { startPostgresServer, type PostgresServer } from '../harness/pg-server.js';
import { startRedis, waitFor, type RedisProcess } from '../harness/redis.js';
import { PRODUCT_FETCH, productJson, tempDir, writeKeyList } from '../harness/warm-helpers.js';
import { assertNothingLostSilently, failedKeys } from './fault-checks.js';

const N = 3000;
const ids = Array.from({ length: N }, (_, i) => i + 1);

describe('warm through PostgreSQL faults', () => {
  let pg: PostgresServer;
  let redis: RedisProcess;
  let client: Redis;
  let dir: string;
  let keysFile: string;
  let expected: Map<string, string>;
  before(async () => {
    [pg, redis] = await Promise.all([startPostgresServer(), startRedis()]);
    await seedCatalogue(pg.pool, N);
    client = redis.client();
    dir = tempDir();
    keysFile = writeKeyList(
      dir,
      'hot.txt',
      ids.map((id) => `product:${id}`),
    );
    expected = await productJson(pg.pool, ids);
  });
  after(async () => {
    await Promise.all([pg?.destroy(), redis?.stop()]);
  });

  const warm = (...extra: string[]) =>
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
      '--redis',
      `redis://127.0.0.1:${redis.port}`,
      '--pg',
      pg.url,
      '--json',
      '--batch-size',
      '100',
      ...extra,
    ]);

  test('a restart mid-warm: fetches are retried with backoff and the run completes', async () => {
    await client.flushall();
    const failed = join(dir, 'restart-failed.txt');
    const run = warm('--rate', '1500', '--failed-keys', failed, '--log-format', 'json');
    await waitFor(async () => (await client.dbsize()) > N / 5, 'the warm to be under way');
    await pg.restart();
    const r = await run;
    assert.equal(r.code, 0, r.stderr);
    const summary = JSON.parse(r.stdout);
    assert.equal(summary.written, N);
    const retries = r.stderr
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as { event: string; what?: string; error?: string })
      .filter((e) => e.event === 'retry' && e.what === 'postgres');
    assert.ok(retries.length > 0, 'the restart was seen and retried');
    assert.equal(await assertNothingLostSilently(expected, failedKeys(failed), () => client, [client]), 0);
  });

  test('an outage mid-warm: the error budget stops the run with a clear message; Redis holds exactly what was reported', async () => {
    await client.flushall();
    const failed = join(dir, 'outage-failed.txt');
    const run = warm('--rate', '1000', '--failed-keys', failed);
    await waitFor(async () => (await client.dbsize()) > N / 5, 'the warm to be under way');
    await pg.stop();
    try {
      const r = await run;
      assert.equal(r.code, 1, r.stderr);
      const summary = JSON.parse(r.stdout);
      assert.equal(summary.stopped.reason, 'errors');
      assert.match(summary.stopped.detail, /--max-errors/);
      assert.ok(summary.failed > 100, `failed ${summary.failed}`);
      const listed = failedKeys(failed);
      // Every key is accounted for: written, failed, or listed as not attempted after the stop.
      assert.equal(summary.written + summary.failed + summary.notAttempted, N);
      assert.equal(listed.size, summary.failed + summary.notAttempted);
      for (const reason of listed.values()) assert.match(reason, /# (failed: database unavailable: |notAttempted: not attempted: stopped by --max-errors)/);
      // Written keys are in Redis with the right value; failed ones are listed and absent.
      assert.equal(await client.dbsize(), summary.written);
      for (const key of await client.keys('product:*')) {
        assert.equal(await client.get(key), expected.get(key));
        assert.ok(!listed.has(key), `${key} written and listed as failed`);
      }
    } finally {
      await pg.start();
    }
  });

  test('a statement over the statement timeout fails its entry, the other entries are written', async () => {
    await client.flushall();
    const warmlist = join(dir, 'timeouts.yml');
    writeFileSync(
      warmlist,
      [
        'entries:',
        '  - name: slow-report',
        '    tier: 1',
        '    ttl: 10m',
        "    query: SELECT 'report:' || g AS key, 'v' AS value FROM generate_series(1, 100) g WHERE pg_sleep(0.05) IS NOT NULL",
        '  - name: hot',
        '    tier: 2',
        '    ttl: 1h',
        `    keys: ${keysFile}`,
        '    pattern: product:{id}',
        `    fetch: ${PRODUCT_FETCH}`,
        '',
      ].join('\n'),
    );
    const failed = join(dir, 'timeout-failed.txt');
    const r = await runCli([
      'warm',
      warmlist,
      '--statement-timeout',
      '1s',
      '--redis',
      `redis://127.0.0.1:${redis.port}`,
      '--pg',
      pg.url,
      '--json',
      '--failed-keys',
      failed,
    ]);
    assert.equal(r.code, 1, r.stderr);
    const summary = JSON.parse(r.stdout);
    assert.equal(summary.entries['slow-report'].written, 0);
    // The query's rows cannot be listed key by key: its rest is named as unread, with the error
    // (and --failed-keys holds no made-up key that --keys would read back).
    assert.equal(summary.unread.length, 1);
    assert.equal(summary.unread[0].entry, 'slow-report');
    assert.equal(summary.unread[0].rowsRead, 0);
    assert.match(summary.unread[0].error, /statement timeout/);
    assert.match(r.stderr, /PostgreSQL: query slow-report failed after row 0: statement timeout/);
    assert.equal(summary.entries.hot.written, N);
    const listed = failedKeys(failed);
    assert.deepEqual([...listed.keys()], [], 'nothing listed: every key of the key list was written');
    assert.equal((await client.keys('report:*')).length, 0);
    assert.equal(await assertNothingLostSilently(expected, listed, () => client, [client]), 0);
  });
});

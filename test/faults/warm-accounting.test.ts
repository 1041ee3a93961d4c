/**
 * A warm stopped early, with default flags, still accounts for every key: stopped by the error
 * budget (a node refusing writes), by --deadline and by SIGTERM. Checked key by key: each input
 * key is in Redis or in the --failed-keys file, and the summary's counts add up to the input.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import type { Redis } from 'ioredis';
import { runCli } from '../harness/cli.js';
import { createTestDatabase, seedCatalogue, type TestDatabase } from '../harness/postgres.js';
import { startRedis, waitFor, type RedisProcess } from '../harness/redis.js';
import { makeOutOfMemory } from '../harness/faults.js';
import { PRODUCT_FETCH, productJson, tempDir, writeKeyList } from '../harness/warm-helpers.js';
import { failedKeys } from './fault-checks.js';

const N = 6000;
const ids = Array.from({ length: N }, (_, i) => i + 1);

interface Summary {
  written: number;
  skipped: number;
  missing: number;
  invalid: number;
  failed: number;
  notAttempted: number;
  stopped?: { reason: string };
}

/** Every input key is in Redis with its value, or listed; the counts add up to the input. */
async function assertAccounted(
  client: Redis,
  expected: Map<string, string>,
  listed: Map<string, string>,
  summary: Summary,
  notAttemptedReason: RegExp,
): Promise<void> {
  const { written, skipped, missing, invalid, failed, notAttempted } = summary;
  assert.equal(written + skipped + missing + invalid + failed + notAttempted, N, `the counts add up to the input: ${JSON.stringify(summary)}`);
  assert.ok(notAttempted > 0, 'the run stopped before the end of its input');
  let notAttemptedListed = 0;
  for (const [key, value] of expected) {
    const reason = listed.get(key);
    if (reason !== undefined) {
      if (/# notAttempted: /.test(reason)) {
        notAttemptedListed++;
        assert.match(reason, notAttemptedReason);
      }
      continue;
    }
    assert.equal(await client.get(key), value, `${key} is not listed, so it must be in Redis`);
  }
  assert.equal(notAttemptedListed, notAttempted, 'each key not attempted is listed once');
  assert.equal(listed.size, failed + notAttempted + missing + invalid, 'the file lists exactly the keys not written');
}

describe('a warm stopped early accounts for every key', () => {
  let db: TestDatabase;
  let redis: RedisProcess;
  let client: Redis;
  let dir: string;
  let keysFile: string;
  let expected: Map<string, string>;
  before(async () => {
    [db, redis] = await Promise.all([createTestDatabase('ops_faults_accounting'), startRedis()]);
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
  after(async () => Promise.all([redis?.stop(), db?.drop()]));

  const args = (failed: string, ...more: string[]) => [
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
  const underWay = () => waitFor(async () => (await client.keys('product:*')).length > N / 5, 'the warm to be under way');

  test('stopped by the error budget (--max-errors 100): the failed and the not attempted keys are listed', async () => {
    await client.flushall();
    const failed = join(dir, 'budget-failed.txt');
    const run = runCli(args(failed, '--rate', '1500'));
    await underWay();
    const restore = await makeOutOfMemory(redis);
    const r = await run;
    await restore();
    assert.equal(r.code, 1, r.stderr.slice(-1000));
    const summary = JSON.parse(r.stdout) as Summary;
    assert.equal(summary.stopped?.reason, 'errors');
    assert.ok(summary.failed > 100);
    await assertAccounted(client, expected, failedKeys(failed), summary, /not attempted: stopped by --max-errors/);
  });

  test('stopped by --deadline', async () => {
    await client.flushall();
    const failed = join(dir, 'deadline-failed.txt');
    const r = await runCli(args(failed, '--rate', '1500', '--deadline', '2s'));
    assert.equal(r.code, 1, r.stderr.slice(-1000));
    const summary = JSON.parse(r.stdout) as Summary;
    assert.equal(summary.stopped?.reason, 'deadline');
    await assertAccounted(client, expected, failedKeys(failed), summary, /not attempted: stopped by --deadline/);
  });

  test('stopped by SIGTERM', async () => {
    await client.flushall();
    const failed = join(dir, 'sigterm-failed.txt');
    const ctl = new AbortController();
    const run = runCli(args(failed, '--rate', '1500'), { signal: ctl.signal });
    await underWay();
    ctl.abort('SIGTERM');
    const r = await run;
    assert.equal(r.code, 143, r.stderr.slice(-1000));
    const summary = JSON.parse(r.stdout) as Summary;
    assert.equal(summary.stopped?.reason, 'signal');
    await assertAccounted(client, expected, failedKeys(failed), summary, /not attempted: stopped by SIGTERM/);
  });
});

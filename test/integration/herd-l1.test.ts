import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startRedis, type RedisProcess } from '../harness/redis.js';
import { createTestDatabase, seedCatalogue, type TestDatabase } from '../harness/postgres.js';
import { runCli } from '../harness/cli.js';
import type { DrillResult } from '../../src/core/herd/drill-types.js';

/** A local L1 tier in each of 3 real worker processes, in front of real Redis and PostgreSQL. */
describe('herd --l1: a local tier per process', () => {
  let redis: RedisProcess;
  let db: TestDatabase;
  const FETCH = "SELECT p.*, nextval('l1_fetches') AS fetch_no FROM products p WHERE p.id = $1";

  before(async () => {
    [redis, db] = await Promise.all([startRedis(), createTestDatabase('cachectl_l1')]);
    await seedCatalogue(db.pool, 20);
    await db.pool.query('CREATE SEQUENCE l1_fetches');
  });
  after(async () => {
    await Promise.all([redis?.stop(), db?.drop()]);
  });

  async function fetches(): Promise<number> {
    const { rows } = await db.pool.query<{ n: string }>('SELECT CASE WHEN is_called THEN last_value ELSE 0 END AS n FROM l1_fetches');
    return Number(rows[0]!.n);
  }

  test('3 processes: a herd of 90 on a deleted key sends at most 3 origin queries, and none while L1 is warm', async () => {
    const before = await fetches();
    const r = await runCli([
      'herd',
      '--redis',
      `redis://127.0.0.1:${redis.port}`,
      '--pg',
      db.url,
      '--key',
      'product:4',
      '--fetch',
      FETCH,
      '--l1',
      '1000:30s',
      '--processes',
      '3',
      '--clients',
      '30',
      '--strategy',
      'none',
      '--rounds',
      '3',
      '--db-delay',
      '50ms',
      '--json',
    ]);
    assert.equal(r.code, 0, r.stderr);
    const result = JSON.parse(r.stdout) as DrillResult;
    const none = result.reports[0]!;
    const counted = (await fetches()) - before;
    // PostgreSQL's own count: one priming fetch, then the herd.
    assert.equal(counted, 1 + none.originQueries);
    assert.ok(none.originQueries >= 1 && none.originQueries <= 3, `${none.originQueries} origin queries for 3 processes`);
    // Rounds 2 and 3: the key is deleted in Redis again, but every process still has it in L1.
    assert.equal(none.maxPerExpiry, none.originQueries);
    const l1 = none.l1!;
    assert.equal(l1.l1Hits + l1.l2Hits + none.outcomes['miss-recomputed'], 270);
    assert.ok(l1.l1Hits >= 270 - 3, `${l1.l1Hits} L1 hits`);
  });

  test('with --writes, L1 keeps serving the old version after the row changed: counted and timed', async () => {
    const r = await runCli([
      'herd',
      '--redis',
      `redis://127.0.0.1:${redis.port}`,
      '--pg',
      db.url,
      '--key',
      'product:5',
      '--l1',
      '1000:30s',
      '--writes',
      '10',
      '--clients',
      '20',
      '--spread',
      '300ms',
      '--strategy',
      'none',
      '--rounds',
      '3',
      '--db-delay',
      '50ms',
      '--json',
    ]);
    assert.equal(r.code, 0, r.stderr);
    const none = (JSON.parse(r.stdout) as DrillResult).reports[0]!;
    assert.ok(none.race!.writes > 0);
    assert.ok(none.l1!.staleFromL1 > 0, 'reads after a write were served the old version from L1');
    assert.ok(none.l1!.maxStaleFromL1Ms > 0);
    assert.ok(none.l1!.staleFromL1 <= none.race!.staleReads);
  });

  test('--l1 that is not SIZE:TTL is exit 2', async () => {
    const r = await runCli(['herd', '--redis', `redis://127.0.0.1:${redis.port}`, '--pg', db.url, '--key', 'product:6', '--fetch', FETCH, '--l1', '2s']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /--l1: '2s' is not SIZE:TTL, e\.g\. 1000:2s/);
  });
});

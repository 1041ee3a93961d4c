import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startRedis, waitFor, type RedisProcess } from '../harness/redis.js';
import { createTestDatabase, seedCatalogue, type TestDatabase } from '../harness/postgres.js';
import { problemText, runCli } from '../harness/cli.js';
import { spawnCli } from '../harness/spawn-cli.js';
import type { DrillResult } from '../../src/core/herd/drill-types.js';

/**
 * Herds of hundreds of clients on real Redis and PostgreSQL. The fetch bumps a sequence this
 * test owns, so every count below is read from PostgreSQL independently of cachectl's own.
 */
describe('herd drill on real Redis + PostgreSQL', () => {
  let redis: RedisProcess;
  let db: TestDatabase;
  const FETCH = "SELECT p.*, nextval('test_fetches') AS fetch_no FROM products p WHERE p.id = $1";

  before(async () => {
    [redis, db] = await Promise.all([startRedis(), createTestDatabase('cachectl_herd')]);
    await seedCatalogue(db.pool, 100);
    await db.pool.query('CREATE SEQUENCE test_fetches');
  });
  after(async () => {
    await Promise.all([redis?.stop(), db?.drop()]);
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

  test('none: hundreds of clients send many queries per expiry; lock exactly one; coalesce one; the report equals what PostgreSQL counted', async () => {
    const { code, result, counted } = await drill([
      '--key',
      'product:42',
      '--clients',
      '300',
      '--strategy',
      'none,lock,coalesce',
      '--rounds',
      '2',
      '--db-delay',
      '20ms',
    ]);
    assert.equal(code, 0);
    const [none, lock, coalesce] = result.reports;
    // The one priming fetch is outside the rounds; everything else is the herd.
    assert.equal(counted, 1 + none!.originQueries + lock!.originQueries + coalesce!.originQueries);
    assert.equal(result.originSource, 'sequence');
    assert.ok(none!.maxPerExpiry >= 150, `none sent only ${none!.maxPerExpiry} queries for one expiry`);
    assert.equal(lock!.originQueries, 2);
    assert.equal(lock!.maxPerExpiry, 1);
    assert.ok(coalesce!.maxPerExpiry <= 1);
    for (const r of result.reports) {
      assert.equal(r.originQueries, r.originQueriesTool, `${r.strategy}: database and tool disagree`);
      assert.equal(r.requests, 600);
      assert.equal(r.errors, 0);
      assert.equal(r.amplification, r.originQueries / 2);
    }
    assert.equal(none!.peakStampede, 300);
    assert.ok(lock!.lockWaits > 0);
  });

  test('--trigger pexpire with 200 clients: no MaxListenersExceededWarning (every waiting request listens on one signal)', async () => {
    const warnings: string[] = [];
    const onWarning = (w: Error) => warnings.push(`${w.name}: ${w.message}`);
    process.on('warning', onWarning);
    try {
      const { code, result } = await drill([
        '--key',
        'product:43',
        '--trigger',
        'pexpire',
        '--clients',
        '200',
        '--strategy',
        'none,lock',
        '--rounds',
        '2',
        '--db-delay',
        '20ms',
      ]);
      assert.equal(code, 0);
      assert.equal(result.reports.length, 2);
      // Warnings are emitted on the next tick.
      await new Promise((resolve) => setImmediate(resolve));
    } finally {
      process.off('warning', onWarning);
    }
    assert.deepEqual(
      warnings.filter((w) => /MaxListenersExceeded/.test(w)),
      [],
    );
  });

  test('--trigger ttl waiting out a long natural TTL still stops at --max-time with a partial report', async () => {
    const started = Date.now();
    const { result, stderr } = await drill([
      '--key',
      'product:7',
      '--clients',
      '5',
      '--strategy',
      'none',
      '--trigger',
      'ttl',
      '--expire-in',
      '10m',
      '--max-time',
      '1s',
    ]);
    assert.equal(result.interrupted, true);
    assert.match(stderr, /stopped at the time limit/);
    // Without an abortable wait the drill would sit out the 10 minutes before noticing.
    assert.ok(Date.now() - started < 60_000, `took ${Date.now() - started}ms`);
  });

  test('--processes 3: coalesce dedups only inside a process (at most one each), the lock holds across all', async () => {
    const { code, result, counted } = await drill([
      '--key',
      'product:21',
      '--clients',
      '80',
      '--processes',
      '3',
      '--strategy',
      'coalesce,lock',
      '--db-delay',
      '20ms',
    ]);
    assert.equal(code, 0);
    const [coalesce, lock] = result.reports;
    assert.equal(counted, 1 + coalesce!.originQueries + lock!.originQueries);
    assert.ok(coalesce!.originQueries >= 1 && coalesce!.originQueries <= 3, `coalesce sent ${coalesce!.originQueries}`);
    assert.equal(lock!.originQueries, 1);
    for (const r of result.reports) {
      assert.equal(r.requests, 240);
      assert.equal(r.errors, 0);
      assert.equal(r.originQueries, r.originQueriesTool);
    }
  });

  test('the drill leaves the key as it found it and removes its scratch keys and sequence', async () => {
    const c = redis.client();
    await c.set('product:7', 'the app value', 'PX', 600_000);
    const { code } = await drill(['--key', 'product:7', '--clients', '50', '--strategy', 'lock,swr']);
    assert.equal(code, 0);
    assert.equal(await c.get('product:7'), 'the app value');
    const pttl = await c.pttl('product:7');
    assert.ok(pttl > 500_000 && pttl <= 600_000, `ttl ${pttl}`);
    assert.equal(await c.exists('product:7:stale', 'lock:product:7'), 0);
    assert.deepEqual(await c.keys('cachectl:herd:*'), []);
    const ttl = await c.pttl('stampede:product:7');
    assert.ok(ttl > 0, 'the stampede counter always has a TTL');
    const { rows } = await db.pool.query("SELECT relname FROM pg_class WHERE relname LIKE 'cachectl_herd_%'");
    assert.deepEqual(rows, []);
  });

  test('--assert: a breach is exit 1 and names the strategy; holding thresholds are exit 0', async () => {
    const breached = await drill([
      '--key',
      'product:9',
      '--clients',
      '100',
      '--strategy',
      'none,lock',
      '--db-delay',
      '20ms',
      '--assert',
      'amplification<=1.5,errors==0',
    ]);
    assert.equal(breached.code, 1);
    assert.match(breached.stderr, /assert failed: none: amplification<=1\.5/);
    assert.doesNotMatch(breached.stderr, /assert failed: lock/);
    const held = await drill(['--key', 'product:9', '--clients', '100', '--strategy', 'lock', '--assert', 'amplification<=1.5,errors==0']);
    assert.equal(held.code, 0);
  });

  test('Ctrl-C stops the drill with a partial report, exit 130, and the same cleanup', async () => {
    const c = redis.client();
    const abort = new AbortController();
    const running = runCli(
      [
        'herd',
        '--redis',
        `redis://127.0.0.1:${redis.port}`,
        '--pg',
        db.url,
        '--fetch',
        FETCH,
        '--key',
        'product:13',
        '--clients',
        '20',
        '--strategy',
        'none',
        '--rounds',
        '1000',
        '--db-delay',
        '5ms',
      ],
      { signal: abort.signal },
    );
    // The drill is under way once its run marker exists and the key has been written by a round.
    await waitFor(async () => (await c.exists('cachectl:herd:run:product:13')) === 1 && (await c.exists('stampede:product:13')) === 1, 'the drill to start');
    abort.abort('SIGINT');
    const r = await running;
    assert.equal(r.code, 130);
    assert.match(r.stdout, /none\s+\d+/);
    assert.match(r.stdout, /stopped early: partial results/);
    assert.equal(await c.exists('product:13', 'lock:product:13', 'cachectl:herd:run:product:13'), 0);
  });

  test('a drill killed with SIGKILL blocks the next one for seconds, which restores the key and drops the scratch sequence', { timeout: 90_000 }, async () => {
    const c = redis.client();
    await c.set('product:17', 'as the operator left it', 'PX', 3_600_000);
    const scratch = async () => (await db.pool.query("SELECT relname FROM pg_class WHERE relname LIKE 'cachectl_herd_%'")).rows.length;
    const child = spawnCli([
      'herd',
      '--redis',
      `redis://127.0.0.1:${redis.port}`,
      '--pg',
      db.url,
      '--fetch',
      FETCH,
      '--key',
      'product:17',
      '--clients',
      '20',
      '--strategy',
      'none',
      '--rounds',
      '1000',
      '--db-delay',
      '5ms',
    ]);
    const exited = new Promise((resolve) => child.once('exit', resolve));
    await waitFor(
      async () => (await c.exists('cachectl:herd:run:product:17')) === 1 && (await c.exists('stampede:product:17')) === 1,
      'the drill to start',
      30_000,
    );
    assert.ok((await scratch()) > 0, 'the drill made its scratch sequence');
    child.kill('SIGKILL');
    await exited;
    assert.equal(await c.exists('cachectl:herd:restore:product:17'), 1, 'what to restore is recorded in Redis');
    // The dead drill's marker is not renewed any more: it expires within its short TTL.
    await waitFor(async () => (await c.exists('cachectl:herd:run:product:17')) === 0, "the dead drill's marker to expire", 30_000);
    const next = await drill(['--key', 'product:17', '--clients', '5', '--strategy', 'none']);
    assert.equal(next.code, 0, next.stderr);
    assert.match(
      next.stderr,
      /a drill on product:17 \(run [0-9a-f]{8}, started .*\) ended without cleaning up: product:17 restored as it was then, dropped .*cachectl_herd_[0-9a-f]{8}/,
    );
    assert.equal(await c.get('product:17'), 'as the operator left it');
    const pttl = await c.pttl('product:17');
    assert.ok(pttl > 3_000_000 && pttl <= 3_600_000, `its TTL goes on from where it was: ${pttl}`);
    assert.equal(await scratch(), 0, 'no scratch objects left in PostgreSQL');
    assert.equal(await c.exists('cachectl:herd:restore:product:17', 'cachectl:herd:run:product:17'), 0);
  });

  test('a fetch PostgreSQL rejects (no such table, a $1 of the wrong type) is one line and exit 2, and leaves nothing', async () => {
    const c = redis.client();
    const base = ['herd', '--redis', `redis://127.0.0.1:${redis.port}`, '--pg', db.url, '--key', 'product:16', '--clients', '5'];
    const nosuch = await runCli([...base, '--fetch', 'SELECT * FROM nosuch WHERE id = $1']);
    assert.equal(nosuch.code, 2);
    assert.match(problemText(nosuch.stderr), /^cachectl: --fetch: PostgreSQL rejects the query with \$1 = '16': relation "nosuch" does not exist/);
    assert.equal(problemText(nosuch.stderr).trim().split('\n').length, 1);
    const empty = await runCli([...base, '--fetch', FETCH, '--param', '']);
    assert.equal(empty.code, 2);
    assert.match(empty.stderr, /PostgreSQL rejects the query with \$1 = '': invalid input syntax for type bigint/);
    assert.equal(await c.exists('cachectl:herd:run:product:16'), 0);
    const { rows } = await db.pool.query("SELECT relname FROM pg_class WHERE relname LIKE 'cachectl_herd_%'");
    assert.deepEqual(rows, []);
  });

  test('another drill on the same key is refused with exit 75', async () => {
    const c = redis.client();
    await c.set('cachectl:herd:run:product:15', 'someone', 'PX', 60_000);
    const r = await runCli(['herd', '--redis', `redis://127.0.0.1:${redis.port}`, '--pg', db.url, '--fetch', FETCH, '--key', 'product:15', '--clients', '5']);
    assert.equal(r.code, 75);
    assert.match(r.stderr, /another herd drill is running on product:15/);
    assert.equal(await c.get('cachectl:herd:run:product:15'), 'someone');
  });

  test('a drill blocked by a crashed one is told what that one left and who cleans it up', async () => {
    const c = redis.client();
    // A drill that died: its marker has not expired yet, and its restore record is still there.
    await c.set('cachectl:herd:run:product:16', 'deadbeef', 'PX', 60_000);
    await c.set('cachectl:herd:restore:product:16', 'a record', 'PX', 60_000);
    try {
      const r = await runCli(['herd', '--redis', `redis://127.0.0.1:${redis.port}`, '--pg', db.url, '--fetch', FETCH, '--key', 'product:16', '--clients', '5']);
      assert.equal(r.code, 75, r.stderr);
      assert.match(
        r.stderr,
        /another herd drill is running on product:16 \(run deadbeef\); .*lives \d+s past its last renewal.*the next drill restores product:16 from cachectl:herd:restore:product:16 and drops its PostgreSQL scratch objects cachectl_herd_deadbeef\*/,
      );
      assert.equal(await c.get('cachectl:herd:restore:product:16'), 'a record', 'the blocked drill touches nothing');
    } finally {
      await c.del('cachectl:herd:run:product:16', 'cachectl:herd:restore:product:16');
    }
  });
});

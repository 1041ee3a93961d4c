import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { startRedis, type RedisProcess } from '../harness/redis.js';
import { createTestDatabase, seedCatalogue, type TestDatabase } from '../harness/postgres.js';
import { freePort } from '../harness/ports.js';
import { problemText, runCli } from '../harness/cli.js';
import { collect, exitOf, spawnCli } from '../harness/spawn-cli.js';
import { ExitCode } from '../../src/errors.js';
import { STOP_BOUND_MS } from '../../src/adapters/herd/drill.js';
import type { DrillResult } from '../../src/core/herd/drill-types.js';

/**
 * herd against the sandbox's embedded PGlite (its own server script, one query at a time for
 * every connection) and against a real PostgreSQL, and a drill whose database stalls: the
 * process must end within --max-time plus the documented stop bound, also on SIGTERM.
 */
const FETCH = 'SELECT * FROM products WHERE id = $1';
/** Starting node with tsx under load takes seconds of its own; the bound is the drill's. */
const STARTUP_SLACK_MS = 15_000;

async function startPglite(): Promise<{ url: string; child: ChildProcess }> {
  const port = await freePort();
  const script = fileURLToPath(new URL('../../src/adapters/sandbox/pglite-server.ts', import.meta.url));
  const child = spawn(process.execPath, ['--import', 'tsx', script, String(port), '100', '1'], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((resolve, reject) => {
    let text = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      text += chunk.toString();
      if (text.includes('listening')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`pglite-server exited (${code}) before listening`)));
  });
  return { url: `postgres://postgres@127.0.0.1:${port}/postgres`, child };
}

/** Waits until the child's stderr has a line matching `re`. */
function lineOn(child: ChildProcess, re: RegExp): Promise<void> {
  return new Promise((resolve, reject) => {
    let text = '';
    child.stderr?.on('data', (chunk: Buffer) => {
      text += chunk.toString();
      if (re.test(text)) resolve();
    });
    child.once('exit', () => reject(new Error(`exited before ${re}: ${text}`)));
  });
}

describe('herd on the embedded PGlite and on PostgreSQL', () => {
  let redis: RedisProcess;
  let pglite: { url: string; child: ChildProcess };
  let db: TestDatabase;
  const redisFlag = () => ['--redis', `redis://127.0.0.1:${redis.port}`];

  before(async () => {
    [redis, pglite, db] = await Promise.all([startRedis(), startPglite(), createTestDatabase('cachectl_herd_embedded')]);
    await seedCatalogue(db.pool, 100);
  });
  after(async () => {
    pglite?.child.kill('SIGTERM');
    await Promise.all([redis?.stop(), db?.drop(), pglite ? exitOf(pglite.child) : undefined]);
  });

  test('PGlite: the report says what one query at a time does, and pool waits are errors of their own with their own time', async () => {
    const r = await runCli([
      'herd',
      ...redisFlag(),
      '--pg',
      pglite.url,
      '--key',
      'product:7',
      '--fetch',
      FETCH,
      '--clients',
      '60',
      '--pg-pool',
      '2',
      '--db-delay',
      '150ms',
      '--json',
    ]);
    assert.equal(r.code, 0, r.stderr);
    const result = JSON.parse(r.stdout) as DrillResult;
    assert.equal(result.database?.kind, 'pglite');
    assert.equal(result.database?.oneQueryAtATime, true);
    assert.equal(result.database?.maxConnections, 32);
    assert.match(result.database?.caveat ?? '', /one query at a time/);
    const [none] = result.reports;
    // 60 reads of 150ms each, one at a time: far more than the 5s a pool waiter waits.
    assert.ok(none!.errorsBy.poolWait > 0, `no pool-wait errors: ${JSON.stringify(none!.errorsBy)}`);
    assert.equal(none!.errorsBy.database, 0);
    assert.equal(none!.errors, none!.errorsBy.poolWait + none!.errorsBy.database + none!.errorsBy.other);
    // A read that gave up waiting never reached the database: the database's count is the sent ones.
    assert.equal(none!.originQueries + none!.errorsBy.poolWait, 60);
    assert.ok(none!.originTime.poolWait.maxMs >= 4_000, `longest pool wait ${none!.originTime.poolWait.maxMs}ms`);
    assert.ok(none!.originTime.query.p50Ms >= 100, `query time ${none!.originTime.query.p50Ms}ms`);
    assert.match(
      r.stderr,
      /none: \d+ reads? failed: waiting for a pool connection timed out after 5\.0s \(all 2 --pg-pool connections of the process busy\): the query never reached the database/,
    );

    const text = await runCli([
      'herd',
      ...redisFlag(),
      '--pg',
      pglite.url,
      '--key',
      'product:7',
      '--fetch',
      FETCH,
      '--clients',
      '5',
      '--strategy',
      'none,lock',
    ]);
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, /^database: the database is PGlite \(embedded PostgreSQL, as the sandbox runs it\): it runs one query at a time/m);
    assert.match(text.stdout, /^strategy\s+pool wait p50\s+p99\s+max\s+in database p50\s+p99\s+max\s+pool-wait errors\s+database errors$/m);
  });

  test('PGlite: a pool larger than its 32 connections is refused before any client connects (exit 2)', async () => {
    const r = await runCli([
      'herd',
      ...redisFlag(),
      '--pg',
      pglite.url,
      '--key',
      'product:7',
      '--fetch',
      FETCH,
      '--clients',
      '5',
      '--pg-pool',
      '40',
      '--max-time',
      '20s',
    ]);
    assert.equal(r.code, ExitCode.usage);
    assert.match(
      problemText(r.stderr),
      /--pg-pool: the drill would open 44 connections \(40 per process x 1 \+ 4 of its own\), but the embedded PGlite takes at most 32/,
    );
  });

  test('PostgreSQL: the same herd has no caveat, no pool-wait errors, and the time split still there', async () => {
    const r = await runCli([
      'herd',
      ...redisFlag(),
      '--pg',
      db.url,
      '--key',
      'product:7',
      '--fetch',
      FETCH,
      '--clients',
      '60',
      '--pg-pool',
      '8',
      '--db-delay',
      '20ms',
      '--json',
    ]);
    assert.equal(r.code, 0, r.stderr);
    const result = JSON.parse(r.stdout) as DrillResult;
    assert.equal(result.database?.kind, 'server');
    assert.equal(result.database?.oneQueryAtATime, false);
    assert.equal(result.database?.caveat, undefined);
    const [none] = result.reports;
    assert.deepEqual(none!.errorsBy, { poolWait: 0, database: 0, other: 0 });
    assert.equal(none!.originTime.query.count, none!.originQueries);
    assert.ok(none!.originTime.query.p50Ms >= 20);
  });

  test('a stalled database (the fetched table locked) cannot keep the drill past --max-time plus the stop bound', async () => {
    const locker = new pg.Client({ connectionString: db.url });
    await locker.connect();
    try {
      // Connecting works, the fetch's EXPLAIN and every read wait on the lock.
      await locker.query('BEGIN');
      await locker.query('LOCK TABLE products IN ACCESS EXCLUSIVE MODE');
      const started = Date.now();
      const child = spawnCli(['herd', ...redisFlag(), '--pg', db.url, '--key', 'product:8', '--fetch', FETCH, '--clients', '20', '--max-time', '2s']);
      const stderr = collect(child.stderr);
      const { code } = await exitOf(child);
      const took = Date.now() - started;
      assert.ok(took < 2_000 + STOP_BOUND_MS + STARTUP_SLACK_MS, `took ${took}ms: ${stderr()}`);
      assert.match(stderr(), /stopped at the time limit \(2000ms\)/);
      assert.match(stderr(), /the database had not answered 2s after the stop: dropped the drill's PostgreSQL connections/);
      assert.notEqual(code, null);
    } finally {
      await locker.query('ROLLBACK').catch(() => undefined);
      await locker.end();
    }
  });

  test('SIGTERM ends a drill whose reads wait on a stalled database promptly, with exit 143', async () => {
    const locker = new pg.Client({ connectionString: db.url });
    await locker.connect();
    try {
      const child = spawnCli([
        'herd',
        ...redisFlag(),
        '--pg',
        db.url,
        '--key',
        'product:9',
        '--fetch',
        FETCH,
        '--clients',
        '20',
        '--db-delay',
        '10ms',
        '--rounds',
        '50',
        '--max-time',
        '10m',
      ]);
      const stderr = collect(child.stderr);
      // The first round ran; lock the table under the next ones, then ask the drill to stop.
      await lineOn(child, /none round 1:/);
      await locker.query('BEGIN');
      await locker.query('LOCK TABLE products IN ACCESS EXCLUSIVE MODE');
      const signalled = Date.now();
      child.kill('SIGTERM');
      const { code } = await exitOf(child);
      const took = Date.now() - signalled;
      assert.ok(took < STOP_BOUND_MS + 3_000, `took ${took}ms after SIGTERM: ${stderr()}`);
      assert.equal(code, ExitCode.terminated, stderr());
    } finally {
      await locker.query('ROLLBACK').catch(() => undefined);
      await locker.end();
    }
  });
});

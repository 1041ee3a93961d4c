/**
 * describeDatabase (what kind of database a drill's origin is) against a real PostgreSQL: the
 * facts it reads, and a connection it could not open leaves none checked out behind it.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { describeDatabase } from '../../src/adapters/herd/database-facts.js';
import { createTestDatabase, type TestDatabase } from '../harness/postgres.js';

let db: TestDatabase;
before(async () => {
  db = await createTestDatabase('dbfacts');
});
after(async () => {
  await db?.drop();
});

test('describeDatabase reads a real server: not PGlite, two sessions, its max_connections', async () => {
  const facts = await describeDatabase(db.pool, { pgPoolSize: 2, processes: 1, controlConnections: 1 });
  const max = Number((await db.pool.query<{ m: string }>("SELECT current_setting('max_connections') AS m")).rows[0]?.m);
  assert.equal(facts.maxConnections, max);
  assert.equal(facts.kind, 'server');
  assert.equal(facts.oneQueryAtATime, false);
  assert.match(facts.version, /PostgreSQL/);
});

test('describeDatabase: when only one of its two connections opens, that one goes back (pool.end() does not wait for it)', async () => {
  // A pool of one: the second connection waits for the first and gives up after 300 ms.
  const pool = new pg.Pool({ connectionString: db.url, max: 1, connectionTimeoutMillis: 300 });
  pool.on('error', () => undefined);
  await assert.rejects(describeDatabase(pool, { pgPoolSize: 1, processes: 1, controlConnections: 1 }), /timeout exceeded when trying to connect/);
  assert.equal(pool.totalCount - pool.idleCount, 0, 'a client is still checked out');
  await pool.end();
});

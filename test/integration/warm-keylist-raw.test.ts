/**
 * The key-list fetch read as offsets (RawRowsQuery, PgWarmSource.fetchBytes) against the driver's
 * own row path (fetch), on a real PostgreSQL: for every column type either path can meet, the
 * value bytes fetchBytes hands out, or the rows it falls back to, are what fetch gives; a server
 * error in the middle of the rows is the driver's error, with its SQLSTATE; and the connection
 * goes back to the pool healthy (the socket handed back to the driver) after each.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createTestDatabase, type TestDatabase } from '../harness/postgres.js';
import { checkOut, createPgPool } from '../../src/adapters/postgres/pool.js';
import { PgWarmSource } from '../../src/adapters/postgres/warm-source.js';
import { parsePattern } from '../../src/core/warm/pattern.js';
import { matchRows } from '../../src/core/warm/batch.js';
import { matchByteValueRows } from '../../src/core/warm/key-match.js';
import type { FetchedRows } from '../../src/core/warm/ports.js';
import { RawRowsQuery } from '../../src/adapters/postgres/raw-rows.js';
import { arrayLiteral } from '../../src/adapters/postgres/quote.js';
import { createHash } from 'node:crypto';
import type { WarmEntry } from '../../src/core/warm/types.js';

let db: TestDatabase;
const N = 3000;

before(async () => {
  db = await createTestDatabase('warm_keylist_raw');
  await db.pool.query(`CREATE TABLE t (
    id bigint PRIMARY KEY, small int NOT NULL, code text NOT NULL, u uuid NOT NULL,
    body text, vc varchar(300), ch char(12), js json, jb jsonb, n numeric, f float8, ts timestamptz)`);
  // Multi-byte, control characters, RESP framing, empty, NULL, and a few values over 1 MB (a
  // DataRow split over many socket reads).
  await db.pool.query(`INSERT INTO t
    SELECT g, g % 30000, 'c-' || g || '-€', md5(g::text)::uuid,
      CASE WHEN g % 97 = 0 THEN NULL WHEN g % 89 = 0 THEN '' WHEN g % 500 = 1 THEN repeat('€', 400000)
           ELSE 'v' || g || ' ünï 😀 ' || chr(1) || E'\\r\\n*3\\r\\n' END,
      'vc' || g, 'ch' || (g % 10), json_build_object('id', g, 'x', 'a  b'), jsonb_build_object('id', g, 'n', g * 1.5),
      g / 7.0, g / 3.0, timestamptz '2026-01-01' + g * interval '1 second'
    FROM generate_series(1, ${N}) g`);
});
after(async () => db?.drop());

function entryFor(fetch: string, pattern = 'item:{id}'): WarmEntry {
  return {
    name: 'items',
    tier: 1,
    ttlMs: 60_000,
    jitter: 0,
    format: 'string',
    onlyMissing: false,
    origin: {},
    source: { kind: 'keys', keysFile: 'k.txt', pattern: parsePattern(pattern), fetch },
  } as WarmEntry;
}

/**
 * What each key gets from a fetch, as the bytes written (the row path's value as UTF-8, the byte
 * path's span), shown as length and digest so a failure does not print megabytes; 'none': no row.
 */
function valuesOf(entry: WarmEntry, keys: string[], params: string[][], fetched: FetchedRows): string[] {
  if (entry.source.kind !== 'keys') throw new Error('key entry');
  const single = params.length === 1 ? params[0] : undefined;
  const digest = (b: Buffer) => `${b.length}:${createHash('sha1').update(b).digest('hex')}`;
  const bytes = fetched.bytes;
  if (!bytes) {
    const values = matchRows(entry.source.pattern, keys, fetched.rows, fetched.shape, 'string', single);
    return Array.from(values, (v) => (v === undefined ? 'none' : digest(Buffer.from(v as string, 'utf8'))));
  }
  // The engine's own matching (on the key column's bytes where it can), against the row path's strings.
  const rowOf = matchByteValueRows(entry.source.pattern, keys, params, bytes, fetched.shape);
  return Array.from(rowOf, (r) => {
    if (r < 0) return 'none';
    const at = bytes.valueSpans[2 * r] as number;
    const length = Math.max(0, bytes.valueSpans[2 * r + 1] as number);
    return digest((bytes.chunkList[bytes.chunkOf[r] as number] as Buffer).subarray(at, at + length));
  });
}

const cases: { name: string; fetch: string; pattern?: string; param: (id: number) => string[]; bytes: boolean }[] = [
  { name: 'text value, bigint key', fetch: 'SELECT id, body AS value FROM t WHERE id = ANY($1::bigint[])', param: (id) => [String(id)], bytes: true },
  {
    name: 'varchar value, int key',
    fetch: 'SELECT small AS id, vc AS value FROM t WHERE small = ANY($1::int[])',
    param: (id) => [String(id % 30000)],
    bytes: true,
  },
  { name: 'char(n) value keeps its padding', fetch: 'SELECT id, ch AS value FROM t WHERE id = ANY($1::bigint[])', param: (id) => [String(id)], bytes: true },
  {
    name: 'text key with multi-byte text',
    fetch: 'SELECT code, body AS value FROM t WHERE code = ANY($1)',
    pattern: 'item:{code}',
    param: (id) => [`c-${id}-€`],
    bytes: true,
  },
  { name: 'uuid key', fetch: 'SELECT u, vc AS value FROM t WHERE u = ANY($1::uuid[])', pattern: 'item:{u}', param: (id) => [md5uuid(id)], bytes: true },
  {
    name: 'ASCII text key (matched on its bytes)',
    fetch: "SELECT c AS code, body AS value FROM (SELECT replace(code, '€', 'e') AS c, body FROM t) s WHERE c = ANY($1)",
    pattern: 'item:{code}',
    param: (id) => [`c-${id}-e`],
    bytes: true,
  },
  {
    // The database matches 07 to 7, the row says 7: no row for the key, on both paths.
    name: 'bigint key given with a leading zero',
    fetch: 'SELECT id, body AS value FROM t WHERE id = ANY($1::bigint[])',
    param: (id) => [id % 7 === 0 ? `0${id}` : String(id)],
    bytes: true,
  },
  {
    name: 'two key columns',
    fetch: 'SELECT id, code, body AS value FROM t WHERE id = ANY($1::bigint[]) AND code = ANY($2)',
    pattern: 'item:{id}:{code}',
    param: (id) => [String(id), `c-${id}-€`],
    bytes: true,
  },
  {
    name: 'json value (the driver parses it): rows',
    fetch: 'SELECT id, js AS value FROM t WHERE id = ANY($1::bigint[])',
    param: (id) => [String(id)],
    bytes: false,
  },
  { name: 'jsonb value: rows', fetch: 'SELECT id, jb AS value FROM t WHERE id = ANY($1::bigint[])', param: (id) => [String(id)], bytes: false },
  {
    name: 'no value column (a row of numbers and a date as JSON): rows',
    fetch: 'SELECT id, small, n, f, ts FROM t WHERE id = ANY($1::bigint[])',
    param: (id) => [String(id)],
    bytes: false,
  },
];

function md5uuid(id: number): string {
  // Computed in SQL for the fixture; the same here via a lookup done once.
  return uuids.get(id) ?? '00000000-0000-0000-0000-000000000000';
}
const uuids = new Map<number, string>();

test('fetchBytes gives every key the value fetch gives it, for every column type, bytes where the value is text', async () => {
  const { rows } = await db.pool.query<{ id: string; u: string }>('SELECT id::text, u::text FROM t');
  for (const r of rows) uuids.set(Number(r.id), r.u);
  const pool = createPgPool({ url: db.url, max: 2 });
  try {
    const source = new PgWarmSource(pool, { cursorRows: 100, statementTimeoutMs: 30_000, retries: 0, retryBaseMs: 1, emit: () => undefined });
    // Ids that exist, the large values among them, and some that do not (no row).
    // Ids listed twice get their value at both places.
    const ids = [...Array.from({ length: 1200 }, (_, i) => i * 2 + 1), N + 5, N + 6, 1, 7, N + 5];
    for (const c of cases) {
      const entry = entryFor(c.fetch, c.pattern);
      const perKey = ids.map(c.param);
      const params = perKey[0]!.map((_, p) => perKey.map((k) => k[p] as string));
      const keys = perKey.map((k) => `item:${k.join(':')}`);
      const viaRows = await source.fetch(entry, params, keys.length);
      const viaBytes = await source.fetchBytes(entry, params, keys.length);
      assert.equal(viaBytes.bytes !== undefined, c.bytes, `${c.name}: values as bytes`);
      assert.equal(viaRows.bytes, undefined);
      if (viaBytes.bytes && params.length === 1 && entry.source.kind === 'keys') {
        // Every one-column key here is text, an integer or a uuid: matched on its bytes.
        const column = viaBytes.shape.names.indexOf(entry.source.pattern.params[0] as string);
        assert.ok(viaBytes.bytes.textSpans(column), `${c.name}: the key column's bytes are its text`);
      }
      const expected = valuesOf(entry, keys, params, viaRows);
      assert.ok(expected.filter((v) => v !== 'none').length >= 1000, `${c.name}: rows came back`);
      assert.deepEqual(valuesOf(entry, keys, params, viaBytes), expected, c.name);
    }
  } finally {
    await pool.end();
  }
});

test('a server error after some rows is the driver error with its SQLSTATE, and the connection serves the next query', async () => {
  const pool = createPgPool({ url: db.url, max: 1 });
  // Rows go out until id 2500's division by zero: DataRows first, then the ErrorResponse.
  // (No ORDER BY: a sort would compute every row, and fail, before sending the first.)
  const failing = 'SELECT id, (10 / (id - 2500))::text AS value FROM t WHERE id = ANY($1::bigint[])';
  const good = 'SELECT id, body AS value FROM t WHERE id = ANY($1::bigint[])';
  const ids = Array.from({ length: N }, (_, i) => String(i + 1));
  try {
    const client = await pool.connect();
    try {
      const raw = new RawRowsQuery(failing, [arrayLiteral(ids)]);
      client.query(raw);
      await assert.rejects(raw.done, (error: Error & { code?: string }) => error.code === '22012' && /division by zero/.test(error.message));
      assert.ok(raw.rows.count > 0, 'rows came before the error');
      // The socket is the driver's again: its own queries and another raw one work on it.
      assert.equal((await client.query('SELECT 41 + 1 AS n')).rows[0].n, 42);
      const again = new RawRowsQuery(good, [arrayLiteral(ids)]);
      client.query(again);
      await again.done;
      assert.equal(again.rows.count, N);
      assert.deepEqual(
        again.fields.map((f) => f.name),
        ['id', 'value'],
      );
    } finally {
      client.release();
    }
    // Through the source: the key that makes the error is isolated, as fetch does it.
    const source = new PgWarmSource(pool, { cursorRows: 100, statementTimeoutMs: 30_000, retries: 0, retryBaseMs: 1, emit: () => undefined });
    const isolated = await source.fetchBytes(entryFor(failing), [ids], ids.length);
    assert.deepEqual(
      isolated.invalid.map((x) => ids[x.index]),
      ['2500'],
    );
    assert.match(isolated.invalid[0]?.reason ?? '', /division by zero \(SQLSTATE 22012\)/);
  } finally {
    await pool.end();
  }
});

test('the backend terminated mid-fetch (FATAL, then the socket ends): the fetch rejects at once and nothing escapes as an unhandled error', async () => {
  const pool = createPgPool({ url: db.url, max: 1 });
  try {
    // Checked out as the source does (checkOut): the socket's end after the FATAL message has a listener.
    const { client, release } = await checkOut(pool);
    const pid = (await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
    const raw = new RawRowsQuery('SELECT g AS id, pg_sleep(0.01)::text AS value FROM generate_series(1, 500) g WHERE g = ANY($1::int[]) OR true', [
      arrayLiteral(['1']),
    ]);
    client.query(raw);
    // Expected before the terminate is sent: its FATAL message may reach this client before the
    // terminating query's own reply, and a rejection nobody is waiting for yet fails the process.
    const rejected = assert.rejects(raw.done, /terminating connection due to administrator command/);
    // Terminated from another connection while rows are still coming.
    await new Promise((resolve) => setTimeout(resolve, 300));
    await db.pool.query('SELECT pg_terminate_backend($1)', [pid]);
    await rejected;
    release(true);
    await new Promise((resolve) => setTimeout(resolve, 200));
    assert.equal((await pool.query('SELECT 1 AS one')).rows[0].one, 1, 'the pool serves a new connection');
  } finally {
    await pool.end();
  }
});

test('a checked-out client whose backend is terminated while it is out does not end the process (checkOut), and goes back broken', async () => {
  const pool = createPgPool({ url: db.url, max: 1 });
  try {
    const { client, release } = await checkOut(pool);
    const pid = (await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
    const ended = new Promise((resolve) => client.once('end', resolve));
    // Between two queries: the FATAL message and the socket's end reach an idle, checked-out client.
    await db.pool.query('SELECT pg_terminate_backend($1)', [pid]);
    await ended;
    release(false);
    const again = await pool.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
    assert.notEqual(again.rows[0]!.pid, pid, 'the broken client was not handed out again');
  } finally {
    await pool.end();
  }
});

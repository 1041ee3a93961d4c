/**
 * Keys the database rejects (a value that does not cast), against a real PostgreSQL: each bad key is
 * isolated and reported with PostgreSQL's own message, every good key of the batch still comes
 * back, and the connections stay open (a failed query used to cost a new connection each time).
 * Speed is measured in test/bench/bad-keys.ts, not here.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createPgPool } from '../../src/adapters/postgres/pool.js';
import { PgWarmSource } from '../../src/adapters/postgres/warm-source.js';
import { parsePattern } from '../../src/core/warm/pattern.js';
import type { WarmEntry } from '../../src/core/warm/types.js';
import { FailedKeysFile } from '../../src/adapters/files/failed-keys-file.js';
import { createTestDatabase, seedCatalogue, type TestDatabase } from '../harness/postgres.js';
import { PRODUCT_FETCH } from '../harness/warm-helpers.js';

let db: TestDatabase;
before(async () => {
  db = await createTestDatabase('warm_bad_keys');
  await seedCatalogue(db.pool, 300);
});
after(async () => db?.drop());

const entry: WarmEntry = {
  name: 'products',
  tier: 1,
  ttlMs: 60_000,
  jitter: 0,
  format: 'string',
  onlyMissing: false,
  origin: {},
  source: { kind: 'keys', keysFile: 'k.txt', pattern: parsePattern('product:{id}'), fetch: PRODUCT_FETCH },
};

test('bad keys in a batch are isolated without a new connection per failed query, and the good ones come back', async () => {
  const pool = createPgPool({ url: db.url, max: 2 });
  let connections = 0;
  pool.on('connect', () => connections++);
  try {
    const source = new PgWarmSource(pool, { cursorRows: 100, statementTimeoutMs: 30_000, retries: 0, retryBaseMs: 1, emit: () => undefined });
    // 200 ids, every 5th one not a number (40 bad keys), two of them the same bad value.
    const ids = Array.from({ length: 200 }, (_, i) => (i % 5 === 4 ? `x${i}` : String(i + 1)));
    ids[199] = 'x4';
    const fetched = await source.fetch(entry, [ids], ids.length);
    const bad = ids.flatMap((id, i) => (id.startsWith('x') ? [i] : []));
    assert.deepEqual(
      fetched.invalid.map((x) => x.index).sort((a, b) => a - b),
      bad,
    );
    for (const x of fetched.invalid) assert.match(x.reason, new RegExp(`^invalid input syntax for type bigint: "${ids[x.index]}" \\(SQLSTATE 22P02\\)$`));
    const got = fetched.rows.map((r) => String(r[0])).sort();
    assert.deepEqual(got, ids.filter((id) => !id.startsWith('x')).sort(), 'every good key of the batch has its row');
    assert.ok(connections <= 2, `${connections} connections opened for ${bad.length} bad keys (one per failed query before)`);
  } finally {
    await pool.end();
  }
});

test('a rejection that names no value (division by zero) is isolated by halving the batch: only the bad keys fail, in few queries', async () => {
  const pool = createPgPool({ url: db.url, max: 2 });
  let queries = 0;
  pool.on('connect', (client) => {
    const own = client.query.bind(client) as (...args: unknown[]) => unknown;
    (client as unknown as { query: (...args: unknown[]) => unknown }).query = (...args: unknown[]) => {
      queries++;
      return own(...args);
    };
  });
  try {
    const source = new PgWarmSource(pool, { cursorRows: 100, statementTimeoutMs: 30_000, retries: 0, retryBaseMs: 1, emit: () => undefined });
    // PostgreSQL says only "division by zero": nothing in the message points at the key.
    const divide: WarmEntry = {
      ...entry,
      source: {
        kind: 'keys',
        keysFile: 'k.txt',
        pattern: parsePattern('product:{id}'),
        fetch: 'SELECT id, (100 / (id % 97))::text AS value FROM unnest($1::bigint[]) id',
      },
    };
    const ids = Array.from({ length: 256 }, (_, i) => String(i + 1));
    const fetched = await source.fetch(divide, [ids], ids.length);
    assert.deepEqual(fetched.invalid.map((x) => ids[x.index]).sort(), ['194', '97']);
    for (const x of fetched.invalid) assert.match(x.reason, /^division by zero \(SQLSTATE 22012\)$/);
    assert.equal(fetched.rows.length, 254, 'every other key of the batch has its row');
    // Halving: about 2 x log2(256) queries per bad key, not one per key of the batch.
    assert.ok(queries > 1 && queries <= 40, `${queries} queries for 2 bad keys in 256`);
  } finally {
    await pool.end();
  }
});

test('a failed-keys file whose writes fail later reports how many keys it could not list, and never throws', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'cachectl-failed-keys-'));
  try {
    const file = await FailedKeysFile.open(join(dir, 'failed.txt'), dir);
    const fail = (key: string) => file.listener({ type: 'keyFailed', entry: 'e', key, kind: 'missing', reason: 'no row for this key' });
    fail('product:1');
    assert.equal(await file.close(), undefined);
    assert.match(readFileSync(join(dir, 'failed.txt'), 'utf8'), /^product:1\t# missing: no row for this key \[e\]$/m);
    // /dev/full accepts the open and refuses every write: caught when the file is opened, before the warm writes anything.
    await assert.rejects(FailedKeysFile.open('/dev/full', dir), /cannot write the failed-keys file \(ENOSPC\); nothing was written to the cache/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

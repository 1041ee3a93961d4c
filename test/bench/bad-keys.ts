/**
 * `node --import tsx test/bench/bad-keys.ts [good] [bad]`: the cost of keys the database rejects.
 * Warms `good` existing product keys mixed with `bad` keys whose id does not cast to bigint
 * (`product:x<n>`, SQLSTATE 22P02), on servers of its own, and prints the wall time and the
 * number of fetch queries PostgreSQL ran (pg_stat_database.xact_commit + xact_rollback).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../harness/cli.js';
import { createTestDatabase, seedCatalogue } from '../harness/postgres.js';
import { startRedis } from '../harness/redis.js';

const good = Number(process.argv[2] ?? 2000);
const bad = Number(process.argv[3] ?? 500);
const FETCH = 'SELECT id, row_to_json(p)::text AS value FROM products p WHERE id = ANY($1::bigint[])';

const [db, redis] = await Promise.all([createTestDatabase('bench_bad_keys'), startRedis()]);
const dir = mkdtempSync(join(tmpdir(), 'cachectl-bench-bad-'));
try {
  await seedCatalogue(db.pool, good);
  // Bad keys spread evenly through the list, as a typo'd export would have them.
  const lines: string[] = [];
  const every = Math.max(1, Math.floor((good + bad) / Math.max(1, bad)));
  let b = 0;
  for (let i = 1, g = 1; g <= good || b < bad; i++) {
    if (b < bad && i % every === 0) lines.push(`product:x${++b}`);
    else if (g <= good) lines.push(`product:${g++}`);
    else lines.push(`product:x${++b}`);
  }
  const file = join(dir, 'keys.txt');
  writeFileSync(file, lines.join('\n') + '\n');
  const queries = async () =>
    Number((await db.pool.query<{ n: string }>('SELECT xact_commit + xact_rollback AS n FROM pg_stat_database WHERE datname = current_database()')).rows[0]?.n);
  const before = await queries();
  const started = performance.now();
  const r = await runCli([
    'warm',
    '--keys',
    file,
    '--pattern',
    'product:{id}',
    '--fetch',
    FETCH,
    '--ttl',
    '1h',
    '--redis',
    `redis://127.0.0.1:${redis.port}`,
    '--pg',
    db.url,
    '--json',
    '--no-lock',
  ]);
  const ms = performance.now() - started;
  // pg_stat counters are flushed by the backend at the end of a transaction, at most every 500 ms (PG 15: 1 s).
  await new Promise((resolve) => setTimeout(resolve, 1200));
  const s = JSON.parse(r.stdout) as { written: number; invalid: number };
  console.log(
    JSON.stringify({ good, bad, exitCode: r.code, written: s.written, invalid: s.invalid, wallMs: Math.round(ms), pgTransactions: (await queries()) - before }),
  );
} finally {
  await Promise.all([redis.stop(), db.drop()]);
  rmSync(dir, { recursive: true, force: true });
}

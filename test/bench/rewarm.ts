/**
 * `node --import tsx test/bench/rewarm.ts [keys]`: what a cron rewarm of a warm cache costs.
 * Warms `keys` product keys, deletes 1% of them, then runs `--only-missing` and `--refresh-below 10m`
 * and prints, for each, the wall time and how many ids PostgreSQL was asked for (a logging fetch).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../harness/cli.js';
import { createTestDatabase, seedCatalogue } from '../harness/postgres.js';
import { startRedis } from '../harness/redis.js';

const n = Number(process.argv[2] ?? 100_000);
const [db, redis] = await Promise.all([createTestDatabase('bench_rewarm'), startRedis()]);
const dir = mkdtempSync(join(tmpdir(), 'cachectl-bench-rewarm-'));
try {
  await seedCatalogue(db.pool, n);
  await db.pool.query('CREATE TABLE fetch_log (id bigint)');
  await db.pool.query(`CREATE FUNCTION logged_fetch(ids bigint[]) RETURNS TABLE (id bigint, value text) LANGUAGE plpgsql AS $$
    BEGIN INSERT INTO fetch_log SELECT unnest(ids); RETURN QUERY SELECT p.id, row_to_json(p)::text FROM products p WHERE p.id = ANY(ids); END $$`);
  const file = join(dir, 'keys.txt');
  writeFileSync(file, Array.from({ length: n }, (_, i) => `product:${i + 1}`).join('\n') + '\n');
  const run = async (label: string, ...extra: string[]) => {
    await db.pool.query('TRUNCATE fetch_log');
    const started = performance.now();
    const r = await runCli([
      'warm',
      '--keys',
      file,
      '--pattern',
      'product:{id}',
      '--fetch',
      'SELECT id, value FROM logged_fetch($1::bigint[])',
      '--ttl',
      '1h',
      '--redis',
      `redis://127.0.0.1:${redis.port}`,
      '--pg',
      db.url,
      '--json',
      '--no-lock',
      ...extra,
    ]);
    const ms = Math.round(performance.now() - started);
    const s = JSON.parse(r.stdout) as { written: number; skipped: number };
    const asked = Number((await db.pool.query<{ n: string }>('SELECT count(*) AS n FROM fetch_log')).rows[0]?.n);
    console.log(JSON.stringify({ run: label, exitCode: r.code, written: s.written, skipped: s.skipped, idsFetched: asked, wallMs: ms }));
  };
  await run('full warm');
  const client = redis.client();
  for (let i = 1; i <= n; i += 100) await client.del(`product:${i}`);
  await run('--only-missing', '--only-missing');
  await run('--refresh-below 10m', '--refresh-below', '10m');
} finally {
  await Promise.all([redis.stop(), db.drop()]);
  rmSync(dir, { recursive: true, force: true });
}

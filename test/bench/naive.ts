/**
 * The naive warm the reference guide shows (`warm_cache_on_startup`): for each key, one SELECT
 * and one SETEX, one after the other. Written plainly with pg and ioredis, as an application
 * would, so "cachectl / naive" compares like with like.
 */
import pg from 'pg';
import { Cluster, Redis } from 'ioredis';
import type { Topology } from './servers.js';

export async function naiveWarm(
  pgUrl: string,
  topology: Topology,
  ids: number,
  ttlSeconds = 86_400,
): Promise<{ keys: number; failed: number; seconds: number }> {
  const db = new pg.Client({ connectionString: pgUrl });
  db.on('error', () => undefined);
  await db.connect();
  const redis =
    topology.name === 'cluster'
      ? new Cluster(topology.ports.map((port) => ({ host: '127.0.0.1', port })))
      : new Redis({ host: '127.0.0.1', port: topology.ports[0] });
  redis.on('error', () => undefined);
  try {
    await redis.ping();
    const started = process.hrtime.bigint();
    let written = 0;
    let failed = 0;
    for (let id = 1; id <= ids; id++) {
      try {
        const r = await db.query<{ payload: string }>('SELECT payload FROM bench_products WHERE id = $1', [id]);
        const row = r.rows[0];
        if (!row) throw new Error(`no row ${id}`);
        await redis.setex(`product:${id}`, ttlSeconds, row.payload);
        written++;
      } catch {
        failed++;
      }
    }
    return { keys: written, failed, seconds: Number(process.hrtime.bigint() - started) / 1e9 };
  } finally {
    await db.end();
    redis.disconnect();
  }
}

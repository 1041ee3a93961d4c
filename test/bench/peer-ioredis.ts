/**
 * The warm a team writes by hand: a pg cursor (DECLARE / FETCH 2000), and for each row
 * `SET key value PX ttl` through the ioredis Cluster client with enableAutoPipelining, a batch's
 * promises awaited together. `node --import tsx peer-ioredis.ts <pg url> <seeds> <sql>`.
 */
import pg from 'pg';
import { Cluster } from 'ioredis';

const [url, seeds, sql] = process.argv.slice(2) as [string, string, string];
const db = new pg.Client({ connectionString: url });
await db.connect();
const cluster = new Cluster(
  seeds.split(',').map((s) => ({ host: s.slice(0, s.lastIndexOf(':')), port: Number(s.slice(s.lastIndexOf(':') + 1)) })),
  { enableAutoPipelining: true },
);
await cluster.ping();
const started = process.hrtime.bigint();
let written = 0;
await db.query('BEGIN READ ONLY');
await db.query(`DECLARE warm NO SCROLL CURSOR FOR ${sql}`);
for (;;) {
  const { rows } = await db.query<{ key: string; value: string }>('FETCH FORWARD 2000 FROM warm');
  if (rows.length === 0) break;
  await Promise.all(rows.map((row) => cluster.set(row.key, row.value, 'PX', 3_600_000)));
  written += rows.length;
}
await db.query('COMMIT');
const seconds = Number(process.hrtime.bigint() - started) / 1e9;
process.stdout.write(`written ${written} in ${seconds.toFixed(3)} s\n`);
await db.end();
cluster.disconnect();

/**
 * The least a streamed warm into a cluster can be in node: cachectl's own binary COPY reader
 * (copyByteBatches) and RESP encoder, and nothing of its engine or writer. Rows go from the COPY
 * batch straight into the owning master's pipeline (bare-lanes.ts). What cachectl's CPU per key
 * costs beyond this is the cost of its guarantees (tickets, outcomes, retries, redirects, failover
 * holds, the restart journal, progress, checkpoint, summary). Not a tool: a floor for the bench.
 *
 * The bench bundles it (esbuild), so it starts as one script, as bin/cachectl does.
 * `node bare-warm.mjs <pg url> <seed host:port> <sql> <ttl ms>`; prints `{ written, errors }`.
 */
import pg from 'pg';
import { planCopy, copyByteBatches } from '../../src/adapters/postgres/copy-stream.js';
import { BareLanes } from './bare-lanes.js';

const [url, seed, sql, ttl] = process.argv.slice(2) as [string, string, string, string];
const pool = new pg.Pool({ connectionString: url, max: 2 });
pool.on('error', () => undefined);
const lanes = await BareLanes.open(seed, Number(ttl));
try {
  const plan = await planCopy(pool, sql);
  if (!plan) throw new Error('the query is not one the binary COPY path takes');
  for await (const batch of copyByteBatches(pool, plan, 2000, 60_000, new AbortController().signal)) {
    const s = batch.spans;
    for (let r = 0; r < batch.count; r++) {
      const chunk = batch.chunks[r] as Buffer;
      const keyAt = s[4 * r] as number;
      const keyLength = s[4 * r + 1] as number;
      const node = lanes.topology.nodeIndexOfBytes(chunk, keyAt, keyLength);
      lanes.set(node, chunk, keyAt, keyLength, undefined, s[4 * r + 2] as number, Math.max(0, s[4 * r + 3] as number));
    }
    await lanes.room();
  }
  process.stdout.write(`${JSON.stringify(await lanes.finish())}\n`);
} finally {
  lanes.close();
  await pool.end();
}

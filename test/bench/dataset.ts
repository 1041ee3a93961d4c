/**
 * The products dataset: `bench_products(id, payload)` with payload a JSON document of about
 * 180 bytes, loaded into the benchmark's own database, plus the key list of all its ids.
 */
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import type pg from 'pg';

/** The JSON of product `g` (a SQL expression over an integer `g`): about 180 bytes. */
export const PAYLOAD_SQL = `json_build_object('id', g, 'sku', 'SKU-' || lpad(g::text, 8, '0'), 'name', 'Product number ' || g,
  'price_cents', 100 + (g * 37) % 10000, 'currency', 'EUR', 'category', 'cat-' || (1 + g % 20), 'stock', g % 500, 'updated_at', '2026-01-01T00:00:00Z')::text`;

/** cachectl's two ways of reading it. */
export const FETCH_SQL = 'SELECT id, payload AS value FROM bench_products WHERE id = ANY($1::bigint[])';
export const STREAM_SQL = "SELECT 'product:' || id AS key, payload AS value FROM bench_products";
/** The same rows for PostgreSQL's own speed (COPY ... TO STDOUT). */
export const COPY_SQL = `COPY (${STREAM_SQL}) TO STDOUT`;

/** Streamed rows that need no table: for the 10M-key memory-flatness run. */
export function generatedStreamSql(n: number): string {
  return `SELECT 'flat:' || g AS key, ${PAYLOAD_SQL} AS value FROM generate_series(1, ${Math.floor(n)}) g`;
}

export async function loadProducts(pool: pg.Pool, n: number): Promise<{ avgPayloadBytes: number }> {
  await pool.query('CREATE TABLE bench_products (id bigint PRIMARY KEY, payload text NOT NULL)');
  // In chunks, so a 10M load does not build one giant transaction.
  const chunk = 1_000_000;
  for (let start = 1; start <= n; start += chunk) {
    const end = Math.min(n, start + chunk - 1);
    await pool.query(`INSERT INTO bench_products (id, payload) SELECT g, ${PAYLOAD_SQL} FROM generate_series($1::int, $2::int) g`, [start, end]);
  }
  await pool.query('VACUUM ANALYZE bench_products');
  const r = await pool.query<{ avg: string }>('SELECT avg(length(payload))::text AS avg FROM (SELECT payload FROM bench_products LIMIT 10000) s');
  return { avgPayloadBytes: Number(r.rows[0]?.avg ?? 0) };
}

/** product:1 .. product:n, one key per line, for `cachectl warm --keys` with --pattern product:{id}. */
export async function writeKeyList(file: string, n: number, from = 1): Promise<void> {
  const out = createWriteStream(file);
  const step = 10_000;
  for (let start = from; start < from + n; start += step) {
    const end = Math.min(from + n, start + step);
    let text = '';
    for (let id = start; id < end; id++) text += `product:${id}\n`;
    if (!out.write(text)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
}

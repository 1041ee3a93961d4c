/**
 * The least a key-list warm into a cluster can be in node, as bare-warm.ts is for streams: the
 * key file read in chunks and cut into lines, a key's id the text after the pattern's prefix,
 * `= ANY($1)` fetches of 2,000 ids, 4 at once, through cachectl's own raw-row reader
 * (RawRowsQuery), rows matched to ids on their bytes (matchRowIndexesOnBytes), and each value
 * written with bare-lanes.ts. No key rules, reporting of missing keys, retries, tickets, journal,
 * progress or summary. Not a tool: a floor for the bench.
 *
 * `node bare-keylist.mjs <pg url> <seed host:port> <key file> <key prefix> <fetch sql> <ttl ms>`;
 * prints `{ written, errors, missing }`.
 */
import { createReadStream } from 'node:fs';
import pg from 'pg';
import { RawRowsQuery } from '../../src/adapters/postgres/raw-rows.js';
import { arrayLiteral } from '../../src/adapters/postgres/quote.js';
import { matchRowIndexesOnBytes } from '../../src/core/warm/key-match.js';
import { BareLanes } from './bare-lanes.js';

const [url, seed, file, prefix, sql, ttl] = process.argv.slice(2) as [string, string, string, string, string, string];
const BATCH = 2000;
const FETCHES = 4;
const pool = new pg.Pool({ connectionString: url, max: FETCHES });
pool.on('error', () => undefined);
const lanes = await BareLanes.open(seed, Number(ttl));
let missing = 0;

async function warmBatch(keys: string[]): Promise<void> {
  const ids = keys.map((k) => k.slice(prefix.length));
  const client = await pool.connect();
  let query: RawRowsQuery;
  try {
    query = new RawRowsQuery(sql, [arrayLiteral(ids)], ids.length);
    client.query(query);
    await query.done;
  } finally {
    client.release();
  }
  const { rows } = query;
  const rowOf = matchRowIndexesOnBytes(ids, rows.count, rows.chunkList, rows.chunkOf, rows.columnSpans(0)) as Int32Array;
  const values = rows.columnSpans(1);
  for (let i = 0; i < keys.length; i++) {
    const r = rowOf[i] as number;
    if (r < 0) {
      missing++;
      continue;
    }
    const key = keys[i] as string;
    lanes.set(lanes.topology.nodeIndexOf(key), rows.chunk(r), 0, 0, key, values[2 * r] as number, Math.max(0, values[2 * r + 1] as number));
  }
  await lanes.room();
}

let running = 0;
let freed: (() => void) | undefined;
const started = new Set<Promise<void>>();
function start(keys: string[]): void {
  running++;
  const p = warmBatch(keys).finally(() => {
    running--;
    started.delete(p);
    freed?.();
  });
  started.add(p);
}

try {
  let keys: string[] = [];
  let carry = '';
  for await (const chunk of createReadStream(file, { highWaterMark: 64 * 1024 }) as AsyncIterable<Buffer>) {
    const text = carry + chunk.toString('latin1');
    let at = 0;
    let nl: number;
    while ((nl = text.indexOf('\n', at)) >= 0) {
      if (nl > at) keys.push(text.slice(at, nl));
      at = nl + 1;
      if (keys.length === BATCH) {
        while (running >= FETCHES) await new Promise<void>((resolve) => (freed = resolve));
        start(keys);
        keys = [];
      }
    }
    carry = text.slice(at);
  }
  if (carry) keys.push(carry);
  if (keys.length > 0) start(keys);
  await Promise.all(started);
  process.stdout.write(`${JSON.stringify({ ...(await lanes.finish()), missing })}\n`);
} finally {
  lanes.close();
  await pool.end();
}

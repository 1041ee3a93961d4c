/**
 * Streams a warm query as binary COPY (`COPY (SELECT key, value ...) TO STDOUT (FORMAT binary)`)
 * when its columns allow it: PostgreSQL then sends rows continuously instead of one cursor read
 * at a time, and decoding is a fraction of the driver's per-row cost (see pg-binary-copy.ts).
 *
 * The statement timeout keeps its cursor meaning (see copy-watchdog.ts): the COPY runs with
 * PostgreSQL's own timeout off, and cachectl cancels it when a batch's worth of rows takes longer.
 */
import type pg from 'pg';
import { ByteRowBatch } from './pg-binary-copy.js';
import { CopyOut } from './copy-out.js';
import { rowShape, type RowShape } from '../../core/warm/values.js';
import { cancelBackend, CopyWatchdog } from './copy-watchdog.js';
import { checkOut } from './pool.js';

/** Text-like types whose binary form is their text bytes: the value is sent as it is. */
const TEXT_TYPES = new Set([25 /* text */, 1043 /* varchar */, 1042 /* bpchar */, 19 /* name */]);
/** Key types whose text output is what the driver's row path would give: cast to text in SQL. */
const CAST_KEY_TYPES = new Set([20 /* int8 */, 21 /* int2 */, 23 /* int4 */, 1700 /* numeric */, 2950 /* uuid */]);

export interface CopyPlan {
  /** The COPY statement: key and value, in that order, as text bytes. */
  copySql: string;
}

/**
 * The COPY plan for a query whose result has one `key` and one `value` column of types the
 * binary path reproduces exactly; undefined otherwise (the cursor path handles everything).
 */
export async function planCopy(pool: pg.Pool, sql: string): Promise<CopyPlan | undefined> {
  const described = await pool.query({ text: `SELECT * FROM (${sql}) AS cachectl_q LIMIT 0`, rowMode: 'array' });
  const key = described.fields.filter((f) => f.name === 'key');
  const value = described.fields.filter((f) => f.name === 'value');
  if (key.length !== 1 || value.length !== 1) return undefined;
  const keyType = (key[0] as { dataTypeID: number }).dataTypeID;
  const valueType = (value[0] as { dataTypeID: number }).dataTypeID;
  if (!TEXT_TYPES.has(valueType)) return undefined;
  const keyExpr = TEXT_TYPES.has(keyType) ? 'cachectl_q.key' : CAST_KEY_TYPES.has(keyType) ? 'cachectl_q.key::text' : undefined;
  if (!keyExpr) return undefined;
  return { copySql: `COPY (SELECT ${keyExpr}, cachectl_q.value FROM (${sql}) AS cachectl_q) TO STDOUT (FORMAT binary)` };
}

export const COPY_SHAPE: RowShape = rowShape(['key', 'value']);

/** Thrown when the stall watchdog cancelled the COPY. */
export class CopyStalledError extends Error {
  readonly code = '57014';
  constructor(rows: number, ms: number) {
    super(`PostgreSQL produced fewer than ${rows} rows in ${ms}ms (canceling statement due to statement timeout)`);
    this.name = 'CopyStalledError';
  }
}

/**
 * Runs the COPY on its own pooled connection and yields batches of about `rows` rows, as offsets
 * into the COPY's chunks. Stops
 * (and cancels the COPY) when the consumer stops early or `signal` aborts; when it returns, the
 * statement is over on the server, not just abandoned.
 */
export async function* copyByteBatches(pool: pg.Pool, plan: CopyPlan, rows: number, stallMs: number, signal: AbortSignal): AsyncGenerator<ByteRowBatch> {
  const { client, release } = await checkOut(pool);
  let copy: CopyOut | undefined;
  let pid: number | undefined;
  let finished = false;
  try {
    await client.query('BEGIN READ ONLY');
    // The watchdog bounds each batch's worth of rows; PostgreSQL's own timeout would bound the whole stream.
    await client.query('SET LOCAL statement_timeout = 0');
    pid = (await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]?.pid;
    copy = new CopyOut(plan.copySql);
    // The driver runs it when its turn comes; its rows and outcome are read through fill().
    client.query(copy);
    const watchdog = new CopyWatchdog(pool, pid, rows, stallMs);
    let batch = new ByteRowBatch(rows + 512);
    for (;;) {
      if (signal.aborted) return;
      const before = batch.count;
      let more: boolean;
      try {
        more = await watchdog.guard(copy.fill(batch, rows));
      } catch (error) {
        throw watchdog.stalled ? new CopyStalledError(rows, stallMs) : error;
      }
      watchdog.received(batch.count - before);
      if (batch.count >= rows || (!more && batch.count > 0)) {
        yield batch;
        batch = new ByteRowBatch(rows + 512);
      }
      if (!more) break;
    }
    await client.query('COMMIT');
    finished = true;
  } finally {
    const healthy = finished || (await stopCopy(client, pool, pid, copy));
    release(!healthy);
  }
}

/** How long a cancelled COPY may take to end before its connection is dropped regardless. */
const STOP_LIMIT_MS = 5_000;

/**
 * Stopped early or failed: cancel on the server, read on until the cancel is answered (a backend
 * blocked on a full socket acts on it only once it can write), and roll back. True when the
 * connection is fit to go back to the pool.
 */
async function stopCopy(client: pg.PoolClient, pool: pg.Pool, pid: number | undefined, copy: CopyOut | undefined): Promise<boolean> {
  await cancelBackend(pool, pid);
  if (copy && !(await copy.discard(STOP_LIMIT_MS, new ByteRowBatch(16)))) return false;
  try {
    await client.query('ROLLBACK');
    return true;
  } catch {
    return false;
  }
}

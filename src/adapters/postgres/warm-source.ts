/**
 * PostgreSQL side of a warm: batched `= ANY($n)` fetches for key lists (splitting a batch to
 * isolate keys the database rejects), cursor streams for queries, retries of transient
 * errors with backoff, and the planner's row estimate for the progress bar.
 * Keys only ever travel as bound array parameters.
 */
import type pg from 'pg';
import { pgDriver } from './pg-driver.js';
import { FetchError, type ByteRows, type FetchedRows, type RowSourcePort } from '../../core/warm/ports.js';
import { rowShape, type RowShape } from '../../core/warm/values.js';
import type { WarmEntry } from '../../core/warm/types.js';
import type { WarmEventListener } from '../../core/warm/events.js';
import { sleep } from '../../core/warm/semaphore.js';
import { backoffMs } from '../../core/backoff.js';
import { classifyPgError, pgMessage } from './pg-errors.js';
import { copyByteBatches, COPY_SHAPE, planCopy, type CopyPlan } from './copy-stream.js';
import type { ByteRowBatch } from './pg-binary-copy.js';
import { countBeforeQuery, resumeQuery } from '../../core/run/query-wrap.js';
import { arrayLiteral } from './quote.js';
import { RawRowsQuery } from './raw-rows.js';
import { checkOut } from './pool.js';

/**
 * Column types the driver's default parsers hand back as the text itself (int8 after a regex test
 * per row): taken as they come. Every other type keeps the driver's parser (int4 as a number, json,
 * dates...), since a row without a `value` column is written as JSON, where 5 and "5" differ.
 */
const AS_IS_TYPES = new Set([25 /* text */, 1043 /* varchar */, 1042 /* bpchar */, 19 /* name */, 20 /* int8 */, 2950 /* uuid */]);
const asIs = (text: string): string => text;
const KEY_FETCH_TYPES = {
  getTypeParser: (oid: number, format?: string) => (AS_IS_TYPES.has(oid) && format !== 'binary' ? asIs : pgDriver.types.getTypeParser(oid, format as 'text')),
};

export interface PgSourceOptions {
  cursorRows: number;
  /** Longest stall of a streamed query while rows are awaited (its reads' statement timeout). */
  statementTimeoutMs: number;
  retries: number;
  retryBaseMs: number;
  emit: WarmEventListener;
}

export class PgWarmSource implements RowSourcePort {
  constructor(
    private readonly pool: pg.Pool,
    private readonly options: PgSourceOptions,
  ) {}

  async fetch(entry: WarmEntry, params: string[][], keyCount: number): Promise<FetchedRows> {
    if (entry.source.kind !== 'keys') throw new Error('fetch() needs a key-list entry');
    return this.fetchKeys(entry, entry.source.fetch, params, allIndices(keyCount));
  }

  /** fetch, its rows read as offsets (raw-rows.ts); a batch the database rejects is isolated as rows. */
  async fetchBytes(entry: WarmEntry, params: string[][], keyCount: number): Promise<FetchedRows> {
    if (entry.source.kind !== 'keys') throw new Error('fetchBytes() needs a key-list entry');
    const sql = entry.source.fetch;
    try {
      return await this.withRetry(entry, keyCount, () => this.queryKeyBytes(sql, params));
    } catch (error) {
      // Rejected input: the bad keys are isolated through the row path (rare; their rows are few).
      return this.isolate(entry, sql, params, allIndices(keyCount), error);
    }
  }

  /**
   * Fetches the keys at these indices of the batch. When the database rejects the input, the keys
   * it rejects are isolated: first the keys whose value PostgreSQL names in its message (`invalid
   * input syntax for type bigint: "x1"`) are split off and checked on their own, so each bad key
   * costs about two queries; otherwise the keys are halved until the bad ones are alone.
   */
  private async fetchKeys(entry: WarmEntry, sql: string, params: string[][], indices: number[]): Promise<FetchedRows> {
    const all = indices.length === (params[0]?.length ?? 0);
    const values = all ? params : params.map((p) => indices.map((i) => p[i] as string));
    try {
      const result = await this.withRetry(entry, indices.length, () =>
        this.onClient((client) => client.query({ text: sql, values: values.map(arrayLiteral), rowMode: 'array', types: KEY_FETCH_TYPES })),
      );
      return { rows: result.rows as unknown[][], shape: rowShape(result.fields.map((f) => f.name)), invalid: [] };
    } catch (error) {
      return this.isolate(entry, sql, params, indices, error);
    }
  }

  /** After `error` on the keys at `indices`: a database error stays one; rejected input is split until the bad keys are alone. */
  private async isolate(entry: WarmEntry, sql: string, params: string[][], indices: number[], error: unknown): Promise<FetchedRows> {
    const kind = classifyPgError(error);
    if (kind !== 'input') throw asFetchError(error, kind);
    if (indices.length === 1) return { rows: [], shape: rowShape([]), invalid: [{ index: indices[0] as number, reason: pgMessage(error) }] };
    const named = namedValues(error);
    const suspects = named.length > 0 ? indices.filter((i) => params.some((p) => named.includes(p[i] as string))) : [];
    const [a, b] =
      suspects.length > 0 && suspects.length < indices.length
        ? [suspects, indices.filter((i) => !suspects.includes(i))]
        : [indices.slice(0, Math.ceil(indices.length / 2)), indices.slice(Math.ceil(indices.length / 2))];
    const x = await this.fetchKeys(entry, sql, params, a);
    const y = await this.fetchKeys(entry, sql, params, b);
    return { rows: x.rows.concat(y.rows), shape: x.shape.names.length > 0 ? x.shape : y.shape, invalid: x.invalid.concat(y.invalid) };
  }

  private async queryKeyBytes(sql: string, values: string[][]): Promise<FetchedRows> {
    const query = await this.onClient(async (client) => {
      const raw = new RawRowsQuery(sql, values.map(arrayLiteral), values[0]?.length);
      client.query(raw);
      return raw.done;
    });
    return fetchedOf(query);
  }

  /**
   * One fetch on a connection of its own. pool.query() would close the connection on any error, so
   * each rejected batch half would open a new one (~13 ms here); a data error leaves the connection
   * healthy, and only a connection-level failure discards it.
   */
  private async onClient<T>(work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    // With a listener of its own (checkOut): a FATAL message right after the fetch's last reply
    // (a server shutting down) would otherwise end the process.
    const { client, release } = await checkOut(this.pool);
    let broken = false;
    try {
      return await work(client);
    } catch (error) {
      const code = (error as { code?: unknown }).code;
      broken = typeof code !== 'string' || !/^[0-9A-Z]{5}$/.test(code) || classifyPgError(error) === 'transient';
      throw error;
    } finally {
      release(broken);
    }
  }

  async *stream(entry: WarmEntry, skipRows: number, signal: AbortSignal, afterKey?: string): AsyncIterable<{ rows: unknown[][]; shape: RowShape }> {
    for await (const batch of this.streamBytes(entry, skipRows, signal, afterKey)) {
      if ('rows' in batch) yield batch;
      else yield { rows: (batch.bytes as ByteRowBatch).textRows(), shape: COPY_SHAPE };
    }
  }

  async *streamBytes(entry: WarmEntry, skipRows: number, signal: AbortSignal, afterKey?: string): AsyncIterable<Batch> {
    if (entry.source.kind !== 'query') throw new Error('stream() needs a query entry');
    const resumed = afterKey !== undefined;
    const sql = resumed ? resumeQuery(stripSemicolon(entry.source.sql)) : stripSemicolon(entry.source.sql);
    const values = resumed ? [afterKey] : undefined;
    // Binary COPY where the columns allow it (key and value, text values, string format); else a
    // cursor. A resumed query takes the cursor: COPY has no parameters, and the key is never spliced.
    const plan = entry.format === 'string' && !resumed ? await planCopy(this.pool, sql).catch(() => undefined) : undefined;
    let yielded = 0;
    let attempt = 0;
    for (;;) {
      try {
        // Rows already handed out (or done in a previous run) are read again and dropped.
        const batches: AsyncIterable<Batch> = plan ? this.copyRows(plan, signal) : this.cursorBatches(sql, signal, values);
        for await (const batch of dropFirst(batches, skipRows + yielded)) {
          attempt = 0;
          yielded += batchRows(batch);
          yield batch;
        }
        return;
      } catch (error) {
        const kind = classifyPgError(error);
        if (kind !== 'transient' || attempt >= this.options.retries || signal.aborted) throw asFetchError(error, kind);
        attempt++;
        const delayMs = backoffMs(this.options.retryBaseMs, attempt);
        this.options.emit({ type: 'retry', scope: 'postgres', entry: entry.name, attempt, delayMs, reason: pgMessage(error), keys: 0 });
        await sleep(delayMs, signal);
      }
    }
  }

  private async *copyRows(plan: CopyPlan, signal: AbortSignal): AsyncGenerator<Batch> {
    for await (const bytes of copyByteBatches(this.pool, plan, this.options.cursorRows, this.options.statementTimeoutMs, signal)) yield { bytes };
  }

  /**
   * Streams a query through a server-side cursor: DECLARE once, then FETCH FORWARD n. Each
   * FETCH is its own statement, so the statement timeout bounds every read (a protocol-level
   * portal would be timed as one statement from its first row to its last, and a long
   * stream would be cancelled however healthy).
   */
  private async *cursorBatches(sql: string, signal: AbortSignal, values?: unknown[]): AsyncGenerator<{ rows: unknown[][]; shape: RowShape }> {
    const { client, release } = await checkOut(this.pool);
    let broken = false;
    // A cursor lives in a transaction: one snapshot for the whole stream, and servers that
    // multiplex sessions (the sandbox's embedded PGlite) keep the cursor apart from other queries.
    try {
      await client.query('BEGIN READ ONLY');
      await client.query({ text: `DECLARE cachectl_warm NO SCROLL CURSOR FOR ${sql}`, ...(values ? { values } : {}) });
    } catch (error) {
      release(true);
      throw error;
    }
    const n = this.options.cursorRows;
    const fetch = () => readCursor(client, n);
    let pending: Promise<{ rows: unknown[][]; names: string[] }> | undefined = fetch();
    try {
      while (pending) {
        const { rows, names }: { rows: unknown[][]; names: string[] } = await pending;
        pending = rows.length === n && !signal.aborted ? fetch() : undefined;
        // Prefetch the next batch (above) while this one is being written.
        pending?.catch(() => undefined);
        if (rows.length > 0) yield { rows, shape: rowShape(names) };
      }
    } catch (error) {
      broken = true;
      throw error;
    } finally {
      if (pending) await pending.catch(() => undefined);
      try {
        if (!broken) {
          await client.query('CLOSE cachectl_warm');
          await client.query('COMMIT');
        }
      } catch {
        broken = true;
      }
      release(broken);
    }
  }

  async countBefore(entry: WarmEntry, key: string): Promise<number> {
    if (entry.source.kind !== 'query') throw new Error('countBefore() needs a query entry');
    const sql = countBeforeQuery(stripSemicolon(entry.source.sql));
    try {
      const result = await this.withRetry(entry, 0, () => this.pool.query<{ n: string }>({ text: sql, values: [key] }));
      return Number(result.rows[0]?.n ?? 0);
    } catch (error) {
      throw asFetchError(error, classifyPgError(error));
    }
  }

  async estimate(entry: WarmEntry): Promise<number | undefined> {
    if (entry.source.kind !== 'query') return undefined;
    if (entry.source.count !== undefined) return entry.source.count;
    try {
      const result = await this.pool.query<{ 'QUERY PLAN': [{ Plan: { 'Plan Rows': number } }] }>(`EXPLAIN (FORMAT JSON) ${stripSemicolon(entry.source.sql)}`);
      const rows = result.rows[0]?.['QUERY PLAN'][0]?.Plan['Plan Rows'];
      return typeof rows === 'number' ? rows : undefined;
    } catch {
      return undefined;
    }
  }

  private async withRetry<T>(entry: WarmEntry, keys: number, work: () => Promise<T>): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await work();
      } catch (error) {
        if (classifyPgError(error) !== 'transient' || attempt >= this.options.retries) throw error;
        const delayMs = backoffMs(this.options.retryBaseMs, attempt + 1);
        this.options.emit({ type: 'retry', scope: 'postgres', entry: entry.name, attempt: attempt + 1, delayMs, reason: pgMessage(error), keys });
        await sleep(delayMs);
      }
    }
  }
}

type Batch = { rows: unknown[][]; shape: RowShape } | { bytes: ByteRows };

function batchRows(batch: Batch): number {
  return 'rows' in batch ? batch.rows.length : batch.bytes.count;
}

/** The batches without their first `n` rows: rows already handed out, read again after a retry or a resume. */
async function* dropFirst(batches: AsyncIterable<Batch>, n: number): AsyncGenerator<Batch> {
  let left = n;
  for await (const batch of batches) {
    const count = batchRows(batch);
    if (left >= count) {
      left -= count;
      continue;
    }
    if (left > 0) yield 'rows' in batch ? { rows: batch.rows.slice(left), shape: batch.shape } : { bytes: (batch.bytes as ByteRowBatch).from(left) };
    else yield batch;
    left = 0;
  }
}

/** The values PostgreSQL quotes in an input error (`... for type bigint: "x1"`): candidates for the bad key. */
function namedValues(error: unknown): string[] {
  const message = error instanceof Error ? error.message : '';
  const out = new Set<string>();
  const greedy = /"(.*)"/s.exec(message)?.[1];
  if (greedy !== undefined) out.add(greedy);
  for (const m of message.matchAll(/"([^"]*)"/g)) out.add(m[1] as string);
  return [...out];
}

function readCursor(client: pg.PoolClient, n: number): Promise<{ rows: unknown[][]; names: string[] }> {
  return client
    .query<unknown[]>({ text: `FETCH FORWARD ${n} FROM cachectl_warm`, rowMode: 'array' })
    .then((result) => ({ rows: result.rows, names: result.fields.map((f) => f.name) }));
}

/** Text-like value types: their text bytes are what the row path writes for them. */
const TEXT_VALUE_TYPES = new Set([25 /* text */, 1043 /* varchar */, 1042 /* bpchar */, 19 /* name */]);

/**
 * Column types whose text bytes are exactly String() of what the fetch's parsers give: the as-is
 * types, and int2/int4, which come back as numbers whose decimal form is the server's text.
 */
const BYTES_ARE_TEXT_TYPES = new Set([...AS_IS_TYPES, 21 /* int2 */, 23 /* int4 */]);

/** A raw fetch as the engine takes it: the values as bytes when the value column is text, else rows as the driver makes them. */
function fetchedOf(query: RawRowsQuery): FetchedRows {
  const { rows, fields } = query;
  const shape = rowShape(fields.map((f) => f.name));
  const parsers = fields.map((f) => KEY_FETCH_TYPES.getTypeParser(f.dataTypeID, 'text'));
  const cell = (r: number, c: number): unknown => {
    const text = rows.text(r, c);
    return text === null ? null : (parsers[c] as (text: string) => unknown)(text);
  };
  const valueType = shape.valueIndex >= 0 ? fields[shape.valueIndex]?.dataTypeID : undefined;
  if (valueType === undefined || !TEXT_VALUE_TYPES.has(valueType)) {
    const out: unknown[][] = new Array(rows.count);
    for (let r = 0; r < rows.count; r++) {
      const row: unknown[] = new Array(fields.length);
      for (let c = 0; c < fields.length; c++) row[c] = cell(r, c);
      out[r] = row;
    }
    return { rows: out, shape, invalid: [] };
  }
  const textSpans = (column: number): Int32Array | undefined => {
    const type = fields[column]?.dataTypeID;
    return type !== undefined && BYTES_ARE_TEXT_TYPES.has(type) ? rows.columnSpans(column) : undefined;
  };
  const bytes = { count: rows.count, chunkList: rows.chunkList, chunkOf: rows.chunkOf, valueSpans: rows.columnSpans(shape.valueIndex), cell, textSpans };
  return { rows: [], bytes, shape, invalid: [] };
}

function allIndices(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i);
}

function asFetchError(error: unknown, kind: string): FetchError {
  const prefix = kind === 'timeout' ? 'statement timeout: ' : kind === 'transient' ? 'database unavailable: ' : '';
  return new FetchError(prefix + pgMessage(error), kind === 'transient');
}

export function stripSemicolon(sql: string): string {
  return sql.trim().replace(/;+\s*$/, '');
}

/**
 * Turns fetched rows into write batches: rows matched back to their keys, values extracted
 * and size-checked, TTLs jittered, stale copies added. Pure; columnar arrays, no per-key objects.
 */
import { renderKey, type KeyPattern } from './pattern.js';
import { jitteredTtl } from './ttl.js';
import { valueBytes } from './validate.js';
import { valueOf, type RowShape } from './values.js';
import { KEY_IN_KEYS, type Ticket, type WriteBatch } from './ports.js';
import type { WarmEntry } from './types.js';

/** `bytes`: the batch also takes byte items (pushByteWrite). */
export function newWriteBatch(entry: WarmEntry, bytes = false): WriteBatch {
  return {
    ...(bytes ? { chunks: [], spans: [] } : {}),
    keys: [],
    values: [],
    ttls: [],
    stale: [],
    tickets: [],
    format: entry.format,
    onlyMissing: entry.onlyMissing,
    ...(entry.refreshBelowMs !== undefined ? { refreshBelowMs: [] } : {}),
  };
}

/**
 * Adds a key (and its stale copy when the entry asks for one) to a batch. The value is `value`,
 * or, with `chunk`, the bytes chunk[valueAt, +valueLength) of a key-list fetch (then `value` is
 * '' and the batch was made with `bytes`); a streamed row's key and value: see pushByteWrite.
 */
export function pushWrite(
  batch: WriteBatch,
  entry: WarmEntry,
  ticket: Ticket,
  key: string,
  value: string | string[],
  staleSuffix: string,
  random: () => number,
  chunk?: Buffer,
  valueAt = 0,
  valueLength = 0,
): void {
  const ttl = entry.ttlMs === null ? -1 : jitteredTtl(entry.ttlMs, entry.jitter, random);
  const below = entry.refreshBelowMs;
  pushOne(batch, ticket, key, value, ttl, false, below, chunk, valueAt, valueLength);
  if (entry.staleMs !== undefined) {
    const staleBelow = below === undefined ? undefined : below + entry.staleMs;
    pushOne(batch, ticket, key + staleSuffix, value, ttl < 0 ? -1 : ttl + entry.staleMs, true, staleBelow, chunk, valueAt, valueLength);
  }
}

function pushOne(
  batch: WriteBatch,
  ticket: Ticket,
  key: string,
  value: string | string[],
  ttl: number,
  stale: boolean,
  below: number | undefined,
  chunk: Buffer | undefined,
  valueAt: number,
  valueLength: number,
): void {
  batch.keys.push(key);
  batch.values.push(value);
  batch.ttls.push(ttl);
  batch.stale.push(stale);
  batch.tickets.push(ticket);
  batch.refreshBelowMs?.push(below as number);
  if (chunk) {
    (batch.chunks as (Buffer | null)[]).push(chunk);
    (batch.spans as number[]).push(0, KEY_IN_KEYS, valueAt, valueLength);
  }
  ticket.remaining++;
}

/**
 * Adds a key and value given as bytes, chunk[keyAt, +keyLength) and chunk[valueAt, +valueLength)
 * (a streamed row), to a batch made with `bytes`. Only for entries without stale copies or
 * refresh-below (byteRowsFit): the key is never made a string.
 */
export function pushByteWrite(
  batch: WriteBatch,
  entry: WarmEntry,
  ticket: Ticket,
  chunk: Buffer,
  keyAt: number,
  keyLength: number,
  valueAt: number,
  valueLength: number,
  random: () => number,
): void {
  batch.keys.push('');
  batch.values.push('');
  batch.ttls.push(entry.ttlMs === null ? -1 : jitteredTtl(entry.ttlMs, entry.jitter, random));
  batch.stale.push(false);
  batch.tickets.push(ticket);
  (batch.chunks as (Buffer | null)[]).push(chunk);
  (batch.spans as number[]).push(keyAt, keyLength, valueAt, valueLength);
  ticket.remaining++;
}

/**
 * The write batch of `count` streamed byte rows that all passed their checks, in one allocation
 * per column: the rows' chunks and spans are taken over as they are (the rows are not used
 * after), the other columns filled at their length. Building it row by row with pushByteWrite
 * allocated about 290 bytes a key in growing arrays, a third of a streamed warm's garbage. A
 * NULL value (length -1) is made empty in the spans, as pushByteWrite writes it.
 */
export function byteRowsBatch(entry: WarmEntry, ticket: Ticket, chunks: readonly Buffer[], spans: Int32Array, count: number, random: () => number): WriteBatch {
  const ttls = new Array<number>(count);
  if (entry.ttlMs === null) ttls.fill(-1);
  else if (entry.jitter <= 0) ttls.fill(entry.ttlMs);
  else for (let r = 0; r < count; r++) ttls[r] = jitteredTtl(entry.ttlMs, entry.jitter, random);
  for (let r = 0; r < count; r++) if ((spans[4 * r + 3] as number) < 0) spans[4 * r + 3] = 0;
  ticket.remaining += count;
  return {
    keys: new Array<string>(count).fill(''),
    values: new Array<string>(count).fill(''),
    ttls,
    stale: new Array<boolean>(count).fill(false),
    tickets: new Array<Ticket>(count).fill(ticket),
    format: entry.format,
    onlyMissing: entry.onlyMissing,
    chunks: chunks.length === count ? chunks : chunks.slice(0, count),
    spans,
  };
}

/**
 * The write batch of a key-list fetch whose values are bytes, for an entry that writes one item
 * per key (byteRowsFit): columns allocated once at the batch's size, filled in order, cut to the
 * keys added at the end. pushWrite's growing arrays allocated about 220 bytes a key.
 */
export class ByteValueBatch {
  private readonly batch: WriteBatch;
  private readonly spans: Int32Array;
  private n = 0;

  constructor(
    private readonly entry: WarmEntry,
    capacity: number,
  ) {
    this.spans = new Int32Array(4 * capacity);
    this.batch = {
      keys: new Array<string>(capacity),
      values: new Array<string>(capacity).fill(''),
      ttls: new Array<number>(capacity),
      stale: new Array<boolean>(capacity).fill(false),
      tickets: new Array<Ticket>(capacity),
      format: entry.format,
      onlyMissing: entry.onlyMissing,
      chunks: new Array<Buffer>(capacity),
      spans: this.spans,
    };
  }

  /** Key `key`, its value chunk[valueAt, +valueLength). */
  add(ticket: Ticket, key: string, chunk: Buffer, valueAt: number, valueLength: number, random: () => number): void {
    const { batch, entry, spans } = this;
    const i = this.n++;
    batch.keys[i] = key;
    batch.ttls[i] = entry.ttlMs === null ? -1 : jitteredTtl(entry.ttlMs, entry.jitter, random);
    batch.tickets[i] = ticket;
    (batch.chunks as Buffer[])[i] = chunk;
    spans[4 * i + 1] = KEY_IN_KEYS;
    spans[4 * i + 2] = valueAt;
    spans[4 * i + 3] = valueLength;
    ticket.remaining++;
  }

  /** The batch of the keys added (its spans may run longer: its length is keys.length). */
  finish(): WriteBatch {
    const { batch, n } = this;
    batch.keys.length = n;
    batch.values.length = n;
    batch.ttls.length = n;
    batch.stale.length = n;
    batch.tickets.length = n;
    (batch.chunks as Buffer[]).length = n;
    return batch;
  }
}

/** Whether an entry's rows can be written as bytes: plain SET (NX allowed), no stale copy, no PTTL look. */
export function byteRowsFit(entry: WarmEntry): boolean {
  return entry.format === 'string' && entry.staleMs === undefined && entry.refreshBelowMs === undefined;
}

/**
 * For a key-list batch: the value of each accepted key (index-aligned), undefined when no row
 * came back for it. The first row wins when a query returns several for one key; a key listed
 * twice in the batch gets the value at both places (it was fetched once).
 */
export function matchRows(
  pattern: KeyPattern,
  keys: readonly string[],
  rows: readonly unknown[][],
  shape: RowShape,
  format: 'string' | 'hash',
  /** The single parameter's value of each key (index-aligned), when the pattern has one. */
  params?: readonly string[],
): (string | string[] | undefined)[] {
  const rowOf = matchRowIndexes(pattern, keys, rows.length, (r, c) => (rows[r] as unknown[])[c], shape, params);
  const values = new Array<string | string[] | undefined>(keys.length);
  for (let i = 0; i < keys.length; i++) {
    const r = rowOf[i] as number;
    if (r >= 0) values[i] = valueOf(rows[r] as unknown[], shape, format);
  }
  return values;
}

/**
 * matchRows by row index (-1: no row for the key), over rows given by their cells: `cell(r, c)` is
 * column c of row r as the driver gives it.
 */
export function matchRowIndexes(
  pattern: KeyPattern,
  keys: readonly string[],
  rowCount: number,
  cell: (r: number, c: number) => unknown,
  shape: RowShape,
  params?: readonly string[],
): Int32Array {
  const paramIndex = pattern.params.map((p) => shape.names.indexOf(p));
  const rowOf = new Int32Array(keys.length).fill(-1);
  // One parameter: the key is literal + value + literal, so matching the value alone is the same
  // test without building a key string per row.
  const single = params !== undefined && paramIndex.length === 1;
  const ids = single ? params : keys;
  const first = new Map<string, number>();
  const duplicates: number[] = [];
  for (let i = 0; i < ids.length; i++) {
    const id = ids[i] as string;
    if (first.has(id)) duplicates.push(i);
    else first.set(id, i);
  }
  const column = paramIndex[0] as number;
  const parts: unknown[] = new Array(paramIndex.length);
  for (let r = 0; r < rowCount; r++) {
    let id: string;
    if (single) {
      const value = cell(r, column);
      id = typeof value === 'string' ? value : String(value);
    } else {
      for (let p = 0; p < paramIndex.length; p++) parts[p] = cell(r, paramIndex[p] as number);
      id = renderKey(pattern, parts);
    }
    const index = first.get(id);
    if (index !== undefined && (rowOf[index] as number) < 0) rowOf[index] = r;
  }
  for (const i of duplicates) rowOf[i] = rowOf[first.get(ids[i] as string) as number] as number;
  return rowOf;
}

/** Why a value cannot be written, or undefined. */
export function valueProblem(value: string | string[], maxValueBytes: number): string | undefined {
  if (typeof value !== 'string' && value.length === 0) return 'row has no non-NULL column to write as a hash';
  // Cheap bound first: UTF-8 needs at most 3 bytes per UTF-16 unit.
  const units = typeof value === 'string' ? value.length : value.reduce((n, part) => n + part.length, 0);
  if (units * 3 <= maxValueBytes) return undefined;
  return valueSizeProblem(valueBytes(value), maxValueBytes);
}

/** Why a value of `bytes` bytes cannot be written (over --max-value-bytes), or undefined. */
export function valueSizeProblem(bytes: number, maxValueBytes: number): string | undefined {
  return bytes > maxValueBytes ? `value is ${bytes} bytes, over the ${maxValueBytes}-byte limit (--max-value-bytes)` : undefined;
}

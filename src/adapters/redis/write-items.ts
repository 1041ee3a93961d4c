/**
 * Columnar storage of pending writes for one node (parallel arrays, no object per key),
 * and the Redis commands that write them.
 */
import { constantArg, RespBuffer, type BufferPool } from './resp-buffer.js';
import { KEY_IN_KEYS, type Ticket, type WriteBatch } from '../../core/warm/ports.js';
import { readUtf8 } from '../utf8.js';

export const MODE_HASH = 1;
export const MODE_NX = 2;

/**
 * A numeric column: an array grown by push (GrowingItems), or a typed array of a pipeline's fixed
 * size (LaneQueue.take), read and written by index alike.
 */
export interface NumberColumn {
  [index: number]: number;
  readonly length: number;
}

export interface Items {
  keys: string[];
  values: (string | string[])[];
  /** ms, or -1 for no expiry. */
  ttls: NumberColumn;
  stale: boolean[];
  tickets: Ticket[];
  /** MODE_HASH | MODE_NX bits. */
  modes: NumberColumn;
  /** Rewrite only below this PTTL (ms); -1: always write. */
  refresh: NumberColumn;
  attempts: NumberColumn;
  /**
   * Byte items: the buffer holding the value, and the key unless its length is KEY_IN_KEYS (a
   * key-list key, in `keys[i]`; a streamed row's `keys[i]` is ''); `values[i]` is ''. null (or
   * past the end: see pushByteSpan) for items given as strings. spans: keyAt, keyLength, valueAt,
   * valueLength per item.
   */
  chunks: (Buffer | null)[];
  spans: NumberColumn;
}

/** Items built by push: the restart journal's, a retry's or a redirect's, a failover hold's. */
export interface GrowingItems extends Items {
  ttls: number[];
  modes: number[];
  refresh: number[];
  attempts: number[];
  spans: number[];
}

export function emptyItems(): GrowingItems {
  return { keys: [], values: [], ttls: [], stale: [], tickets: [], modes: [], refresh: [], attempts: [], chunks: [], spans: [] };
}

/** Item i's key as text: made here, for what is reported or read back, never on the write path. */
export function keyOf(items: Items, i: number): string {
  const chunk = items.chunks[i];
  const keyLength = items.spans[4 * i + 1] as number;
  if (!chunk || keyLength === KEY_IN_KEYS) return items.keys[i] as string;
  const at = items.spans[4 * i] as number;
  return readUtf8(chunk, at, at + keyLength);
}

/**
 * The byte columns (`chunks`, `spans`) exist only once an Items holds a byte item: until then they
 * stay empty, so string-only lanes (key lists, stale copies) pay nothing per key for them. Once
 * one byte item arrives, the earlier string items are padded, and from then on the columns run
 * alongside `keys` (their length is 0 or the number of items). Called before the key is pushed.
 */
function pushByteSpan(dst: GrowingItems, chunk: Buffer, s: ArrayLike<number>, i: number): void {
  while (dst.chunks.length < dst.keys.length) pushNoSpan(dst);
  dst.chunks.push(chunk);
  dst.spans.push(s[4 * i] as number, s[4 * i + 1] as number, s[4 * i + 2] as number, s[4 * i + 3] as number);
}

function pushNoSpan(dst: GrowingItems): void {
  dst.chunks.push(null);
  dst.spans.push(0, 0, 0, 0);
}

/** MODE_HASH | MODE_NX of a batch's items. */
export function modeOf(batch: WriteBatch): number {
  return (batch.format === 'hash' ? MODE_HASH : 0) | (batch.onlyMissing ? MODE_NX : 0);
}

export function pushFromBatch(dst: GrowingItems, batch: WriteBatch, i: number): void {
  const chunk = batch.chunks?.[i];
  if (chunk) pushByteSpan(dst, chunk, batch.spans as ArrayLike<number>, i);
  else if (dst.chunks.length > 0) pushNoSpan(dst);
  dst.keys.push(batch.keys[i] as string);
  dst.values.push(batch.values[i] as string | string[]);
  dst.ttls.push(batch.ttls[i] as number);
  dst.stale.push(batch.stale[i] as boolean);
  dst.tickets.push(batch.tickets[i] as Ticket);
  dst.modes.push(modeOf(batch));
  dst.refresh.push(batch.refreshBelowMs ? (batch.refreshBelowMs[i] as number) : -1);
  dst.attempts.push(0);
}

export function pushItem(dst: GrowingItems, src: Items, i: number): void {
  const chunk = src.chunks[i];
  if (chunk) pushByteSpan(dst, chunk, src.spans, i);
  else if (dst.chunks.length > 0) pushNoSpan(dst);
  dst.keys.push(src.keys[i] as string);
  dst.values.push(src.values[i] as string | string[]);
  dst.ttls.push(src.ttls[i] as number);
  dst.stale.push(src.stale[i] as boolean);
  dst.tickets.push(src.tickets[i] as Ticket);
  dst.modes.push(src.modes[i] as number);
  dst.refresh.push(src.refresh[i] as number);
  dst.attempts.push(src.attempts[i] as number);
}

/** What itemUnits reads: Items, or a write batch (the writer's lanes count a batch's items). */
export interface UnitColumns {
  readonly keys: readonly string[];
  readonly values: readonly (string | string[])[];
  readonly chunks?: readonly (Buffer | null)[];
  readonly spans?: ArrayLike<number>;
}

/** UTF-16 units of item i's key and value (about its bytes; a byte item's bytes). */
export function itemUnits(items: UnitColumns, i: number): number {
  const spans = items.spans;
  if (items.chunks?.[i] && spans) {
    const keyLength = spans[4 * i + 1] as number;
    return (keyLength === KEY_IN_KEYS ? (items.keys[i] as string).length : keyLength) + Math.max(0, spans[4 * i + 3] as number);
  }
  const value = items.values[i] as string | string[];
  let units = (items.keys[i] as string).length;
  if (typeof value === 'string') units += value.length;
  else for (const part of value) units += part.length;
  return units;
}

/** Whether item i needs a PTTL look first (refresh-below, or a hash with only-missing). */
export function needsCheck(items: Items, i: number): boolean {
  return needsLook(items.modes[i] as number, items.refresh[i] as number);
}

/** The same for an item of `mode` with a refresh threshold (-1: none), as a write batch holds it. */
export function needsLook(mode: number, refreshBelowMs: number): boolean {
  return refreshBelowMs >= 0 || ((mode & MODE_HASH) !== 0 && (mode & MODE_NX) !== 0);
}

/** From a PTTL reply: should the item be (re)written? */
export function shouldWrite(items: Items, i: number, pttl: number): boolean {
  if (pttl === -2) return true;
  const below = items.refresh[i] as number;
  return below >= 0 && pttl >= 0 && pttl < below;
}

/**
 * Encodes the commands for item i; returns the value bytes written. The reply that tells the
 * outcome is the last one of the item (SET's, or EXEC's).
 *   string: SET key value [PX ttl] [NX]
 *   hash:   MULTI, DEL key, HSET key f v ..., [PEXPIRE key ttl], EXEC  (the hash is replaced whole)
 */
const SET = constantArg('SET');
const PX = constantArg('PX');
const NX = constantArg('NX');

export function encodeWrite(p: RespBuffer, items: Items, i: number, plainSet: boolean): number {
  return encodeColumns(p, items.keys, items.values, items.chunks, items.spans, i, items.ttls[i] as number, items.modes[i] as number, plainSet);
}

/** Encodes item i of a write batch (its mode is the batch's): what encodeWrite does for Items. */
export function encodeBatchWrite(p: RespBuffer, batch: WriteBatch, i: number, mode: number): number {
  return encodeColumns(p, batch.keys, batch.values, batch.chunks, batch.spans, i, batch.ttls[i] as number, mode, false);
}

/** Item i given as its columns, so Items and write batches share one encoder without one object shape. */
function encodeColumns(
  p: RespBuffer,
  keys: readonly string[],
  values: readonly (string | string[])[],
  chunks: readonly (Buffer | null)[] | undefined,
  spans: ArrayLike<number> | undefined,
  i: number,
  ttl: number,
  mode: number,
  plainSet: boolean,
): number {
  const chunk = chunks?.[i];
  if (chunk) return encodeByteSet(p, keys, spans as ArrayLike<number>, i, chunk, ttl, !plainSet && (mode & MODE_NX) !== 0);
  const key = keys[i] as string;
  const value = values[i] as string | string[];
  if ((mode & MODE_HASH) === 0) {
    const nx = !plainSet && (mode & MODE_NX) !== 0;
    p.begin(3 + (ttl >= 0 ? 2 : 0) + (nx ? 1 : 0));
    p.constant(SET);
    p.bulk(key);
    p.bulk(value as string);
    const bytes = p.lastBulkBytes;
    if (ttl >= 0) {
      p.constant(PX);
      p.bulkInteger(ttl);
    }
    if (nx) p.constant(NX);
    return bytes;
  }
  const fields = value as string[];
  p.command1('MULTI');
  p.command2('DEL', key);
  p.begin(2 + fields.length);
  p.bulk('HSET');
  p.bulk(key);
  let bytes = 0;
  for (const f of fields) {
    p.bulk(f);
    bytes += p.lastBulkBytes;
  }
  if (ttl >= 0) p.command3('PEXPIRE', key, String(ttl));
  p.command1('EXEC');
  return bytes;
}

/** SET of a byte item: the value (and a streamed row's key) copied from the row's buffer, lengths known. */
function encodeByteSet(p: RespBuffer, keys: readonly string[], s: ArrayLike<number>, i: number, chunk: Buffer, ttl: number, nx: boolean): number {
  // A NULL value (-1) is written empty, as the row path writes it.
  const valueLength = Math.max(0, s[4 * i + 3] as number);
  const keyLength = s[4 * i + 1] as number;
  p.begin(3 + (ttl >= 0 ? 2 : 0) + (nx ? 1 : 0));
  p.constant(SET);
  if (keyLength === KEY_IN_KEYS) p.bulk(keys[i] as string);
  else p.bulkBytes(chunk, s[4 * i] as number, keyLength);
  p.bulkBytes(chunk, s[4 * i + 2] as number, valueLength);
  if (ttl >= 0) {
    p.constant(PX);
    p.bulkInteger(ttl);
  }
  if (nx) p.constant(NX);
  return valueLength;
}

/** Encoded bytes of a write beyond its key and value, about: a SET's header, PX and the TTL. */
export const COMMAND_BYTES = 64;

/** A first guess of a chunk's encoded size (ASCII keys and values), so the buffer rarely grows. */
export function encodedSizeHint(items: Items): number {
  let n = 0;
  for (let i = 0; i < items.keys.length; i++) n += itemUnits(items, i) + COMMAND_BYTES;
  return n;
}

/** A pipeline's commands and, per item, the index of its last reply and its value's bytes. */
export interface EncodedWrites {
  readonly p: RespBuffer;
  readonly ends: Int32Array;
  readonly bytes: Int32Array;
}

/**
 * Items' writes encoded when their pipeline is sent (what EncodedAhead did not encode ahead):
 * after a PTTL look (needsCheck: a plain SET), and after ASKING for each on a redirect.
 */
export function encodeItems(items: Items, asking: boolean, pool?: BufferPool): EncodedWrites {
  const p = new RespBuffer(encodedSizeHint(items), pool);
  const ends = new Int32Array(items.keys.length);
  const bytes = new Int32Array(items.keys.length);
  for (let i = 0; i < items.keys.length; i++) {
    if (asking) p.command1('ASKING');
    bytes[i] = encodeWrite(p, items, i, needsCheck(items, i));
    ends[i] = p.replies - 1;
  }
  return { p, ends, bytes };
}

/**
 * Decodes PostgreSQL's binary COPY format (`COPY ... TO STDOUT (FORMAT binary)`) of a two-column
 * result, key and value, both sent as text bytes. The decoder hands out offsets into the COPY
 * chunks (ByteRowBatch), not strings: a streamed warm hashes the key and copies key and value
 * into the Redis pipeline straight from the chunk, so a row costs two length reads and four
 * numbers. `push` with string rows is kept for callers that want text.
 *
 * Why binary COPY for streamed warms: PostgreSQL writes rows continuously (no round trip per
 * cursor read), where the pg driver's row path builds a message object, a field array and a
 * result row per row. The binary format needs no unescaping (text COPY escapes tabs, newlines
 * and backslashes).
 *
 * Layout: an 11-byte signature, a 32-bit flags word, a 32-bit header-extension length and the
 * extension; then per row a 16-bit field count and per field a 32-bit length (-1 for NULL) and
 * that many bytes; a field count of -1 ends the data.
 */

import type { ByteRows } from '../../core/warm/ports.js';
import { readUtf8 } from '../utf8.js';

const SIGNATURE = Buffer.from('PGCOPY\n\xff\r\n\0', 'latin1');
const HEADER_FIXED = SIGNATURE.length + 8;

export type CopyRow = [string | null, string | null];

export class BinaryCopyError extends Error {
  constructor(message: string) {
    super(`binary COPY stream: ${message}`);
    this.name = 'BinaryCopyError';
  }
}

/**
 * Rows as offsets: row r's key is chunks[r][spans[4r], +spans[4r+1]) and its value
 * chunks[r][spans[4r+2], +spans[4r+3]); a length of -1 is NULL. Chunks are shared by the rows
 * they hold (a reference per row, no copy).
 */
export class ByteRowBatch implements ByteRows {
  count = 0;
  chunks: Buffer[] = [];
  spans: Int32Array;

  constructor(capacity = 1024) {
    this.spans = new Int32Array(4 * Math.max(1, capacity));
  }

  add(chunk: Buffer, keyAt: number, keyLength: number, valueAt: number, valueLength: number): void {
    const r = this.count++;
    if (4 * r + 4 > this.spans.length) {
      const grown = new Int32Array(this.spans.length * 2);
      grown.set(this.spans);
      this.spans = grown;
    }
    const s = this.spans;
    s[4 * r] = keyAt;
    s[4 * r + 1] = keyLength;
    s[4 * r + 2] = valueAt;
    s[4 * r + 3] = valueLength;
    this.chunks.push(chunk);
  }

  /** Forgets the rows (their chunks are let go). */
  clear(): void {
    this.count = 0;
    this.chunks = [];
  }

  /** Row r as text (null for NULL). */
  row(r: number): CopyRow {
    const chunk = this.chunks[r] as Buffer;
    const s = this.spans;
    const kl = s[4 * r + 1] as number;
    const vl = s[4 * r + 3] as number;
    const ka = s[4 * r] as number;
    const va = s[4 * r + 2] as number;
    return [kl < 0 ? null : readUtf8(chunk, ka, ka + kl), vl < 0 ? null : readUtf8(chunk, va, va + vl)];
  }

  /** Every row as text. */
  textRows(): CopyRow[] {
    const out: CopyRow[] = new Array(this.count);
    for (let r = 0; r < this.count; r++) out[r] = this.row(r);
    return out;
  }

  /** Rows [from, count) as a batch of their own (rows already handed out, dropped). */
  from(first: number): ByteRowBatch {
    const rest = new ByteRowBatch(this.count - first);
    rest.count = this.count - first;
    rest.chunks = this.chunks.slice(first);
    rest.spans.set(this.spans.subarray(4 * first, 4 * this.count));
    return rest;
  }
}

/** Bytes of the row (or end marker) at p when its lengths are in buf[p, end); 0 when not yet known. */
function rowBytes(buf: Buffer, p: number, end: number): number {
  if (p + 2 > end) return 0;
  const fields = buf.readInt16BE(p);
  if (fields === -1) return 2;
  if (fields !== 2) throw new BinaryCopyError(`a row has ${fields} fields, expected 2 (key, value)`);
  if (p + 6 > end) return 0;
  const keyEnd = p + 6 + Math.max(0, buf.readInt32BE(p + 2));
  if (keyEnd + 4 > end) return 0;
  return keyEnd + 4 + Math.max(0, buf.readInt32BE(keyEnd)) - p;
}

export class BinaryCopyDecoder {
  private tail: Buffer | undefined;
  private headerDone = false;
  private ended = false;

  /** True once the end-of-data marker was read. */
  get done(): boolean {
    return this.ended;
  }

  /** Decodes every complete row in `chunk` (plus what an earlier chunk left over) into `out`, as text. */
  push(chunk: Buffer, out: CopyRow[]): void {
    const rows = new ByteRowBatch();
    this.pushBytes(chunk, rows);
    out.push(...rows.textRows());
  }

  /** Decodes every complete row in `chunk` (plus what an earlier chunk left over) into `out`, as offsets. */
  pushBytes(chunk: Buffer, out: ByteRowBatch): void {
    this.pushRange(chunk, 0, chunk.length, out);
  }

  /** pushBytes of chunk[start, end), without a Buffer object for the range (the protocol reader's CopyData payloads). */
  pushRange(chunk: Buffer, start: number, end: number, out: ByteRowBatch): void {
    if (this.ended) {
      if (end > start) throw new BinaryCopyError('data after the end-of-data marker');
      return;
    }
    let buf = chunk;
    let p = start;
    if (!this.headerDone || this.tail) {
      const tail = this.tail;
      this.tail = undefined;
      if (!this.headerDone) {
        buf = tail ? Buffer.concat([tail, chunk.subarray(start, end)]) : chunk.subarray(start, end);
        p = 0;
        end = buf.length;
        if (buf.length < HEADER_FIXED || buf.length < HEADER_FIXED + buf.readUInt32BE(SIGNATURE.length + 4)) {
          if (buf.length >= SIGNATURE.length && !buf.subarray(0, SIGNATURE.length).equals(SIGNATURE)) throw new BinaryCopyError('missing the PGCOPY signature');
          this.tail = buf;
          return;
        }
        if (!buf.subarray(0, SIGNATURE.length).equals(SIGNATURE)) throw new BinaryCopyError('missing the PGCOPY signature');
        p = HEADER_FIXED + buf.readUInt32BE(SIGNATURE.length + 4);
        this.headerDone = true;
      } else if (tail) {
        // A row split across chunks: glue the remainder to just the bytes that complete it (one
        // row's copy, not the whole chunk's), then go on in the chunk itself.
        let need = rowBytes(tail, 0, tail.length);
        if (need === 0) {
          // The lengths themselves are split: a few bytes more tell them (a long key needs its bytes too).
          const probe = Buffer.concat([tail, chunk.subarray(start, Math.min(end, start + 10))]);
          need = rowBytes(probe, 0, probe.length);
        }
        if (need === 0 || need > tail.length + (end - start)) {
          // Still unknown or not complete here: glue the whole range and decode from the remainder.
          buf = Buffer.concat([tail, chunk.subarray(start, end)]);
          p = 0;
          end = buf.length;
        } else {
          const glued = Buffer.concat([tail, chunk.subarray(start, start + need - tail.length)]);
          if (this.decodeRows(glued, 0, glued.length, out) !== glued.length) throw new BinaryCopyError('a row split across chunks did not decode');
          p = start + need - tail.length;
          if (this.ended) {
            if (p < end) throw new BinaryCopyError('data after the end-of-data marker');
            return;
          }
        }
      }
    }
    p = this.decodeRows(buf, p, end, out);
    if (p < end) {
      if (this.ended) throw new BinaryCopyError('data after the end-of-data marker');
      this.tail = buf.subarray(p, end);
    }
  }

  /** Decodes complete rows of buf[p, end); returns where the first incomplete one starts. */
  private decodeRows(buf: Buffer, p: number, end: number, out: ByteRowBatch): number {
    while (p + 2 <= end) {
      const fields = buf.readInt16BE(p);
      if (fields === -1) {
        this.ended = true;
        return p + 2;
      }
      if (fields !== 2) throw new BinaryCopyError(`a row has ${fields} fields, expected 2 (key, value)`);
      if (p + 6 > end) break;
      const keyLength = buf.readInt32BE(p + 2);
      const keyAt = p + 6;
      const keyEnd = keyAt + Math.max(0, keyLength);
      if (keyEnd + 4 > end) break;
      const valueLength = buf.readInt32BE(keyEnd);
      const valueAt = keyEnd + 4;
      const valueEnd = valueAt + Math.max(0, valueLength);
      if (valueEnd > end) break;
      out.add(buf, keyAt, keyLength, valueAt, valueLength);
      p = valueEnd;
    }
    return p;
  }

  /** Call at the end of the stream: a stream cut short is an error, not a short result. */
  finish(): void {
    if (!this.ended) throw new BinaryCopyError(this.tail ? `ended inside a row (${this.tail.length} bytes left over)` : 'ended without the end-of-data marker');
  }
}

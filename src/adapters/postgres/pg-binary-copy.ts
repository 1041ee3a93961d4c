/**
 * Decodes PostgreSQL's binary COPY format (`COPY ... TO STDOUT (FORMAT binary)`) of a two-column
 * result, key and value, both sent as text bytes, into `[key, value]` rows.
 *
 * Why binary COPY for streamed warms: PostgreSQL writes rows continuously (no round trip per
 * cursor read), and a row here costs two length reads and two string slices, where the pg
 * driver's row path builds a message object, a field array and a result row per row. The
 * binary format needs no unescaping (text COPY escapes tabs, newlines and backslashes).
 *
 * Layout: an 11-byte signature, a 32-bit flags word, a 32-bit header-extension length and the
 * extension; then per row a 16-bit field count and per field a 32-bit length (-1 for NULL) and
 * that many bytes; a field count of -1 ends the data.
 */

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

export class BinaryCopyDecoder {
  private tail: Buffer | undefined;
  private headerDone = false;
  private ended = false;

  /** True once the end-of-data marker was read. */
  get done(): boolean {
    return this.ended;
  }

  /** Decodes every complete row in `chunk` (plus what an earlier chunk left over) into `out`. */
  push(chunk: Buffer, out: CopyRow[]): void {
    if (this.ended) {
      if (chunk.length > 0) throw new BinaryCopyError('data after the end-of-data marker');
      return;
    }
    // A row split across chunks: glue the remainder to the new chunk (a copy of one chunk at most).
    const buf = this.tail ? Buffer.concat([this.tail, chunk]) : chunk;
    this.tail = undefined;
    let p = 0;
    if (!this.headerDone) {
      if (buf.length < HEADER_FIXED) {
        this.tail = buf;
        return;
      }
      if (!buf.subarray(0, SIGNATURE.length).equals(SIGNATURE)) throw new BinaryCopyError('missing the PGCOPY signature');
      const extension = buf.readUInt32BE(SIGNATURE.length + 4);
      if (buf.length < HEADER_FIXED + extension) {
        this.tail = buf;
        return;
      }
      p = HEADER_FIXED + extension;
      this.headerDone = true;
    }
    const end = buf.length;
    while (p + 2 <= end) {
      const fields = buf.readInt16BE(p);
      if (fields === -1) {
        this.ended = true;
        p += 2;
        break;
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
      out.push([keyLength < 0 ? null : readUtf8(buf, keyAt, keyEnd), valueLength < 0 ? null : readUtf8(buf, valueAt, valueEnd)]);
      p = valueEnd;
    }
    if (p < end) {
      if (this.ended) throw new BinaryCopyError('data after the end-of-data marker');
      this.tail = buf.subarray(p);
    }
  }

  /** Call at the end of the stream: a stream cut short is an error, not a short result. */
  finish(): void {
    if (!this.ended) throw new BinaryCopyError(this.tail ? `ended inside a row (${this.tail.length} bytes left over)` : 'ended without the end-of-data marker');
  }
}

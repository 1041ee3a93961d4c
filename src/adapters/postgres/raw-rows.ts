/**
 * A parameterised query whose rows are read off the connection's socket as offsets, not strings:
 * the key-list fetch (`... WHERE id = ANY($1)`), where node-postgres would decode every field of
 * every DataRow to a string (a 200-byte JSON value per key, the largest share of a key-list
 * warm's garbage) before cachectl copies the value's bytes into a Redis pipeline anyway.
 *
 * The driver still does everything else: it sends nothing here, but this query sends the same
 * extended-protocol messages its own Query does (Parse, Bind with the parameters as bound text
 * values, Describe, Execute, Sync), and every message but DataRow is passed on to its parser
 * byte for byte, so RowDescription, CommandComplete, ErrorResponse and ReadyForQuery reach it and
 * this object as for any query (errors keep their SQLSTATE). The socket is handed back at
 * ReadyForQuery, as CopyOut (copy-out.ts) does at the end of a COPY.
 */
import type { Readable } from 'node:stream';
import type pg from 'pg';
import { SocketLoan } from './socket-loan.js';

/** What this reader uses of node-postgres's connection. */
interface PgConnection {
  stream: Readable;
  parse(config: { text: string; name: string; types: number[] }): void;
  bind(config: { portal: string; statement: string; values: string[] }): void;
  describe(config: { type: 'P'; name: string }): void;
  execute(config: { portal: string; rows: number }): void;
  sync(): void;
}

export interface RawField {
  name: string;
  dataTypeID: number;
}

const DATA_ROW = 0x44; // 'D'
const READY_FOR_QUERY = 0x5a; // 'Z'

/**
 * Rows as offsets: field c of row r is chunk(r)[spans[2(r*columns+c)], +spans[...+1]); length -1
 * is NULL. Row r's chunk is chunkList[chunkOf[r]]: many rows share a socket chunk, and an array
 * of one chunk reference per row, grown by push, was about 34 bytes of garbage a key.
 */
export class RawRows {
  count = 0;
  columns = 0;
  /** The distinct chunks the rows are in, in order. */
  readonly chunkList: Buffer[] = [];
  chunkOf: Int32Array;
  spans: Int32Array;

  /** `expectedRows`: a key-list fetch knows about how many rows come back (its keys). */
  constructor(expectedRows = 16) {
    const rows = Math.max(16, expectedRows);
    this.chunkOf = new Int32Array(rows);
    // Two columns (key, value) is the usual shape; more grow the spans once.
    this.spans = new Int32Array(4 * rows);
  }

  chunk(r: number): Buffer {
    return this.chunkList[this.chunkOf[r] as number] as Buffer;
  }

  /** Field c of row r as text (null for NULL). */
  text(r: number, c: number): string | null {
    const i = 2 * (r * this.columns + c);
    const length = this.spans[i + 1] as number;
    if (length < 0) return null;
    const at = this.spans[i] as number;
    return this.chunk(r).toString('utf8', at, at + length);
  }

  /** Field `column` of every row, as the row matchers take it: row r at [2r] (start) and [2r + 1] (length, -1 for NULL). */
  columnSpans(column: number): Int32Array {
    const out = new Int32Array(2 * this.count);
    for (let r = 0; r < this.count; r++) {
      const i = 2 * (r * this.columns + column);
      out[2 * r] = this.spans[i] as number;
      out[2 * r + 1] = this.spans[i + 1] as number;
    }
    return out;
  }

  /** Reads one DataRow payload, buf[at, end). */
  add(buf: Buffer, at: number, end: number): void {
    const columns = buf.readUInt16BE(at);
    if (this.count === 0) this.columns = columns;
    else if (columns !== this.columns) throw new Error(`DataRow with ${columns} fields after rows of ${this.columns}`);
    const need = 2 * (this.count + 1) * columns;
    if (need > this.spans.length) {
      const grown = new Int32Array(Math.max(need, this.spans.length * 2));
      grown.set(this.spans);
      this.spans = grown;
    }
    const s = this.spans;
    let p = at + 2;
    let i = 2 * this.count * columns;
    for (let c = 0; c < columns; c++) {
      if (p + 4 > end) throw new Error('DataRow shorter than its fields');
      const length = buf.readInt32BE(p);
      p += 4;
      s[i++] = p;
      s[i++] = length;
      if (length > 0) p += length;
      if (p > end) throw new Error('DataRow shorter than its fields');
    }
    if (this.chunkList[this.chunkList.length - 1] !== buf) this.chunkList.push(buf);
    if (this.count === this.chunkOf.length) {
      const grown = new Int32Array(this.count * 2);
      grown.set(this.chunkOf);
      this.chunkOf = grown;
    }
    this.chunkOf[this.count] = this.chunkList.length - 1;
    this.count++;
  }
}

export class RawRowsQuery implements pg.Submittable {
  readonly rows: RawRows;
  fields: RawField[] = [];
  /** Settles at ReadyForQuery: with the rows, or the server's (or the connection's) error. */
  readonly done: Promise<RawRowsQuery>;
  private resolve!: (value: RawRowsQuery) => void;
  private reject!: (error: unknown) => void;
  private error: unknown;
  private loan: SocketLoan | undefined;
  private readonly onData = (chunk: Buffer) => this.received(chunk);
  private readonly header = Buffer.alloc(5);
  private headerLength = 0;
  /** Bytes of the current message still to come, and its code. */
  private remaining = 0;
  private code = 0;
  /** A DataRow split across socket chunks: its parts so far. */
  private rowParts: Buffer[] = [];

  constructor(
    readonly text: string,
    private readonly values: string[],
    expectedRows?: number,
  ) {
    this.rows = new RawRows(expectedRows);
    this.done = new Promise((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
  }

  /** Called by the driver when the query's turn comes. */
  submit(connection: pg.Connection): void {
    const conn = connection as unknown as PgConnection;
    const stream = conn.stream;
    this.loan = new SocketLoan(stream, this.onData, 'row reader');
    // One socket write for the five messages, as the driver's own Query does (corked).
    const socket = stream as Readable & { cork?: () => void; uncork?: () => void };
    socket.cork?.();
    try {
      conn.parse({ text: this.text, name: '', types: [] });
      conn.bind({ portal: '', statement: '', values: this.values });
      conn.describe({ type: 'P', name: '' });
      conn.execute({ portal: '', rows: 0 });
      conn.sync();
    } finally {
      socket.uncork?.();
    }
  }

  handleRowDescription(message: { fields: RawField[] }): void {
    this.fields = message.fields.map((f) => ({ name: f.name, dataTypeID: f.dataTypeID }));
  }

  handleError(error: unknown): void {
    this.error ??= error;
    // Settled at once, as the driver's own Query does: the caller releases the client, and the
    // pool's error listener is back on it before the socket's end (after a FATAL error) makes
    // the client emit 'error', which would otherwise have no listener.
    this.reject(this.error);
    // An ERROR is followed by ReadyForQuery, where the socket goes back (parse()); a FATAL error
    // or a failed connection sends nothing more: back now.
    const severity = error instanceof Error && 'severity' in error ? (error as { severity?: unknown }).severity : undefined;
    if (severity !== 'ERROR') this.giveBack(Buffer.alloc(0));
  }

  handleCommandComplete(): void {}

  handleEmptyQuery(): void {}

  handleReadyForQuery(): void {
    if (this.error !== undefined) this.reject(this.error);
    else this.resolve(this);
  }

  handleDataRow(): void {
    // Never reached: DataRow messages do not get to the driver.
  }

  handlePortalSuspended(): void {}

  handleCopyInResponse(): void {
    this.error ??= new Error('the fetch started a COPY FROM STDIN');
  }

  handleCopyData(): void {}

  private received(chunk: Buffer): void {
    try {
      this.parse(chunk);
    } catch (error) {
      // A malformed stream: the connection cannot be trusted any more.
      this.error ??= error;
      this.loan?.stream.destroy(error instanceof Error ? error : new Error(String(error)));
    }
  }

  private parse(chunk: Buffer): void {
    const end = chunk.length;
    let p = 0;
    // Non-DataRow bytes are passed on in runs: from `pass` to p.
    let pass = 0;
    while (p < end) {
      if (this.remaining > 0) {
        const n = Math.min(this.remaining, end - p);
        if (this.code === DATA_ROW) {
          this.rowParts.push(chunk.subarray(p, p + n));
          if (n === this.remaining) {
            const row = Buffer.concat(this.rowParts);
            this.rowParts = [];
            this.rows.add(row, 0, row.length);
          }
          pass = p + n;
        }
        p += n;
        this.remaining -= n;
        continue;
      }
      const headerAt = p;
      while (this.headerLength < 5 && p < end) this.header[this.headerLength++] = chunk[p++] as number;
      if (this.headerLength < 5) {
        // The header goes on in the next chunk; its bytes so far stay in this.header.
        this.forward(chunk, pass, headerAt);
        return;
      }
      // A header split across chunks: its first bytes were not passed on with the last chunk.
      const split = p - headerAt < 5;
      this.headerLength = 0;
      this.code = this.header[0] as number;
      this.remaining = this.header.readUInt32BE(1) - 4;
      if (this.code === DATA_ROW) {
        this.forward(chunk, pass, headerAt);
        if (p + this.remaining <= end) {
          this.rows.add(chunk, p, p + this.remaining);
          p += this.remaining;
          this.remaining = 0;
        }
        pass = p;
        continue;
      }
      if (split) {
        this.forward(chunk, pass, headerAt);
        this.forwardBytes(Buffer.from(this.header));
        pass = p;
      }
      if (this.code === READY_FOR_QUERY) {
        // Back to the driver before it reads ReadyForQuery: it may send the next query at once.
        this.giveBack(split ? chunk.subarray(p) : chunk.subarray(pass));
        return;
      }
    }
    this.forward(chunk, pass, end);
  }

  private forward(chunk: Buffer, from: number, to: number): void {
    if (to > from) this.forwardBytes(chunk.subarray(from, to));
  }

  private forwardBytes(bytes: Buffer): void {
    this.loan?.pass(bytes);
  }

  /** The socket back to the driver, with the bytes it has not seen (ReadyForQuery and anything after). */
  private giveBack(unread: Buffer): void {
    this.loan?.giveBack(unread);
  }
}

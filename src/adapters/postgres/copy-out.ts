/**
 * `COPY ... TO STDOUT` read straight off the connection's socket, rows decoded in place: the
 * protocol's CopyData framing is parsed here and each payload range goes to the binary COPY
 * decoder as offsets into the socket chunk (BinaryCopyDecoder.pushRange).
 *
 * pg-copy-streams (which this follows: take the socket from the driver for the COPY, give it back
 * at CopyDone or at an ErrorResponse) hands out a stream of payloads: per row (PostgreSQL sends a
 * CopyData message per row) a Buffer view of the payload, and per socket chunk a concatenated
 * copy of them all. In a streamed warm's profile those were 6-7% of cachectl's CPU; here a row
 * costs no object and no copy until it is written into a Redis pipeline.
 */
import type { Readable } from 'node:stream';
import type pg from 'pg';
import { BinaryCopyDecoder, type ByteRowBatch } from './pg-binary-copy.js';
import { SocketLoan } from './socket-loan.js';

/** What this reader uses of node-postgres's connection. */
interface PgConnection {
  stream: Readable;
  query(text: string): void;
}

const COPY_DATA = 0x64; // 'd'
const COPY_DONE = 0x63; // 'c'
const ERROR_RESPONSE = 0x45; // 'E'

export class CopyOut implements pg.Submittable {
  private connection: PgConnection | undefined;
  private loan: SocketLoan | undefined;
  private readonly decoder = new BinaryCopyDecoder();
  private readonly header = Buffer.alloc(5);
  private headerLength = 0;
  /** Payload bytes of the current message still to come; its code. */
  private remaining = 0;
  private code = 0;
  private ended = false;
  private error: unknown;
  /** Where rows go while a fill() waits, and how many it waits for. */
  private target: ByteRowBatch | undefined;
  private want = 0;
  private wake: (() => void) | undefined;
  private readonly onData = (chunk: Buffer) => this.received(chunk);

  constructor(readonly text: string) {}

  /** Called by the driver when the query's turn comes. */
  submit(connection: pg.Connection): void {
    this.connection = connection;
    const stream = connection.stream;
    // Chunks as they come ('data'), not read(): read() concatenates whatever is buffered.
    stream.pause();
    this.loan = new SocketLoan(stream, this.onData, 'COPY reader');
    connection.query(this.text);
  }

  handleError(error: unknown): void {
    this.error ??= error;
    this.ended = true;
    this.wakeUp();
  }

  handleCommandComplete(): void {}

  handleReadyForQuery(): void {}

  /**
   * Decodes rows into `out` until it holds `rows` rows or the COPY ends. Resolves true while the
   * COPY goes on, false at its end; rejects with the server's error. The socket is paused
   * between calls, so PostgreSQL waits while cachectl writes (backpressure).
   */
  async fill(out: ByteRowBatch, rows = 1): Promise<boolean> {
    if (!this.ended && out.count < rows) {
      this.target = out;
      this.want = rows;
      await new Promise<void>((resolve) => {
        this.wake = resolve;
        this.connection?.stream.resume();
      });
      this.target = undefined;
    }
    if (this.error !== undefined) throw this.error;
    if (!this.ended) return true;
    this.decoder.finish();
    return false;
  }

  private received(chunk: Buffer): void {
    const out = this.target;
    if (!out) {
      // Not asked for (a chunk already in flight when the stream paused): should not happen in
      // paused mode; keep the rows rather than lose them.
      this.connection?.stream.pause();
      this.spare = this.spare ? Buffer.concat([this.spare, chunk]) : chunk;
      return;
    }
    if (this.spare) {
      const spare = this.spare;
      this.spare = undefined;
      this.parseSafely(spare, out);
    }
    this.parseSafely(chunk, out);
    if (this.ended || out.count >= this.want) this.wakeUp();
  }

  private spare: Buffer | undefined;

  private parseSafely(chunk: Buffer, out: ByteRowBatch): void {
    try {
      this.parse(chunk, out);
    } catch (error) {
      this.error ??= error;
      this.ended = true;
    }
  }

  private wakeUp(): void {
    this.connection?.stream.pause();
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }

  /** Reads and drops the rest until the COPY ends (normally or with an error); false on time-out. */
  async discard(limitMs: number, junk: ByteRowBatch): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    const limit = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), limitMs);
    });
    const rest = (async () => {
      try {
        while (await this.fill(junk)) junk.clear();
      } catch {
        // The cancel's own error: the statement has ended.
      }
      return true;
    })();
    const ended = await Promise.race([rest, limit]);
    clearTimeout(timer);
    return ended;
  }

  private parse(chunk: Buffer, out: ByteRowBatch): void {
    const end = chunk.length;
    let p = 0;
    while (p < end) {
      if (this.remaining > 0) {
        const n = Math.min(this.remaining, end - p);
        if (this.code === COPY_DATA) this.decoder.pushRange(chunk, p, p + n, out);
        p += n;
        this.remaining -= n;
        continue;
      }
      // A message header: code and length, possibly split across chunks.
      const headerAt = p - this.headerLength;
      while (this.headerLength < 5 && p < end) this.header[this.headerLength++] = chunk[p++] as number;
      if (this.headerLength < 5) return;
      this.headerLength = 0;
      this.code = this.header[0] as number;
      this.remaining = this.header.readUInt32BE(1) - 4;
      if (this.code === ERROR_RESPONSE) {
        // The driver parses the error (and what follows) and reports it through handleError.
        this.giveBack(headerAt >= 0 ? chunk.subarray(headerAt) : Buffer.concat([this.header, chunk.subarray(p)]));
        return;
      }
      if (this.code === COPY_DONE) {
        this.ended = true;
        this.remaining = 0;
        this.giveBack(chunk.subarray(p));
        return;
      }
    }
  }

  /** The socket back to the driver, with the bytes it has not seen (CommandComplete, ReadyForQuery or an error). */
  private giveBack(unread: Buffer): void {
    const connection = this.connection;
    const loan = this.loan;
    if (!connection || !loan?.held) return;
    // Cleared first: what the driver then parses may call handleError, which must not pause it.
    this.connection = undefined;
    loan.giveBack(unread);
    const stream = connection.stream;
    // As pg-copy-streams does: the driver's handler may pause the stream; resume after it returns.
    process.nextTick(() => stream.resume());
  }
}

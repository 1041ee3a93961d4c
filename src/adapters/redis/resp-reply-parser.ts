/**
 * RESP2 replies for the warm's write connections, parsed in place. A write pipeline of 1,000
 * keys comes back as 1,000 `+OK\r\n`: redis-parser made a string and a callback per reply, which
 * showed up as string decoding and garbage in the warm's profile. Here `+OK` is one shared
 * constant, and only what is not OK (errors, nulls, integers, EXEC's arrays) is made a value.
 * The values are those redis-parser gave (strings, numbers, null, arrays, ReplyError), so the
 * writer reads them as before; test/unit/resp-reply-parser.test.ts checks the two agree on the
 * same bytes, split at every offset.
 */

/** An error reply (`-MOVED 3999 10.0.0.2:6379`); `name` as redis-parser's, which callers test. */
export class ReplyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ReplyError';
  }
}

export const OK = 'OK';

const PLUS = 43;
const MINUS = 45;
const COLON = 58;
const DOLLAR = 36;
const STAR = 42;
const CR = 13;
const LF = 10;
const O = 79;
const K = 75;

/** Returned by the reply readers when the buffer ends before the reply does. */
const INCOMPLETE = -1;

export class RespReplyParser {
  /** Bytes of a reply that began in an earlier chunk, and their total length. */
  private parts: Buffer[] = [];
  private partsLength = 0;
  /** Bytes the unfinished reply needs at least (known for a bulk string), so a large one is joined once. */
  private needed = 0;
  /** The value of the reply read last (readReply's second result). */
  private value: unknown = undefined;

  constructor(
    private readonly onReply: (reply: unknown) => void,
    private readonly onFatal: (error: Error) => void,
  ) {}

  execute(chunk: Buffer): void {
    let buf = chunk;
    if (this.parts.length > 0) {
      this.parts.push(chunk);
      this.partsLength += chunk.length;
      if (this.partsLength < this.needed) return;
      buf = Buffer.concat(this.parts, this.partsLength);
      this.parts = [];
      this.partsLength = 0;
      this.needed = 0;
    }
    const end = buf.length;
    let p = 0;
    while (p < end) {
      if (buf[p] === PLUS && p + 4 < end && buf[p + 1] === O && buf[p + 2] === K && buf[p + 3] === CR && buf[p + 4] === LF) {
        p += 5;
        this.onReply(OK);
        continue;
      }
      let next: number;
      try {
        next = this.readReply(buf, p, end);
      } catch (error) {
        this.onFatal(error instanceof Error ? error : new Error(String(error)));
        return;
      }
      if (next === INCOMPLETE) {
        // Copied: the socket's chunk may be a view of a larger pooled buffer.
        const rest = Buffer.from(buf.subarray(p));
        this.parts.push(rest);
        this.partsLength = rest.length;
        this.needed = bulkLengthAt(rest);
        return;
      }
      p = next;
      this.onReply(this.value);
    }
  }

  /** Reads one reply at `p` into this.value; returns the offset after it, or INCOMPLETE. */
  private readReply(buf: Buffer, p: number, end: number): number {
    const type = buf[p] as number;
    const lineEnd = lineEndOf(buf, p + 1, end);
    if (lineEnd === INCOMPLETE) return INCOMPLETE;
    switch (type) {
      case PLUS:
        this.value = buf.toString('utf8', p + 1, lineEnd);
        return lineEnd + 2;
      case MINUS:
        this.value = new ReplyError(buf.toString('utf8', p + 1, lineEnd));
        return lineEnd + 2;
      case COLON:
        this.value = integerAt(buf, p + 1, lineEnd);
        return lineEnd + 2;
      case DOLLAR: {
        const length = integerAt(buf, p + 1, lineEnd);
        if (length < 0) {
          this.value = null;
          return lineEnd + 2;
        }
        const dataAt = lineEnd + 2;
        if (dataAt + length + 2 > end) return INCOMPLETE;
        this.value = buf.toString('utf8', dataAt, dataAt + length);
        return dataAt + length + 2;
      }
      case STAR: {
        const count = integerAt(buf, p + 1, lineEnd);
        if (count < 0) {
          this.value = null;
          return lineEnd + 2;
        }
        const items: unknown[] = new Array(count);
        let at = lineEnd + 2;
        for (let i = 0; i < count; i++) {
          if (at >= end) return INCOMPLETE;
          at = this.readReply(buf, at, end);
          if (at === INCOMPLETE) return INCOMPLETE;
          items[i] = this.value;
        }
        this.value = items;
        return at;
      }
      default:
        throw new Error(`protocol error: unexpected byte ${type} in a reply`);
    }
  }
}

/** Offset of the CR of the line starting at `from`, or INCOMPLETE. */
function lineEndOf(buf: Buffer, from: number, end: number): number {
  for (let i = from; i + 1 < end; i++) if (buf[i] === CR) return buf[i + 1] === LF ? i : protocolError('CR without LF');
  return INCOMPLETE;
}

/** Bytes of the whole reply when it is a bulk string whose header is complete; else 0. */
function bulkLengthAt(buf: Buffer): number {
  if (buf[0] !== DOLLAR) return 0;
  const lineEnd = lineEndOf(buf, 1, buf.length);
  if (lineEnd === INCOMPLETE) return 0;
  return lineEnd + 2 + Math.max(0, integerAt(buf, 1, lineEnd)) + 2;
}

function integerAt(buf: Buffer, from: number, to: number): number {
  let i = from;
  const negative = buf[i] === MINUS;
  if (negative) i++;
  if (i >= to) protocolError('empty integer');
  let n = 0;
  for (; i < to; i++) {
    const d = (buf[i] as number) - 48;
    if (d < 0 || d > 9) protocolError('not an integer');
    n = n * 10 + d;
  }
  return negative ? -n : n;
}

function protocolError(what: string): never {
  throw new Error(`protocol error: ${what} in a reply`);
}

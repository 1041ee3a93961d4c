/**
 * Key lists: one key per line, read as a stream of bytes in batches (never the whole file in
 * memory). Blank lines and `#` comments are skipped; CRLF line ends and a UTF-8 BOM are tolerated;
 * every key keeps its line number so errors can point at it. A TAB ends the key (keys with
 * control characters are invalid anyway), so a --failed-keys file is itself a key list.
 *
 * Hostile input stays bounded: a line longer than `maxLineBytes` (a binary file, /dev/zero) is an
 * error naming the file and line, a line that is not valid UTF-8 is reported as invalid (never
 * rewritten with U+FFFD), and an aborted signal (where given: the count pass) ends the reading at
 * the next chunk.
 */
import { createReadStream, statSync } from 'node:fs';
import { isAscii, isUtf8 } from 'node:buffer';
import { resolve } from 'node:path';
import { DEFAULTS } from '../../config/defaults.js';
import { InputError } from '../../errors.js';
import { PrefixHasher, type PrefixProof } from '../../core/prefix-hash.js';
import type { KeyLineBatch } from '../../core/warm/ports.js';

export type { KeyLineBatch };

export interface ReadKeyOptions {
  /** Resume: the first `skipLines` lines are done; with `proof` they are skipped only if they match it. */
  skipLines?: number;
  proof?: PrefixProof;
  maxLineBytes?: number;
  signal?: AbortSignal;
  /** 'collect' (warm): invalid UTF-8 lines come back in `invalid`; 'throw' (default): an error naming file:line. */
  invalidUtf8?: 'collect' | 'throw';
  /** Fingerprint the lines (warm with --checkpoint); off for the other commands. */
  fingerprint?: boolean;
  /**
   * A stream (stdin, a pipe): the keys of each chunk read are handed on at its end, not held until
   * a batch fills, since the producer may pause (or wait for the warm) with keys sent.
   */
  flushEachChunk?: boolean;
}

/** Opens a key list: a file path, or '-' for the given stdin. */
export function openKeyList(file: string, cwd: string, stdin: NodeJS.ReadableStream): NodeJS.ReadableStream {
  if (file === '-') return stdin;
  // fs throws a TypeError (exit 70) for such a name; no file can have one.
  if (file.includes('\0')) throw new InputError('cannot read the key list: a file name cannot contain a NUL byte', { file: JSON.stringify(file).slice(1, -1) });
  // 64 KiB reads: each read takes a new buffer, and one of 256 KiB (over glibc's mmap threshold)
  // was a fresh mapping faulted in page by page, read twice (count pass, then the keys): about
  // 3,000 more page faults in a 1M-key warm.
  return createReadStream(resolve(cwd, file), { highWaterMark: 64 * 1024 });
}

const NL = 0x0a;
/** Bytes of an ASCII chunk decoded at once for its keys (see asciiLine). */
const ASCII_WINDOW = 16 * 1024;

/**
 * Yields batches of at most `batchSize` keys. Read errors (missing file) become an InputError
 * naming the file. The 4th argument may be a number of lines to skip (resume without a proof).
 */
export async function* readKeyBatches(
  stream: NodeJS.ReadableStream,
  file: string,
  batchSize: number | (() => number),
  opts: number | ReadKeyOptions = {},
): AsyncGenerator<KeyLineBatch> {
  const sizeOf = typeof batchSize === 'number' ? () => batchSize : batchSize;
  let size = sizeOf();
  const o: ReadKeyOptions = typeof opts === 'number' ? { skipLines: opts } : opts;
  const maxLine = o.maxLineBytes ?? DEFAULTS.keys.maxLineBytes;
  const hasher = o.fingerprint || o.proof ? new PrefixHasher(o.proof?.blockLines) : undefined;
  // Lines up to `skipTo` are candidates for skipping: held until their block's hash is checked.
  let skipTo = o.skipLines ?? 0;
  const verify = o.proof !== undefined && o.proof.lines === skipTo ? o.proof : undefined;
  let held: KeyLineBatch = { keys: [], lines: [] };
  let lineNo = 0;
  // The batch's columns are allocated at its size and filled by index (`filled` keys so far), then
  // cut to what they hold when handed on: grown by push, they were about 30 bytes of garbage a key.
  const sized = (): KeyLineBatch => ({ keys: new Array<string>(Math.min(size, 8192)), lines: new Array<number>(Math.min(size, 8192)) });
  let batch = sized();
  let filled = 0;

  const push = (into: KeyLineBatch, line: number, key: string | undefined, bad?: string, shown?: string): void => {
    if (bad !== undefined) (into.invalid ??= []).push({ line, key: shown ?? '', reason: bad });
    else if (key === undefined) return;
    else if (into === batch) {
      into.keys[filled] = key;
      into.lines[filled] = line;
      filled++;
    } else {
      into.keys.push(key);
      into.lines.push(line);
    }
  };
  const stopSkipping = (line: number): void => {
    skipTo = 0;
    for (let i = 0; i < held.keys.length; i++) push(batch, held.lines[i] as number, held.keys[i]);
    for (const x of held.invalid ?? []) push(batch, x.line, undefined, x.reason, x.key);
    held = { keys: [], lines: [] };
    batch.resumeMismatch = line;
  };
  /** Called after line `lineNo` ended (its bytes hashed): checks a completed block or the end of the prefix. */
  const checkpointLine = (completedBlock: string | undefined): void => {
    if (!verify || lineNo > skipTo) return;
    if (completedBlock !== undefined && completedBlock !== verify.blocks[lineNo / verify.blockLines - 1]) return stopSkipping(lineNo - verify.blockLines + 1);
    if (lineNo === skipTo && hasher?.tail() !== verify.tail) return stopSkipping(Math.floor((lineNo - 1) / verify.blockLines) * verify.blockLines + 1);
    if (completedBlock !== undefined || lineNo === skipTo) held = { keys: [], lines: [] };
  };

  let first = true;
  // Next TAB at or after the current line in the current buffer (-1: none): one search per TAB, not per line.
  let tabBuf: Buffer | undefined;
  let nextTab = -1;
  // When a chunk's lines are all ASCII (keys almost always are), a key is a substring of a window
  // of the chunk decoded at once, not a call into native code and a UTF-8 decode of its own. The
  // window is small (ASCII_WINDOW): a string of a whole 256 KiB chunk would be a large object, a
  // fresh mapping of zeroed pages each time (7% of a key-list warm's CPU in the kernel).
  let asciiEnd = -1;
  let windowBuf: Buffer | undefined;
  let windowStart = 0;
  let windowEnd = 0;
  let windowText = '';
  const asciiLine = (buf: Buffer, s: number, e: number): string => {
    if (buf !== windowBuf || s < windowStart || e > windowEnd) {
      windowBuf = buf;
      windowStart = s;
      windowEnd = Math.max(e, Math.min(asciiEnd, s + ASCII_WINDOW));
      windowText = buf.toString('latin1', windowStart, windowEnd);
    }
    return windowText.slice(s - windowStart, e - windowStart);
  };
  const take = (buf: Buffer, start: number, end: number, utf8Known: boolean): void => {
    lineNo++;
    let s = start;
    let e = end;
    if (first) {
      first = false;
      if (buf[s] === 0xef && buf[s + 1] === 0xbb && buf[s + 2] === 0xbf) s += 3;
    }
    if (e > s && buf[e - 1] === 0x0d) e--;
    // A TAB ends the key: the rest is a comment (--failed-keys files carry the reason there).
    if (tabBuf !== buf || (nextTab >= 0 && nextTab < s)) {
      tabBuf = buf;
      nextTab = buf.indexOf(0x09, s);
    }
    if (nextTab >= 0 && nextTab < e) e = nextTab;
    if (e === s || buf[s] === 0x23 /* # */) return;
    const into = skipTo > 0 && lineNo <= skipTo ? held : batch;
    if (skipTo > 0 && lineNo <= skipTo && !verify) return;
    if (!utf8Known && !isUtf8(buf.subarray(s, e))) {
      const shown = printable(buf.subarray(s, e));
      if (o.invalidUtf8 !== 'collect') throw new InputError(`line ${lineNo} is not valid UTF-8 (${shown}); keys are UTF-8 text`, { file, line: lineNo });
      push(into, lineNo, undefined, 'not valid UTF-8: the line is reported as its bytes, never rewritten', shown);
      return;
    }
    const line = e <= asciiEnd ? asciiLine(buf, s, e) : buf.toString('utf8', s, e);
    // Only whitespace is a blank line too; keys themselves are kept byte for byte. (A line that starts
    // with a printable ASCII character is not blank: no trim needed.)
    const b0 = buf[s] as number;
    if ((b0 <= 0x20 || b0 >= 0x7f) && line.trim().length === 0) return;
    push(into, lineNo, line);
  };
  const full = () => filled + (batch.invalid?.length ?? 0) >= size || batch.resumeMismatch !== undefined;
  const emit = (): KeyLineBatch => {
    const out = batch;
    out.keys.length = filled;
    out.lines.length = filled;
    if (hasher && lineNo > skipTo) out.mark = hasher.mark();
    batch = { keys: [], lines: [] };
    filled = 0;
    return out;
  };
  /** After the consumer took a batch: the next one's size, and its columns at that size. */
  const resize = () => {
    size = Math.max(1, sizeOf());
    batch = sized();
  };

  let carry: Buffer | undefined;
  try {
    for await (const chunk of stream) {
      if (o.signal?.aborted) return;
      const piece = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as Uint8Array);
      const buf = carry ? Buffer.concat([carry, piece]) : piece;
      const lastNl = buf.lastIndexOf(NL);
      // One check for the whole chunk in the common case; line by line only when it fails.
      const ascii = lastNl >= 0 && isAscii(buf.subarray(0, lastNl));
      asciiEnd = ascii ? lastNl : -1;
      const utf8Known = ascii || (lastNl >= 0 && isUtf8(buf.subarray(0, lastNl)));
      let start = 0;
      let hashFrom = 0;
      let nl: number;
      while ((nl = buf.indexOf(NL, start)) >= 0) {
        if (nl - start > maxLine) throw tooLong(file, lineNo + 1, maxLine);
        take(buf, start, nl, utf8Known);
        start = nl + 1;
        if (hasher) {
          // Hash lazily: whole runs of lines at a time, cut only where a block ends or a batch is taken.
          const blockEnds = (hasher.lines + 1) % hasher.blockLines === 0;
          if (blockEnds || lineNo === skipTo) {
            hasher.add(buf.subarray(hashFrom, start));
            hashFrom = start;
          }
          checkpointLine(hasher.endLine());
        }
        if (full()) {
          if (hasher) {
            hasher.add(buf.subarray(hashFrom, start));
            hashFrom = start;
          }
          yield emit();
          resize();
          if (o.signal?.aborted) return;
        }
      }
      hasher?.add(buf.subarray(hashFrom, start));
      carry = start < buf.length ? buf.subarray(start) : undefined;
      if (carry && carry.length > maxLine) throw tooLong(file, lineNo + 1, maxLine);
      if (o.flushEachChunk && (filled > 0 || batch.invalid)) {
        yield emit();
        resize();
        if (o.signal?.aborted) return;
      }
    }
  } catch (error) {
    throw error instanceof InputError ? error : keyListError(error, file);
  }
  if (carry) {
    asciiEnd = -1;
    // The last line has no line end: hashed as if it had one, so the proof does not depend on it.
    take(carry, 0, carry.length, false);
    if (hasher) {
      hasher.add(carry);
      hasher.add(Buffer.from([NL]));
      checkpointLine(hasher.endLine());
    }
  }
  // The stream ended before the checkpointed position: it is not the input the checkpoint saw.
  if (verify && lineNo < skipTo) stopSkipping(Math.floor(lineNo / verify.blockLines) * verify.blockLines + 1);
  if (filled > 0 || batch.invalid || batch.resumeMismatch !== undefined) yield emit();
}

/** A line's bytes as text a terminal and a key list can show: valid runs as they are, other bytes as \xNN. */
function printable(bytes: Buffer): string {
  let out = '';
  for (let i = 0; i < bytes.length && out.length < 200; i++) {
    const b = bytes[i] as number;
    out += b >= 0x20 && b < 0x7f && b !== 0x5c ? String.fromCharCode(b) : `\\x${b.toString(16).padStart(2, '0')}`;
  }
  return out;
}

function tooLong(file: string, line: number, max: number): InputError {
  return new InputError(`line ${line} is longer than ${max} bytes: this is not a key list (one key per line, keys of at most --max-key-bytes)`, { file, line });
}

/** Counts the keys of a key-list file (for the progress bar's total); undefined for stdin, pipes and devices. */
export async function countKeys(file: string, cwd: string, options: { maxLineBytes?: number; signal?: AbortSignal } = {}): Promise<number | undefined> {
  if (file === '-') return undefined;
  try {
    // Reading a FIFO or a device to count it would consume it (or never end).
    if (!statSync(resolve(cwd, file)).isFile()) return undefined;
  } catch {
    return undefined;
  }
  const n = await countKeyLines(openKeyList(file, cwd, process.stdin), file, options);
  return options.signal?.aborted ? undefined : n;
}

/**
 * The number of keys readKeyBatches would give (valid and invalid alike), from the bytes: lines
 * that start with a printable character other than `#` count without being decoded, and only
 * the rare others (leading whitespace, non-ASCII) are decoded to tell a blank line. The count pass
 * of a key list used to read it as readKeyBatches does, a string per key: 0.1 us a key of CPU for
 * the progress bar's total alone. Bad input fails here as there (a line longer than maxLineBytes).
 */
export async function countKeyLines(
  stream: NodeJS.ReadableStream,
  file: string,
  options: { maxLineBytes?: number; signal?: AbortSignal } = {},
): Promise<number> {
  const maxLine = options.maxLineBytes ?? DEFAULTS.keys.maxLineBytes;
  let n = 0;
  let lineNo = 0;
  let carry: Buffer | undefined;
  const isKey = (buf: Buffer, start: number, end: number): boolean => {
    let s = start;
    let e = end;
    if (lineNo === 1 && buf[s] === 0xef && buf[s + 1] === 0xbb && buf[s + 2] === 0xbf) s += 3;
    if (e > s && buf[e - 1] === 0x0d) e--;
    if (e === s) return false;
    const b0 = buf[s] as number;
    if (b0 > 0x20 && b0 < 0x7f) return b0 !== 0x23; /* # */
    const tab = buf.indexOf(0x09, s);
    if (tab >= 0 && tab < e) e = tab;
    if (e === s) return false;
    // As readKeyBatches: a line that is not UTF-8 is reported (so counted); else only whitespace is blank.
    const bytes = buf.subarray(s, e);
    return !isUtf8(bytes) || bytes.toString('utf8').trim().length > 0;
  };
  try {
    for await (const chunk of stream) {
      if (options.signal?.aborted) return n;
      const buf = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as Uint8Array);
      let start = 0;
      let nl: number;
      if (carry) {
        // Only the line cut by the chunk's start is joined: joining the carry to the whole chunk
        // copied every chunk once more (a third of the count pass's CPU, perf).
        nl = buf.indexOf(NL);
        if (nl < 0) {
          carry = Buffer.concat([carry, buf]);
          if (carry.length > maxLine) throw tooLong(file, lineNo + 1, maxLine);
          continue;
        }
        if (carry.length + nl > maxLine) throw tooLong(file, lineNo + 1, maxLine);
        const line = Buffer.concat([carry, buf.subarray(0, nl)]);
        lineNo++;
        if (isKey(line, 0, line.length)) n++;
        start = nl + 1;
      }
      while ((nl = buf.indexOf(NL, start)) >= 0) {
        if (nl - start > maxLine) throw tooLong(file, lineNo + 1, maxLine);
        lineNo++;
        if (isKey(buf, start, nl)) n++;
        start = nl + 1;
      }
      carry = start < buf.length ? buf.subarray(start) : undefined;
      if (carry && carry.length > maxLine) throw tooLong(file, lineNo + 1, maxLine);
    }
  } catch (error) {
    throw error instanceof InputError ? error : keyListError(error, file);
  }
  if (carry) {
    lineNo++;
    if (isKey(carry, 0, carry.length)) n++;
  }
  return n;
}

function keyListError(error: unknown, file: string): InputError {
  const code = (error as NodeJS.ErrnoException).code;
  const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : code === 'EACCES' ? 'permission denied' : (error as Error).message;
  return new InputError(`cannot read the key list (${why}); check the path given to --keys or \`keys:\``, { file });
}

/** The key-list port of the warm engine: files (or stdin) read in batches. */
export function keyListPort(
  cwd: string,
  stdin: NodeJS.ReadableStream,
  batchSize: number,
  options: { maxLineBytes?: number; signal?: AbortSignal; fingerprint?: boolean } = {},
) {
  /** stdin, a named pipe, a device: a list that may never end and may pause. */
  const isStream = (file: string): boolean => {
    if (file === '-') return true;
    try {
      return !statSync(resolve(cwd, file)).isFile();
    } catch {
      return false;
    }
  };
  return {
    open(
      entry: { source: { kind: string; keysFile?: string } },
      skipLines: number,
      proof?: PrefixProof,
      size: () => number = () => batchSize,
    ): AsyncIterable<KeyLineBatch> {
      const file = entry.source.keysFile ?? '-';
      // No signal here: the engine stops between batches, and after a stop it reads the rest of a
      // file to list its keys as not attempted (a stdin's rest it leaves unread).
      const { signal: _signal, ...rest } = options;
      return readKeyBatches(openKeyList(file, cwd, stdin), file === '-' ? 'stdin' : file, size, {
        ...rest,
        flushEachChunk: isStream(file),
        skipLines,
        ...(proof ? { proof } : {}),
        invalidUtf8: 'collect',
      });
    },
    count(entry: { source: { kind: string; keysFile?: string } }): Promise<number | undefined> {
      return countKeys(entry.source.keysFile ?? '-', cwd, options);
    },
    isStream(entry: { source: { kind: string; keysFile?: string } }): boolean {
      return isStream(entry.source.keysFile ?? '-');
    },
  };
}

/**
 * Key lists: one key per line, read as a stream in batches (never the whole file in memory).
 * Blank lines and `#` comments are skipped; CRLF line ends and a UTF-8 BOM are tolerated;
 * every key keeps its line number so errors can point at it. A TAB ends the key (keys with
 * control characters are invalid anyway), so a --failed-keys file is itself a key list.
 */
import { createReadStream } from 'node:fs';
import { resolve } from 'node:path';
import { InputError } from '../errors.js';

export interface KeyLineBatch {
  keys: string[];
  /** 1-based line number of each key. */
  lines: number[];
}

/** Opens a key list: a file path, or '-' for the given stdin. */
export function openKeyList(file: string, cwd: string, stdin: NodeJS.ReadableStream): NodeJS.ReadableStream {
  if (file === '-') return stdin;
  // fs throws a TypeError (exit 70) for such a name; no file can have one.
  if (file.includes('\0')) throw new InputError('cannot read the key list: a file name cannot contain a NUL byte', { file: JSON.stringify(file).slice(1, -1) });
  const stream = createReadStream(resolve(cwd, file), { highWaterMark: 256 * 1024 });
  return stream;
}

/**
 * Yields batches of at most `batchSize` keys, skipping the first `skipLines` lines (resume).
 * Read errors (missing file) become an InputError naming the file.
 */
export async function* readKeyBatches(
  stream: NodeJS.ReadableStream,
  file: string,
  batchSize: number,
  skipLines = 0,
): AsyncGenerator<KeyLineBatch> {
  let carry = '';
  let lineNo = 0;
  let first = true;
  let batch: KeyLineBatch = { keys: [], lines: [] };
  const take = (raw: string): void => {
    lineNo++;
    let line = raw;
    if (first) {
      first = false;
      if (line.charCodeAt(0) === 0xfeff) line = line.slice(1);
    }
    if (line.endsWith('\r')) line = line.slice(0, -1);
    // A TAB ends the key: the rest is a comment (--failed-keys files carry the reason there).
    const tab = line.indexOf('\t');
    if (tab >= 0) line = line.slice(0, tab);
    if (lineNo <= skipLines) return;
    if (line.length === 0 || line[0] === '#') return;
    // Only whitespace is a blank line too; keys themselves are kept byte for byte.
    if (line.trim().length === 0) return;
    batch.keys.push(line);
    batch.lines.push(lineNo);
  };
  try {
    // Decode as UTF-8 in the stream so a character split across chunks stays whole.
    if (!(stream as { readableObjectMode?: boolean }).readableObjectMode) stream.setEncoding('utf8');
    for await (const chunk of stream) {
      const text = carry + (typeof chunk === 'string' ? chunk : Buffer.from(chunk as Uint8Array).toString('utf8'));
      let start = 0;
      let nl: number;
      while ((nl = text.indexOf('\n', start)) >= 0) {
        take(text.slice(start, nl));
        start = nl + 1;
        if (batch.keys.length >= batchSize) {
          yield batch;
          batch = { keys: [], lines: [] };
        }
      }
      carry = text.slice(start);
    }
  } catch (error) {
    throw keyListError(error, file);
  }
  if (carry.length > 0) take(carry);
  if (batch.keys.length > 0) yield batch;
}

/** Counts the keys of a key-list file (for the progress bar's total); undefined for stdin. */
export async function countKeys(file: string, cwd: string): Promise<number | undefined> {
  if (file === '-') return undefined;
  let n = 0;
  for await (const batch of readKeyBatches(openKeyList(file, cwd, process.stdin), file, 10_000)) n += batch.keys.length;
  return n;
}

function keyListError(error: unknown, file: string): InputError {
  const code = (error as NodeJS.ErrnoException).code;
  const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : code === 'EACCES' ? 'permission denied' : (error as Error).message;
  return new InputError(`cannot read the key list (${why}); check the path given to --keys or \`keys:\``, { file });
}

/** The key-list port of the warm engine: files (or stdin) read in batches. */
export function keyListPort(cwd: string, stdin: NodeJS.ReadableStream, batchSize: number) {
  return {
    open(entry: { source: { kind: string; keysFile?: string } }, skipLines: number): AsyncIterable<KeyLineBatch> {
      const file = entry.source.keysFile ?? '-';
      return readKeyBatches(openKeyList(file, cwd, stdin), file === '-' ? 'stdin' : file, batchSize, skipLines);
    },
    count(entry: { source: { kind: string; keysFile?: string } }): Promise<number | undefined> {
      return countKeys(entry.source.keysFile ?? '-', cwd);
    },
  };
}

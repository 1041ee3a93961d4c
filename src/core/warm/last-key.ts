import type { ByteRows } from './ports.js';

/**
 * The last key read of a streamed query and how many rows in a row had it, for the checkpoint
 * (the resumed query starts at that key). Byte rows are compared as bytes; the text is made once
 * per batch, for the mark.
 */
export class LastKey {
  private chunk: Buffer | undefined;
  private at = 0;
  private length = 0;
  /** Rows with the last key at the end of what was read. */
  repeats = 0;

  constructor(public key: string | undefined) {}

  /** Returns how many rows had a (non-NULL) key. */
  trackRows(rows: readonly unknown[][], shape: { keyIndex: number }): number {
    let keyed = 0;
    for (let r = 0; r < rows.length; r++) {
      const k = (rows[r] as unknown[])[shape.keyIndex];
      if (k === null || k === undefined) continue;
      keyed++;
      const key = typeof k === 'string' ? k : String(k);
      if (key === this.key) this.repeats++;
      else if (key !== '') {
        this.key = key;
        this.repeats = 1;
      }
    }
    this.chunk = undefined;
    return keyed;
  }

  trackBytes(rows: ByteRows): number {
    const { spans, chunks } = rows;
    let keyed = 0;
    for (let r = 0; r < rows.count; r++) if ((spans[4 * r + 1] as number) >= 0) keyed++;
    // Only the batch's last key and its run of rows at the end count: scanned from the end, it
    // stops at the first other key (NULL and empty keys neither count nor end the run).
    let last = rows.count - 1;
    while (last >= 0 && (spans[4 * last + 1] as number) <= 0) last--;
    if (last < 0) return keyed;
    const chunk = chunks[last] as Buffer;
    const at = spans[4 * last] as number;
    const length = spans[4 * last + 1] as number;
    let run = 1;
    let r = last - 1;
    for (; r >= 0; r--) {
      const l = spans[4 * r + 1] as number;
      if (l <= 0) continue;
      if (l !== length || !sameBytes(chunks[r] as Buffer, spans[4 * r] as number, chunk, at, length)) break;
      run++;
    }
    // The whole batch is one key's run: it goes on from the previous batch when that ended on the same key.
    if (r < 0 && this.key !== undefined && this.sameAsKey(chunk, at, length)) run += this.repeats;
    else this.key = chunk.toString('utf8', at, at + length);
    this.repeats = run;
    this.chunk = chunk;
    this.at = at;
    this.length = length;
    return keyed;
  }

  private sameAsKey(chunk: Buffer, at: number, length: number): boolean {
    if (this.chunk === undefined) {
      this.chunk = Buffer.from(this.key as string, 'utf8');
      this.at = 0;
      this.length = this.chunk.length;
    }
    return length === this.length && sameBytes(chunk, at, this.chunk, this.at, length);
  }
}

function sameBytes(a: Uint8Array, i: number, b: Uint8Array, j: number, length: number): boolean {
  for (let k = 0; k < length; k++) if (a[i + k] !== b[j + k]) return false;
  return true;
}

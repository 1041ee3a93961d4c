/**
 * Matching a key-list fetch's rows to its keys on the bytes of the rows' key column. The string
 * way (matchRowIndexes) decodes each row's column into a string and looks it up in a Map of the
 * batch's ids: a UTF-8 decode per row and a Map entry per key, about 80 bytes of garbage a key,
 * which the garbage collector then spends time on. Here the ids go into an open-addressing table
 * of indexes, reused from batch to batch, and each row's bytes are hashed and compared in place.
 *
 * Only ASCII ids are indexed this way (their UTF-16 units are their UTF-8 bytes, so one hash
 * serves both); a batch with any other id is left to the string way, as are columns whose bytes
 * are not the text the driver gives (the source says which: ByteValueRows.textSpans).
 */
import { matchRowIndexes } from './batch.js';
import type { KeyPattern } from './pattern.js';
import type { ByteValueRows } from './ports.js';
import type { RowShape } from './values.js';

/** FNV-1a over an ASCII string's units (its UTF-8 bytes); -1 when it is not ASCII. */
function hashAscii(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c > 0x7f) return -1;
    h = Math.imul(h ^ c, 0x01000193);
  }
  return h >>> 0;
}

function hashBytes(b: Uint8Array, at: number, length: number): number {
  let h = 0x811c9dc5;
  for (let i = at, end = at + length; i < end; i++) h = Math.imul(h ^ (b[i] as number), 0x01000193);
  return h >>> 0;
}

function sameBytes(s: string, b: Uint8Array, at: number, length: number): boolean {
  if (s.length !== length) return false;
  for (let i = 0; i < length; i++) if (s.charCodeAt(i) !== b[at + i]) return false;
  return true;
}

/** The ids of a batch by hash: slot values are index + 1 (0: empty). */
class IdTable {
  private slots = new Int32Array(0);
  private mask = 0;
  private ids: readonly string[] = [];

  /**
   * Indexes `ids` (the first of equal ids; each later one goes into `duplicates` with the index of
   * the first: pairs); false, with nothing indexed, when one is not ASCII.
   */
  index(ids: readonly string[], duplicates: number[]): boolean {
    // At most half full; a table far larger than needed (after one huge batch) is not kept.
    let size = 16;
    while (size < 2 * ids.length) size *= 2;
    if (this.slots.length < size || this.slots.length > 8 * size) this.slots = new Int32Array(size);
    else this.slots.fill(0);
    this.mask = this.slots.length - 1;
    this.ids = ids;
    const { slots, mask } = this;
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i] as string;
      const hash = hashAscii(id);
      if (hash < 0) {
        this.clear();
        duplicates.length = 0;
        return false;
      }
      let s = hash & mask;
      for (;;) {
        const at = slots[s] as number;
        if (at === 0) {
          slots[s] = i + 1;
          break;
        }
        if (ids[at - 1] === id) {
          duplicates.push(i, at - 1);
          break;
        }
        s = (s + 1) & mask;
      }
    }
    return true;
  }

  /** The index of the id equal to b[at, +length), or -1. */
  find(b: Uint8Array, at: number, length: number): number {
    const { slots, mask, ids } = this;
    let s = hashBytes(b, at, length) & mask;
    for (;;) {
      const i = slots[s] as number;
      if (i === 0) return -1;
      if (sameBytes(ids[i - 1] as string, b, at, length)) return i - 1;
      s = (s + 1) & mask;
    }
  }

  /** Lets go of the batch's ids. */
  clear(): void {
    this.ids = [];
  }
}

// One table for all batches: matching runs start to end without an await, so batches never share it.
const table = new IdTable();

/**
 * Row index of each id (-1: no row), where row r's column is chunkList[chunkOf[r]][spans[2r],
 * +spans[2r+1]) (length -1: NULL, which matches no id). The first row wins when several have one
 * id, and an id listed twice gets the same row at both places, as in matchRowIndexes. Undefined
 * when an id is not ASCII: match by strings instead.
 */
export function matchRowIndexesOnBytes(
  ids: readonly string[],
  count: number,
  chunkList: readonly Buffer[],
  chunkOf: Int32Array,
  spans: Int32Array,
): Int32Array | undefined {
  const duplicates: number[] = [];
  if (!table.index(ids, duplicates)) return undefined;
  try {
    const rowOf = new Int32Array(ids.length).fill(-1);
    for (let r = 0; r < count; r++) {
      const length = spans[2 * r + 1] as number;
      if (length < 0) continue;
      const i = table.find(chunkList[chunkOf[r] as number] as Buffer, spans[2 * r] as number, length);
      if (i >= 0 && (rowOf[i] as number) < 0) rowOf[i] = r;
    }
    for (let d = 0; d < duplicates.length; d += 2) rowOf[duplicates[d] as number] = rowOf[duplicates[d + 1] as number] as number;
    return rowOf;
  } finally {
    table.clear();
  }
}

/**
 * matchRowIndexes for byte rows: on the bytes of the key column where the pattern has one
 * parameter and the column's bytes are its text; by strings otherwise.
 */
export function matchByteValueRows(
  pattern: KeyPattern,
  keys: readonly string[],
  params: readonly (readonly string[])[],
  rows: ByteValueRows,
  shape: RowShape,
): Int32Array {
  const single = params.length === 1 && pattern.params.length === 1 ? (params[0] as readonly string[]) : undefined;
  if (single) {
    const column = shape.names.indexOf(pattern.params[0] as string);
    const spans = column >= 0 ? rows.textSpans(column) : undefined;
    const rowOf = spans && matchRowIndexesOnBytes(single, rows.count, rows.chunkList, rows.chunkOf, spans);
    if (rowOf) return rowOf;
  }
  return matchRowIndexes(pattern, keys, rows.count, (r, c) => rows.cell(r, c), shape, single);
}

/**
 * The items waiting for one node's pipelines, kept as runs of indexes into the write batches (or
 * Items, when keys come back from a hold or a redirect) they arrived in. Nothing is copied per key
 * until a pipeline is taken, and then into columns allocated once at the pipeline's size: pushing
 * every key into ten growing arrays per lane and splicing them out per pipeline made about 190
 * bytes of garbage a key.
 */
import type { Ticket, WriteBatch } from '../../core/warm/ports.js';
import { itemUnits, modeOf, type Items } from './write-items.js';

interface Run {
  /** A write batch (`batch`) or Items: where the run's items are. */
  readonly batch?: WriteBatch;
  readonly items?: Items;
  readonly indexes: Int32Array;
  /** Indexes before this one are taken. */
  at: number;
}

/**
 * Where a taken pipeline's number columns sit in its ArrayBuffer, in bytes per item: ttls and
 * refresh as float64 first (8-byte aligned), then modes and attempts as int32, then the byte
 * items' spans (4 int32 each) when there are any.
 */
const AT_REFRESH = 8;
const AT_MODES = 16;
const AT_ATTEMPTS = 20;
const AT_SPANS = 24;
const SPAN_BYTES = 16;

export class LaneQueue {
  private runs: Run[] = [];
  /** Items waiting. */
  length = 0;

  /** Items `indexes` of `batch`, in order. */
  addFromBatch(batch: WriteBatch, indexes: Int32Array): void {
    if (indexes.length === 0) return;
    this.runs.push({ batch, indexes, at: 0 });
    this.length += indexes.length;
  }

  /** Items `indexes` of `items`, in order. */
  addFromItems(items: Items, indexes: Int32Array): void {
    if (indexes.length === 0) return;
    this.runs.push({ items, indexes, at: 0 });
    this.length += indexes.length;
  }

  /**
   * Removes and returns the first `n` items, fewer when their keys and values pass `maxUnits`
   * UTF-16 units (about bytes; one item at least): a pipeline of large values is cut by size too.
   */
  take(n: number, maxUnits = Infinity): Items {
    let count = Math.min(n, this.length);
    if (maxUnits !== Infinity) count = this.countWithin(count, maxUnits);
    const bytes = this.anyBytes(count);
    // The numeric columns are views of one ArrayBuffer, outside the JS heap: a pipeline's columns
    // live until its replies come, and as arrays they were most of what each scavenge copied
    // (and then promoted) while pipelines waited.
    const numbers = new ArrayBuffer(count * (AT_SPANS + (bytes ? SPAN_BYTES : 0)));
    const out: Items = {
      keys: new Array<string>(count),
      values: new Array<string | string[]>(count),
      ttls: new Float64Array(numbers, 0, count),
      stale: new Array<boolean>(count),
      tickets: new Array<Ticket>(count),
      modes: new Int32Array(numbers, AT_MODES * count, count),
      refresh: new Float64Array(numbers, AT_REFRESH * count, count),
      attempts: new Int32Array(numbers, AT_ATTEMPTS * count, count),
      chunks: bytes ? new Array<Buffer | null>(count) : [],
      spans: bytes ? new Int32Array(numbers, AT_SPANS * count, 4 * count) : [],
    };
    let j = 0;
    while (j < count) {
      const run = this.runs[0] as Run;
      const take = Math.min(count - j, run.indexes.length - run.at);
      for (let k = 0; k < take; k++) {
        const i = run.indexes[run.at + k] as number;
        if (run.batch) setFromBatch(out, j + k, run.batch, i, bytes);
        else setFromItems(out, j + k, run.items as Items, i, bytes);
      }
      j += take;
      run.at += take;
      if (run.at === run.indexes.length) this.runs.shift();
    }
    this.length -= count;
    return out;
  }

  /** How many of the first `count` items fit in `maxUnits` (at least one). */
  private countWithin(count: number, maxUnits: number): number {
    let units = 0;
    let seen = 0;
    for (const run of this.runs) {
      for (let k = run.at; k < run.indexes.length && seen < count; k++, seen++) {
        const i = run.indexes[k] as number;
        units += itemUnits(run.batch ?? (run.items as Items), i);
        if (units > maxUnits && seen > 0) return seen;
      }
      if (seen >= count) break;
    }
    return count;
  }

  /** Whether any of the first `count` items is a byte item (then the byte columns are made). */
  private anyBytes(count: number): boolean {
    let seen = 0;
    for (const run of this.runs) {
      if (seen >= count) break;
      const chunks = run.batch ? run.batch.chunks : (run.items as Items).chunks;
      if (chunks && chunks.length > 0) {
        const end = Math.min(run.indexes.length, run.at + count - seen);
        for (let k = run.at; k < end; k++) if (chunks[run.indexes[k] as number]) return true;
      }
      seen += run.indexes.length - run.at;
    }
    return false;
  }
}

/** Item i of a write batch into place j of `dst` (what pushFromBatch does, by index). */
function setFromBatch(dst: Items, j: number, batch: WriteBatch, i: number, bytes: boolean): void {
  dst.keys[j] = batch.keys[i] as string;
  dst.values[j] = batch.values[i] as string | string[];
  dst.ttls[j] = batch.ttls[i] as number;
  dst.stale[j] = batch.stale[i] as boolean;
  dst.tickets[j] = batch.tickets[i] as Ticket;
  dst.modes[j] = modeOf(batch);
  dst.refresh[j] = batch.refreshBelowMs ? (batch.refreshBelowMs[i] as number) : -1;
  dst.attempts[j] = 0;
  if (bytes) setSpan(dst, j, batch.chunks?.[i] ?? null, batch.spans, i);
}

/** Item i of `src` into place j of `dst` (what pushItem does, by index). */
function setFromItems(dst: Items, j: number, src: Items, i: number, bytes: boolean): void {
  dst.keys[j] = src.keys[i] as string;
  dst.values[j] = src.values[i] as string | string[];
  dst.ttls[j] = src.ttls[i] as number;
  dst.stale[j] = src.stale[i] as boolean;
  dst.tickets[j] = src.tickets[i] as Ticket;
  dst.modes[j] = src.modes[i] as number;
  dst.refresh[j] = src.refresh[i] as number;
  dst.attempts[j] = src.attempts[i] as number;
  if (bytes) setSpan(dst, j, src.chunks[i] ?? null, src.spans, i);
}

function setSpan(dst: Items, j: number, chunk: Buffer | null, spans: ArrayLike<number> | undefined, i: number): void {
  dst.chunks[j] = chunk;
  const s = dst.spans;
  if (chunk && spans) {
    s[4 * j] = spans[4 * i] as number;
    s[4 * j + 1] = spans[4 * i + 1] as number;
    s[4 * j + 2] = spans[4 * i + 2] as number;
    s[4 * j + 3] = spans[4 * i + 3] as number;
  } else {
    s[4 * j] = 0;
    s[4 * j + 1] = 0;
    s[4 * j + 2] = 0;
    s[4 * j + 3] = 0;
  }
}

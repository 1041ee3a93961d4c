/**
 * How many keys a key-list fetch takes: as many as fit a byte budget at the row size seen so far,
 * never more than the batch size. The size a row takes is learnt from each completed fetch; the
 * larger of the last fetch's and the run's average counts, so a run into larger values shrinks
 * at once and grows back only as the average does. Before the first fetch completes, `first`.
 */
import type { FetchedRows } from './ports.js';

/** A fetch's byte budget, and its size until the first fetch has told the row size. */
export interface FetchBytes {
  target: number;
  firstKeys: number;
}

/** The sizer for fetches of at most `maxKeys`, or undefined where every fetch is maxKeys (no byte budget: an explicit --batch-size). */
export function fetchSizer(maxKeys: number, bytes: FetchBytes | undefined): FetchSizer | undefined {
  return bytes ? new FetchSizer(maxKeys, bytes.target, bytes.firstKeys) : undefined;
}

export class FetchSizer {
  private keys = 0;
  private bytes = 0;
  private lastPerKey = 0;

  constructor(
    private readonly maxKeys: number,
    private readonly targetBytes: number,
    private readonly first: number,
  ) {}

  /** A fetch of `keys` keys came back holding `bytes`. */
  fetched(keys: number, bytes: number): void {
    if (keys <= 0) return;
    this.keys += keys;
    this.bytes += bytes;
    this.lastPerKey = bytes / keys;
  }

  /** Keys for the next fetch (bound: a key list's reader takes it as its batch size). */
  readonly next = (): number => {
    if (this.keys === 0) return Math.min(this.maxKeys, this.first);
    const perKey = Math.max(this.lastPerKey, this.bytes / this.keys, 1);
    return Math.max(1, Math.min(this.maxKeys, Math.floor(this.targetBytes / perKey)));
  };
}

/** What a fetch's rows take in memory: the socket chunks that hold them (each once), or the values' text. */
export function fetchedBytes(fetched: FetchedRows): number {
  let bytes = 0;
  if (fetched.bytes) {
    for (const chunk of fetched.bytes.chunkList) bytes += chunk.length;
    return bytes;
  }
  for (const row of fetched.rows) for (const cell of row) bytes += typeof cell === 'string' ? cell.length : cell instanceof Uint8Array ? cell.length : 8;
  return bytes;
}

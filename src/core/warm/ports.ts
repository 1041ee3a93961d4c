/**
 * The ports the engine drives. Adapters implement them with pg and ioredis; tests may
 * implement them in memory. Everything is batched: no call per key crosses a port.
 */
import type { RowShape } from './values.js';
import type { ResumeMark, WarmEntry } from './types.js';
import type { PrefixMark, PrefixProof } from '../prefix-hash.js';

/** A batch of keys read from a key list, each with its line number. */
export interface KeyLineBatch {
  keys: string[];
  /** 1-based line number of each key. */
  lines: number[];
  /** Lines that cannot be keys (not valid UTF-8), with a printable rendering of their bytes. */
  invalid?: { line: number; key: string; reason: string }[];
  /** The fingerprint of lines 1..(last line of this batch), for the checkpoint. */
  mark?: PrefixMark;
  /** Set on the first batch after a resume found the input differs from its checkpoint at this line. */
  resumeMismatch?: number;
}

/**
 * A unit of completion: one source batch. The writer settles its keys in any order; when all
 * are settled (written, skipped or failed) the engine can checkpoint the batch's position.
 */
export interface Ticket {
  readonly entry: string;
  readonly entryIndex: number;
  /** Input position (line or row) of the batch's last key. */
  readonly position: number;
  /** Write items not yet settled. */
  remaining: number;
  /** What the checkpoint records with the position (see ResumeMark). */
  readonly mark?: ResumeMark;
  sealed: boolean;
}

/**
 * Streamed rows of a key and a value as UTF-8 bytes (binary COPY), never made strings on the way
 * to Redis: row r's key is chunks[r][spans[4r], +spans[4r+1]) and its value
 * chunks[r][spans[4r+2], +spans[4r+3]); a length of -1 is NULL.
 */
export interface ByteRows {
  readonly count: number;
  readonly chunks: readonly Buffer[];
  readonly spans: Int32Array;
}

/** Columnar batch of writes. `ttls[i]` is ms, or -1 for no expiry. */
export interface WriteBatch {
  keys: string[];
  values: (string | string[])[];
  ttls: number[];
  /** true for `<key>:stale` copies. */
  stale: boolean[];
  tickets: Ticket[];
  format: 'string' | 'hash';
  onlyMissing: boolean;
  /** Rewrite only when the key has less than this left (ms); stale copies add their window. */
  refreshBelowMs?: number[];
  /**
   * Set only on a batch of byte items (streamed rows, see pushByteWrite; key-list values read as
   * bytes, see pushWrite with a chunk): the chunk holding each item's value, and its key unless the
   * key length is KEY_IN_KEYS. spans: keyAt, keyLength, valueAt, valueLength per item; `values[i]`
   * is '', and so is `keys[i]` when the key is in the chunk. A batch of strings has neither.
   * A batch of streamed rows may hold the rows' own columns (byteRowsBatch): `spans` is then an
   * Int32Array longer than the batch, so the batch's length is `keys.length`, never theirs.
   */
  chunks?: readonly (Buffer | null)[];
  spans?: ArrayLike<number>;
}

/** A byte item's key length when its key is the string `keys[i]` (only its value is bytes). */
export const KEY_IN_KEYS = -1;

/**
 * Key-list rows whose value column came as bytes (the fetch's value is text): row r's value is
 * chunk r [valueSpans[2r], +valueSpans[2r+1]) (length -1: NULL), where chunk r is
 * chunkList[chunkOf[r]]; `cell` gives the other columns as the driver would (the key pattern's
 * columns are matched on them).
 */
export interface ByteValueRows {
  readonly count: number;
  /** The distinct chunks the rows are in. */
  readonly chunkList: readonly Buffer[];
  readonly chunkOf: Int32Array;
  readonly valueSpans: Int32Array;
  cell(r: number, column: number): unknown;
  /**
   * Column c as spans in the rows' chunks, as valueSpans, when its bytes are exactly the text of
   * what `cell` gives (String(cell(r, c))): text-like and integer columns. Else undefined.
   */
  textSpans(column: number): Int32Array | undefined;
}

/** How the writer reports outcomes, aggregated per ticket and node wherever possible. */
export interface WriteReport {
  written(ticket: Ticket, keys: number, stale: number, node: string, bytes: number): void;
  skipped(ticket: Ticket, keys: number): void;
  /** `charge` false: the key failed because its node was down past --failover-wait; it does not spend --max-errors. */
  failed(ticket: Ticket, key: string, reason: string, charge?: boolean): void;
  retry(info: { node: string; attempt: number; delayMs: number; reason: string; keys: number }): void;
  nodeError(node: string, error: string): void;
  /** A key reported written that its node lost since (it restarted without its data, or died): failed, not charged. */
  lost?(entry: string, key: string, reason: string, keys?: number): void;
  /** Keys counted written that are being written again (their node restarted without them): no longer counted. */
  retract?(entry: string, keys: number, stale: number): void;
  /** A node stopped answering (or came back): keys of its slots are held while waiting. */
  failover?(info: FailoverInfo): void;
  verified(key: string, node: string, problem: VerifyProblem | undefined, detail?: string): void;
  /** A dry run's would-be write. */
  planned?(key: string, node: string, ttlMs: number | null): void;
}

export interface CacheWriter {
  readonly nodeNames: readonly string[];
  /** Queues the batch; resolves once there is room for more (backpressure). */
  write(batch: WriteBatch): Promise<void>;
  /** Resolves when every queued item is settled. */
  drain(): Promise<void>;
  /** The run is stopping: keys held for a failover are given up now (failed with `reason`), not waited for. */
  stop?(reason: string): void;
  /** --verify: waits for the inline checks, then reads back the sampled keys on their owning nodes. */
  finishVerify(): Promise<void>;
}

export interface FetchedRows {
  /** Empty when `bytes` holds the rows. */
  rows: unknown[][];
  bytes?: ByteValueRows;
  shape: RowShape;
  /** Keys (by index into the batch) the database rejected, with its message. */
  invalid: { index: number; reason: string }[];
}

export interface RowSourcePort {
  /** Batched fetch for a key-list entry: params[p] is the array for `$p+1`. Throws FetchError. */
  fetch(entry: WarmEntry, params: string[][], keyCount: number): Promise<FetchedRows>;
  /**
   * fetch for an entry that writes strings, with the rows as ByteValueRows where the value column
   * is text (its bytes are what is written); else as rows. Optional: without it the engine fetches rows.
   */
  fetchBytes?(entry: WarmEntry, params: string[][], keyCount: number): Promise<FetchedRows>;
  /**
   * Streams a query entry through a cursor, skipping `skipRows`; with `afterKey` (a query ordered
   * by key, resumed) only rows whose key sorts at or after it, and no rows skipped. Throws FetchError.
   */
  stream(entry: WarmEntry, skipRows: number, signal: AbortSignal, afterKey?: string): AsyncIterable<{ rows: unknown[][]; shape: RowShape }>;
  /**
   * The same rows as bytes where the source can (a key and a text value by binary COPY): batches
   * of ByteRows, or of rows where it cannot. Optional: without it the engine streams rows.
   */
  streamBytes?(
    entry: WarmEntry,
    skipRows: number,
    signal: AbortSignal,
    afterKey?: string,
  ): AsyncIterable<{ rows: unknown[][]; shape: RowShape } | { bytes: ByteRows }>;
  /** Rows of a query entry (ordered by key) whose key sorts before `key`. Throws FetchError. */
  countBefore?(entry: WarmEntry, key: string): Promise<number>;
  /** Row count for the progress bar: exact for --count, else the planner's estimate. */
  estimate(entry: WarmEntry): Promise<number | undefined>;
}

export interface KeyListPort {
  /**
   * Skips the first `skipLines` lines, only where they match `proof` when one is given. `batchSize`,
   * where given, is asked before each batch (the engine sizes batches by their values' bytes).
   */
  open(entry: WarmEntry, skipLines: number, proof?: PrefixProof, batchSize?: () => number): AsyncIterable<KeyLineBatch>;
  count(entry: WarmEntry): Promise<number | undefined>;
  /** The list is a stream that may never end (stdin, a named pipe, a device): after a signal its rest is left unread. */
  isStream?(entry: WarmEntry): boolean;
}

/**
 * Remaining TTLs read before fetching (--only-missing, --refresh-below): ms, -1 no expiry, -2
 * absent, undefined when it could not be read (the key is then fetched and the writer decides).
 */
export interface CachePeekPort {
  pttls(keys: readonly string[]): Promise<(number | undefined)[]>;
}

/** A fetch that failed for a reason other than its input (after retries): its keys fail. */
export class FetchError extends Error {
  constructor(
    message: string,
    readonly transient: boolean,
  ) {
    super(message);
    this.name = 'FetchError';
  }
}

export interface FailoverInfo {
  node: string;
  /** waiting: keys held; over: the node (or its replica) answers again; gaveUp: --failover-wait ran out. */
  state: 'waiting' | 'over' | 'gaveUp';
  /** Slot ranges held (cluster), e.g. '0-5460'; undefined elsewhere. */
  slots?: string;
  heldKeys: number;
  waitedMs: number;
  reason: string;
}

/** missing: the owner says the key is absent; noTtl: present without TTL; unverified: could not be read back. */
export type VerifyProblem = 'missing' | 'noTtl' | 'unverified';

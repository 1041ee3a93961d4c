/**
 * The vocabulary of a warm: entries (what to load), options (how), and the ports the engine
 * drives (key sources, fetchers, the cache writer). Adapters implement the ports; core stays pure.
 */
import type { KeyPattern } from './pattern.js';
import type { FetchBytes } from './fetch-size.js';
import type { PrefixMark, PrefixProof } from '../prefix-hash.js';

export type ValueFormat = 'string' | 'hash';

/** Where a warmlist defines an entry (file and line), for messages; empty for an ad-hoc entry from flags. */
export interface WarmlistLocation {
  file?: string;
  line?: number;
}

export type EntrySource =
  | {
      kind: 'keys';
      /** Path of the key list, or '-' for stdin. */
      keysFile: string;
      pattern: KeyPattern;
      /** SQL with $1..$n arrays in pattern order, returning a column per parameter (+ `value`). */
      fetch: string;
    }
  | {
      kind: 'query';
      /** SQL returning `key` and `value` (or other columns), streamed through a cursor. */
      sql: string;
      /** Known row count for the progress bar (--count); else the planner's estimate is used. */
      count?: number;
    };

export interface WarmEntry {
  name: string;
  /** Lower tiers are written completely before higher tiers start. */
  tier: number;
  /** TTL in milliseconds; null means `ttl: none` (the key is written without an expiry). */
  ttlMs: number | null;
  /** ± fraction applied to each key's TTL, in [0, 1). */
  jitter: number;
  format: ValueFormat;
  /** Also write `<key><staleSuffix>` with TTL + this window. */
  staleMs?: number;
  onlyMissing: boolean;
  /** Rewrite only keys absent or with less than this TTL left. */
  refreshBelowMs?: number;
  source: EntrySource;
  origin: WarmlistLocation;
}

export interface KeyRules {
  maxKeyBytes: number;
  rejectControlChars: boolean;
}

/**
 * Where a resumed entry starts, and how to check it: key lists carry the fingerprint of the lines
 * before the position (they are skipped only if they match), queries ordered by key the last key
 * written (the resumed query starts at that key, so rows inserted before it are still read).
 */
export type ResumeMark = { kind: 'lines'; mark: PrefixMark } | { kind: 'key'; key: string; rowsBefore: number };
export interface ResumePoint {
  position: number;
  proof?: PrefixProof;
  /** Query entries ordered by key: resume at this key (rows with it are rewritten, harmlessly). */
  afterKey?: string;
  /**
   * Rows the checkpointed run read with a key before `afterKey`. The resumed run counts them again
   * first: a different count means rows were added or removed behind the position, and the entry
   * restarts from its first row rather than miss them.
   */
  rowsBefore?: number;
}

/**
 * Resuming from a --checkpoint: the engine asks where an entry stopped last time and reports,
 * in order, how far every entry is durably written. Positions are key-list lines or query rows.
 */
export interface CheckpointHook {
  /** Input position (lines or rows) already done for this entry; 0 to start from the beginning. */
  resumeFrom(entry: string): number | ResumePoint | Promise<number | ResumePoint>;
  /** Everything up to and including `position` of `entry` is written or listed as failed. */
  advance(entry: string, position: number, mark?: ResumeMark): void | Promise<void>;
  /** The entry finished completely. */
  entryDone(entry: string): void | Promise<void>;
  /** The input is not what the checkpoint recorded: forget the entry's progress, it runs from its start. */
  restart?(entry: string): void;
}

/** Every knob of a warm in one typed object (commands build it from flags and warmlists). */
export interface WarmOptions {
  entries: WarmEntry[];
  batchSize: number;
  /** Key-list fetches sized to about this many bytes (FetchSizer), batchSize keys at most; without it every fetch is batchSize keys. */
  fetchBytes?: FetchBytes;
  /** Rows per cursor read for query entries. */
  cursorRows: number;
  pgConcurrency: number;
  pipelineSize: number;
  redisInFlight: number;
  /** Replicas that must acknowledge each pipeline (cluster masters with replicas); 0: do not wait. */
  waitReplicas: number;
  /** Keys per second cap over the whole run (fetch admission), undefined: no cap. */
  rate?: number;
  /** Failed keys (and failed fetches) allowed before the run stops early. */
  maxErrors: number;
  retries: number;
  retryBaseMs: number;
  /** --failover-wait; undefined: derived from the cluster's cluster-node-timeout, else DEFAULTS. */
  failoverWaitMs?: number;
  staleSuffix: string;
  keyRules: KeyRules;
  maxValueBytes: number;
  dryRun: boolean;
  /** 'none', 'all' (every written key read back) or a sample size. */
  verify: 'none' | 'all' | number;
  progressIntervalMs: number;
  /** Aborted: stop reading, finish in-flight writes, report. */
  signal?: AbortSignal;
  /** --deadline: epoch ms after which no new batch is started. */
  deadline?: number;
  /**
   * Key-list entries keep only keys this returns true for (--shard i/n). Query entries are not
   * filtered here: --shard wraps their SQL so PostgreSQL applies the same hash, and hashing
   * every streamed row again would only repeat that work per key.
   */
  keyFilter?: (key: string) => boolean;
  checkpoint?: CheckpointHook;
  /**
   * Asked before each batch is read: a reason when memory is nearly exhausted (values too large
   * for the batch and pipeline sizes), so the run stops reading and reports instead of crashing.
   */
  memoryPressure?: () => string | undefined;
  /** Injectable randomness for TTL jitter (tests). */
  random?: () => number;
  now?: () => number;
}

/** notAttempted: the run stopped before this key was fetched or written (it is listed so a rerun can take it). */
export type FailureKind = 'missing' | 'invalid' | 'failed' | 'notAttempted';

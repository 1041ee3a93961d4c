/**
 * The vocabulary shared by the inspect core, the Redis scanner that feeds it and the reporters.
 * The core never talks to Redis: it runs against an InspectSource, which adapters/redis implements.
 */
import type { Topology } from '../../topology/types.js';

/** `PTTL` / expiry sentinels as Redis returns them. */
export const NO_TTL = -1;
export const VANISHED = -2;

/**
 * One batch of keys from one node, columnar and read straight out of the server's reply (no
 * per-key objects). TTLs are exact as of `serverNowMs` (the batch is read atomically).
 */
export interface KeyBatch {
  readonly size: number;
  /** The node's clock when the batch was read, ms since the epoch. */
  readonly serverNowMs: number;
  key(i: number): string;
  /** `string`, `hash`, ...; `none` when the key vanished between SCAN and the lookup. */
  type(i: number): string;
  /** Remaining TTL in ms; NO_TTL (-1) or VANISHED (-2). */
  pttl(i: number): number;
  /** Absolute expiry, ms on the node's clock; NO_TTL or VANISHED. */
  expireAt(i: number): number;
  /** OBJECT IDLETIME in seconds, when asked for and the server tracks it (not under an LFU policy). */
  idleSeconds(i: number): number | undefined;
  /** The value (first bytes only) of a string key, when asked for. */
  value(i: number): string | undefined;
}

/**
 * A SCAN batch reduced on the node to what a summary needs: counts, the absolute expiry times of
 * the keys that have one, and only a few key names (the sample of keys without TTL). The client
 * never parses a million key names to count them.
 */
export interface SummaryBatch {
  /** Keys SCAN returned, including any that vanished before the lookup. */
  readonly size: number;
  readonly serverNowMs: number;
  /** Type name -> keys of that type (empty unless the request asked withTypes). */
  readonly types: ReadonlyMap<string, number>;
  readonly noTtl: number;
  readonly vanished: number;
  /** Up to the sample size asked for. */
  readonly noTtlSample: readonly string[];
  /** Absolute expiry (ms, node clock) of each key with a TTL. */
  readonly expireAts: readonly number[];
}

export interface ScanRequest {
  /** SCAN MATCH pattern. */
  match: string;
  /** SCAN COUNT: keys the server looks at per call. */
  count: number;
  /** Also read string values (first `valueBytes` bytes): counters, lock tokens. */
  withValues?: boolean;
  valueBytes?: number;
  /** Summary scans: also count key types (TYPE per key, about 40% more work on the node). */
  withTypes?: boolean;
  /** Also read OBJECT IDLETIME (before the value, so our own read does not reset it). */
  withIdle?: boolean;
  /** Keys per second per node; 0 = unlimited. */
  rate?: number;
  signal?: AbortSignal;
}

/**
 * One batch of the overview's single pass: the summary of every key, plus full rows of the few
 * keys the pattern views need (stampede counters with their values, locks with idle time and
 * value, stale copies), picked out on the node by prefix and suffix.
 */
export interface OverviewBatch {
  summary: SummaryBatch;
  counters: KeyBatch;
  locks: KeyBatch;
  staleCopies: KeyBatch;
}

export interface OverviewScanRequest extends ScanRequest {
  sampleSize: number;
  stampedePrefix: string;
  lockPrefix: string;
  staleSuffix: string;
  /** Read lock values (resets their idle time where CLIENT NO-TOUCH is not on). */
  readLockValues: boolean;
}

/** What `inspect hotkeys` ranks by: the LFU counter, or (no LFU policy) the idle time. */
export type HotMeasure = 'freq' | 'idle';

export interface HotScanRequest extends ScanRequest {
  measure: HotMeasure;
  /** Only keys beating this come back: freq above it, idle seconds below it. Asked before each batch. */
  floor(): number;
}

/** One SCAN batch reduced on the node to the keys that beat the floor. */
export interface HotBatch {
  /** Keys SCAN returned. */
  readonly size: number;
  readonly serverNowMs: number;
  readonly keys: readonly string[];
  /** OBJECT FREQ, or OBJECT IDLETIME in seconds. */
  readonly scores: readonly number[];
}

/** A cached value read for `inspect drift`: a string, a hash as flat field/value pairs, or nothing. */
export interface CachedValue {
  key: string;
  node: number;
  /** 'missing': no such key; 'wrong-type': not the type the entry writes. */
  state: 'found' | 'missing' | 'wrong-type';
  value?: string | string[];
  problem?: NodeProblem;
}

/** Why a node gave no (or only part of an) answer. */
export interface NodeProblem {
  status: 'down' | 'refused';
  /** The command that was refused (renamed, blocked by ACL or by a managed service). */
  command?: string;
  message: string;
}

export interface ScanOutcome {
  keysScanned: number;
  batches: number;
  /** `lua`: one script call per SCAN batch; `pipeline`: SCAN then pipelined lookups. */
  mode: 'lua' | 'pipeline';
  problem?: NodeProblem;
  /** True when stopped early by the abort signal. */
  interrupted?: boolean;
}

/** INFO keyspace of the db in use: what the node knows instantly, before any scan. */
export interface KeyspaceFigures {
  keys: number;
  withTtl: number;
  withoutTtl: number;
  avgTtlMs: number;
}

/** offsetMs = node TIME - local clock at the midpoint of the round trip; uncertaintyMs = half that round trip. */
export interface ClockReading {
  offsetMs: number;
  uncertaintyMs: number;
}

export interface NodeFacts {
  index: number;
  name: string;
  address: string;
  /** master/replica as the node reports it (INFO replication). */
  role?: string;
  version?: string;
  /** CLIENT NO-TOUCH: 'on', or why not ('not available: Redis 7.0.15 (needs 7.2)'). */
  noTouch?: string;
  keyspace?: KeyspaceFigures;
  /** The node's TIME against the local clock, measured when the facts were read. */
  clock?: ClockReading;
  /** Raw INFO fields used by `inspect nodes` (memory, stats, clients). */
  info?: Record<string, string>;
  problem?: NodeProblem;
}

/** A key looked up by name on its owning node. */
export interface KeyLookup {
  key: string;
  node: number;
  type: string;
  pttl: number;
  expireAt: number;
  idleSeconds?: number;
  value?: string;
  /** Set when the owning node could not answer. */
  problem?: NodeProblem;
}

export interface LookupRequest {
  withValues?: boolean;
  valueBytes?: number;
  withIdle?: boolean;
}

/** The port the inspect core runs against (adapters/redis/scanner.ts over real nodes). */
export interface InspectSource {
  readonly topology: Topology;
  /** INFO and CLIENT NO-TOUCH for every node, in parallel; never throws (problems are recorded). */
  nodeFacts(): Promise<NodeFacts[]>;
  /** SCANs one node to the end; `onBatch` may return a promise to hold the scan back. Never throws for a node problem. */
  scan(node: number, request: ScanRequest, onBatch: (batch: KeyBatch) => void | Promise<void>): Promise<ScanOutcome>;
  /** The same scan, reduced per batch on the node (see SummaryBatch); `sampleSize` key names at most per batch. */
  scanSummary(node: number, request: ScanRequest & { sampleSize: number }, onBatch: (batch: SummaryBatch) => void): Promise<ScanOutcome>;
  /** The overview's one pass over a node: every view's tallies fed from the same SCAN. */
  scanOverview(node: number, request: OverviewScanRequest, onBatch: (batch: OverviewBatch) => void | Promise<void>): Promise<ScanOutcome>;
  /** SCANs one node for its hottest keys (see HotScanRequest). */
  scanHot(node: number, request: HotScanRequest, onBatch: (batch: HotBatch) => void): Promise<ScanOutcome>;
  /** Reads values (GET, or HGETALL for hashes) on their owning nodes, pipelined per node; results in input order. */
  readValues(keys: readonly string[], format: 'string' | 'hash'): Promise<CachedValue[]>;
  /** Looks keys up on their owning nodes, pipelined per node; results in input order. */
  lookup(keys: readonly string[], request?: LookupRequest): Promise<KeyLookup[]>;
  /** The node's clock now (ours corrected by the offset seen in its replies), for "expires in 42s". */
  nodeNow(node: number): number;
}

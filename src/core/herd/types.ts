/**
 * The seams of a herd drill. Strategies are written against these interfaces only, so the
 * same decision code runs against real Redis + PostgreSQL (src/adapters/herd) and against
 * an in-memory cache on a simulated clock (core/herd/sim).
 */

export const STRATEGY_NAMES = ['none', 'lock', 'coalesce', 'xfetch', 'early-simple', 'swr', 'lock+xfetch', 'breaker', 'breaker+coalesce', 'versioned'] as const;
export type StrategyName = (typeof STRATEGY_NAMES)[number];

/** Time in milliseconds on whatever clock the drill runs on (wall clock or simulated). */
export interface Clock {
  now(): number;
  /** Resolves after `ms`, or early once `signal` aborts (a drill must stop within its bounds). */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

/** Uniform in [0, 1); seeded so that every strategy sees the same schedule and draws. */
export type Random = () => number;

/** What a reader sees when the key is present. */
export interface CachedValue {
  value: string;
  /** How long the last recompute took (ms), stored with the value: xfetch's delta. */
  deltaMs: number;
  /** When the value was computed (clock ms), for the age of stale answers. */
  computedAt: number;
  /** Time left before the key expires (ms); Infinity when it has no TTL. */
  ttlLeftMs: number;
  /** The row's version when the origin reports one (the invalidation race). */
  version?: number;
}

/** The cache as the strategies use it: one key, its lock, its stale copy and its stampede counter. */
export interface HerdCache {
  read(key: string): Promise<CachedValue | null>;
  /** Writes the value with its TTL; with `staleTtlMs` also the `<key>:stale` copy. */
  write(key: string, value: CachedValue, ttlMs: number, staleTtlMs?: number): Promise<void>;
  readStale(key: string): Promise<CachedValue | null>;
  /**
   * Compare-and-set on the version: writes only when neither the cached value nor the key's
   * version floor (left by a versioned invalidation) is newer. True when written.
   */
  writeIfNewer(key: string, value: CachedValue, ttlMs: number): Promise<boolean>;
  /** SET lock NX PX: true when this caller now holds the lock. */
  acquireLock(key: string, token: string, ttlMs: number): Promise<boolean>;
  /** Compare-and-delete: releases only when the lock still holds `token`. */
  releaseLock(key: string, token: string): Promise<boolean>;
  /** INCR + PEXPIRE in one step; returns the count in the current window. */
  countStampede(key: string, windowMs: number): Promise<number>;
}

/** The database behind the cache, as the strategies reach it: one fetch is one origin query. */
export interface OriginPort {
  fetch(key: string): Promise<OriginRow>;
}

/**
 * A fetch that failed at the origin, by where: `pool-wait` when no connection of the process's
 * own pool came free in time (the database never saw the query), `database` when PostgreSQL
 * (or the way to it) failed the query. Reported apart: a pool-wait error is the client's limit.
 */
export type OriginErrorKind = 'pool-wait' | 'database';

export class OriginError extends Error {
  constructor(
    message: string,
    readonly kind: OriginErrorKind,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export interface OriginRow {
  value: string;
  /** The row's version column, when the fetch returns one. */
  version?: number;
}

export type OnLockTimeout = 'stale' | 'fail';

export interface StrategySettings {
  ttlMs: number;
  /** Written TTLs are ttl x (1 + jitter x rand): 0 means every value expires exactly ttl after its write. */
  ttlJitter: number;
  beta: number;
  lockTtlMs: number;
  /** How long a client that did not get the lock waits for the holder's value. */
  lockWaitMs: number;
  lockPollMs: number;
  lockPollMaxMs: number;
  onLockTimeout: OnLockTimeout;
  /** swr: how old a stale copy may be and still be served. */
  staleWindowMs: number;
  stampedeWindowMs: number;
  /** Maintain the `<key>:stale` copy on every write (swr always; lock when it serves stale). */
  keepStale: boolean;
  /** Consecutive cache failures that open a breaker. */
  breakerThreshold: number;
  /** How long an open breaker bypasses the cache before one trial request (half-open). */
  breakerTimeoutMs: number;
  /** Write back with the version compare-and-set (versioned). */
  versionedWrites: boolean;
}

/** `fallback`: the cache failed or a breaker bypassed it, and the read went to the origin. */
export type Outcome = 'hit' | 'miss-recomputed' | 'early-recomputed' | 'waited' | 'stale' | 'coalesced' | 'fallback' | 'error' | 'timeout';

export interface ReadResult {
  outcome: Outcome;
  /** Age of a stale answer (ms). */
  staleAgeMs?: number;
  /** Times this client polled for the lock holder's value. */
  lockWaits: number;
  /** This client's stampede counter value, when it counted itself. */
  stampedeCount?: number;
  /** Version of the value served, when versions are tracked. */
  version?: number;
  /** Served from the process's own L1 (--l1), not from Redis. */
  tier?: 'l1';
  error?: string;
  /** Where an origin failure happened, when the error came from the origin. */
  errorKind?: OriginErrorKind;
}

/** Everything a strategy needs for one read; `spawn` registers background work (swr refresh). */
export interface ReadContext {
  key: string;
  cache: HerdCache;
  origin: OriginPort;
  clock: Clock;
  random: Random;
  settings: StrategySettings;
  /** Unique per client: the lock token. */
  token: string;
  spawn(work: Promise<unknown>): void;
  /** What the read has seen so far; kept in the result even when the read then fails. */
  observed: Observed;
}

export interface Observed {
  stampedeCount?: number;
  /** Version of the last value this read got (read, fetched or written): what it served. */
  version?: number;
}

export type BreakerState = 'closed' | 'open' | 'half-open';

/** A breaker's state at the start of a window and every change in it (clock ms). */
export interface BreakerLog {
  initial: BreakerState;
  transitions: { at: number; to: BreakerState }[];
}

export interface Strategy {
  readonly name: StrategyName;
  read(ctx: ReadContext): Promise<ReadResult>;
  /** Breakers: the log since the last call, which starts a new one. */
  drainBreakerLog?(): BreakerLog;
}

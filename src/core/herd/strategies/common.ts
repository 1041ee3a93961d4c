/** Steps every strategy shares: recompute from the origin and write back, count a miss. */
import type { CachedValue, OriginRow, ReadContext, ReadResult } from '../types.js';

/** Where a versioned invalidation leaves the newest version, so an older write-back cannot land. */
export function versionKeyOf(key: string): string {
  return `${key}:version`;
}

/** The cache entry for a freshly fetched row: its recompute time, its TTL (with jitter) and version. */
export function entryOf(ctx: ReadContext, row: OriginRow, started: number): CachedValue {
  const computedAt = ctx.clock.now();
  const ttl = ctx.settings.ttlJitter > 0 ? ctx.settings.ttlMs * (1 + ctx.settings.ttlJitter * ctx.random()) : ctx.settings.ttlMs;
  return {
    value: row.value,
    deltaMs: Math.max(0, computedAt - started),
    computedAt,
    ttlLeftMs: ttl,
    ...(row.version !== undefined ? { version: row.version } : {}),
  };
}

/**
 * Loads from the origin, writes the value back with its TTL (and stale copy), returns it.
 * Versioned writes go through the compare-and-set, so an older row never replaces a newer one.
 */
export async function recompute(ctx: ReadContext): Promise<CachedValue> {
  const started = ctx.clock.now();
  const row = await ctx.origin.fetch(ctx.key);
  const entry = entryOf(ctx, row, started);
  if (entry.version !== undefined) ctx.observed.version = entry.version;
  if (ctx.settings.versionedWrites) {
    await ctx.cache.writeIfNewer(ctx.key, entry, entry.ttlLeftMs);
    return entry;
  }
  const staleTtl = ctx.settings.keepStale ? entry.ttlLeftMs + ctx.settings.staleWindowMs : undefined;
  await ctx.cache.write(ctx.key, entry, entry.ttlLeftMs, staleTtl);
  return entry;
}

/** Every client that is about to go to the origin (or wait for it) counts itself. */
export async function countMiss(ctx: ReadContext): Promise<number> {
  const n = await ctx.cache.countStampede(ctx.key, ctx.settings.stampedeWindowMs);
  ctx.observed.stampedeCount = n;
  return n;
}

export function result(outcome: ReadResult['outcome'], extra: Partial<ReadResult> = {}): ReadResult {
  return { outcome, lockWaits: 0, ...extra };
}

/**
 * One in-flight load per key per process: later missers join it instead of starting their own.
 * Plain single flight dedups only misses that arrive while the load is in flight; a miss whose
 * read was sent before the load's write-back landed, but whose reply is handled after the load
 * finished (a busy event loop), would start a second load for the same expiry. So a load that
 * wrote its value back is remembered with the time the write was acknowledged (`wrote`), and a
 * miss read sent before then is known to be stale: it joins that finished load instead.
 */
export class SingleFlight<T> {
  private readonly inFlight = new Map<string, Promise<T>>();
  private readonly written = new Map<string, { at: number; value: T }>();

  /**
   * The load a miss of `key` shares: the one in flight or, when the miss's cache read was sent
   * at or before the last write-back was acknowledged, that finished load (`readSentAt`
   * undefined: no cache read to be stale, e.g. a breaker bypassing the cache). Undefined: start one.
   */
  join(key: string, readSentAt?: number): Promise<T> | undefined {
    const pending = this.inFlight.get(key);
    if (pending) return pending;
    const last = this.written.get(key);
    if (readSentAt !== undefined && last !== undefined && last.at >= readSentAt) return Promise.resolve(last.value);
    return undefined;
  }

  /** Starts the load of `key`. Call it synchronously after join(): no await may sit between the two. */
  start(key: string, load: () => Promise<T>): Promise<T> {
    const started = load().finally(() => this.inFlight.delete(key));
    this.inFlight.set(key, started);
    // A failure surfaces through the caller's await; this only keeps it from counting as unhandled meanwhile.
    started.catch(() => undefined);
    return started;
  }

  /** The load's value is in the cache as of `at` (the write-back's acknowledgement). */
  wrote(key: string, at: number, value: T): void {
    this.written.set(key, { at, value });
  }
}

export function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

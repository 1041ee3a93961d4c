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

export function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

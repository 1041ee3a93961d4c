/** Steps every strategy shares: recompute from the origin and write back, count a miss. */
import type { CachedValue, ReadContext, ReadResult } from '../types.js';

/** Loads from the origin, writes the value back with its TTL (and stale copy), returns it. */
export async function recompute(ctx: ReadContext): Promise<CachedValue> {
  const started = ctx.clock.now();
  const value = await ctx.origin.fetch(ctx.key);
  const computedAt = ctx.clock.now();
  const ttl = ctx.settings.ttlJitter > 0 ? ctx.settings.ttlMs * (1 + ctx.settings.ttlJitter * ctx.random()) : ctx.settings.ttlMs;
  const entry: CachedValue = { value, deltaMs: Math.max(0, computedAt - started), computedAt, ttlLeftMs: ttl };
  const staleTtl = ctx.settings.keepStale ? ttl + ctx.settings.staleWindowMs : undefined;
  await ctx.cache.write(ctx.key, entry, ttl, staleTtl);
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

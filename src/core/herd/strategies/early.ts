/**
 * Probabilistic early recomputation.
 *
 * `xfetch` is the rule of Vattani, Chierichetti and Lowenstein, "Optimal Probabilistic Cache
 * Stampede Prevention" (VLDB 2015): recompute when now - delta * beta * ln(rand()) >= expiry,
 * where delta is how long the last recompute took (stored with the value). Equivalently
 * -delta * beta * ln(rand()) >= ttlLeft, so the per-request probability is exp(-ttlLeft / (beta * delta)):
 * it depends on the recompute cost, not on the TTL.
 *
 * `early-simple` is the rule in the reference guide, p = 1 - (ttlLeft / ttl)^beta. It is NOT
 * xfetch: it ignores the recompute time and starts refreshing long before expiry (at beta = 1,
 * half of all reads recompute once half the TTL is gone). Offered so the drill shows the difference.
 */
import type { CachedValue, ReadContext, Strategy } from '../types.js';
import { countMiss, recompute, result } from './common.js';
import { recomputeUnderLock, waitForHolder } from './lock.js';

/** True when xfetch says this reader should recompute now. */
export function xfetchDecides(entry: CachedValue, beta: number, rand: number): boolean {
  if (!Number.isFinite(entry.ttlLeftMs)) return false;
  // 1 - rand is in (0, 1], so the log is finite.
  return -entry.deltaMs * beta * Math.log(1 - rand) >= entry.ttlLeftMs;
}

export function earlySimpleDecides(entry: CachedValue, ttlMs: number, beta: number, rand: number): boolean {
  if (!Number.isFinite(entry.ttlLeftMs) || ttlMs <= 0) return false;
  const remaining = Math.min(1, Math.max(0, entry.ttlLeftMs / ttlMs));
  return rand < 1 - remaining ** beta;
}

function earlyStrategy(name: 'xfetch' | 'early-simple', decides: (entry: CachedValue, ctx: ReadContext) => boolean): Strategy {
  return {
    name,
    async read(ctx) {
      const entry = await ctx.cache.read(ctx.key);
      if (entry && !decides(entry, ctx)) return result('hit');
      const stampedeCount = await countMiss(ctx);
      await recompute(ctx);
      return result(entry ? 'early-recomputed' : 'miss-recomputed', { stampedeCount });
    },
  };
}

export const xfetch = earlyStrategy('xfetch', (entry, ctx) => xfetchDecides(entry, ctx.settings.beta, ctx.random()));
export const earlySimple = earlyStrategy('early-simple', (entry, ctx) => earlySimpleDecides(entry, ctx.settings.ttlMs, ctx.settings.beta, ctx.random()));

/** xfetch decides when, the lock decides who: an early recompute without the lock just serves the current value. */
export const lockXfetch: Strategy = {
  name: 'lock+xfetch',
  async read(ctx) {
    const entry = await ctx.cache.read(ctx.key);
    if (entry && !xfetchDecides(entry, ctx.settings.beta, ctx.random())) return result('hit');
    const stampedeCount = await countMiss(ctx);
    const took = await recomputeUnderLock(ctx, entry ?? undefined);
    if (took === 'recomputed') return result(entry ? 'early-recomputed' : 'miss-recomputed', { stampedeCount });
    if (entry) return result('hit', { stampedeCount });
    if (took === 'found') return result('waited', { stampedeCount });
    return waitForHolder(ctx, stampedeCount);
  },
};

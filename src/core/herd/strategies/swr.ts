/**
 * `swr`, stale-while-refresh (the reference guide's hysteresis): every write also keeps
 * `<key>:stale` for the TTL plus a staleness window. On a miss a reader serves the stale copy
 * (if younger than the window) and at most one background refresh runs across all clients
 * (it takes lock:<key>); without a usable stale copy the reader recomputes itself.
 */
import type { ReadContext, Strategy } from '../types.js';
import { countMiss, recompute, result } from './common.js';
import { recomputeUnderLock } from './lock.js';

export const swr: Strategy = {
  name: 'swr',
  async read(ctx: ReadContext) {
    if (await ctx.cache.read(ctx.key)) return result('hit');
    const stampedeCount = await countMiss(ctx);
    const stale = await ctx.cache.readStale(ctx.key);
    const age = stale ? ctx.clock.now() - stale.computedAt : Infinity;
    if (stale && age <= ctx.settings.staleWindowMs + ctx.settings.ttlMs) {
      ctx.spawn(recomputeUnderLock(ctx));
      return result('stale', { stampedeCount, staleAgeMs: Math.max(0, age) });
    }
    await recompute(ctx);
    return result('miss-recomputed', { stampedeCount });
  },
};

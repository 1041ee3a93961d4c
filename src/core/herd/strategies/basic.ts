/** `none` (plain cache-aside) and `coalesce` (single flight per process). */
import type { CachedValue, ReadContext, ReadResult, Strategy } from '../types.js';
import { countMiss, recompute, result } from './common.js';

export const none: Strategy = {
  name: 'none',
  async read(ctx) {
    if (await ctx.cache.read(ctx.key)) return result('hit');
    const stampedeCount = await countMiss(ctx);
    await recompute(ctx);
    return result('miss-recomputed', { stampedeCount });
  },
};

/**
 * One in-flight load per key per process: later missers await the first one's promise.
 * Create one per process (per worker), never share across processes: that is the point.
 */
export function createCoalesce(): Strategy {
  const inFlight = new Map<string, Promise<CachedValue>>();
  return {
    name: 'coalesce',
    async read(ctx: ReadContext): Promise<ReadResult> {
      if (await ctx.cache.read(ctx.key)) return result('hit');
      // Join or start the load synchronously after the miss: no await may sit between the
      // check and the set, or two missers of one process could both start a load.
      const pending = inFlight.get(ctx.key);
      const load = pending ?? recompute(ctx).finally(() => inFlight.delete(ctx.key));
      if (!pending) {
        inFlight.set(ctx.key, load);
        // A failure surfaces through `await load` below; this only keeps it from counting as unhandled meanwhile.
        load.catch(() => undefined);
      }
      const stampedeCount = await countMiss(ctx);
      await load;
      return result(pending ? 'coalesced' : 'miss-recomputed', { stampedeCount });
    },
  };
}

/** `none` (plain cache-aside) and `coalesce` (single flight per process). */
import type { CachedValue, ReadContext, ReadResult, Strategy } from '../types.js';
import { countMiss, recompute, result, SingleFlight } from './common.js';

/**
 * A read the cache fails (timeout, refused connection) goes to the database, as the guide's
 * applications do, but without a breaker: every read waits for its own cache timeout first.
 */
export const none: Strategy = {
  name: 'none',
  async read(ctx) {
    let entry;
    try {
      entry = await ctx.cache.read(ctx.key);
    } catch {
      const row = await ctx.origin.fetch(ctx.key);
      if (row.version !== undefined) ctx.observed.version = row.version;
      return result('fallback');
    }
    if (entry) return result('hit');
    const stampedeCount = await countMiss(ctx);
    await recompute(ctx);
    return result('miss-recomputed', { stampedeCount });
  },
};

/**
 * One in-flight load per key per process: later missers await the first one's promise.
 * Create one per process (per worker), never share across processes: that is the point. A miss
 * read sent before the process's last load of the key wrote back joins that load
 * (SingleFlight in common.ts), so a busy event loop cannot cause a second load for one expiry.
 */
export function createCoalesce(): Strategy {
  const flight = new SingleFlight<CachedValue>();
  return {
    name: 'coalesce',
    async read(ctx: ReadContext): Promise<ReadResult> {
      const readSentAt = ctx.clock.now();
      if (await ctx.cache.read(ctx.key)) return result('hit');
      // Join or start the load synchronously after the miss: no await may sit between the
      // check and the start, or two missers of one process could both start a load.
      const shared = flight.join(ctx.key, readSentAt);
      const load =
        shared ??
        flight.start(ctx.key, async () => {
          const value = await recompute(ctx);
          flight.wrote(ctx.key, ctx.clock.now(), value);
          return value;
        });
      const stampedeCount = await countMiss(ctx);
      const value = await load;
      // A joiner is served the load's value: its version is what this reader saw (the race's stale reads count it).
      if (value.version !== undefined) ctx.observed.version = value.version;
      return result(shared ? 'coalesced' : 'miss-recomputed', { stampedeCount });
    },
  };
}

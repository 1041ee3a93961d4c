/** `none` (plain cache-aside) and `coalesce` (single flight per process). */
import type { CachedValue, ReadContext, ReadResult, Strategy } from '../types.js';
import { countMiss, recompute, result } from './common.js';

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
 * Create one per process (per worker), never share across processes: that is the point.
 *
 * Plain single flight dedups only misses that arrive while the load is in flight; a miss whose
 * read was sent before the load's write landed, but whose reply is handled after the load
 * finished (a busy event loop), would start a second load for the same expiry. So a finished
 * load is remembered with the time its write was acknowledged, and a miss read sent before
 * then is known to be stale: it joins that load instead.
 */
export function createCoalesce(): Strategy {
  const inFlight = new Map<string, Promise<CachedValue>>();
  const lastDone = new Map<string, number>();
  return {
    name: 'coalesce',
    async read(ctx: ReadContext): Promise<ReadResult> {
      const readSentAt = ctx.clock.now();
      if (await ctx.cache.read(ctx.key)) return result('hit');
      // Join or start the load synchronously after the miss: no await may sit between the
      // check and the set, or two missers of one process could both start a load.
      const pending = inFlight.get(ctx.key);
      const finishedAt = lastDone.get(ctx.key);
      const staleMiss = !pending && finishedAt !== undefined && finishedAt >= readSentAt;
      let load: Promise<unknown> | undefined = pending;
      if (!pending && !staleMiss) {
        const started = recompute(ctx)
          .then((value) => {
            lastDone.set(ctx.key, ctx.clock.now());
            return value;
          })
          .finally(() => inFlight.delete(ctx.key));
        inFlight.set(ctx.key, started);
        // A failure surfaces through `await load` below; this only keeps it from counting as unhandled meanwhile.
        started.catch(() => undefined);
        load = started;
      }
      const stampedeCount = await countMiss(ctx);
      await load;
      return result(pending || staleMiss ? 'coalesced' : 'miss-recomputed', { stampedeCount });
    },
  };
}

/**
 * `lock`: SET lock:<key> <token> NX PX <ttl>. The holder double-checks, recomputes and releases
 * only its own lock (compare-and-delete). Everyone else polls the key with capped exponential
 * backoff and full jitter; when the lock disappears without a value (holder died, lock TTL
 * passed) a poller may take it over. Nobody ever recomputes without the lock. After
 * `lockWaitMs` a waiter serves the `<key>:stale` copy or fails, as configured.
 */
import type { CachedValue, ReadContext, ReadResult, Strategy } from '../types.js';
import { countMiss, recompute, result } from './common.js';

export function lockKeyOf(key: string): string {
  return `lock:${key}`;
}

/**
 * Recompute under the lock; returns null when someone else holds it. `seen` is the value that
 * made us want to recompute early (lock+xfetch): only a newer one counts as found.
 */
export async function recomputeUnderLock(ctx: ReadContext, seen?: CachedValue): Promise<'recomputed' | 'found' | null> {
  const lockKey = lockKeyOf(ctx.key);
  if (!(await ctx.cache.acquireLock(lockKey, ctx.token, ctx.settings.lockTtlMs))) return null;
  try {
    // The previous holder may have written the value between our miss and our lock.
    const now = await ctx.cache.read(ctx.key);
    if (now && (!seen || now.computedAt !== seen.computedAt)) return 'found';
    await recompute(ctx);
    return 'recomputed';
  } finally {
    await ctx.cache.releaseLock(lockKey, ctx.token);
  }
}

/** The waiting side: poll until the value appears, we inherit the lock, or the wait times out. */
export async function waitForHolder(ctx: ReadContext, stampedeCount: number): Promise<ReadResult> {
  const { settings, clock } = ctx;
  const deadline = clock.now() + settings.lockWaitMs;
  let lockWaits = 0;
  let ceiling = settings.lockPollMs;
  while (clock.now() < deadline) {
    const pause = Math.min(deadline - clock.now(), settings.lockPollMs + ctx.random() * (ceiling - settings.lockPollMs));
    await clock.sleep(Math.max(1, pause));
    ceiling = Math.min(settings.lockPollMaxMs, ceiling * 2);
    lockWaits++;
    if (await ctx.cache.read(ctx.key)) return result('waited', { lockWaits, stampedeCount });
    const took = await recomputeUnderLock(ctx);
    if (took === 'recomputed') return result('miss-recomputed', { lockWaits, stampedeCount });
    if (took === 'found') return result('waited', { lockWaits, stampedeCount });
  }
  if (settings.onLockTimeout === 'stale') {
    const stale = await ctx.cache.readStale(ctx.key);
    if (stale) return result('stale', { lockWaits, stampedeCount, staleAgeMs: Math.max(0, clock.now() - stale.computedAt) });
  }
  return result('timeout', { lockWaits, stampedeCount, error: `no value within ${settings.lockWaitMs}ms of waiting for ${lockKeyOf(ctx.key)}` });
}

export const lock: Strategy = {
  name: 'lock',
  async read(ctx) {
    if (await ctx.cache.read(ctx.key)) return result('hit');
    const stampedeCount = await countMiss(ctx);
    const took = await recomputeUnderLock(ctx);
    if (took === 'recomputed') return result('miss-recomputed', { stampedeCount });
    if (took === 'found') return result('waited', { stampedeCount });
    return waitForHolder(ctx, stampedeCount);
  },
};

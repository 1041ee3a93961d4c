/**
 * `--l1 SIZE:TTL`: the guide's TieredCache, a bounded LRU in each process in front of whatever
 * strategy reads Redis (L2). An entry lives TTL ms from when the process got it. On an L1 miss
 * one read per key per process goes through the strategy (L2, then the origin if need be) and
 * the process's other readers of the key wait for it and are served from L1: so while L1 is
 * warm nothing reaches Redis, and a herd is bounded by the number of processes.
 * What L1 costs is freshness: after the key is deleted or changed in Redis, a process keeps
 * serving its copy until the entry's TTL ends.
 */
import type { CachedValue, HerdCache, ReadContext, ReadResult, Strategy } from '../types.js';
import { result } from './common.js';

export interface L1Settings {
  size: number;
  ttlMs: number;
}

/** Least recently used first in the Map's order: a hit moves the entry to the end. */
export class LruL1 {
  private readonly entries = new Map<string, { value: CachedValue; until: number }>();

  constructor(private readonly settings: L1Settings) {}

  get(key: string, now: number): CachedValue | undefined {
    const e = this.entries.get(key);
    if (!e) return undefined;
    this.entries.delete(key);
    if (e.until <= now) return undefined;
    this.entries.set(key, e);
    return e.value;
  }

  set(key: string, value: CachedValue, now: number): void {
    this.entries.delete(key);
    this.entries.set(key, { value, until: now + this.settings.ttlMs });
    while (this.entries.size > this.settings.size) {
      const oldest = this.entries.keys().next().value;
      if (oldest === undefined) break;
      this.entries.delete(oldest);
    }
  }

  get size(): number {
    return this.entries.size;
  }
}

/** The strategy with an L1 in front; one per process, like the strategy itself. */
export function withL1(inner: Strategy, settings: L1Settings): Strategy {
  const l1 = new LruL1(settings);
  const fills = new Map<string, Promise<unknown>>();
  const fromL1 = (ctx: ReadContext, value: CachedValue): ReadResult => {
    if (value.version !== undefined) ctx.observed.version = value.version;
    return result('hit', { tier: 'l1' });
  };
  const strategy: Strategy = {
    name: inner.name,
    async read(ctx) {
      const cached = l1.get(ctx.key, ctx.clock.now());
      if (cached) return fromL1(ctx, cached);
      const pending = fills.get(ctx.key);
      if (pending) {
        await pending.catch(() => undefined);
        const filled = l1.get(ctx.key, ctx.clock.now());
        if (filled) return fromL1(ctx, filled);
      }
      let seen: CachedValue | undefined;
      const capture = (v: CachedValue | null) => {
        if (v) seen = v;
        return v;
      };
      const cache: HerdCache = {
        read: async (key) => capture(await ctx.cache.read(key)),
        readStale: async (key) => capture(await ctx.cache.readStale(key)),
        write: async (key, value, ttlMs, staleTtlMs) => {
          await ctx.cache.write(key, value, ttlMs, staleTtlMs);
          capture(value);
        },
        writeIfNewer: async (key, value, ttlMs) => {
          const written = await ctx.cache.writeIfNewer(key, value, ttlMs);
          capture(value);
          return written;
        },
        acquireLock: (key, token, ttlMs) => ctx.cache.acquireLock(key, token, ttlMs),
        releaseLock: (key, token) => ctx.cache.releaseLock(key, token),
        countStampede: (key, windowMs) => ctx.cache.countStampede(key, windowMs),
      };
      const fill = inner.read({ ...ctx, cache });
      fills.set(ctx.key, fill);
      try {
        const out = await fill;
        // Only what this read really got from L2 or the origin goes into L1 (not a failed read).
        if (seen && out.outcome !== 'error' && out.outcome !== 'timeout' && out.outcome !== 'fallback') l1.set(ctx.key, seen, ctx.clock.now());
        return out;
      } finally {
        if (fills.get(ctx.key) === fill) fills.delete(ctx.key);
      }
    },
  };
  const drain = inner.drainBreakerLog;
  if (drain) strategy.drainBreakerLog = () => drain();
  return strategy;
}

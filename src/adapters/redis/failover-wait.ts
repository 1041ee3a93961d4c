/** The default --failover-wait: long enough for the cluster's own failover, read from the cluster. */
import { DEFAULTS } from '../../config/defaults.js';
import type { CacheConnection } from './cache.js';

/**
 * On a cluster: 2 x cluster-node-timeout + 5 s (the node is marked failed after one timeout; the
 * election, the promotion and the gossip of the new slot map take about as long again). Where
 * CONFIG GET is refused (managed services) or on a standalone node or ring: DEFAULTS.
 */
export async function defaultFailoverWait(cache: CacheConnection): Promise<number> {
  const w = DEFAULTS.warm;
  if (cache.target.kind !== 'cluster') return w.failoverWaitMs;
  for (const node of cache.topology.nodes) {
    try {
      const reply = (await cache.clientFor(node).config('GET', 'cluster-node-timeout')) as unknown;
      const value = Array.isArray(reply) ? Number(reply[1]) : NaN;
      if (Number.isFinite(value) && value > 0) return w.failoverWaitNodeTimeouts * value + w.failoverWaitExtraMs;
      return w.failoverWaitMs;
    } catch {
      // this node is down or refuses CONFIG: ask the next one
    }
  }
  return w.failoverWaitMs;
}

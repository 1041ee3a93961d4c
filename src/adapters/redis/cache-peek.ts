/**
 * Reads the remaining TTL of keys before they are fetched, so a rewarm with --only-missing or
 * --refresh-below asks PostgreSQL only for the keys that need it (a five-minute cron rewarm of a
 * warm cache then reads almost nothing from the database). One pipelined PTTL per key on the node
 * that owns it, all nodes at once.
 *
 * Only an optimisation in front of the writer, which checks again as it writes: a key this cannot
 * read (node down, a MOVED while slots move) is reported as unknown and fetched as before.
 */
import type { CachePeekPort } from '../../core/warm/ports.js';
import type { CacheConnection } from './cache.js';

export class CachePeek implements CachePeekPort {
  constructor(private readonly cache: CacheConnection) {}

  async pttls(keys: readonly string[]): Promise<(number | undefined)[]> {
    const out = new Array<number | undefined>(keys.length).fill(undefined);
    const byNode = new Map<number, number[]>();
    const topology = this.cache.topology;
    for (let i = 0; i < keys.length; i++) {
      const node = topology.nodeIndexOf(keys[i] as string);
      if (node < 0) continue;
      let list = byNode.get(node);
      if (!list) byNode.set(node, (list = []));
      list.push(i);
    }
    await Promise.all(
      [...byNode].map(async ([node, indices]) => {
        const pipeline = this.cache.client(node).pipeline();
        for (const i of indices) pipeline.pttl(keys[i] as string);
        const replies = await pipeline.exec().catch(() => null);
        if (!replies) return;
        for (let j = 0; j < indices.length; j++) {
          const [error, value] = replies[j] ?? [new Error('no reply'), undefined];
          if (!error && typeof value === 'number') out[indices[j] as number] = value;
        }
      }),
    );
    return out;
  }
}

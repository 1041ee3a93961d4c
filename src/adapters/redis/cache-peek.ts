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
import { DEFAULTS } from '../../config/defaults.js';
import type { CacheNode } from '../../topology/types.js';
import type { CacheConnection } from './cache.js';
import { RespBuffer } from './resp-buffer.js';
import { RespConnection } from './resp-connection.js';
import { respAuthFor } from './write-outcomes.js';

/** Bare pipelining connections (as the writer's): ioredis costs 10-20 us per PTTL, a whole rewarm's worth. */
export class CachePeek implements CachePeekPort {
  private readonly connections = new Map<string, RespConnection>();

  constructor(private readonly cache: CacheConnection) {}

  close(): void {
    for (const c of this.connections.values()) c.close();
    this.connections.clear();
  }

  private connectionFor(node: CacheNode): RespConnection {
    let conn = this.connections.get(node.address);
    if (!conn) {
      conn = new RespConnection(node, respAuthFor(this.cache.target), DEFAULTS.connection.connectTimeoutMs, DEFAULTS.warm.replyTimeoutMs);
      this.connections.set(node.address, conn);
    }
    return conn;
  }

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
        const target = topology.nodes[node];
        if (!target) return;
        const payload = new RespBuffer();
        for (const i of indices) payload.command2('PTTL', keys[i] as string);
        const replies = await this.connectionFor(target)
          .send(payload)
          .catch(() => undefined);
        if (!replies) return;
        for (let j = 0; j < indices.length; j++) {
          const value = replies[j];
          // An error reply (MOVED while slots move, LOADING) leaves the key unknown: it is fetched.
          if (typeof value === 'number') out[indices[j] as number] = value;
        }
      }),
    );
    return out;
  }
}

import { slotOf, slotOfBytes } from './slot.js';
import type { CacheNode, Topology } from './types.js';

export const SLOT_COUNT = 16384;

export interface SlotRange {
  start: number;
  end: number;
  master: CacheNode;
  replicas: CacheNode[];
}

export { slotOf, slotOfBytes };

/**
 * A Redis Cluster's slot map as reported by the cluster (CLUSTER SLOTS / SHARDS).
 * Pure: adapters/redis reads the map and rebuilds this on MOVED.
 */
export class ClusterTopology implements Topology {
  readonly kind = 'cluster' as const;
  readonly nodes: readonly CacheNode[];
  /** Replicas per master index, for `inspect nodes` and failover reporting. */
  readonly replicas: readonly (readonly CacheNode[])[];
  private readonly slotOwner: Int16Array;

  constructor(ranges: readonly SlotRange[]) {
    const nodes: CacheNode[] = [];
    const replicas: CacheNode[][] = [];
    const indexByAddress = new Map<string, number>();
    this.slotOwner = new Int16Array(SLOT_COUNT).fill(-1);
    for (const range of ranges) {
      let index = indexByAddress.get(range.master.address);
      if (index === undefined) {
        index = nodes.length;
        indexByAddress.set(range.master.address, index);
        nodes.push(range.master);
        replicas.push([]);
      }
      const known = replicas[index] as CacheNode[];
      for (const r of range.replicas) if (!known.some((k) => k.address === r.address)) known.push(r);
      this.slotOwner.fill(index, range.start, range.end + 1);
    }
    this.nodes = nodes;
    this.replicas = replicas;
  }

  /** -1 when the slot is not served by any master (cluster is down for that slot). */
  nodeIndexOf(key: string): number {
    return this.slotOwner[slotOf(key)] as number;
  }

  nodeIndexOfBytes(bytes: Uint8Array, start: number, len: number): number {
    return this.slotOwner[slotOfBytes(bytes, start, len)] as number;
  }

  nodeIndexOfSlot(slot: number): number {
    return this.slotOwner[slot] as number;
  }

  /** Slots owned by each master, in node order. */
  slotCounts(): number[] {
    const counts = new Array<number>(this.nodes.length).fill(0);
    for (const owner of this.slotOwner) if (owner >= 0) counts[owner] = (counts[owner] as number) + 1;
    return counts;
  }

  uncoveredSlots(): number {
    let n = 0;
    for (const owner of this.slotOwner) if (owner < 0) n++;
    return n;
  }

  describe(key: string): Record<string, string | number> {
    return { slot: slotOf(key) };
  }
}

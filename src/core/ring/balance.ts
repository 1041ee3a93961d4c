/**
 * `ring stats`: how evenly a topology spreads keys. Exact arc shares for rings, slot shares
 * for a cluster, or the observed share of a given key list; plus the coefficient of variation
 * (population standard deviation / mean) and max/mean, the two numbers operators compare.
 */
import type { CacheNode, Topology } from '../../topology/types.js';
import type { RingTopology } from '../../topology/ring/index.js';
import { ClusterTopology, SLOT_COUNT } from '../../topology/cluster.js';

export type ShareBasis = 'arcs' | 'slots' | 'keys' | 'single';

export interface NodeShare {
  node: CacheNode;
  share: number;
  /** Ring points (rings), slots (cluster) or keys (--keys) behind the share. */
  count: number;
}

export interface Balance {
  basis: ShareBasis;
  nodes: NodeShare[];
  /** Population standard deviation of the shares over their mean; 0 is perfectly even. */
  cv: number;
  /** Largest share over the mean share; 1 is perfectly even. */
  maxOverMean: number;
  /** Keys counted, for basis 'keys'. */
  keys?: number;
}

function isRing(t: Topology): t is RingTopology {
  return t.kind === 'ring';
}

export function balanceOf(nodes: readonly CacheNode[], shares: readonly number[], counts: readonly number[], basis: ShareBasis): Balance {
  const n = shares.length;
  const mean = n === 0 ? 0 : shares.reduce((a, b) => a + b, 0) / n;
  const variance = n === 0 ? 0 : shares.reduce((a, s) => a + (s - mean) ** 2, 0) / n;
  return {
    basis,
    nodes: nodes.map((node, i) => ({ node, share: shares[i] ?? 0, count: counts[i] ?? 0 })),
    cv: mean > 0 ? Math.sqrt(variance) / mean : 0,
    maxOverMean: mean > 0 ? Math.max(...shares) / mean : 0,
  };
}

/** The share of the key space each node owns, from the topology alone. */
export function topologyBalance(topology: Topology): Balance {
  if (isRing(topology)) return balanceOf(topology.nodes, topology.arcShares(), topology.pointCounts(), 'arcs');
  if (topology instanceof ClusterTopology) {
    const slots = topology.slotCounts();
    return balanceOf(
      topology.nodes,
      slots.map((s) => s / SLOT_COUNT),
      slots,
      'slots',
    );
  }
  return balanceOf(
    topology.nodes,
    topology.nodes.map(() => 1 / topology.nodes.length),
    topology.nodes.map(() => 0),
    'single',
  );
}

/** Counts keys per node as they stream in. */
export class KeyTally {
  readonly counts: number[];
  total = 0;
  constructor(private readonly topology: Topology) {
    this.counts = new Array<number>(topology.nodes.length).fill(0);
  }

  add(keys: readonly string[]): void {
    for (const key of keys) {
      const i = this.topology.nodeIndexOf(key);
      if (i >= 0) this.counts[i] = this.counts[i]! + 1;
      this.total++;
    }
  }

  balance(): Balance {
    const shares = this.counts.map((c) => (this.total > 0 ? c / this.total : 0));
    return { ...balanceOf(this.topology.nodes, shares, this.counts, 'keys'), keys: this.total };
  }
}

/**
 * The ketama-style continuum shared by the twemproxy, libmemcached and hashring profiles:
 * sorted 32-bit points, a key goes to the first point >= its hash, wrapping to the first.
 * Lookup is a branch-light binary search over typed arrays: no allocation per key.
 */
import { arcsInclusive, type RingArcs } from './arcs.js';

export interface RingPoint {
  value: number;
  /** Node index (position in the spec's server list). */
  owner: number;
  /** Tie-break among equal values: the implementation's insertion order. */
  order: number;
}

export class Continuum {
  readonly values: Uint32Array;
  readonly owners: Uint16Array;

  constructor(points: RingPoint[]) {
    if (points.length === 0) throw new Error('a ring needs at least one point');
    // Stable order on (value, order): equal values keep the C qsort/mergesort or JS sort order.
    points.sort((a, b) => a.value - b.value || a.order - b.order);
    this.values = Uint32Array.from(points, (p) => p.value);
    this.owners = Uint16Array.from(points, (p) => p.owner);
  }

  /** Index of the first point >= hash, or 0 when the hash is past the last point. */
  pointIndexOf(hash: number): number {
    const values = this.values;
    let lo = 0;
    let hi = values.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (values[mid]! < hash) lo = mid + 1;
      else hi = mid;
    }
    return lo === values.length ? 0 : lo;
  }

  ownerOf(hash: number): number {
    return this.owners[this.pointIndexOf(hash)]!;
  }

  arcs(): RingArcs {
    return arcsInclusive(this.values, this.owners, 1n << 32n);
  }

  /** Points per node, for stats. */
  pointCounts(nodeCount: number): number[] {
    const counts = new Array<number>(nodeCount).fill(0);
    for (const o of this.owners) counts[o] = counts[o]! + 1;
    return counts;
  }
}

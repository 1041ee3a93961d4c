/**
 * A ring's partition of its hash space, for exact shares and exact diffs: consecutive
 * half-open intervals [bounds[i-1], bounds[i]) (the first starts at 0) owned by owners[i].
 * BigInt because the simple profile's space is 2^128; rings have at most a few thousand arcs.
 */
export interface RingArcs {
  /** Size of the hash space: 2^32, or 2^128 for the simple profile. */
  readonly space: bigint;
  /** Exclusive end of each interval, ascending; the last is `space`. */
  readonly bounds: readonly bigint[];
  /** Node index owning each interval. */
  readonly owners: readonly number[];
}

/** Each node's share of the space (sums to 1). */
export function sharesOf(arcs: RingArcs, nodeCount: number): number[] {
  const sizes = new Array<bigint>(nodeCount).fill(0n);
  let start = 0n;
  for (let i = 0; i < arcs.bounds.length; i++) {
    const end = arcs.bounds[i]!;
    const owner = arcs.owners[i]!;
    sizes[owner] = sizes[owner]! + (end - start);
    start = end;
  }
  return sizes.map((s) => ratio(s, arcs.space));
}

/** s / space as a double, exact to double precision even for 128-bit values. */
export function ratio(s: bigint, space: bigint): number {
  // Scale to 2^53 units first so the BigInt -> Number conversion keeps full precision.
  const scaled = (s << 53n) / space;
  return Number(scaled) / 2 ** 53;
}

/** Builds arcs from sorted points where a point owns the hashes up to and including it (ketama: first point >= hash). */
export function arcsInclusive(values: ArrayLike<number>, owners: ArrayLike<number>, space: bigint): RingArcs {
  const bounds: bigint[] = [];
  const out: number[] = [];
  const n = values.length;
  for (let i = 0; i < n; i++) {
    const end = BigInt(values[i]!) + 1n;
    if (bounds.length > 0 && bounds[bounds.length - 1] === end) continue; // equal points: the first wins
    bounds.push(end);
    out.push(owners[i]!);
  }
  // Hashes after the last point wrap to the first point.
  if (bounds[bounds.length - 1] !== space) {
    bounds.push(space);
    out.push(owners[0]!);
  }
  return merge({ space, bounds, owners: out });
}

/** Joins neighbouring intervals with the same owner (smaller diffs, same meaning). */
export function merge(arcs: RingArcs): RingArcs {
  const bounds: bigint[] = [];
  const owners: number[] = [];
  for (let i = 0; i < arcs.bounds.length; i++) {
    const owner = arcs.owners[i]!;
    if (owners.length > 0 && owners[owners.length - 1] === owner) bounds[bounds.length - 1] = arcs.bounds[i]!;
    else {
      bounds.push(arcs.bounds[i]!);
      owners.push(owner);
    }
  }
  return { space: arcs.space, bounds, owners };
}

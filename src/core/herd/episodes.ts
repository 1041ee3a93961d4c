/**
 * Grouping origin queries into refresh episodes, and the database's peak load, from the
 * [start, end] of every fetch. An episode opens with a fetch that starts while no other fetch
 * of the same key is in flight; the fetches overlapping it are its stampede.
 */

export type Span = readonly [start: number, end: number];

/** Origin queries in each episode, in time order. */
export function episodeSizes(spans: readonly Span[]): number[] {
  const sorted = [...spans].sort((a, b) => a[0] - b[0]);
  const sizes: number[] = [];
  let busyUntil = -Infinity;
  for (const [start, end] of sorted) {
    if (start >= busyUntil || sizes.length === 0) sizes.push(1);
    else sizes[sizes.length - 1] = (sizes[sizes.length - 1] as number) + 1;
    busyUntil = Math.max(busyUntil, end);
  }
  return sizes;
}

/** Per key, then all keys together: episodes and their sizes. */
export function episodesByKey(spans: readonly (readonly [number, number, string])[]): number[] {
  const byKey = new Map<string, Span[]>();
  for (const [s, e, key] of spans) {
    let list = byKey.get(key);
    if (!list) byKey.set(key, (list = []));
    list.push([s, e]);
  }
  return [...byKey.values()].flatMap((list) => episodeSizes(list));
}

/** Most fetches in flight at once: what the database saw at its worst moment. */
export function peakConcurrency(spans: readonly Span[]): number {
  const edges: [number, number][] = [];
  for (const [s, e] of spans) edges.push([s, 1], [e, -1]);
  // Ends before starts at the same instant: back-to-back fetches do not overlap.
  edges.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let now = 0;
  let peak = 0;
  for (const [, d] of edges) {
    now += d;
    peak = Math.max(peak, now);
  }
  return peak;
}

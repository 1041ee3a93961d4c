/**
 * A log-scale TTL histogram: fixed buckets whose bounds grow by roughly 6-10x, labelled the way an
 * operator reads durations. Fixed size, so a scan of any number of keys uses the same memory.
 */

/** Upper bounds (exclusive, in ms) of each bucket; the last bucket is open-ended. */
export const TTL_BUCKET_BOUNDS_MS: readonly number[] = [
  1_000, // < 1s
  10_000, // 1s - 10s
  60_000, // 10s - 1m
  600_000, // 1m - 10m
  3_600_000, // 10m - 1h
  21_600_000, // 1h - 6h
  86_400_000, // 6h - 1d
  604_800_000, // 1d - 7d
  2_592_000_000, // 7d - 30d
  Number.POSITIVE_INFINITY, // >= 30d
];

export const TTL_BUCKET_LABELS: readonly string[] = ['<1s', '1s-10s', '10s-1m', '1m-10m', '10m-1h', '1h-6h', '6h-1d', '1d-7d', '7d-30d', '>=30d'];

export function ttlBucketOf(ttlMs: number): number {
  // Linear search over 10 bounds beats a binary search at this size.
  for (let i = 0; i < TTL_BUCKET_BOUNDS_MS.length; i++) if (ttlMs < (TTL_BUCKET_BOUNDS_MS[i] as number)) return i;
  return TTL_BUCKET_BOUNDS_MS.length - 1;
}

export class TtlHistogram {
  readonly counts: number[] = new Array<number>(TTL_BUCKET_BOUNDS_MS.length).fill(0);

  add(ttlMs: number): void {
    const i = ttlBucketOf(ttlMs);
    this.counts[i] = (this.counts[i] as number) + 1;
  }

  merge(other: TtlHistogram): void {
    for (let i = 0; i < this.counts.length; i++) this.counts[i] = (this.counts[i] as number) + (other.counts[i] as number);
  }

  total(): number {
    return this.counts.reduce((a, b) => a + b, 0);
  }

  /** Buckets as labelled rows, for reporters and JSON. */
  rows(): { bucket: string; upToMs: number | null; keys: number }[] {
    return this.counts.map((keys, i) => {
      const bound = TTL_BUCKET_BOUNDS_MS[i] as number;
      return { bucket: TTL_BUCKET_LABELS[i] as string, upToMs: Number.isFinite(bound) ? bound : null, keys };
    });
  }
}

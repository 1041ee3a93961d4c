/**
 * A set of line numbers kept as sorted, merged, inclusive ranges: compact for "lines 1 to
 * 4,000,000 are done except 17 and 90,211", and fast for the mostly-ascending adds of a run.
 */
export type Range = [number, number];

export class LineRanges {
  private ranges: Range[] = [];

  static from(ranges: readonly Range[]): LineRanges {
    const set = new LineRanges();
    for (const [a, b] of ranges) set.add(a, b);
    return set;
  }

  /** Adds [from, to] inclusive, merging with neighbours that touch or overlap. */
  add(from: number, to: number = from): void {
    if (!Number.isInteger(from) || !Number.isInteger(to) || to < from) return;
    const r = this.ranges;
    // First range whose end reaches from-1 (could merge). Binary search: ranges are sorted.
    let lo = 0;
    let hi = r.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((r[mid] as Range)[1] < from - 1) lo = mid + 1;
      else hi = mid;
    }
    let start = from;
    let end = to;
    let j = lo;
    while (j < r.length && (r[j] as Range)[0] <= to + 1) {
      start = Math.min(start, (r[j] as Range)[0]);
      end = Math.max(end, (r[j] as Range)[1]);
      j++;
    }
    r.splice(lo, j - lo, [start, end]);
  }

  has(line: number): boolean {
    const r = this.ranges;
    let lo = 0;
    let hi = r.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const [a, b] = r[mid] as Range;
      if (line < a) hi = mid - 1;
      else if (line > b) lo = mid + 1;
      else return true;
    }
    return false;
  }

  /** Number of lines in the set. */
  size(): number {
    let n = 0;
    for (const [a, b] of this.ranges) n += b - a + 1;
    return n;
  }

  toJSON(): Range[] {
    return this.ranges.map(([a, b]) => [a, b]);
  }
}

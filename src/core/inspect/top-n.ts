/**
 * Keeps the N items with the highest score seen so far in O(log N) per item: the bounded
 * replacement for "collect every key, then sort".
 */
export class TopN<T> {
  private readonly heap: { score: number; item: T }[] = [];

  constructor(readonly limit: number) {}

  /** Cheap pre-check so callers can skip building an item that would not make the list. */
  wouldAccept(score: number): boolean {
    return this.limit > 0 && (this.heap.length < this.limit || score > (this.heap[0] as { score: number }).score);
  }

  offer(score: number, item: T | (() => T)): void {
    if (!this.wouldAccept(score)) return;
    const value = typeof item === 'function' ? (item as () => T)() : item;
    if (this.heap.length < this.limit) {
      this.heap.push({ score, item: value });
      this.siftUp(this.heap.length - 1);
    } else {
      this.heap[0] = { score, item: value };
      this.siftDown(0);
    }
  }

  /** The lowest score kept (the one the next item has to beat once the list is full). */
  minScore(): number | undefined {
    return this.heap[0]?.score;
  }

  get size(): number {
    return this.heap.length;
  }

  /** Highest score first. */
  sorted(): T[] {
    return [...this.heap].sort((a, b) => b.score - a.score).map((e) => e.item);
  }

  private siftUp(i: number): void {
    const h = this.heap;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if ((h[parent] as { score: number }).score <= (h[i] as { score: number }).score) break;
      [h[parent], h[i]] = [h[i] as { score: number; item: T }, h[parent] as { score: number; item: T }];
      i = parent;
    }
  }

  private siftDown(i: number): void {
    const h = this.heap;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let smallest = i;
      if (l < h.length && (h[l] as { score: number }).score < (h[smallest] as { score: number }).score) smallest = l;
      if (r < h.length && (h[r] as { score: number }).score < (h[smallest] as { score: number }).score) smallest = r;
      if (smallest === i) return;
      [h[smallest], h[i]] = [h[i] as { score: number; item: T }, h[smallest] as { score: number; item: T }];
      i = smallest;
    }
  }
}

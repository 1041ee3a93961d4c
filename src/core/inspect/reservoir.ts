/** Reservoir sampling (Algorithm R): a uniform sample of a stream whose length is not known up front, in O(n) memory. */
export class Reservoir<T> {
  readonly items: T[] = [];
  seen = 0;
  constructor(
    readonly n: number,
    private readonly random: () => number,
  ) {}
  offer(item: T): void {
    this.seen++;
    if (this.items.length < this.n) this.items.push(item);
    else {
      const j = Math.floor(this.random() * this.seen);
      if (j < this.n) this.items[j] = item;
    }
  }
}

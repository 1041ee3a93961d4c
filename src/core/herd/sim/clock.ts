/**
 * A simulated clock: sleep() registers a timer; run() advances time to the next timer only
 * once every promise chain that can make progress has run, so async strategy code runs
 * unchanged, deterministically, and in no real time.
 */
import type { Clock } from '../types.js';

interface Timer {
  at: number;
  seq: number;
  resolve: () => void;
}

/** Lets every queued microtask (and what they queue) run before the clock moves. */
function settle(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

export class SimClock implements Clock {
  private time = 0;
  private seq = 0;
  private readonly timers: Timer[] = [];

  constructor(start = 0) {
    this.time = start;
  }

  now(): number {
    return this.time;
  }

  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => this.push({ at: this.time + Math.max(0, ms), seq: this.seq++, resolve }));
  }

  /** Drives the simulation until `work` settles; throws if it can never settle (a deadlock in the model). */
  async run<T>(work: Promise<T>, limitMs = Number.MAX_SAFE_INTEGER): Promise<T> {
    let done = false;
    const tracked = work.finally(() => {
      done = true;
    });
    tracked.catch(() => undefined);
    for (;;) {
      await settle();
      if (done) return tracked;
      const next = this.pop();
      if (!next) throw new Error('simulation stalled: work is waiting on something that is not a simulated timer');
      if (next.at > limitMs) throw new Error(`simulation ran past its limit of ${limitMs}ms`);
      this.time = next.at;
      next.resolve();
    }
  }

  private push(timer: Timer): void {
    // Binary-heap insert ordered by (at, seq): equal times fire in the order they were set.
    const heap = this.timers;
    heap.push(timer);
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!before(heap[i] as Timer, heap[parent] as Timer)) break;
      [heap[i], heap[parent]] = [heap[parent] as Timer, heap[i] as Timer];
      i = parent;
    }
  }

  private pop(): Timer | undefined {
    const heap = this.timers;
    const top = heap[0];
    const last = heap.pop();
    if (heap.length > 0 && last) {
      heap[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < heap.length && before(heap[l] as Timer, heap[m] as Timer)) m = l;
        if (r < heap.length && before(heap[r] as Timer, heap[m] as Timer)) m = r;
        if (m === i) break;
        [heap[i], heap[m]] = [heap[m] as Timer, heap[i] as Timer];
        i = m;
      }
    }
    return top;
  }
}

function before(a: Timer, b: Timer): boolean {
  return a.at < b.at || (a.at === b.at && a.seq < b.seq);
}

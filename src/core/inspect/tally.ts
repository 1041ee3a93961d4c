/**
 * Per-node running totals of a scan: counts, a TTL histogram, expiry cliffs and a small sample
 * of keys without a TTL. Constant memory whatever the number of keys.
 */
import { ExpiryCliffs, type ExpiryWindow } from './cliffs.js';
import { TtlHistogram } from './histogram.js';
import { NO_TTL, VANISHED, type KeyBatch, type SummaryBatch } from './types.js';

export class ScanTally {
  keys = 0;
  withTtl = 0;
  noTtl = 0;
  /** Gone between SCAN and the lookup (expired or deleted): not counted in `keys`. */
  vanished = 0;
  readonly types = new Map<string, number>();
  readonly histogram = new TtlHistogram();
  /** Expiry seconds on the node's own clock. */
  readonly cliffs: ExpiryCliffs;
  /** The same on the local clock (node clock - `shiftMs`), for cluster-wide windows; the same object when the shift is 0. */
  readonly corrected: ExpiryCliffs;
  readonly noTtlSample: string[] = [];

  constructor(
    readonly sampleSize: number,
    cliffCapacity?: number,
    /** The node's clock offset to subtract for the cluster-wide windows (ms; 0: none). */
    readonly shiftMs = 0,
  ) {
    this.cliffs = new ExpiryCliffs(cliffCapacity);
    this.corrected = shiftMs === 0 ? this.cliffs : new ExpiryCliffs(cliffCapacity);
  }

  private addExpiry(expireAt: number): void {
    this.cliffs.add(expireAt);
    if (this.corrected !== this.cliffs) this.corrected.add(expireAt - this.shiftMs);
  }

  addBatch(batch: KeyBatch): void {
    for (let i = 0; i < batch.size; i++) this.add(batch.type(i), batch.pttl(i), batch.expireAt(i), batch, i);
  }

  /** A batch already reduced on the node: only counts, expiry times and a few key names. */
  addSummary(batch: SummaryBatch): void {
    this.keys += batch.size - batch.vanished;
    this.vanished += batch.vanished;
    this.noTtl += batch.noTtl;
    for (const [t, n] of batch.types) this.types.set(t, (this.types.get(t) ?? 0) + n);
    for (const k of batch.noTtlSample) if (this.noTtlSample.length < this.sampleSize) this.noTtlSample.push(k);
    const now = batch.serverNowMs;
    for (const e of batch.expireAts) {
      this.histogram.add(Math.max(0, e - now));
      this.addExpiry(e);
    }
    this.withTtl += batch.expireAts.length;
  }

  /** `source`/`i` give the key name lazily: only keys that make the sample are materialised. */
  add(type: string, pttl: number, expireAt: number, source: { key(i: number): string }, i: number): void {
    if (pttl === VANISHED || type === 'none') {
      this.vanished++;
      return;
    }
    this.keys++;
    this.types.set(type, (this.types.get(type) ?? 0) + 1);
    if (pttl === NO_TTL) {
      this.noTtl++;
      if (this.noTtlSample.length < this.sampleSize) this.noTtlSample.push(source.key(i));
      return;
    }
    this.withTtl++;
    this.histogram.add(pttl);
    this.addExpiry(expireAt);
  }

  merge(other: ScanTally): void {
    this.keys += other.keys;
    this.withTtl += other.withTtl;
    this.noTtl += other.noTtl;
    this.vanished += other.vanished;
    for (const [t, n] of other.types) this.types.set(t, (this.types.get(t) ?? 0) + n);
    this.histogram.merge(other.histogram);
    for (const k of other.noTtlSample) if (this.noTtlSample.length < this.sampleSize) this.noTtlSample.push(k);
  }

  topCliffs(n: number): ExpiryWindow[] {
    return this.cliffs.top(n);
  }
}

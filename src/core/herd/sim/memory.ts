/**
 * An in-memory cache and origin on a simulated clock, with a round-trip time per command
 * so that concurrent readers really overlap as they do on a network.
 */
import type { CachedValue, Clock, HerdCache, OriginPort, OriginRow } from '../types.js';
import { versionKeyOf } from '../strategies/common.js';

interface Item {
  raw: CachedValue;
  expiresAt: number;
}

export class MemoryStore {
  readonly items = new Map<string, Item>();
  readonly strings = new Map<string, { value: string; expiresAt: number }>();
  /** The cache is paused over [from, to): a command waits until `to`, or fails after `timeoutMs`. */
  outage?: { from: number; to: number; timeoutMs: number };

  constructor(readonly clock: Clock) {}

  alive(expiresAt: number): boolean {
    return expiresAt > this.clock.now();
  }

  delete(key: string): void {
    this.items.delete(key);
  }

  set(key: string, value: CachedValue, ttlMs: number): void {
    this.items.set(key, { raw: { ...value }, expiresAt: this.clock.now() + ttlMs });
  }

  expireIn(key: string, ms: number): void {
    const item = this.items.get(key);
    if (item) item.expiresAt = this.clock.now() + ms;
  }
}

/** One client's view of the shared store; every command costs one simulated round trip. */
export class MemoryCache implements HerdCache {
  constructor(
    private readonly store: MemoryStore,
    private readonly rttMs: number,
  ) {}

  private async trip(): Promise<void> {
    const o = this.store.outage;
    const now = this.store.clock.now();
    if (o && now >= o.from && now < o.to) {
      if (o.to - now >= o.timeoutMs) {
        await this.store.clock.sleep(o.timeoutMs);
        throw new Error('Command timed out');
      }
      await this.store.clock.sleep(o.to - now);
    }
    await this.store.clock.sleep(this.rttMs);
  }

  private get(key: string): CachedValue | null {
    const item = this.store.items.get(key);
    if (!item || !this.store.alive(item.expiresAt)) return null;
    return { ...item.raw, ttlLeftMs: item.expiresAt - this.store.clock.now() };
  }

  async read(key: string): Promise<CachedValue | null> {
    await this.trip();
    return this.get(key);
  }

  async write(key: string, value: CachedValue, ttlMs: number, staleTtlMs?: number): Promise<void> {
    await this.trip();
    this.store.set(key, value, ttlMs);
    if (staleTtlMs !== undefined) this.store.set(`${key}:stale`, value, staleTtlMs);
  }

  async writeIfNewer(key: string, value: CachedValue, ttlMs: number): Promise<boolean> {
    await this.trip();
    const floor = this.store.strings.get(versionKeyOf(key));
    const current = this.get(key);
    const newest = Math.max(floor && this.store.alive(floor.expiresAt) ? Number(floor.value) : -Infinity, current?.version ?? -Infinity);
    if ((value.version ?? -Infinity) < newest) return false;
    this.store.set(key, value, ttlMs);
    return true;
  }

  async readStale(key: string): Promise<CachedValue | null> {
    await this.trip();
    const v = this.get(`${key}:stale`);
    return v ? { ...v, ttlLeftMs: Infinity } : null;
  }

  async acquireLock(key: string, token: string, ttlMs: number): Promise<boolean> {
    await this.trip();
    const held = this.store.strings.get(key);
    if (held && this.store.alive(held.expiresAt)) return false;
    this.store.strings.set(key, { value: token, expiresAt: this.store.clock.now() + ttlMs });
    return true;
  }

  async releaseLock(key: string, token: string): Promise<boolean> {
    await this.trip();
    const held = this.store.strings.get(key);
    if (!held || held.value !== token || !this.store.alive(held.expiresAt)) return false;
    this.store.strings.delete(key);
    return true;
  }

  async countStampede(key: string, windowMs: number): Promise<number> {
    await this.trip();
    const counter = `stampede:${key}`;
    const held = this.store.strings.get(counter);
    const n = held && this.store.alive(held.expiresAt) ? Number(held.value) + 1 : 1;
    this.store.strings.set(counter, {
      value: String(n),
      expiresAt: held && this.store.alive(held.expiresAt) ? held.expiresAt : this.store.clock.now() + windowMs,
    });
    return n;
  }
}

/** The database: each fetch takes `recomputeMs` of simulated time and is counted, with its start time. */
export class SimOrigin implements OriginPort {
  queries = 0;
  readonly starts: number[] = [];
  readonly ends: number[] = [];

  constructor(
    private readonly clock: Clock,
    private readonly recomputeMs: number,
    private readonly failWith?: string,
  ) {}

  /** The row's version as the database has it (bumped by simulated writes); read at the query's start. */
  version: number | undefined;

  async fetch(key: string): Promise<OriginRow> {
    this.queries++;
    const version = this.version;
    this.starts.push(this.clock.now());
    await this.clock.sleep(this.recomputeMs);
    this.ends.push(this.clock.now());
    if (this.failWith) throw new Error(this.failWith);
    return { value: `value of ${key} at ${this.clock.now()}`, ...(version !== undefined ? { version } : {}) };
  }
}

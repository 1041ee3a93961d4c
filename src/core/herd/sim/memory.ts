/**
 * An in-memory cache and origin on a simulated clock, with a round-trip time per command
 * so that concurrent readers really overlap as they do on a network.
 */
import type { CachedValue, Clock, HerdCache, Origin } from '../types.js';

interface Item {
  raw: CachedValue;
  expiresAt: number;
}

export class MemoryStore {
  readonly items = new Map<string, Item>();
  readonly strings = new Map<string, { value: string; expiresAt: number }>();

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
    this.store.strings.set(counter, { value: String(n), expiresAt: held && this.store.alive(held.expiresAt) ? held.expiresAt : this.store.clock.now() + windowMs });
    return n;
  }
}

/** The database: each fetch takes `recomputeMs` of simulated time and is counted, with its start time. */
export class SimOrigin implements Origin {
  queries = 0;
  readonly starts: number[] = [];
  readonly ends: number[] = [];

  constructor(
    private readonly clock: Clock,
    private readonly recomputeMs: number,
    private readonly failWith?: string,
  ) {}

  async fetch(key: string): Promise<string> {
    this.queries++;
    this.starts.push(this.clock.now());
    await this.clock.sleep(this.recomputeMs);
    this.ends.push(this.clock.now());
    if (this.failWith) throw new Error(this.failWith);
    return `value of ${key} at ${this.clock.now()}`;
  }
}

/**
 * HerdCache on a real cache of any topology: each key goes to the node that owns it
 * (cluster slot or ring point), through one CacheConnection per virtual client.
 */
import type { Redis } from 'ioredis';
import type { CacheConnection } from '../redis/cache.js';
import type { CachedValue, HerdCache } from '../../core/herd/types.js';
import { COUNT_STAMPEDE, READ_WITH_TTL, RELEASE_LOCK, WRITE_IF_NEWER, loadScripts, runScript } from './scripts.js';
import { versionKeyOf } from '../../core/herd/strategies/index.js';

export function staleKeyOf(key: string): string {
  return `${key}:stale`;
}

export function stampedeKeyOf(key: string): string {
  return `stampede:${key}`;
}

/** The value as the drill stores it: the origin's answer plus what xfetch and swr need. */
export function encodeEntry(entry: CachedValue): string {
  return JSON.stringify({
    v: entry.value,
    d: Math.round(entry.deltaMs * 1000) / 1000,
    c: Math.round(entry.computedAt),
    ...(entry.version !== undefined ? { ver: entry.version } : {}),
  });
}

/** Accepts a value someone else wrote (no envelope): present, but with no known recompute time. */
export function decodeEntry(raw: string, ttlLeftMs: number): CachedValue {
  try {
    const parsed = JSON.parse(raw) as { v?: unknown; d?: unknown; c?: unknown; ver?: unknown };
    if (parsed && typeof parsed === 'object' && typeof parsed.v === 'string' && typeof parsed.d === 'number' && typeof parsed.c === 'number') {
      return { value: parsed.v, deltaMs: parsed.d, computedAt: parsed.c, ttlLeftMs, ...(typeof parsed.ver === 'number' ? { version: parsed.ver } : {}) };
    }
  } catch {
    // not ours
  }
  return { value: raw, deltaMs: 0, computedAt: 0, ttlLeftMs };
}

export class RedisHerdCache implements HerdCache {
  constructor(private readonly cache: CacheConnection) {}

  nodeFor(key: string): Redis {
    const index = this.cache.topology.nodeIndexOf(key);
    if (index < 0) throw new Error(`no node serves ${key} (cluster slot not covered)`);
    return this.cache.client(index);
  }

  /**
   * Connects to every node these keys live on and loads the scripts there: done before the
   * barrier. The command timeout applies from then on: connecting hundreds of clients at once
   * may take longer than an application's per-command timeout, and is not what is drilled.
   */
  async prepare(keys: readonly string[], commandTimeoutMs?: number): Promise<void> {
    const nodes = new Set<Redis>(keys.map((k) => this.nodeFor(k)));
    for (const client of nodes) {
      if (client.status === 'wait') await client.connect();
      await loadScripts(client);
      if (commandTimeoutMs !== undefined) client.options.commandTimeout = commandTimeoutMs;
    }
  }

  /** Resolves once every connection of these keys is up again (after a refused outage), or after `maxWaitMs`. */
  async ready(keys: readonly string[], maxWaitMs: number): Promise<void> {
    const nodes = new Set<Redis>(keys.map((k) => this.nodeFor(k)));
    await Promise.all(
      [...nodes].map(
        (client) =>
          new Promise<void>((resolve) => {
            if (client.status === 'ready') return resolve();
            const done = () => {
              clearTimeout(timer);
              client.off('ready', done);
              resolve();
            };
            const timer = setTimeout(done, maxWaitMs);
            client.on('ready', done);
          }),
      ),
    );
  }

  async read(key: string): Promise<CachedValue | null> {
    const [raw, pttl] = (await runScript(this.nodeFor(key), READ_WITH_TTL, [key], [])) as [string | null, number];
    if (raw === null || raw === undefined) return null;
    return decodeEntry(raw, pttl >= 0 ? pttl : Infinity);
  }

  async write(key: string, value: CachedValue, ttlMs: number, staleTtlMs?: number): Promise<void> {
    const encoded = encodeEntry(value);
    const writes: Promise<unknown>[] = [this.nodeFor(key).set(key, encoded, 'PX', Math.max(1, Math.round(ttlMs)))];
    if (staleTtlMs !== undefined) {
      const stale = staleKeyOf(key);
      writes.push(this.nodeFor(stale).set(stale, encoded, 'PX', Math.max(1, Math.round(staleTtlMs))));
    }
    await Promise.all(writes);
  }

  async writeIfNewer(key: string, value: CachedValue, ttlMs: number): Promise<boolean> {
    const args = [encodeEntry(value), value.version ?? -1, Math.max(1, Math.round(ttlMs))];
    return Number(await runScript(this.nodeFor(key), WRITE_IF_NEWER, [key, versionKeyOf(key)], args)) === 1;
  }

  async readStale(key: string): Promise<CachedValue | null> {
    const stale = staleKeyOf(key);
    const raw = await this.nodeFor(stale).get(stale);
    return raw === null ? null : decodeEntry(raw, Infinity);
  }

  async acquireLock(lockKey: string, token: string, ttlMs: number): Promise<boolean> {
    return (await this.nodeFor(lockKey).set(lockKey, token, 'PX', Math.max(1, Math.round(ttlMs)), 'NX')) === 'OK';
  }

  async releaseLock(lockKey: string, token: string): Promise<boolean> {
    return Number(await runScript(this.nodeFor(lockKey), RELEASE_LOCK, [lockKey], [token])) === 1;
  }

  async countStampede(key: string, windowMs: number): Promise<number> {
    const counter = stampedeKeyOf(key);
    return Number(await runScript(this.nodeFor(counter), COUNT_STAMPEDE, [counter], [Math.max(1, Math.round(windowMs))]));
  }
}

/**
 * Everything the drill does to the keys themselves, on their owning nodes: the run markers that
 * keep two drills apart, the snapshot taken before and restored after, priming, the trigger,
 * and cleanup of this run's own locks. Commands for many keys are issued together (one
 * connection per node pipelines them).
 */
import type { Redis } from 'ioredis';
import { DEFAULTS } from '../../config/defaults.js';
import { LockedError } from '../../errors.js';
import { lockKeyOf } from '../../core/herd/strategies/index.js';
import type { CachedValue } from '../../core/herd/types.js';
import { RedisHerdCache, stampedeKeyOf, staleKeyOf } from './redis-cache.js';
import { RELEASE_IF_PREFIX, runScript } from './scripts.js';

interface Snapshot {
  key: string;
  dump: Buffer | null;
  pttl: number;
}

export function runMarkerOf(key: string): string {
  return `${DEFAULTS.herd.scratchPrefix}run:${key}`;
}

export class DrillKeys {
  private readonly snapshots: Snapshot[] = [];
  private readonly marked: string[] = [];

  constructor(
    private readonly cache: RedisHerdCache,
    readonly keys: readonly string[],
    private readonly runId: string,
  ) {}

  /** One drill per key at a time: a second one would count the first one's queries. */
  async markRun(ttlMs: number): Promise<void> {
    const results = await Promise.all(
      this.keys.map(async (key) => {
        const marker = runMarkerOf(key);
        const ok = (await this.cache.nodeFor(marker).set(marker, this.runId, 'PX', ttlMs, 'NX')) === 'OK';
        if (ok) this.marked.push(marker);
        return { key, ok };
      }),
    );
    const busy = results.filter((r) => !r.ok);
    if (busy.length > 0) {
      throw new LockedError(`another herd drill is running on ${busy[0]?.key}${busy.length > 1 ? ` and ${busy.length - 1} more keys` : ''} (${runMarkerOf(busy[0]?.key ?? '')} is set); wait for it or delete that key if it crashed`);
    }
  }

  /** DUMP + PTTL of every key and its stale copy, so the drill can leave them as it found them. */
  async snapshot(): Promise<void> {
    const all = this.keys.flatMap((k) => [k, staleKeyOf(k)]);
    const taken = await Promise.all(
      all.map(async (key) => {
        const node = this.cache.nodeFor(key);
        const [dump, pttl] = await Promise.all([node.dumpBuffer(key), node.pttl(key)]);
        return { key, dump, pttl };
      }),
    );
    this.snapshots.push(...taken);
  }

  async prime(entries: readonly CachedValue[], ttlFor: (index: number) => number, staleTtlMs: number | undefined): Promise<void> {
    await Promise.all(this.keys.map((key, i) => this.cache.write(key, { ...(entries[i] as CachedValue) }, ttlFor(i), staleTtlMs)));
  }

  async resetStampedeCounters(): Promise<void> {
    await Promise.all(this.keys.map((k) => this.cache.nodeFor(stampedeKeyOf(k)).del(stampedeKeyOf(k))));
  }

  async deleteAll(): Promise<void> {
    await Promise.all(this.keys.map((k) => this.cache.nodeFor(k).del(k)));
  }

  async expireAll(msFor: (index: number) => number): Promise<void> {
    await Promise.all(this.keys.map((k, i) => this.cache.nodeFor(k).pexpire(k, Math.max(1, Math.round(msFor(i))))));
  }

  /** Deletes only locks whose token carries this run's id. */
  async releaseOwnLocks(): Promise<void> {
    await Promise.all(this.keys.map((k) => runScript(this.cache.nodeFor(lockKeyOf(k)), RELEASE_IF_PREFIX, [lockKeyOf(k)], [`${this.runId}:`])));
  }

  async releaseRunMarkers(): Promise<void> {
    await Promise.all(this.marked.splice(0).map((m) => runScript(this.cache.nodeFor(m), RELEASE_IF_PREFIX, [m], [this.runId])));
  }

  /**
   * Puts every key back as it was (value and remaining TTL), removes the run markers. With
   * `keepValues` the keys and stale copies stay as the drill left them (they carry a TTL).
   */
  async restore({ keepValues = false } = {}): Promise<void> {
    await this.releaseOwnLocks();
    const snapshots = this.snapshots.splice(0);
    if (!keepValues) await Promise.all(snapshots.map((s) => restoreOne(this.cache.nodeFor(s.key), s)));
    await this.releaseRunMarkers();
  }
}

async function restoreOne(node: Redis, s: Snapshot): Promise<void> {
  if (s.dump === null) {
    await node.del(s.key);
    return;
  }
  await node.restore(s.key, s.pttl > 0 ? s.pttl : 0, s.dump, 'REPLACE');
}

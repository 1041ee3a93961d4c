/**
 * Everything the drill does to the keys themselves, on their owning nodes: the run markers that
 * keep two drills apart, the snapshot taken before and restored after, priming, the trigger,
 * and cleanup of this run's own locks. Commands for many keys are issued together (one
 * connection per node pipelines them). The snapshot is also kept in Redis (a restore record per
 * key), because a drill killed with SIGKILL restores nothing: the next drill on the key finds the
 * record once the dead run's short-lived marker has expired, and puts the key back.
 */
import type { Redis } from 'ioredis';
import { DEFAULTS } from '../../config/defaults.js';
import { LockedError } from '../../errors.js';
import { lockKeyOf } from '../../core/herd/strategies/index.js';
import type { CachedValue } from '../../core/herd/types.js';
import { RedisHerdCache, stampedeKeyOf, staleKeyOf } from './redis-cache.js';
import { RELEASE_IF_PREFIX, RENEW_IF_EQUAL, runScript } from './scripts.js';

interface Snapshot {
  key: string;
  dump: Buffer | null;
  pttl: number;
}

export function runMarkerOf(key: string): string {
  return `${DEFAULTS.herd.scratchPrefix}run:${key}`;
}

export function restoreRecordOf(key: string): string {
  return `${DEFAULTS.herd.scratchPrefix}restore:${key}`;
}

/** What a crashed drill left and the next one put back. */
export interface Recovered {
  key: string;
  /** The dead drill's run id: its PostgreSQL scratch objects are named after it. */
  runId: string;
  takenAt: number;
}

export class DrillKeys {
  private readonly snapshots: Snapshot[] = [];
  private readonly marked: string[] = [];

  constructor(
    private readonly cache: RedisHerdCache,
    readonly keys: readonly string[],
    private readonly runId: string,
  ) {}

  private renewal: NodeJS.Timeout | undefined;

  /** The marker then expires on its own: for a cleanup that could not finish. */
  stopRenewal(): void {
    clearInterval(this.renewal);
  }

  /**
   * One drill per key at a time: a second one would count the first one's queries. The marker is
   * short-lived and renewed while this drill runs, so a crashed drill stops blocking within seconds.
   */
  async markRun(): Promise<void> {
    const ttlMs = DEFAULTS.herd.runMarkerTtlMs;
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
      await this.releaseRunMarkers();
      const key = busy[0]?.key ?? '';
      const holder = await this.cache.nodeFor(runMarkerOf(key)).get(runMarkerOf(key));
      const crashed = (await this.cache.nodeFor(restoreRecordOf(key)).exists(restoreRecordOf(key))) === 1;
      throw new LockedError(
        `another herd drill is running on ${key}${busy.length > 1 ? ` and ${busy.length - 1} more keys` : ''} (run ${holder ?? '?'}); ` +
          `its marker ${runMarkerOf(key)} lives ${ttlMs / 1000}s past its last renewal, so if that drill died, try again then` +
          (crashed
            ? ` (the next drill restores ${key} from ${restoreRecordOf(key)} and drops its PostgreSQL scratch objects cachectl_herd_${holder ?? '<run>'}*)`
            : ''),
      );
    }
    this.renewal = setInterval(() => {
      for (const m of this.marked) void runScript(this.cache.nodeFor(m), RENEW_IF_EQUAL, [m], [this.runId, ttlMs]).catch(() => undefined);
    }, ttlMs / 3);
    this.renewal.unref();
  }

  /**
   * Puts back what crashed drills on these keys left (their restore records: the key and its stale
   * copy as they were, with the TTL they had left), now that their markers have expired.
   */
  async recoverCrashed(): Promise<Recovered[]> {
    const found = await Promise.all(
      this.keys.map(async (key): Promise<Recovered | undefined> => {
        const node = this.cache.nodeFor(restoreRecordOf(key));
        const record = await node.hgetallBuffer(restoreRecordOf(key));
        const runId = record.run?.toString();
        if (runId === undefined) return undefined;
        const takenAt = Number(record.at?.toString());
        const elapsed = Date.now() - takenAt;
        for (const [tag, k] of [
          ['k', key],
          ['s', staleKeyOf(key)],
        ] as const) {
          const pttl = Number(record[`${tag}:pttl`]?.toString() ?? '-2');
          const dump = record[`${tag}:dump`];
          const left = pttl > 0 ? pttl - elapsed : pttl;
          await restoreOne(this.cache.nodeFor(k), {
            key: k,
            dump: dump && dump.length > 0 && (pttl < 0 || left > 0) ? dump : null,
            pttl: pttl > 0 ? Math.max(1, left) : pttl,
          });
        }
        await node.del(restoreRecordOf(key));
        return { key, runId, takenAt };
      }),
    );
    return found.filter((r): r is Recovered => r !== undefined);
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
    await Promise.all(
      this.keys.map(async (key, i) => {
        const [k, s] = [taken[2 * i] as Snapshot, taken[2 * i + 1] as Snapshot];
        const record = restoreRecordOf(key);
        const node = this.cache.nodeFor(record);
        const fields: (string | Buffer | number)[] = ['run', this.runId, 'at', Date.now(), 'k:pttl', k.pttl, 's:pttl', s.pttl];
        if (k.dump) fields.push('k:dump', k.dump);
        if (s.dump) fields.push('s:dump', s.dump);
        await node
          .multi()
          .del(record)
          .hset(record, ...fields)
          .pexpire(record, DEFAULTS.herd.restoreRecordTtlMs)
          .exec();
      }),
    );
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
    clearInterval(this.renewal);
    await Promise.all(this.marked.splice(0).map((m) => runScript(this.cache.nodeFor(m), RELEASE_IF_PREFIX, [m], [this.runId])));
  }

  /**
   * Puts every key back as it was (value and remaining TTL), removes the run markers. With
   * `keepValues` the keys and stale copies stay as the drill left them (they carry a TTL).
   */
  async restore({ keepValues = false } = {}): Promise<void> {
    await this.releaseOwnLocks();
    const snapshots = this.snapshots.splice(0);
    const recorded = snapshots.length > 0;
    if (!keepValues) await Promise.all(snapshots.map((s) => restoreOne(this.cache.nodeFor(s.key), s)));
    // Restored (or deliberately kept): nothing is left for a later drill to put back.
    if (recorded) await Promise.all(this.keys.map((k) => this.cache.nodeFor(restoreRecordOf(k)).del(restoreRecordOf(k))));
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

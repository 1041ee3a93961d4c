/**
 * The run lock in Redis: `SET <key> <token> NX PX <ttl>` on the node that owns the key (its
 * slot's master in a cluster, the ring's node for it on a ring), renewed while the run goes by
 * a compare-and-PEXPIRE script, released by a compare-and-DEL script so a run never deletes a
 * lock that expired and was taken by another. The TTL bounds how long a crashed run blocks
 * the next one.
 */
import { hostname } from 'node:os';
import type { Redis } from 'ioredis';
import { ConnectionError, IncompleteError, InterruptedError, LockedError, stopSignalOf } from '../../errors.js';
import { lockedMessage, makeLockToken, type LockRequest } from '../../core/run/lock.js';
import type { CacheNode } from '../../topology/types.js';
import { ringWithoutEjected, type RingTopology } from '../../topology/ring/index.js';
import type { CacheConnection } from './cache.js';

/** Extends the TTL only if the lock still holds our token. */
const RENEW = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) else return 0 end`;
/** Deletes only if the lock still holds our token. */
const RELEASE = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) else return 0 end`;
/** Holder and remaining TTL in one command (one round trip, and one command to follow an ASK). */
const READ = `return {redis.call('GET', KEYS[1]) or '', redis.call('PTTL', KEYS[1])}`;

export type LockEvent =
  | { action: 'acquired'; key: string; node: string; ttlMs: number }
  | { action: 'waiting'; key: string; node: string; holder: string }
  | { action: 'renew-failed'; key: string; node: string; error: string }
  | { action: 'reacquired'; key: string; node: string }
  | { action: 'lost'; key: string; node: string; reason: string }
  | { action: 'released'; key: string; node: string; released: boolean };

export interface RunLockOptions {
  key: string;
  /** For messages: the warmlist (and shard) the lock guards. */
  warmlist: string;
  ttlMs: number;
  /** --wait-lock: how long to wait for a held lock; 0 (default) refuses at once. */
  waitMs?: number;
  /** Renewal period; default a third of the TTL, so two renewals may fail before expiry. */
  renewEveryMs?: number;
  signal?: AbortSignal;
  onEvent?: (event: LockEvent) => void;
  /** Stamped into the token; defaults to this host, pid and now. */
  holder?: { host: string; pid: number; startedAt: string };
}

export interface RunLock {
  readonly key: string;
  readonly token: string;
  /** The node holding the lock now (changes after MOVED or a failover). */
  readonly node: CacheNode;
  /** True once the lock was found gone or taken by another run while this one was going. */
  readonly lost: boolean;
  /** Stops renewing and deletes the lock if it is still ours. Never throws. */
  release(): Promise<boolean>;
}

export async function acquireRunLock(cache: CacheConnection, options: RunLockOptions): Promise<RunLock> {
  const holder = options.holder ?? { host: hostname(), pid: process.pid, startedAt: new Date().toISOString() };
  const token = makeLockToken(holder);
  const emit = options.onEvent ?? (() => undefined);
  const started = Date.now();
  let pause = 100;
  let announced = false;
  // Ring nodes found down: the lock goes where the ring without them puts it (see ownerOf).
  const avoid = new Set<string>();
  for (;;) {
    const { reply, node } = await onOwner(cache, options.key, (c) => c.set(options.key, token, 'PX', options.ttlMs, 'NX'), 'take the run lock', avoid);
    if (reply === 'OK') {
      emit({ action: 'acquired', key: options.key, node: node.address, ttlMs: options.ttlMs });
      return new HeldLock(cache, options, token, node, emit, avoid);
    }
    const { reply: held } = await onOwner(cache, options.key, (c) => c.eval(READ, 1, options.key) as Promise<[string, number]>, 'read the run lock', avoid);
    const value = held[0] === '' ? undefined : held[0];
    const pttl = Number(held[1]);
    const waited = Date.now() - started;
    const waitMs = options.waitMs ?? 0;
    // Interrupted while waiting for another run: stop waiting (an interrupted run that got the
    // lock carries on to its summary instead, which says it was interrupted).
    if (options.signal?.aborted && waited > 0) throw new InterruptedError(stopSignalOf(options.signal));
    if (waited >= waitMs) {
      throw new LockedError(
        lockedMessage(options.warmlist, {
          key: options.key,
          node: node.address,
          token: value,
          ttlMs: pttl > 0 ? pttl : undefined,
          waitedMs: waitMs > 0 ? waited : undefined,
        }),
      );
    }
    if (!announced) {
      emit({ action: 'waiting', key: options.key, node: node.address, holder: value ?? '' });
      announced = true;
    }
    // Polling: Redis has no "tell me when this key is deleted" short of keyspace notifications,
    // which are off by default. Back off to 2s, never past the wait budget.
    await sleep(Math.min(pause, waitMs - waited, pttl > 0 ? pttl + 5 : pause), options.signal);
    pause = Math.min(pause * 2, 2000);
  }
}

/**
 * Takes the locks in the order given (lockRequests sorts them); when one is refused, the ones
 * already taken are released before the refusal is thrown.
 */
export async function acquireRunLocks(
  cache: CacheConnection,
  requests: readonly LockRequest[],
  options: { signal?: AbortSignal; onEvent?: (event: LockEvent) => void },
): Promise<RunLock[]> {
  const locks: RunLock[] = [];
  try {
    for (const r of requests) {
      const waitMs = r.waitUntil !== undefined ? Math.max(0, Math.min(r.waitMs, r.waitUntil - Date.now())) : r.waitMs;
      locks.push(await acquireRunLock(cache, { key: r.key, warmlist: r.warmlist, ttlMs: r.ttlMs, waitMs, signal: options.signal, onEvent: options.onEvent }));
    }
    return locks;
  } catch (error) {
    await releaseRunLocks(locks);
    throw error;
  }
}

/** Releases each lock that still holds this run's token. Never throws. */
export async function releaseRunLocks(locks: readonly RunLock[]): Promise<void> {
  for (const lock of locks) await lock.release();
}

class HeldLock implements RunLock {
  private timer: ReturnType<typeof setInterval> | undefined;
  private lastRenewed = Date.now();
  private renewing = false;
  lost = false;

  constructor(
    private readonly cache: CacheConnection,
    private readonly options: RunLockOptions,
    readonly token: string,
    public node: CacheNode,
    private readonly emit: (event: LockEvent) => void,
    private readonly avoid: Set<string>,
  ) {
    this.timer = setInterval(() => void this.renew(), options.renewEveryMs ?? Math.max(50, Math.floor(options.ttlMs / 3)));
    this.timer.unref?.();
  }

  get key(): string {
    return this.options.key;
  }

  private async renew(): Promise<void> {
    if (this.renewing || this.lost) return;
    this.renewing = true;
    try {
      const { reply, node } = await onOwner(
        this.cache,
        this.key,
        (c) => c.eval(RENEW, 1, this.key, this.token, String(this.options.ttlMs)),
        'renew the run lock',
        this.avoid,
      );
      this.node = node;
      if (Number(reply) === 1) {
        this.lastRenewed = Date.now();
        return;
      }
      // Gone: it expired (renewals failed for a whole TTL) or a failover promoted a replica that
      // never received it. Take it back if nobody else did; otherwise another run now owns it.
      const { reply: again } = await onOwner(
        this.cache,
        this.key,
        (c) => c.set(this.key, this.token, 'PX', this.options.ttlMs, 'NX'),
        'retake the run lock',
        this.avoid,
      );
      if (again === 'OK') {
        this.lastRenewed = Date.now();
        this.emit({ action: 'reacquired', key: this.key, node: node.address });
      } else {
        this.markLost('another run took the lock after it expired');
      }
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      this.emit({ action: 'renew-failed', key: this.key, node: this.node.address, error: message });
      if (Date.now() - this.lastRenewed > this.options.ttlMs) this.markLost(`not renewed for longer than its TTL: ${message}`);
    } finally {
      this.renewing = false;
    }
  }

  private markLost(reason: string): void {
    if (this.lost) return;
    this.lost = true;
    if (this.timer) clearInterval(this.timer);
    this.emit({ action: 'lost', key: this.key, node: this.node.address, reason });
  }

  async release(): Promise<boolean> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    let released = false;
    try {
      const { reply, node } = await onOwner(this.cache, this.key, (c) => c.eval(RELEASE, 1, this.key, this.token), 'release the run lock', this.avoid);
      this.node = node;
      released = Number(reply) === 1;
    } catch {
      // The TTL frees it; nothing else to do on the way out.
    }
    this.emit({ action: 'released', key: this.key, node: this.node.address, released });
    return released;
  }
}

/**
 * Runs `op` on the node owning `key`, following a cluster's MOVED (refresh the slot map, retry)
 * and ASK (ASKING on the target, once). On a ring, an unreachable owner is added to `avoid` and
 * the lock goes to the node the ring names without it: a down cache node must not stop the
 * warm of the other nodes' keys, and every run that sees it down picks the same fallback.
 * Refusals (OOM, READONLY) and unreachable nodes become one-line errors that say nothing was written.
 */
async function onOwner<T>(
  cache: CacheConnection,
  key: string,
  op: (client: Redis) => Promise<T>,
  what: string,
  avoid = new Set<string>(),
): Promise<{ reply: T; node: CacheNode }> {
  let node = ownerOf(cache, key, avoid);
  for (let attempt = 0; ; attempt++) {
    try {
      return { reply: await op(cache.clientFor(node)), node };
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      const redirect = /^(MOVED|ASK) \d+ (\S+):(\d+)/.exec(message);
      if (redirect && attempt < 5) {
        if (redirect[1] === 'MOVED') {
          await cache.refreshTopology().catch(() => undefined);
          node = ownerOf(cache, key, avoid);
          if (node.address !== `${redirect[2]}:${redirect[3]}`)
            node = { address: `${redirect[2]}:${redirect[3]}`, host: redirect[2] as string, port: Number(redirect[3]), name: `${redirect[2]}:${redirect[3]}` };
        } else {
          const target: CacheNode = {
            address: `${redirect[2]}:${redirect[3]}`,
            host: redirect[2] as string,
            port: Number(redirect[3]),
            name: `${redirect[2]}:${redirect[3]}`,
          };
          const client = cache.clientFor(target);
          // ASKING applies to the next command on the same connection; ioredis sends both in order.
          const [, reply] = await Promise.all([client.call('ASKING'), op(client)]);
          return { reply, node: target };
        }
        continue;
      }
      const unreachable = /ECONNREFUSED|ETIMEDOUT|EHOSTUNREACH|Connection is closed|max retries|writeable/i.test(message);
      if (unreachable && cache.topology.kind === 'ring' && attempt < 5) {
        avoid.add(node.address);
        const next = ownerOf(cache, key, avoid);
        if (next.address !== node.address) {
          node = next;
          continue;
        }
      }
      if (/^(OOM|READONLY|NOSCRIPT|NOPERM|MISCONF)\b/.test(message)) {
        throw new IncompleteError(`cannot ${what}: ${node.address} refused it: ${message.split('\n')[0]}; nothing was written`);
      }
      if (/ECONNREFUSED|ETIMEDOUT|Connection is closed|connect|max retries|writeable|CLUSTERDOWN|TRYAGAIN|LOADING/i.test(message)) {
        throw new ConnectionError(
          `cannot ${what} on ${node.address}: ${message.split('\n')[0]}; nothing was written (use --no-lock to run without overlap protection)`,
          { cause: error },
        );
      }
      throw error;
    }
  }
}

function ownerOf(cache: CacheConnection, key: string, avoid: ReadonlySet<string> = new Set()): CacheNode {
  let topology = cache.topology;
  if (topology.kind === 'ring' && avoid.size > 0) {
    const ring = topology as RingTopology;
    const down = ring.nodes.map((n, i) => (avoid.has(n.address) ? i : -1)).filter((i) => i >= 0);
    // Every node down: keep the real owner, whose error is then reported.
    if (ring.live.some((i) => !down.includes(i))) topology = ringWithoutEjected(ring, down);
  }
  const node = topology.nodes[topology.nodeIndexOf(key)];
  if (!node) throw new ConnectionError(`cannot place the run lock ${key}: no node serves its slot (is the cluster down?)`);
  return node;
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, Math.max(0, ms));
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}

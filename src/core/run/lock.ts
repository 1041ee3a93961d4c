/**
 * The run lock's vocabulary, pure: which key guards a warmlist, what the token says about
 * its holder, and the one line printed when another run holds it. The Redis side (SET NX PX,
 * renewal, owner-only release) is adapters/redis/run-lock.ts.
 */
import { randomBytes } from 'node:crypto';
import type { ShardSpec } from './shard.js';
import { isControlChar } from '../text.js';

export interface LockHolder {
  host: string;
  pid: number;
  /** When the holding run started (ISO 8601). */
  startedAt: string;
  /** Random part: two runs with the same host and pid (a restarted container) never share a token. */
  id: string;
}

/**
 * The lock key of one warmlist (and one shard of it: shards of an Indexed Job run in
 * parallel on purpose, so each takes its own lock). Names are kept readable for `inspect locks`.
 */
export function runLockKey(prefix: string, warmlist: string, shard?: ShardSpec): string {
  // Whitespace and control characters would make the key awkward in redis-cli and logs.
  const name = [...warmlist].map((c) => (/\s/.test(c) || isControlChar(c) ? '_' : c)).join('');
  return shard && shard.count > 1 ? `${prefix}${name}:shard-${shard.index}-of-${shard.count}` : `${prefix}${name}`;
}

/** `host=web-1 pid=42 started=2026-11-26T05:10:00.000Z id=9f2c...`: readable with redis-cli GET. */
export function makeLockToken(holder: Omit<LockHolder, 'id'> & { id?: string }): string {
  const host = holder.host.replace(/[\s=]+/g, '_') || 'unknown';
  const id = holder.id ?? randomBytes(8).toString('hex');
  return `host=${host} pid=${holder.pid} started=${holder.startedAt} id=${id}`;
}

/** Reads a token back; undefined for a value some other tool put there. */
export function parseLockToken(token: string): LockHolder | undefined {
  const m = /^host=(\S+) pid=(\d+) started=(\S+) id=(\S+)$/.exec(token);
  if (!m) return undefined;
  return { host: m[1] as string, pid: Number(m[2]), startedAt: m[3] as string, id: m[4] as string };
}

export interface LockedDetails {
  key: string;
  node: string;
  /** The holder's token as stored, if it could be read. */
  token?: string;
  /** Milliseconds before the lock expires by itself (PTTL), if known. */
  ttlMs?: number;
  waitedMs?: number;
}

/** One line: who holds the lock, since when, where, and what the operator can do. */
export function lockedMessage(warmlist: string, d: LockedDetails): string {
  const holder = d.token !== undefined ? parseLockToken(d.token) : undefined;
  const who = holder
    ? `by ${holder.host} pid ${holder.pid} since ${holder.startedAt}`
    : d.token !== undefined
      ? `by an unknown holder (value '${d.token.slice(0, 60)}')`
      : 'by another run';
  const expiry = d.ttlMs !== undefined && d.ttlMs > 0 ? `, expires in ${Math.ceil(d.ttlMs / 1000)}s unless renewed` : '';
  const waited = d.waitedMs !== undefined ? ` after waiting ${Math.round(d.waitedMs / 1000)}s` : '';
  return (
    `warmlist '${warmlist}' is locked ${who} (key ${d.key} on ${d.node}${expiry})${waited}; ` +
    `another warm is running: let it finish, wait with --wait-lock <duration>, or pass --no-lock if you are sure`
  );
}

/** One run lock to take: its key, what messages call it, its TTL and how long to wait for it. */
export interface LockRequest {
  key: string;
  warmlist: string;
  ttlMs: number;
  /** --wait-lock; 0 refuses at once. */
  waitMs: number;
  /** Epoch ms (the --deadline) past which waiting for the lock never runs. */
  waitUntil?: number;
}

/** The locks a run takes, one per name, sorted so two runs over overlapping warmlists cannot deadlock. */
export function lockRequests(
  plan: { lock: { ttlMs: number; waitMs: number }; shard?: ShardSpec; deadlineAt?: number },
  names: readonly string[],
  prefix: string,
): LockRequest[] {
  const { shard } = plan;
  return [...names].sort().map((name) => ({
    key: runLockKey(prefix, name, shard),
    warmlist: shard && shard.count > 1 ? `${name} (shard ${shard.index}/${shard.count})` : name,
    ttlMs: plan.lock.ttlMs,
    waitMs: plan.lock.waitMs,
    ...(plan.deadlineAt !== undefined ? { waitUntil: plan.deadlineAt } : {}),
  }));
}

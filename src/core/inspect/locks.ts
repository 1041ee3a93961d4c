/**
 * `inspect locks`: the `lock:<key>` keys of the rebuild-lock pattern. Flags locks without a TTL
 * (stuck forever once the holder dies) and locks held longer than a limit.
 *
 * How old is a lock? Redis does not store when a key was written, so the age comes from:
 *  - a timestamp in the value, when the application stores one (epoch s/ms, ISO 8601, JSON
 *    fields such as acquired_at/ts, or a trailing `:<epoch>` after a token): exact;
 *  - else OBJECT IDLETIME: seconds since anything last touched the key. The holder normally never
 *    touches its lock until it releases it, so this is its age; a waiter that polls the lock resets
 *    it, so it is a lower bound. Not tracked under an LFU maxmemory policy; and on Redis < 7.2
 *    (no CLIENT NO-TOUCH) reading a value resets it, which is why values are only read there
 *    when asked (--lock-values).
 *  - The remaining TTL says when the lock goes away, never how long it has been held (the
 *    original TTL is not stored).
 */
import { scanEveryNode, summariseNode, type InspectEvent, type NodeSummary } from './every-node.js';
import { globEscape } from './stampede.js';
import { TopN } from './top-n.js';
import { NO_TTL, VANISHED, type InspectSource, type KeyBatch, type NodeFacts } from './types.js';

export interface LocksOptions {
  prefix: string;
  maxAgeMs: number;
  count: number;
  rate: number;
  topN: number;
  /** Read lock values even where that resets their idle time (Redis < 7.2). */
  readValues: boolean;
  onEvent?: (event: InspectEvent) => void;
  signal?: AbortSignal;
}

export type LockFlag = 'stuck' | 'old';
export type AgeSource = 'value' | 'idle' | 'unknown';

export interface LockRow {
  key: string;
  node: string;
  ttlMs: number | null;
  /** Held for at least this long (ms); null when unknown. */
  ageMs: number | null;
  ageFrom: AgeSource;
  /** First bytes of the value (the holder's token), when read. */
  value?: string;
  flags: LockFlag[];
}

export interface LocksReport {
  view: 'locks';
  topology: string;
  prefix: string;
  maxAgeMs: number;
  durationMs: number;
  nodes: (NodeSummary & { locks: number; valuesRead: boolean })[];
  totals: { locks: number; stuck: number; old: number; ageUnknown: number };
  /** Stuck and old locks first (oldest first), then the oldest others, up to --top. */
  top: LockRow[];
}

const TIMESTAMP_FIELDS = ['acquired_at', 'acquiredAt', 'locked_at', 'lockedAt', 'created_at', 'createdAt', 'since', 'ts', 'timestamp', 'time', 'at'];
const EARLIEST_MS = 1_000_000_000_000; // 2001-09-09: anything earlier is not a lock timestamp

/** A plausible epoch from a lock value, in ms; undefined when the value carries none. */
export function lockTimestampMs(value: string, nowMs: number): number | undefined {
  const text = value.trim();
  const plausible = (ms: number) => (ms >= EARLIEST_MS && ms <= nowMs + 86_400_000 ? ms : undefined);
  const fromNumber = (n: number) => plausible(n < 1e11 ? n * 1000 : n);
  const fromAny = (v: unknown): number | undefined => {
    if (typeof v === 'number' && Number.isFinite(v)) return fromNumber(v);
    if (typeof v === 'string') {
      if (/^\d{10}(\.\d+)?$|^\d{13}$/.test(v)) return fromNumber(Number(v));
      if (/^\d{4}-\d\d-\d\dT/.test(v)) return plausible(Date.parse(v));
    }
    return undefined;
  };
  if (text.startsWith('{')) {
    try {
      const parsed = JSON.parse(text) as Record<string, unknown>;
      for (const field of TIMESTAMP_FIELDS) {
        const ms = fromAny(parsed[field]);
        if (ms !== undefined) return ms;
      }
    } catch {
      // not JSON after all
    }
    return undefined;
  }
  const whole = fromAny(text);
  if (whole !== undefined) return whole;
  const trailing = /[:|@;,_-](\d{10}(?:\.\d+)?|\d{13})$/.exec(text);
  return trailing ? fromAny(trailing[1]) : undefined;
}

/** Age and flags of one lock; pure. */
export function classifyLock(
  pttl: number,
  idleSeconds: number | undefined,
  value: string | undefined,
  serverNowMs: number,
  maxAgeMs: number,
): { ageMs: number | null; ageFrom: AgeSource; flags: LockFlag[] } {
  const stamped = value !== undefined ? lockTimestampMs(value, serverNowMs) : undefined;
  let ageMs: number | null = null;
  let ageFrom: AgeSource = 'unknown';
  if (stamped !== undefined) {
    ageMs = Math.max(0, serverNowMs - stamped);
    ageFrom = 'value';
  } else if (idleSeconds !== undefined) {
    ageMs = idleSeconds * 1000;
    ageFrom = 'idle';
  }
  const flags: LockFlag[] = [];
  if (pttl === NO_TTL) flags.push('stuck');
  if (ageMs !== null && ageMs > maxAgeMs) flags.push('old');
  return { ageMs, ageFrom, flags };
}

export async function inspectLocks(source: InspectSource, options: LocksOptions, facts: NodeFacts[]): Promise<LocksReport> {
  const started = Date.now();
  options.onEvent?.({ kind: 'facts', facts });
  const totals = { locks: 0, stuck: 0, old: 0, ageUnknown: 0 };
  const top = new TopN<LockRow>(options.topN);
  const perNode = facts.map(() => 0);
  const readsValues = (f: NodeFacts) => options.readValues || f.noTouch === 'on';
  const runs = await scanEveryNode(
    source,
    facts,
    (f) => ({
      match: `${globEscape(options.prefix)}*`,
      count: options.count,
      rate: options.rate,
      withIdle: true,
      withValues: readsValues(f),
      valueBytes: 256,
      signal: options.signal,
    }),
    () => undefined,
    (_state, batch, node) => {
      perNode[node] = (perNode[node] ?? 0) + addLocks(batch, facts[node]?.name ?? '?', options, totals, top);
    },
    options.onEvent,
  );
  return {
    view: 'locks',
    topology: source.topology.kind,
    prefix: options.prefix,
    maxAgeMs: options.maxAgeMs,
    durationMs: Date.now() - started,
    nodes: runs.map((r, i) => ({ ...summariseNode(r.facts, r.outcome), locks: perNode[i] ?? 0, valuesRead: readsValues(r.facts) })),
    totals,
    top: top.sorted(),
  };
}

/** Tallies the locks of a batch; returns how many there were. */
export function addLocks(batch: KeyBatch, node: string, options: Pick<LocksOptions, 'maxAgeMs'>, totals: LocksReport['totals'], top: TopN<LockRow>): number {
  let n = 0;
  for (let i = 0; i < batch.size; i++) {
    const pttl = batch.pttl(i);
    if (pttl === VANISHED) continue;
    n++;
    totals.locks++;
    const value = batch.value(i);
    const { ageMs, ageFrom, flags } = classifyLock(pttl, batch.idleSeconds(i), value, batch.serverNowMs, options.maxAgeMs);
    if (flags.includes('stuck')) totals.stuck++;
    if (flags.includes('old')) totals.old++;
    if (ageMs === null) totals.ageUnknown++;
    // Flagged locks rank above every unflagged one; within each group, the oldest first.
    const score = (flags.length > 0 ? 1e15 : 0) + (ageMs ?? 0);
    top.offer(score, () => ({ key: batch.key(i), node, ttlMs: pttl >= 0 ? pttl : null, ageMs, ageFrom, ...(value !== undefined ? { value } : {}), flags }));
  }
  return n;
}

export function locksMetrics(report: LocksReport): Record<string, number> {
  return {
    'stuck-locks': report.totals.stuck,
    'old-locks': report.totals.old,
    'nodes-down': report.nodes.filter((n) => n.status === 'down' || n.status === 'refused').length,
  };
}

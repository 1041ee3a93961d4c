/**
 * The overview's verdict list: what is wrong right now, most severe first. Severity is fixed
 * per kind of problem (and by how far a figure is past its threshold), so the same cache gives
 * the same order every time:
 *   critical: nodes down or refusing, slots no master serves, memory at the limit;
 *   warning:  memory near the limit, evictions, a low or falling hit ratio, an expiry cliff over
 *             the threshold, hot or leaked stampede counters, stuck or old locks, stale copies served;
 *   notice:   keys without a TTL, sliding counters, stale copies without a TTL or that die first.
 */
import type { NodesReport } from './nodes.js';
import type { LocksReport } from './locks.js';
import type { StaleReport } from './stale.js';
import type { StampedeReport } from './stampede.js';
import type { TtlReport } from './ttl.js';

export type Severity = 'critical' | 'warning' | 'notice';

export interface Verdict {
  severity: Severity;
  /** Stable name (the --fail-on condition that reads the same figure, where there is one). */
  kind: string;
  /** The figure behind it. */
  value: number;
  text: string;
}

export interface VerdictThresholds {
  /** Cluster-wide keys expiring in one second above which a cliff is a verdict. */
  cliffKeys: number;
  /** used/maxmemory (%) for a warning and for a critical verdict. */
  memoryWarnPercent: number;
  memoryCriticalPercent: number;
  /** A hit ratio below this (%) is a warning. */
  hitRatioPercent: number;
}

interface Parts {
  nodes: NodesReport;
  ttl: TtlReport;
  stampede: StampedeReport;
  locks: LocksReport;
  stale: StaleReport;
}

const RANK: Record<Severity, number> = { critical: 0, warning: 1, notice: 2 };
const pct = (n: number) => `${n.toFixed(1)}%`;
const list = (names: readonly string[]) => (names.length <= 4 ? names.join(', ') : `${names.slice(0, 4).join(', ')} and ${names.length - 4} more`);
const plural = (n: number, one: string, many = `${one}s`) => `${n.toLocaleString('en-US')} ${n === 1 ? one : many}`;

export function verdictsOf(r: Parts, t: VerdictThresholds, previous?: Parts): Verdict[] {
  const out: Verdict[] = [];
  const add = (severity: Severity, kind: string, value: number, text: string) => out.push({ severity, kind, value, text });

  const bad = r.ttl.nodes.filter((n) => n.status === 'down' || n.status === 'refused');
  if (bad.length > 0)
    add(
      'critical',
      'nodes-down',
      bad.length,
      `${plural(bad.length, 'node')} down or refusing: ${list(bad.map((n) => `${n.name} (${n.status}${n.problem?.command ? ` ${n.problem.command}` : ''}: ${n.problem?.message ?? ''})`))}`,
    );
  if (r.nodes.uncoveredSlots)
    add(
      'critical',
      'uncovered-slots',
      r.nodes.uncoveredSlots,
      `${plural(r.nodes.uncoveredSlots, 'slot')} served by no master: their keys cannot be read or written`,
    );

  const memory = r.nodes.nodes
    .filter((n) => n.usedMemory !== null && n.maxMemory)
    .map((n) => ({ name: n.name, percent: ((n.usedMemory as number) / (n.maxMemory as number)) * 100, policy: n.evictionPolicy }))
    .sort((a, b) => b.percent - a.percent);
  const full = memory.filter((m) => m.percent >= t.memoryCriticalPercent);
  const near = memory.filter((m) => m.percent >= t.memoryWarnPercent && m.percent < t.memoryCriticalPercent);
  const memText = (ms: typeof memory) => list(ms.map((m) => `${m.name} ${pct(m.percent)} (${m.policy ?? '?'})`));
  if (full.length > 0) add('critical', 'memory', full[0]?.percent ?? 0, `memory at the limit (>= ${t.memoryCriticalPercent}% of maxmemory): ${memText(full)}`);
  if (near.length > 0) add('warning', 'memory', near[0]?.percent ?? 0, `memory near the limit (>= ${t.memoryWarnPercent}% of maxmemory): ${memText(near)}`);

  const evicting = r.nodes.nodes.filter((n) => (n.evictedKeys ?? 0) > 0);
  if (evicting.length > 0) {
    const total = evicting.reduce((a, n) => a + (n.evictedKeys ?? 0), 0);
    add('warning', 'evicted', total, `${plural(total, 'key')} evicted since the nodes started: ${list(evicting.map((n) => `${n.name} ${n.evictedKeys}`))}`);
  }

  const low = r.nodes.nodes.filter((n) => n.hitRatio !== null && n.hitRatio * 100 < t.hitRatioPercent);
  if (low.length > 0)
    add(
      'warning',
      'hit-ratio',
      Math.min(...low.map((n) => (n.hitRatio as number) * 100)),
      `hit ratio below ${t.hitRatioPercent}%: ${list(low.map((n) => `${n.name} ${pct((n.hitRatio as number) * 100)}`))}`,
    );
  if (previous) {
    const before = new Map(previous.nodes.nodes.map((n) => [n.name, n.hitRatio]));
    const falling = r.nodes.nodes.filter((n) => {
      const was = before.get(n.name);
      return n.hitRatio !== null && was !== null && was !== undefined && n.hitRatio < was - 0.001;
    });
    if (falling.length > 0) {
      add(
        'warning',
        'hit-ratio-falling',
        falling.length,
        `hit ratio falling since the last tick: ${list(falling.map((n) => `${n.name} ${pct((before.get(n.name) as number) * 100)} -> ${pct((n.hitRatio as number) * 100)}`))}`,
      );
    }
  }

  const cliff = r.ttl.clusterCliffs.windows[0];
  if (cliff && cliff.keys > t.cliffKeys) {
    add(
      'warning',
      'cliff',
      cliff.keys,
      `expiry cliff: ${plural(cliff.keys, 'key')} of all nodes expire in one second at ${new Date(cliff.startMs).toISOString()} (${cliff.nodes.map((n) => `${n.node} ${n.keys}`).join(', ')}); above ${t.cliffKeys}`,
    );
  }

  const s = r.stampede.totals;
  if (s.hot > 0)
    add(
      'warning',
      'hot-counters',
      s.hot,
      `${plural(s.hot, 'stampede counter')} above ${r.stampede.threshold} (highest ${s.maxCount}: ${r.stampede.top[0]?.key ?? '?'}): a herd is hitting the database`,
    );
  if (s.leaked > 0)
    add(
      'warning',
      'leaked-counters',
      s.leaked,
      `${plural(s.leaked, 'stampede counter')} without TTL (leaked: never reset), e.g. ${list(r.stampede.leaked.map((c) => c.key))}`,
    );

  const l = r.locks.totals;
  if (l.stuck > 0)
    add(
      'warning',
      'stuck-locks',
      l.stuck,
      `${plural(l.stuck, 'lock')} without TTL (stuck forever once the holder dies), e.g. ${list(r.locks.top.filter((x) => x.flags.includes('stuck')).map((x) => x.key))}`,
    );
  if (l.old > 0)
    add(
      'warning',
      'old-locks',
      l.old,
      `${plural(l.old, 'lock')} held longer than ${r.locks.maxAgeMs / 1000}s, e.g. ${list(r.locks.top.filter((x) => x.flags.includes('old')).map((x) => x.key))}`,
    );

  const st = r.stale.totals;
  if (st.serving > 0)
    add(
      'warning',
      'stale-serving',
      st.serving,
      `${plural(st.serving, 'stale copy', 'stale copies')} served now (primary gone), e.g. ${list(r.stale.serving.map((x) => x.key))}`,
    );

  const noTtl = r.ttl.totals.noTtl;
  if (noTtl > 0) {
    const share = r.ttl.totals.keys > 0 ? ` (${pct((noTtl / r.ttl.totals.keys) * 100)} of keys)` : '';
    add('notice', 'no-ttl', noTtl, `${plural(noTtl, 'key')} without TTL${share}, e.g. ${list(r.ttl.noTtlSample)}`);
  }
  if (s.sliding > 0)
    add('notice', 'sliding-counters', s.sliding, `${plural(s.sliding, 'stampede counter')} with a TTL longer than the window (re-armed on every hit)`);
  if (st['no-ttl'] > 0) add('notice', 'stale-no-ttl', st['no-ttl'], `${plural(st['no-ttl'], 'stale copy', 'stale copies')} without TTL (served however old)`);
  if (st['dies-first'] > 0)
    add(
      'notice',
      'stale-dies-first',
      st['dies-first'],
      `${plural(st['dies-first'], 'stale copy', 'stale copies')} expire before their primary (cover nothing)`,
    );

  // Stable: within a severity, the order above.
  return out
    .map((v, i) => ({ v, i }))
    .sort((a, b) => RANK[a.v.severity] - RANK[b.v.severity] || a.i - b.i)
    .map((x) => x.v);
}

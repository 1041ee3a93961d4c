/** What --watch compares between ticks, per view (see watch.ts). */
import type { LocksReport } from './locks.js';
import type { NodesReport } from './nodes.js';
import type { StaleReport } from './stale.js';
import type { StampedeReport } from './stampede.js';
import type { TtlReport } from './ttl.js';
import type { FigureUnit, WatchFigure } from './watch.js';

export function ttlFigures(report: TtlReport): WatchFigure[] {
  const c = report.clusterCliffs;
  return [
    { subject: 'all nodes', metric: 'busiest expiry second', value: c.windows[0]?.keys ?? 0, worse: 'up' as const },
    { subject: 'all nodes', metric: 'busiest expiry minute', value: c.busiest60s?.keys ?? 0, worse: 'up' as const },
    ...nodeTtlFigures(report),
  ];
}

function nodeTtlFigures(report: TtlReport): WatchFigure[] {
  return report.nodes.flatMap((n): WatchFigure[] => [
    { subject: n.name, metric: 'keys without TTL', value: n.noTtl, worse: 'up' },
    { subject: n.name, metric: 'busiest expiry second', value: n.cliffs[0]?.keys ?? 0, worse: 'up' },
    { subject: n.name, metric: 'keys', value: n.keys, worse: 'up' },
  ]);
}

export function nodesFigures(report: NodesReport): WatchFigure[] {
  return report.nodes.flatMap((n): WatchFigure[] => {
    const out: WatchFigure[] = [];
    const add = (metric: string, value: number | null | undefined, worse: 'up' | 'down', unit: FigureUnit = 'count') => {
      if (value !== null && value !== undefined) out.push({ subject: n.name, metric, value, worse, unit });
    };
    add('evicted keys', n.evictedKeys, 'up');
    add('used memory', n.usedMemory, 'up', 'bytes');
    add('hit ratio %', n.hitRatio === null ? null : Math.round(n.hitRatio * 1000) / 10, 'down', 'percent');
    add('ops/s', n.opsPerSec, 'up', 'rate');
    add('clients', n.clients, 'up');
    add('keys without TTL', n.keyspace?.withoutTtl, 'up');
    return out;
  });
}

export function stampedeFigures(report: StampedeReport): WatchFigure[] {
  return [
    { subject: 'all nodes', metric: 'counters above threshold', value: report.totals.hot, worse: 'up' as const },
    { subject: 'all nodes', metric: 'leaked counters', value: report.totals.leaked, worse: 'up' as const },
    { subject: 'all nodes', metric: 'sliding counters', value: report.totals.sliding, worse: 'up' as const },
    ...report.top.map((c) => ({ subject: c.key, metric: 'count', value: c.count, worse: 'up' as const })),
  ];
}

export function locksFigures(report: LocksReport): WatchFigure[] {
  return [
    { subject: 'all nodes', metric: 'stuck locks', value: report.totals.stuck, worse: 'up' as const },
    { subject: 'all nodes', metric: 'old locks', value: report.totals.old, worse: 'up' as const },
    { subject: 'all nodes', metric: 'locks', value: report.totals.locks, worse: 'up' as const },
    ...report.top
      .filter((l) => l.ageMs !== null)
      .map((l) => ({ subject: l.key, metric: 'held for (s)', value: Math.round((l.ageMs as number) / 1000), worse: 'up' as const, unit: 'seconds' as const })),
  ];
}

export function staleFigures(report: StaleReport): WatchFigure[] {
  return [
    { subject: 'all nodes', metric: 'stale copies served', value: report.totals.serving, worse: 'up' as const },
    { subject: 'all nodes', metric: 'stale copies without TTL', value: report.totals['no-ttl'], worse: 'up' as const },
    { subject: 'all nodes', metric: 'copies that die first', value: report.totals['dies-first'], worse: 'up' as const },
  ];
}

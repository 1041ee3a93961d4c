/** What --watch compares between ticks, per view (see watch.ts). */
import type { NodesReport } from './nodes.js';
import type { TtlReport } from './ttl.js';
import type { WatchFigure } from './watch.js';

export function ttlFigures(report: TtlReport): WatchFigure[] {
  return report.nodes.flatMap((n): WatchFigure[] => [
    { subject: n.name, metric: 'keys without TTL', value: n.noTtl, worse: 'up' },
    { subject: n.name, metric: 'busiest expiry second', value: n.cliffs[0]?.keys ?? 0, worse: 'up' },
    { subject: n.name, metric: 'keys', value: n.keys, worse: 'up' },
  ]);
}

export function nodesFigures(report: NodesReport): WatchFigure[] {
  return report.nodes.flatMap((n): WatchFigure[] => {
    const out: WatchFigure[] = [];
    const add = (metric: string, value: number | null | undefined, worse: 'up' | 'down') => {
      if (value !== null && value !== undefined) out.push({ subject: n.name, metric, value, worse });
    };
    add('evicted keys', n.evictedKeys, 'up');
    add('used memory', n.usedMemory, 'up');
    add('hit ratio %', n.hitRatio === null ? null : Math.round(n.hitRatio * 1000) / 10, 'down');
    add('ops/s', n.opsPerSec, 'up');
    add('clients', n.clients, 'up');
    add('keys without TTL', n.keyspace?.withoutTtl, 'up');
    return out;
  });
}

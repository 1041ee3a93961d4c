/** Who sends what when in a live drill: the same for every strategy (same seed). */
import { herdOffsets, poissonArrivals, writeOffsets } from './schedule.js';
import { seededRandom } from './random.js';
import type { DrillSpec } from './drill-types.js';

export function splitEvenly(total: number, parts: number): number[] {
  return Array.from({ length: parts }, (_, i) => Math.floor(total / parts) + (i < total % parts ? 1 : 0));
}

/** [client, key, offset] per request, per worker. */
export function planRequests(spec: DrillSpec, perProcess: number[], maxOpenLoopRequests: number): [number, number, number][][] {
  const plan = perProcess.map(() => [] as [number, number, number][]);
  const keyCount = spec.keys.length;
  const arrivalsOver =
    spec.openLoop ?? (spec.outage ? { ratePerSec: spec.outage.ratePerSec, durationMs: spec.outage.windowMs, maxRequests: maxOpenLoopRequests } : undefined);
  if (arrivalsOver) {
    const arrivals = poissonArrivals(arrivalsOver.ratePerSec, arrivalsOver.durationMs, spec.seed, arrivalsOver.maxRequests);
    const pick = seededRandom(spec.seed + 2);
    arrivals.forEach((offset, j) => {
      const w = j % perProcess.length;
      const n = perProcess[w] as number;
      plan[w]?.push([Math.floor(j / perProcess.length) % n, Math.floor(pick() * keyCount), offset]);
    });
    return plan;
  }
  const offsets = herdOffsets(spec.clients, spec.spreadMs, spec.seed);
  let g = 0;
  perProcess.forEach((n, w) => {
    for (let c = 0; c < n; c++, g++) plan[w]?.push([c, g % keyCount, offsets[g] ?? 0]);
  });
  return plan;
}

/** When the round's writes happen, after the release (writeOffsets: the same for every strategy and in `herd simulate`). */
export function writeSchedule(spec: DrillSpec, round: number): number[] {
  if (!spec.race) return [];
  return writeOffsets(spec.race.ratePerSec, spec.spreadMs, spec.dbDelayMs, spec.seed, round);
}

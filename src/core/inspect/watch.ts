/**
 * `--watch`: between two ticks, which figures moved the wrong way, worst first. A figure is a
 * (subject, metric) pair such as (node 2, keys without TTL) or (stampede:product:7, count);
 * each view says which of its figures exist, which direction is "worse" and what unit it has.
 *
 * Worst means the largest relative change, not the largest raw one: used memory growing by
 * 2 MiB is a bigger number than evictions going from 3 to 40, and a far smaller event. On equal
 * relative changes counts (keys, errors, locks) come before ratios, durations, rates and sizes.
 * The first tick has nothing to compare with: it is the baseline, and nothing is worse.
 */
export interface WatchFigure {
  subject: string;
  metric: string;
  value: number;
  /** 'up': growing is bad (counters, keys without TTL); 'down': shrinking is bad (hit ratio). */
  worse: 'up' | 'down';
  /** What the value counts; ranks ties (counts first). Default: 'count'. */
  unit?: FigureUnit;
}

export type FigureUnit = 'count' | 'percent' | 'seconds' | 'rate' | 'bytes';

const UNIT_ORDER: Record<FigureUnit, number> = { count: 0, percent: 1, seconds: 2, rate: 3, bytes: 4 };

export interface Change extends WatchFigure {
  /** The value at the previous tick; null on the baseline tick or for a figure that is new. */
  previous: number | null;
  /** Change since the previous tick, signed so that positive is worse. */
  worsening: number;
  /**
   * `worsening` relative to the previous value (0.5: half as bad again); a figure new since the
   * last tick counts as 1 (as if it doubled), since it has no previous value to divide by.
   */
  relative: number;
}

const keyOf = (f: WatchFigure) => `${f.subject}\u0000${f.metric}`;

/**
 * Figures of this tick, worst relative change first; unchanged ones last. Without a previous
 * tick (the baseline) every change is 0. A figure missing from the previous tick counts from 0
 * when growing is bad (a new stampede counter), and is unchanged when shrinking is.
 */
export function rankChanges(previous: readonly WatchFigure[] | undefined, current: readonly WatchFigure[]): Change[] {
  if (!previous) return current.map((f) => ({ ...f, previous: null, worsening: 0, relative: 0 }));
  const before = new Map(previous.map((f) => [keyOf(f), f.value]));
  return current
    .map((f): Change => {
      const prev = before.get(keyOf(f));
      const base = prev ?? (f.worse === 'up' ? 0 : f.value);
      const delta = f.value - base;
      const worsening = f.worse === 'up' ? delta : -delta;
      const relative = worsening <= 0 ? 0 : prev === undefined ? 1 : worsening / Math.max(Math.abs(prev), 1);
      return { ...f, previous: prev ?? null, worsening, relative };
    })
    .sort((a, b) => b.relative - a.relative || unitRank(a) - unitRank(b) || b.worsening - a.worsening);
}

const unitRank = (f: WatchFigure) => UNIT_ORDER[f.unit ?? 'count'];

/** Only what got worse, for the top of a watch frame. */
export function gettingWorse(changes: readonly Change[], limit: number): Change[] {
  return changes.filter((c) => c.worsening > 0).slice(0, limit);
}

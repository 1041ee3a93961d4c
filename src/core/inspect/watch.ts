/**
 * `--watch`: between two ticks, which figures moved the wrong way, worst first. A figure is a
 * (subject, metric) pair such as (node 2, keys without TTL) or (stampede:product:7, count);
 * each view says which of its figures exist and which direction is "worse".
 */
export interface WatchFigure {
  subject: string;
  metric: string;
  value: number;
  /** 'up': growing is bad (counters, keys without TTL); 'down': shrinking is bad (hit ratio). */
  worse: 'up' | 'down';
}

export interface Change extends WatchFigure {
  previous: number | null;
  /** Change since the previous tick, signed so that positive is worse. */
  worsening: number;
}

const keyOf = (f: WatchFigure) => `${f.subject}\u0000${f.metric}`;

/** Figures of this tick, worst change first; new figures count from 0; unchanged ones last. */
export function rankChanges(previous: readonly WatchFigure[] | undefined, current: readonly WatchFigure[]): Change[] {
  const before = new Map((previous ?? []).map((f) => [keyOf(f), f.value]));
  return current
    .map((f): Change => {
      const prev = before.get(keyOf(f));
      const base = prev ?? (f.worse === 'up' ? 0 : f.value);
      const delta = f.value - base;
      return { ...f, previous: previous ? (prev ?? null) : null, worsening: f.worse === 'up' ? delta : -delta };
    })
    .sort((a, b) => b.worsening - a.worsening || b.value - a.value);
}

/** Only what got worse, for the top of a watch frame. */
export function gettingWorse(changes: readonly Change[], limit: number): Change[] {
  return changes.filter((c) => c.worsening > 0).slice(0, limit);
}

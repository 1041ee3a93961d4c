/**
 * The invalidation race ("last writer wins"): while the herd recomputes, the row is updated and
 * the application invalidates the key. A recompute that read the row before the update and writes
 * back after the invalidation leaves the cache older than the database. Per round the drill
 * compares what the cache holds with the database's latest committed version; per read, how long
 * a reader was served a version older than one already committed when it asked.
 */
import type { ReadSample } from './round.js';

export interface Commit {
  version: number;
  /** When the update had committed (clock ms). */
  at: number;
}

export interface RaceRound {
  writes: number;
  /** The cache's version at the end of the round (null: key absent). */
  cachedVersion: number | null;
  /** The database's latest committed version. */
  dbVersion: number;
  stale: boolean;
}

export interface RaceReport {
  invalidate: 'delete' | 'set';
  writes: number;
  rounds: number;
  staleRounds: number;
  /** Writes per round: the seeded schedule, the same for every strategy. */
  writesPerRound: number[];
  /** Stale rounds / rounds. */
  staleRate: number;
  /** Per round, in order: the cache ended older than the database. */
  stalePerRound: boolean[];
  /** Reads answered with a version older than one the database had committed by then. */
  staleReads: number;
  /** Longest of those: from the newer version's commit to the read's answer (ms). */
  maxStaleReadMs: number;
}

/** Stale after the round: the key is present and carries a version older than the database's. */
export function roundVerdict(writes: number, cachedVersion: number | null, dbVersion: number): RaceRound {
  return { writes, cachedVersion, dbVersion, stale: cachedVersion !== null && cachedVersion < dbVersion };
}

/**
 * How far behind each stale read was: a read answered with a version older than one the
 * database had already committed when the answer came, from that commit to the answer.
 * `commits` in commit order.
 */
export function staleReads(samples: readonly ReadSample[], commits: readonly Commit[]): number[] {
  const out: number[] = [];
  for (const s of samples) {
    const served = s.result.version;
    if (served === undefined) continue;
    const answeredAt = s.intendedAt + s.latencyMs;
    const newer = commits.find((c) => c.version > served && c.at < answeredAt);
    if (newer) out.push(answeredAt - newer.at);
  }
  return out;
}

export function summarizeRace(invalidate: 'delete' | 'set', rounds: readonly RaceRound[], lags: readonly number[]): RaceReport {
  const staleRounds = rounds.filter((r) => r.stale).length;
  return {
    invalidate,
    writes: rounds.reduce((a, r) => a + r.writes, 0),
    writesPerRound: rounds.map((r) => r.writes),
    rounds: rounds.length,
    staleRounds,
    staleRate: rounds.length > 0 ? staleRounds / rounds.length : 0,
    stalePerRound: rounds.map((r) => r.stale),
    staleReads: lags.length,
    maxStaleReadMs: lags.length > 0 ? Math.max(...lags) : 0,
  };
}

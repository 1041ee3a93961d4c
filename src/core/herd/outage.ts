/**
 * What an outage of the cache did to the database, per strategy: origin queries before, during
 * and after the window the node was unavailable, how long after it came back the origin load
 * fell back to normal, and (breakers) the time in each state and the transitions.
 */
import type { BreakerLog, BreakerState } from './types.js';
import { breakerDurations } from './strategies/index.js';

export interface OutageWindow {
  startedAt: number;
  endedAt: number;
}

export interface BreakerReport {
  /** Per process, summed over rounds (ms). */
  closedMs: number;
  openMs: number;
  halfOpenMs: number;
  transitions: number;
  /** From the outage's start to the breaker opening (mean over processes and rounds; null: never opened). */
  openedAfterMs: number | null;
  /** From the outage's end to the breaker closing again (mean; null: still open at the round's end). */
  closedAfterMs: number | null;
}

export interface OutageReport {
  mode: 'pause' | 'refuse';
  outageMs: number;
  originBefore: number;
  originDuring: number;
  originAfter: number;
  /** From the cache's return to the start of the last origin query after it (0: none after it); worst round. */
  recoveryMs: number;
  breaker?: BreakerReport;
}

export interface OutageRound {
  window: OutageWindow;
  /** Start times of this round's origin queries (the tool's spans; the total is PostgreSQL's). */
  fetchStarts: number[];
  /** One log per process (breaker strategies), covering [from, to]. */
  breakerLogs: BreakerLog[];
  from: number;
  to: number;
}

function mean(values: readonly number[]): number | null {
  return values.length === 0 ? null : values.reduce((a, b) => a + b, 0) / values.length;
}

function firstAfter(log: BreakerLog, state: BreakerState, after: number): number | undefined {
  return log.transitions.find((t) => t.to === state && t.at >= after)?.at;
}

export function summarizeOutage(mode: 'pause' | 'refuse', outageMs: number, rounds: readonly OutageRound[]): OutageReport {
  let before = 0;
  let during = 0;
  let after = 0;
  let recovery = 0;
  const durations = { closed: 0, open: 0, 'half-open': 0 };
  let transitions = 0;
  const opened: number[] = [];
  const closed: number[] = [];
  let processes = 0;
  for (const r of rounds) {
    for (const s of r.fetchStarts) {
      if (s < r.window.startedAt) before++;
      else if (s < r.window.endedAt) during++;
      else {
        after++;
        recovery = Math.max(recovery, s - r.window.endedAt);
      }
    }
    processes = Math.max(processes, r.breakerLogs.length);
    for (const log of r.breakerLogs) {
      const d = breakerDurations(log, r.from, r.to);
      durations.closed += d.closed;
      durations.open += d.open;
      durations['half-open'] += d['half-open'];
      transitions += log.transitions.length;
      const o = firstAfter(log, 'open', r.window.startedAt);
      if (o !== undefined) opened.push(o - r.window.startedAt);
      const c = firstAfter(log, 'closed', r.window.endedAt);
      if (c !== undefined) closed.push(c - r.window.endedAt);
    }
  }
  const per = Math.max(1, processes);
  const report: OutageReport = { mode, outageMs, originBefore: before, originDuring: during, originAfter: after, recoveryMs: recovery };
  if (processes > 0) {
    report.breaker = {
      closedMs: durations.closed / per,
      openMs: durations.open / per,
      halfOpenMs: durations['half-open'] / per,
      transitions,
      openedAfterMs: mean(opened),
      closedAfterMs: mean(closed),
    };
  }
  return report;
}

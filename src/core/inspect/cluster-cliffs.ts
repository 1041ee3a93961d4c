/**
 * Expiry cliffs over the whole cluster (or ring): the origin database sees the sum of every
 * node's expiries, so the windows that matter are the cluster-wide ones. Each node's expiry
 * times are on its own clock; they are moved onto the local clock by the offset measured from
 * the node's TIME (see ClockReading) before the nodes' seconds are added up. An offset no larger
 * than its own measurement error is not applied: correcting by noise would only move keys
 * across second boundaries at random.
 */
import { ExpiryCliffs, type ExpiryWindow } from './cliffs.js';
import type { ClockReading } from './types.js';

export interface ClockCorrection {
  node: string;
  /** Node TIME - local clock (ms); null when TIME could not be read (then nothing is applied). */
  offsetMs: number | null;
  uncertaintyMs: number | null;
  /** What was subtracted from the node's expiry times (whole ms). */
  appliedMs: number;
}

export interface ClusterWindow extends ExpiryWindow {
  /** Length of the window (1000, 10000, 60000). */
  spanMs: number;
  /** ms from the end of the scan (local clock) to the window's start; negative: already passed. */
  inMs: number;
  /** How the window's keys are split over the nodes (nodes with none left out). */
  nodes: { node: string; keys: number }[];
}

export interface ClusterCliffs {
  /** Busiest one-second windows over all nodes, busiest first. */
  windows: ClusterWindow[];
  /** The busiest 10 s and 60 s spans (sliding windows), null without any expiry. */
  busiest10s: ClusterWindow | null;
  busiest60s: ClusterWindow | null;
  clock: ClockCorrection[];
  /** False when some node's seconds were pruned (counts are then lower bounds). */
  exact: boolean;
}

/** The offset to subtract from a node's expiry times: whole ms, 0 when it is within its own error (or unknown). */
export function appliedShiftMs(clock: ClockReading | undefined): number {
  if (!clock) return 0;
  return Math.abs(clock.offsetMs) > Math.max(clock.uncertaintyMs, 1) ? Math.round(clock.offsetMs) : 0;
}

export interface NodeExpiries {
  name: string;
  /** The node's expiry seconds on the local clock. */
  corrected: ExpiryCliffs;
  clock: ClockReading | undefined;
  appliedMs: number;
}

export function clusterCliffs(nodes: readonly NodeExpiries[], options: { top: number; minKeys: number; nowMs: number }): ClusterCliffs {
  const all = new ExpiryCliffs();
  for (const n of nodes) all.merge(n.corrected);
  const window = (w: ExpiryWindow, spanMs: number): ClusterWindow => ({
    ...w,
    spanMs,
    inMs: w.startMs - options.nowMs,
    nodes: nodes.map((n) => ({ node: n.name, keys: spanMs === 1000 ? n.corrected.count(w.startMs) : n.corrected.sum(w.startMs, w.startMs + spanMs) })).filter((x) => x.keys > 0),
  });
  const span = (ms: number) => {
    const w = all.busiestSpan(ms);
    return w && w.keys > 0 ? window(w, ms) : null;
  };
  return {
    windows: all
      .top(options.top)
      .filter((w) => w.keys >= options.minKeys)
      .map((w) => window(w, 1000)),
    busiest10s: span(10_000),
    busiest60s: span(60_000),
    clock: nodes.map((n) => ({ node: n.name, offsetMs: n.clock?.offsetMs ?? null, uncertaintyMs: n.clock?.uncertaintyMs ?? null, appliedMs: n.appliedMs })),
    exact: all.exact && nodes.every((n) => n.corrected.exact),
  };
}

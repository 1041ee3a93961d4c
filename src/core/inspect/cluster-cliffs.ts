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
  /**
   * Expiries of all nodes together per bucket, from now (or the earliest window shown) to past the
   * last window shown and at least a minute ahead: the cliffs in context, for the report's chart.
   * Null without any expiry.
   */
  timeline: ExpiryTimeline | null;
  /** False when some node's seconds were pruned (counts are then lower bounds). */
  exact: boolean;
}

export interface ExpiryTimeline {
  /** Local clock ms of the first bucket's start (a multiple of bucketMs). */
  startMs: number;
  bucketMs: number;
  keys: number[];
  /** The local clock at the end of the scan, which "now" on the chart means. */
  nowMs: number;
  /** Keys expiring after the last bucket (not drawn). */
  later: number;
}

export const TIMELINE_BUCKETS = 120;

const NICE_S = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1_800, 3_600, 7_200, 21_600, 43_200, 86_400];

export function expiryTimeline(all: ExpiryCliffs, windows: readonly ClusterWindow[], nowMs: number): ExpiryTimeline | null {
  if (all.lastMs() === undefined) return null;
  const from = Math.min(nowMs, ...windows.map((w) => w.startMs));
  const to = Math.max(nowMs + 60_000, ...windows.map((w) => w.startMs + w.spanMs));
  const spanS = (to - from) / 1000;
  const bucketS = NICE_S.find((s) => spanS / s <= TIMELINE_BUCKETS - 1) ?? Math.ceil(spanS / (TIMELINE_BUCKETS - 1) / 86_400) * 86_400;
  const bucketMs = bucketS * 1000;
  const startMs = Math.floor(from / bucketMs) * bucketMs;
  const buckets = Math.floor((to - startMs) / bucketMs) + 1;
  return { startMs, bucketMs, keys: all.series(startMs, bucketMs, buckets), nowMs, later: all.sum(startMs + buckets * bucketMs, Number.POSITIVE_INFINITY) };
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
    nodes: nodes
      .map((n) => ({ node: n.name, keys: spanMs === 1000 ? n.corrected.count(w.startMs) : n.corrected.sum(w.startMs, w.startMs + spanMs) }))
      .filter((x) => x.keys > 0),
  });
  const span = (ms: number) => {
    const w = all.busiestSpan(ms);
    return w && w.keys > 0 ? window(w, ms) : null;
  };
  const windows = all
    .top(options.top)
    .filter((w) => w.keys >= options.minKeys)
    .map((w) => window(w, 1000));
  const busiest10s = span(10_000);
  const busiest60s = span(60_000);
  return {
    windows,
    busiest10s,
    busiest60s,
    timeline: expiryTimeline(all, [...windows, ...(busiest10s ? [busiest10s] : []), ...(busiest60s ? [busiest60s] : [])], options.nowMs),
    clock: nodes.map((n) => ({ node: n.name, offsetMs: n.clock?.offsetMs ?? null, uncertaintyMs: n.clock?.uncertaintyMs ?? null, appliedMs: n.appliedMs })),
    exact: all.exact && nodes.every((n) => n.corrected.exact),
  };
}

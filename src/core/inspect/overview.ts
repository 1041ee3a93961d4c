/**
 * `cachectl inspect` with no view: what is wrong right now. One SCAN pass per node feeds the TTL,
 * cliff, stampede-counter, lock and stale-copy tallies together (the node picks out the few keys
 * the pattern views need), next to the node facts already read; then a verdict list ranked by
 * severity. It costs about one `inspect ttl` scan, not one per view.
 */
import { summariseNode, type InspectEvent } from './every-node.js';
import { locksFigures, nodesFigures, staleFigures, stampedeFigures, ttlFigures } from './figures.js';
import { addLocks, locksMetrics, type LockRow, type LocksReport } from './locks.js';
import { nodesMetrics, nodesReport, type NodesReport } from './nodes.js';
import { addStaleBatch, newStaleTally, staleMetrics, staleReport, type StaleReport } from './stale.js';
import { addCounters, newCounterTally, stampedeMetrics, stampedeReport, type StampedeReport } from './stampede.js';
import { TopN } from './top-n.js';
import { newTtlScanState, ttlMetrics, ttlReportFrom, type TtlReport } from './ttl.js';
import type { WatchFigure } from './watch.js';
import type { InspectSource, NodeFacts, ScanOutcome } from './types.js';
import { verdictsOf, type Verdict, type VerdictThresholds } from './verdicts.js';

export interface OverviewOptions {
  count: number;
  rate: number;
  topN: number;
  stampede: { prefix: string; threshold: number; windowMs: number };
  locks: { prefix: string; maxAgeMs: number; readValues: boolean };
  staleSuffix: string;
  thresholds: VerdictThresholds;
  /** The previous tick's report (--watch): a hit ratio that fell since is a verdict. */
  previous?: OverviewReport;
  onEvent?: (event: InspectEvent) => void;
  signal?: AbortSignal;
}

export interface OverviewReport {
  view: 'overview';
  topology: string;
  durationMs: number;
  /** Most severe first. */
  verdicts: Verdict[];
  /** SCAN passes made over each node: 1. */
  passes: number;
  nodes: NodesReport;
  ttl: TtlReport;
  stampede: StampedeReport;
  locks: LocksReport;
  stale: StaleReport;
}

export async function inspectOverview(source: InspectSource, options: OverviewOptions, facts: NodeFacts[]): Promise<OverviewReport> {
  const started = Date.now();
  options.onEvent?.({ kind: 'facts', facts });
  const ttl = newTtlScanState(facts, options.topN);
  const counters = newCounterTally(options.topN);
  const lockTotals = { locks: 0, stuck: 0, old: 0, ageUnknown: 0 };
  const lockTop = new TopN<LockRow>(options.topN);
  const stale = newStaleTally(options.topN);
  const perNode = facts.map(() => ({ counters: 0, locks: 0, copies: 0 }));
  const readsLockValues = (f: NodeFacts) => options.locks.readValues || f.noTouch === 'on';

  await Promise.all(
    facts.map(async (f) => {
      if (f.problem?.status === 'down') return;
      const i = f.index;
      const mine = perNode[i] as (typeof perNode)[number];
      let scanned = 0;
      const outcome: ScanOutcome = await source.scanOverview(
        i,
        {
          match: '*',
          count: options.count,
          rate: options.rate,
          sampleSize: options.topN,
          stampedePrefix: options.stampede.prefix,
          lockPrefix: options.locks.prefix,
          staleSuffix: options.staleSuffix,
          readLockValues: readsLockValues(f),
          ...(options.signal ? { signal: options.signal } : {}),
        },
        async (batch) => {
          ttl.tallies[i]?.addSummary(batch.summary);
          ttl.serverNow[i] = batch.summary.serverNowMs;
          mine.counters += addCounters(counters, batch.counters, f.name, options.stampede);
          mine.locks += addLocks(batch.locks, f.name, options.locks, lockTotals, lockTop);
          mine.copies += await addStaleBatch(source, batch.staleCopies, f.name, options.staleSuffix, stale);
          scanned += batch.summary.size;
          options.onEvent?.({ kind: 'progress', node: i, scanned });
        },
      );
      ttl.outcomes[i] = outcome;
      options.onEvent?.({ kind: 'node-done', node: i, outcome });
    }),
  );

  const durationMs = Date.now() - started;
  const summaries = facts.map((f, i) => summariseNode(f, ttl.outcomes[i]));
  const topology = source.topology.kind;
  const report: Omit<OverviewReport, 'verdicts'> = {
    view: 'overview',
    topology,
    durationMs,
    passes: 1,
    nodes: nodesReport(source.topology, facts),
    ttl: ttlReportFrom(source, facts, ttl, { topN: options.topN, match: '*' }, durationMs),
    stampede: stampedeReport(
      topology,
      options.stampede,
      durationMs,
      summaries.map((s, i) => ({ ...s, counters: perNode[i]?.counters ?? 0 })),
      counters,
    ),
    locks: {
      view: 'locks',
      topology,
      prefix: options.locks.prefix,
      maxAgeMs: options.locks.maxAgeMs,
      durationMs,
      nodes: summaries.map((s, i) => ({ ...s, locks: perNode[i]?.locks ?? 0, valuesRead: readsLockValues(facts[i] as NodeFacts) })),
      totals: lockTotals,
      top: lockTop.sorted(),
    },
    stale: staleReport(
      topology,
      options.staleSuffix,
      durationMs,
      summaries.map((s, i) => ({ ...s, copies: perNode[i]?.copies ?? 0 })),
      stale,
    ),
  };
  return { ...report, verdicts: verdictsOf(report, options.thresholds, options.previous) };
}

/** Every view's --fail-on figures; where two measure the same one (no-ttl), the scan's count wins over INFO's. */
export function overviewMetrics(r: OverviewReport): Record<string, number> {
  return { ...nodesMetrics(r.nodes), ...stampedeMetrics(r.stampede), ...locksMetrics(r.locks), ...staleMetrics(r.stale), ...ttlMetrics(r.ttl) };
}

export function overviewFigures(r: OverviewReport): WatchFigure[] {
  return [...nodesFigures(r.nodes), ...ttlFigures(r.ttl), ...stampedeFigures(r.stampede), ...locksFigures(r.locks), ...staleFigures(r.stale)];
}

/**
 * `inspect ttl`: TTLs of keys found by SCAN (every node) or given by name (their owning node):
 * a log-scale histogram, keys without a TTL, and the expiry cliffs of each node.
 */
import { DEFAULTS } from '../../config/defaults.js';
import type { ExpiryWindow } from './cliffs.js';
import { appliedShiftMs, clusterCliffs, type ClusterCliffs } from './cluster-cliffs.js';
import { scanEveryNode, summariseEveryNode, summariseNode, type InspectEvent, type NodeSummary } from './every-node.js';
import { TtlHistogram } from './histogram.js';
import { ScanTally } from './tally.js';
import { VANISHED, type InspectSource, type KeyBatch, type KeyLookup, type NodeFacts, type ScanOutcome } from './types.js';

export interface TtlViewOptions {
  /** SCAN MATCH pattern (scan mode); ignored when `keys` is given. */
  match: string;
  /** Keys by name (named mode), streamed in chunks. */
  keys?: AsyncIterable<string> | Iterable<string>;
  count: number;
  rate: number;
  staleSuffix: string;
  /** Sample sizes and the length of the overall cliff list. */
  topN: number;
  /** Busiest windows kept per node, and the fewest keys a window needs to count as a cliff. */
  cliffsPerNode?: number;
  minCliffKeys?: number;
  /** Count key types in scan mode (costs the nodes a TYPE per key). */
  types?: boolean;
  /** Per-key rows in scan mode too (streamed through onRow; the stale copy is looked up per batch). */
  list?: boolean;
  onRow?: (row: KeyRow) => void;
  /** Collect up to this many rows into the report (for --json) instead of streaming them. */
  collectRows?: number;
  onEvent?: (event: InspectEvent) => void;
  signal?: AbortSignal;
  /** Named keys looked up per round trip. */
  lookupChunk?: number;
}

export interface KeyRow {
  key: string;
  node: string;
  type: string | null;
  /** Remaining TTL in ms; null: no TTL (or missing). */
  ttlMs: number | null;
  missing: boolean;
  stale: { exists: boolean; ttlMs: number | null } | null;
  problem?: string;
}

export interface CliffRow extends ExpiryWindow {
  node: string;
  /** ms from the end of the scan (node clock) to the window's start; negative: already passed. */
  inMs: number;
}

export interface NodeTtlReport extends NodeSummary {
  keys: number;
  withTtl: number;
  noTtl: number;
  vanished: number;
  histogram: ReturnType<TtlHistogram['rows']>;
  cliffs: CliffRow[];
  /** False when the keyspace spread its expiries over so many seconds that quiet ones were pruned. */
  cliffsExact: boolean;
}

export interface TtlReport {
  view: 'ttl';
  topology: string;
  source: 'scan' | 'keys';
  match?: string;
  durationMs: number;
  nodes: NodeTtlReport[];
  totals: { keys: number; withTtl: number; noTtl: number; vanished: number; missing: number; unanswered: number; types: Record<string, number> };
  histogram: ReturnType<TtlHistogram['rows']>;
  /** Each node's busiest windows on its own clock, busiest first (each window belongs to one node). */
  cliffs: CliffRow[];
  /** Expiry windows of all nodes together (clocks corrected): what the database sees. */
  clusterCliffs: ClusterCliffs;
  noTtlSample: string[];
  /** Per-key rows, when collected for --json (named keys, or --list); capped, the rest counted. */
  rows?: KeyRow[];
  rowsOmitted?: number;
}

export async function inspectTtl(source: InspectSource, given: TtlViewOptions, facts?: NodeFacts[]): Promise<TtlReport> {
  const started = Date.now();
  const collected: KeyRow[] = [];
  let omitted = 0;
  const options: TtlViewOptions =
    given.collectRows === undefined
      ? given
      : {
          ...given,
          onRow: (row) => {
            if (collected.length < (given.collectRows as number)) collected.push(row);
            else omitted++;
          },
        };
  const nodeFacts = facts ?? (await source.nodeFacts());
  options.onEvent?.({ kind: 'facts', facts: nodeFacts });
  const state = newTtlScanState(nodeFacts, options.topN);
  const { tallies, serverNow, shifts } = state;
  const named = { missing: 0, unanswered: 0 };
  let outcomes = state.outcomes;

  if (options.keys) {
    Object.assign(named, await lookupNamed(source, options, tallies, nodeFacts));
  } else if (options.list && options.onRow) {
    const runs = await scanEveryNode(
      source,
      nodeFacts,
      { match: options.match, count: options.count, rate: options.rate, signal: options.signal },
      (node) => tallies[node] as ScanTally,
      async (tally, batch, node) => {
        tally.addBatch(batch);
        serverNow[node] = batch.serverNowMs;
        await listBatch(source, options, batch, node, nodeFacts);
      },
      options.onEvent,
    );
    outcomes = runs.map((r) => r.outcome);
  } else {
    outcomes = await summariseEveryNode(
      source,
      nodeFacts,
      { match: options.match, count: options.count, rate: options.rate, signal: options.signal, sampleSize: options.topN, withTypes: Boolean(options.types) },
      (batch, node) => {
        (tallies[node] as ScanTally).addSummary(batch);
        serverNow[node] = batch.serverNowMs;
      },
      options.onEvent,
    );
  }

  const { match, ...report } = ttlReportFrom(source, nodeFacts, { tallies, outcomes, serverNow, shifts }, options, Date.now() - started);
  return {
    ...report,
    source: options.keys ? 'keys' : 'scan',
    ...(options.keys ? {} : { match }),
    totals: { ...report.totals, missing: named.missing, unanswered: named.unanswered },
    ...(options.collectRows !== undefined ? { rows: collected, rowsOmitted: omitted } : {}),
  };
}

/** What a scan tallied per node. */
export interface TtlScanState {
  tallies: ScanTally[];
  outcomes: (ScanOutcome | undefined)[];
  /** Each node's clock at its last batch (0: no batch). */
  serverNow: number[];
  /** The clock offset taken off each node's expiry times for the cluster-wide windows. */
  shifts: number[];
}

/** A fresh state for a scan of these nodes: one tally per node, shifted by its measured clock offset. */
export function newTtlScanState(facts: readonly NodeFacts[], sampleSize: number): TtlScanState {
  const shifts = facts.map((f) => appliedShiftMs(f.clock));
  return {
    tallies: facts.map((_, i) => new ScanTally(sampleSize, undefined, shifts[i])),
    outcomes: facts.map(() => undefined),
    serverNow: facts.map(() => 0),
    shifts,
  };
}

function ttlTotals(tallies: readonly ScanTally[]): Omit<TtlReport['totals'], 'missing' | 'unanswered'> & { all: ScanTally } {
  const all = new ScanTally(tallies[0]?.sampleSize ?? 0);
  for (const t of tallies) all.merge(t);
  return { keys: all.keys, withTtl: all.withTtl, noTtl: all.noTtl, vanished: all.vanished, types: Object.fromEntries(all.types), all };
}

/** The report of a scan (this view's, or the overview's shared pass). */
export function ttlReportFrom(
  source: InspectSource,
  nodeFacts: readonly NodeFacts[],
  state: TtlScanState,
  options: Pick<TtlViewOptions, 'topN' | 'cliffsPerNode' | 'minCliffKeys' | 'match'>,
  durationMs: number,
): TtlReport {
  const { tallies, outcomes, serverNow, shifts } = state;
  const nodes: NodeTtlReport[] = nodeFacts.map((f, i) => {
    const tally = tallies[i] as ScanTally;
    const end = serverNow[i] || source.nodeNow(i);
    return {
      ...summariseNode(f, outcomes[i]),
      keys: tally.keys,
      withTtl: tally.withTtl,
      noTtl: tally.noTtl,
      vanished: tally.vanished,
      histogram: tally.histogram.rows(),
      cliffs: tally
        .topCliffs(options.cliffsPerNode ?? DEFAULTS.inspect.cliffsPerNode)
        .filter((w) => w.keys >= (options.minCliffKeys ?? DEFAULTS.inspect.minCliffKeys))
        .map((w) => ({ ...w, node: f.name, inMs: w.startMs - end })),
      cliffsExact: tally.cliffs.exact,
    };
  });
  const { all, ...totals } = ttlTotals(tallies);
  return {
    view: 'ttl',
    topology: source.topology.kind,
    source: 'scan',
    match: options.match,
    durationMs,
    nodes,
    totals: { ...totals, missing: 0, unanswered: 0 },
    histogram: all.histogram.rows(),
    cliffs: nodes
      .flatMap((n) => n.cliffs)
      .sort((a, b) => b.keys - a.keys || a.startMs - b.startMs)
      .slice(0, options.topN),
    clusterCliffs: clusterCliffs(
      nodeFacts.map((f, i) => ({ name: f.name, corrected: (tallies[i] as ScanTally).corrected, clock: f.clock, appliedMs: shifts[i] as number })),
      { top: options.topN, minKeys: options.minCliffKeys ?? DEFAULTS.inspect.minCliffKeys, nowMs: Date.now() },
    ),
    noTtlSample: all.noTtlSample,
  };
}

/** Named keys: looked up on their owning node with their stale copies, a chunk per round trip. */
async function lookupNamed(
  source: InspectSource,
  options: TtlViewOptions,
  tallies: ScanTally[],
  facts: NodeFacts[],
): Promise<{ missing: number; unanswered: number }> {
  let missing = 0;
  let unanswered = 0;
  let chunk: string[] = [];
  const flush = async () => {
    if (chunk.length === 0) return;
    const keys = chunk;
    chunk = [];
    const found = await source.lookup([...keys, ...keys.map((k) => k + options.staleSuffix)]);
    for (let i = 0; i < keys.length; i++) {
      const main = found[i] as KeyLookup;
      const stale = found[i + keys.length] as KeyLookup;
      if (main.problem) unanswered++;
      else if (main.pttl === VANISHED) missing++;
      else (tallies[main.node] as ScanTally).add(main.type, main.pttl, main.expireAt, { key: () => main.key }, 0);
      options.onRow?.(rowOf(main, stale, facts));
    }
  };
  for await (const key of options.keys ?? []) {
    if (options.signal?.aborted) break;
    chunk.push(key);
    if (chunk.length >= (options.lookupChunk ?? 1000)) await flush();
  }
  await flush();
  return { missing, unanswered };
}

/** Scan mode with --list: one row per key of the batch, stale copies looked up on their owners. */
async function listBatch(source: InspectSource, options: TtlViewOptions, batch: KeyBatch, node: number, facts: readonly NodeFacts[]): Promise<void> {
  const keys: string[] = [];
  for (let i = 0; i < batch.size; i++) keys.push(batch.key(i));
  const wanted = keys.filter((k) => !k.endsWith(options.staleSuffix));
  const stale = new Map<string, KeyLookup>();
  const found = await source.lookup(wanted.map((k) => k + options.staleSuffix));
  wanted.forEach((k, i) => stale.set(k, found[i] as KeyLookup));
  for (let i = 0; i < batch.size; i++) {
    const main: KeyLookup = { key: keys[i] as string, node, type: batch.type(i), pttl: batch.pttl(i), expireAt: batch.expireAt(i) };
    options.onRow?.(rowOf(main, stale.get(main.key), facts));
  }
}

function rowOf(main: KeyLookup, stale: KeyLookup | undefined, facts: readonly { name: string }[]): KeyRow {
  const missing = main.pttl === VANISHED;
  return {
    key: main.key,
    node: facts[main.node]?.name ?? '?',
    type: missing || main.problem ? null : main.type,
    ttlMs: main.pttl >= 0 ? main.pttl : null,
    missing,
    stale: stale && !stale.problem ? { exists: stale.pttl !== VANISHED, ttlMs: stale.pttl >= 0 ? stale.pttl : null } : null,
    ...(main.problem ? { problem: `${main.problem.status}: ${main.problem.message}` } : {}),
  };
}

/** Figures --fail-on conditions read (see fail-on.ts). */
export function ttlMetrics(report: TtlReport): Record<string, number> {
  const t = report.totals;
  return {
    'no-ttl': t.noTtl,
    ...(t.keys > 0 ? { 'no-ttl%': (t.noTtl / t.keys) * 100 } : {}),
    cliff: report.clusterCliffs.windows[0]?.keys ?? 0,
    'cliff-10s': report.clusterCliffs.busiest10s?.keys ?? 0,
    'cliff-60s': report.clusterCliffs.busiest60s?.keys ?? 0,
    'node-cliff': report.nodes.reduce((max, n) => Math.max(max, n.cliffs[0]?.keys ?? 0), 0),
    missing: t.missing,
    'nodes-down': report.nodes.filter((n) => n.status === 'down' || n.status === 'refused').length,
  };
}

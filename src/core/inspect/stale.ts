/**
 * `inspect stale`: the `<key>:stale` copies of the stale-while-refresh pattern. For each copy:
 * does its primary still exist (if not, the stale copy is what readers get right now), and how
 * much of its window is left, i.e. how long it will keep covering for the primary:
 *  - primary gone: the stale copy's own remaining TTL;
 *  - primary present with a TTL: stale TTL - primary TTL (negative: the stale copy dies first and
 *    covers nothing);
 *  - stale copy without a TTL: it never ends (a leak: it will be served however old it gets).
 * Both TTLs are relative (PTTL), so a primary on another node does not bring clock skew in.
 */
import { scanEveryNode, summariseNode, type InspectEvent, type NodeSummary } from './every-node.js';
import { TtlHistogram } from './histogram.js';
import { globEscape } from './stampede.js';
import { TopN } from './top-n.js';
import { NO_TTL, VANISHED, type InspectSource, type KeyBatch, type KeyLookup, type NodeFacts } from './types.js';

export interface StaleOptions {
  suffix: string;
  count: number;
  rate: number;
  topN: number;
  onEvent?: (event: InspectEvent) => void;
  signal?: AbortSignal;
}

export type StaleState = 'serving' | 'standby' | 'dies-first' | 'no-ttl' | 'primary-no-ttl';

export interface StaleRow {
  key: string;
  node: string;
  primaryNode: string;
  state: StaleState;
  staleTtlMs: number | null;
  primaryTtlMs: number | null;
  /** How long the stale copy will still cover for the primary; null: unbounded or n/a. */
  windowLeftMs: number | null;
}

export interface StaleReport {
  view: 'stale';
  topology: string;
  suffix: string;
  durationMs: number;
  nodes: (NodeSummary & { copies: number })[];
  totals: Record<StaleState, number> & { copies: number; primaryUnknown: number };
  /** Windows left of copies that cover a primary (serving and standby), log-scale. */
  windows: ReturnType<TtlHistogram['rows']>;
  /** Copies being served now, least window left first. */
  serving: StaleRow[];
  /** Copies without a TTL, and copies that die before their primary. */
  problems: StaleRow[];
}

/** State and window left of one stale copy; pure. */
export function classifyStale(staleTtl: number, primaryTtl: number): { state: StaleState; windowLeftMs: number | null } {
  if (staleTtl === NO_TTL) return { state: 'no-ttl', windowLeftMs: null };
  if (primaryTtl === VANISHED) return { state: 'serving', windowLeftMs: staleTtl };
  if (primaryTtl === NO_TTL) return { state: 'primary-no-ttl', windowLeftMs: null };
  const left = staleTtl - primaryTtl;
  return left > 0 ? { state: 'standby', windowLeftMs: left } : { state: 'dies-first', windowLeftMs: left };
}

export async function inspectStale(source: InspectSource, options: StaleOptions, facts: NodeFacts[]): Promise<StaleReport> {
  const started = Date.now();
  options.onEvent?.({ kind: 'facts', facts });
  const tally = newStaleTally(options.topN);
  const perNode = facts.map(() => 0);
  const names = source.topology.nodes.map((n) => n.name);
  const runs = await scanEveryNode(
    source,
    facts,
    { match: `*${globEscape(options.suffix)}`, count: options.count, rate: options.rate, signal: options.signal },
    () => undefined,
    async (_state, batch, node) => {
      perNode[node] = (perNode[node] ?? 0) + (await addStaleBatch(source, batch, names[node] ?? '?', options.suffix, tally));
    },
    options.onEvent,
  );
  return staleReport(
    source.topology.kind,
    options.suffix,
    Date.now() - started,
    runs.map((r, i) => ({ ...summariseNode(r.facts, r.outcome), copies: perNode[i] ?? 0 })),
    tally,
  );
}

export interface StaleTally {
  totals: StaleReport['totals'];
  windows: TtlHistogram;
  serving: TopN<StaleRow>;
  problems: TopN<StaleRow>;
}

export function newStaleTally(topN: number): StaleTally {
  return {
    totals: { copies: 0, serving: 0, standby: 0, 'dies-first': 0, 'no-ttl': 0, 'primary-no-ttl': 0, primaryUnknown: 0 },
    windows: new TtlHistogram(),
    serving: new TopN<StaleRow>(topN),
    problems: new TopN<StaleRow>(topN),
  };
}

/** The stale copies of a batch: their primaries (maybe on other nodes) looked up on their owners, one round trip per node. */
export async function addStaleBatch(source: InspectSource, batch: KeyBatch, node: string, suffix: string, tally: StaleTally): Promise<number> {
  const copies: { key: string; pttl: number }[] = [];
  for (let i = 0; i < batch.size; i++) {
    const pttl = batch.pttl(i);
    if (pttl !== VANISHED) copies.push({ key: batch.key(i), pttl });
  }
  if (copies.length === 0) return 0;
  const names = source.topology.nodes.map((n) => n.name);
  const primaries = await source.lookup(copies.map((c) => c.key.slice(0, -suffix.length)));
  copies.forEach((c, i) => addCopy(c, primaries[i] as KeyLookup, node, names, tally));
  return copies.length;
}

export function staleReport(topology: string, suffix: string, durationMs: number, nodes: StaleReport['nodes'], tally: StaleTally): StaleReport {
  return {
    view: 'stale',
    topology,
    suffix,
    durationMs,
    nodes,
    totals: tally.totals,
    windows: tally.windows.rows(),
    serving: tally.serving.sorted(),
    problems: tally.problems.sorted(),
  };
}

function addCopy(copy: { key: string; pttl: number }, primary: KeyLookup, node: string, names: readonly string[], into: StaleTally): void {
  into.totals.copies++;
  if (primary.problem) {
    into.totals.primaryUnknown++;
    return;
  }
  const { state, windowLeftMs } = classifyStale(copy.pttl, primary.pttl);
  into.totals[state]++;
  if (windowLeftMs !== null && windowLeftMs > 0) into.windows.add(windowLeftMs);
  const row = (): StaleRow => ({
    key: copy.key,
    node,
    primaryNode: names[primary.node] ?? '?',
    state,
    staleTtlMs: copy.pttl >= 0 ? copy.pttl : null,
    primaryTtlMs: primary.pttl >= 0 ? primary.pttl : null,
    windowLeftMs,
  });
  if (state === 'serving') into.serving.offer(-(windowLeftMs ?? 0), row);
  if (state === 'no-ttl' || state === 'dies-first') into.problems.offer(state === 'no-ttl' ? 1 : 0, row);
}

export function staleMetrics(report: StaleReport): Record<string, number> {
  return {
    'stale-serving': report.totals.serving,
    'stale-no-ttl': report.totals['no-ttl'],
    'nodes-down': report.nodes.filter((n) => n.status === 'down' || n.status === 'refused').length,
  };
}

/**
 * `inspect stampede`: the `stampede:<key>` counters of the stampede-detection pattern
 * (INCR, and EXPIRE <window> on the first hit). Flags counters above the threshold, counters
 * without a TTL (leaked: the process died between INCR and EXPIRE, so the counter never resets)
 * and counters whose TTL is longer than the window (someone re-arms the expiry on every hit, so
 * the window keeps sliding and the count never resets under steady traffic).
 */
import { scanEveryNode, summariseNode, type InspectEvent, type NodeSummary } from './every-node.js';
import { TopN } from './top-n.js';
import { NO_TTL, VANISHED, type InspectSource, type KeyBatch, type NodeFacts } from './types.js';

export interface StampedeOptions {
  prefix: string;
  threshold: number;
  windowMs: number;
  count: number;
  rate: number;
  topN: number;
  onEvent?: (event: InspectEvent) => void;
  signal?: AbortSignal;
}

export type CounterFlag = 'hot' | 'leaked' | 'sliding';

export interface CounterRow {
  key: string;
  node: string;
  count: number;
  /** Remaining TTL in ms; null: no TTL. */
  ttlMs: number | null;
  flags: CounterFlag[];
}

export interface StampedeReport {
  view: 'stampede';
  topology: string;
  prefix: string;
  threshold: number;
  windowMs: number;
  durationMs: number;
  nodes: (NodeSummary & { counters: number })[];
  totals: { counters: number; hot: number; leaked: number; sliding: number; notCounters: number; maxCount: number };
  /** Highest counts first. */
  top: CounterRow[];
  /** Leaked and sliding counters (highest counts first), whether or not they are hot. */
  leaked: CounterRow[];
  sliding: CounterRow[];
  /** Keys under the prefix that are not integer strings (not this pattern's counters). */
  notCountersSample: string[];
}

/** A counter's flags; pure, so the rules are tested without Redis. */
export function classifyCounter(count: number, pttl: number, threshold: number, windowMs: number): CounterFlag[] {
  const flags: CounterFlag[] = [];
  if (count > threshold) flags.push('hot');
  if (pttl === NO_TTL) flags.push('leaked');
  else if (pttl > windowMs) flags.push('sliding');
  return flags;
}

export class CounterTally {
  counters = 0;
  hot = 0;
  leaked = 0;
  sliding = 0;
  notCounters = 0;
  maxCount = 0;
  constructor(
    readonly top: TopN<CounterRow>,
    readonly leakedTop: TopN<CounterRow>,
    readonly slidingTop: TopN<CounterRow>,
    readonly notCountersSample: string[],
    readonly sampleSize: number,
  ) {}
}

export function newCounterTally(topN: number): CounterTally {
  return new CounterTally(new TopN(topN), new TopN(topN), new TopN(topN), [], topN);
}

export async function inspectStampede(source: InspectSource, options: StampedeOptions, facts: NodeFacts[]): Promise<StampedeReport> {
  const started = Date.now();
  options.onEvent?.({ kind: 'facts', facts });
  const all = newCounterTally(options.topN);
  const perNode = facts.map(() => 0);
  const runs = await scanEveryNode(
    source,
    facts,
    { match: `${globEscape(options.prefix)}*`, count: options.count, rate: options.rate, withValues: true, valueBytes: 32, signal: options.signal },
    () => all,
    (tally, batch, node) => {
      perNode[node] = (perNode[node] ?? 0) + addCounters(tally, batch, facts[node]?.name ?? '?', options);
    },
    options.onEvent,
  );
  return stampedeReport(
    source.topology.kind,
    options,
    Date.now() - started,
    runs.map((r, i) => ({ ...summariseNode(r.facts, r.outcome), counters: perNode[i] ?? 0 })),
    all,
  );
}

/** The report from a tally (the view's own scan, or the overview's shared one). */
export function stampedeReport(
  topology: string,
  options: Pick<StampedeOptions, 'prefix' | 'threshold' | 'windowMs'>,
  durationMs: number,
  nodes: StampedeReport['nodes'],
  all: CounterTally,
): StampedeReport {
  return {
    view: 'stampede',
    topology,
    prefix: options.prefix,
    threshold: options.threshold,
    windowMs: options.windowMs,
    durationMs,
    nodes,
    totals: { counters: all.counters, hot: all.hot, leaked: all.leaked, sliding: all.sliding, notCounters: all.notCounters, maxCount: all.maxCount },
    top: all.top.sorted(),
    leaked: all.leakedTop.sorted(),
    sliding: all.slidingTop.sorted(),
    notCountersSample: all.notCountersSample,
  };
}

/** Tallies the counters of a batch; returns how many there were. */
export function addCounters(t: CounterTally, batch: KeyBatch, node: string, options: Pick<StampedeOptions, 'threshold' | 'windowMs'>): number {
  let n = 0;
  for (let i = 0; i < batch.size; i++) {
    const pttl = batch.pttl(i);
    if (pttl === VANISHED) continue;
    const raw = batch.value(i);
    const count = raw !== undefined && /^-?\d+$/.test(raw) ? Number(raw) : undefined;
    if (count === undefined) {
      t.notCounters++;
      if (t.notCountersSample.length < t.sampleSize) t.notCountersSample.push(batch.key(i));
      continue;
    }
    n++;
    t.counters++;
    if (count > t.maxCount) t.maxCount = count;
    const flags = classifyCounter(count, pttl, options.threshold, options.windowMs);
    const row = () => ({ key: batch.key(i), node, count, ttlMs: pttl >= 0 ? pttl : null, flags });
    if (flags.includes('hot')) t.hot++;
    t.top.offer(count, row);
    if (flags.includes('leaked')) {
      t.leaked++;
      t.leakedTop.offer(count, row);
    }
    if (flags.includes('sliding')) {
      t.sliding++;
      t.slidingTop.offer(count, row);
    }
  }
  return n;
}

/** SCAN MATCH treats * ? [ ] \ as glob syntax; a prefix is literal. */
export function globEscape(text: string): string {
  return text.replace(/[*?[\]\\]/g, '\\$&');
}

export function stampedeMetrics(report: StampedeReport): Record<string, number> {
  const t = report.totals;
  return {
    stampede: t.maxCount,
    'hot-counters': t.hot,
    'leaked-counters': t.leaked,
    'sliding-counters': t.sliding,
    'nodes-down': report.nodes.filter((n) => n.status === 'down' || n.status === 'refused').length,
  };
}

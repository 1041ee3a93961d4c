/**
 * `inspect hotkeys`: the hottest keys of every node at once, as a key list `cachectl warm --keys`
 * reads (capture the hot set before a restart or deploy, warm exactly it afterwards).
 *
 * Under an LFU eviction policy Redis keeps a per-key access counter, read with OBJECT FREQ (what
 * `redis-cli --hotkeys` ranks by, one node at a time). Under LRU or noeviction it keeps none, so
 * there is no frequency to rank by: the fallback is recency (OBJECT IDLETIME, least idle first),
 * and the report says so plainly, since a key read once a second ago then outranks one read a
 * thousand times a minute ago. A cluster whose nodes differ gives both lists, frequency first.
 */
import { summariseNode, type InspectEvent, type NodeSummary } from './every-node.js';
import { TopN } from './top-n.js';
import type { HotMeasure, InspectSource, NodeFacts } from './types.js';

export interface HotkeysOptions {
  match: string;
  count: number;
  rate: number;
  top: number;
  onEvent?: (event: InspectEvent) => void;
  signal?: AbortSignal;
}

export interface HotKeyRow {
  key: string;
  node: string;
  measure: HotMeasure;
  /** OBJECT FREQ (logarithmic LFU counter, 0-255), or OBJECT IDLETIME in seconds. */
  score: number;
}

export interface HotkeysReport {
  view: 'hotkeys';
  topology: string;
  match: string;
  durationMs: number;
  /** 'mixed' when some nodes have an LFU policy and some do not. */
  measure: HotMeasure | 'mixed';
  nodes: (NodeSummary & { policy: string | null; measure: HotMeasure })[];
  /** Frequency-ranked keys first (highest first), then recency-ranked ones (least idle first). */
  keys: HotKeyRow[];
  /** Why the ranking is what it is, in words (also the first comment line of the key list). */
  note: string;
}

export function measureFor(policy: string | undefined): HotMeasure {
  return policy !== undefined && policy.includes('lfu') ? 'freq' : 'idle';
}

export async function inspectHotkeys(source: InspectSource, options: HotkeysOptions, facts: NodeFacts[]): Promise<HotkeysReport> {
  const started = Date.now();
  options.onEvent?.({ kind: 'facts', facts });
  const byFreq = new TopN<HotKeyRow>(options.top);
  const byIdle = new TopN<HotKeyRow>(options.top);
  const measures = facts.map((f) => measureFor(f.info?.maxmemory_policy));
  const outcomes = await Promise.all(
    facts.map(async (f, i) => {
      if (f.problem?.status === 'down') return undefined;
      const measure = measures[i] as HotMeasure;
      const top = measure === 'freq' ? byFreq : byIdle;
      // The floor the node filters by: the N-th best score so far (anything beats it while the list is not full).
      const floor = () =>
        top.size < options.top
          ? measure === 'freq'
            ? -1
            : Number.MAX_SAFE_INTEGER
          : measure === 'freq'
            ? (top.minScore() as number)
            : -(top.minScore() as number);
      let scanned = 0;
      const outcome = await source.scanHot(
        i,
        { match: options.match, count: options.count, rate: options.rate, measure, floor, ...(options.signal ? { signal: options.signal } : {}) },
        (batch) => {
          batch.keys.forEach((key, j) => {
            const score = batch.scores[j] as number;
            top.offer(measure === 'freq' ? score : -score, { key, node: f.name, measure, score });
          });
          scanned += batch.size;
          options.onEvent?.({ kind: 'progress', node: i, scanned });
        },
      );
      options.onEvent?.({ kind: 'node-done', node: i, outcome });
      return outcome;
    }),
  );
  const answering = facts.filter((f) => f.problem?.status !== 'down');
  const lfu = answering.filter((f) => measures[f.index] === 'freq');
  const measure: HotkeysReport['measure'] = lfu.length === answering.length ? 'freq' : lfu.length === 0 ? 'idle' : 'mixed';
  const policies = (list: readonly NodeFacts[]) => [...new Set(list.map((f) => f.info?.maxmemory_policy ?? '?'))].join(', ');
  const others = answering.filter((f) => measures[f.index] === 'idle');
  const recency = `frequency is not tracked under maxmemory-policy ${policies(others)} (only LFU policies count accesses): ranked by recency instead, OBJECT IDLETIME, least idle first. Recency is not hotness: a key read once a second ago ranks above one read a thousand times a minute ago`;
  const note =
    measure === 'freq'
      ? `ranked by OBJECT FREQ (the LFU access counter: logarithmic, 0-255, decays while a key is idle) under maxmemory-policy ${policies(lfu)}`
      : measure === 'idle'
        ? recency
        : `nodes differ: ${lfu.map((f) => f.name).join(', ')} rank by OBJECT FREQ (LFU), listed first; on ${others.map((f) => f.name).join(', ')} ${recency}`;
  return {
    view: 'hotkeys',
    topology: source.topology.kind,
    match: options.match,
    durationMs: Date.now() - started,
    measure,
    nodes: facts.map((f, i) => ({ ...summariseNode(f, outcomes[i]), policy: f.info?.maxmemory_policy ?? null, measure: measures[i] as HotMeasure })),
    keys: [...byFreq.sorted(), ...byIdle.sorted()],
    note,
  };
}

export function hotkeysMetrics(report: HotkeysReport): Record<string, number> {
  return { 'nodes-down': report.nodes.filter((n) => n.status === 'down' || n.status === 'refused').length };
}

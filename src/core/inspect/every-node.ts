/**
 * Runs one scan per node, all nodes in parallel, and keeps each node's outcome next to its
 * facts: a node that is down or refuses a command is recorded, never allowed to sink the report.
 */
import type { InspectSource, KeyBatch, KeyspaceFigures, NodeFacts, NodeProblem, ScanOutcome, ScanRequest, SummaryBatch } from './types.js';

export type InspectEvent =
  { kind: 'facts'; facts: NodeFacts[] } | { kind: 'progress'; node: number; scanned: number } | { kind: 'node-done'; node: number; outcome: ScanOutcome };

export interface NodeRun<T> {
  facts: NodeFacts;
  outcome: ScanOutcome | undefined;
  state: T;
}

/** What every view reports about every node. */
export interface NodeSummary {
  index: number;
  name: string;
  address: string;
  status: 'ok' | 'down' | 'refused' | 'interrupted';
  problem?: NodeProblem;
  keyspace?: KeyspaceFigures;
  noTouch?: string;
  version?: string;
  scanned: number;
  mode?: ScanOutcome['mode'];
}

export async function scanEveryNode<T>(
  source: InspectSource,
  facts: readonly NodeFacts[],
  request: ScanRequest | ((facts: NodeFacts) => ScanRequest),
  makeState: (node: number) => T,
  onBatch: (state: T, batch: KeyBatch, node: number) => void | Promise<void>,
  onEvent?: (event: InspectEvent) => void,
): Promise<NodeRun<T>[]> {
  return Promise.all(
    facts.map(async (f) => {
      const state = makeState(f.index);
      if (f.problem?.status === 'down') return { facts: f, outcome: undefined, state };
      let scanned = 0;
      const asked = typeof request === 'function' ? request(f) : request;
      const outcome = await source.scan(f.index, asked, (batch) => {
        scanned += batch.size;
        const held = onBatch(state, batch, f.index);
        onEvent?.({ kind: 'progress', node: f.index, scanned });
        return held;
      });
      onEvent?.({ kind: 'node-done', node: f.index, outcome });
      return { facts: f, outcome, state };
    }),
  );
}

/** scanEveryNode for views that only need SummaryBatches (no key names): much less to parse. */
export async function summariseEveryNode(
  source: InspectSource,
  facts: readonly NodeFacts[],
  request: ScanRequest & { sampleSize: number },
  onBatch: (batch: SummaryBatch, node: number) => void,
  onEvent?: (event: InspectEvent) => void,
): Promise<(ScanOutcome | undefined)[]> {
  return Promise.all(
    facts.map(async (f) => {
      if (f.problem?.status === 'down') return undefined;
      let scanned = 0;
      const outcome = await source.scanSummary(f.index, request, (batch) => {
        scanned += batch.size;
        onBatch(batch, f.index);
        onEvent?.({ kind: 'progress', node: f.index, scanned });
      });
      onEvent?.({ kind: 'node-done', node: f.index, outcome });
      return outcome;
    }),
  );
}

export function summariseNode(facts: NodeFacts, outcome: ScanOutcome | undefined): NodeSummary {
  const problem = outcome?.problem ?? facts.problem;
  let status: NodeSummary['status'] = 'ok';
  if (problem) status = problem.status;
  else if (outcome?.interrupted) status = 'interrupted';
  return {
    index: facts.index,
    name: facts.name,
    address: facts.address,
    status,
    ...(problem ? { problem } : {}),
    ...(facts.keyspace ? { keyspace: facts.keyspace } : {}),
    ...(facts.noTouch ? { noTouch: facts.noTouch } : {}),
    ...(facts.version ? { version: facts.version } : {}),
    scanned: outcome?.keysScanned ?? 0,
    ...(outcome ? { mode: outcome.mode } : {}),
  };
}

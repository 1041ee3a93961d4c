/**
 * `inspect nodes`: what every node reports about itself (INFO), next to what the topology says
 * about it (cluster slots and replicas, ring share). No scan: instant, safe in any incident.
 */
import { ClusterTopology } from '../../topology/cluster.js';
import type { Topology } from '../../topology/types.js';
import { summariseNode, type NodeSummary } from './every-node.js';
import type { NodeFacts } from './types.js';

export interface NodeHealthRow extends NodeSummary {
  role: string | null;
  usedMemory: number | null;
  maxMemory: number | null;
  evictionPolicy: string | null;
  /** keyspace_hits / (hits + misses); null before any lookup. */
  hitRatio: number | null;
  hits: number | null;
  misses: number | null;
  evictedKeys: number | null;
  expiredKeys: number | null;
  opsPerSec: number | null;
  clients: number | null;
  /** Cluster: slots served and replicas of this master. */
  slots?: number;
  replicas?: string[];
  /** Ring: this node's share of the hash ring (0..1). */
  ringShare?: number;
}

export interface NodesReport {
  view: 'nodes';
  topology: string;
  nodes: NodeHealthRow[];
  /** Cluster: slots no master serves. */
  uncoveredSlots?: number;
  totals: { keys: number; withTtl: number; withoutTtl: number; usedMemory: number; down: number; refused: number };
}

interface RingLike {
  arcShares(): number[];
}

function isRing(topology: Topology): topology is Topology & RingLike {
  return topology.kind === 'ring' && typeof (topology as Partial<RingLike>).arcShares === 'function';
}

function num(info: Record<string, string> | undefined, field: string): number | null {
  const v = info?.[field];
  if (v === undefined || v === '') return null;
  const n = Number(v);
  return Number.isFinite(n) ? n : null;
}

export function nodesReport(topology: Topology, facts: readonly NodeFacts[]): NodesReport {
  const cluster = topology instanceof ClusterTopology ? topology : undefined;
  const ring = isRing(topology) ? topology : undefined;
  const slots = cluster?.slotCounts();
  const shares = ring?.arcShares();
  const nodes = facts.map((f): NodeHealthRow => {
    const info = f.info;
    const hits = num(info, 'keyspace_hits');
    const misses = num(info, 'keyspace_misses');
    const maxMemory = num(info, 'maxmemory');
    return {
      ...summariseNode(f, undefined),
      role: f.role ?? null,
      usedMemory: num(info, 'used_memory'),
      maxMemory,
      evictionPolicy: info?.maxmemory_policy ?? null,
      hitRatio: hits !== null && misses !== null && hits + misses > 0 ? hits / (hits + misses) : null,
      hits,
      misses,
      evictedKeys: num(info, 'evicted_keys'),
      expiredKeys: num(info, 'expired_keys'),
      opsPerSec: num(info, 'instantaneous_ops_per_sec'),
      clients: num(info, 'connected_clients'),
      ...(slots ? { slots: slots[f.index] ?? 0, replicas: (cluster?.replicas[f.index] ?? []).map((r) => r.name) } : {}),
      ...(shares ? { ringShare: shares[f.index] ?? 0 } : {}),
    };
  });
  const sum = (pick: (n: NodeHealthRow) => number | null | undefined) => nodes.reduce((a, n) => a + (pick(n) ?? 0), 0);
  return {
    view: 'nodes',
    topology: topology.kind,
    nodes,
    ...(cluster ? { uncoveredSlots: cluster.uncoveredSlots() } : {}),
    totals: {
      keys: sum((n) => n.keyspace?.keys),
      withTtl: sum((n) => n.keyspace?.withTtl),
      withoutTtl: sum((n) => n.keyspace?.withoutTtl),
      usedMemory: sum((n) => n.usedMemory),
      down: nodes.filter((n) => n.status === 'down').length,
      refused: nodes.filter((n) => n.status === 'refused').length,
    },
  };
}

/** Figures --fail-on conditions read (see fail-on.ts). */
export function nodesMetrics(report: NodesReport): Record<string, number> {
  const t = report.totals;
  const memory = report.nodes.filter((n) => n.usedMemory !== null && n.maxMemory).map((n) => ((n.usedMemory as number) / (n.maxMemory as number)) * 100);
  const ratios = report.nodes.filter((n) => n.hitRatio !== null).map((n) => (n.hitRatio as number) * 100);
  return {
    'no-ttl': t.withoutTtl,
    ...(t.keys > 0 ? { 'no-ttl%': (t.withoutTtl / t.keys) * 100 } : {}),
    ...(memory.length > 0 ? { 'memory%': Math.max(...memory) } : {}),
    ...(ratios.length > 0 ? { 'hit-ratio%': Math.min(...ratios) } : {}),
    evicted: report.nodes.reduce((a, n) => a + (n.evictedKeys ?? 0), 0),
    'nodes-down': t.down + t.refused,
  };
}

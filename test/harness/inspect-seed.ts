/**
 * A keyspace with a KNOWN shape for the inspect tests: TTLs in chosen histogram buckets (far
 * from bucket edges), keys without TTL, and one expiry cliff at a chosen second. Written with
 * PEXPIREAT to each key's owning node; returns what every node must report.
 */
import type { Redis } from 'ioredis';
import { ttlBucketOf } from '../../src/core/inspect/histogram.js';
import type { Topology } from '../../src/topology/types.js';

export interface SeededKey {
  key: string;
  /** Absolute expiry (ms), or undefined for no TTL. */
  expireAt?: number;
}

export interface Expected {
  keys: number;
  withTtl: number;
  noTtl: number;
  histogram: number[];
  /** Keys of the cliff second on this node. */
  cliff: number;
}

export interface SeededKeyspace {
  keys: SeededKey[];
  cliffSecondMs: number;
  perNode: Expected[];
  total: Expected;
}

/** The plan: deterministic, so a failure names the same keys every run. */
export function planKeyspace(now: number, prefix = 'seed'): { keys: SeededKey[]; cliffSecondMs: number } {
  const keys: SeededKey[] = [];
  const ttl = (name: string, n: number, baseMs: number, stepMs: number) => {
    for (let i = 0; i < n; i++) keys.push({ key: `${prefix}:${name}:${i}`, expireAt: now + baseMs + i * stepMs });
  };
  ttl('half-minute', 120, 25_000, 200); // 25s-49s: bucket 10s-1m, at most 5 per second
  ttl('five-minutes', 90, 240_000, 700); // 4m-5m03s: bucket 1m-10m
  ttl('two-hours', 60, 7_200_000, 1_000); // ~2h: bucket 1h-6h
  ttl('three-days', 30, 3 * 86_400_000, 1_000); // ~3d: bucket 1d-7d
  for (let i = 0; i < 25; i++) keys.push({ key: `${prefix}:forever:${i}` });
  // The cliff: 400 keys expiring inside one second, 20 minutes from now (bucket 10m-1h).
  const cliffSecondMs = Math.floor((now + 20 * 60_000) / 1000) * 1000;
  for (let i = 0; i < 400; i++) keys.push({ key: `${prefix}:cliff:${i}`, expireAt: cliffSecondMs + ((i * 7) % 1000) });
  return { keys, cliffSecondMs };
}

function emptyExpected(): Expected {
  return { keys: 0, withTtl: 0, noTtl: 0, histogram: new Array<number>(10).fill(0), cliff: 0 };
}

/** What each node must report, computed from the plan and the owner of each key. */
export function expectedFor(plan: { keys: SeededKey[]; cliffSecondMs: number }, topology: Topology, now: number): SeededKeyspace {
  const perNode = topology.nodes.map(emptyExpected);
  const total = emptyExpected();
  for (const k of plan.keys) {
    for (const e of [perNode[topology.nodeIndexOf(k.key)] as Expected, total]) {
      e.keys++;
      if (k.expireAt === undefined) {
        e.noTtl++;
        continue;
      }
      e.withTtl++;
      const b = ttlBucketOf(k.expireAt - now);
      e.histogram[b] = (e.histogram[b] as number) + 1;
      if (Math.floor(k.expireAt / 1000) * 1000 === plan.cliffSecondMs) e.cliff++;
    }
  }
  return { ...plan, perNode, total };
}

/** Writes every key to its owning node (pipelined per node). */
export async function writeKeyspace(keys: readonly SeededKey[], topology: Topology, clientOf: (node: number) => Redis): Promise<void> {
  const byNode = new Map<number, SeededKey[]>();
  for (const k of keys) {
    const n = topology.nodeIndexOf(k.key);
    byNode.set(n, [...(byNode.get(n) ?? []), k]);
  }
  await Promise.all(
    [...byNode].map(async ([node, list]) => {
      const p = clientOf(node).pipeline();
      for (const k of list) {
        if (k.expireAt === undefined) p.set(k.key, 'v');
        else p.set(k.key, 'v', 'PXAT', k.expireAt);
      }
      const results = (await p.exec()) ?? [];
      for (const [error] of results) if (error) throw error;
    }),
  );
}

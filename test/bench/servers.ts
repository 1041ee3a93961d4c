/**
 * The benchmark's own servers, started with the test harness on free ports: a 3-master Redis
 * Cluster, 3 standalone ring nodes and a single node. PostgreSQL is the server in DATABASE_URL
 * (or 127.0.0.1:5432) with a database of the benchmark's own, dropped at the end.
 */
import { startCluster, startRedis, type RedisCluster, type RedisProcess } from '../harness/redis.js';

export interface Topology {
  name: 'cluster' | 'ring' | 'single';
  /** cachectl flags selecting it. */
  flags: string[];
  /** Every node that holds keys (masters). */
  ports: number[];
  /** Their redis-server processes, for CPU accounting. */
  pids: number[];
}

export interface BenchServers {
  topologies: Topology[];
  cluster: RedisCluster;
  ring: RedisProcess[];
  single: RedisProcess;
  /** Empties every node (between runs, so each warm starts from an empty cache). */
  flushAll(): Promise<void>;
  stop(): Promise<void>;
}

function pidOf(node: RedisProcess): number {
  if (node.child.pid === undefined) throw new Error(`redis-server on ${node.port} has no pid`);
  return node.child.pid;
}

export async function startBenchServers(): Promise<BenchServers> {
  const [cluster, ring, single] = await Promise.all([startCluster(3, 0), Promise.all([startRedis(), startRedis(), startRedis()]), startRedis()]);
  const ringSpec = ring.map((n, i) => `${n.address}:1 bench-${i + 1}`).join(',');
  const topologies: Topology[] = [
    { name: 'cluster', flags: ['--cluster', cluster.seeds], ports: cluster.masters.map((m) => m.port), pids: cluster.masters.map(pidOf) },
    { name: 'ring', flags: ['--ring', ringSpec], ports: ring.map((n) => n.port), pids: ring.map(pidOf) },
    { name: 'single', flags: ['--redis', `redis://${single.address}`], ports: [single.port], pids: [pidOf(single)] },
  ];
  const all = [...cluster.masters, ...ring, single];
  const clients = all.map((n) => n.client());
  return {
    topologies,
    cluster,
    ring,
    single,
    async flushAll() {
      await Promise.all(clients.map((c) => c.flushall()));
    },
    async stop() {
      await Promise.all([cluster.stop(), ...ring.map((n) => n.stop()), single.stop()]);
    },
  };
}

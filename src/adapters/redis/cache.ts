/**
 * A live view of the cache: its Topology plus one client per node, opened lazily.
 * For a cluster the topology comes from the cluster itself and can be refreshed after MOVED.
 */
import type { Redis } from 'ioredis';
import { ConnectionError, redact } from '../../errors.js';
import { DEFAULTS } from '../../config/defaults.js';
import { authOf, singleNodeOf, type RedisAuth, type RedisTarget } from '../../config/target.js';
import { ClusterTopology, type SlotRange } from '../../topology/cluster.js';
import { createRingTopology, ringWithoutEjected, type RingTopology } from '../../topology/ring/index.js';
import { SingleNodeTopology } from '../../topology/single.js';
import { nodeFromAddress, nodeFromSocket, type CacheNode, type Topology } from '../../topology/types.js';
import { connectAndPing, createNodeClient, describeConnectFailure, type ClientOptions } from './client.js';
import { identifyNode } from './identify.js';
import { tlsOptionsFor } from './tls.js';
import { respAuthFor } from './write-outcomes.js';

export interface NodeHealth {
  node: CacheNode;
  ok: boolean;
  error?: string;
}

export interface OpenCacheOptions extends ClientOptions {
  /**
   * 'all': every node must answer (exit 3 otherwise); 'any': at least one must, the rest
   * are reported by the command; 'none': connect lazily.
   */
  verify?: 'all' | 'any' | 'none';
  /**
   * A --redis address that turns out to be a Redis Cluster node: 'refuse' (warm, herd: its
   * MOVED replies would fail most keys) or 'allow' (inspect decides itself, --node-only).
   */
  clusterNode?: 'refuse' | 'allow';
  /** Connect to these addresses instead of a node's own (by node address): a relay in front of it. */
  via?: Record<string, { host: string; port: number }>;
}

export class CacheConnection {
  private readonly clients = new Map<string, Redis>();
  /** Consecutive connection failures per node, for a ring with auto_eject_hosts. */
  private readonly failures = new Map<string, number>();
  private readonly auth: RedisAuth;
  /** The full ring, before any ejection (auto_eject_hosts), to rebuild from after server_retry_timeout. */
  private readonly fullRing: RingTopology | undefined;
  private readonly retryTimers: NodeJS.Timeout[] = [];
  /** Ring nodes taken out of the ring during this connection (auto_eject_hosts). */
  readonly ejected: { node: CacheNode; reason: string }[] = [];

  constructor(
    readonly target: RedisTarget,
    public topology: Topology,
    private readonly options: OpenCacheOptions,
  ) {
    this.auth = authOf(target);
    this.fullRing = topology.kind === 'ring' ? (topology as RingTopology) : undefined;
  }

  /** Longest wait for a node's answer: --timeout, a pool's timeout:, else the default. */
  get nodeTimeoutMs(): number {
    return this.target.timeoutMs ?? DEFAULTS.connection.nodeTimeoutMs;
  }

  /** The client of the node at `index` in the current topology. */
  client(index: number): Redis {
    const node = this.topology.nodes[index];
    if (!node) throw new Error(`no node at index ${index}`);
    return this.clientFor(node);
  }

  /** A client for any node by address, e.g. a replica or the target of an ASK redirect. */
  clientFor(node: CacheNode): Redis {
    let client = this.clients.get(node.address);
    // A client that gave up reconnecting (a node down for a while) is replaced: the node may be back.
    if (!client || client.status === 'end') {
      const via = this.options.via?.[node.address];
      // A relay is reached over TCP even when the node itself is a Unix socket.
      const connectTo: CacheNode = via ? { address: node.address, name: node.name, host: via.host, port: via.port } : node;
      const commandTimeoutMs = this.options.commandTimeoutMs ?? this.target.timeoutMs;
      client = createNodeClient(connectTo, this.auth, {
        ...this.options,
        ...(commandTimeoutMs !== undefined ? { commandTimeoutMs } : {}),
        onError: (n, e) => this.onClientError(n, e),
      });
      client.on('ready', () => this.failures.delete(node.address));
      this.clients.set(node.address, client);
    }
    return client;
  }

  /**
   * twemproxy's auto_eject_hosts: after server_failure_limit consecutive connection failures a
   * ring server is taken out and the ring rebuilt over the others exactly as twemproxy rebuilds
   * it (ringWithoutEjected), so retried keys go where the proxy sends them meanwhile. Without
   * auto_eject_hosts nothing moves: a down node's keys fail and are listed.
   */
  private onClientError(node: CacheNode, error: Error): void {
    this.options.onError?.(node, error);
    if (this.topology.kind !== 'ring') return;
    const ring = this.topology as RingTopology;
    if (!ring.spec.autoEjectHosts || !/ECONNREFUSED|ETIMEDOUT|EHOSTUNREACH|ECONNRESET|ENOTFOUND/.test(error.message)) return;
    const count = (this.failures.get(node.address) ?? 0) + 1;
    this.failures.set(node.address, count);
    const limit = ring.spec.serverFailureLimit ?? 2;
    const index = ring.nodes.findIndex((n) => n.address === node.address);
    if (count < limit || index < 0 || !ring.live.includes(index) || ring.live.length <= 1) return;
    this.topology = ringWithoutEjected(ring, [index]);
    this.ejected.push({ node, reason: `${count} consecutive connection failures (server_failure_limit ${limit}): ${error.message}` });
    this.scheduleRetry(node);
  }

  /**
   * twemproxy puts an ejected server back into the ring after server_retry_timeout and tries it
   * again (failing again ejects it again): so does this connection, over the same full ring.
   */
  private scheduleRetry(node: CacheNode): void {
    const retryMs = this.target.kind === 'ring' ? this.target.spec.pool?.serverRetryTimeoutMs : undefined;
    const full = this.fullRing;
    if (retryMs === undefined || !full) return;
    const timer = setTimeout(() => {
      this.failures.delete(node.address);
      const current = this.topology as RingTopology;
      const stillOut = full.nodes.map((_, i) => i).filter((i) => !current.live.includes(i) && full.nodes[i]?.address !== node.address);
      this.topology = stillOut.length > 0 ? ringWithoutEjected(full, stillOut) : full;
    }, retryMs);
    timer.unref();
    this.retryTimers.push(timer);
  }

  /** The last checkNodes() result: later readers need not ping a node again (a down one costs a timeout each time). */
  health: readonly NodeHealth[] | undefined;

  /** Pings every node in parallel; never throws. */
  async checkNodes(): Promise<NodeHealth[]> {
    const health = await Promise.all(
      this.topology.nodes.map(async (node) => {
        try {
          await connectAndPing(this.clientFor(node), node, this.nodeTimeoutMs);
          return { node, ok: true };
        } catch (error) {
          return { node, ok: false, error: error instanceof Error ? error.message : String(error) };
        }
      }),
    );
    this.health = health;
    return health;
  }

  /** Re-reads the slot map from any reachable master (cluster only). Returns true when it changed. */
  async refreshTopology(): Promise<boolean> {
    if (this.target.kind !== 'cluster') return false;
    const candidates = [...this.topology.nodes, ...this.target.seeds.map((s) => nodeFromAddress(s.host, s.port))];
    let lastError: unknown;
    for (const node of candidates) {
      try {
        const next = await readClusterTopology(this.clientFor(node), node);
        const changed = JSON.stringify(next.nodes) !== JSON.stringify(this.topology.nodes) || !sameSlots(next, this.topology);
        this.topology = next;
        return changed;
      } catch (error) {
        lastError = error;
      }
    }
    throw lastError instanceof Error ? lastError : new ConnectionError('no cluster node answered CLUSTER SLOTS');
  }

  async close(): Promise<void> {
    for (const timer of this.retryTimers.splice(0)) clearTimeout(timer);
    const all = [...this.clients.values()];
    this.clients.clear();
    await Promise.all(
      all.map(async (c) => {
        try {
          if (c.status === 'ready') await c.quit();
          else c.disconnect();
        } catch {
          c.disconnect();
        }
      }),
    );
  }
}

/** The same URL (user, password, database) pointing at another host and port. */
function sameSlots(a: Topology, b: Topology): boolean {
  if (!(a instanceof ClusterTopology) || !(b instanceof ClusterTopology)) return false;
  for (let slot = 0; slot < 16384; slot++) {
    const na = a.nodes[a.nodeIndexOfSlot(slot)]?.address;
    const nb = b.nodes[b.nodeIndexOfSlot(slot)]?.address;
    if (na !== nb) return false;
  }
  return true;
}

export async function openCache(target: RedisTarget, options: OpenCacheOptions = {}): Promise<CacheConnection> {
  const verify = options.verify ?? 'all';
  // Reads --cacert/--cert/--tls-key once, up front: an unreadable file is exit 2 naming the flag.
  tlsOptionsFor(authOf(target), 'localhost');
  let connection: CacheConnection;
  if (target.kind === 'single') {
    const { endpoint } = singleNodeOf(target);
    const node = endpoint.socket ? nodeFromSocket(endpoint.socket) : nodeFromAddress(endpoint.host, endpoint.port);
    if (verify !== 'none') await refuseWrongKind(node, target, options);
    connection = new CacheConnection(target, new SingleNodeTopology(node), options);
  } else if (target.kind === 'ring') {
    if (target.spec.pool?.refusal) throw new ConnectionError(target.spec.pool.refusal);
    connection = new CacheConnection(target, createRingTopology(target.spec), options);
  } else {
    connection = await openCluster(target, options);
  }
  if (verify === 'none') return connection;
  const health = await connection.checkNodes();
  const down = health.filter((h) => !h.ok);
  const authFailure = down.find((h) => /authentication failed/.test(h.error ?? ''));
  if (authFailure || (verify === 'all' && down.length > 0) || down.length === health.length) {
    await connection.close();
    const first = authFailure ?? down[0];
    throw new ConnectionError(redact(first?.error ?? 'no node answered'));
  }
  return connection;
}

/** A --redis address that is a twemproxy or (for warm and herd) a cluster node: one line saying what to pass instead. */
async function refuseWrongKind(node: CacheNode, target: RedisTarget, options: OpenCacheOptions): Promise<void> {
  const timeout = target.timeoutMs ?? DEFAULTS.connection.nodeTimeoutMs;
  const kind = await identifyNode(node, respAuthFor(target), options.connectTimeoutMs ?? DEFAULTS.connection.connectTimeoutMs, timeout);
  if (kind === 'silent') {
    throw describeConnectFailure(node, new Error(`no answer within ${timeout}ms (--timeout): the node is slow or paused`));
  }
  if (kind === 'twemproxy') {
    throw new ConnectionError(
      `--redis: ${node.address} is a twemproxy (nutcracker): it answers PING but hangs up on INFO; pass --ring-config <its YAML file> (cachectl then reaches the servers behind it directly, on the same ring)`,
    );
  }
  if (kind === 'cluster-node' && (options.clusterNode ?? 'refuse') === 'refuse') {
    throw new ConnectionError(
      `--redis: ${node.address} is a Redis Cluster node, which owns only some slots (the rest would fail with MOVED); use --cluster ${node.address}`,
    );
  }
}

async function openCluster(target: Extract<RedisTarget, { kind: 'cluster' }>, options: OpenCacheOptions): Promise<CacheConnection> {
  let lastError: unknown;
  for (const seed of target.seeds) {
    const node = nodeFromAddress(seed.host, seed.port);
    const client = createNodeClient(node, target.auth, { ...options, reconnectAttempts: 0 });
    try {
      await connectAndPing(client, node, target.timeoutMs ?? DEFAULTS.connection.nodeTimeoutMs);
      const topology = await readClusterTopology(client, node);
      return new CacheConnection(target, topology, options);
    } catch (error) {
      lastError = error;
      if (error instanceof ConnectionError && /not in cluster mode|authentication failed/.test(error.message)) throw error;
    } finally {
      client.disconnect();
    }
  }
  if (lastError instanceof ConnectionError) throw lastError;
  throw describeConnectFailure(nodeFromAddress(target.seeds[0]?.host ?? '?', target.seeds[0]?.port ?? 0), lastError);
}

type SlotsReply = [number, number, ...[string, number, string?][]][];

/** Reads CLUSTER SLOTS from one node; an empty host means "the address you asked". */
export async function readClusterTopology(client: Redis, via: CacheNode): Promise<ClusterTopology> {
  let reply: SlotsReply;
  try {
    reply = (await client.call('CLUSTER', 'SLOTS')) as SlotsReply;
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    if (/cluster support disabled|This instance has cluster support disabled/i.test(message)) {
      throw new ConnectionError(
        `--cluster: ${via.address} is not in cluster mode (cluster-enabled no); use --redis for a standalone node or --ring for client-side sharding`,
      );
    }
    throw error;
  }
  if (reply.length === 0) {
    throw new ConnectionError(`--cluster: ${via.address} reports no slots assigned; the cluster is not set up (run redis-cli --cluster create)`);
  }
  const toNode = (entry: [string, number, string?]) => nodeFromAddress(entry[0] === '' || entry[0] === '?' ? via.host : entry[0], Number(entry[1]));
  const ranges: SlotRange[] = reply.map(([start, end, master, ...replicas]) => ({
    start: Number(start),
    end: Number(end),
    master: toNode(master as [string, number, string?]),
    replicas: replicas.map((r) => toNode(r)),
  }));
  const linked = await readLinkedReplicas(client, via);
  if (linked) {
    for (const range of ranges) range.replicas = linked.get(range.master.address) ?? [];
  }
  return new ClusterTopology(ranges);
}

/**
 * Healthy replicas per master address, from CLUSTER NODES. CLUSTER SLOTS leaves out a replica
 * until it has replicated some data (offset 0), so on an empty cluster it would hide exactly
 * the replicas a warm must wait for. Undefined when CLUSTER NODES is refused (managed services).
 */
async function readLinkedReplicas(client: Redis, via: CacheNode): Promise<Map<string, CacheNode[]> | undefined> {
  let text: string;
  try {
    text = String(await client.call('CLUSTER', 'NODES'));
  } catch {
    return undefined;
  }
  const addressById = new Map<string, string>();
  const replicaLines: { master: string; node: CacheNode }[] = [];
  for (const line of text.split('\n')) {
    const [id, addr, flags, master, , , , link] = line.split(' ');
    if (!id || !addr || !flags) continue;
    const hostPort = addr.split('@')[0] ?? '';
    const colon = hostPort.lastIndexOf(':');
    const host = hostPort.slice(0, colon) || via.host;
    const node = nodeFromAddress(host, Number(hostPort.slice(colon + 1)));
    addressById.set(id, node.address);
    const usable = !/(^|,)(fail\??|noaddr|handshake)(,|$)/.test(flags) && link === 'connected';
    if (/(^|,)slave(,|$)/.test(flags) && master && master !== '-' && usable) replicaLines.push({ master, node });
  }
  const byMaster = new Map<string, CacheNode[]>();
  for (const { master, node } of replicaLines) {
    const address = addressById.get(master);
    if (!address) continue;
    const list = byMaster.get(address) ?? [];
    list.push(node);
    byMaster.set(address, list);
  }
  return byMaster;
}

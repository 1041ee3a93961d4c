/**
 * Starts real redis-server processes for tests (and the sandbox's test of itself): standalone
 * nodes, a Redis Cluster with optional replicas, and twemproxy in front of nodes. The recipes
 * are the sandbox's (src/adapters/sandbox/redis.ts); here they run as children of the test
 * process on random free ports, with a short cluster node timeout unless a test asks for more.
 * Every process is killed when its handle stops, and on process exit as a last resort.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { findNutcracker, formCluster, launchRedisServer, launchTwemproxy, PortTakenError, type LaunchedServer } from '../../src/adapters/sandbox/redis.js';
import { childLauncher, killAndWait } from './children.js';
import { freePort } from './ports.js';

/** Generous: two test files and other engineers' suites share two cores. */
const START_TIMEOUT_MS = 30_000;
/** Short, so failover tests do not wait long; a test wanting production timings passes --cluster-node-timeout. */
const TEST_NODE_TIMEOUT_MS = 1500;

export interface RedisProcess {
  port: number;
  address: string;
  child: ChildProcess;
  dir: string;
  /** A connected client; closed by stop(). */
  client(): Redis;
  stop(): Promise<void>;
  /** SIGKILL without cleanup of the dir, to simulate a crash. */
  kill(): Promise<void>;
}

export interface StartRedisOptions {
  port?: number;
  cluster?: boolean;
  args?: string[];
  /** Working dir (RDB/AOF files); reuse a killed node's dir to restart it with its data. */
  dir?: string;
}

/** What each started node is, for the recipes that watch it (the cluster's). */
const launched = new WeakMap<RedisProcess, LaunchedServer>();

/** Resolves once the node answers; a port lost to another process meanwhile is retried on a new one. */
export async function startRedis(options: StartRedisOptions = {}): Promise<RedisProcess> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOn(options.port ?? (await freePort()), options);
    } catch (error) {
      if (!(error instanceof PortTakenError) || options.port !== undefined || attempt >= 3) throw error;
    }
  }
}

async function startOn(port: number, options: StartRedisOptions): Promise<RedisProcess> {
  const dir = options.dir ?? mkdtempSync(join(tmpdir(), `cachectl-redis-${port}-`));
  const launcher = childLauncher();
  let server: LaunchedServer;
  try {
    server = await launchRedisServer(
      {
        name: `redis-server on ${port}`,
        port,
        dir,
        ...(options.cluster ? { clusterNodeTimeoutMs: TEST_NODE_TIMEOUT_MS } : {}),
        ...(options.args ? { extraArgs: options.args } : {}),
      },
      { launch: launcher.launch, timeoutMs: START_TIMEOUT_MS },
    );
  } catch (error) {
    const started = launcher.child();
    if (started) await killAndWait(started, 'SIGKILL');
    if (options.dir === undefined) rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  const child = launcher.started();
  const clients: Redis[] = [];
  const handle: RedisProcess = {
    port,
    address: `127.0.0.1:${port}`,
    child,
    dir,
    client() {
      const c = new Redis({ host: '127.0.0.1', port, lazyConnect: false, maxRetriesPerRequest: 1, retryStrategy: () => null });
      c.on('error', () => undefined);
      clients.push(c);
      return c;
    },
    async stop() {
      for (const c of clients.splice(0)) c.disconnect();
      await killAndWait(child, 'SIGTERM');
      rmSync(dir, { recursive: true, force: true });
    },
    async kill() {
      for (const c of clients.splice(0)) c.disconnect();
      await killAndWait(child, 'SIGKILL');
    },
  };
  launched.set(handle, server);
  return handle;
}

export interface RedisCluster {
  masters: RedisProcess[];
  replicas: RedisProcess[];
  /** `host:port,...` of the masters, for --cluster. */
  seeds: string;
  stop(): Promise<void>;
}

/**
 * A cluster of `masters` masters with `replicasPerMaster` replicas each, slots split evenly.
 * `args` go to every node after the defaults (e.g. a production-like --cluster-node-timeout 5000).
 */
export async function startCluster(masters = 3, replicasPerMaster = 0, options: { args?: string[] } = {}): Promise<RedisCluster> {
  const started = await Promise.allSettled(
    Array.from({ length: masters * (1 + replicasPerMaster) }, () => startRedis({ cluster: true, ...(options.args ? { args: options.args } : {}) })),
  );
  const nodes = started.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
  const stopAll = () => Promise.all(nodes.map((n) => n.stop())).then(() => undefined);
  try {
    const failed = started.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
    const member = (n: RedisProcess): LaunchedServer => {
      const server = launched.get(n);
      if (!server) throw new Error(`${n.address} was not started by startRedis`);
      return server;
    };
    await formCluster(nodes.slice(0, masters).map(member), START_TIMEOUT_MS, nodes.slice(masters).map(member));
  } catch (error) {
    await stopAll();
    throw error;
  }
  const masterNodes = nodes.slice(0, masters);
  return {
    masters: masterNodes,
    replicas: nodes.slice(masters),
    seeds: masterNodes.map((m) => m.address).join(','),
    stop: stopAll,
  };
}

/** Polls a condition that has no event to wait on (cluster gossip), with a deadline. */
export async function waitFor(check: () => Promise<boolean>, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      if (await check()) return;
    } catch {
      // not ready yet
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export interface Nutcracker {
  port: number;
  address: string;
  configFile: string;
  stop(): Promise<void>;
}

/**
 * Starts twemproxy with the given YAML (its `listen:` must use `port`). Ready once it accepts
 * connections: tests put it in front of nodes that are down on purpose.
 */
export async function startNutcracker(yamlFor: (port: number) => string): Promise<Nutcracker> {
  const [port, statsPort] = [await freePort(), await freePort()];
  const dir = mkdtempSync(join(tmpdir(), 'cachectl-nutcracker-'));
  const configFile = join(dir, 'nutcracker.yml');
  writeFileSync(configFile, yamlFor(port));
  const launcher = childLauncher();
  try {
    const bin = findNutcracker(process.env) ?? 'nutcracker';
    await launchTwemproxy({ bin, configFile, port, statsPort, dir, ready: 'connect' }, { launch: launcher.launch, timeoutMs: START_TIMEOUT_MS });
  } catch (error) {
    const started = launcher.child();
    if (started) await killAndWait(started, 'SIGKILL');
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  const child = launcher.started();
  return {
    port,
    address: `127.0.0.1:${port}`,
    configFile,
    async stop() {
      await killAndWait(child, 'SIGTERM');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

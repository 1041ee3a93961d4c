/**
 * Starts real redis-server processes for tests (and the sandbox's test of itself):
 * standalone nodes, a Redis Cluster with optional replicas, and twemproxy in front of nodes.
 * Every process is killed when its handle stops, and on process exit as a last resort.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { freePort } from './ports.js';

const live = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});

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

/** Resolves when redis-server logs that it accepts connections: an event, not a sleep. */
export async function startRedis(options: StartRedisOptions = {}): Promise<RedisProcess> {
  const port = options.port ?? (await freePort());
  const dir = options.dir ?? mkdtempSync(join(tmpdir(), `cachectl-redis-${port}-`));
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir, '--logfile', '', '--daemonize', 'no'];
  if (options.cluster) args.push('--cluster-enabled', 'yes', '--cluster-config-file', `nodes-${port}.conf`, '--cluster-node-timeout', '1500');
  args.push(...(options.args ?? []));
  const child = spawn('redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  live.add(child);
  await new Promise<void>((resolve, reject) => {
    let log = '';
    const onData = (chunk: Buffer) => {
      log += chunk.toString();
      if (log.includes('Ready to accept connections')) {
        child.stdout?.off('data', onData);
        resolve();
      }
    };
    child.stdout?.on('data', onData);
    child.once('exit', (code) => reject(new Error(`redis-server on ${port} exited with ${code}: ${log.slice(-500)}`)));
    child.once('error', reject);
  });
  child.stdout?.resume();
  child.stderr?.resume();
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
  return handle;
}

function killAndWait(child: ChildProcess, signal: NodeJS.Signals): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) {
    live.delete(child);
    return Promise.resolve();
  }
  return new Promise((resolve) => {
    child.once('exit', () => {
      live.delete(child);
      resolve();
    });
    child.kill(signal);
  });
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
 * Built with CLUSTER ADDSLOTSRANGE/MEET/REPLICATE directly (redis-cli --cluster create sleeps).
 * `args` go to every node after the defaults (e.g. a production-like --cluster-node-timeout 5000).
 */
export async function startCluster(masters = 3, replicasPerMaster = 0, options: { args?: string[] } = {}): Promise<RedisCluster> {
  const nodes = await Promise.all(Array.from({ length: masters * (1 + replicasPerMaster) }, () => startRedis({ cluster: true, ...(options.args ? { args: options.args } : {}) })));
  const masterNodes = nodes.slice(0, masters);
  const replicaNodes = nodes.slice(masters);
  const clients = nodes.map((n) => n.client());
  try {
    const per = Math.floor(16384 / masters);
    await Promise.all(
      masterNodes.map((_, i) => {
        const start = i * per;
        const end = i === masters - 1 ? 16383 : start + per - 1;
        return clients[i]!.call('CLUSTER', 'ADDSLOTSRANGE', String(start), String(end));
      }),
    );
    await Promise.all(clients.slice(1).map((c) => c.call('CLUSTER', 'MEET', '127.0.0.1', String(masterNodes[0]!.port))));
    const masterIds = await Promise.all(clients.slice(0, masters).map((c) => c.call('CLUSTER', 'MYID') as Promise<string>));
    await waitFor(async () => {
      const views = await Promise.all(clients.map((c) => c.call('CLUSTER', 'NODES') as Promise<string>));
      return views.every((v) => masterIds.every((id) => v.includes(id)));
    }, 'cluster nodes to meet');
    await Promise.all(
      replicaNodes.map((_, j) => clients[masters + j]!.call('CLUSTER', 'REPLICATE', masterIds[j % masters]!)),
    );
    await waitFor(async () => {
      const infos = await Promise.all(clients.map((c) => c.call('CLUSTER', 'INFO') as Promise<string>));
      if (!infos.every((i) => i.includes('cluster_state:ok'))) return false;
      if (replicaNodes.length === 0) return true;
      const repl = await Promise.all(clients.slice(masters).map((c) => c.info('replication')));
      return repl.every((r) => r.includes('master_link_status:up'));
    }, 'cluster_state:ok on every node');
  } catch (error) {
    await Promise.all(nodes.map((n) => n.stop()));
    throw error;
  }
  return {
    masters: masterNodes,
    replicas: replicaNodes,
    seeds: masterNodes.map((m) => m.address).join(','),
    async stop() {
      await Promise.all(nodes.map((n) => n.stop()));
    },
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

/** Starts twemproxy with the given YAML (its `listen:` must use `port`). */
export async function startNutcracker(yamlFor: (port: number) => string): Promise<Nutcracker> {
  const port = await freePort();
  const statsPort = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'cachectl-nutcracker-'));
  const configFile = join(dir, 'nutcracker.yml');
  writeFileSync(configFile, yamlFor(port));
  const bin = process.env.NUTCRACKER_BIN ?? 'nutcracker';
  const child = spawn(bin, ['-c', configFile, '-s', String(statsPort), '-a', '127.0.0.1', '-o', join(dir, 'nutcracker.log')], { stdio: 'ignore' });
  live.add(child);
  const exited = new Promise<never>((_, reject) => child.once('exit', (code) => reject(new Error(`nutcracker exited with ${code}; config:\n${yamlFor(port)}`))));
  const ready = Promise.race([
    waitFor(async () => {
      // twemproxy closes the connection on CLIENT SETINFO and INFO, which ioredis sends by default.
      const probe = new Redis({ host: '127.0.0.1', port, lazyConnect: true, retryStrategy: () => null, maxRetriesPerRequest: 0, enableReadyCheck: false, disableClientInfo: true });
      probe.on('error', () => undefined);
      try {
        await probe.connect();
        return true;
      } finally {
        probe.disconnect();
      }
    }, `nutcracker on ${port}`),
    exited,
  ]);
  exited.catch(() => undefined);
  try {
    await ready;
  } catch (error) {
    await killAndWait(child, 'SIGKILL');
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
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

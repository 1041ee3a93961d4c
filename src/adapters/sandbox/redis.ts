/**
 * Redis recipes shared by the sandbox and the tests: a redis-server process, a cluster formed
 * from such processes (with replicas), twemproxy in front of nodes, and the waits in between.
 * How a process is spawned (detached or a child) and how long each wait may take are the
 * caller's; the sandbox's own wrappers (startRedisNode, startTwemproxy) give its folders and roles.
 */
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { isSameProcess, listensOn, spawnDetached, type Launch, type ProcessIdentity } from './processes.js';
import type { SandboxProcess, SandboxRole } from './state.js';

/** A server process being waited on: failures name it and quote the end of its log. */
export interface LaunchedServer extends ProcessIdentity {
  name: string;
  port: number;
  logFile: string;
}

export interface RecipeOptions {
  launch: Launch;
  timeoutMs: number;
  /** Called as soon as the OS has started the process, before it is ready, so a failed start can still stop it. */
  onSpawned?: (proc: LaunchedServer) => void;
  env?: NodeJS.ProcessEnv;
}

export interface RedisServerSpec {
  name: string;
  port: number;
  /** Its working folder (RDB/AOF, nodes.conf, the log), used as it is: a restart may reuse one with its data. */
  dir: string;
  /** Cluster mode, with this node timeout (the sandbox's is production-like, the tests' short). */
  clusterNodeTimeoutMs?: number;
  /** After the defaults, so they win: redis-server keeps the last value given for a setting. */
  extraArgs?: readonly string[];
}

/** Ready when it answers PING; with --requirepass a NOAUTH reply proves as much. */
export async function launchRedisServer(spec: RedisServerSpec, options: RecipeOptions): Promise<LaunchedServer> {
  const logFile = join(spec.dir, 'redis.log');
  const args = [
    '--port',
    String(spec.port),
    '--bind',
    '127.0.0.1',
    '--dir',
    spec.dir,
    '--save',
    '',
    '--appendonly',
    'no',
    '--daemonize',
    'no',
    '--logfile',
    logFile,
  ];
  if (spec.clusterNodeTimeoutMs !== undefined)
    args.push('--cluster-enabled', 'yes', '--cluster-config-file', 'nodes.conf', '--cluster-node-timeout', String(spec.clusterNodeTimeoutMs));
  args.push(...(spec.extraArgs ?? []));
  const env = options.env ?? process.env;
  const identity = await options.launch({ command: env.REDIS_SERVER_BIN ?? 'redis-server', args, logFile: join(spec.dir, 'stdout.log'), env });
  const proc: LaunchedServer = { ...identity, name: spec.name, port: spec.port, logFile };
  options.onSpawned?.(proc);
  await waitUntil(() => answers(spec.port), proc, options.timeoutMs, `${spec.name} (redis-server on port ${spec.port}) to answer PING`, spec.port);
  return proc;
}

export interface RedisNodeSpec {
  name: string;
  role: SandboxRole;
  port: number;
  cluster: boolean;
}

/** Recorded as soon as the OS has started it, before it is ready, so a failed `up` can stop it. */
export type OnSpawned = (proc: SandboxProcess) => void;

/** The sandbox's cluster members time out like a production cluster's. */
const SANDBOX_NODE_TIMEOUT_MS = 5000;

export async function startRedisNode(
  dir: string,
  spec: RedisNodeSpec,
  timeoutMs: number,
  onSpawned: OnSpawned,
  env: NodeJS.ProcessEnv,
): Promise<SandboxProcess> {
  const nodeDir = join(dir, spec.name);
  // A fresh folder: a retried start must not read the last attempt's log or nodes.conf.
  rmSync(nodeDir, { recursive: true, force: true });
  mkdirSync(nodeDir, { recursive: true });
  const server = await launchRedisServer(
    { name: spec.name, port: spec.port, dir: nodeDir, ...(spec.cluster ? { clusterNodeTimeoutMs: SANDBOX_NODE_TIMEOUT_MS } : {}) },
    { launch: spawnDetached, timeoutMs, env, onSpawned: (p) => onSpawned({ ...p, role: spec.role }) },
  );
  return { ...server, role: spec.role };
}

/** One short-lived client, never retrying: used for readiness and health probes. */
export async function withClient<T>(port: number, fn: (client: Redis) => Promise<T>): Promise<T> {
  // No CLIENT SETINFO and no INFO ready check: twemproxy answers neither.
  const client = new Redis({
    host: '127.0.0.1',
    port,
    lazyConnect: true,
    connectTimeout: 1_000,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    enableOfflineQueue: false,
    enableReadyCheck: false,
    disableClientInfo: true,
  });
  client.on('error', () => undefined);
  try {
    await client.connect();
    return await fn(client);
  } finally {
    client.disconnect();
  }
}

export async function ping(port: number): Promise<boolean> {
  try {
    return (await withClient(port, (c) => c.ping())) === 'PONG';
  } catch {
    return false;
  }
}

/** Up and serving: PONG, or NOAUTH from a node with a password (LOADING is not ready yet). */
async function answers(port: number): Promise<boolean> {
  try {
    return (await withClient(port, (c) => c.ping())) === 'PONG';
  } catch (error) {
    return error instanceof Error && error.message.startsWith('NOAUTH');
  }
}

export type ClusterMember = ProcessIdentity & { port: number; name: string; logFile?: string };

/**
 * Slots split evenly over the masters, every node introduced to the first, each replica attached
 * to a master in turn; then waits until every node has cluster_state:ok and knows every other,
 * and every replica's link to its master is up. CLUSTER ADDSLOTSRANGE/MEET/REPLICATE directly:
 * `redis-cli --cluster create` sleeps.
 */
export async function formCluster(masters: readonly ClusterMember[], timeoutMs: number, replicas: readonly ClusterMember[] = []): Promise<void> {
  const all = [...masters, ...replicas];
  const per = Math.floor(16384 / masters.length);
  await Promise.all(
    masters.map((m, i) => {
      const start = i * per;
      const end = i === masters.length - 1 ? 16383 : start + per - 1;
      return withClient(m.port, async (c) => {
        try {
          await c.call('CLUSTER', 'ADDSLOTSRANGE', String(start), String(end));
        } catch (error) {
          const view = (await c.call('CLUSTER', 'NODES').catch(() => '')) as string;
          throw new Error(`${m.name} (port ${m.port}, pid ${m.pid}): ${error instanceof Error ? error.message : String(error)}; it knows:\n${view}`);
        }
      });
    }),
  );
  const first = masters[0];
  if (!first) throw new Error('a cluster needs at least one master');
  await Promise.all(all.slice(1).map((m) => withClient(m.port, (c) => c.call('CLUSTER', 'MEET', '127.0.0.1', String(first.port)))));
  if (replicas.length > 0) {
    const masterIds = await Promise.all(masters.map((m) => withClient(m.port, (c) => c.call('CLUSTER', 'MYID') as Promise<string>)));
    // CLUSTER REPLICATE needs the replica to know its master already.
    await waitUntil(
      async () => {
        const views = await Promise.all(replicas.map((r) => withClient(r.port, (c) => c.call('CLUSTER', 'NODES') as Promise<string>)));
        return views.every((v) => masterIds.every((id) => v.includes(id)));
      },
      all,
      timeoutMs,
      'every replica to know every master',
    );
    await Promise.all(replicas.map((r, j) => withClient(r.port, (c) => c.call('CLUSTER', 'REPLICATE', masterIds[j % masters.length] as string))));
  }
  await waitUntil(
    async () => {
      const infos = await Promise.all(all.map((m) => withClient(m.port, (c) => c.call('CLUSTER', 'INFO') as Promise<string>).catch(() => '')));
      if (!infos.every((i) => i.includes('cluster_state:ok') && i.includes(`cluster_known_nodes:${all.length}`))) return false;
      const links = await Promise.all(replicas.map((r) => withClient(r.port, (c) => c.info('replication'))));
      return links.every((l) => l.includes('master_link_status:up'));
    },
    all,
    timeoutMs,
    replicas.length > 0 ? 'cluster_state:ok on every cluster node and every replica in sync' : 'cluster_state:ok on every cluster node',
  );
}

/** The pool name in the sandbox's twemproxy file; --ring-config picks it as the only pool. */
export const TWEMPROXY_POOL = 'sandbox';

/** A twemproxy pool over the ring nodes; the same file is the --ring-config for cachectl. */
export function twemproxyYaml(listenPort: number, ring: { port: number; name: string }[], hash: string): string {
  return [
    `# Written by cachectl sandbox up. twemproxy (nutcracker) reads it, and so does`,
    `# cachectl --ring-config, so the proxy and cachectl place every key on the same node.`,
    `${TWEMPROXY_POOL}:`,
    `  listen: 127.0.0.1:${listenPort}`,
    `  hash: ${hash}`,
    `  distribution: ketama`,
    `  redis: true`,
    `  auto_eject_hosts: false`,
    `  server_connections: 1`,
    `  servers:`,
    ...ring.map((n) => `    - 127.0.0.1:${n.port}:1 ${n.name}`),
    '',
  ].join('\n');
}

/** Where nutcracker is, if installed (Debian puts it in /usr/sbin, often not on a user's PATH). */
export function findNutcracker(env: NodeJS.ProcessEnv): string | undefined {
  if (env.NUTCRACKER_BIN) return env.NUTCRACKER_BIN;
  const dirs = [...(env.PATH ?? '').split(':').filter(Boolean), '/usr/sbin', '/usr/local/sbin', '/usr/local/bin', '/opt/homebrew/bin'];
  return dirs.map((d) => join(d, 'nutcracker')).find((p) => existsSync(p));
}

export interface TwemproxySpec {
  bin: string;
  configFile: string;
  port: number;
  statsPort: number;
  /** Its log goes here. */
  dir: string;
  /**
   * ping: a PING through it proves the whole path (twemproxy connects to its servers lazily);
   * connect: it accepts connections, for a proxy put in front of servers that are down on purpose.
   */
  ready: 'ping' | 'connect';
}

export async function launchTwemproxy(spec: TwemproxySpec, options: RecipeOptions): Promise<LaunchedServer> {
  const logFile = join(spec.dir, 'nutcracker.log');
  const identity = await options.launch({
    command: spec.bin,
    args: ['-c', spec.configFile, '-s', String(spec.statsPort), '-a', '127.0.0.1', '-o', logFile],
    logFile: join(spec.dir, 'stdout.log'),
    ...(options.env ? { env: options.env } : {}),
  });
  const proc: LaunchedServer = { ...identity, name: 'twemproxy', port: spec.port, logFile };
  options.onSpawned?.(proc);
  const check = spec.ready === 'ping' ? () => ping(spec.port) : () => withClient(spec.port, async () => true);
  await waitUntil(
    check,
    proc,
    options.timeoutMs,
    `twemproxy on port ${spec.port} to ${spec.ready === 'ping' ? 'answer PING' : 'accept connections'}`,
    spec.port,
  );
  return proc;
}

export async function startTwemproxy(
  dir: string,
  bin: string,
  ports: { port: number; statsPort: number },
  configFile: string,
  timeoutMs: number,
  onSpawned: OnSpawned,
): Promise<SandboxProcess> {
  const workDir = join(dir, 'twemproxy');
  rmSync(workDir, { recursive: true, force: true });
  mkdirSync(workDir, { recursive: true });
  const proxy = await launchTwemproxy(
    { bin, configFile, port: ports.port, statsPort: ports.statsPort, dir: workDir, ready: 'ping' },
    { launch: spawnDetached, timeoutMs, onSpawned: (p) => onSpawned({ ...p, role: 'twemproxy' }) },
  );
  return { ...proxy, role: 'twemproxy' };
}

/** Another process took the port between our check and the server's bind: try the next one. */
export class PortTakenError extends Error {
  constructor(
    readonly port: number,
    message: string,
  ) {
    super(message);
  }
}

type Watched = ProcessIdentity & { logFile?: string; name?: string };

/**
 * Polls `check` until true: a server in another session gives no event to wait on. With `port`,
 * the answer only counts once our process is the one listening there. Fails at once, with the
 * end of its log, if a watched process dies meanwhile; a lost port race is a PortTakenError.
 */
export async function waitUntil(
  check: () => Promise<boolean>,
  watched: Watched | readonly Watched[],
  timeoutMs: number,
  what: string,
  port?: number,
): Promise<void> {
  const procs: readonly Watched[] = Array.isArray(watched) ? watched : [watched as Watched];
  const deadline = Date.now() + timeoutMs;
  // Starts fast (a local server is up in milliseconds) and settles at 50 ms.
  for (let tick = 5; ; tick = Math.min(50, tick * 2)) {
    const ours = procs.every((p) => isSameProcess(p) && (port === undefined || listensOn(p.pid, port) !== false));
    if (ours && (await check().catch(() => false))) return;
    const dead = procs.find((p) => !isSameProcess(p));
    if (dead) {
      if (port !== undefined && /Address already in use|EADDRINUSE/i.test(logEnd(dead.logFile)))
        throw new PortTakenError(port, `port ${port} was taken by another process`);
      throw new Error(`${dead.name ?? dead.command} exited while waiting for ${what}${logTail(dead.logFile)}`);
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${logTail(procs[0]?.logFile)}`);
    await new Promise((r) => setTimeout(r, tick));
  }
}

function logEnd(file: string | undefined): string {
  return file && existsSync(file) ? readFileSync(file, 'utf8').slice(-8000) : '';
}

function logTail(file: string | undefined): string {
  if (!file || !existsSync(file)) return '';
  const lines = readFileSync(file, 'utf8').trim().split('\n').slice(-5);
  return lines.length > 0 && lines[0] ? `; last log lines (${file}):\n  ${lines.join('\n  ')}` : '';
}

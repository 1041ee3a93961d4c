/**
 * The sandbox's Redis side: detached redis-server processes (cluster members and standalone
 * ring nodes), the cluster formed from them, and twemproxy in front of the ring nodes.
 */
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { isSameProcess, listensOn, spawnDetached, type ProcessIdentity } from './processes.js';
import type { SandboxProcess, SandboxRole } from './state.js';

export interface RedisNodeSpec {
  name: string;
  role: SandboxRole;
  port: number;
  cluster: boolean;
}

/** Recorded as soon as the OS has started it, before it is ready, so a failed `up` can stop it. */
export type OnSpawned = (proc: SandboxProcess) => void;

export async function startRedisNode(dir: string, spec: RedisNodeSpec, timeoutMs: number, onSpawned: OnSpawned, env: NodeJS.ProcessEnv): Promise<SandboxProcess> {
  const nodeDir = join(dir, spec.name);
  // A fresh folder: a retried start must not read the last attempt's log or nodes.conf.
  rmSync(nodeDir, { recursive: true, force: true });
  mkdirSync(nodeDir, { recursive: true });
  const logFile = join(nodeDir, 'redis.log');
  const args = ['--port', String(spec.port), '--bind', '127.0.0.1', '--dir', nodeDir, '--save', '', '--appendonly', 'no', '--daemonize', 'no', '--logfile', logFile];
  if (spec.cluster) args.push('--cluster-enabled', 'yes', '--cluster-config-file', 'nodes.conf', '--cluster-node-timeout', '5000');
  const identity = await spawnDetached({ command: env.REDIS_SERVER_BIN ?? 'redis-server', args, logFile: join(nodeDir, 'stdout.log'), env });
  const proc: SandboxProcess = { ...identity, name: spec.name, role: spec.role, port: spec.port, logFile };
  onSpawned(proc);
  await waitUntil(() => ping(spec.port), proc, timeoutMs, `${spec.name} (redis-server on port ${spec.port}) to answer PING`, spec.port);
  return proc;
}

/** One short-lived client, never retrying: used for readiness and health probes. */
export async function withClient<T>(port: number, fn: (client: Redis) => Promise<T>): Promise<T> {
  // No CLIENT SETINFO and no INFO ready check: twemproxy answers neither.
  const client = new Redis({ host: '127.0.0.1', port, lazyConnect: true, connectTimeout: 1_000, maxRetriesPerRequest: 0, retryStrategy: () => null, enableOfflineQueue: false, enableReadyCheck: false, disableClientInfo: true });
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

/** Slots split evenly, every node introduced to the first, then wait for cluster_state:ok everywhere. */
export async function formCluster(members: SandboxProcess[], timeoutMs: number): Promise<void> {
  const per = Math.floor(16384 / members.length);
  await Promise.all(
    members.map((m, i) => {
      const start = i * per;
      const end = i === members.length - 1 ? 16383 : start + per - 1;
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
  const first = members[0];
  if (!first) throw new Error('a cluster needs at least one member');
  await Promise.all(members.slice(1).map((m) => withClient(m.port, (c) => c.call('CLUSTER', 'MEET', '127.0.0.1', String(first.port)))));
  await waitUntil(
    async () => {
      const infos = await Promise.all(members.map((m) => withClient(m.port, (c) => c.call('CLUSTER', 'INFO') as Promise<string>).catch(() => '')));
      return infos.every((i) => i.includes('cluster_state:ok') && i.includes(`cluster_known_nodes:${members.length}`));
    },
    first,
    timeoutMs,
    'cluster_state:ok on every cluster node',
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

export async function startTwemproxy(dir: string, bin: string, ports: { port: number; statsPort: number }, configFile: string, timeoutMs: number, onSpawned: OnSpawned): Promise<SandboxProcess> {
  const workDir = join(dir, 'twemproxy');
  rmSync(workDir, { recursive: true, force: true });
  mkdirSync(workDir, { recursive: true });
  const logFile = join(workDir, 'nutcracker.log');
  const identity = await spawnDetached({
    command: bin,
    args: ['-c', configFile, '-s', String(ports.statsPort), '-a', '127.0.0.1', '-o', logFile],
    logFile: join(workDir, 'stdout.log'),
  });
  const port = ports.port;
  const proc: SandboxProcess = { ...identity, name: 'twemproxy', role: 'twemproxy', port, logFile };
  onSpawned(proc);
  // twemproxy connects to its servers lazily, so a PING through it proves the whole path.
  await waitUntil(() => ping(port), proc, timeoutMs, `twemproxy on port ${port} to answer PING`, port);
  return proc;
}

/** Another process took the port between our check and the server's bind: try the next one. */
export class PortTakenError extends Error {
  constructor(readonly port: number, message: string) {
    super(message);
  }
}

/**
 * Polls `check` until true: a server in another session gives no event to wait on. With `port`,
 * the answer only counts once our process is the one listening there. Fails at once, with the
 * end of its log, if the process dies meanwhile; a lost port race is a PortTakenError.
 */
export async function waitUntil(check: () => Promise<boolean>, proc: ProcessIdentity & { logFile?: string; name?: string }, timeoutMs: number, what: string, port?: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ours = isSameProcess(proc) && (port === undefined || listensOn(proc.pid, port) !== false);
    if (ours && (await check().catch(() => false))) return;
    if (!isSameProcess(proc)) {
      if (port !== undefined && /Address already in use|EADDRINUSE/i.test(logEnd(proc.logFile))) throw new PortTakenError(port, `port ${port} was taken by another process`);
      throw new Error(`${proc.name ?? proc.command} exited while waiting for ${what}${logTail(proc.logFile)}`);
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${logTail(proc.logFile)}`);
    await new Promise((r) => setTimeout(r, 50));
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

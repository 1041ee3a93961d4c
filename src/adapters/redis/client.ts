/**
 * One ioredis client per node. Every client gets an 'error' listener (an unhandled one
 * crashes the process), a short connect timeout and a bounded reconnect policy.
 */
import { Redis, type RedisOptions } from 'ioredis';
import { ConnectionError, redact } from '../../errors.js';
import { DEFAULTS } from '../../config/defaults.js';
import type { RedisAuth } from '../../config/target.js';
import type { CacheNode } from '../../topology/types.js';
import { tlsOptionsFor } from './tls.js';

export interface ClientOptions {
  connectTimeoutMs?: number;
  /** Reconnect attempts before a node counts as down (0: fail at once). */
  reconnectAttempts?: number;
  /** Called with every connection-level error, for diagnostics. */
  onError?: (node: CacheNode, error: Error) => void;
  /** Connection name shown in CLIENT LIST. */
  connectionName?: string;
  /** Longest wait for one reply before the command fails (--timeout; none by default: warm and herd bound their own waits). */
  commandTimeoutMs?: number;
}

/** ioredis reports an AUTH failure as an 'error' event and then "Connection is closed". */
const lastErrors = new WeakMap<Redis, Error>();

export function createNodeClient(node: CacheNode, auth: RedisAuth, options: ClientOptions = {}): Redis {
  const attempts = options.reconnectAttempts ?? 20;
  const tls = tlsOptionsFor(auth, node.host);
  const redisOptions: RedisOptions = {
    ...(node.socket ? { path: node.socket } : { host: node.host, port: node.port }),
    username: auth.username,
    password: auth.password,
    ...(auth.db ? { db: auth.db } : {}),
    lazyConnect: true,
    connectTimeout: options.connectTimeoutMs ?? DEFAULTS.connection.connectTimeoutMs,
    ...(options.commandTimeoutMs !== undefined ? { commandTimeout: options.commandTimeoutMs } : {}),
    connectionName: options.connectionName ?? 'cachectl',
    // Commands wait for a reconnect rather than failing instantly; the writer's retry
    // policy owns the retry budget, so ioredis itself does not re-send.
    maxRetriesPerRequest: 0,
    enableAutoPipelining: false,
    retryStrategy: (times) => (times > attempts ? null : Math.min(50 * 2 ** Math.min(times, 5), 1000)),
    ...(tls ? { tls } : {}),
  };
  const client = new Redis(redisOptions);
  client.on('error', (error: Error) => {
    lastErrors.set(client, error);
    options.onError?.(node, error);
  });
  return client;
}

/** Turns a connect/auth failure into the one line an operator needs. */
export function describeConnectFailure(node: CacheNode, error: unknown): ConnectionError {
  const message = error instanceof Error ? error.message : String(error);
  let hint: string;
  if (/WRONGPASS|NOAUTH|invalid password|AUTH.*without any password/i.test(message)) {
    hint = 'authentication failed: check the password (--redis-password, REDIS_PASSWORD or the URL)';
  } else if (/ECONNREFUSED/.test(message)) {
    hint = 'connection refused: is redis-server running there?';
  } else if (/ENOTFOUND|EAI_AGAIN/.test(message)) {
    hint = 'host name does not resolve';
  } else if (/Command timed out|no answer within/i.test(message)) {
    hint = message;
  } else if (/ETIMEDOUT|timeout/i.test(message)) {
    hint = 'connection timed out';
  } else if (/ENOENT|EACCES/.test(message) && node.socket) {
    hint = `cannot open the socket ${node.socket} (${/EACCES/.test(message) ? 'permission denied' : 'no such file'}): is redis-server's unixsocket set to this path?`;
  } else {
    hint = message;
  }
  return new ConnectionError(`cannot connect to Redis at ${node.name === node.address ? node.address : `${node.name} (${node.address})`}: ${redact(hint)}`, {
    cause: error,
  });
}

/**
 * Connects and pings; rejects with a ConnectionError that names the node. With `timeoutMs` a
 * node that accepts the connection but does not answer (CLIENT PAUSE, a stalled host) fails after
 * that long instead of holding the run until the kernel gives up.
 */
export async function connectAndPing(client: Redis, node: CacheNode, timeoutMs?: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  try {
    const ping = (async () => {
      if (client.status === 'wait') await client.connect();
      await client.ping();
    })();
    if (timeoutMs === undefined) await ping;
    else {
      ping.catch(() => undefined);
      await Promise.race([
        ping,
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs}ms (--timeout): the node is slow or paused`)), timeoutMs);
        }),
      ]);
    }
  } catch (error) {
    const detail = lastErrors.get(client);
    throw describeConnectFailure(node, detail && /Connection is closed/.test(String(error)) ? detail : error);
  } finally {
    if (timer) clearTimeout(timer);
  }
}

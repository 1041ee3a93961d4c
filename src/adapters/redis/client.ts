/**
 * One ioredis client per node. Every client gets an 'error' listener (an unhandled one
 * crashes the process), a short connect timeout and a bounded reconnect policy.
 */
import { Redis, type RedisOptions } from 'ioredis';
import { ConnectionError, redact } from '../../errors.js';
import { DEFAULTS } from '../../config/defaults.js';
import type { RedisAuth } from '../../config/target.js';
import type { CacheNode } from '../../topology/types.js';

export interface ClientOptions {
  connectTimeoutMs?: number;
  /** Reconnect attempts before a node counts as down (0: fail at once). */
  reconnectAttempts?: number;
  /** Called with every connection-level error, for diagnostics. */
  onError?: (node: CacheNode, error: Error) => void;
  /** Connection name shown in CLIENT LIST. */
  connectionName?: string;
}

/** ioredis reports an AUTH failure as an 'error' event and then "Connection is closed". */
const lastErrors = new WeakMap<Redis, Error>();

export function createNodeClient(node: CacheNode, auth: RedisAuth, options: ClientOptions = {}, url?: string): Redis {
  const attempts = options.reconnectAttempts ?? 20;
  const redisOptions: RedisOptions = {
    host: node.host,
    port: node.port,
    username: auth.username,
    password: auth.password,
    lazyConnect: true,
    connectTimeout: options.connectTimeoutMs ?? DEFAULTS.connection.connectTimeoutMs,
    connectionName: options.connectionName ?? 'cachectl',
    // Commands wait for a reconnect rather than failing instantly; the writer's retry
    // policy owns the retry budget, so ioredis itself does not re-send.
    maxRetriesPerRequest: 0,
    enableAutoPipelining: false,
    retryStrategy: (times) => (times > attempts ? null : Math.min(50 * 2 ** Math.min(times, 5), 1000)),
    ...(auth.tls ? { tls: {} } : {}),
  };
  const client = url ? new Redis(url, { ...redisOptions, host: undefined, port: undefined }) : new Redis(redisOptions);
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
  } else if (/ETIMEDOUT|timeout/i.test(message)) {
    hint = 'connection timed out';
  } else {
    hint = message;
  }
  return new ConnectionError(`cannot connect to Redis at ${node.name === node.address ? node.address : `${node.name} (${node.address})`}: ${redact(hint)}`, { cause: error });
}

/** Connects and pings; rejects with a ConnectionError that names the node. */
export async function connectAndPing(client: Redis, node: CacheNode): Promise<void> {
  try {
    if (client.status === 'wait') await client.connect();
    await client.ping();
  } catch (error) {
    const detail = lastErrors.get(client);
    throw describeConnectFailure(node, detail && /Connection is closed/.test(String(error)) ? detail : error);
  }
}

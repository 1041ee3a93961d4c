/**
 * What answers at a --redis address: a standalone Redis, a Redis Cluster node, or a twemproxy.
 * Asked over a bare connection (no CLIENT SETNAME, no INFO ready check): twemproxy closes the
 * connection on any command it does not forward, which ioredis can only report as "Connection is
 * closed". A PING it answers followed by an INFO it hangs up on is twemproxy's signature.
 */
import { RespBuffer } from './resp-buffer.js';
import { RespConnection, type RespAuth } from './resp-connection.js';
import type { CacheNode } from '../../topology/types.js';
import { UsageError } from '../../errors.js';

/** 'silent': accepted the connection but did not answer PING within the reply timeout. */
export type NodeIdentity = 'redis' | 'cluster-node' | 'twemproxy' | 'silent' | 'unknown';

export async function identifyNode(node: CacheNode, auth: RespAuth, connectTimeoutMs: number, replyTimeoutMs: number): Promise<NodeIdentity> {
  // SELECT is left out: a proxy that forwards it would hide the signature behind an error.
  const conn = new RespConnection(node, { ...auth, db: 0 }, connectTimeoutMs, replyTimeoutMs);
  try {
    const ping = new RespBuffer();
    ping.command1('PING');
    const pinged = Date.now();
    try {
      await conn.send(ping);
    } catch (error) {
      // An unreadable --cacert/--cert/--tls-key is the user's to fix, not a node's state.
      if (error instanceof UsageError) throw error;
      return Date.now() - pinged >= replyTimeoutMs * 0.9 ? 'silent' : 'unknown';
    }
    const info = new RespBuffer();
    info.command2('INFO', 'cluster');
    let reply: unknown;
    const sent = Date.now();
    try {
      [reply] = await conn.send(info);
    } catch (error) {
      // A hang-up, not our own reply timeout (a node that stalls is not a proxy).
      const hungUp = Date.now() - sent < replyTimeoutMs / 2;
      return hungUp && /Connection is closed|ECONNRESET/.test(String(error)) ? 'twemproxy' : 'unknown';
    }
    if (reply instanceof Error) return 'unknown';
    return /cluster_enabled:1/.test(String(reply)) ? 'cluster-node' : 'redis';
  } finally {
    conn.close();
  }
}

/**
 * What a Redis error reply or a connection failure means for a warm: follow a redirect,
 * retry later, or give up on the key with the server's reason.
 */
export type ReplyAction =
  | { kind: 'moved'; address: string }
  | { kind: 'ask'; address: string }
  /** Retry with backoff; `refresh` re-reads the cluster's slot map first (failover). */
  | { kind: 'retry'; refresh: boolean; reason: string }
  | { kind: 'fail'; reason: string };

const TRANSIENT_REPLY = /^(LOADING|TRYAGAIN|CLUSTERDOWN|BUSY|MASTERDOWN)\b/;
const CONNECTION =
  /Connection is closed|ECONNRESET|ECONNREFUSED|EPIPE|ETIMEDOUT|ENOTCONN|Stream isn't writeable|MaxRetriesPerRequest|Reached the max retries|socket hang up|connect ETIMEDOUT/i;

export function classifyError(error: Error, cluster: boolean): ReplyAction {
  const message = error.message;
  if (message.startsWith('MOVED ')) return { kind: 'moved', address: message.split(' ')[2] ?? '' };
  if (message.startsWith('ASK ')) return { kind: 'ask', address: message.split(' ')[2] ?? '' };
  if (TRANSIENT_REPLY.test(message)) return { kind: 'retry', refresh: cluster && message.startsWith('CLUSTERDOWN'), reason: firstLine(message) };
  // A master that became a replica (failover) answers READONLY: the slot moved elsewhere.
  if (message.startsWith('READONLY'))
    return cluster ? { kind: 'retry', refresh: true, reason: firstLine(message) } : { kind: 'fail', reason: firstLine(message) };
  if (CONNECTION.test(message) || CONNECTION.test(error.name)) return { kind: 'retry', refresh: cluster, reason: `connection: ${firstLine(message)}` };
  return { kind: 'fail', reason: firstLine(message) };
}

function firstLine(text: string): string {
  const nl = text.indexOf('\n');
  return nl < 0 ? text : text.slice(0, nl);
}

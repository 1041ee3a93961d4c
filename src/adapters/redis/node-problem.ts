/**
 * Tells "the node is down" from "the node refused this command" (renamed or disabled commands,
 * ACL NOPERM, managed services that block SCAN, CONFIG or EVAL), so inspect can say which.
 */
import type { NodeProblem } from '../../core/inspect/types.js';
import { redact } from '../../errors.js';

const CONNECTION =
  /ECONNREFUSED|ECONNRESET|ETIMEDOUT|EHOSTUNREACH|ENOTFOUND|EPIPE|Connection is closed|Stream isn't writeable|connect ETIMEDOUT|MaxRetriesPerRequest|Reached the max retries|cannot connect|connection refused|timed out|LOADING/i;

export function problemOf(error: unknown, command: string): NodeProblem {
  const message = redact(error instanceof Error ? error.message : String(error));
  if (CONNECTION.test(message) && !isReplyError(error)) return { status: 'down', message };
  const named = /unknown command [`']([^`']+)[`']|run the '([^']+)' command|permissions to run the '([^']+)'/i.exec(message);
  const refused = named ? (named[1] ?? named[2] ?? named[3] ?? command) : command;
  return { status: 'refused', command: refused.toUpperCase(), message: message.split('\n')[0] as string };
}

/** Errors the server answered with (a reply), as opposed to the connection failing. */
export function isReplyError(error: unknown): boolean {
  return error instanceof Error && error.name === 'ReplyError';
}

/** How a PostgreSQL error affects a warm batch, from its SQLSTATE (or the socket error). */
export type PgErrorKind = 'input' | 'transient' | 'timeout' | 'other';

export function classifyPgError(error: unknown): PgErrorKind {
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string') {
    // Class 22 (data exception: a key that does not cast, out of range) is caused by the batch's input.
    if (code.startsWith('22')) return 'input';
    if (code === '57014') return 'timeout';
    // Serialization, deadlock, admin/crash shutdown, cannot connect now, too many connections, connection exceptions.
    if (['40001', '40P01', '57P01', '57P02', '57P03', '53300'].includes(code) || code.startsWith('08')) return 'transient';
    if (/^E[A-Z]+$/.test(code) && /ECONNRESET|ECONNREFUSED|ETIMEDOUT|EPIPE|ENOTCONN/.test(code)) return 'transient';
  }
  const message = error instanceof Error ? error.message : String(error);
  if (/Connection terminated|connection timeout|ECONNRESET|ECONNREFUSED|EPIPE|Client has encountered a connection error/i.test(message)) return 'transient';
  return 'other';
}

export function pgMessage(error: unknown): string {
  const e = error as { message?: string; code?: string };
  const message = e.message ?? String(error);
  return e.code && /^[0-9A-Z]{5}$/.test(e.code) ? `${message} (SQLSTATE ${e.code})` : message;
}

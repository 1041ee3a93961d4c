/**
 * The one place that opens PostgreSQL connections: application_name and statement_timeout
 * on every connection, an 'error' listener on the pool, connect failures as exit 3.
 */
import type pg from 'pg';
import { pgDriver } from './pg-driver.js';
import { ConnectionError, redact } from '../../errors.js';
import { DEFAULTS } from '../../config/defaults.js';

export interface PgOptions {
  url?: string;
  max?: number;
  statementTimeoutMs?: number;
  applicationName?: string;
  onError?: (error: Error) => void;
}

export function createPgPool(options: PgOptions): pg.Pool {
  const pool = new pgDriver.Pool({
    connectionString: options.url,
    max: options.max ?? DEFAULTS.warm.pgConcurrency,
    application_name: options.applicationName ?? DEFAULTS.connection.applicationName,
    statement_timeout: options.statementTimeoutMs ?? DEFAULTS.connection.statementTimeoutMs,
    connectionTimeoutMillis: DEFAULTS.connection.connectTimeoutMs,
  });
  // An idle client losing its connection emits on the pool; without a listener that kills the process.
  pool.on('error', (error) => options.onError?.(error));
  return pool;
}

/** Connects once to fail fast with one clear line (exit 3) instead of on the first batch. */
export async function verifyPg(pool: pg.Pool, url: string | undefined): Promise<void> {
  try {
    const client = await pool.connect();
    client.release();
  } catch (error) {
    throw describePgConnectFailure(error, url);
  }
}

export function describePgConnectFailure(error: unknown, url: string | undefined): ConnectionError {
  const message = error instanceof Error ? error.message : String(error);
  const where = url ? redact(url) : 'the database from the PG* environment';
  let hint = message;
  if (/ECONNREFUSED/.test(message)) hint = 'connection refused: is PostgreSQL running and listening there?';
  else if (/password authentication failed/.test(message)) hint = 'password authentication failed: check the user and password';
  else if (/database .* does not exist/.test(message)) hint = message + ': check the database name in --pg / DATABASE_URL';
  else if (/timeout/i.test(message)) hint = 'connection timed out';
  return new ConnectionError(`cannot connect to PostgreSQL at ${where}: ${redact(hint)}`, { cause: error });
}

/**
 * A client checked out with an 'error' listener of its own: pg-pool takes its idle listener off a
 * checked-out client, and a socket error or an unsolicited FATAL message (a server shutting down)
 * then makes the client emit 'error' with no listener, which ends the process. `release` gives it
 * back (broken when asked, or when it emitted an error), the pool's listener on before ours goes.
 */
export async function checkOut(pool: pg.Pool): Promise<{ client: pg.PoolClient; release(broken: boolean): void }> {
  const client = await pool.connect();
  let failed = false;
  const onError = () => {
    failed = true;
  };
  client.on('error', onError);
  return {
    client,
    release(broken: boolean) {
      client.release(broken || failed);
      client.removeListener('error', onError);
    },
  };
}

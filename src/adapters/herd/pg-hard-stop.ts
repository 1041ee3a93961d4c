/**
 * The last resort of a drill that must end whatever the database does: destroy the sockets of
 * every connection a pool opened. A query in flight then fails at once instead of when the
 * database answers (a stalled or single-session server may never), pg-pool drops the broken
 * clients, and nothing is left holding the process open. pool.end() alone waits for them.
 */
import type pg from 'pg';
import { pgDriver } from '../postgres/pg-driver.js';

export function socketBreaker(pool: pg.Pool): () => number {
  const open = new Set<pg.Client>();
  pool.on('connect', (client) => {
    if (!(client instanceof pgDriver.Client)) return;
    open.add(client);
    client.once('end', () => open.delete(client));
  });
  return () => {
    const n = open.size;
    for (const client of open) {
      // A client checked out between queries has no listener for the 'error' this causes.
      client.on('error', () => undefined);
      client.connection.stream.destroy();
    }
    open.clear();
    return n;
  };
}

/**
 * What kind of database serves the drill's origin queries, asked before any client connects.
 * PGlite (the sandbox's embedded PostgreSQL) multiplexes one session over every connection: it
 * runs one query at a time and its socket server takes at most 32 connections. A herd against
 * it measures that queue, not a database, and the report must say so. Two connections with the
 * same backend pid are the same session, whatever the version string says.
 */
import type pg from 'pg';
import { checkOut } from '../postgres/pool.js';
import { UsageError } from '../../errors.js';
import type { DatabaseFacts } from '../../core/herd/drill-types.js';

/** The connection limit of the sandbox's PGlite socket server (src/adapters/sandbox/pglite-server.ts). */
export const PGLITE_MAX_CONNECTIONS = 32;

export async function describeDatabase(pool: pg.Pool, drill: { pgPoolSize: number; processes: number; controlConnections: number }): Promise<DatabaseFacts> {
  // checkOut: each client waits idle while the other queries, and a server shutting down then
  // sends it a FATAL that, with no listener of its own, would end the process.
  const opened = await Promise.allSettled([checkOut(pool), checkOut(pool)]);
  const [heldA, heldB] = opened.map((o) => (o.status === 'fulfilled' ? o.value : undefined));
  if (!heldA || !heldB) {
    // The one that connected goes back, or pool.end() would wait for it forever.
    heldA?.release(false);
    heldB?.release(false);
    throw opened.find((o): o is PromiseRejectedResult => o.status === 'rejected')?.reason;
  }
  const a = heldA.client;
  const b = heldB.client;
  let version: string;
  let serverMax: number | null;
  let inUse: number | null;
  let samePid: boolean;
  try {
    const first = await a.query<{ v: string; pid: number; max: string | null }>(
      "SELECT version() AS v, pg_backend_pid() AS pid, current_setting('max_connections', true) AS max",
    );
    const second = await b.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
    version = first.rows[0]?.v ?? '';
    serverMax = first.rows[0]?.max ? Number(first.rows[0].max) : null;
    samePid = first.rows[0]?.pid === second.rows[0]?.pid;
    inUse = await a
      .query<{ n: string }>('SELECT count(*) AS n FROM pg_stat_activity WHERE backend_type = $1', ['client backend'])
      .then((r) => Number(r.rows[0]?.n ?? 0))
      .catch(() => null);
  } finally {
    heldA.release(false);
    heldB.release(false);
  }
  const pglite = /PGlite/i.test(version);
  const drillConnections = drill.pgPoolSize * drill.processes + drill.controlConnections;
  const maxConnections = pglite ? PGLITE_MAX_CONNECTIONS : serverMax;
  const oneQueryAtATime = pglite || samePid;
  const facts: DatabaseFacts = { version, kind: pglite ? 'pglite' : 'server', oneQueryAtATime, maxConnections, drillConnections };
  if (pglite && drillConnections > PGLITE_MAX_CONNECTIONS) {
    throw new UsageError(
      `--pg-pool: the drill would open ${drillConnections} connections (${drill.pgPoolSize} per process x ${drill.processes} + ${drill.controlConnections} of its own), ` +
        `but the embedded PGlite takes at most ${PGLITE_MAX_CONNECTIONS}; lower --pg-pool, or point --pg at a PostgreSQL server`,
    );
  }
  const caveats: string[] = [];
  if (oneQueryAtATime) {
    caveats.push(
      `${pglite ? 'the database is PGlite (embedded PostgreSQL, as the sandbox runs it)' : 'every connection to this database shares one session'}: it runs one query at a time for all connections, ` +
        `so the origin queries of a herd queue behind each other. Latencies, peak db and pool-wait errors measure that queue, and a strategy that sends many queries ` +
        `fails reads a server would have answered; the counts of queries that reached the database still hold. For figures that carry over, point --pg at a PostgreSQL server`,
    );
  }
  if (!pglite && serverMax !== null && inUse !== null && drillConnections + inUse > serverMax) {
    caveats.push(
      `the drill opens up to ${drillConnections} connections and ${inUse} are in use, but max_connections is ${serverMax}: connections beyond it are refused and those reads fail`,
    );
  }
  return caveats.length > 0 ? { ...facts, caveat: caveats.join('; ') } : facts;
}

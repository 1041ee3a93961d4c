/**
 * The drill's origin: the operator's fetch query on PostgreSQL, counted twice, by the tool
 * (every fetch it sends) and by the database itself, so the report can say what really
 * reached PostgreSQL.
 *
 * The database-side count: pg_stat_statements' calls for the drill's statement when that
 * extension is installed, and always a scratch sequence whose nextval() runs inside the very
 * statement that runs the fetch (the cross-check, or the count itself without the extension).
 * Sequences are not transactional and are visible to every session at once, so that count is
 * exact and immediate, unlike the table statistics (pg_stat_user_tables is flushed lazily and
 * counts every reader of the table). The sequence is created under the drill's run id and
 * dropped afterwards.
 */
import { setMaxListeners } from 'node:events';
import type pg from 'pg';
import { UsageError } from '../../errors.js';
import { OriginError, type OriginPort, type OriginRow } from '../../core/herd/types.js';
import { formatDuration } from '../../config/duration.js';
import type { OriginCountSource } from '../../core/herd/stats.js';
import { wallClock } from './clock.js';
import { quoteIdent } from '../postgres/quote.js';

export interface OriginCounter {
  source: OriginCountSource;
  /** Why the database could not count (tool-only). */
  unavailable?: string;
  /** Fetches the database has executed so far (tool-only: the tool's own count). */
  read(): Promise<number>;
  /** A second database-side count (the sequence, when pg_stat_statements is the source). */
  crossCheck?: () => Promise<number>;
  drop(): Promise<void>;
}

/** The fetch must take the key's parameter as $1 and nothing else: the drill adds its own parameters. */
export function validateFetchSql(sql: string, flag = '--fetch'): string {
  const trimmed = sql.trim().replace(/;+\s*$/, '');
  const example =
    flag === '--fetch'
      ? 'the query that loads one key, e.g. "SELECT * FROM products WHERE id = $1"'
      : 'the statement that updates the row, e.g. "UPDATE products SET version = version + 1 WHERE id = $1"';
  if (trimmed === '') throw new UsageError(`${flag}: give ${example}`);
  if (trimmed.includes(';')) throw new UsageError(`${flag}: one statement only (found a ";" inside the query)`);
  if (!/\$1\b/.test(trimmed)) throw new UsageError(`${flag}: the query must use $1 for the key's id (it is sent as a bound parameter)`);
  const other = /\$([2-9]|\d{2,})\b/.exec(trimmed);
  if (other) throw new UsageError(`${flag}: only $1 may be used (found ${other[0]}); the key's id is the one parameter`);
  return trimmed;
}

/**
 * The statement actually sent: one row of (tick, sleep) evaluated exactly once, then the
 * operator's query laterally joined to it, so the tick runs even when the fetch finds nothing.
 */
export function wrapFetch(fetchSql: string, sequence: string | undefined): string {
  const tick = sequence ? `nextval('${sequence.replace(/'/g, "''")}'::regclass)` : '1::bigint';
  return (
    // OFFSET 0 keeps both subqueries from being flattened, so the planner must run herd_t once,
    // as the outer side, before the fetch (a hash join could otherwise skip it on an empty fetch).
    `SELECT herd_q.* FROM (SELECT ${tick} AS herd_tick, pg_sleep($2::float8) AS herd_sleep OFFSET 0) AS herd_t ` +
    `CROSS JOIN LATERAL (SELECT herd_f.* FROM (${fetchSql}) AS herd_f WHERE herd_t.herd_tick IS NOT NULL OFFSET 0) AS herd_q`
  );
}

/**
 * Creates the database-side counter. The scratch sequence always counts; when
 * pg_stat_statements is installed (and compute_query_id gives the statement an id) it becomes
 * the reported source and the sequence its cross-check.
 */
export async function createOriginCounter(
  pool: pg.Pool,
  runId: string,
  probe: { fetchSql: string; param: string },
): Promise<OriginCounter & { sequence?: string }> {
  let sequence: string;
  try {
    const schema = (await pool.query<{ s: string | null }>('SELECT current_schema() AS s')).rows[0]?.s;
    if (!schema) throw new Error('no current schema to create the counting sequence in');
    sequence = `${quoteIdent(schema)}.${quoteIdent(`cachectl_herd_${runId}`)}`;
    await pool.query(`CREATE SEQUENCE ${sequence} MINVALUE 0 START 0`);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    return { source: 'tool-only', unavailable: reason, read: async () => 0, drop: async () => undefined };
  }
  const readSequence = async () => {
    const row = (await pool.query<{ last_value: string; is_called: boolean }>(`SELECT last_value, is_called FROM ${sequence}`)).rows[0];
    // START 0 and nextval: after n fetches last_value is n - 1 with is_called true.
    return row && row.is_called ? Number(row.last_value) + 1 : 0;
  };
  const drop = async () => {
    await pool.query(`DROP SEQUENCE IF EXISTS ${sequence}`);
  };
  const queryId = await statementId(pool, wrapFetch(probe.fetchSql, sequence), probe.param);
  if (queryId === undefined) return { source: 'sequence', sequence, read: readSequence, drop };
  const calls = async () =>
    Number(
      (
        await pool.query<{ calls: string | null }>(
          'SELECT sum(calls) AS calls FROM pg_stat_statements WHERE queryid = $1 AND dbid = (SELECT oid FROM pg_database WHERE datname = current_database())',
          [queryId],
        )
      ).rows[0]?.calls ?? 0,
    );
  const baseline = await calls();
  return { source: 'pg_stat_statements', sequence, read: async () => (await calls()) - baseline, crossCheck: readSequence, drop };
}

/** The statement's pg_stat_statements id (EXPLAIN VERBOSE, which runs nothing), when it has one. */
async function statementId(pool: pg.Pool, sql: string, param: string): Promise<string | undefined> {
  try {
    await pool.query('SELECT 1 FROM pg_stat_statements LIMIT 1');
    // Text, not JSON: the id is a 64-bit integer that JSON.parse would round.
    const { rows } = await pool.query<{ 'QUERY PLAN': string }>({ text: `EXPLAIN (VERBOSE) ${sql}`, values: [param, 0] });
    for (const row of rows) {
      const m = /Query Identifier: (-?\d+)/.exec(row['QUERY PLAN']);
      if (m) return m[1];
    }
    return undefined;
  } catch {
    return undefined;
  }
}

/**
 * Plans the fetch once with the key's parameter bound (EXPLAIN runs nothing), so a query
 * PostgreSQL rejects (no such table, a parameter of the wrong type) is one line and exit 2
 * before any client connects, not a drill of failing reads.
 */
export async function probeFetch(pool: pg.Pool, fetchSql: string, param: string): Promise<void> {
  try {
    await pool.query({ text: `EXPLAIN ${fetchSql}`, values: [param] });
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    // SQLSTATE 42 (syntax, undefined object, privilege) and 22 (data: bad input for $1).
    if (typeof code === 'string' && /^(42|22)/.test(code)) {
      throw new UsageError(`--fetch: PostgreSQL rejects the query with $1 = '${param}': ${(error as Error).message} (check --fetch, --param or the key's id)`);
    }
    throw error;
  }
}

/** The key's id for $1: `--param` when given, else the last `:`-separated part (product:42 -> 42). */
export function paramOfKey(key: string, param?: string): string {
  if (param !== undefined) return param;
  const i = key.lastIndexOf(':');
  return (i >= 0 ? key.slice(i + 1) : key).replace(/^\{(.*)\}$/, '$1');
}

/** The version column of the first row (bigint arrives as text), when asked for and present. */
export function versionOf(rows: readonly Record<string, unknown>[], column: string | undefined): { version?: number } {
  if (column === undefined) return {};
  const raw = rows[0]?.[column];
  const version = typeof raw === 'number' ? raw : typeof raw === 'string' ? Number(raw) : Number.NaN;
  return Number.isFinite(version) ? { version } : {};
}

const STOPPED = 'the drill stopped before this fetch had a database connection';

export class PgOrigin implements OriginPort {
  /** Fetches sent: the tool's own count. */
  sent = 0;
  /** [start, end, key] of each fetch (wall clock ms), drained by the worker every round. */
  readonly spans: [number, number, string][] = [];
  /** How long each fetch waited for a pool connection (ms), drained with the spans. */
  readonly poolWaits: number[] = [];
  private readonly sql: string;
  private readonly gone = new AbortController();

  constructor(
    private readonly pool: pg.Pool,
    fetchSql: string,
    sequence: string | undefined,
    private readonly delayMs: number,
    private readonly paramFor: (key: string) => string,
    /** The column carrying the row's version (the invalidation race), read from the first row. */
    private readonly versionColumn?: string,
  ) {
    this.sql = wrapFetch(fetchSql, sequence);
    // Every fetch waiting for a connection listens on it.
    setMaxListeners(0, this.gone.signal);
  }

  async fetch(key: string): Promise<OriginRow> {
    // Waiting for a pool connection is part of the recompute time (as in an application), but a
    // fetch only counts as sent once it has a connection: one that times out in the pool never
    // reached PostgreSQL, and the cross-check with the database's count must not expect it.
    // Spans start here too: they are what the database itself had in flight.
    const client = await this.connect();
    this.sent++;
    const started = wallClock.now();
    try {
      const result = await client.query<Record<string, unknown>>({ text: this.sql, values: [this.paramFor(key), this.delayMs / 1000] });
      return { value: JSON.stringify(result.rows), ...versionOf(result.rows, this.versionColumn) };
    } catch (error) {
      throw new OriginError(error instanceof Error ? error.message : String(error), 'database', { cause: error });
    } finally {
      client.release();
      this.spans.push([started, wallClock.now(), key]);
    }
  }

  /** The drill is being stopped hard: fetches waiting for a connection, and any later one, fail now. */
  abandon(): void {
    this.gone.abort();
  }

  /**
   * A connection from the pool, its wait recorded. With every connection busy, pg-pool's
   * "timeout exceeded when trying to connect" means the fetch waited its turn in this process's
   * own pool and gave up: the client's limit, not the database's, and said so.
   */
  private async connect(): Promise<pg.PoolClient> {
    const max = this.pool.options.max ?? Infinity;
    const busy = this.pool.totalCount >= max && this.pool.idleCount === 0;
    const started = wallClock.now();
    try {
      if (this.gone.signal.aborted) throw new Error(STOPPED);
      const connecting = this.pool.connect();
      return await new Promise<pg.PoolClient>((resolve, reject) => {
        const onGone = () => {
          reject(new Error(STOPPED));
          // Should the pool still hand one over, it goes straight back.
          connecting.then(
            (c) => c.release(),
            () => undefined,
          );
        };
        this.gone.signal.addEventListener('abort', onGone, { once: true });
        connecting.then(
          (c) => {
            this.gone.signal.removeEventListener('abort', onGone);
            resolve(c);
          },
          (e: unknown) => {
            this.gone.signal.removeEventListener('abort', onGone);
            reject(e instanceof Error ? e : new Error(String(e)));
          },
        );
      });
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      if (busy && /timeout exceeded when trying to connect/.test(message)) {
        const waited = formatDuration(Math.round(wallClock.now() - started));
        throw new OriginError(
          `waiting for a pool connection timed out after ${waited} (all ${max} --pg-pool connections of the process busy): the query never reached the database`,
          'pool-wait',
          { cause: error },
        );
      }
      throw new OriginError(message, 'database', { cause: error });
    } finally {
      this.poolWaits.push(wallClock.now() - started);
    }
  }
}

/**
 * Drops the PostgreSQL scratch objects a crashed drill left (its counting sequence and a race's
 * scratch table, named after its run id); returns what it dropped. The run id comes from Redis,
 * so it is checked to be one this tool makes before it is used in a name.
 */
export async function dropScratchOf(pool: pg.Pool, runId: string): Promise<string[]> {
  if (!/^[0-9a-f]{8}$/.test(runId)) return [];
  const names = [`cachectl_herd_${runId}`, `cachectl_herd_${runId}_rows`];
  const { rows } = await pool.query<{ ns: string; rel: string; kind: string }>(
    'SELECT n.nspname AS ns, c.relname AS rel, c.relkind::text AS kind FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relname = ANY($1)',
    [names],
  );
  const dropped: string[] = [];
  for (const r of rows) {
    const what = r.kind === 'S' ? 'SEQUENCE' : r.kind === 'r' ? 'TABLE' : undefined;
    if (!what) continue;
    await pool.query(`DROP ${what} IF EXISTS ${quoteIdent(r.ns)}.${quoteIdent(r.rel)}`);
    dropped.push(`${r.ns}.${r.rel}`);
  }
  return dropped;
}

/**
 * Every default cachectl uses, in one place. The README's option tables are generated from
 * reading this file; change a default here and nowhere else.
 */
export const DEFAULTS = {
  connection: {
    /** Used when neither --redis, --cluster, --ring nor REDIS_URL is given. */
    redisUrl: 'redis://127.0.0.1:6379',
    /** Per-connection connect timeout. Short: an operator wants the "cannot connect" line fast. */
    connectTimeoutMs: 5_000,
    /** Postgres statement timeout applied to every query cachectl sends. */
    statementTimeoutMs: 30_000,
    /** Shown in pg_stat_activity so DBAs can see (and cancel) cachectl's queries. */
    applicationName: 'cachectl',
  },
  ring: {
    compat: 'twemproxy' as const,
    /** twemproxy's default key hash. */
    hash: 'fnv1a_64' as const,
  },
  keys: {
    /** Longest key accepted (bytes). Redis allows 512 MB; anything near this is a bug upstream. */
    maxKeyBytes: 1024,
    /** Keys may not contain control characters (C0, DEL): they break logs, key lists and redis-cli. */
    rejectControlChars: true,
  },
  warm: {
    /** Keys per `= ANY($1)` fetch. */
    batchSize: 500,
    /** Rows per cursor read for --query entries (the next read overlaps the writes). */
    cursorRows: 2000,
    pgConcurrency: 4,
    /** Keys per Redis pipeline flush, per node. */
    pipelineSize: 1000,
    /** Max pipelines in flight per node. */
    redisInFlight: 4,
    maxValueBytes: 8 * 1024 * 1024,
    staleSuffix: ':stale',
    retries: 5,
    retryBaseMs: 100,
    maxErrors: 100,
    progressIntervalMs: 5_000,
  },
  inspect: {
    scanCount: 1000,
    lockPrefix: 'lock:',
    stampedePrefix: 'stampede:',
    staleSuffix: ':stale',
    stampedeThreshold: 10,
    topN: 20,
  },
  herd: {
    clients: 100,
    beta: 1,
    lockTtlMs: 5_000,
    scratchPrefix: 'cachectl:herd:',
  },
} as const;

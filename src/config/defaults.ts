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
    batchSize: 500,
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
    strategies: 'none',
    rounds: 1,
    processes: 1,
    trigger: 'delete' as const,
    /** pexpire/ttl triggers: how far ahead the key expires. */
    expireInMs: 100,
    /** TTL the clients write the recomputed value back with. */
    ttlMs: 60_000,
    /** How long a client without the lock waits for the holder's value, then serves stale or fails. */
    lockWaitMs: 5_000,
    lockPollMs: 5,
    lockPollMaxMs: 50,
    onLockTimeout: 'stale' as const,
    /** swr: how long past expiry the stale copy may still be served. */
    staleWindowMs: 30_000,
    stampedeWindowMs: 5_000,
    /** PostgreSQL connections per drill process, like an application's pool. */
    pgPool: 8,
    seed: 42,
    /** A drill stops by itself after this long, with a partial report. */
    maxTimeMs: 120_000,
    /** Bounds: a drill is a drill, not a load generator for anything. */
    maxClients: 5_000,
    maxProcesses: 32,
    maxRounds: 1_000,
  },
} as const;

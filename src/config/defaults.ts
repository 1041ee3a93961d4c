/**
 * Every default cachectl uses, in one place. The README's option tables are generated from
 * reading this file; change a default here and nowhere else.
 */
import { MAX_TIMER_MS, MAX_TTL_MS, type DurationRange } from './duration.js';

export const DEFAULTS = {
  connection: {
    /** Used when neither --redis, --cluster, --ring nor REDIS_URL is given. */
    redisUrl: 'redis://127.0.0.1:6379',
    /** Per-connection connect timeout. Short: an operator wants the "cannot connect" line fast. */
    connectTimeoutMs: 5_000,
    /**
     * --timeout: longest one node may take to answer a command (a PING, an INFO, a SCAN batch)
     * before it is shown as down, so one stalled node (CLIENT PAUSE, a swapping host) cannot
     * hold a whole run. warm's pipelines keep their own, longer reply timeout unless --timeout is given.
     */
    nodeTimeoutMs: 5_000,
    maxNodeTimeoutMs: 600_000,
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
    /**
     * Longest line a key list may have (bytes, a TAB comment included): a longer one means the file
     * is not a key list (a binary, /dev/zero) and reading stops there with file:line, instead of
     * buffering an endless line. Raised to --max-key-bytes plus 4 KiB when that is larger.
     */
    maxLineBytes: 64 * 1024,
    /** Keys may not contain control characters (C0, DEL): they break logs, key lists and redis-cli. */
    rejectControlChars: true,
    /** A key pattern (`product:{id}`) longer than this cannot be meant; its parameters are bounded too. */
    maxPatternChars: 4096,
    maxPatternParams: 16,
  },
  warm: {
    /**
     * Keys per `= ANY($1)` fetch. Each fetch is a round trip with its own Parse, Bind and plan in
     * PostgreSQL, and its rows, spread over the nodes, make each lane's pipeline: 500 measured
     * about 10% more CPU per key than 1,000-2,000 in cachectl, Redis and PostgreSQL alike (300k
     * keys into the cluster, alternated); 4,000 was no better.
     */
    batchSize: 2000,
    /**
     * Without --batch-size, a key list's fetches are sized by what their rows take in memory:
     * about `target` bytes a fetch (so --pg-concurrency fetches of large values stay bounded), at
     * most batchSize keys, and `firstKeys` until the first fetch has told the row size. inspect
     * drift sizes its fetches the same way.
     */
    fetchBytes: { target: 16 * 1024 * 1024, firstKeys: 16 },
    /** Rows per cursor read for --query entries (the next read overlaps the writes). */
    cursorRows: 2000,
    pgConcurrency: 4,
    /** Keys per Redis pipeline flush, per node. */
    pipelineSize: 1000,
    /** Max pipelines in flight per node. */
    redisInFlight: 4,
    /** A pipeline is also cut at about this many bytes of keys and values, so large values do not make one huge buffer. */
    pipelineBytes: 8 * 1024 * 1024,
    /**
     * Bytes of pipelines encoded ahead, over all nodes, while their keys wait for room (see
     * encoded-ahead.ts): a copy of the keys and values the lanes hold, so bounded; beyond it keys
     * are encoded when sent. A 1M warm of 200-byte rows peaked at 1.0 MiB of it streamed, 2.4 by key list.
     */
    encodedAheadBytes: 4 * 1024 * 1024,
    /** A node silent this long while pipelines wait is dropped and its keys retried. */
    replyTimeoutMs: 30_000,
    /**
     * On a cluster whose master has replicas, each pipeline ends with WAIT 1 <this>: a key counts
     * as written only once a replica has it, so a failover cannot drop an acknowledged write.
     */
    waitReplicaTimeoutMs: 2_000,
    maxValueBytes: 8 * 1024 * 1024,
    staleSuffix: ':stale',
    retries: 5,
    retryBaseMs: 100,
    maxErrors: 100,
    /**
     * --failover-wait when the cluster's cluster-node-timeout cannot be read (CONFIG GET refused),
     * and for --redis and --ring: how long the keys of a node that stops answering are held for
     * it to come back (a restart) or for a replica to take over.
     */
    failoverWaitMs: 45_000,
    /** On a cluster, --failover-wait defaults to this many cluster-node-timeouts plus failoverWaitExtraMs (detection, election, gossip). */
    failoverWaitNodeTimeouts: 2,
    /**
     * Bytes remembered per run (all nodes without a replica to WAIT for): keys, values and their
     * bookkeeping (about 160 bytes a key), so that keys a node loses by restarting without
     * persistence are written again, and those of a node that dies are listed; beyond this they
     * are counted only. About 23k keys of 200 bytes.
     */
    journalBytes: 8 * 1024 * 1024,
    failoverWaitExtraMs: 5_000,
    /**
     * --verify: keys that could not be read back, or were found absent, while the warm went on
     * are read again after the last write (by then a node that restarted has been written
     * again). Beyond this many they are counted at once: unverified, or missing.
     */
    verifyDeferredKeys: 100_000,
    progressIntervalMs: 5_000,
    maxWarmlistChars: 1024 * 1024,
  },
  operations: {
    /** Run lock key: lock:cachectl:warm:<warmlist>[:shard-i-of-n]. `lock:` so `inspect` lists it with the other locks. */
    lockPrefix: 'lock:cachectl:warm:',
    /** Run lock TTL: how long a crashed run blocks the next one. Renewed every third of it while running. */
    lockTtlMs: 60_000,
    /** Checkpoint saves while running: at most this often (a crash redoes at most this much work). */
    checkpointIntervalMs: 1_000,
  },
  inspect: {
    /**
     * SCAN COUNT per script call. Measured on the 2-core machine under load: 300 keys keep each
     * call (~1ms on the node) within one CPU time slice; at 1000 the calls were preempted and a
     * full scan took 3-4x longer. More round trips cost little on a LAN.
     */
    scanCount: 300,
    lockPrefix: 'lock:',
    stampedePrefix: 'stampede:',
    staleSuffix: ':stale',
    stampedeThreshold: 10,
    topN: 20,
    /** Expiry cliffs shown per node; a window needs at least `minCliffKeys` keys to be one. */
    cliffsPerNode: 5,
    minCliffKeys: 2,
    /** The pattern's stampede window (`EXPIRE stampede:<key> 5`): longer TTLs mean a sliding window. */
    stampedeWindowMs: 5_000,
    /** Locks held (or idle) longer than this are flagged. */
    lockMaxAgeMs: 30_000,
    /** Bytes of a lock or counter value read to find its count or timestamp. */
    valueBytes: 256,
    watchIntervalMs: 2_000,
    /** Per-key rows kept in a --json report (text output streams them all). */
    maxJsonRows: 100_000,
    /** Keys `inspect drift` compares per entry unless --all. */
    driftSample: 1_000,
    /** Keys `inspect hotkeys` lists by default: a hot set to warm after a restart. */
    hotKeys: 100,
    /** The overview's verdict thresholds (`cachectl inspect` with no view). */
    verdicts: {
      /** Keys of all nodes expiring in one second above which the cliff is a verdict (--cliff-threshold). */
      cliffKeys: 1_000,
      memoryWarnPercent: 85,
      memoryCriticalPercent: 95,
      hitRatioPercent: 50,
    },
  },
  herd: {
    clients: 100,
    beta: 1,
    lockTtlMs: 5_000,
    scratchPrefix: 'cachectl:herd:',
    /**
     * A drill's run marker lives this long and is renewed at a third of it, so a drill killed with
     * SIGKILL blocks the next one for seconds, not minutes; what it must restore is recorded for
     * restoreRecordTtlMs, where the next drill on the key finds it and puts the key back.
     */
    runMarkerTtlMs: 15_000,
    restoreRecordTtlMs: 7 * 86_400_000,
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
    maxKeys: 10_000,
    maxOpenLoopRequests: 500_000,
    /** Consecutive cache failures that open a breaker, and how long it stays open before a trial. */
    breakerThreshold: 5,
    breakerTimeoutMs: 1_000,
    /** Every drill client's Redis command timeout, as an application sets one (generous: 2 cores carry thousands of clients). */
    redisTimeoutMs: 2_000,
    /** --trigger outage: the cache goes away this long after the release, for at most maxOutageMs. */
    outageLeadMs: 1_000,
    maxOutageMs: 60_000,
    /** --trigger outage: reads per second when --rate is not given. */
    outageRate: 200,
  },
  sandbox: {
    /** State, logs and server data, relative to the current directory (or --dir / CACHECTL_SANDBOX_DIR). */
    dir: '.cachectl/sandbox',
    /** First ports tried; the first free ones upwards are used (cluster ports need port+10000 free too). */
    clusterBasePort: 7000,
    ringBasePort: 7100,
    twemproxyBasePort: 22121,
    twemproxyStatsBasePort: 22222,
    embeddedPgBasePort: 5433,
    /** The database created on the server from --pg / DATABASE_URL. */
    database: 'cachectl_sandbox',
    products: 100_000,
    usersPerTenant: 1_000,
    /** How long a server may take to answer after it was started. */
    startTimeoutMs: 60_000,
    ringHash: 'fnv1a_64' as const,
  },
} as const;

const SECOND = 1000;
const HOUR = 3_600_000;
const DAY = 86_400_000;
const TIMER = { maxMs: MAX_TIMER_MS, why: "Node's timers hold at most 2^31-1 ms, 24.8 days" };
const TTL = { maxMs: MAX_TTL_MS, why: 'ten years' };

/**
 * The range of every duration flag and warmlist field, checked when it is parsed (exit 2, naming
 * the flag). The README's "Durations" table lists the same ranges.
 */
export const DURATION_RANGES = {
  ttl: { minMs: 1, ...TTL },
  stale: { minMs: 1, ...TTL },
  refreshBelow: { minMs: 1, ...TTL },
  failoverWait: { minMs: 1, ...TIMER },
  statementTimeout: { minMs: 1, maxMs: MAX_TIMER_MS, why: "PostgreSQL's statement_timeout holds at most 2^31-1 ms, 24.8 days" },
  progressInterval: { minMs: 1, maxMs: DAY },
  lockTtl: { minMs: SECOND, maxMs: DAY },
  waitLock: { minMs: 0, maxMs: DAY },
  deadline: { minMs: 1, ...TIMER },
  herdTtl: { minMs: 1, ...TIMER },
  herdLockTtl: { minMs: 1, maxMs: HOUR },
  herdLockWait: { minMs: 0, maxMs: HOUR },
  staleWindow: { minMs: 0, ...TIMER },
  expireIn: { minMs: 1, maxMs: HOUR },
  spread: { minMs: 0, maxMs: HOUR },
  duration: { minMs: 1, maxMs: DAY },
  dbDelay: { minMs: 0, maxMs: HOUR },
  maxTime: { minMs: SECOND, maxMs: DAY },
  httpTimeout: { minMs: 1, maxMs: HOUR },
  recompute: { minMs: 0, maxMs: HOUR },
  rtt: { minMs: 0, maxMs: 60 * SECOND },
  window: { minMs: 1, ...TTL },
  lockMaxAge: { minMs: 1, ...TTL },
  watch: { minMs: 100, maxMs: DAY },
  redisTimeout: { minMs: 1, maxMs: HOUR },
  breakerTimeout: { minMs: 1, maxMs: HOUR },
  outage: { minMs: 1, maxMs: 60 * SECOND },
  l1Ttl: { minMs: 1, maxMs: DAY },
} as const satisfies Record<string, DurationRange>;

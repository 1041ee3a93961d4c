/**
 * One "application instance" of a drill: its virtual clients (each with its own connections),
 * its own PostgreSQL pool and its own strategy instance (so coalescing dedups only here).
 * Used in-process for --processes 1 and inside each forked worker otherwise.
 */
import { setMaxListeners } from 'node:events';
import { CacheConnection, openCache } from '../redis/cache.js';
import { createPgPool } from '../postgres/pool.js';
import type { RedisTarget } from '../../config/target.js';
import { createStrategy, withL1, type L1Settings } from '../../core/herd/strategies/index.js';
import { runRound, type HerdClient } from '../../core/herd/round.js';
import type { ArmRequest, WorkerRoundResult } from '../../core/herd/drill-types.js';
import { clientRandom } from '../../core/herd/random.js';
import type { Strategy, StrategyName } from '../../core/herd/types.js';
import { PgOrigin, paramOfKey } from './origin.js';
import { RedisHerdCache, stampedeKeyOf, staleKeyOf } from './redis-cache.js';
import { lockKeyOf } from '../../core/herd/strategies/index.js';
import { wallClock } from './clock.js';
import { socketBreaker } from './pg-hard-stop.js';
import { ConnectionError } from '../../errors.js';

export type { ArmRequest, WorkerRoundResult } from '../../core/herd/drill-types.js';

export interface WorkerConfig {
  index: number;
  runId: string;
  target: RedisTarget;
  pgUrl: string | undefined;
  pgPoolSize: number;
  /** The drilled keys; requests name them by index. */
  keys: string[];
  param?: string;
  fetchSql: string;
  sequence?: string;
  dbDelayMs: number;
  clients: number;
  /** Global id of this worker's first client, so client i draws the same numbers in every strategy. */
  firstClientId: number;
  /** Every client's Redis command timeout. */
  redisTimeoutMs: number;
  /** Connect to a relay instead of these nodes (by address): --outage-mode refuse. */
  via?: Record<string, { host: string; port: number }>;
  /** The fetch's version column, when the drill races writes. */
  versionColumn?: string;
  /** A local tier in this process in front of Redis. */
  l1?: L1Settings;
}

export class DrillWorker {
  private readonly connections: CacheConnection[] = [];
  private readonly clients: RedisHerdCache[] = [];
  private readonly pool;
  private readonly origin: PgOrigin;
  private readonly breakSockets: () => number;
  private strategies = new Map<StrategyName, Strategy>();
  private pending?: { promise: Promise<WorkerRoundResult>; release: () => void; abort: AbortController };

  constructor(private readonly config: WorkerConfig) {
    this.pool = createPgPool({ url: config.pgUrl, max: config.pgPoolSize, applicationName: `cachectl-herd-${config.runId}` });
    this.breakSockets = socketBreaker(this.pool);
    this.origin = new PgOrigin(this.pool, config.fetchSql, config.sequence, config.dbDelayMs, (key) => paramOfKey(key, config.param), config.versionColumn);
  }

  /** Every client connects to the nodes it will use and loads its scripts: before any barrier. */
  async connect(): Promise<void> {
    const keys = this.config.keys.flatMap((k) => [k, lockKeyOf(k), staleKeyOf(k), stampedeKeyOf(k)]);
    const options = {
      verify: 'none' as const,
      connectionName: `cachectl-herd-${this.config.runId}`,
      // An application keeps reconnecting through an outage; the drill's --max-time bounds it.
      reconnectAttempts: 10_000,
      ...(this.config.via ? { via: this.config.via } : {}),
    };
    // Read the topology once (CLUSTER SLOTS for a cluster), then give every client its own sockets.
    const first = await openCache(this.config.target, options);
    const opened = [first, ...Array.from({ length: this.config.clients - 1 }, () => new CacheConnection(this.config.target, first.topology, options))];
    this.connections.push(...opened);
    for (const c of opened) this.clients.push(new RedisHerdCache(c));
    await Promise.all(this.clients.map((c) => c.prepare(keys, this.config.redisTimeoutMs)));
    // Open the pool's connections now too, so the first misses do not pay for connecting.
    // Every one is released again, also when some fail: pool.end() waits for checked-out clients.
    const warm = await Promise.allSettled(Array.from({ length: this.config.pgPoolSize }, () => this.pool.connect()));
    for (const c of warm) if (c.status === 'fulfilled') c.value.release();
    const refused = warm.find((c): c is PromiseRejectedResult => c.status === 'rejected');
    if (refused) {
      const opened = warm.length - warm.filter((c) => c.status === 'rejected').length;
      const why = refused.reason instanceof Error ? refused.reason.message : String(refused.reason);
      throw new ConnectionError(
        `PostgreSQL accepted ${opened} of the ${this.config.pgPoolSize} --pg-pool connections of drill process ${this.config.index + 1} (${why}): lower --pg-pool or raise the server's limit`,
      );
    }
  }

  /**
   * Clients wait on the barrier; resolves once they are all waiting, each connection up (an
   * outage's reconnects finish before the next round, or they would count in its "before").
   */
  async arm(request: ArmRequest): Promise<void> {
    if (this.pending) throw new Error('worker already armed');
    await Promise.all(this.clients.map((c) => c.ready(this.config.keys, 10_000)));
    // One instance per strategy per process: coalescing state lives here.
    let strategy = this.strategies.get(request.strategy);
    if (!strategy) {
      strategy = createStrategy(request.strategy);
      if (this.config.l1) strategy = withL1(strategy, this.config.l1);
      this.strategies.set(request.strategy, strategy);
    }
    let release = () => undefined as void;
    const released = new Promise<void>((resolve) => (release = resolve));
    const abort = new AbortController();
    // Every request waiting for its send time listens on this one signal.
    setMaxListeners(0, abort.signal);
    const clients: HerdClient[] = this.clients.map((cache, i) => {
      const id = this.config.firstClientId + i;
      return { id, cache, random: clientRandom(request.seed + request.round * 7919, id), token: `${this.config.runId}:${id}:${request.round}` };
    });
    const sentBefore = this.origin.sent;
    this.origin.spans.length = 0;
    this.origin.poolWaits.length = 0;
    // The breaker's log starts at the release; what came before belongs to earlier rounds.
    strategy.drainBreakerLog?.();
    const breakerOf = strategy;
    const promise = runRound({
      strategy,
      origin: this.origin,
      clock: wallClock,
      settings: request.settings,
      released,
      requests: request.requests.map(([c, k, offsetMs]) => ({
        client: clients[c % clients.length] as HerdClient,
        key: this.config.keys[k] as string,
        offsetMs,
      })),
      signal: abort.signal,
    }).then((out) => {
      const breaker = breakerOf.drainBreakerLog?.();
      return {
        ...out,
        worker: this.config.index,
        originSent: this.origin.sent - sentBefore,
        fetchSpans: this.origin.spans.splice(0),
        poolWaitsMs: this.origin.poolWaits.splice(0),
        endedAt: wallClock.now(),
        ...(breaker ? { breaker } : {}),
      };
    });
    this.pending = { promise, release, abort };
  }

  release(): void {
    this.pending?.release();
  }

  stop(): void {
    this.pending?.abort.abort();
  }

  /** Reads in flight lose their database connections now; fetches not yet connected fail. */
  abandon(): void {
    this.stop();
    this.origin.abandon();
    this.breakSockets();
  }

  async collect(): Promise<WorkerRoundResult> {
    const pending = this.pending;
    if (!pending) throw new Error('worker not armed');
    try {
      return await pending.promise;
    } finally {
      this.pending = undefined;
    }
  }

  kill(): void {
    this.abandon();
    for (const c of this.connections) void c.close().catch(() => undefined);
  }

  private closing?: Promise<void>;

  /** Idempotent: the coordinator's close and a lost parent may both ask. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      this.pending?.abort.abort();
      await Promise.all(this.connections.splice(0).map((c) => c.close()));
      await this.pool.end();
    })();
    return this.closing;
  }
}

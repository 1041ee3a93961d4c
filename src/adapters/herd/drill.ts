/**
 * The live drill: per strategy and round, prime the keys, arm every client on the barrier,
 * fire the trigger, release them together, wait for every read (and background refresh),
 * then read what PostgreSQL counted. Open loop instead sends Poisson arrivals across natural
 * expiries for a duration. Leaves the keys as it found them and removes its scratch keys.
 */
import { randomBytes } from 'node:crypto';
import { setMaxListeners } from 'node:events';
import { openCache } from '../redis/cache.js';
import { DEFAULTS } from '../../config/defaults.js';
import { createPgPool, verifyPg } from '../postgres/pool.js';
import type { RedisTarget } from '../../config/target.js';
import { checkColocation, type Colocation } from '../../core/herd/colocation.js';
import { herdOffsets, poissonArrivals } from '../../core/herd/schedule.js';
import { seededRandom } from '../../core/herd/random.js';
import { settingsFor, type BaseSettings } from '../../core/herd/settings.js';
import { lockKeyOf, type L1Settings } from '../../core/herd/strategies/index.js';
import { episodesByKey, peakConcurrency } from '../../core/herd/episodes.js';
import { releaseSkew, summarizeStrategy, type OriginCountSource, type StrategyReport } from '../../core/herd/stats.js';
import type { CachedValue, StrategyName } from '../../core/herd/types.js';
import type { Sample } from '../../core/herd/round.js';
import { createOriginCounter, dropScratchOf, PgOrigin, paramOfKey, probeFetch } from './origin.js';
import { RedisHerdCache, stampedeKeyOf, staleKeyOf } from './redis-cache.js';
import { DrillKeys } from './keyset.js';
import { wallClock } from './clock.js';
import type { ArmRequest, WorkerConfig, WorkerRoundResult } from './worker.js';
import { DrillWorker } from './worker.js';
import { startProcessWorker } from './process-worker.js';
import { DrillOutage, type OutageOptions } from './outage.js';
import { RaceWriter, type RaceOptions } from './race-writer.js';
import { roundVerdict, staleReads, summarizeRace, type RaceRound } from '../../core/herd/race.js';
import { summarizeOutage, type OutageRound } from '../../core/herd/outage.js';

export type Trigger = 'delete' | 'pexpire' | 'ttl' | 'outage';

export interface DrillOptions {
  target: RedisTarget;
  pgUrl: string | undefined;
  /** Called right before the first connection (the command names the topology). */
  announce?: () => void;
  keys: string[];
  param?: string;
  /** Absent only with a race on the drill's scratch table, whose fetch the drill writes. */
  fetchSql?: string;
  /** Total virtual clients over all processes. */
  clients: number;
  processes: number;
  rounds: number;
  strategies: StrategyName[];
  trigger: Trigger;
  /** pexpire/ttl: how far ahead the keys expire. */
  expireInMs: number;
  /** Requests spread uniformly over this window after the release (0: all at once). */
  spreadMs: number;
  /** Write the keys before each round (false: use what `cachectl warm` or the application left there). */
  prime: boolean;
  /** Open loop instead of a herd: Poisson arrivals across natural expiries. */
  openLoop?: { ratePerSec: number; durationMs: number; maxRequests: number };
  dbDelayMs: number;
  pgPoolSize: number;
  seed: number;
  maxTimeMs: number;
  settings: BaseSettings;
  /** Every drill client's Redis command timeout. */
  redisTimeoutMs: number;
  /** --trigger outage: how the node goes away, and the reads sent across it. */
  outage?: OutageOptions & { ratePerSec: number; windowMs: number };
  /** --writes: the invalidation race. */
  race?: RaceOptions;
  /** --l1: a bounded LRU per process in front of Redis. */
  l1?: L1Settings;
  signal: AbortSignal;
}

export interface WorkerHandle {
  connect(): Promise<void>;
  arm(request: ArmRequest): void | Promise<void>;
  release(): void;
  stop(): void;
  collect(): Promise<WorkerRoundResult>;
  close(): Promise<void>;
}

export type DrillEvent =
  | { type: 'connected'; clients: number; processes: number; originSource: OriginCountSource }
  | { type: 'round'; strategy: StrategyName; round: number; originQueries: number; skewMs: number }
  | { type: 'warning'; message: string };

export interface DrillResult {
  runId: string;
  mode: 'herd' | 'open';
  key: string;
  keyCount: number;
  topology: string;
  trigger: Trigger | 'natural';
  clients: number;
  processes: number;
  rounds: number;
  seed: number;
  dbDelayMs: number;
  ttlJitter: number;
  openLoop?: { ratePerSec: number; durationMs: number; requests: number };
  originSource: OriginCountSource;
  colocation: Colocation[];
  reports: StrategyReport[];
  warnings: string[];
  interrupted: boolean;
  /** --trigger outage: the node taken away and how. */
  outage?: { node: string; mode: 'pause' | 'refuse'; durationMs: number; ratePerSec: number; windowMs: number };
}

export async function runDrill(options: DrillOptions, onEvent: (event: DrillEvent) => void = () => undefined): Promise<DrillResult> {
  const runId = randomBytes(4).toString('hex');
  const warnings: string[] = [];
  const warn = (message: string) => {
    warnings.push(message);
    onEvent({ type: 'warning', message });
  };
  options.announce?.();
  const control = await openCache(options.target, { verify: 'all', connectionName: `cachectl-herd-${runId}` });
  const stop = new AbortController();
  setMaxListeners(0, stop.signal);
  const onAbort = () => stop.abort();
  options.signal.addEventListener('abort', onAbort);
  if (options.signal.aborted) stop.abort();
  const timer = setTimeout(() => {
    warn(`stopped at the time limit (${options.maxTimeMs}ms): partial results`);
    stop.abort();
  }, options.maxTimeMs);

  const pool = createPgPool({ url: options.pgUrl, max: 4, applicationName: `cachectl-herd-${runId}` });
  const cache = new RedisHerdCache(control);
  const keys = new DrillKeys(cache, options.keys, runId);
  const workers: WorkerHandle[] = [];
  const reports: StrategyReport[] = [];
  let counter: Awaited<ReturnType<typeof createOriginCounter>> | undefined;
  let outage: DrillOutage | undefined;
  let race: RaceWriter | undefined;
  try {
    await verifyPg(pool, options.pgUrl);
    await keys.markRun();
    // A drill killed with SIGKILL restored nothing: put back what it recorded, drop its scratch objects.
    for (const r of await keys.recoverCrashed()) {
      const dropped = await dropScratchOf(pool, r.runId);
      warn(`a drill on ${r.key} (run ${r.runId}, started ${new Date(r.takenAt).toISOString()}) ended without cleaning up: ${r.key} restored as it was then${dropped.length > 0 ? `, dropped ${dropped.join(', ')}` : ''}`);
    }
    const colocation = colocationOf(control.topology, options.keys, warn);
    if (options.outage) outage = await DrillOutage.prepare(control, options.keys[0] as string, `cachectl-herd-${runId}`, options.outage);
    const param = paramOfKey(options.keys[0] as string, options.param);
    if (options.fetchSql !== undefined) await probeFetch(pool, options.fetchSql, param);
    if (options.race) race = await RaceWriter.prepare(pool, runId, param, options.race, options.fetchSql);
    const fetchSql = race?.fetchSql ?? (options.fetchSql as string);
    counter = await createOriginCounter(pool, runId, { fetchSql, param });
    if (counter.unavailable) warn(`PostgreSQL cannot count the fetches itself (${counter.unavailable}); origin counts are the tool's own`);
    await keys.snapshot();

    const perProcess = splitEvenly(options.clients, options.processes);
    workers.push(...(await startWorkers({ ...options, fetchSql }, runId, perProcess, counter.sequence, outage?.via, race?.versionColumn)));
    onEvent({ type: 'connected', clients: options.clients, processes: options.processes, originSource: counter.source });

    const plan = planRequests(options, perProcess);
    const jitter = seededRandom(options.seed + 1);
    const ttlFactor = options.keys.map(() => 1 + options.settings.ttlJitter * jitter());
    // Prime values once per run: the control side's fetches happen before any round's count starts.
    const primer = new PgOrigin(pool, fetchSql, counter.sequence, options.dbDelayMs, (key) => paramOfKey(key, options.param), race?.versionColumn);
    let primed = options.prime ? await primeValues(primer, options.keys) : [];
    const key = options.keys[0] as string;
    let freshPrime = true;

    for (const strategy of options.strategies) {
      if (stop.signal.aborted) break;
      const settings = settingsFor(strategy, options.settings);
      const samples: Sample[] = [];
      const perExpiry: number[] = [];
      const spans: [number, number, string][] = [];
      const strategyWarnings: string[] = [];
      let originQueries = 0;
      let toolCount = 0;
      let skew = 0;
      let skipped = 0;
      let rounds = 0;
      let peak = 0;
      const outageRounds: OutageRound[] = [];
      const raceRounds: RaceRound[] = [];
      const lags: number[] = [];
      const l1Lags: number[] = [];
      const roundStarts: number[] = [];
      const roundsToRun = options.openLoop ? 1 : options.rounds;
      for (let round = 0; round < roundsToRun && !stop.signal.aborted; round++) {
        await keys.releaseOwnLocks();
        // The row changes from round to round: each starts from the database's latest version.
        if (race && options.prime && !freshPrime) primed = await primeValues(primer, options.keys);
        freshPrime = false;
        if (options.prime) {
          const now = wallClock.now();
          const ttlFor = (i: number) => (options.trigger === 'ttl' && !options.openLoop ? options.expireInMs : settings.ttlMs) * (ttlFactor[i] as number);
          await keys.prime(
            primed.map((p) => ({ ...p, computedAt: now })),
            ttlFor,
            settings.keepStale ? settings.ttlMs + settings.staleWindowMs : undefined,
          );
        }
        const writtenAt = wallClock.now();
        // Each round starts its own detection window, so the peak is this expiry's herd alone.
        await keys.resetStampedeCounters();
        const dbBefore = await counter.read();
        const checkBefore = await counter.crossCheck?.();
        for (const [i, w] of workers.entries()) await w.arm({ strategy, settings, seed: options.seed, round, requests: plan[i] ?? [] });
        if (!options.openLoop && !outage) await fire(options, keys, writtenAt, ttlFactor, stop.signal);
        const releasedAt = wallClock.now();
        roundStarts.push(releasedAt);
        for (const w of workers) w.release();
        const outageRun = outage?.run(stop.signal);
        const writes = race?.run(key, cache, strategy, writeSchedule(options, round), releasedAt, settings.ttlMs, stop.signal);
        const outputs = await collectAll(workers, stop.signal);
        const window = await outageRun;
        const commits = await writes;
        const dbAfter = await counter.read();
        const sent = outputs.reduce((a, o) => a + o.originSent, 0);
        const counted = counter.source === 'tool-only' ? sent : dbAfter - dbBefore;
        const checkAfter = await counter.crossCheck?.();
        if (checkBefore !== undefined && checkAfter !== undefined && checkAfter - checkBefore !== counted) {
          strategyWarnings.push(`round ${round + 1}: pg_stat_statements counted ${counted} fetches, the sequence ${checkAfter - checkBefore}`);
        }
        const roundSamples = outputs.flatMap((o) => o.samples);
        const roundSpans = outputs.flatMap((o) => o.fetchSpans);
        samples.push(...roundSamples);
        spans.push(...roundSpans);
        originQueries += counted;
        toolCount += sent;
        skipped += outputs.reduce((a, o) => a + o.skipped, 0);
        peak = Math.max(peak, peakConcurrency(roundSpans.map(([s, e]) => [s, e] as const)));
        // One key: the database's own count for this expiry. Several: the tool's per-key counts.
        if (options.keys.length === 1) perExpiry.push(counted);
        else perExpiry.push(...options.keys.map((k) => roundSpans.filter((s) => s[2] === k).length));
        for (const o of outputs) for (const e of o.backgroundErrors) strategyWarnings.push(`background refresh failed: ${e}`);
        if (race && commits) {
          raceRounds.push(roundVerdict(commits.length, await race.cachedVersion(key, cache), race.latest));
          lags.push(...staleReads(roundSamples, commits));
          l1Lags.push(...staleReads(roundSamples.filter((s) => s.result.tier === 'l1'), commits));
        }
        if (window) {
          const to = Math.max(...outputs.map((o) => o.endedAt));
          outageRounds.push({ window, fetchStarts: roundSpans.map((s) => s[0]), breakerLogs: outputs.flatMap((o) => (o.breaker ? [o.breaker] : [])), from: releasedAt, to });
        }
        const roundSkew = options.openLoop || outage ? 0 : releaseSkew(roundSamples);
        skew = Math.max(skew, roundSkew);
        rounds++;
        onEvent({ type: 'round', strategy, round: round + 1, originQueries: counted, skewMs: roundSkew });
      }
      // Open loop: an expiry is a refresh episode (overlapping fetches of one key count as one).
      const episodes = options.openLoop ? episodesByKey(spans) : [];
      reports.push(
        summarizeStrategy({
          strategy,
          rounds,
          expiries: options.openLoop ? episodes.length : rounds * options.keys.length,
          samples,
          originQueries,
          originQueriesTool: toolCount,
          originSource: counter.source,
          perExpiry: options.openLoop ? episodes : perExpiry,
          releaseSkewMs: skew,
          skipped,
          peakOriginConcurrency: peak,
          warnings: strategyWarnings,
          ...(options.outage && outageRounds.length > 0 ? { outage: summarizeOutage(options.outage.mode, options.outage.durationMs, outageRounds) } : {}),
          ...(options.race && raceRounds.length > 0 ? { race: summarizeRace(options.race.invalidate, raceRounds, lags) } : {}),
          ...(options.l1 ? { l1: { ...options.l1, staleLags: l1Lags } } : {}),
          roundStarts,
          fetchStarts: spans.map((s) => s[0]),
        }),
      );
    }
    return {
      runId,
      mode: options.openLoop ? 'open' : 'herd',
      key: options.keys[0] as string,
      keyCount: options.keys.length,
      topology: control.topology.kind,
      trigger: options.openLoop ? 'natural' : options.trigger,
      clients: options.clients,
      processes: options.processes,
      rounds: options.openLoop ? 1 : options.rounds,
      seed: options.seed,
      dbDelayMs: options.dbDelayMs,
      ttlJitter: options.settings.ttlJitter,
      ...(options.openLoop ? { openLoop: { ratePerSec: options.openLoop.ratePerSec, durationMs: options.openLoop.durationMs, requests: plan.reduce((a, p) => a + p.length, 0) } } : {}),
      originSource: counter.source,
      colocation,
      reports,
      warnings,
      interrupted: stop.signal.aborted,
      ...(outage && options.outage
        ? { outage: { node: outage.nodeAddress, mode: options.outage.mode, durationMs: options.outage.durationMs, ratePerSec: options.outage.ratePerSec, windowMs: options.outage.windowMs } }
        : {}),
    };
  } finally {
    clearTimeout(timer);
    options.signal.removeEventListener('abort', onAbort);
    await Promise.allSettled(workers.map((w) => w.close()));
    await outage?.close();
    try {
      // After writes to the operator's own row the saved value is older than the database:
      // the drill's last value stays, expiring with --ttl, rather than a restored stale one.
      await keys.restore({ keepValues: race?.changesRealRow === true });
      await race?.cleanup(options.keys[0] as string, cache);
    } finally {
      await counter?.drop().catch(() => undefined);
      await control.close();
      await pool.end();
    }
  }
}

function colocationOf(topology: Parameters<typeof checkColocation>[0], keys: readonly string[], warn: (m: string) => void): Colocation[] {
  const all = keys.flatMap((key) =>
    checkColocation(topology, key, [
      { role: 'lock', key: lockKeyOf(key) },
      { role: 'stale', key: staleKeyOf(key) },
      { role: 'stampede', key: stampedeKeyOf(key) },
    ]),
  );
  const advised = all.filter((c) => c.advice);
  if (advised.length > 0) {
    const keysAffected = new Set(advised.map((c) => c.key)).size;
    warn(`${advised[0]?.advice}${keysAffected > 1 ? ` (and ${keysAffected - 1} more keys like it)` : ''}`);
  }
  // The JSON keeps every key's facts only for small key sets.
  return keys.length <= 20 ? all : advised.slice(0, 20);
}

function splitEvenly(total: number, parts: number): number[] {
  return Array.from({ length: parts }, (_, i) => Math.floor(total / parts) + (i < total % parts ? 1 : 0));
}

async function startWorkers(
  options: DrillOptions & { fetchSql: string },
  runId: string,
  perProcess: number[],
  sequence: string | undefined,
  via: WorkerConfig['via'],
  versionColumn: string | undefined,
): Promise<WorkerHandle[]> {
  let first = 0;
  const configs: WorkerConfig[] = perProcess.map((clients, index) => {
    const config: WorkerConfig = {
      index,
      runId,
      target: options.target,
      pgUrl: options.pgUrl,
      pgPoolSize: options.pgPoolSize,
      keys: options.keys,
      fetchSql: options.fetchSql,
      dbDelayMs: options.dbDelayMs,
      clients,
      firstClientId: first,
      redisTimeoutMs: options.redisTimeoutMs,
      ...(via ? { via } : {}),
      ...(versionColumn ? { versionColumn } : {}),
      ...(options.l1 ? { l1: options.l1 } : {}),
      ...(options.param !== undefined ? { param: options.param } : {}),
      ...(sequence ? { sequence } : {}),
    };
    first += clients;
    return config;
  });
  const started: WorkerHandle[] = [];
  const results = await Promise.allSettled(
    configs.map(async (config) => {
      const worker = options.processes > 1 ? await startProcessWorker(config) : new DrillWorker(config);
      started.push(worker);
      await worker.connect();
      return worker;
    }),
  );
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) {
    await Promise.allSettled(started.map((w) => w.close()));
    throw failed.reason;
  }
  // In config order: worker i runs clients [first_i, first_i + n_i).
  return results.map((r) => (r as PromiseFulfilledResult<WorkerHandle>).value);
}

/** [client, key, offset] per request, per worker: the same for every strategy (same seed). */
function planRequests(options: DrillOptions, perProcess: number[]): [number, number, number][][] {
  const plan = perProcess.map(() => [] as [number, number, number][]);
  const keyCount = options.keys.length;
  const arrivalsOver = options.openLoop ?? (options.outage ? { ratePerSec: options.outage.ratePerSec, durationMs: options.outage.windowMs, maxRequests: DEFAULTS.herd.maxOpenLoopRequests } : undefined);
  if (arrivalsOver) {
    const arrivals = poissonArrivals(arrivalsOver.ratePerSec, arrivalsOver.durationMs, options.seed, arrivalsOver.maxRequests);
    const pick = seededRandom(options.seed + 2);
    arrivals.forEach((offset, j) => {
      const w = j % perProcess.length;
      const n = perProcess[w] as number;
      plan[w]?.push([Math.floor(j / perProcess.length) % n, Math.floor(pick() * keyCount), offset]);
    });
    return plan;
  }
  const offsets = herdOffsets(options.clients, options.spreadMs, options.seed);
  let g = 0;
  perProcess.forEach((n, w) => {
    for (let c = 0; c < n; c++, g++) plan[w]?.push([c, g % keyCount, offsets[g] ?? 0]);
  });
  return plan;
}

/**
 * When the round's writes happen, after the release: Poisson at --writes over the span the herd
 * reads and recomputes in (the spread plus two recompute delays, at least 100ms). Seeded per
 * round, so every strategy meets the same writes at the same moments.
 */
function writeSchedule(options: DrillOptions, round: number): number[] {
  if (!options.race) return [];
  const spanMs = Math.max(100, options.spreadMs + 2 * options.dbDelayMs);
  return poissonArrivals(options.race.ratePerSec, spanMs, options.seed + 3 + round * 7919, 10_000);
}

async function primeValues(primer: PgOrigin, keys: readonly string[]): Promise<CachedValue[]> {
  return Promise.all(
    keys.map(async (key) => {
      const started = wallClock.now();
      const row = await primer.fetch(key);
      const now = wallClock.now();
      return { value: row.value, deltaMs: now - started, computedAt: now, ttlLeftMs: Infinity, ...(row.version !== undefined ? { version: row.version } : {}) };
    }),
  );
}

/** The expiry itself: delete, a short PEXPIRE, or waiting out the natural TTL. */
async function fire(options: DrillOptions, keys: DrillKeys, writtenAt: number, ttlFactor: number[], stop: AbortSignal): Promise<void> {
  if (options.trigger === 'delete') {
    await keys.deleteAll();
  } else if (options.trigger === 'pexpire') {
    await keys.expireAll((i) => options.expireInMs * (ttlFactor[i] as number));
  } else {
    // Natural TTL: release so that the spread straddles the expiry.
    // Ctrl-C and --max-time end the wait too: a natural TTL can be minutes away.
    const waitMs = writtenAt + options.expireInMs - options.spreadMs / 2 - wallClock.now();
    if (waitMs > 0) await wallClock.sleep(waitMs, stop);
  }
}

async function collectAll(workers: readonly WorkerHandle[], stop: AbortSignal): Promise<WorkerRoundResult[]> {
  const onStop = () => workers.forEach((w) => w.stop());
  stop.addEventListener('abort', onStop);
  try {
    if (stop.aborted) onStop();
    return await Promise.all(workers.map((w) => w.collect()));
  } finally {
    stop.removeEventListener('abort', onStop);
  }
}

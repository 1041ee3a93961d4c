/**
 * The live drill: per strategy and round, prime the key, arm every client on the barrier,
 * fire the trigger, release them together, wait for every read (and background refresh),
 * then read what PostgreSQL counted. Leaves the key as it found it and removes its scratch keys.
 */
import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import { openCache } from '../redis/cache.js';
import { createPgPool, verifyPg } from '../postgres/pool.js';
import type { RedisTarget } from '../../config/target.js';
import { LockedError } from '../../errors.js';
import { DEFAULTS } from '../../config/defaults.js';
import { checkColocation, type Colocation } from '../../core/herd/colocation.js';
import { herdOffsets } from '../../core/herd/schedule.js';
import { settingsFor } from '../../core/herd/settings.js';
import { lockKeyOf } from '../../core/herd/strategies/index.js';
import { releaseSkew, summarizeStrategy, type OriginCountSource, type StrategyReport } from '../../core/herd/stats.js';
import type { CachedValue, StrategyName, StrategySettings } from '../../core/herd/types.js';
import type { Sample } from '../../core/herd/round.js';
import { createOriginCounter, PgOrigin, paramOfKey } from './origin.js';
import { RedisHerdCache, stampedeKeyOf, staleKeyOf } from './redis-cache.js';
import { RELEASE_IF_PREFIX, runScript } from './scripts.js';
import { wallClock } from './clock.js';
import type { ArmRequest, WorkerConfig, WorkerRoundResult } from './worker.js';
import { DrillWorker } from './worker.js';

export type Trigger = 'delete' | 'pexpire' | 'ttl';

export interface DrillOptions {
  target: RedisTarget;
  pgUrl: string | undefined;
  key: string;
  param?: string;
  fetchSql: string;
  clients: number;
  processes: number;
  rounds: number;
  strategies: StrategyName[];
  trigger: Trigger;
  /** pexpire: how far ahead the key is set to expire; ttl: unused. */
  expireInMs: number;
  /** Requests spread uniformly over this window after the release (0: all at once). */
  spreadMs: number;
  dbDelayMs: number;
  pgPoolSize: number;
  seed: number;
  maxTimeMs: number;
  settings: Omit<StrategySettings, 'keepStale'>;
  signal: AbortSignal;
  /** How worker processes are started (--processes > 1); injected by the command. */
  spawnWorker?: (config: WorkerConfig) => Promise<WorkerHandle>;
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
  key: string;
  topology: string;
  trigger: Trigger;
  clients: number;
  processes: number;
  rounds: number;
  seed: number;
  dbDelayMs: number;
  originSource: OriginCountSource;
  colocation: Colocation[];
  reports: StrategyReport[];
  warnings: string[];
  interrupted: boolean;
}

interface Snapshot {
  key: string;
  dump: Buffer | null;
  pttl: number;
}

export async function runDrill(options: DrillOptions, onEvent: (event: DrillEvent) => void = () => undefined): Promise<DrillResult> {
  const runId = randomBytes(4).toString('hex');
  const warnings: string[] = [];
  const warn = (message: string) => {
    warnings.push(message);
    onEvent({ type: 'warning', message });
  };
  const control = await openCache(options.target, { verify: 'all', connectionName: `cachectl-herd-${runId}` });
  const stop = new AbortController();
  const onAbort = () => stop.abort();
  options.signal.addEventListener('abort', onAbort);
  if (options.signal.aborted) stop.abort();
  const timer = setTimeout(() => {
    warn(`stopped at the time limit (${options.maxTimeMs}ms): partial results`);
    stop.abort();
  }, options.maxTimeMs);
  const pool = createPgPool({ url: options.pgUrl, max: 2, applicationName: `cachectl-herd-${runId}` });
  const workers: WorkerHandle[] = [];
  const snapshots: Snapshot[] = [];
  const cache = new RedisHerdCache(control);
  const runKey = `${DEFAULTS.herd.scratchPrefix}run:${options.key}`;
  let runLockHeld = false;
  const reports: StrategyReport[] = [];
  let counter: Awaited<ReturnType<typeof createOriginCounter>> | undefined;
  try {
    await verifyPg(pool, options.pgUrl);
    // One drill per key at a time: a second one would count the first one's queries.
    runLockHeld = (await cache.nodeFor(runKey).set(runKey, runId, 'PX', options.maxTimeMs + 60_000, 'NX')) === 'OK';
    if (!runLockHeld) throw new LockedError(`another herd drill is running on ${options.key} (${runKey} is set); wait for it or delete that key if it crashed`);

    const colocation = checkColocation(control.topology, options.key, [
      { role: 'lock', key: lockKeyOf(options.key) },
      { role: 'stale', key: staleKeyOf(options.key) },
      { role: 'stampede', key: stampedeKeyOf(options.key) },
    ]);
    for (const c of colocation) if (c.advice) warn(c.advice);

    counter = await createOriginCounter(pool, runId);
    if (counter.unavailable) warn(`PostgreSQL cannot count the fetches itself (${counter.unavailable}); origin counts are the tool's own`);
    for (const key of [options.key, staleKeyOf(options.key)]) snapshots.push(await snapshot(cache.nodeFor(key), key));

    const perProcess = splitClients(options.clients, options.processes);
    let first = 0;
    for (let index = 0; index < options.processes; index++) {
      const config: WorkerConfig = {
        index,
        runId,
        target: options.target,
        pgUrl: options.pgUrl,
        pgPoolSize: options.pgPoolSize,
        key: options.key,
        fetchSql: options.fetchSql,
        dbDelayMs: options.dbDelayMs,
        clients: perProcess[index] as number,
        firstClientId: first,
        ...(options.param !== undefined ? { param: options.param } : {}),
        ...(counter.sequence ? { sequence: counter.sequence } : {}),
      };
      first += config.clients;
      workers.push(options.processes > 1 && options.spawnWorker ? await options.spawnWorker(config) : new DrillWorker(config));
    }
    await Promise.all(workers.map((w) => w.connect()));
    onEvent({ type: 'connected', clients: options.clients, processes: options.processes, originSource: counter.source });

    // The control side's own origin, for priming (its fetches happen before each round's count starts).
    const primer = new PgOrigin(pool, options.fetchSql, counter.sequence, options.dbDelayMs, (key) => paramOfKey(key, options.param));
    const offsets = herdOffsets(options.clients, options.spreadMs, options.seed);

    for (const strategy of options.strategies) {
      if (stop.signal.aborted) break;
      const settings = settingsFor(strategy, options.settings);
      const samples: Sample[] = [];
      const perExpiry: number[] = [];
      let toolCount = 0;
      let skew = 0;
      let skipped = 0;
      let rounds = 0;
      const strategyWarnings: string[] = [];
      const primedAt = wallClock.now();
      const primeValue = await primer.fetch(options.key);
      const primed: CachedValue = { value: primeValue, deltaMs: wallClock.now() - primedAt, computedAt: wallClock.now(), ttlLeftMs: settings.ttlMs };
      for (let round = 0; round < options.rounds && !stop.signal.aborted; round++) {
        await cleanOwnLock(cache, options.key, runId);
        primed.computedAt = wallClock.now();
        const primeTtl = options.trigger === 'ttl' ? options.expireInMs : settings.ttlMs;
        await cache.write(options.key, primed, primeTtl, settings.keepStale ? settings.ttlMs + settings.staleWindowMs : undefined);
        const writtenAt = wallClock.now();
        const stampedeBase = Number((await cache.nodeFor(stampedeKeyOf(options.key)).get(stampedeKeyOf(options.key))) ?? 0);
        const dbBefore = await counter.read();
        let next = 0;
        for (const [i, w] of workers.entries()) {
          const n = perProcess[i] as number;
          await w.arm({ strategy, settings, seed: options.seed, round, offsetsMs: offsets.slice(next, next + n) });
          next += n;
        }
        await fire(options, cache, writtenAt);
        for (const w of workers) w.release();
        const onStop = () => workers.forEach((w) => w.stop());
        stop.signal.addEventListener('abort', onStop);
        let outputs: WorkerRoundResult[];
        try {
          outputs = await Promise.all(workers.map((w) => w.collect()));
        } finally {
          stop.signal.removeEventListener('abort', onStop);
        }
        const dbAfter = await counter.read();
        const sent = outputs.reduce((a, o) => a + o.originSent, 0);
        const counted = counter.source === 'tool-only' ? sent : dbAfter - dbBefore;
        const roundSamples = outputs.flatMap((o) => o.samples);
        for (const s of roundSamples) if (s.result.stampedeCount !== undefined) s.result.stampedeCount = Math.max(0, s.result.stampedeCount - stampedeBase);
        samples.push(...roundSamples);
        perExpiry.push(counted);
        toolCount += sent;
        skipped += outputs.reduce((a, o) => a + o.skipped, 0);
        for (const o of outputs) for (const e of o.backgroundErrors) strategyWarnings.push(`background refresh failed: ${e}`);
        const roundSkew = releaseSkew(roundSamples);
        skew = Math.max(skew, roundSkew);
        rounds++;
        onEvent({ type: 'round', strategy, round: round + 1, originQueries: counted, skewMs: roundSkew });
      }
      reports.push(
        summarizeStrategy({
          strategy,
          rounds,
          expiries: rounds,
          samples,
          originQueries: perExpiry.reduce((a, b) => a + b, 0),
          originQueriesTool: toolCount,
          originSource: counter.source,
          perExpiry,
          releaseSkewMs: skew,
          skipped,
          warnings: strategyWarnings,
        }),
      );
    }
    return {
      runId,
      key: options.key,
      topology: control.topology.kind,
      trigger: options.trigger,
      clients: options.clients,
      processes: options.processes,
      rounds: options.rounds,
      seed: options.seed,
      dbDelayMs: options.dbDelayMs,
      originSource: counter.source,
      colocation,
      reports,
      warnings,
      interrupted: stop.signal.aborted,
    };
  } finally {
    clearTimeout(timer);
    options.signal.removeEventListener('abort', onAbort);
    await Promise.allSettled(workers.map((w) => w.close()));
    try {
      await cleanOwnLock(cache, options.key, runId);
      for (const s of snapshots) await restore(cache.nodeFor(s.key), s);
      if (runLockHeld) await runScript(cache.nodeFor(runKey), RELEASE_IF_PREFIX, [runKey], [runId]);
    } finally {
      await counter?.drop().catch(() => undefined);
      await control.close();
      await pool.end();
    }
  }
}

function splitClients(clients: number, processes: number): number[] {
  return Array.from({ length: processes }, (_, i) => Math.floor(clients / processes) + (i < clients % processes ? 1 : 0));
}

/** The expiry itself: delete, a short PEXPIRE, or waiting out the natural TTL. */
async function fire(options: DrillOptions, cache: RedisHerdCache, writtenAt: number): Promise<void> {
  const node = cache.nodeFor(options.key);
  if (options.trigger === 'delete') {
    await node.del(options.key);
  } else if (options.trigger === 'pexpire') {
    await node.pexpire(options.key, Math.max(1, options.expireInMs));
  } else {
    // Natural TTL: release so that the spread straddles the expiry.
    const releaseAt = writtenAt + options.expireInMs - options.spreadMs / 2;
    await wallClock.sleep(releaseAt - wallClock.now());
  }
}

async function cleanOwnLock(cache: RedisHerdCache, key: string, runId: string): Promise<void> {
  const lockKey = lockKeyOf(key);
  await runScript(cache.nodeFor(lockKey), RELEASE_IF_PREFIX, [lockKey], [`${runId}:`]);
}

async function snapshot(node: Redis, key: string): Promise<Snapshot> {
  const [dump, pttl] = await Promise.all([node.dumpBuffer(key), node.pttl(key)]);
  return { key, dump, pttl };
}

/** Puts the key back as it was before the drill (value and remaining TTL), or removes it. */
async function restore(node: Redis, s: Snapshot): Promise<void> {
  if (s.dump === null) {
    await node.del(s.key);
    return;
  }
  await node.restore(s.key, s.pttl > 0 ? s.pttl : 0, s.dump, 'REPLACE');
}

/**
 * The live drill's connections: Redis, PostgreSQL and the worker processes behind the engine's
 * ports (core/herd/drill.ts runs the rounds). Prepares the run (run marker, crashed runs,
 * counter, snapshot, workers), and leaves the keys as it found them and removes its scratch keys.
 */
import { randomBytes } from 'node:crypto';
import { setMaxListeners } from 'node:events';
import { openCache } from '../redis/cache.js';
import { DEFAULTS } from '../../config/defaults.js';
import type pg from 'pg';
import { createPgPool, verifyPg } from '../postgres/pool.js';
import type { RedisTarget } from '../../config/target.js';
import { checkColocation, type Colocation } from '../../core/herd/colocation.js';
import { lockKeyOf } from '../../core/herd/strategies/index.js';
import type { StrategyReport } from '../../core/herd/stats.js';
import { drillResult, runStrategies, type RacePort, type WorkerPort } from '../../core/herd/drill.js';
import { planRequests, splitEvenly } from '../../core/herd/drill-plan.js';
import type { DatabaseFacts, DrillEvent, DrillResult, DrillSpec, OutageOptions, RaceOptions } from '../../core/herd/drill-types.js';
import { createOriginCounter, dropScratchOf, PgOrigin, paramOfKey, probeFetch } from './origin.js';
import { RedisHerdCache, stampedeKeyOf, staleKeyOf } from './redis-cache.js';
import { DrillKeys } from './keyset.js';
import { wallClock } from './clock.js';
import type { WorkerConfig } from './worker.js';
import { DrillWorker } from './worker.js';
import { startProcessWorker } from './process-worker.js';
import { DrillOutage } from './outage.js';
import { RaceWriter } from './race-writer.js';
import { describeDatabase } from './database-facts.js';
import { settleUnlessStopped, settleWithin } from '../../core/herd/settle.js';
import { socketBreaker } from './pg-hard-stop.js';

export type { DrillEvent, DrillResult, Trigger } from '../../core/herd/drill-types.js';

export interface DrillOptions extends DrillSpec {
  target: RedisTarget;
  pgUrl: string | undefined;
  /** Called right before the first connection (the command names the topology). */
  announce?: () => void;
  param?: string;
  /** Absent only with a race on the drill's scratch table, whose fetch the drill writes. */
  fetchSql?: string;
  pgPoolSize: number;
  maxTimeMs: number;
  /** Every drill client's Redis command timeout. */
  redisTimeoutMs: number;
  outage?: OutageOptions & { ratePerSec: number; windowMs: number };
  race?: RaceOptions;
  signal: AbortSignal;
}

export interface WorkerHandle extends WorkerPort {
  connect(): Promise<void>;
  /** Reads in flight lose their database connections; fetches not yet connected fail. */
  abandon(): void;
  close(): Promise<void>;
  /** The end of a cleanup that did not finish in its bound. */
  kill(): void;
}

/**
 * Bounds of a stop (--max-time, SIGINT, SIGTERM), whatever the database does: reads in flight
 * get STOP_GRACE_MS to finish; then the drill drops its PostgreSQL connections (reads in flight
 * fail at once) and waits at most ABANDON_MS more; the cleanup (workers, the key's restore, the
 * scratch objects) gets CLEANUP_MS, after which what is left is killed. So a drill ends at most
 * STOP_BOUND_MS after it was told to stop.
 */
export const STOP_GRACE_MS = 2_000;
export const ABANDON_MS = 3_000;
export const CLEANUP_MS = 5_000;
export const STOP_BOUND_MS = STOP_GRACE_MS + ABANDON_MS + CLEANUP_MS;

/** What the preparation has opened so far: the cleanup and a partial result read it. */
interface Opened {
  workers: WorkerHandle[];
  reports: StrategyReport[];
  counter?: Awaited<ReturnType<typeof createOriginCounter>>;
  outage?: DrillOutage;
  race?: RaceWriter;
  database?: DatabaseFacts;
  colocation: Colocation[];
  planned: number;
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

  const pool = createPgPool({ url: options.pgUrl, max: CONTROL_CONNECTIONS, applicationName: `cachectl-herd-${runId}` });
  const breakControlSockets = socketBreaker(pool);
  const cache = new RedisHerdCache(control);
  const keys = new DrillKeys(cache, options.keys, runId);
  const opened: Opened = { workers: [], reports: [], colocation: [], planned: 0 };
  const partial = (): DrillResult =>
    drillResult(
      options,
      {
        runId,
        topology: control.topology.kind,
        originSource: opened.counter?.source ?? 'tool-only',
        colocation: opened.colocation,
        warnings,
        interrupted: true,
        planned: opened.planned,
        ...(opened.outage ? { outageNode: opened.outage.nodeAddress } : {}),
        ...(opened.database ? { database: opened.database } : {}),
      },
      opened.reports,
    );
  const body = prepareAndRun(options, { runId, control, pool, cache, keys, stop: stop.signal, warnings, warn, onEvent }, opened);
  try {
    const settled = await settleUnlessStopped(body, stop.signal, STOP_GRACE_MS);
    if (settled.done) return settled.value();
    // Stopped, and the reads (or the preparation) still wait for the database: stop waiting for it.
    for (const w of opened.workers) w.abandon();
    breakControlSockets();
    warn(
      `the database had not answered ${STOP_GRACE_MS / 1000}s after the stop: dropped the drill's PostgreSQL connections; reads still waiting for it count as errors`,
    );
    const late = await settleWithin(body, ABANDON_MS);
    if (late.done) {
      try {
        return late.value();
      } catch (error) {
        warn(`the drill stopped while ${error instanceof Error ? error.message : String(error)}`);
      }
    }
    return partial();
  } finally {
    clearTimeout(timer);
    options.signal.removeEventListener('abort', onAbort);
    const cleanup = cleanUp(options, opened, keys, cache, control, pool, warn);
    const cleaned = await settleWithin(cleanup, CLEANUP_MS);
    if (!cleaned.done) {
      warn(
        `the cleanup had not finished after ${CLEANUP_MS / 1000}s: stopped it` +
          (opened.counter?.sequence ? `; if the scratch sequence ${opened.counter.sequence} is still there, DROP SEQUENCE ${opened.counter.sequence}` : '') +
          `; a key not yet restored is restored by the next drill on it`,
      );
      for (const w of opened.workers) w.kill();
      keys.stopRenewal();
      breakControlSockets();
      void control.close().catch(() => undefined);
    } else {
      cleaned.value();
    }
  }
}

/** The coordinator's own PostgreSQL connections (counter, primer, probes, cleanup). */
const CONTROL_CONNECTIONS = 4;

interface Run {
  runId: string;
  control: Awaited<ReturnType<typeof openCache>>;
  pool: pg.Pool;
  cache: RedisHerdCache;
  keys: DrillKeys;
  stop: AbortSignal;
  warnings: string[];
  warn: (message: string) => void;
  onEvent: (event: DrillEvent) => void;
}

async function prepareAndRun(options: DrillOptions, run: Run, opened: Opened): Promise<DrillResult> {
  const { runId, control, pool, cache, keys, warn, onEvent } = run;
  await verifyPg(pool, options.pgUrl);
  opened.database = await describeDatabase(pool, { pgPoolSize: options.pgPoolSize, processes: options.processes, controlConnections: CONTROL_CONNECTIONS });
  await keys.markRun();
  // A drill killed with SIGKILL restored nothing: put back what it recorded, drop its scratch objects.
  for (const r of await keys.recoverCrashed()) {
    const dropped = await dropScratchOf(pool, r.runId);
    warn(
      `a drill on ${r.key} (run ${r.runId}, started ${new Date(r.takenAt).toISOString()}) ended without cleaning up: ${r.key} restored as it was then${dropped.length > 0 ? `, dropped ${dropped.join(', ')}` : ''}`,
    );
  }
  opened.colocation = colocationOf(control.topology, options.keys, warn);
  if (options.outage) opened.outage = await DrillOutage.prepare(control, options.keys[0] as string, `cachectl-herd-${runId}`, options.outage);
  const outage = opened.outage;
  const param = paramOfKey(options.keys[0] as string, options.param);
  if (options.fetchSql !== undefined) await probeFetch(pool, options.fetchSql, param);
  if (options.race) opened.race = await RaceWriter.prepare(pool, runId, param, options.race, options.fetchSql);
  const race = opened.race;
  const fetchSql = race?.fetchSql ?? (options.fetchSql as string);
  const counter = await createOriginCounter(pool, runId, { fetchSql, param });
  opened.counter = counter;
  if (counter.unavailable) warn(`PostgreSQL cannot count the fetches itself (${counter.unavailable}); origin counts are the tool's own`);
  await keys.snapshot();

  const perProcess = splitEvenly(options.clients, options.processes);
  await startWorkers({ ...options, fetchSql }, runId, perProcess, counter.sequence, outage?.via, race?.versionColumn, opened.workers);
  onEvent({ type: 'connected', clients: options.clients, processes: options.processes, originSource: counter.source });

  const plan = planRequests(options, perProcess, DEFAULTS.herd.maxOpenLoopRequests);
  opened.planned = plan.reduce((a, p) => a + p.length, 0);
  // Prime values once per run: the control side's fetches happen before any round's count starts.
  const primer = new PgOrigin(pool, fetchSql, counter.sequence, options.dbDelayMs, (key) => paramOfKey(key, options.param), race?.versionColumn);
  const key = options.keys[0] as string;
  const racePort: RacePort | undefined = race && {
    run: (strategy, offsets, releasedAt, ttlMs, signal) => race.run(key, cache, strategy, offsets, releasedAt, ttlMs, signal),
    cachedVersion: () => race.cachedVersion(key, cache),
    get latest() {
      return race.latest;
    },
  };
  const ports = { clock: wallClock, keys, counter, workers: opened.workers, primer, ...(outage ? { outage } : {}), ...(racePort ? { race: racePort } : {}) };
  await runStrategies(options, ports, plan, run.stop, onEvent, opened.reports);
  return drillResult(
    options,
    {
      runId,
      topology: control.topology.kind,
      originSource: counter.source,
      colocation: opened.colocation,
      warnings: run.warnings,
      interrupted: run.stop.aborted,
      planned: opened.planned,
      ...(outage ? { outageNode: outage.nodeAddress } : {}),
      database: opened.database,
    },
    opened.reports,
  );
}

async function cleanUp(
  options: DrillOptions,
  opened: Opened,
  keys: DrillKeys,
  cache: RedisHerdCache,
  control: Run['control'],
  pool: pg.Pool,
  warn: (message: string) => void,
): Promise<void> {
  await Promise.allSettled(opened.workers.map((w) => w.close()));
  await opened.outage?.close();
  try {
    // After writes to the operator's own row the saved value is older than the database:
    // the drill's last value stays, expiring with --ttl, rather than a restored stale one.
    await keys.restore({ keepValues: opened.race?.changesRealRow === true });
    await opened.race?.cleanup(options.keys[0] as string, cache);
  } finally {
    await opened.counter
      ?.drop()
      .catch((error: unknown) =>
        warn(`could not drop the scratch sequence ${opened.counter?.sequence}: ${error instanceof Error ? error.message : String(error)}`),
      );
    await control.close();
    await pool.end();
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

async function startWorkers(
  options: DrillOptions & { fetchSql: string },
  runId: string,
  perProcess: number[],
  sequence: string | undefined,
  via: WorkerConfig['via'],
  versionColumn: string | undefined,
  started: WorkerHandle[],
): Promise<void> {
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
  const results = await Promise.allSettled(
    configs.map(async (config) => {
      const worker = options.processes > 1 ? await startProcessWorker(config) : new DrillWorker(config);
      started.push(worker);
      await worker.connect();
      return worker;
    }),
  );
  // The cleanup closes whatever started, also when one failed.
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
  // In config order: worker i runs clients [first_i, first_i + n_i).
  started.splice(0, started.length, ...results.map((r) => (r as PromiseFulfilledResult<WorkerHandle>).value));
}

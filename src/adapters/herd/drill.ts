/**
 * The live drill's connections: Redis, PostgreSQL and the worker processes behind the engine's
 * ports (core/herd/drill.ts runs the rounds). Prepares the run (run marker, crashed runs,
 * counter, snapshot, workers), and leaves the keys as it found them and removes its scratch keys.
 */
import { randomBytes } from 'node:crypto';
import { setMaxListeners } from 'node:events';
import { openCache } from '../redis/cache.js';
import { DEFAULTS } from '../../config/defaults.js';
import { createPgPool, verifyPg } from '../postgres/pool.js';
import type { RedisTarget } from '../../config/target.js';
import { checkColocation, type Colocation } from '../../core/herd/colocation.js';
import { lockKeyOf } from '../../core/herd/strategies/index.js';
import type { StrategyReport } from '../../core/herd/stats.js';
import { drillResult, runStrategies, type RacePort, type WorkerPort } from '../../core/herd/drill.js';
import { planRequests, splitEvenly } from '../../core/herd/drill-plan.js';
import type { DrillEvent, DrillResult, DrillSpec, OutageOptions, RaceOptions } from '../../core/herd/drill-types.js';
import { createOriginCounter, dropScratchOf, PgOrigin, paramOfKey, probeFetch } from './origin.js';
import { RedisHerdCache, stampedeKeyOf, staleKeyOf } from './redis-cache.js';
import { DrillKeys } from './keyset.js';
import { wallClock } from './clock.js';
import type { WorkerConfig } from './worker.js';
import { DrillWorker } from './worker.js';
import { startProcessWorker } from './process-worker.js';
import { DrillOutage } from './outage.js';
import { RaceWriter } from './race-writer.js';

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
  close(): Promise<void>;
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

    const plan = planRequests(options, perProcess, DEFAULTS.herd.maxOpenLoopRequests);
    // Prime values once per run: the control side's fetches happen before any round's count starts.
    const primer = new PgOrigin(pool, fetchSql, counter.sequence, options.dbDelayMs, (key) => paramOfKey(key, options.param), race?.versionColumn);
    const key = options.keys[0] as string;
    const racePort: RacePort | undefined = race && {
      run: (strategy, offsets, releasedAt, ttlMs, signal) => (race as RaceWriter).run(key, cache, strategy, offsets, releasedAt, ttlMs, signal),
      cachedVersion: () => (race as RaceWriter).cachedVersion(key, cache),
      get latest() {
        return (race as RaceWriter).latest;
      },
    };
    reports.push(
      ...(await runStrategies(options, { clock: wallClock, keys, counter, workers, primer, ...(outage ? { outage } : {}), ...(racePort ? { race: racePort } : {}) }, plan, stop.signal, onEvent)),
    );
    return drillResult(options, {
      runId,
      topology: control.topology.kind,
      originSource: counter.source,
      colocation,
      warnings,
      interrupted: stop.signal.aborted,
      planned: plan.reduce((a, p) => a + p.length, 0),
      ...(outage ? { outageNode: outage.nodeAddress } : {}),
    }, reports);
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


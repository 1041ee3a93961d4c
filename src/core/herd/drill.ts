/**
 * The live drill's engine: per strategy and round, prime the keys, arm every worker on the
 * barrier, fire the trigger, release them together, wait for every read (and background
 * refresh), then read what the database counted; and the per-strategy figures from all that.
 * Open loop sends Poisson arrivals across natural expiries instead, in one round.
 * Redis, PostgreSQL and the worker processes are ports: the adapter (adapters/herd/drill.ts)
 * connects them, prepares the run and cleans up after it.
 */
import { settingsFor } from './settings.js';
import { writeSchedule } from './drill-plan.js';
import { rankByOriginQueries } from './ranking.js';
import { seededRandom } from './random.js';
import { episodesByKey, peakConcurrency } from './episodes.js';
import { releaseSkew, summarizeStrategy, type OriginCountSource, type StrategyReport } from './stats.js';
import { roundVerdict, staleReads, summarizeRace, type Commit, type RaceRound } from './race.js';
import { summarizeOutage, type OutageRound, type OutageWindow } from './outage.js';
import type { ReadSample } from './round.js';
import type { CachedValue, Clock, OriginPort, StrategyName } from './types.js';
import type { ArmRequest, DatabaseFacts, DrillEvent, DrillResult, DrillSpec, WorkerRoundResult } from './drill-types.js';
import type { Colocation } from './colocation.js';

/** The drilled keys in Redis, as the rounds change them. */
export interface DrillKeysPort {
  releaseOwnLocks(): Promise<void>;
  prime(entries: readonly CachedValue[], ttlFor: (index: number) => number, staleTtlMs: number | undefined): Promise<void>;
  resetStampedeCounters(): Promise<void>;
  deleteAll(): Promise<void>;
  expireAll(msFor: (index: number) => number): Promise<void>;
}

/** What the database itself counted of the fetches. */
export interface OriginCountPort {
  source: OriginCountSource;
  read(): Promise<number>;
  crossCheck?: () => Promise<number>;
}

/** One application instance: its clients wait on the barrier, read, and report the round. */
export interface WorkerPort {
  arm(request: ArmRequest): void | Promise<void>;
  release(): void;
  /** Stop starting requests; those in flight finish. */
  stop(): void;
  collect(): Promise<WorkerRoundResult>;
}

/** --trigger outage: takes the node away during the round; resolves with when it was away. */
export interface OutagePort {
  run(stop: AbortSignal): Promise<OutageWindow | undefined>;
}

/** --writes: updates the row during the round, and tells what the cache and the database hold. */
export interface RacePort {
  run(strategy: StrategyName, offsets: readonly number[], releasedAt: number, ttlMs: number, stop: AbortSignal): Promise<Commit[]>;
  cachedVersion(): Promise<number | null>;
  /** The database's latest committed version. */
  readonly latest: number;
}

export interface DrillPorts {
  clock: Clock;
  keys: DrillKeysPort;
  counter: OriginCountPort;
  workers: readonly WorkerPort[];
  /** The coordinator's own fetch, for the values the keys are primed with. */
  primer: OriginPort;
  outage?: OutagePort;
  race?: RacePort;
}

/** Every worker's requests, [client, key, offset] (drill-plan.ts). */
export type RequestPlan = [number, number, number][][];

/** Runs every strategy's rounds; each strategy's report joins `reports` as soon as it is done. */
export async function runStrategies(
  spec: DrillSpec,
  ports: DrillPorts,
  plan: RequestPlan,
  stop: AbortSignal,
  onEvent: (event: DrillEvent) => void,
  reports: StrategyReport[] = [],
): Promise<StrategyReport[]> {
  const { clock, keys, counter, workers, outage, race } = ports;
  const jitter = seededRandom(spec.seed + 1);
  const ttlFactor = spec.keys.map(() => 1 + spec.settings.ttlJitter * jitter());
  // Prime values once per run: the control side's fetches happen before any round's count starts.
  let primed = spec.prime ? await primeValues(ports.primer, clock, spec.keys) : [];
  let freshPrime = true;

  for (const strategy of spec.strategies) {
    if (stop.aborted) break;
    const settings = settingsFor(strategy, spec.settings);
    const samples: ReadSample[] = [];
    const perExpiry: number[] = [];
    const spans: [number, number, string][] = [];
    const poolWaits: number[] = [];
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
    const roundsToRun = spec.openLoop ? 1 : spec.rounds;
    for (let round = 0; round < roundsToRun && !stop.aborted; round++) {
      await keys.releaseOwnLocks();
      // The row changes from round to round: each starts from the database's latest version.
      if (race && spec.prime && !freshPrime) primed = await primeValues(ports.primer, clock, spec.keys);
      freshPrime = false;
      if (spec.prime) {
        const now = clock.now();
        const ttlFor = (i: number) => (spec.trigger === 'ttl' && !spec.openLoop ? spec.expireInMs : settings.ttlMs) * (ttlFactor[i] as number);
        await keys.prime(
          primed.map((p) => ({ ...p, computedAt: now })),
          ttlFor,
          settings.keepStale ? settings.ttlMs + settings.staleWindowMs : undefined,
        );
      }
      const writtenAt = clock.now();
      // Each round starts its own detection window, so the peak is this expiry's herd alone.
      await keys.resetStampedeCounters();
      const dbBefore = await counter.read();
      const checkBefore = await counter.crossCheck?.();
      for (const [i, w] of workers.entries()) await w.arm({ strategy, settings, seed: spec.seed, round, requests: plan[i] ?? [] });
      if (!spec.openLoop && !outage) await fire(spec, ports, writtenAt, ttlFactor, stop);
      const releasedAt = clock.now();
      roundStarts.push(releasedAt);
      for (const w of workers) w.release();
      const outageRun = outage?.run(stop);
      const writes = race?.run(strategy, writeSchedule(spec, round), releasedAt, settings.ttlMs, stop);
      const outputs = await collectAll(workers, stop);
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
      for (const o of outputs) poolWaits.push(...o.poolWaitsMs);
      originQueries += counted;
      toolCount += sent;
      skipped += outputs.reduce((a, o) => a + o.skipped, 0);
      peak = Math.max(peak, peakConcurrency(roundSpans.map(([s, e]) => [s, e] as const)));
      // One key: the database's own count for this expiry. Several: the tool's per-key counts.
      if (spec.keys.length === 1) perExpiry.push(counted);
      else perExpiry.push(...spec.keys.map((k) => roundSpans.filter((s) => s[2] === k).length));
      for (const o of outputs) for (const e of o.backgroundErrors) strategyWarnings.push(`background refresh failed: ${e}`);
      if (race && commits) {
        raceRounds.push(roundVerdict(commits.length, await race.cachedVersion(), race.latest));
        lags.push(...staleReads(roundSamples, commits));
        l1Lags.push(
          ...staleReads(
            roundSamples.filter((s) => s.result.tier === 'l1'),
            commits,
          ),
        );
      }
      if (window) {
        const to = Math.max(...outputs.map((o) => o.endedAt));
        outageRounds.push({
          window,
          fetchStarts: roundSpans.map((s) => s[0]),
          breakerLogs: outputs.flatMap((o) => (o.breaker ? [o.breaker] : [])),
          from: releasedAt,
          to,
        });
      }
      const roundSkew = spec.openLoop || outage ? 0 : releaseSkew(roundSamples);
      skew = Math.max(skew, roundSkew);
      rounds++;
      onEvent({ type: 'round', strategy, round: round + 1, originQueries: counted, skewMs: roundSkew });
    }
    // Open loop: an expiry is a refresh episode (overlapping fetches of one key count as one).
    const episodes = spec.openLoop ? episodesByKey(spans) : [];
    reports.push(
      summarizeStrategy({
        strategy,
        rounds,
        expiries: spec.openLoop ? episodes.length : rounds * spec.keys.length,
        samples,
        originQueries,
        originQueriesTool: toolCount,
        originSource: counter.source,
        perExpiry: spec.openLoop ? episodes : perExpiry,
        releaseSkewMs: skew,
        skipped,
        peakOriginConcurrency: peak,
        poolWaitsMs: poolWaits,
        queryMs: spans.map(([s, e]) => e - s),
        warnings: strategyWarnings,
        ...(spec.outage && outageRounds.length > 0 ? { outage: summarizeOutage(spec.outage.mode, spec.outage.durationMs, outageRounds) } : {}),
        ...(spec.race && raceRounds.length > 0 ? { race: summarizeRace(spec.race.invalidate, raceRounds, lags) } : {}),
        ...(spec.l1 ? { l1: { ...spec.l1, staleLags: l1Lags } } : {}),
        roundStarts,
        fetchStarts: spans.map((s) => s[0]),
      }),
    );
  }
  return reports;
}

/** What the run was, around the strategies' reports. */
export interface DrillFacts {
  runId: string;
  topology: string;
  originSource: OriginCountSource;
  colocation: Colocation[];
  warnings: string[];
  interrupted: boolean;
  /** Requests the plan holds (open loop). */
  planned: number;
  outageNode?: string;
  database?: DatabaseFacts;
}

export function drillResult(spec: DrillSpec, facts: DrillFacts, reports: StrategyReport[]): DrillResult {
  return {
    runId: facts.runId,
    mode: spec.openLoop ? 'open' : 'herd',
    key: spec.keys[0] as string,
    keyCount: spec.keys.length,
    topology: facts.topology,
    trigger: spec.openLoop ? 'natural' : spec.trigger,
    clients: spec.clients,
    processes: spec.processes,
    rounds: spec.openLoop ? 1 : spec.rounds,
    seed: spec.seed,
    dbDelayMs: spec.dbDelayMs,
    ttlJitter: spec.settings.ttlJitter,
    ...(spec.openLoop ? { openLoop: { ratePerSec: spec.openLoop.ratePerSec, durationMs: spec.openLoop.durationMs, requests: facts.planned } } : {}),
    originSource: facts.originSource,
    colocation: facts.colocation,
    reports,
    ranking: rankByOriginQueries(reports),
    warnings: facts.warnings,
    interrupted: facts.interrupted,
    ...(facts.database ? { database: facts.database } : {}),
    ...(facts.outageNode !== undefined && spec.outage
      ? {
          outage: {
            node: facts.outageNode,
            mode: spec.outage.mode,
            durationMs: spec.outage.durationMs,
            ratePerSec: spec.outage.ratePerSec,
            windowMs: spec.outage.windowMs,
          },
        }
      : {}),
  };
}

async function primeValues(primer: OriginPort, clock: Clock, keys: readonly string[]): Promise<CachedValue[]> {
  return Promise.all(
    keys.map(async (key) => {
      const started = clock.now();
      const row = await primer.fetch(key);
      const now = clock.now();
      return { value: row.value, deltaMs: now - started, computedAt: now, ttlLeftMs: Infinity, ...(row.version !== undefined ? { version: row.version } : {}) };
    }),
  );
}

/** The expiry itself: delete, a short PEXPIRE, or waiting out the natural TTL. */
async function fire(spec: DrillSpec, ports: DrillPorts, writtenAt: number, ttlFactor: number[], stop: AbortSignal): Promise<void> {
  if (spec.trigger === 'delete') {
    await ports.keys.deleteAll();
  } else if (spec.trigger === 'pexpire') {
    await ports.keys.expireAll((i) => spec.expireInMs * (ttlFactor[i] as number));
  } else {
    // Natural TTL: release so that the spread straddles the expiry.
    // Ctrl-C and --max-time end the wait too: a natural TTL can be minutes away.
    const waitMs = writtenAt + spec.expireInMs - spec.spreadMs / 2 - ports.clock.now();
    if (waitMs > 0) await ports.clock.sleep(waitMs, stop);
  }
}

async function collectAll(workers: readonly WorkerPort[], stop: AbortSignal): Promise<WorkerRoundResult[]> {
  const onStop = () => workers.forEach((w) => w.stop());
  stop.addEventListener('abort', onStop);
  try {
    if (stop.aborted) onStop();
    return await Promise.all(workers.map((w) => w.collect()));
  } finally {
    stop.removeEventListener('abort', onStop);
  }
}

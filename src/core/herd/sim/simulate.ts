/**
 * `herd simulate`: the same strategy code as the live drill, on a simulated clock with an
 * in-memory cache and origin. Herd mode releases N clients per process on an expired key;
 * open-loop mode sends Poisson arrivals across natural expiries.
 */
import { SimClock } from './clock.js';
import { MemoryCache, MemoryStore, SimOrigin } from './memory.js';
import { runRound, type HerdClient, type ReadSample } from '../round.js';
import { createStrategy, versionKeyOf, withL1, type L1Settings } from '../strategies/index.js';
import { clientRandom } from '../random.js';
import { herdOffsets, poissonArrivals, writeOffsets, writeSpanMs } from '../schedule.js';
import { settingsFor, type BaseSettings } from '../settings.js';
import { releaseSkew, summarizeStrategy, type StrategyReport } from '../stats.js';
import { predictHerd, predictOpenLoop, predictOutageDuring, predictStaleRate } from '../model.js';
import { summarizeOutage } from '../outage.js';
import { roundVerdict, summarizeRace, type RaceRound } from '../race.js';
import { episodeSizes } from '../episodes.js';
import type { StrategyName, StrategySettings } from '../types.js';

export interface SimulationInput {
  strategies: StrategyName[];
  mode: 'herd' | 'open';
  clients: number;
  processes: number;
  rounds: number;
  trigger: 'delete' | 'pexpire' | 'ttl';
  spreadMs: number;
  expireInMs: number;
  ratePerSec: number;
  durationMs: number;
  recomputeMs: number;
  rttMs: number;
  seed: number;
  maxRequests: number;
  settings: BaseSettings;
  /** A local tier per process (--l1). */
  l1?: L1Settings;
  /** Open loop: the cache paused over [lead, lead + duration); commands time out after redisTimeoutMs. */
  outage?: { leadMs: number; durationMs: number; redisTimeoutMs: number };
  /** Herd: row updates at this rate during each round, each followed by a delete of the key. */
  writesPerSec?: number;
}

export interface SimulatedStrategy {
  report: StrategyReport;
  predicted: number;
  /** The model's origin queries during the outage (--outage). */
  predictedDuring?: number;
  /** The model's share of rounds that end stale (--writes). */
  predictedStaleRate?: number;
}

const KEY = 'sim:key';

export async function simulate(input: SimulationInput): Promise<SimulatedStrategy[]> {
  const out: SimulatedStrategy[] = [];
  for (const strategy of input.strategies) {
    const settings = settingsFor(strategy, input.settings);
    out.push(input.mode === 'herd' ? await simulateHerd(strategy, settings, input) : await simulateOpen(strategy, settings, input));
  }
  return out;
}

interface World {
  clock: SimClock;
  store: MemoryStore;
  origin: SimOrigin;
  processes: { strategy: ReturnType<typeof createStrategy>; clients: HerdClient[] }[];
}

function world(strategy: StrategyName, input: SimulationInput, round: number, clientsPerProcess: number): World {
  const clock = new SimClock(1_000_000);
  const store = new MemoryStore(clock);
  const origin = new SimOrigin(clock, input.recomputeMs);
  const processes = Array.from({ length: input.processes }, (_, p) => ({
    strategy: input.l1 ? withL1(createStrategy(strategy), input.l1) : createStrategy(strategy),
    clients: Array.from({ length: clientsPerProcess }, (_, i) => {
      const id = p * clientsPerProcess + i;
      return { id, cache: new MemoryCache(store, input.rttMs), random: clientRandom(input.seed + round * 7919, id), token: `sim:${id}:${round}` };
    }),
  }));
  return { clock, store, origin, processes };
}

function prime(w: World, settings: StrategySettings, ttlMs: number, recomputeMs: number): void {
  const entry = {
    value: 'primed',
    deltaMs: recomputeMs,
    computedAt: w.clock.now(),
    ttlLeftMs: ttlMs,
    ...(w.origin.version !== undefined ? { version: w.origin.version } : {}),
  };
  w.store.set(KEY, entry, ttlMs);
  if (settings.keepStale) w.store.set(`${KEY}:stale`, entry, settings.ttlMs + settings.staleWindowMs);
}

async function simulateHerd(strategy: StrategyName, settings: StrategySettings, input: SimulationInput): Promise<SimulatedStrategy> {
  const samples: ReadSample[] = [];
  const perExpiry: number[] = [];
  const raceRounds: RaceRound[] = [];
  let skew = 0;
  const offsets = herdOffsets(input.clients * input.processes, input.spreadMs, input.seed);
  for (let round = 0; round < input.rounds; round++) {
    const w = world(strategy, input, round, input.clients);
    if (input.writesPerSec !== undefined) w.origin.version = 1;
    prime(w, settings, input.trigger === 'ttl' ? input.expireInMs : settings.ttlMs, input.recomputeMs);
    if (input.trigger === 'delete') w.store.delete(KEY);
    else if (input.trigger === 'pexpire') w.store.expireIn(KEY, input.expireInMs);
    const releaseDelay = input.trigger === 'ttl' ? input.expireInMs - input.spreadMs / 2 : 0;
    const released = w.clock.sleep(releaseDelay);
    let next = 0;
    const rounds = w.processes.map((proc) =>
      runRound({
        strategy: proc.strategy,
        origin: w.origin,
        clock: w.clock,
        settings,
        released,
        requests: proc.clients.map((client) => ({ client, key: KEY, offsetMs: offsets[next++] ?? 0 })),
      }),
    );
    const writes = input.writesPerSec !== undefined ? simulateWrites(w, strategy, input, round, released, settings.ttlMs) : Promise.resolve(0);
    const [outputs, writeCount] = await w.clock.run(Promise.all([Promise.all(rounds), writes]));
    const roundSamples = outputs.flatMap((o) => o.samples);
    samples.push(...roundSamples);
    perExpiry.push(w.origin.queries);
    if (input.writesPerSec !== undefined) {
      const left = w.store.items.get(KEY);
      const cached = left && w.store.alive(left.expiresAt) ? (left.raw.version ?? null) : null;
      raceRounds.push(roundVerdict(writeCount, cached, w.origin.version ?? 1));
    }
    skew = Math.max(skew, releaseSkew(roundSamples));
  }
  const report = summarizeStrategy({
    strategy,
    rounds: input.rounds,
    expiries: input.rounds,
    samples,
    originQueries: perExpiry.reduce((a, b) => a + b, 0),
    originQueriesTool: perExpiry.reduce((a, b) => a + b, 0),
    originSource: 'simulated',
    perExpiry,
    releaseSkewMs: skew,
    skipped: 0,
    warnings: [],
    ...(input.writesPerSec !== undefined ? { race: summarizeRace('delete', raceRounds, []) } : {}),
  });
  const model = predictHerd(strategy, { clientsPerProcess: input.clients, processes: input.processes, staleAvailable: settings.keepStale });
  // L1: one read per key per process goes past a cold L1, so at most one origin query per process.
  const predicted = input.l1 ? Math.min(model, input.processes) : model;
  if (input.writesPerSec === undefined) return { report, predicted };
  return {
    report,
    predicted,
    predictedStaleRate: predictStaleRate(strategy, input.writesPerSec, input.recomputeMs, writeSpanMs(input.spreadMs, input.recomputeMs)),
  };
}

/** The drill's write schedule on the simulated clock: bump the row's version, then delete the key (versioned: and leave the floor). */
async function simulateWrites(
  w: World,
  strategy: StrategyName,
  input: SimulationInput,
  round: number,
  released: Promise<void>,
  ttlMs: number,
): Promise<number> {
  await released;
  const start = w.clock.now();
  const offsets = writeOffsets(input.writesPerSec ?? 0, input.spreadMs, input.recomputeMs, input.seed, round);
  for (const offset of offsets) {
    await w.clock.sleep(start + offset - w.clock.now());
    w.origin.version = (w.origin.version ?? 1) + 1;
    if (strategy === 'versioned') w.store.strings.set(versionKeyOf(KEY), { value: String(w.origin.version), expiresAt: w.clock.now() + ttlMs });
    w.store.delete(KEY);
  }
  return offsets.length;
}

/** Refresh episodes: a recompute that starts while none is in flight opens one; overlapping ones join it. */
export function countEpisodes(starts: readonly number[], ends: readonly number[]): number {
  return episodeSizes(starts.map((s, i) => [s, ends[i] ?? s] as const)).length;
}

async function simulateOpen(strategy: StrategyName, settings: StrategySettings, input: SimulationInput): Promise<SimulatedStrategy> {
  const arrivals = poissonArrivals(input.ratePerSec, input.durationMs, input.seed, input.maxRequests);
  const w = world(strategy, input, 0, 0);
  // Arrivals are spread over the processes round-robin; each arrival is its own client.
  const perProcess = w.processes.map(() => [] as { client: HerdClient; key: string; offsetMs: number }[]);
  arrivals.forEach((offsetMs, i) => {
    const client: HerdClient = { id: i, cache: new MemoryCache(w.store, input.rttMs), random: clientRandom(input.seed, i), token: `sim:${i}` };
    perProcess[i % w.processes.length]?.push({ client, key: KEY, offsetMs });
  });
  prime(w, settings, settings.ttlMs, input.recomputeMs);
  const startedAt = w.clock.now();
  if (input.outage)
    w.store.outage = {
      from: startedAt + input.outage.leadMs,
      to: startedAt + input.outage.leadMs + input.outage.durationMs,
      timeoutMs: input.outage.redisTimeoutMs,
    };
  const outputs = await w.clock.run(
    Promise.all(
      w.processes.map((proc, p) =>
        runRound({ strategy: proc.strategy, origin: w.origin, clock: w.clock, settings, released: Promise.resolve(), requests: perProcess[p] ?? [] }),
      ),
    ),
  );
  const episodes = countEpisodes(w.origin.starts, w.origin.ends);
  const outage = input.outage
    ? summarizeOutage('pause', input.outage.durationMs, [
        {
          window: { startedAt: startedAt + input.outage.leadMs, endedAt: startedAt + input.outage.leadMs + input.outage.durationMs },
          fetchStarts: w.origin.starts,
          breakerLogs: w.processes.flatMap((p) => (p.strategy.drainBreakerLog ? [p.strategy.drainBreakerLog()] : [])),
          from: startedAt,
          to: w.clock.now(),
        },
      ])
    : undefined;
  const report = summarizeStrategy({
    strategy,
    rounds: 1,
    expiries: episodes,
    samples: outputs.flatMap((o) => o.samples),
    originQueries: w.origin.queries,
    originQueriesTool: w.origin.queries,
    originSource: 'simulated',
    perExpiry: [],
    releaseSkewMs: 0,
    skipped: 0,
    warnings: [],
    ...(outage ? { outage } : {}),
  });
  const predicted = predictOpenLoop(strategy, {
    ratePerSec: input.ratePerSec,
    recomputeMs: input.recomputeMs,
    ttlMs: settings.ttlMs,
    beta: settings.beta,
    processes: input.processes,
  });
  if (!input.outage) return { report, predicted };
  const during = predictOutageDuring(strategy, {
    ratePerSec: input.ratePerSec,
    outageMs: input.outage.durationMs,
    redisTimeoutMs: input.outage.redisTimeoutMs,
    recomputeMs: input.recomputeMs,
    processes: input.processes,
  });
  return { report, predicted, predictedDuring: during };
}

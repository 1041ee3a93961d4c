/**
 * `herd simulate`: the same strategy code as the live drill, on a simulated clock with an
 * in-memory cache and origin. Herd mode releases N clients per process on an expired key;
 * open-loop mode sends Poisson arrivals across natural expiries.
 */
import { SimClock } from './clock.js';
import { MemoryCache, MemoryStore, SimOrigin } from './memory.js';
import { runRound, type HerdClient, type Sample } from '../round.js';
import { createStrategy } from '../strategies/index.js';
import { clientRandom } from '../random.js';
import { herdOffsets, poissonArrivals } from '../schedule.js';
import { settingsFor, type BaseSettings } from '../settings.js';
import { releaseSkew, summarizeStrategy, type StrategyReport } from '../stats.js';
import { predictHerd, predictOpenLoop } from '../model.js';
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
}

export interface SimulatedStrategy {
  report: StrategyReport;
  predicted: number;
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
    strategy: createStrategy(strategy),
    clients: Array.from({ length: clientsPerProcess }, (_, i) => {
      const id = p * clientsPerProcess + i;
      return { id, cache: new MemoryCache(store, input.rttMs), random: clientRandom(input.seed + round * 7919, id), token: `sim:${id}:${round}` };
    }),
  }));
  return { clock, store, origin, processes };
}

function prime(w: World, settings: StrategySettings, ttlMs: number, recomputeMs: number): void {
  const entry = { value: 'primed', deltaMs: recomputeMs, computedAt: w.clock.now(), ttlLeftMs: ttlMs };
  w.store.set(KEY, entry, ttlMs);
  if (settings.keepStale) w.store.set(`${KEY}:stale`, entry, settings.ttlMs + settings.staleWindowMs);
}

async function simulateHerd(strategy: StrategyName, settings: StrategySettings, input: SimulationInput): Promise<SimulatedStrategy> {
  const samples: Sample[] = [];
  const perExpiry: number[] = [];
  let skew = 0;
  const offsets = herdOffsets(input.clients * input.processes, input.spreadMs, input.seed);
  for (let round = 0; round < input.rounds; round++) {
    const w = world(strategy, input, round, input.clients);
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
    const outputs = await w.clock.run(Promise.all(rounds));
    const roundSamples = outputs.flatMap((o) => o.samples);
    samples.push(...roundSamples);
    perExpiry.push(w.origin.queries);
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
  });
  const predicted = predictHerd(strategy, { clientsPerProcess: input.clients, processes: input.processes, staleAvailable: settings.keepStale });
  return { report, predicted };
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
  const outputs = await w.clock.run(
    Promise.all(
      w.processes.map((proc, p) =>
        runRound({ strategy: proc.strategy, origin: w.origin, clock: w.clock, settings, released: Promise.resolve(), requests: perProcess[p] ?? [] }),
      ),
    ),
  );
  const episodes = countEpisodes(w.origin.starts, w.origin.ends);
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
  });
  const predicted = predictOpenLoop(strategy, {
    ratePerSec: input.ratePerSec,
    recomputeMs: input.recomputeMs,
    ttlMs: settings.ttlMs,
    beta: settings.beta,
    processes: input.processes,
  });
  return { report, predicted };
}

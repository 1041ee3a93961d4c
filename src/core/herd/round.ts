/**
 * One expiry of the key and the herd that follows, independent of what the cache and clock
 * really are: the live drill and the simulator both call this.
 */
import {
  OriginError,
  type CachedValue,
  type Clock,
  type HerdCache,
  type Observed,
  type OriginPort,
  type Random,
  type ReadResult,
  type Strategy,
  type StrategySettings,
} from './types.js';
import { errorText } from './strategies/common.js';

export interface HerdClient {
  id: number;
  cache: HerdCache;
  random: Random;
  /** Prefix of this client's lock tokens. */
  token: string;
}

export interface ReadSample {
  client: number;
  key: string;
  /** Clock time the request was meant to go out (release + offset). */
  intendedAt: number;
  /** Clock time the client actually started its read. */
  startedAt: number;
  /** From the intended send time: no coordinated omission. */
  latencyMs: number;
  result: ReadResult;
}

export interface RoundInput {
  strategy: Strategy;
  origin: OriginPort;
  clock: Clock;
  settings: StrategySettings;
  /** Resolves at the release: the barrier. */
  released: Promise<void>;
  /** Per request: which client reads which key, and when, relative to the release. */
  requests: readonly { client: HerdClient; key: string; offsetMs: number }[];
  /** Stops starting new requests (Ctrl-C); requests already sent finish. */
  signal?: AbortSignal;
}

export interface RoundOutput {
  samples: ReadSample[];
  releasedAt: number;
  /** Requests never started because the drill was stopped. */
  skipped: number;
  /** Background work (swr refreshes) that failed. */
  backgroundErrors: string[];
}

export async function runRound(input: RoundInput): Promise<RoundOutput> {
  const { clock, settings } = input;
  const background: Promise<unknown>[] = [];
  const backgroundErrors: string[] = [];
  let skipped = 0;
  await input.released;
  const releasedAt = clock.now();
  const samples = await Promise.all(
    input.requests.map(async ({ client, key, offsetMs }, index): Promise<ReadSample | null> => {
      const intendedAt = releasedAt + offsetMs;
      if (offsetMs > 0) await clock.sleep(Math.max(0, intendedAt - clock.now()), input.signal);
      if (input.signal?.aborted) {
        skipped++;
        return null;
      }
      const startedAt = clock.now();
      let result: ReadResult;
      const observed: Observed = {};
      try {
        result = await input.strategy.read({
          key,
          cache: observing(client.cache, observed),
          origin: input.origin,
          clock,
          random: client.random,
          settings,
          // Unique per request (a client may have several in flight in open loop); ends in the
          // epoch so `inspect locks` can tell a lock's age from its value.
          token: `${client.token}:${index}:${Math.round(clock.now())}`,
          spawn: (work) => background.push(work.catch((error: unknown) => backgroundErrors.push(errorText(error)))),
          observed,
        });
      } catch (error) {
        result = { outcome: 'error', lockWaits: 0, error: errorText(error), ...(error instanceof OriginError ? { errorKind: error.kind } : {}), ...observed };
      }
      if (observed.version !== undefined) result = { ...result, version: observed.version };
      return { client: client.id, key, intendedAt, startedAt, latencyMs: clock.now() - intendedAt, result };
    }),
  );
  // Background refreshes belong to this expiry: their origin queries count for it.
  await Promise.all(background);
  return { samples: samples.filter((s): s is ReadSample => s !== null), releasedAt, skipped, backgroundErrors };
}

/** The client's cache, noting the version of every value the read gets or writes: what it serves. */
function observing(cache: HerdCache, observed: Observed): HerdCache {
  const note = (v: CachedValue | null) => {
    if (v?.version !== undefined) observed.version = v.version;
    return v;
  };
  return {
    read: async (key) => note(await cache.read(key)),
    readStale: async (key) => note(await cache.readStale(key)),
    write: async (key, value, ttlMs, staleTtlMs) => {
      await cache.write(key, value, ttlMs, staleTtlMs);
      note(value);
    },
    writeIfNewer: (key, value, ttlMs) => cache.writeIfNewer(key, value, ttlMs),
    acquireLock: (key, token, ttlMs) => cache.acquireLock(key, token, ttlMs),
    releaseLock: (key, token) => cache.releaseLock(key, token),
    countStampede: (key, windowMs) => cache.countStampede(key, windowMs),
  };
}

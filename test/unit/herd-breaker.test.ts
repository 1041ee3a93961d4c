import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { SimClock } from '../../src/core/herd/sim/clock.js';
import { MemoryCache, MemoryStore, SimOrigin } from '../../src/core/herd/sim/memory.js';
import { runRound, type HerdClient } from '../../src/core/herd/round.js';
import { breakerDurations, createStrategy } from '../../src/core/herd/strategies/index.js';
import { CircuitBreaker } from '../../src/core/herd/strategies/breaker.js';
import { settingsFor, type BaseSettings } from '../../src/core/herd/settings.js';
import { seededRandom } from '../../src/core/herd/random.js';
import type { StrategyName } from '../../src/core/herd/types.js';

const BASE: BaseSettings = {
  ttlMs: 60_000,
  ttlJitter: 0,
  beta: 1,
  lockTtlMs: 5_000,
  lockWaitMs: 5_000,
  lockPollMs: 5,
  lockPollMaxMs: 50,
  onLockTimeout: 'stale',
  staleWindowMs: 30_000,
  stampedeWindowMs: 5_000,
  breakerThreshold: 3,
  breakerTimeoutMs: 500,
};
const KEY = 'product:1';

describe('CircuitBreaker', () => {
  test('closed -> open after the threshold of consecutive failures; a success in between resets the count', () => {
    const clock = new SimClock(0);
    const b = new CircuitBreaker(clock, 3, 500);
    b.failure(false);
    b.failure(false);
    b.success(false);
    b.failure(false);
    b.failure(false);
    assert.equal(b.state, 'closed');
    b.failure(false);
    assert.equal(b.state, 'open');
    assert.equal(b.admit(), 'bypass');
  });

  test('after the timeout exactly one trial goes to the cache; its failure re-opens, its success closes', async () => {
    const clock = new SimClock(0);
    const b = new CircuitBreaker(clock, 1, 500);
    b.failure(false);
    await clock.run(clock.sleep(500));
    assert.equal(b.admit(), 'trial');
    assert.equal(b.state, 'half-open');
    assert.equal(b.admit(), 'bypass', 'a second request while the trial is out bypasses');
    b.failure(true);
    assert.equal(b.state, 'open');
    assert.equal(b.admit(), 'bypass', 'the timeout starts again from the failed trial');
    await clock.run(clock.sleep(500));
    assert.equal(b.admit(), 'trial');
    b.success(true);
    assert.equal(b.state, 'closed');
    const log = b.drain();
    assert.deepEqual(
      log.transitions.map((t) => t.to),
      ['open', 'half-open', 'open', 'half-open', 'closed'],
    );
    assert.deepEqual(breakerDurations(log, 0, 2_000), { closed: 1_000, open: 1_000, 'half-open': 0 });
  });
});

/** Reads every 10ms for `spanMs` while the cache is paused over [200, 1200). */
async function outageRun(strategy: StrategyName, spanMs = 3_000) {
  const clock = new SimClock(0);
  const store = new MemoryStore(clock);
  const origin = new SimOrigin(clock, 20);
  const settings = settingsFor(strategy, BASE);
  store.set(KEY, { value: 'warm', deltaMs: 20, computedAt: 0, ttlLeftMs: 60_000 }, 60_000);
  store.outage = { from: 200, to: 1_200, timeoutMs: 100 };
  const instance = createStrategy(strategy);
  const requests = Array.from({ length: spanMs / 10 }, (_, i) => {
    const client: HerdClient = { id: i, cache: new MemoryCache(store, 0.5), random: seededRandom(i + 1), token: `t${i}` };
    return { client, key: KEY, offsetMs: i * 10 };
  });
  const out = await clock.run(runRound({ strategy: instance, origin, clock, settings, released: Promise.resolve(), requests }));
  return { out, origin, log: instance.drainBreakerLog?.() };
}

describe('strategies under a cache outage (simulated pause, 100ms command timeout)', () => {
  test('none: every read during the outage waits for its timeout, then queries the origin; no read fails', async () => {
    const { out, origin } = await outageRun('none');
    // Reads sent over [200, 1100) time out; later ones wait for the pause to end and hit.
    assert.ok(origin.queries >= 89 && origin.queries <= 92, `${origin.queries} origin queries`);
    assert.ok(origin.starts.every((s) => s >= 300 && s < 1_300));
    assert.ok(out.samples.every((s) => s.result.outcome !== 'error'));
    const slow = out.samples.filter((s) => s.intendedAt >= 200 && s.intendedAt < 1_100);
    assert.ok(
      slow.every((s) => s.latencyMs >= 100),
      'each waited out its timeout',
    );
  });

  test('breaker: opens after 3 failures, bypasses the cache at the read rate, closes at the first trial after the outage', async () => {
    const { out, origin, log } = await outageRun('breaker');
    assert.ok(log);
    const opened = log.transitions.find((t) => t.to === 'open')!.at;
    assert.ok(opened >= 300 && opened <= 330, `opened at ${opened}`);
    const closed = log.transitions.filter((t) => t.to === 'closed').at(-1)!.at;
    assert.ok(closed >= 1_200 && closed <= 1_200 + 500 + 100 + 20, `closed at ${closed}`);
    // While open nothing waits on the cache: reads are as fast as the origin.
    const bypassed = out.samples.filter((s) => s.result.outcome === 'fallback' && s.latencyMs < 50);
    assert.ok(bypassed.length >= 60, `${bypassed.length} fast fallbacks`);
    assert.ok(origin.queries >= 100);
    assert.equal(log.transitions.at(-1)!.to, 'closed');
  });

  test('breaker+coalesce: the same breaker, but one origin query at a time per process', async () => {
    const plain = await outageRun('breaker');
    const coalesced = await outageRun('breaker+coalesce');
    assert.ok(coalesced.origin.queries < plain.origin.queries / 2, `${coalesced.origin.queries} vs ${plain.origin.queries}`);
    const spans = coalesced.origin.starts.map((s, i) => [s, coalesced.origin.ends[i]!] as const).sort((a, b) => a[0] - b[0]);
    for (let i = 1; i < spans.length; i++) assert.ok(spans[i]![0] >= spans[i - 1]![1], 'never two in flight');
  });
});

describe('breaker+coalesce with the cache up', () => {
  test('a miss whose reply is handled after the load wrote back joins that load, as coalesce does: one origin query, not two', async () => {
    const clock = new SimClock(1_000_000);
    const store = new MemoryStore(clock);
    const origin = new SimOrigin(clock, 100);
    const settings = settingsFor('breaker+coalesce', BASE);
    const fast = new MemoryCache(store, 0.5);
    // Redis answered this read before the write-back, but the process handles the reply 300ms later.
    const slow = new MemoryCache(store, 0.5);
    const lateRead = slow.read.bind(slow);
    slow.read = async (key) => {
      const v = await lateRead(key);
      await clock.sleep(300);
      return v;
    };
    const client = (id: number, cache: MemoryCache): HerdClient => ({ id, cache, random: seededRandom(id + 1), token: `t${id}` });
    const out = await clock.run(
      runRound({
        strategy: createStrategy('breaker+coalesce'),
        origin,
        clock,
        settings,
        released: clock.sleep(0),
        requests: [
          { client: client(1, fast), key: KEY, offsetMs: 0 },
          { client: client(2, slow), key: KEY, offsetMs: 0 },
        ],
      }),
    );
    assert.equal(origin.queries, 1);
    assert.deepEqual(out.samples.map((s) => s.result.outcome).sort(), ['coalesced', 'miss-recomputed']);
  });
});

describe('versioned write-back (compare-and-set)', () => {
  test('an older version never replaces a newer one, nor lands past a version floor', async () => {
    const clock = new SimClock(0);
    const store = new MemoryStore(clock);
    const cache = new MemoryCache(store, 0.5);
    const entry = (version: number) => ({ value: `v${version}`, deltaMs: 1, computedAt: 0, ttlLeftMs: 1_000, version });
    assert.equal(await clock.run(cache.writeIfNewer(KEY, entry(2), 1_000)), true);
    assert.equal(await clock.run(cache.writeIfNewer(KEY, entry(1), 1_000)), false);
    assert.equal((await clock.run(cache.read(KEY)))?.version, 2);
    store.delete(KEY);
    store.strings.set(`${KEY}:version`, { value: '3', expiresAt: 10_000 });
    assert.equal(await clock.run(cache.writeIfNewer(KEY, entry(2), 1_000)), false);
    assert.equal(await clock.run(cache.read(KEY)), null);
    assert.equal(await clock.run(cache.writeIfNewer(KEY, entry(3), 1_000)), true);
  });
});

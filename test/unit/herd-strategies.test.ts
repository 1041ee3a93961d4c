import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { SimClock } from '../../src/core/herd/sim/clock.js';
import { MemoryCache, MemoryStore, SimOrigin } from '../../src/core/herd/sim/memory.js';
import { runRound, type HerdClient, type RoundOutput } from '../../src/core/herd/round.js';
import { createStrategy, earlySimpleDecides, xfetchDecides } from '../../src/core/herd/strategies/index.js';
import { settingsFor, type BaseSettings } from '../../src/core/herd/settings.js';
import { seededRandom } from '../../src/core/herd/random.js';
import type { StrategyName, StrategySettings } from '../../src/core/herd/types.js';

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
  breakerThreshold: 5,
  breakerTimeoutMs: 1_000,
};
const KEY = 'product:42';

interface Herd {
  clock: SimClock;
  store: MemoryStore;
  origin: SimOrigin;
  run(): Promise<RoundOutput[]>;
}

/** `processes` x `clients` readers released together on the simulated clock. */
function herd(
  strategy: StrategyName,
  opts: { clients: number; processes?: number; settings?: Partial<StrategySettings>; recomputeMs?: number; failWith?: string },
): Herd {
  const clock = new SimClock(1_000_000);
  const store = new MemoryStore(clock);
  const origin = new SimOrigin(clock, opts.recomputeMs ?? 100, opts.failWith);
  const settings = settingsFor(strategy, { ...BASE, ...opts.settings });
  return {
    clock,
    store,
    origin,
    run() {
      const released = clock.sleep(0);
      const rounds = Array.from({ length: opts.processes ?? 1 }, (_, p) => {
        const instance = createStrategy(strategy);
        const clients: HerdClient[] = Array.from({ length: opts.clients }, (_, i) => ({
          id: p * 1000 + i,
          cache: new MemoryCache(store, 0.5),
          random: seededRandom(p * 1000 + i + 1),
          token: `t${p}:${i}`,
        }));
        return runRound({ strategy: instance, origin, clock, settings, released, requests: clients.map((client) => ({ client, key: KEY, offsetMs: 0 })) });
      });
      return clock.run(Promise.all(rounds));
    },
  };
}

const outcomes = (outs: RoundOutput[]) => outs.flatMap((o) => o.samples.map((s) => s.result.outcome));

describe('strategies on the simulated clock, herd on a missing key', () => {
  test('none: every client goes to the origin, and every one counted itself', async () => {
    const h = herd('none', { clients: 50 });
    const outs = await h.run();
    assert.equal(h.origin.queries, 50);
    assert.ok(outcomes(outs).every((o) => o === 'miss-recomputed'));
    const peak = Math.max(...outs.flatMap((o) => o.samples.map((s) => s.result.stampedeCount ?? 0)));
    assert.equal(peak, 50);
  });

  test('lock: exactly one origin query, the others wait for its value, and the lock is released', async () => {
    const h = herd('lock', { clients: 50 });
    const outs = await h.run();
    assert.equal(h.origin.queries, 1);
    const o = outcomes(outs);
    assert.equal(o.filter((x) => x === 'miss-recomputed').length, 1);
    assert.equal(o.filter((x) => x === 'waited').length, 49);
    assert.equal(h.store.strings.has(`lock:${KEY}`), false);
    assert.ok(h.store.items.has(KEY));
  });

  test('lock: a dead holder blocks recompute until its lock expires, then exactly one client takes over', async () => {
    const h = herd('lock', { clients: 20 });
    const lockExpires = h.clock.now() + 300;
    h.store.strings.set(`lock:${KEY}`, { value: 'someone-else', expiresAt: lockExpires });
    const outs = await h.run();
    assert.equal(h.origin.queries, 1);
    assert.ok((h.origin.starts[0] as number) >= lockExpires, 'nobody recomputes without the lock');
    assert.ok(outcomes(outs).every((x) => x === 'waited' || x === 'miss-recomputed'));
  });

  test('lock: when the wait times out the waiters serve the stale copy, never recompute', async () => {
    const h = herd('lock', { clients: 20, settings: { lockWaitMs: 200 } });
    h.store.strings.set(`lock:${KEY}`, { value: 'someone-else', expiresAt: h.clock.now() + 10_000 });
    h.store.set(`${KEY}:stale`, { value: 'old', deltaMs: 100, computedAt: h.clock.now() - 70_000, ttlLeftMs: 0 }, 20_000);
    const outs = await h.run();
    assert.equal(h.origin.queries, 0);
    const samples = outs.flatMap((o) => o.samples);
    assert.ok(samples.every((s) => s.result.outcome === 'stale' && (s.result.staleAgeMs ?? 0) >= 70_000));
    assert.ok(samples.every((s) => s.latencyMs >= 200 && s.result.lockWaits > 0));
  });

  test('lock with --on-lock-timeout fail: the waiters time out, nobody recomputes', async () => {
    const h = herd('lock', { clients: 10, settings: { lockWaitMs: 200, onLockTimeout: 'fail' } });
    h.store.strings.set(`lock:${KEY}`, { value: 'someone-else', expiresAt: h.clock.now() + 10_000 });
    const outs = await h.run();
    assert.equal(h.origin.queries, 0);
    assert.ok(outcomes(outs).every((x) => x === 'timeout'));
  });

  test('coalesce: one origin query per process, not one overall', async () => {
    const h = herd('coalesce', { clients: 30, processes: 3 });
    const outs = await h.run();
    assert.equal(h.origin.queries, 3);
    assert.equal(outcomes(outs).filter((x) => x === 'coalesced').length, 87);
  });

  test('coalesce: a miss whose reply comes back after the load finished is stale and joins it, not a second load', async () => {
    const clock = new SimClock(1_000_000);
    const store = new MemoryStore(clock);
    const origin = new SimOrigin(clock, 100);
    const settings = settingsFor('coalesce', BASE);
    const fast = new MemoryCache(store, 0.5);
    // Redis answered this read before the write, but the process handles the reply 300ms later.
    const slow = new MemoryCache(store, 0.5);
    const lateRead = slow.read.bind(slow);
    slow.read = async (key) => {
      const v = await lateRead(key);
      await clock.sleep(300);
      return v;
    };
    const strategy = createStrategy('coalesce');
    const client = (id: number, cache: MemoryCache): HerdClient => ({ id, cache, random: seededRandom(id + 1), token: `t${id}` });
    const out = await clock.run(
      runRound({
        strategy,
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

  test("coalesce: every joiner is served the load's version, so the race counts what each reader saw", async () => {
    const h = herd('coalesce', { clients: 10 });
    h.origin.version = 7;
    const outs = await h.run();
    assert.equal(h.origin.queries, 1);
    assert.deepEqual(
      outs[0]!.samples.map((s) => s.result.version),
      new Array(10).fill(7),
    );
  });

  test('coalesce: a failed load fails its joiners too, and the next miss loads again', async () => {
    const h = herd('coalesce', { clients: 10, failWith: 'boom' });
    const outs = await h.run();
    assert.equal(h.origin.queries, 1);
    assert.ok(outs[0]!.samples.every((s) => s.result.outcome === 'error' && s.result.error === 'boom'));
  });

  test('swr: everyone gets the stale copy at once and exactly one background refresh runs', async () => {
    const h = herd('swr', { clients: 40 });
    h.store.set(`${KEY}:stale`, { value: 'old', deltaMs: 100, computedAt: h.clock.now() - 61_000, ttlLeftMs: 0 }, 29_000);
    const outs = await h.run();
    assert.equal(h.origin.queries, 1);
    assert.ok(outcomes(outs).every((x) => x === 'stale'));
    assert.ok(h.store.items.has(KEY), 'the refresh wrote the value back');
    assert.ok(
      outs[0]!.samples.every((s) => s.latencyMs < 100),
      'nobody waited for the recompute',
    );
  });

  test('swr: a stale copy older than the window is not served; readers recompute', async () => {
    const h = herd('swr', { clients: 5, settings: { staleWindowMs: 1_000 } });
    h.store.set(`${KEY}:stale`, { value: 'old', deltaMs: 100, computedAt: h.clock.now() - 120_000, ttlLeftMs: 0 }, 10_000);
    const outs = await h.run();
    assert.equal(h.origin.queries, 5);
    assert.ok(outcomes(outs).every((x) => x === 'miss-recomputed'));
  });

  test('xfetch and early-simple cannot help on a missing key: a miss is a miss', async () => {
    for (const name of ['xfetch', 'early-simple'] as const) {
      const h = herd(name, { clients: 25 });
      await h.run();
      assert.equal(h.origin.queries, 25, name);
    }
  });

  test('lock+xfetch: an early recompute happens once, and the others keep serving the live value', async () => {
    const h = herd('lock+xfetch', { clients: 30 });
    // 10ms left, recompute took 1s: xfetch almost surely fires for every reader.
    h.store.set(KEY, { value: 'v', deltaMs: 1_000, computedAt: h.clock.now(), ttlLeftMs: 10 }, 10);
    const outs = await h.run();
    assert.equal(h.origin.queries, 1);
    const o = outcomes(outs);
    assert.equal(o.filter((x) => x === 'early-recomputed').length, 1);
    assert.equal(o.filter((x) => x === 'hit').length, 29);
  });
});

describe('early expiration rules', () => {
  test('xfetch fires when -delta * beta * ln(rand) >= ttl left, i.e. with probability exp(-r / (beta * delta))', () => {
    const entry = { value: 'v', deltaMs: 100, computedAt: 0, ttlLeftMs: 100 };
    // -100 * ln(1 - u) >= 100  <=>  u >= 1 - e^-1 (about 0.632)
    assert.equal(xfetchDecides(entry, 1, 0.6), false);
    assert.equal(xfetchDecides(entry, 1, 0.7), true);
    const random = seededRandom(7);
    let fired = 0;
    const n = 20_000;
    for (let i = 0; i < n; i++) if (xfetchDecides({ ...entry, ttlLeftMs: 150 }, 2, random())) fired++;
    assert.ok(Math.abs(fired / n - Math.exp(-150 / 200)) < 0.015, `rate ${fired / n}`);
  });

  test('early-simple is not xfetch: it ignores the recompute time and fires long before expiry', () => {
    const halfway = { value: 'v', deltaMs: 5, computedAt: 0, ttlLeftMs: 30_000 };
    assert.equal(earlySimpleDecides(halfway, 60_000, 1, 0.4), true, 'beta 1 at half the TTL: p = 0.5');
    assert.equal(earlySimpleDecides(halfway, 60_000, 1, 0.6), false);
    // xfetch with a 5ms recompute and 30s to go essentially never fires.
    assert.equal(xfetchDecides(halfway, 1, 0.999999), false);
  });

  test('a key without a TTL never expires early', () => {
    const forever = { value: 'v', deltaMs: 1e9, computedAt: 0, ttlLeftMs: Infinity };
    assert.equal(xfetchDecides(forever, 1, 0.99), false);
    assert.equal(earlySimpleDecides(forever, 60_000, 1, 0.01), false);
  });
});

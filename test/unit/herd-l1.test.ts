import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { SimClock } from '../../src/core/herd/sim/clock.js';
import { MemoryCache, MemoryStore, SimOrigin } from '../../src/core/herd/sim/memory.js';
import { runRound, type HerdClient } from '../../src/core/herd/round.js';
import { createStrategy, withL1 } from '../../src/core/herd/strategies/index.js';
import { LruL1 } from '../../src/core/herd/strategies/l1.js';
import { settingsFor } from '../../src/core/herd/settings.js';
import { seededRandom } from '../../src/core/herd/random.js';

const entry = (value: string) => ({ value, deltaMs: 1, computedAt: 0, ttlLeftMs: 1_000 });

describe('L1 tier', () => {
  test('bounded LRU: the least recently used entry goes first; entries die after their TTL', () => {
    const l1 = new LruL1({ size: 2, ttlMs: 100 });
    l1.set('a', entry('a'), 0);
    l1.set('b', entry('b'), 0);
    assert.equal(l1.get('a', 10)?.value, 'a');
    l1.set('c', entry('c'), 10);
    assert.equal(l1.size, 2);
    assert.equal(l1.get('b', 20), undefined, 'b was least recently used');
    assert.equal(l1.get('a', 99)?.value, 'a');
    assert.equal(l1.get('a', 100), undefined, 'expired at its TTL');
  });

  test('a herd of 3 processes x 30 on a missing key: one origin query per process with none, and none at all once L1 is warm', async () => {
    const clock = new SimClock(0);
    const store = new MemoryStore(clock);
    const origin = new SimOrigin(clock, 50);
    const settings = settingsFor('none', {
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
    });
    const processes = [0, 1, 2].map(() => withL1(createStrategy('none'), { size: 10, ttlMs: 2_000 }));
    const herd = () =>
      clock.run(
        Promise.all(
          processes.map((strategy, p) => {
            const requests = Array.from({ length: 30 }, (_, i) => {
              const client: HerdClient = { id: p * 100 + i, cache: new MemoryCache(store, 0.5), random: seededRandom(i + 1), token: `t${p}${i}` };
              return { client, key: 'k', offsetMs: 0 };
            });
            return runRound({ strategy, origin, clock, settings, released: Promise.resolve(), requests });
          }),
        ),
      );
    const first = await herd();
    assert.equal(origin.queries, 3);
    assert.equal(first.flatMap((o) => o.samples).filter((s) => s.result.tier === 'l1').length, 87);
    store.delete('k');
    await herd();
    assert.equal(origin.queries, 3, 'the key deleted in Redis, still served from every L1');
  });
});

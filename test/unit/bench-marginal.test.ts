import { test } from 'node:test';
import assert from 'node:assert/strict';
import { marginalBudget, perAddedKey } from '../bench/marginal.js';
import type { CpuBudget } from '../bench/report.js';

/** A run of `keys` keys that paid `fixed` CPU s once and `perKey` us for each key (and Redis `redisUs` a key). */
function run(keys: number, fixed: number, perKey: number, helpersFixed: number, helpersPerKey: number, redisUs: number, seconds: number): CpuBudget {
  return {
    run: `${keys}`,
    keys,
    keysPerSecond: keys / seconds,
    cachectlUs: (fixed * 1e6) / keys + perKey,
    helpersUs: (helpersFixed * 1e6) / keys + helpersPerKey,
    redisUs,
    postgresUs: 1,
    otherUs: 0.5,
    machineBusy: 0.9,
    cpuBoundRate: 0,
  };
}

const close = (actual: number, expected: number) => assert.ok(Math.abs(actual - expected) < 1e-9, `${actual} is not ${expected}`);

test('marginalBudget: the two runs difference over the keys between them cancels what both pay once', () => {
  const small = run(1_000_000, 0.9, 1.2, 0.3, 0.05, 6, 5);
  const large = run(10_000_000, 0.9, 1.2, 0.3, 0.05, 7, 50);
  const m = marginalBudget('m', small, large);
  assert.equal(m.keys, 9_000_000);
  close(m.cachectlUs, 1.2);
  close(m.helpersUs ?? NaN, 0.05);
  // Redis: 6 us over 1M keys, 7 over 10M: the 9M in between cost (70 - 6) / 9 us each.
  close(m.redisUs, 64 / 9);
  close(m.postgresUs, 1);
  close(m.keysPerSecond, 9_000_000 / 45);
});

test('perAddedKey: the goals on the added keys, and what the smaller run paid once', () => {
  const { budget, targets, context } = perAddedKey('key list', 2.5, run(250_000, 0.9, 1.7, 0.3, 0.3, 5, 2), run(1_000_000, 0.9, 1.7, 0.3, 0.3, 5, 6));
  close(budget.cachectlUs, 1.7);
  assert.deepEqual(
    targets.map((t) => [t.figure, t.met]),
    [
      ['cachectl CPU per added key, key list -> cluster, 250k to 1M (us)', true],
      ['cachectl / Redis CPU per added key, key list -> cluster', false],
    ],
  );
  close(targets[1]?.measured ?? NaN, 1.7 / 5);
  assert.match(context, /0\.90 s, of it helper threads 0\.30 s; each added key 1\.70 us/);
});

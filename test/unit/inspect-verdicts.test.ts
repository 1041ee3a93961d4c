import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sameValue } from '../../src/core/inspect/drift-compare.js';
import { Reservoir } from '../../src/core/inspect/reservoir.js';
import { verdictsOf } from '../../src/core/inspect/verdicts.js';

const thresholds = { cliffKeys: 100, memoryWarnPercent: 85, memoryCriticalPercent: 95, hitRatioPercent: 50 };

/** The smallest reports verdictsOf reads: one node with a hit ratio, nothing else wrong. */
function parts(hitRatio: number, noTtl = 0) {
  const node = { name: 'n1', status: 'ok', hitRatio, usedMemory: 10, maxMemory: 0, evictedKeys: 0, evictionPolicy: 'noeviction' };
  return {
    nodes: { nodes: [node] },
    ttl: { nodes: [{ name: 'n1', status: 'ok' }], clusterCliffs: { windows: [] }, totals: { noTtl, keys: 10 }, noTtlSample: noTtl ? ['k'] : [] },
    stampede: { totals: { hot: 0, leaked: 0, sliding: 0, maxCount: 0 }, top: [], leaked: [], threshold: 10 },
    locks: { totals: { stuck: 0, old: 0 }, top: [], maxAgeMs: 30_000 },
    stale: { totals: { serving: 0, 'no-ttl': 0, 'dies-first': 0 }, serving: [] },
  } as unknown as Parameters<typeof verdictsOf>[0];
}

test('a hit ratio that fell since the previous tick is a warning; one that rose is not', () => {
  const falling = verdictsOf(parts(0.8), thresholds, parts(0.9));
  assert.deepEqual(
    falling.map((v) => v.kind),
    ['hit-ratio-falling'],
  );
  assert.match(falling[0]!.text, /n1 90\.0% -> 80\.0%/);
  assert.deepEqual(verdictsOf(parts(0.95), thresholds, parts(0.9)), []);
  assert.deepEqual(verdictsOf(parts(0.8), thresholds), [], 'no previous tick: nothing to compare');
});

test('verdicts are ranked by severity, warnings before notices', () => {
  const v = verdictsOf(parts(0.2, 3), thresholds);
  assert.deepEqual(
    v.map((x) => [x.severity, x.kind]),
    [
      ['warning', 'hit-ratio'],
      ['notice', 'no-ttl'],
    ],
  );
});

test('hash values compare as sets of fields; strings byte for byte', () => {
  assert.equal(sameValue(['a', '1', 'b', '2'], ['b', '2', 'a', '1']), true);
  assert.equal(sameValue(['a', '1', 'b', '2'], ['a', '1']), false);
  assert.equal(sameValue(['a', '1'], ['a', '2']), false);
  assert.equal(sameValue('x', 'x'), true);
  assert.equal(sameValue('x', ['x', 'y']), false);
});

test('the reservoir keeps a uniform sample of n whatever the stream length', () => {
  let seed = 7;
  const random = () => (seed = (seed * 48271) % 2147483647) / 2147483647;
  const hits = new Array<number>(10).fill(0);
  for (let run = 0; run < 2000; run++) {
    const r = new Reservoir<number>(3, random);
    for (let i = 0; i < 10; i++) r.offer(i);
    assert.equal(r.items.length, 3);
    for (const i of r.items) hits[i]!++;
  }
  // Each of 10 items is kept with probability 3/10: 600 of 2000 runs, give or take sampling noise.
  for (const h of hits) assert.ok(h > 500 && h < 700, `kept ${h} times`);
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ExpiryCliffs } from '../../src/core/inspect/cliffs.js';
import { appliedShiftMs, clusterCliffs } from '../../src/core/inspect/cluster-cliffs.js';
import { ScanTally } from '../../src/core/inspect/tally.js';

test('an offset is applied only when it is larger than its own measurement error', () => {
  assert.equal(appliedShiftMs(undefined), 0);
  assert.equal(appliedShiftMs({ offsetMs: 0.4, uncertaintyMs: 0.2 }), 0, 'below 1 ms: ms expiry times cannot tell');
  assert.equal(appliedShiftMs({ offsetMs: 3, uncertaintyMs: 4 }), 0, 'within the round trip');
  assert.equal(appliedShiftMs({ offsetMs: 5000.4, uncertaintyMs: 0.3 }), 5000);
  assert.equal(appliedShiftMs({ offsetMs: -1500.6, uncertaintyMs: 2 }), -1501);
});

test('cluster-wide windows add up every node on the local clock: a node 5 s ahead is moved back before summing', () => {
  const second = 1_700_000_000_000;
  const ahead = new ScanTally(5, undefined, appliedShiftMs({ offsetMs: 5000.2, uncertaintyMs: 0.5 }));
  const inTime = new ScanTally(5, undefined, appliedShiftMs({ offsetMs: 0.3, uncertaintyMs: 0.4 }));
  for (let i = 0; i < 120; i++) ahead.add('string', 60_000, second + 5000 + i * 5, { key: () => `a${i}` }, 0);
  for (let i = 0; i < 80; i++) inTime.add('string', 60_000, second + i * 7, { key: () => `b${i}` }, 0);
  // Each node on its own clock: the cliffs are 5 s apart.
  assert.equal(ahead.topCliffs(1)[0]?.startMs, second + 5000);
  assert.equal(inTime.topCliffs(1)[0]?.startMs, second);
  const c = clusterCliffs(
    [
      { name: 'a', corrected: ahead.corrected, clock: { offsetMs: 5000.2, uncertaintyMs: 0.5 }, appliedMs: 5000 },
      { name: 'b', corrected: inTime.corrected, clock: { offsetMs: 0.3, uncertaintyMs: 0.4 }, appliedMs: 0 },
    ],
    { top: 3, minKeys: 2, nowMs: second - 10_000 },
  );
  assert.deepEqual(c.windows[0], {
    startMs: second,
    keys: 200,
    spanMs: 1000,
    inMs: 10_000,
    nodes: [
      { node: 'a', keys: 120 },
      { node: 'b', keys: 80 },
    ],
  });
  assert.equal(c.windows.length, 1);
  assert.deepEqual(
    c.clock.map((k) => k.appliedMs),
    [5000, 0],
  );
  assert.equal(c.busiest10s?.keys, 200);
  assert.equal(c.exact, true);
});

test('the busiest span slides: a burst across a 10 s boundary is counted whole', () => {
  const c = new ExpiryCliffs();
  for (let i = 0; i < 100; i++) c.add(25_000 + i * 100); // 25 s .. 34.9 s: crosses the 30 s boundary
  for (let i = 0; i < 60; i++) c.add(100_000 + i * 10); // 60 in one second
  assert.deepEqual(c.busiestSpan(10_000), { startMs: 25_000, keys: 100 });
  assert.deepEqual(c.busiestSpan(1000), { startMs: 100_000, keys: 60 });
  assert.equal(c.busiestSpan(100_000)?.keys, 160);
  assert.equal(c.sum(25_000, 30_000), 50);
  assert.equal(new ExpiryCliffs().busiestSpan(10_000), undefined);
});

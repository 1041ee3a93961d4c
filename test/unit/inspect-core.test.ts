import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ExpiryCliffs } from '../../src/core/inspect/cliffs.js';
import { TtlHistogram, ttlBucketOf } from '../../src/core/inspect/histogram.js';
import { TokenBucket, scanCountFor } from '../../src/core/inspect/rate.js';
import { TopN } from '../../src/core/inspect/top-n.js';
import { evaluateFailOn, parseFailOn } from '../../src/core/inspect/fail-on.js';
import { gettingWorse, rankChanges } from '../../src/core/inspect/watch.js';
import { keyspaceOf, parseInfo, versionAtLeast } from '../../src/core/inspect/keyspace.js';
import { UsageError } from '../../src/errors.js';

test('TTL buckets are log-scale and each bound starts the next bucket', () => {
  assert.equal(ttlBucketOf(0), 0);
  assert.equal(ttlBucketOf(999), 0);
  assert.equal(ttlBucketOf(1000), 1);
  assert.equal(ttlBucketOf(59_999), 2);
  assert.equal(ttlBucketOf(60_000), 3);
  assert.equal(ttlBucketOf(40 * 86_400_000), 9);
  const h = new TtlHistogram();
  for (const ms of [10, 5_000, 5_000, 7_200_000]) h.add(ms);
  assert.deepEqual(h.counts, [1, 2, 0, 0, 0, 1, 0, 0, 0, 0]);
  assert.equal(h.total(), 4);
});

test('expiry cliffs count absolute seconds exactly while under capacity', () => {
  const c = new ExpiryCliffs(100);
  for (let i = 0; i < 50; i++) c.add(1_000_000 + i * 10); // 50 in second 1000
  for (let i = 0; i < 30; i++) c.add(2_000_500 + i); // 30 in second 2000
  c.add(3_000_999);
  assert.deepEqual(c.top(2), [
    { startMs: 1_000_000, keys: 50 },
    { startMs: 2_000_000, keys: 30 },
  ]);
  assert.equal(c.busiest(), 50);
  assert.equal(c.exact, true);
  assert.equal(c.total, 81);
});

test('expiry cliffs stay bounded on a spread keyspace and still find the cliff, with an honest error bound', () => {
  const c = new ExpiryCliffs(1000);
  for (let s = 0; s < 20_000; s++) c.add(s * 1000); // one key per second: 20,000 distinct seconds
  for (let i = 0; i < 500; i++) c.add(12_345_000 + i);
  const [top] = c.top(1);
  assert.equal(top?.startMs, 12_345_000);
  assert.ok(top!.keys <= 501 && top!.keys >= 501 - c.maxUndercount, `${top!.keys} within the bound ${c.maxUndercount}`);
  assert.equal(c.exact, false);
  assert.ok(c.top(5000).length <= 1000, 'never more windows than the capacity');
});

test('TopN keeps the highest scores', () => {
  const t = new TopN<string>(3);
  for (const [s, v] of [
    [5, 'a'],
    [1, 'b'],
    [9, 'c'],
    [7, 'd'],
    [2, 'e'],
  ] as const)
    t.offer(s, v);
  assert.deepEqual(t.sorted(), ['c', 'd', 'a']);
  assert.equal(t.wouldAccept(4), false);
});

test('token bucket: a burst of a second, then the rate', () => {
  const b = new TokenBucket(1000);
  assert.equal(b.take(1000, 0), 0);
  assert.equal(b.take(500, 0), 500);
  assert.equal(b.take(500, 1000), 0); // 1000 tokens back after a second, 500 in debt before
  assert.equal(scanCountFor(1000, 200), 200);
  assert.equal(scanCountFor(1000, 0), 1000);
});

test('--fail-on parses names and thresholds, and rejects unknown or unmeasured conditions', () => {
  assert.deepEqual(
    parseFailOn(['no-ttl>100, nodes-down'], 'ttl').map((x) => [x.metric, x.op, x.threshold]),
    [
      ['no-ttl', '>', 100],
      ['nodes-down', '>', 0],
    ],
  );
  assert.throws(
    () => parseFailOn(['stuck-locks'], 'ttl'),
    (e: unknown) => e instanceof UsageError && /measured by `inspect locks`/.test(e.message),
  );
  assert.throws(
    () => parseFailOn(['frobnicate>3'], 'ttl'),
    (e: unknown) => e instanceof UsageError && e.exitCode === 2 && /unknown condition 'frobnicate>3'/.test(e.message),
  );
  assert.throws(() => parseFailOn(['no-ttl>>3'], 'ttl'), UsageError);
  const parsed = parseFailOn(['no-ttl>10%', 'cliff>=5', 'missing'], 'ttl');
  assert.deepEqual(
    parsed.map((p) => [p.metric, p.op, p.threshold]),
    [
      ['no-ttl%', '>', 10],
      ['cliff', '>=', 5],
      ['missing', '>', 0],
    ],
  );
  const results = evaluateFailOn(parsed, { 'no-ttl%': 12.5, cliff: 4, missing: 0 });
  assert.deepEqual(
    results.map((r) => r.holds),
    [true, false, false],
  );
  assert.equal(evaluateFailOn(parseFailOn(['hit-ratio<50%'], 'nodes'), {})[0]?.value, null, 'no figure: never holds');
});

test('watch ranking: what got worse comes first, improvements never count as worse', () => {
  const before = [
    { subject: 'n1', metric: 'evicted', value: 10, worse: 'up' as const },
    { subject: 'n2', metric: 'evicted', value: 10, worse: 'up' as const },
    { subject: 'n1', metric: 'hit ratio %', value: 90, worse: 'down' as const },
  ];
  const now = [
    { subject: 'n1', metric: 'evicted', value: 12, worse: 'up' as const },
    { subject: 'n2', metric: 'evicted', value: 50, worse: 'up' as const },
    { subject: 'n1', metric: 'hit ratio %', value: 95, worse: 'down' as const },
  ];
  const worse = gettingWorse(rankChanges(before, now), 10);
  assert.deepEqual(
    worse.map((c) => [c.subject, c.worsening]),
    [
      ['n2', 40],
      ['n1', 2],
    ],
  );
});

test('watch ranking: the first tick is a baseline, nothing on it is worse', () => {
  const now = [
    { subject: 'n1', metric: 'keys without TTL', value: 500, worse: 'up' as const },
    { subject: 'n1', metric: 'used memory', value: 9_000_000, worse: 'up' as const, unit: 'bytes' as const },
  ];
  const changes = rankChanges(undefined, now);
  assert.deepEqual(
    changes.map((c) => [c.previous, c.worsening, c.relative]),
    [
      [null, 0, 0],
      [null, 0, 0],
    ],
  );
  assert.deepEqual(gettingWorse(changes, 10), []);
});

test('watch ranking: relative change first, not raw magnitude; counts before bytes on a tie', () => {
  const before = [
    { subject: 'n1', metric: 'used memory', value: 100_000_000, worse: 'up' as const, unit: 'bytes' as const },
    { subject: 'n1', metric: 'evicted keys', value: 3, worse: 'up' as const },
    { subject: 'n2', metric: 'used memory', value: 1_000, worse: 'up' as const, unit: 'bytes' as const },
    { subject: 'n2', metric: 'keys without TTL', value: 10, worse: 'up' as const },
    { subject: 'n1', metric: 'hit ratio %', value: 90, worse: 'down' as const, unit: 'percent' as const },
  ];
  const now = [
    { subject: 'n1', metric: 'used memory', value: 102_000_000, worse: 'up' as const, unit: 'bytes' as const }, // +2 MB: 2%
    { subject: 'n1', metric: 'evicted keys', value: 40, worse: 'up' as const }, // +37: 1233%
    { subject: 'n2', metric: 'used memory', value: 2_000, worse: 'up' as const, unit: 'bytes' as const }, // +100%
    { subject: 'n2', metric: 'keys without TTL', value: 20, worse: 'up' as const }, // +100%, a count: before the bytes
    { subject: 'n1', metric: 'hit ratio %', value: 81, worse: 'down' as const, unit: 'percent' as const }, // -9 points: 10%
    { subject: 'lock:a', metric: 'held for (s)', value: 5, worse: 'up' as const, unit: 'seconds' as const }, // new
  ];
  const worse = gettingWorse(rankChanges(before, now), 10);
  assert.deepEqual(
    worse.map((c) => `${c.subject} ${c.metric}`),
    ['n1 evicted keys', 'n2 keys without TTL', 'lock:a held for (s)', 'n2 used memory', 'n1 hit ratio %', 'n1 used memory'],
  );
  assert.equal(worse[0]?.relative.toFixed(2), '12.33');
  assert.equal(worse.find((c) => c.subject === 'lock:a')?.previous, null);
});

test('INFO parsing: keyspace figures and versions', () => {
  const info = parseInfo('# Server\r\nredis_version:7.0.15\r\n# Keyspace\r\ndb0:keys=10,expires=4,avg_ttl=1234\r\n');
  assert.deepEqual(keyspaceOf(info), { keys: 10, withTtl: 4, withoutTtl: 6, avgTtlMs: 1234 });
  assert.deepEqual(keyspaceOf(info, 3), { keys: 0, withTtl: 0, withoutTtl: 0, avgTtlMs: 0 });
  assert.equal(versionAtLeast(info.redis_version, 7, 2), false);
  assert.equal(versionAtLeast('7.2.4', 7, 2), true);
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkAssertions, parseAssertions } from '../../src/core/herd/assert.js';
import { summarizeStrategy } from '../../src/core/herd/stats.js';
import { roundVerdict, summarizeRace } from '../../src/core/herd/race.js';
import { UsageError } from '../../src/errors.js';

test("thresholds parse with durations in any unit, and k6's p(N)<bare as milliseconds", () => {
  const t = parseAssertions('amplification<=1.5, p99<250ms,errors==0,max<2s,p(50)<40');
  assert.deepEqual(
    t.map((x) => [x.metric, x.operator, x.value]),
    [
      ['amplification', '<=', 1.5],
      ['p99', '<', 250],
      ['errors', '==', 0],
      ['max', '<', 2000],
      ['p50', '<', 40],
    ],
  );
  assert.equal(parseAssertions('p(99) < 250')[0]?.value, 250);
});

test("a bare latency in cachectl's own spelling needs a unit; the message gives both spellings", () => {
  assert.throws(
    () => parseAssertions('p99<100'),
    (e: unknown) => e instanceof UsageError && /'p99<100' needs a unit: p99<100ms \(or k6's p\(99\)<100/.test(e.message),
  );
  assert.throws(() => parseAssertions('p(99.9)<100'), /unknown metric 'p\(99\.9\)'/);
  assert.throws(() => parseAssertions('errors<0x10'), /is not a number/);
});

test('an unknown metric is a usage error that lists the known ones', () => {
  assert.throws(
    () => parseAssertions('amplification<=1.5,latency<3'),
    (e: unknown) => e instanceof UsageError && e.exitCode === 2 && /unknown metric 'latency'.*amplification/.test(e.message),
  );
});

test('malformed clauses and values are usage errors', () => {
  for (const bad of ['p99 250ms', 'errors=0', 'amplification<=lots', 'p99<fast', '']) {
    assert.throws(() => parseAssertions(bad), UsageError, bad);
  }
});

test('breaches are reported per strategy with the actual value', () => {
  const report = (strategy: 'none' | 'lock', queries: number) =>
    summarizeStrategy({
      strategy,
      rounds: 2,
      expiries: 2,
      samples: [],
      originQueries: queries,
      originQueriesTool: queries,
      originSource: 'sequence',
      perExpiry: [queries / 2, queries / 2],
      releaseSkewMs: 0,
      skipped: 0,
      warnings: [],
    });
  const breaches = checkAssertions(parseAssertions('amplification<=1.5,errors==0'), [report('none', 600), report('lock', 2)]);
  assert.deepEqual(breaches, [{ strategy: 'none', threshold: 'amplification<=1.5', actual: 300 }]);
});

test('the report warns when PostgreSQL and the tool disagree on the origin count', () => {
  const r = summarizeStrategy({
    strategy: 'lock',
    rounds: 1,
    expiries: 1,
    samples: [],
    originQueries: 2,
    originQueriesTool: 1,
    originSource: 'sequence',
    perExpiry: [2],
    releaseSkewMs: 0,
    skipped: 0,
    warnings: [],
  });
  assert.match(r.warnings.join('\n'), /PostgreSQL counted 2 origin queries but the clients sent 1/);
});

test('the race, L1 and peak-db figures can be asserted: stale rounds, stale rate, stale reads and their lag, L1 staleness, peak db', () => {
  const report = (strategy: 'lock' | 'versioned', stale: boolean[], lags: number[]) =>
    summarizeStrategy({
      strategy,
      rounds: stale.length,
      expiries: stale.length,
      samples: [],
      originQueries: 4,
      originQueriesTool: 4,
      originSource: 'sequence',
      perExpiry: stale.map(() => 1),
      releaseSkewMs: 0,
      skipped: 0,
      warnings: [],
      peakOriginConcurrency: strategy === 'lock' ? 1 : 2,
      race: summarizeRace(
        'delete',
        stale.map((s) => roundVerdict(2, s ? 1 : 3, 3)),
        lags,
      ),
      l1: { size: 10, ttlMs: 2_000, staleLags: lags.slice(0, 1) },
    });
  const lock = report('lock', [true, false, true, false], [120, 40]);
  const versioned = report('versioned', [false, false, false, false], []);
  const breaches = checkAssertions(parseAssertions('stale_rounds==0,stale_rate<0.25,stale_reads==0,stale_read_lag<100ms,l1_stale==0,peak_db<=1'), [
    lock,
    versioned,
  ]);
  assert.deepEqual(breaches, [
    { strategy: 'lock', threshold: 'stale_rounds==0', actual: 2 },
    { strategy: 'lock', threshold: 'stale_rate<0.25', actual: 0.5 },
    { strategy: 'lock', threshold: 'stale_reads==0', actual: 2 },
    { strategy: 'lock', threshold: 'stale_read_lag<100ms', actual: 120 },
    { strategy: 'lock', threshold: 'l1_stale==0', actual: 1 },
    { strategy: 'versioned', threshold: 'peak_db<=1', actual: 2 },
  ]);
  // A duration needs its unit here too.
  assert.throws(
    () => parseAssertions('stale_read_lag<100'),
    (e: unknown) => e instanceof UsageError && /needs a unit/.test(e.message),
  );
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkAssertions, parseAssertions } from '../../src/core/herd/assert.js';
import { summarizeStrategy } from '../../src/core/herd/stats.js';
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

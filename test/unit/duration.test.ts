import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatDurationFlag, MAX_TIMER_MS, parseDuration, parseFraction, parsePositiveInt } from '../../src/config/duration.js';
import { DEFAULTS, DURATION_RANGES } from '../../src/config/defaults.js';
import { UsageError } from '../../src/errors.js';

/** A usage error (exit 2) whose message, not its `Name: message` string, matches. */
const usage = (pattern: RegExp) => (e: unknown) => e instanceof UsageError && e.exitCode === 2 && pattern.test(e.message);

test('a bare number needs a unit (only 0 does not), in flags and in YAML numbers alike', () => {
  for (const bare of ['100', '2.5', 3600, '-5', '+1']) {
    assert.throws(
      () => parseDuration(bare, '--ttl'),
      (e: unknown) => e instanceof UsageError && e.exitCode === 2 && /^--ttl: '.*' needs a unit: .*s or .*ms/.test(e.message),
      String(bare),
    );
  }
  assert.equal(parseDuration('0', '--spread'), 0);
  assert.equal(parseDuration(0, 'stale-window'), 0);
});

test('every range is checked at parse time and the message names the flag and the bound', () => {
  assert.throws(
    () => parseDuration('99999999999999999999d', '--ttl', DURATION_RANGES.ttl),
    usage(/^--ttl: 99999999999999999999d is too long; use at most 3650d \(ten years\)$/),
  );
  assert.throws(
    () => parseDuration('25d', '--statement-timeout', DURATION_RANGES.statementTimeout),
    usage(/^--statement-timeout: 25d is too long; use at most 24d \(PostgreSQL's statement_timeout/),
  );
  assert.throws(
    () => parseDuration('25d', '--progress-interval', DURATION_RANGES.progressInterval),
    usage(/^--progress-interval: 25d is too long; use at most 1d$/),
  );
  assert.throws(() => parseDuration('99999999999999999999d', '--lock-ttl', DURATION_RANGES.lockTtl), usage(/^--lock-ttl: .* is too long; use at most 1d$/));
  assert.throws(() => parseDuration('10ms', '--watch', DURATION_RANGES.watch), /too short; use at least 100ms/);
  assert.throws(() => parseDuration('0', '--ttl', DURATION_RANGES.ttl), /--ttl: 0 is zero; use at least 1ms/);
  assert.equal(parseDuration('24d', '--statement-timeout', DURATION_RANGES.statementTimeout), 24 * 86_400_000);
});

test('every range fits a Node timer where it drives one, and every default is inside its range', () => {
  for (const [name, r] of Object.entries(DURATION_RANGES)) {
    assert.ok(r.minMs <= r.maxMs, name);
    if (!['ttl', 'stale', 'refreshBelow', 'window', 'lockMaxAge'].includes(name)) assert.ok(r.maxMs <= MAX_TIMER_MS, name);
  }
  const pairs: [number, keyof typeof DURATION_RANGES][] = [
    [DEFAULTS.connection.statementTimeoutMs, 'statementTimeout'],
    [DEFAULTS.warm.progressIntervalMs, 'progressInterval'],
    [DEFAULTS.operations.lockTtlMs, 'lockTtl'],
    [DEFAULTS.herd.lockTtlMs, 'herdLockTtl'],
    [DEFAULTS.herd.lockWaitMs, 'herdLockWait'],
    [DEFAULTS.herd.maxTimeMs, 'maxTime'],
    [DEFAULTS.herd.expireInMs, 'expireIn'],
    [DEFAULTS.inspect.watchIntervalMs, 'watch'],
  ];
  for (const [ms, name] of pairs) assert.equal(parseDuration(formatDurationFlag(ms), name, DURATION_RANGES[name]), ms, name);
});

test('hostile text is one short line, never a number that overflows', () => {
  const huge = '9'.repeat(400) + 'd';
  assert.throws(
    () => parseDuration(huge, '--ttl', DURATION_RANGES.ttl),
    (e: unknown) => e instanceof UsageError && e.message.length < 200,
  );
  assert.throws(
    () => parseDuration('x'.repeat(1_000_000), '--ttl'),
    (e: unknown) => e instanceof UsageError && e.message.length < 200,
  );
  for (const bad of ['', ' ', 'NaN', 'Infinity', '1e3s', '0x10s', '1 h', '1h 30m', '-1s', '1h-5m', 'ms', '.5s']) {
    assert.throws(() => parseDuration(bad, '--stale'), UsageError, JSON.stringify(bad));
  }
});

test('defaults print as a user would type them, and parse back', () => {
  assert.deepEqual([5000, 100, 90_000, 120_000, 0.5, 0, 3_600_000, 86_400_000 + 1].map(formatDurationFlag), [
    '5s',
    '100ms',
    '1m30s',
    '2m',
    '0.5ms',
    '0s',
    '1h',
    '1d1ms',
  ]);
  assert.equal(parseDuration('0.5ms'), 0.5);
});

test('fractions and counts refuse empty text, a lone %, exponents and hex instead of reading them as 0', () => {
  for (const bad of ['', '%', ' % ', '1e-1', '0x1', '10 %', '-5%', '100%', 'abc'])
    assert.throws(() => parseFraction(bad, 'jitter'), /jitter: .* must be a percentage below 100%/, JSON.stringify(bad));
  assert.equal(parseFraction('10%'), 0.1);
  assert.equal(parseFraction('0.25'), 0.25);
  for (const bad of ['', ' ', '1e3', '0x10', '1.5', '-1', '99999999999999999999'])
    assert.throws(() => parsePositiveInt(bad, '--max-errors', { allowZero: true }), usage(/^--max-errors: /), JSON.stringify(bad));
  assert.equal(parsePositiveInt('0', '--max-errors', { allowZero: true }), 0);
  assert.throws(() => parsePositiveInt('3000000000', '--rate'), /--rate: 3000000000 is too large/);
});

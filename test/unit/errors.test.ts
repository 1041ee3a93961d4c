import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InputError, InterruptedError, redact, signalExitCode, stopCause, stopSignalOf } from '../../src/errors.js';
import { parseDuration, parseFraction } from '../../src/config/duration.js';

test('redact removes passwords from URLs and key=value text', () => {
  assert.equal(redact('cannot reach redis://app:s3cret@cache:6379/0'), 'cannot reach redis://app:***@cache:6379/0');
  assert.equal(redact('postgres://u:p%40ss@db/x failed'), 'postgres://u:***@db/x failed');
  assert.equal(redact('password=hunter2 host=db'), 'password=*** host=db');
  assert.equal(redact('redis://cache:6379'), 'redis://cache:6379');
});

test('InputError names the file, line and field', () => {
  const e = new InputError('expected a duration like 10m', { file: 'warmlists/a.yml', line: 7, field: 'ttl' });
  assert.equal(e.message, 'warmlists/a.yml:7: ttl: expected a duration like 10m');
  assert.equal(e.exitCode, 2);
});

test('durations parse in one place', () => {
  assert.equal(parseDuration('250ms'), 250);
  assert.equal(parseDuration('30s'), 30_000);
  assert.equal(parseDuration('1h30m'), 5_400_000);
  assert.equal(parseDuration('0'), 0);
  assert.throws(() => parseDuration('2'), /'2' needs a unit: 2s or 2ms/);
  assert.throws(() => parseDuration('10 minutes'), /not a valid duration/);
  assert.throws(() => parseDuration('5x'), /not a valid duration/);
  assert.equal(parseFraction('10%'), 0.1);
  assert.throws(() => parseFraction('150%'), /below 100%/);
});

test('a stop signal maps to its exit code in one place: SIGTERM 143, SIGINT (and any other abort) 130', () => {
  const aborted = (reason?: unknown) => {
    const c = new AbortController();
    c.abort(reason);
    return c.signal;
  };
  assert.equal(signalExitCode('SIGINT'), 130);
  assert.equal(signalExitCode('SIGTERM'), 143);
  assert.equal(signalExitCode(aborted('SIGTERM')), 143);
  assert.equal(signalExitCode(aborted('SIGINT')), 130);
  assert.equal(stopSignalOf(aborted('stdout-closed')), 'SIGINT');
  assert.equal(new InterruptedError('SIGTERM').exitCode, 143);
  assert.equal(stopCause(aborted('SIGTERM')), 'SIGTERM');
});

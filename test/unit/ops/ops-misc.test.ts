import { test } from 'node:test';
import assert from 'node:assert/strict';
import { lockedMessage, makeLockToken, parseLockToken, runLockKey } from '../../../src/core/run/lock.js';
import { parseDeadline } from '../../../src/core/run/deadline.js';
import { parseSamples, renderMetrics, type WarmlistRunMetrics } from '../../../src/core/run/metrics.js';
import { JsonLogReporter } from '../../../src/reporters/json-log.js';
import { topologyKind } from '../../../src/commands/warm-control.js';
import { StringSink } from '../../../src/io.js';
import { singleTarget } from '../../../src/config/target.js';

test('the lock token says who holds it, and the locked message is one line naming them', () => {
  const token = makeLockToken({ host: 'web 1', pid: 42, startedAt: '2026-11-26T05:00:00.000Z', id: 'abc' });
  assert.equal(token, 'host=web_1 pid=42 started=2026-11-26T05:00:00.000Z id=abc');
  assert.deepEqual(parseLockToken(token), { host: 'web_1', pid: 42, startedAt: '2026-11-26T05:00:00.000Z', id: 'abc' });
  assert.equal(parseLockToken('1'), undefined);
  const msg = lockedMessage('catalog', { key: 'lock:cachectl:warm:catalog', node: '10.0.0.1:6379', token, ttlMs: 41_200 });
  assert.ok(!msg.includes('\n'));
  assert.match(
    msg,
    /warmlist 'catalog' is locked by web_1 pid 42 since 2026-11-26T05:00:00.000Z \(key lock:cachectl:warm:catalog on 10.0.0.1:6379, expires in 42s unless renewed\)/,
  );
  assert.match(msg, /--wait-lock/);
  assert.match(lockedMessage('x', { key: 'k', node: 'n', token: 'foreign' }), /unknown holder \(value 'foreign'\)/);
  assert.equal(runLockKey('lock:w:', 'cat alog'), 'lock:w:cat_alog');
  assert.equal(runLockKey('lock:w:', 'catalog', { index: 2, count: 8, source: 't' }), 'lock:w:catalog:shard-2-of-8');
});

test('--deadline takes a duration or an absolute time with a zone', () => {
  const now = Date.parse('2026-11-26T05:00:00Z');
  assert.equal(parseDeadline('90s', now), now + 90_000);
  assert.equal(parseDeadline('2026-11-26T05:30:00Z', now), now + 30 * 60_000);
  assert.throws(() => parseDeadline('2026-11-26T05:30:00', now), /needs a time zone/);
  assert.throws(() => parseDeadline('2026-11-26T04:30:00Z', now), /already past/);
  assert.throws(() => parseDeadline('0s', now), /--deadline: 0s is zero; use at least 1ms/);
  assert.throws(() => parseDeadline('soon', now), /not a valid duration/);
});

const run = (over: Partial<WarmlistRunMetrics>): WarmlistRunMetrics => ({
  warmlist: 'catalog',
  written: 10,
  failed: 0,
  missing: 1,
  invalid: 0,
  skipped: 2,
  durationSeconds: 1.23456,
  finishedAt: 1000,
  exitCode: 0,
  ...over,
});

test('metrics: a failed run keeps the last success time; other warmlists are kept', () => {
  const first = renderMetrics([run({}), run({ warmlist: 'users "eu"', finishedAt: 900 })]);
  assert.match(first, /^# HELP cachectl_warm_keys_written /m);
  assert.match(first, /^# TYPE cachectl_warm_keys_written gauge$/m);
  assert.match(first, /^cachectl_warm_keys_written\{warmlist="catalog"\} 10$/m);
  assert.match(first, /^cachectl_warm_duration_seconds\{warmlist="catalog"\} 1.235$/m);
  assert.match(first, /^cachectl_warm_last_success_timestamp_seconds\{warmlist="users \\"eu\\""\} 900$/m);
  const second = renderMetrics([run({ failed: 5, finishedAt: 2000, exitCode: 1 })], first);
  assert.match(second, /^cachectl_warm_keys_failed\{warmlist="catalog"\} 5$/m);
  assert.match(second, /^cachectl_warm_last_run_timestamp_seconds\{warmlist="catalog"\} 2000$/m);
  assert.match(second, /^cachectl_warm_last_success_timestamp_seconds\{warmlist="catalog"\} 1000$/m);
  assert.match(second, /^cachectl_warm_last_success_timestamp_seconds\{warmlist="users \\"eu\\""\} 900$/m);
  // A warmlist that never succeeded reports 0 so "time() - x > limit" alerts fire.
  assert.match(renderMetrics([run({ exitCode: 75 })]), /^cachectl_warm_last_success_timestamp_seconds\{warmlist="catalog"\} 0$/m);
  // Every sample line parses back.
  const samples = parseSamples(second);
  assert.equal(samples.filter((s) => s.labels.warmlist === 'users "eu"').length, 10);
  assert.match(second, /^cachectl_warm_keys_not_attempted\{warmlist="catalog"\} 0$/m);
});

test('metrics: topology and shard labels; each shard is its own series, a topology change replaces the series', () => {
  const shard = (i: number, over: Partial<WarmlistRunMetrics> = {}) => run({ topology: 'cluster', shard: `${i}/2`, finishedAt: 100 + i, ...over });
  const both = renderMetrics([shard(1)], renderMetrics([shard(0)]));
  assert.match(both, /^cachectl_warm_keys_written\{warmlist="catalog",topology="cluster",shard="0\/2"\} 10$/m);
  assert.match(both, /^cachectl_warm_keys_written\{warmlist="catalog",topology="cluster",shard="1\/2"\} 10$/m, 'shard 1 did not replace shard 0');
  // Shard 0 fails next: its last success is its own, shard 1's series stays as it was.
  const failed = renderMetrics([shard(0, { exitCode: 1, finishedAt: 500 })], both);
  assert.match(failed, /^cachectl_warm_last_success_timestamp_seconds\{warmlist="catalog",topology="cluster",shard="0\/2"\} 100$/m);
  assert.match(failed, /^cachectl_warm_last_success_timestamp_seconds\{warmlist="catalog",topology="cluster",shard="1\/2"\} 101$/m);
  // A file written before the labels, then a run on a ring: one series, the success carried over.
  const moved = renderMetrics([run({ topology: 'twemproxy', exitCode: 1 })], renderMetrics([run({ finishedAt: 42 })]));
  assert.equal(moved.match(/^cachectl_warm_last_success_timestamp_seconds\{/gm)?.length, 1);
  assert.match(moved, /^cachectl_warm_last_success_timestamp_seconds\{warmlist="catalog",topology="twemproxy"\} 42$/m);
});

test('metrics: the topology label names what the run wrote to', () => {
  const auth = {};
  const ring = { compat: 'twemproxy' as const, servers: [], hash: 'fnv1a_64' as const };
  assert.equal(topologyKind(singleTarget('127.0.0.1:6379')), 'redis');
  assert.equal(topologyKind({ kind: 'cluster', seeds: [{ host: '127.0.0.1', port: 7000 }], auth }), 'cluster');
  assert.equal(topologyKind({ kind: 'ring', spec: ring, auth }), 'ring');
  assert.equal(topologyKind({ kind: 'ring', spec: { ...ring, pool: {} }, auth }), 'twemproxy');
});

test('json logs: one object per line with ts, level and event; secrets redacted', () => {
  const sink = new StringSink();
  const log = new JsonLogReporter(sink, () => new Date('2026-11-26T05:00:00Z'));
  log.log({ event: 'start', command: 'warm', warmlists: ['catalog'] });
  log.log({ event: 'retry', what: 'fetch', attempt: 2, delayMs: 200, error: 'connect ECONNREFUSED postgres://app:s3cret@db/x' });
  log.log({ event: 'summary', exitCode: 1, written: 5, keysPerSecond: Infinity });
  const lines = sink.text
    .trimEnd()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
  assert.equal(lines.length, 3);
  assert.deepEqual(lines[0], { ts: '2026-11-26T05:00:00.000Z', level: 'info', event: 'start', command: 'warm', warmlists: ['catalog'] });
  assert.equal(lines[1]!.level, 'warn');
  assert.equal(lines[1]!.error, 'connect ECONNREFUSED postgres://app:***@db/x');
  assert.equal(lines[2]!.level, 'warn');
  assert.equal(lines[2]!.keysPerSecond, null);
});

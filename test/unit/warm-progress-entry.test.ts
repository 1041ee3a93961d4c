import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createWarmProgress } from '../../src/reporters/warm-progress.js';
import { Output } from '../../src/reporters/output.js';
import { StringSink } from '../../src/io.js';

test('the progress bar on a terminal names the entry that runs, with its tier', () => {
  const tty = Object.assign(new StringSink(), {
    isTTY: true,
    columns: 120,
    cursorTo: () => true,
    clearLine: () => true,
    moveCursor: () => true,
    on: () => tty,
    removeListener: () => tty,
  });
  const progress = createWarmProgress(new Output(new StringSink(), tty, { color: false }));
  progress.listener({
    type: 'start',
    entries: [
      { name: 'hot-products', tier: 1, kind: 'keys' },
      { name: 'categories', tier: 2, kind: 'query' },
    ],
    dryRun: false,
    nodes: ['a'],
  });
  progress.listener({ type: 'entryStart', entry: 'categories', tier: 2, total: 10, estimated: false });
  progress.stop();
  assert.match(tty.text, /categories \(tier 2\) \S* ?0\/10 keys/);
});

const waiting = {
  type: 'failover',
  node: '127.0.0.1:7001',
  state: 'waiting',
  slots: '5461-10922',
  heldKeys: 1830,
  waitedMs: 4200,
  reason: 'connection: connect ECONNREFUSED',
} as const;

function barOn(): { progress: ReturnType<typeof createWarmProgress>; tty: StringSink } {
  const tty = Object.assign(new StringSink(), {
    isTTY: true,
    columns: 200,
    cursorTo: () => true,
    clearLine: () => true,
    moveCursor: () => true,
    on: () => tty,
    removeListener: () => tty,
  });
  const progress = createWarmProgress(new Output(new StringSink(), tty, { color: false }));
  progress.listener({ type: 'start', entries: [{ name: 'hot', tier: 1, kind: 'keys' }], dryRun: false, nodes: ['a'] });
  progress.listener({ type: 'entryStart', entry: 'hot', tier: 1, total: 10_000, estimated: false });
  return { progress, tty };
}

test('while a node is waited for, the bar says so instead of a rate, and one line names the node, its slots, the wait and the keys held', () => {
  const { progress, tty } = barOn();
  progress.listener(waiting);
  progress.listener({ type: 'written', node: 'a', keys: 10, bytes: 100 });
  progress.stop();
  assert.match(
    tty.text,
    /warm: waiting for failover: 127\.0\.0\.1:7001 \(slots 5461-10922\) not answering for 4\.2s, 1,830 keys held \(connection: connect ECONNREFUSED\)\n/,
  );
  // The bar's last drawing (what stays on the screen) shows the wait, not a rate.
  const last = tty.text.slice(tty.text.lastIndexOf('hot (tier 1)'));
  assert.match(last, /^hot \(tier 1\) \S+ 10\/10,000 keys \| waiting for failover \(127\.0\.0\.1:7001\)/);
  assert.doesNotMatch(last, /keys\/s/);
});

test('once the wait is over, the bar shows the rate again', () => {
  const { progress, tty } = barOn();
  progress.listener(waiting);
  progress.listener({ ...waiting, state: 'over', heldKeys: 0, waitedMs: 6000 });
  progress.listener({ type: 'written', node: 'a', keys: 20, bytes: 100 });
  progress.stop();
  assert.match(tty.text, /warm: failover over: 127\.0\.0\.1:7001 \(slots 5461-10922\) answered again or its slots moved, after 6\.0s/);
  const last = tty.text.slice(tty.text.lastIndexOf('hot (tier 1)'));
  assert.match(last, /^hot \(tier 1\) \S+ 20\/10,000 keys \| [\d,]+ keys\/s \| ETA /);
});

test('off a terminal, the progress line during a wait says which node is waited for instead of a rate', () => {
  const err = new StringSink();
  const progress = createWarmProgress(new Output(new StringSink(), err, { color: false }));
  progress.listener({ type: 'start', entries: [{ name: 'hot', tier: 1, kind: 'keys' }], dryRun: false, nodes: ['a'] });
  progress.listener({ type: 'entryStart', entry: 'hot', tier: 1, total: 100, estimated: false });
  progress.listener({ type: 'written', node: 'a', keys: 40, bytes: 400 });
  progress.listener(waiting);
  progress.listener({ type: 'progress', done: 40, total: 100, keysPerSecond: 3, elapsedMs: 13_000 });
  progress.listener({ ...waiting, state: 'over', heldKeys: 0, waitedMs: 6000 });
  progress.listener({ type: 'progress', done: 40, total: 100, keysPerSecond: 3, elapsedMs: 14_000 });
  const lines = err.text.trim().split('\n');
  assert.ok(
    lines.includes('warm: waiting for failover: 127.0.0.1:7001 (slots 5461-10922) not answering for 4.2s, 1,830 keys held (connection: connect ECONNREFUSED)'),
    err.text,
  );
  assert.ok(lines.includes('warm: 40/100 keys (40.0%), waiting for failover (127.0.0.1:7001)'), err.text);
  assert.ok(lines.includes('warm: 40/100 keys (40.0%), 3 keys/s, ETA 20.0s'), err.text);
});

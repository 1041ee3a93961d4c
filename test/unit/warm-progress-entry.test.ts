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

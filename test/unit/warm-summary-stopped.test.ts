/** The text summary of a warm that stopped early: the keys not attempted and the input left unread are each one line saying what to do. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Chalk } from 'chalk';
import { FailureExamples, renderWarmText } from '../../src/reporters/warm-summary.js';
import type { WarmSummary } from '../../src/core/warm/summary.js';

const plain = new Chalk({ level: 0 });

const stopped: WarmSummary = {
  written: 105_649,
  skipped: 0,
  missing: 0,
  invalid: 0,
  failed: 73_851,
  notAttempted: 20_500,
  unread: [
    { entry: 'report', source: 'query', rowsRead: 1_200, rowsLeft: 800 },
    { entry: 'all-products', source: 'query', rowsRead: 300 },
    { entry: 'hot', source: 'stdin', rowsRead: 4_000 },
  ],
  staleWritten: 0,
  bytes: 1_000,
  durationMs: 9_000,
  keysPerSecond: 11_000,
  nodes: { a: 105_649 },
  nodeBytes: { a: 1_000 },
  entries: {},
  retries: 0,
  dryRun: false,
  stopped: { reason: 'errors', detail: 'more than 100 keys failed (--max-errors); stopped to protect the database and the cache' },
};

test('keys not attempted: one line with the count and the file that lists them, or the flag that would', () => {
  const listed = renderWarmText(stopped, new FailureExamples(), plain, 'failed.txt').split('\n');
  assert.ok(listed.includes('not attempted 20,500: the run stopped before them; listed in failed.txt, rerun with --keys failed.txt'), listed.join('\n'));
  assert.ok(listed.includes('skipped 0, missing 0, invalid 0, failed 73,851'), listed.join('\n'));
  const unlisted = renderWarmText(stopped, new FailureExamples(), plain).split('\n');
  assert.ok(unlisted.includes('not attempted 20,500: the run stopped before them; list them with --failed-keys FILE'), unlisted.join('\n'));
});

test('input left unread: how many rows were read, how many were left when known, and --checkpoint to resume', () => {
  const lines = renderWarmText(stopped, new FailureExamples(), plain, 'failed.txt').split('\n');
  assert.ok(
    lines.includes('query report: stopped after 1,200 rows, 800 rows not read (rows cannot be listed; run with --checkpoint FILE to resume where it stopped)'),
    lines.join('\n'),
  );
  assert.ok(
    lines.includes(
      'query all-products: stopped after 300 rows, the rest of its rows not read (rows cannot be listed; run with --checkpoint FILE to resume where it stopped)',
    ),
    lines.join('\n'),
  );
  assert.ok(
    lines.includes(
      'hot: stopped after line 4,000 of stdin; the rest was not read (it cannot be listed; feed it again from there, or run with --checkpoint FILE)',
    ),
    lines.join('\n'),
  );
});

test('a run that finished has no such lines', () => {
  const done: WarmSummary = { ...stopped, failed: 0, notAttempted: 0, unread: [], stopped: undefined } as WarmSummary;
  delete (done as { stopped?: unknown }).stopped;
  const text = renderWarmText(done, new FailureExamples(), plain, 'failed.txt');
  assert.doesNotMatch(text, /not attempted|not read/);
});

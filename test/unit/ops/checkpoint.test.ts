import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LineRanges } from '../../../src/core/run/line-ranges.js';
import { Checkpoint, orderedByKey, parseCheckpoint, runFingerprint } from '../../../src/core/run/checkpoint.js';

test('line ranges merge out-of-order batches into few ranges', () => {
  const r = new LineRanges();
  r.add(11, 20);
  r.add(1, 5);
  r.add(31, 40);
  r.add(6, 10);
  assert.deepEqual(r.toJSON(), [
    [1, 20],
    [31, 40],
  ]);
  r.add(21, 30);
  assert.deepEqual(r.toJSON(), [[1, 40]]);
  assert.ok(r.has(1) && r.has(40) && !r.has(41) && !r.has(0));
  r.add(50, 60);
  r.add(45, 55);
  assert.deepEqual(r.toJSON(), [
    [1, 40],
    [45, 60],
  ]);
  assert.equal(r.size(), 56);
});

test('a key-list batch with failed keys leaves exactly those lines to retry', () => {
  const cp = new Checkpoint('fp', '2026-01-01T00:00:00Z');
  cp.markLines('catalog#products', 1, 500, [17, 250]);
  cp.markLines('catalog#products', 501, 1000);
  assert.ok(cp.isLineDone('catalog#products', 16));
  assert.ok(!cp.isLineDone('catalog#products', 17));
  assert.ok(!cp.isLineDone('catalog#products', 250));
  assert.ok(cp.isLineDone('catalog#products', 1000));
  assert.ok(!cp.isLineDone('catalog#products', 1001));
  assert.equal(cp.linesDone('catalog#products'), 998);
  // Round trip through the serialized form.
  const text = JSON.stringify(cp.toData('2026-01-01T00:01:00Z'));
  const parsed = parseCheckpoint(text);
  assert.ok('data' in parsed);
  const again = new Checkpoint('fp', parsed.data.createdAt, parsed.data);
  assert.ok(!again.isLineDone('catalog#products', 17));
  assert.ok(again.isLineDone('catalog#products', 18));
  assert.deepEqual(parsed.data.entries['catalog#products'], {
    kind: 'keys',
    done: [
      [1, 16],
      [18, 249],
      [251, 1000],
    ],
  });
});

test('a query ordered by key resumes after the rows done; an unordered one only records completion', () => {
  const ordered = "SELECT 'p:' || id AS key, name AS value FROM products ORDER BY key";
  const loose = 'SELECT k AS key, v AS value FROM t';
  const cp = new Checkpoint('fp', 'now');
  cp.markRows('q', ordered, 200);
  assert.equal(cp.dirty, true);
  cp.takeChanges();
  cp.markRows('q', ordered, 100);
  assert.equal(cp.dirty, false, 'a position never goes back');
  cp.markRows('loose', loose, 500);
  assert.equal(cp.rowsDone('q', ordered), 200);
  assert.equal(cp.rowsDone('loose', loose), 0, 'a position in an unordered result means nothing');
  cp.markComplete('loose');
  const again = new Checkpoint('fp', 'now', cp.toData('now'));
  assert.equal(again.rowsDone('q', ordered), 200);
  assert.ok(again.isComplete('loose'));
  assert.deepEqual(cp.toData('now').entries.q, { kind: 'query', rows: 200 });
  // The same entry whose query lost its ORDER BY restarts from its first row.
  assert.equal(again.rowsDone('q', loose), 0);
});

test('ORDER BY key is recognised only as the final ordering', () => {
  assert.ok(orderedByKey('SELECT a AS key FROM t ORDER BY key'));
  assert.ok(orderedByKey('select a as key from t order by "key" asc;'));
  assert.ok(orderedByKey('SELECT a AS key FROM t ORDER BY t.key'));
  assert.ok(!orderedByKey('SELECT a AS key FROM t ORDER BY key DESC'));
  assert.ok(!orderedByKey('SELECT a AS key FROM t ORDER BY key, b'));
  assert.ok(!orderedByKey('SELECT a AS key FROM t ORDER BY keyword'));
  assert.ok(!orderedByKey('SELECT * FROM (SELECT a AS key FROM t ORDER BY key) s WHERE x'));
});

test('fingerprints ignore key order and change with content; bad files are reported, not thrown', () => {
  assert.equal(runFingerprint({ a: 1, b: [1, 2] }), runFingerprint({ b: [1, 2], a: 1 }));
  assert.notEqual(runFingerprint({ a: 1 }), runFingerprint({ a: 2 }));
  // Only a file with the magic field (or an older cachectl checkpoint's shape) is ours to replace.
  assert.deepEqual(parseCheckpoint('{"version":1,'), { problem: 'not valid JSON', ours: false });
  assert.deepEqual(parseCheckpoint('name: catalog\nentries: []\n'), { problem: 'not valid JSON', ours: false });
  assert.deepEqual(parseCheckpoint('{"version":2,"fingerprint":"x","entries":{}}'), { problem: 'not a cachectl checkpoint', ours: false });
  assert.deepEqual(parseCheckpoint('{"version":1,"fingerprint":"x","createdAt":"t","entries":{}}'), { problem: 'written by an older cachectl', ours: true });
  assert.match((parseCheckpoint('{"cachectl":"warm-checkpoint","version":9}') as { problem: string }).problem, /version 9/);
  const malformed = parseCheckpoint('{"cachectl":"warm-checkpoint","version":2,"fingerprint":"x","entries":{"e":{"kind":"keys","done":[[1]]}}}') as {
    problem: string;
    ours: boolean;
  };
  assert.match(malformed.problem, /entry 'e' is malformed/);
  assert.equal(malformed.ours, true);
});

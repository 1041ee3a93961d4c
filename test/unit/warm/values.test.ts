import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rowShape, valueOf } from '../../../src/core/warm/values.js';
import { jitteredTtl } from '../../../src/core/warm/ttl.js';
import { keyProblem } from '../../../src/core/warm/validate.js';
import { valueProblem } from '../../../src/core/warm/batch.js';
import { groupByOwner, owningNodes } from '../../../src/core/warm/route.js';
import { ClusterTopology, slotOf } from '../../../src/topology/cluster.js';
import { nodeFromAddress } from '../../../src/topology/types.js';

test('string format: the value column as is, else the row as JSON without the key column', () => {
  assert.equal(valueOf(['k', '{"a":1}'], rowShape(['key', 'value']), 'string'), '{"a":1}');
  const when = new Date('2026-01-01T00:00:00Z');
  assert.equal(
    valueOf(['k', '7', 'x', null, when], rowShape(['key', 'id', 'name', 'gone', 'at']), 'string'),
    '{"id":"7","name":"x","gone":null,"at":"2026-01-01T00:00:00.000Z"}',
  );
  assert.equal(valueOf(['7', 'x'], rowShape(['id', 'name']), 'string'), '{"id":"7","name":"x"}');
});

test('hash format: one field per column but key, NULLs omitted, objects as JSON', () => {
  assert.deepEqual(valueOf(['k', '7', null, { a: 1 }], rowShape(['key', 'id', 'gone', 'meta']), 'hash'), ['id', '7', 'meta', '{"a":1}']);
});

test('jitter spreads the TTL within ± the fraction and never below 1ms', () => {
  assert.equal(jitteredTtl(60_000, 0, Math.random), 60_000);
  assert.equal(
    jitteredTtl(60_000, 0.1, () => 0),
    54_000,
  );
  assert.equal(
    jitteredTtl(60_000, 0.1, () => 0.999999),
    66_000,
  );
  assert.equal(
    jitteredTtl(1, 0.5, () => 0),
    1,
  );
});

test('key and value limits', () => {
  const rules = { maxKeyBytes: 8, rejectControlChars: true };
  assert.equal(keyProblem('p:1', rules), undefined);
  assert.match(keyProblem('p:\t1', rules)!, /control character/);
  assert.match(keyProblem('p:ééééé', rules)!, /longer than 8 bytes/);
  assert.equal(keyProblem('p:\t1', { ...rules, rejectControlChars: false }), undefined);
  assert.equal(valueProblem('x'.repeat(10), 10), undefined);
  assert.match(valueProblem('é'.repeat(6), 10)!, /12 bytes, over the 10-byte limit/);
  assert.match(valueProblem([], 10)!, /no non-NULL column/);
});

test('per-node grouping follows the slot map; an unserved slot is -1', () => {
  const a = nodeFromAddress('127.0.0.1', 7000);
  const b = nodeFromAddress('127.0.0.1', 7001);
  const topology = new ClusterTopology([
    { start: 0, end: 8000, master: a, replicas: [] },
    { start: 8001, end: 16000, master: b, replicas: [] },
  ]);
  const keys = ['product:1', 'product:2', 'user:{acme}:1', 'user:{acme}:2'];
  const unserved = Array.from({ length: 100 }, (_, i) => `k${i}`).find((k) => slotOf(k) > 16000)!;
  const owners = owningNodes(topology, [...keys, unserved]);
  keys.forEach((k, i) => assert.equal(owners[i], slotOf(k) <= 8000 ? 0 : 1, k));
  assert.equal(owners[2], owners[3], 'a hash tag keeps keys together');
  assert.equal(owners[4], -1);
});

test('keys grouped by owner keep their order per node; unserved keys are listed apart', () => {
  const { runs, unserved } = groupByOwner(Int32Array.from([2, 0, -1, 2, 0, 0, -1]), 3);
  assert.deepEqual(
    runs.map((r) => [...r]),
    [[1, 4, 5], [], [0, 3]],
  );
  assert.deepEqual(unserved, [2, 6]);
});

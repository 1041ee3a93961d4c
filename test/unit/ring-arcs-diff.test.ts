/**
 * Exact shares and diffs for every profile: the arc arithmetic must match where keys really go.
 * The arcs are exact; the key counts are a deterministic sample of 40,000 keys, so they agree
 * with the arcs to within sampling error (about 0.25 percentage points here; 1.5 allowed).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRingTopology, parseRingServers, type RingSpec } from '../../src/topology/ring/index.js';
import { changedSpec, diffArcs, KeyDiffTally } from '../../src/core/ring/diff.js';
import { KeyTally, topologyBalance } from '../../src/core/ring/balance.js';

const KEYS = Array.from({ length: 40_000 }, (_, i) => `product:${i * 7919}:v${i % 13}`);
const SERVERS = '10.0.0.1:6379 a,10.0.0.2:6379 b,10.0.0.3:6379 c,10.0.0.4:6379 d';

const specs: [string, RingSpec][] = [
  ['twemproxy fnv1a_64', { compat: 'twemproxy', servers: parseRingServers(SERVERS), hash: 'fnv1a_64' }],
  ['twemproxy murmur', { compat: 'twemproxy', servers: parseRingServers(SERVERS), hash: 'murmur' }],
  ['libmemcached', { compat: 'libmemcached', servers: parseRingServers('10.0.0.1:6379,10.0.0.2:6379,10.0.0.3:6379,10.0.0.4:6379'), hash: 'md5' }],
  ['hashring', { compat: 'hashring', servers: parseRingServers(SERVERS), hash: 'md5' }],
  ['hashring hash_ring', { compat: 'hashring', hashringMode: 'hash_ring', servers: parseRingServers(SERVERS), hash: 'md5' }],
  ['simple (128-bit)', { compat: 'simple', servers: parseRingServers(SERVERS), hash: 'md5' }],
];

for (const [label, spec] of specs) {
  test(`${label}: exact arc shares match where ${KEYS.length} keys land`, () => {
    const ring = createRingTopology(spec);
    const exact = topologyBalance(ring);
    const tally = new KeyTally(ring);
    tally.add(KEYS);
    const counted = tally.balance();
    exact.nodes.forEach((n, i) =>
      assert.ok(Math.abs(n.share - counted.nodes[i]!.share) < 0.015, `${n.node.name}: arcs ${n.share}, keys ${counted.nodes[i]!.share}`),
    );
    assert.ok(Math.abs(exact.nodes.reduce((a, n) => a + n.share, 0) - 1) < 1e-12);
  });

  test(`${label}: removing a server at equal weight moves exactly its arc share, only away from it; keys agree`, () => {
    const before = createRingTopology(spec);
    const removed = before.nodes[1]!;
    const next = changedSpec(spec, { remove: removed.name });
    const after = createRingTopology(next.spec);
    const diff = diffArcs(before, after, next.change);
    assert.ok(Math.abs(diff.moved - before.arcShares()[1]!) < 1e-12, `${diff.moved} vs ${before.arcShares()[1]}`);
    assert.ok(diff.moves.every((m) => m.from === removed.name));
    const tally = new KeyDiffTally(before, after);
    tally.add(KEYS);
    const counted = tally.result(next.change);
    assert.ok(Math.abs(counted.moved - diff.moved) < 0.015, `keys ${counted.moved}, arcs ${diff.moved}`);
    assert.ok(counted.moves.every((m) => m.from === removed.name));
  });
}

test('a weight change moves keys between the remaining servers too (twemproxy re-spreads points)', () => {
  const spec: RingSpec = { compat: 'twemproxy', servers: parseRingServers('10.0.0.1:6379:3 a,10.0.0.2:6379:1 b,10.0.0.3:6379:1 c'), hash: 'fnv1a_64' };
  const before = createRingTopology(spec);
  const next = changedSpec(spec, { remove: 'c' });
  const diff = diffArcs(before, createRingTopology(next.spec), next.change);
  assert.ok(diff.moved > before.arcShares()[2]!, "more than c's share moves: a and b get new point counts");
  assert.ok(diff.moves.some((m) => m.from !== 'c'));
});

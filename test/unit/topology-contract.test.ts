/**
 * One contract, every Topology: the single node, a cluster built from slot ranges, and each ring
 * profile. Whatever the topology, warm and inspect rely on these properties.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { SingleNodeTopology } from '../../src/topology/single.js';
import { ClusterTopology, slotOf } from '../../src/topology/cluster.js';
import { createRingTopology, parseRingServers, type RingSpec } from '../../src/topology/ring/index.js';
import { KEY_HASH_NAMES } from '../../src/topology/ring/hashes.js';
import { nodeFromAddress, type Topology } from '../../src/topology/types.js';

const KEYS = [
  ...Array.from({ length: 3000 }, (_, i) => `product:${i}`),
  ...Array.from({ length: 500 }, (_, i) => `user:{tenant${i % 50}}:${i}`),
  ...Array.from({ length: 200 }, (_, i) => `ключ:${i}:🙂`),
  '',
  'x'.repeat(5000),
];

const ring =
  (servers: string, extra: Partial<RingSpec> = {}) =>
  () =>
    createRingTopology({ compat: 'twemproxy', servers: parseRingServers(servers), hash: 'fnv1a_64', ...extra });
const FIVE = '10.0.0.1:6379,10.0.0.2:6379:2,10.0.0.3:6380,10.0.0.4:6379 named,10.0.0.5:11211';

const implementations: [string, () => Topology][] = [
  ['SingleNodeTopology', () => new SingleNodeTopology(nodeFromAddress('127.0.0.1', 6379))],
  [
    'ClusterTopology (3 masters, 1 replica each)',
    () =>
      new ClusterTopology(
        [0, 1, 2].map((i) => ({
          start: i * 5461,
          end: i === 2 ? 16383 : i * 5461 + 5460,
          master: nodeFromAddress('10.1.0.1', 7000 + i),
          replicas: [nodeFromAddress('10.1.0.2', 7000 + i)],
        })),
      ),
  ],
  ...KEY_HASH_NAMES.map((hash): [string, () => Topology] => [`ring twemproxy ${hash}`, ring(FIVE, { hash })]),
  ['ring twemproxy fnv1a_64 with hash_tag {}', ring(FIVE, { hashTag: '{}' })],
  [
    'ring libmemcached',
    () => createRingTopology({ compat: 'libmemcached', servers: parseRingServers('10.0.0.1:6379,10.0.0.2:6379:2,10.0.0.3:11211'), hash: 'md5' }),
  ],
  ['ring hashring', () => createRingTopology({ compat: 'hashring', servers: parseRingServers(FIVE), hash: 'md5' })],
  ['ring hashring hash_ring mode', () => createRingTopology({ compat: 'hashring', hashringMode: 'hash_ring', servers: parseRingServers(FIVE), hash: 'md5' })],
  ['ring simple', () => createRingTopology({ compat: 'simple', servers: parseRingServers('10.0.0.1:6379,10.0.0.2:6379,10.0.0.3:6379 c'), hash: 'md5' })],
];

for (const [name, make] of implementations) {
  describe(`Topology contract: ${name}`, () => {
    const topology = make();

    test('nodes have unique host:port addresses and a name', () => {
      assert.ok(topology.nodes.length > 0);
      const addresses = topology.nodes.map((n) => n.address);
      assert.equal(new Set(addresses).size, addresses.length);
      for (const n of topology.nodes) {
        assert.equal(n.address, `${n.host}:${n.port}`);
        assert.ok(n.name.length > 0);
      }
    });

    test(`every one of ${KEYS.length} keys maps to a node index in range`, () => {
      for (const key of KEYS) {
        const i = topology.nodeIndexOf(key);
        assert.ok(Number.isInteger(i) && i >= 0 && i < topology.nodes.length, `${key.slice(0, 20)} -> ${i}`);
      }
    });

    test('a key given as its UTF-8 bytes (anywhere in a larger buffer) maps to the node its text maps to', () => {
      for (const key of KEYS) {
        const bytes = Buffer.from(key, 'utf8');
        // Inside a buffer of other bytes, with braces around it, as a COPY chunk holds it.
        const framed = Buffer.concat([Buffer.from('{x}\u00ff'), bytes, Buffer.from('{y}')]);
        const at = framed.length - bytes.length - 3;
        assert.equal(topology.nodeIndexOfBytes(framed, at, bytes.length), topology.nodeIndexOf(key), key.slice(0, 30));
      }
    });

    test('deterministic: same answer on every call, in any order, and from a second instance built the same way', () => {
      const forward = KEYS.map((k) => topology.nodeIndexOf(k));
      const backward = [...KEYS]
        .reverse()
        .map((k) => topology.nodeIndexOf(k))
        .reverse();
      const twin = make();
      assert.deepEqual(backward, forward);
      assert.deepEqual(
        KEYS.map((k) => twin.nodeIndexOf(k)),
        forward,
      );
    });

    // twemproxy's crc32 keeps only 15 bits (0..32767), so the node owning the first points takes
    // every key; that is what nutcracker does too (see the integration test), not a ring bug.
    if (!name.endsWith(' crc32')) {
      test('every node owns some of the keys', () => {
        const seen = new Set(KEYS.map((k) => topology.nodeIndexOf(k)));
        assert.equal(seen.size, topology.nodes.length);
      });
    } else {
      test('crc32 hashes stay below 2^15, so all keys land on the owner of the lowest points', () => {
        const owners = new Set(KEYS.map((k) => topology.nodeIndexOf(k)));
        assert.equal(owners.size, 1);
        assert.ok(KEYS.every((k) => Number(topology.describe(k).hash) < 32768));
      });
    }

    test('describe() returns plain, deterministic facts (the slot for a cluster)', () => {
      for (const key of KEYS.slice(0, 300)) {
        const facts = topology.describe(key);
        assert.deepEqual(topology.describe(key), facts);
        for (const v of Object.values(facts)) assert.ok(typeof v === 'string' || typeof v === 'number');
        if (topology.kind === 'cluster') assert.equal(facts.slot, slotOf(key));
      }
    });

    if (topology.kind === 'ring') {
      test('ring: exact arc shares are positive and sum to 1', () => {
        const shares = (topology as ReturnType<typeof createRingTopology>).arcShares();
        assert.equal(shares.length, topology.nodes.length);
        assert.ok(shares.every((s) => s > 0));
        assert.ok(Math.abs(shares.reduce((a, b) => a + b, 0) - 1) < 1e-12);
      });
    }
  });
}

/** The hashring profile against the npm `hashring` package (v3, 3rd-Eden) itself, key by key. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { createRingTopology, type RingServer } from '../../src/topology/ring/index.js';

const require = createRequire(import.meta.url);
interface NpmHashRing {
  get(key: string): string;
}
const HashRing = require('hashring') as new (servers: Record<string, number> | string[], algorithm?: string, options?: Record<string, unknown>) => NpmHashRing;
const version = (require('hashring/package.json') as { version: string }).version;

const KEYS = [
  ...Array.from({ length: 4000 }, (_, i) => `product:${i}`),
  ...Array.from({ length: 500 }, (_, i) => `user:{t${i % 17}}:${i}`),
  ...Array.from({ length: 300 }, (_, i) => `ключ:${i}:é🙂`),
  'a',
  'x'.repeat(500),
];

const cases: { servers: RingServer[]; label: string }[] = [
  { label: '1 server', servers: [{ host: '10.0.0.1', port: 6379, weight: 1 }] },
  { label: '2 servers', servers: [1, 2].map((i) => ({ host: `10.0.0.${i}`, port: 6379, weight: 1 })) },
  { label: '3 servers, weights 1/2/3', servers: [1, 2, 3].map((i) => ({ host: `10.0.0.${i}`, port: 6379, weight: i })) },
  { label: '5 servers, weights 5/1/1/2/7', servers: [5, 1, 1, 2, 7].map((w, i) => ({ host: `10.0.1.${i}`, port: 7000 + i, weight: w })) },
  {
    label: '8 servers, named',
    servers: Array.from({ length: 8 }, (_, i) => ({ host: `10.0.2.${i}`, port: 6379, weight: 1 + (i % 3), name: `redis-${i}.internal:6379` })),
  },
];

for (const mode of ['default', 'hash_ring'] as const) {
  for (const c of cases) {
    test(`npm hashring ${version} (${mode === 'default' ? 'default' : "compatibility: 'hash_ring'"}), ${c.label}: all ${KEYS.length} keys agree`, () => {
      const weights: Record<string, number> = {};
      for (const s of c.servers) weights[s.name ?? `${s.host}:${s.port}`] = s.weight;
      const theirs = new HashRing(weights, 'md5', mode === 'hash_ring' ? { compatibility: 'hash_ring', 'max cache size': 1 } : { 'max cache size': 1 });
      const ours = createRingTopology({ compat: 'hashring', hashringMode: mode, servers: c.servers, hash: 'md5' });
      const wrong = KEYS.filter((k) => ours.nodes[ours.nodeIndexOf(k)]!.name !== theirs.get(k));
      assert.deepEqual(wrong.slice(0, 5), [], `${wrong.length}/${KEYS.length} keys differ`);
    });
  }
}

test('hash_ring mode puts 3 points per md5 on the ring, the default 4 (120 vs 160 per server at equal weight)', () => {
  const servers = [1, 2, 3].map((i) => ({ host: `10.0.0.${i}`, port: 6379, weight: 1 }));
  assert.deepEqual(createRingTopology({ compat: 'hashring', servers, hash: 'md5' }).pointCounts(), [160, 160, 160]);
  assert.deepEqual(createRingTopology({ compat: 'hashring', hashringMode: 'hash_ring', servers, hash: 'md5' }).pointCounts(), [120, 120, 120]);
});

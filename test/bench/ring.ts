/**
 * Keys located per second, per ring profile and key hash, on one core:
 *   node --import tsx test/bench/ring.ts [keys]
 * Keys look like real cache keys (`product:<id>`, `user:{tenant}:<id>`); a share are non-ASCII
 * to include the slower UTF-8 path. Each case runs once to warm up, then is timed.
 */
import { createHash } from 'node:crypto';
import { createRingTopology, type RingSpec } from '../../src/topology/ring/index.js';
import { KEY_HASH_NAMES } from '../../src/topology/ring/hashes.js';

const count = Number(process.argv[2] ?? 1_000_000);
const keys = Array.from({ length: count }, (_, i) => (i % 50 === 0 ? `produit:é${i}` : i % 3 === 0 ? `user:{t${i % 97}}:${i}` : `product:${i}`));
const servers = Array.from({ length: 5 }, (_, i) => ({ host: '10.0.0.' + (i + 1), port: 6379, weight: 1 + (i % 2) }));

/** Keys per second of wall time and per second of this process's CPU time (steadier on a shared machine). */
function measure(locate: (key: string) => number): [number, number] {
  let sink = 0;
  for (let i = 0; i < Math.min(count, 200_000); i++) sink += locate(keys[i]!);
  const cpu = process.cpuUsage();
  const start = process.hrtime.bigint();
  for (let i = 0; i < count; i++) sink += locate(keys[i]!);
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  const used = process.cpuUsage(cpu);
  if (sink < 0) console.log(sink);
  return [count / seconds, count / ((used.user + used.system) / 1e6)];
}

const rows: [string, [number, number]][] = [];
const cases: [string, RingSpec][] = [
  ...KEY_HASH_NAMES.map((hash): [string, RingSpec] => [`twemproxy ${hash}`, { compat: 'twemproxy', servers, hash }]),
  ['twemproxy fnv1a_64 + hash_tag {}', { compat: 'twemproxy', servers, hash: 'fnv1a_64', hashTag: '{}' }],
  ['libmemcached (md5)', { compat: 'libmemcached', servers, hash: 'md5' }],
  ['hashring (md5)', { compat: 'hashring', servers, hash: 'md5' }],
  ['hashring hash_ring mode', { compat: 'hashring', servers, hash: 'md5', hashringMode: 'hash_ring' }],
  ['simple (md5, 128-bit)', { compat: 'simple', servers: servers.map((s) => ({ ...s, weight: 1 })), hash: 'md5' }],
];
for (const [name, spec] of cases) {
  const ring = createRingTopology(spec);
  rows.push([name, measure((k) => ring.nodeIndexOf(k))]);
}
// For comparison: md5 through node:crypto, one createHash per key (what the ring avoids).
rows.push(['(node:crypto md5 per key, hash only)', measure((k) => createHash('md5').update(k).digest().readUInt32LE(0) & 7)]);

const width = Math.max(...rows.map(([n]) => n.length));
const fmt = (n: number) => Math.round(n).toLocaleString('en-US').padStart(12);
console.log(`${count.toLocaleString('en-US')} keys, 5 servers, node ${process.version}`);
console.log(`${'profile / hash'.padEnd(width)}  ${'keys/s wall'.padStart(12)}  ${'keys/s CPU'.padStart(12)}`);
for (const [name, [wall, cpu]] of rows) console.log(`${name.padEnd(width)}  ${fmt(wall)}  ${fmt(cpu)}`);

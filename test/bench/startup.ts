/**
 * Start-up: the CPU of a small streamed warm (default 1,000 keys, where start-up is nearly all of
 * it), repeated, with the median and minimum per build. BINS=/a/bin/cachectl,/b/bin/cachectl
 * alternates builds run for run, so a noisy machine moves both alike. KIND=keys: by key list instead.
 * `node --import tsx test/bench/startup.ts [N] [repeats] [topology]` (after `npm run build`).
 */
import { fileURLToPath } from 'node:url';
import { createTestDatabase } from '../harness/postgres.js';
import { startBenchServers, type Topology } from './servers.js';
import { loadProducts, writeKeyList } from './dataset.js';
import { cachectlWarm } from './cachectl-runs.js';

const n = Number(process.argv[2] ?? 1000);
const repeats = Number(process.argv[3] ?? 8);
const name = (process.argv[4] ?? 'cluster') as Topology['name'];
const bins = (process.env.BINS ?? fileURLToPath(new URL('../../bin/cachectl', import.meta.url))).split(',');
const servers = await startBenchServers();
const db = await createTestDatabase('cachectl_startup');
try {
  await loadProducts(db.pool, n);
  const keyFile = `/tmp/cachectl-startup-keys-${process.pid}.txt`;
  if (process.env.KIND === 'keys') await writeKeyList(keyFile, n);
  const topology = servers.topologies.find((t) => t.name === name) as Topology;
  const cpu = new Map<string, number[]>(bins.map((b) => [b, []]));
  for (let r = 0; r < repeats; r++) {
    for (const bin of bins) {
      process.env.CACHECTL_BENCH_BIN = bin;
      await servers.flushAll();
      const run = await cachectlWarm(topology, db.url, process.env.KIND === 'keys' ? { kind: 'keys', file: keyFile } : { kind: 'query', count: n }, n);
      cpu.get(bin)?.push(run.cpuSeconds ?? 0);
    }
  }
  for (const [bin, seconds] of cpu) {
    const sorted = [...seconds].sort((a, b) => a - b);
    const s = (x: number | undefined) => (x ?? 0).toFixed(3);
    process.stdout.write(`${bin}: ${n} keys into ${name}, CPU s median ${s(sorted[sorted.length >> 1])}, min ${s(sorted[0])} (${seconds.map(s).join(' ')})\n`);
  }
} finally {
  await db.drop();
  await servers.stop();
}

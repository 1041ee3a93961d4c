/**
 * A quick loop for the hot path: warms N products into the cluster by key list and by stream, a
 * few times each, and prints cachectl's own CPU per key (rusage) and Redis's. Less noisy on a
 * shared machine than keys/s. `node --import tsx test/bench/cpu-per-key.ts [N] [repeats] [topology]`
 * (after `npm run build`).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTestDatabase } from '../harness/postgres.js';
import { startBenchServers, type Topology } from './servers.js';
import { loadProducts, writeKeyList } from './dataset.js';
import { cachectlWarm } from './cachectl-runs.js';
import { measureCpu, waitForQuiet } from './cpu.js';
import { runCachectl } from './measure.js';
import { hottestFunctions } from './profile.js';

const n = Number(process.argv[2] ?? 300_000);
const repeats = Number(process.argv[3] ?? 2);
const name = (process.argv[4] ?? 'cluster') as Topology['name'];
/**
 * CPU_PROFILE=1: each warm also under --cpu-prof, with its hottest functions. EXTRA='--batch-size 2000': flags added to each warm.
 * BINS=/old/bin/cachectl,/new/bin/cachectl: builds to alternate, each warm run once per build in turn (A/B on a noisy machine).
 */
const profile = process.env.CPU_PROFILE === '1';
const extra = (process.env.EXTRA ?? '').split(' ').filter(Boolean);
const bins = (process.env.BINS ?? '').split(',').filter(Boolean);
const work = mkdtempSync(join(tmpdir(), 'cachectl-cpu-'));
const servers = await startBenchServers();
const db = await createTestDatabase('cachectl_cpu');
try {
  await loadProducts(db.pool, n);
  const keyFile = join(work, 'keys.txt');
  await writeKeyList(keyFile, n);
  const topology = servers.topologies.find((t) => t.name === name) as Topology;
  // Start-up alone (a --help run), taken off each warm's CPU so small N still tells the per-key cost.
  const idle = await runCachectl(['warm', '--help']);
  const startup = idle.cpuSeconds ?? 0;
  for (let r = 0; r < repeats; r++) {
    for (const [kind, bin] of ((process.env.KINDS ?? 'query,keys').split(',') as ('query' | 'keys')[]).flatMap((k) =>
      (bins.length ? bins : ['']).map((b) => [k, b] as const),
    )) {
      if (bin) process.env.CACHECTL_BENCH_BIN = bin;
      await servers.flushAll();
      await waitForQuiet();
      const dir = profile ? mkdtempSync(join(work, 'prof-')) : undefined;
      const { result, cpu } = await measureCpu(topology.pids, () =>
        cachectlWarm(topology, db.url, kind === 'keys' ? { kind, file: keyFile } : { kind, count: n }, n, dir, extra),
      );
      const us = (s: number) => ((s * 1e6) / n).toFixed(2);
      process.stdout.write(
        `${bin ? `${bin} ` : ''}${kind.padEnd(5)} ${name}: cachectl ${us(result.cpuSeconds ?? 0)} us/key (${us((result.cpuSeconds ?? 0) - startup)} without start-up), Redis ${us(cpu.redis)}, rest ${us(cpu.machine - cpu.redis - (result.cpuSeconds ?? 0))}, ${Math.round(result.perSecond)} keys/s, peak RSS ${((result.peakRss ?? 0) / 2 ** 20).toFixed(1)} MiB\n`,
      );
      if (dir)
        for (const f of hottestFunctions(dir, 25))
          process.stdout.write(
            `  ${(f.share * 100).toFixed(1).padStart(5)}%  ${((f.share * (result.seconds * 1e6)) / n).toFixed(2).padStart(6)} us/key  ${f.name}\n`,
          );
    }
  }
} finally {
  await db.drop();
  await servers.stop();
  rmSync(work, { recursive: true, force: true });
}

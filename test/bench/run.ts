/**
 * `npm run bench`: warm, inspect and ring measured against this machine's own limits and the
 * naive loop, in one run, on servers of its own. Benchmarks never fail for being slow; they fail
 * only when something does not run end to end (or writes the wrong number of keys).
 *
 *   npm run bench -- [--size N] [--flat-sizes A,B,...] [--naive-sample N] [--only sections]
 *                    (limits, warm, floor, peers, naive, inspect, flat, ring)
 *                    [--topologies single,ring,cluster] [--profile] [--json]
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { createTestDatabase } from '../harness/postgres.js';
import { startBenchServers, type Topology } from './servers.js';
import { COPY_SQL, generatedStreamSql, loadProducts, writeKeyList } from './dataset.js';
import { pgCopyRate, redisSetRate, type Rate } from './limits.js';
import { runTimed } from './measure.js';
import { cachectlWarm, inspectVsScan, type WarmRun, type WarmSource } from './cachectl-runs.js';
import { naiveWarm } from './naive.js';
import { renderCpuBudgets, renderMarkdown, renderTables, formatCount, type CpuBudget, type Row, type Target } from './report.js';
import { ioredisScript, psqlPipe } from './peers.js';
import { hottestFunctions, type HotFunction } from './profile.js';
import { measureCpu, waitForQuiet, type CpuSplit } from './cpu.js';
import { bareWarm, buildBareWarms } from './bare-runs.js';
import { perAddedKey } from './marginal.js';

const SECTIONS = ['limits', 'warm', 'floor', 'peers', 'naive', 'inspect', 'flat', 'ring'] as const;
type Section = (typeof SECTIONS)[number];

function parseCount(text: string, flag: string): number {
  const n = Number(text.replace(/_/g, '').replace(/k$/i, '000').replace(/m$/i, '000000'));
  if (!Number.isInteger(n) || n < 0) throw new Error(`${flag}: '${text}' is not a whole number (e.g. 1000000, 1m, 20k)`);
  return n;
}

function options() {
  const { values } = parseArgs({
    options: {
      size: { type: 'string', default: '1000000' },
      'flat-sizes': { type: 'string' },
      'naive-sample': { type: 'string' },
      only: { type: 'string' },
      topologies: { type: 'string', default: 'single,ring,cluster' },
      profile: { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
    },
  });
  const size = parseCount(values.size as string, '--size');
  const flat = (values['flat-sizes'] ?? `${size},${size * 5},${size * 10}`)
    .split(',')
    .filter(Boolean)
    .map((s) => parseCount(s, '--flat-sizes'));
  const naive = values['naive-sample'] !== undefined ? parseCount(values['naive-sample'], '--naive-sample') : Math.min(5_000, size);
  const only = values.only ? (values.only.split(',') as Section[]) : [...SECTIONS];
  for (const s of only) if (!SECTIONS.includes(s)) throw new Error(`--only: unknown section '${s}' (${SECTIONS.join(', ')})`);
  const topologies = (values.topologies as string).split(',').filter(Boolean) as Topology['name'][];
  for (const t of topologies) if (!['single', 'ring', 'cluster'].includes(t)) throw new Error(`--topologies: unknown topology '${t}' (single, ring, cluster)`);
  return { size, flat, naive, only: new Set(only), topologies, profile: Boolean(values.profile), json: Boolean(values.json) };
}

const log = (line: string) => process.stderr.write(`bench: ${line}\n`);

async function main(): Promise<void> {
  const opts = options();
  const root = fileURLToPath(new URL('../..', import.meta.url));
  log('building dist/ (cachectl runs as the operator runs it)');
  const build = spawnSync('npm', ['run', '--silent', 'build'], { cwd: root, stdio: 'inherit' });
  if (build.status !== 0) throw new Error('build failed');

  const load = loadavg()[0] ?? 0;
  const rows: Row[] = [];
  const budgets: CpuBudget[] = [];
  const context: string[] = [];
  const targets: Target[] = [];
  const failures: string[] = [];
  const work = mkdtempSync(join(tmpdir(), 'cachectl-bench-'));
  log('starting servers: 3-master cluster, 3 ring nodes, 1 single node');
  const servers = await startBenchServers();
  const db = await createTestDatabase('cachectl_bench');
  try {
    log(`loading ${opts.size.toLocaleString('en-US')} products into ${db.name}`);
    const { avgPayloadBytes } = await loadProducts(db.pool, opts.size);
    const keyFile = join(work, 'keys.txt');
    await writeKeyList(keyFile, opts.size);
    const byName = (name: Topology['name']) => servers.topologies.find((t) => t.name === name) as Topology;

    // 1. The limits.
    let pgLimit: Rate | undefined;
    let redisOne: Rate | undefined;
    let redisAll: (Rate & { perNode: number[] }) | undefined;
    let redisCost: { plainUs: number; ttlUs: number; ttlRate: number } | undefined;
    if (opts.only.has('limits') || opts.only.has('warm')) {
      log('limits: COPY ... TO STDOUT, redis-benchmark -P 64 -t set -d 180');
      pgLimit = await pgCopyRate(db.url, COPY_SQL, opts.size);
      rows.push({ name: 'limit: PostgreSQL COPY TO STDOUT', ...pgLimit, note: `rows of ${Math.round(avgPayloadBytes)} B JSON` });
      redisOne = await redisSetRate([servers.single.port], opts.size, Math.round(avgPayloadBytes));
      rows.push({ name: 'limit: redis-benchmark, 1 node', ...redisOne, note: '-P 64 -t set' });
      const ring = byName('ring');
      const plain = await measureCpu(ring.pids, () => redisSetRate(ring.ports, opts.size, Math.round(avgPayloadBytes)));
      redisAll = plain.result;
      rows.push({ name: 'limit: redis-benchmark, 3 nodes at once', ...redisAll, note: `sum of ${redisAll.perNode.map((r) => Math.round(r)).join(' + ')}` });
      await servers.flushAll();
      await waitForQuiet();
      // Context, not the issue's limit: the same with the TTL warm writes (SET ... PX).
      const withTtl = await measureCpu(ring.pids, () => redisSetRate(ring.ports, opts.size, Math.round(avgPayloadBytes), 3_600_000));
      rows.push({ name: 'context: redis-benchmark SET ... PX, 3 nodes at once', ...withTtl.result, note: 'the command warm sends' });
      redisCost = {
        plainUs: (plain.cpu.redis * 1e6) / redisAll.keys,
        ttlUs: (withTtl.cpu.redis * 1e6) / withTtl.result.keys,
        ttlRate: withTtl.result.perSecond,
      };
      await servers.flushAll();
    }
    /** A warm from an empty cache on a quiet machine, with where its CPU went. */
    const measuredWarm = async (label: string, topology: Topology, source: WarmSource, expected: number, warm = cachectlWarm): Promise<WarmRun> => {
      await servers.flushAll();
      await waitForQuiet();
      const { result, cpu } = await measureCpu(topology.pids, () => warm(topology, db.url, source, expected), db.name);
      budgets.push(cpuBudget(label, result, cpu));
      return result;
    };
    const limitFor = (t: Topology) => Math.min(pgLimit?.perSecond ?? Infinity, (t.ports.length > 1 ? redisAll : redisOne)?.perSecond ?? Infinity);

    // 2. cachectl warm, both ways, into each topology; 5. inspect on the cluster afterwards.
    const warms = new Map<string, WarmRun>();
    const floors = new Map<'query' | 'keys', WarmRun>();
    // inspect needs the streamed warm into the cluster first; the floor (alone), cachectl's cluster warms to compare with.
    const floorAlone = opts.only.has('floor') && !opts.only.has('warm');
    if (opts.only.has('warm') || opts.only.has('inspect') || opts.only.has('floor')) {
      for (const name of ['single', 'ring', 'cluster'] as const) {
        if (!opts.topologies.includes(name) && !(name === 'cluster' && opts.only.has('inspect'))) continue;
        const topology = byName(name);
        for (const kind of ['keys', 'query'] as const) {
          if (!opts.only.has('warm') && !(name === 'cluster' && (kind === 'query' || floorAlone))) continue;
          log(`cachectl warm ${kind === 'keys' ? 'by key list' : 'by streaming query'} into the ${name}`);
          let run: WarmRun;
          try {
            run = await measuredWarm(
              `warm ${kind === 'keys' ? 'key list' : 'stream'} -> ${name}`,
              topology,
              kind === 'keys' ? { kind, file: keyFile } : { kind, count: opts.size },
              opts.size,
            );
          } catch (error) {
            // One broken topology must not hide the other measurements; the run still exits 1.
            failures.push(error instanceof Error ? error.message : String(error));
            rows.push({
              name: `cachectl warm ${kind === 'keys' ? 'key list' : 'stream'} -> ${name}`,
              keys: 0,
              seconds: 0,
              perSecond: 0,
              note: 'FAILED (see below)',
            });
            continue;
          }
          warms.set(`${name}/${kind}`, run);
          const limit = limitFor(topology);
          rows.push({
            name: `cachectl warm ${kind === 'keys' ? 'key list' : 'stream'} -> ${name}`,
            keys: run.written,
            seconds: run.seconds,
            perSecond: run.perSecond,
            peakRss: run.peakRss,
            cpuSeconds: run.cpuSeconds,
            note: Number.isFinite(limit) ? `${(run.perSecond / limit).toFixed(2)} x limit` : '',
          });
        }
      }
      const stream = warms.get('cluster/query');
      const keys = warms.get('cluster/keys');
      // The floor: the bare warms (no engine, no writer, cachectl's decoder and encoder) on the same
      // rows into the same cluster. Each target below shows what the floor reaches on its figure.
      if (opts.only.has('floor') && opts.topologies.includes('cluster')) {
        buildBareWarms();
        for (const kind of ['keys', 'query'] as const) {
          log(`bare ${kind === 'keys' ? 'key-list' : 'streamed'} warm into the cluster (the floor)`);
          const label = `bare floor ${kind === 'keys' ? 'key list' : 'stream'} -> cluster`;
          try {
            const run = await measuredWarm(
              label,
              byName('cluster'),
              kind === 'keys' ? { kind, file: keyFile } : { kind, count: opts.size },
              opts.size,
              bareWarm,
            );
            floors.set(kind, run);
            const limit = limitFor(byName('cluster'));
            rows.push({
              name: label,
              keys: run.written,
              seconds: run.seconds,
              perSecond: run.perSecond,
              peakRss: run.peakRss,
              cpuSeconds: run.cpuSeconds,
              note: `${Number.isFinite(limit) ? `${(run.perSecond / limit).toFixed(2)} x limit; ` : ''}no guarantees, not a tool`,
            });
          } catch (error) {
            failures.push(error instanceof Error ? error.message : String(error));
          }
        }
      }
      // min(COPY, redis-benchmark -P 64 on one node): the hot path's own yardstick.
      const oneNodeLimit = Math.min(pgLimit?.perSecond ?? Infinity, redisOne?.perSecond ?? Infinity);
      const floorOf = (kind: 'query' | 'keys', figure: (run: WarmRun) => number) => {
        const run = floors.get(kind);
        return run ? { floor: figure(run) } : {};
      };
      if (stream && Number.isFinite(oneNodeLimit))
        targets.push({
          figure: 'warm stream -> cluster / min(COPY, redis-benchmark 1 node)',
          ...floorOf('query', (r) => r.perSecond / oneNodeLimit),
          measured: stream.perSecond / oneNodeLimit,
          target: '>= 0.5',
          met: stream.perSecond / oneNodeLimit >= 0.5,
          how: 'keys/s',
        });
      if (keys && Number.isFinite(oneNodeLimit))
        targets.push({
          figure: 'warm key list -> cluster / min(COPY, redis-benchmark 1 node)',
          ...floorOf('keys', (r) => r.perSecond / oneNodeLimit),
          measured: keys.perSecond / oneNodeLimit,
          target: '>= 0.35',
          met: keys.perSecond / oneNodeLimit >= 0.35,
          how: 'keys/s',
        });
      for (const [label, goal] of [
        ['warm stream -> cluster', 1.5],
        ['warm key list -> cluster', 2.5],
      ] as const) {
        const b = budgets.find((x) => x.run === label);
        if (!b) continue;
        const f = budgets.find((x) => x.run === `bare floor ${label.slice(5)}`);
        targets.push({
          figure: `cachectl CPU per key, ${label.slice(5)} (us)`,
          ...(f ? { floor: f.cachectlUs } : {}),
          measured: b.cachectlUs,
          target: `<= ${goal}`,
          met: b.cachectlUs <= goal,
          how: "cachectl's own rusage / keys",
        });
        targets.push({
          figure: `cachectl / Redis CPU per key, ${label.slice(5)}`,
          ...(f ? { floor: f.cachectlUs / Math.max(1e-9, f.redisUs) } : {}),
          measured: b.cachectlUs / Math.max(1e-9, b.redisUs),
          target: '<= 0.3',
          met: b.cachectlUs / Math.max(1e-9, b.redisUs) <= 0.3,
          how: 'same warm',
        });
      }
      const clusterLimit = limitFor(byName('cluster'));
      if (stream && Number.isFinite(clusterLimit))
        targets.push({
          figure: 'warm stream -> cluster / limit',
          ...floorOf('query', (r) => r.perSecond / clusterLimit),
          measured: stream.perSecond / clusterLimit,
          target: '>= 0.5',
          met: stream.perSecond / clusterLimit >= 0.5,
          how: 'keys/s over min(PG COPY, redis-benchmark 3 nodes at once)',
        });
      if (keys && Number.isFinite(clusterLimit))
        targets.push({
          figure: 'warm key list -> cluster / limit',
          ...floorOf('keys', (r) => r.perSecond / clusterLimit),
          measured: keys.perSecond / clusterLimit,
          target: '>= 0.35',
          met: keys.perSecond / clusterLimit >= 0.35,
          how: 'same limit',
        });
      if (stream && redisCost) {
        const ttlLimit = Math.min(pgLimit?.perSecond ?? Infinity, redisCost.ttlRate);
        context.push(
          `warm stream -> cluster / min(COPY, SET ... PX on 3 nodes): ${(stream.perSecond / ttlLimit).toFixed(2)} (Redis CPU per key: ${redisCost.plainUs.toFixed(2)} us for SET, ${redisCost.ttlUs.toFixed(2)} us for SET ... PX)`,
        );
      }

      if (opts.only.has('inspect')) {
        log("cachectl inspect ttl --match '*' vs redis-cli --scan on every node at once (cluster, full)");
        const cmp = await inspectVsScan(byName('cluster'), opts.size);
        rows.push({ name: 'redis-cli --scan, 3 nodes at once', keys: cmp.keys, seconds: cmp.scan.seconds, perSecond: cmp.keys / cmp.scan.seconds });
        rows.push({
          name: "cachectl inspect ttl --match '*'",
          keys: cmp.keys,
          seconds: cmp.inspect.seconds,
          perSecond: cmp.keys / cmp.inspect.seconds,
          peakRss: cmp.inspect.peakRss,
          cpuSeconds: cmp.inspect.cpuSeconds,
        });
        const ratio = cmp.inspect.seconds / cmp.scan.seconds;
        targets.push({ figure: 'inspect ttl time / redis-cli --scan time', measured: ratio, target: '<= 2', met: ratio <= 2, how: 'cluster, all keys' });
      }
    }

    // The two peers a user would pick instead, on the same rows, next to cachectl's streamed warms.
    if (opts.only.has('peers')) {
      await servers.flushAll();
      await waitForQuiet();
      log('peer: psql -At (RESP text) | redis-cli --pipe into the single node');
      try {
        const pipe = await psqlPipe(db.url, servers.single.port, opts.size);
        rows.push({
          name: 'peer: psql -At (RESP) | redis-cli --pipe -> single',
          keys: pipe.keys,
          seconds: pipe.seconds,
          perSecond: pipe.perSecond,
          note: 'SET key value PX, formatted by PostgreSQL',
        });
        const mine = warms.get('single/query');
        if (mine)
          targets.push({
            figure: 'warm stream -> single / psql | redis-cli --pipe',
            measured: mine.perSecond / pipe.perSecond,
            target: '>= 2',
            met: mine.perSecond / pipe.perSecond >= 2,
            how: 'keys/s, same rows, same node',
          });
      } catch (error) {
        failures.push(error instanceof Error ? error.message : String(error));
      }
      await servers.flushAll();
      await waitForQuiet();
      log('peer: ioredis Cluster with enableAutoPipelining, SET ... PX per row from a pg cursor');
      try {
        const script = await ioredisScript(db.url, servers.cluster.seeds, opts.size);
        rows.push({
          name: 'peer: ioredis Cluster autopipelining script -> cluster',
          keys: script.keys,
          seconds: script.seconds,
          perSecond: script.perSecond,
          note: 'pg cursor, FETCH 2000, SET ... PX per row',
        });
        const mine = warms.get('cluster/query');
        if (mine)
          targets.push({
            figure: 'warm stream -> cluster / ioredis script',
            ...(floors.has('query') ? { floor: (floors.get('query') as WarmRun).perSecond / script.perSecond } : {}),
            measured: mine.perSecond / script.perSecond,
            target: '>= 4',
            met: mine.perSecond / script.perSecond >= 4,
            how: 'keys/s, same rows (script timed from its first row)',
          });
      } catch (error) {
        failures.push(error instanceof Error ? error.message : String(error));
      }
      await servers.flushAll();
    }

    // Where the time goes: the cluster warms again, under --cpu-prof (slower, so not measured above).
    const profiles: { run: string; hottest: HotFunction[] }[] = [];
    if (opts.profile && opts.only.has('warm')) {
      for (const kind of ['query', 'keys'] as const) {
        await servers.flushAll();
        const dir = join(work, `prof-${kind}`);
        log(`profiling cachectl warm ${kind === 'keys' ? 'by key list' : 'by streaming query'} into the cluster (--cpu-prof)`);
        await cachectlWarm(byName('cluster'), db.url, kind === 'keys' ? { kind, file: keyFile } : { kind, count: opts.size }, opts.size, dir);
        profiles.push({ run: `warm ${kind === 'keys' ? 'key list' : 'stream'} -> cluster`, hottest: hottestFunctions(dir) });
      }
    }

    // 3. The naive loop, on a sample, into the cluster.
    if (opts.only.has('naive') && opts.naive > 0) {
      await servers.flushAll();
      log(`naive loop (SELECT + SETEX per key) on ${opts.naive.toLocaleString('en-US')} keys into the cluster`);
      const naive = await naiveWarm(db.url, byName('cluster'), opts.naive);
      rows.push({
        name: 'naive loop -> cluster',
        keys: naive.keys,
        seconds: naive.seconds,
        perSecond: naive.keys / naive.seconds,
        note: naive.failed ? `${naive.failed} failed` : 'one SELECT + one SETEX per key',
      });
      const keys = warms.get('cluster/keys');
      if (keys) {
        const ratio = keys.perSecond / (naive.keys / naive.seconds);
        targets.push({
          figure: 'cachectl / naive loop',
          measured: ratio,
          target: '>= 30',
          met: ratio >= 30,
          how: 'warm key list -> cluster vs the naive loop',
        });
      }
    }

    // 4. Memory flatness: streamed warms of growing size (rows generated, no table needed).
    if (opts.only.has('flat') && opts.flat.length > 0) {
      const flat: WarmRun[] = [];
      const flatBudgets: CpuBudget[] = [];
      for (const n of opts.flat) {
        log(`memory flatness: streamed warm of ${n.toLocaleString('en-US')} generated rows into the cluster`);
        let run: WarmRun;
        try {
          // No --statement-timeout: the stream's reads are timed one by one (README, Performance).
          run = await measuredWarm(`warm stream ${formatCount(n)} -> cluster`, byName('cluster'), { kind: 'query', sql: generatedStreamSql(n), count: n }, n);
        } catch (error) {
          failures.push(error instanceof Error ? error.message : String(error));
          rows.push({ name: `cachectl warm stream ${formatCount(n)} -> cluster`, keys: 0, seconds: 0, perSecond: 0, note: 'FAILED (see below)' });
          continue;
        }
        flat.push(run);
        const budget = budgets[budgets.length - 1];
        if (budget) flatBudgets.push(budget);
        rows.push({
          name: `cachectl warm stream ${formatCount(n)} -> cluster`,
          keys: run.written,
          seconds: run.seconds,
          perSecond: run.perSecond,
          peakRss: run.peakRss,
          cpuSeconds: run.cpuSeconds,
          note: 'generate_series rows',
        });
      }
      await servers.flushAll();
      // The largest run next to the --size run (or the smallest): the two must be about the same.
      const baseIndex = Math.max(
        0,
        opts.flat.indexOf(opts.size) >= 0 && opts.flat.indexOf(opts.size) < opts.flat.length - 1 ? opts.flat.indexOf(opts.size) : 0,
      );
      const small = flat[baseIndex];
      const big = flat[flat.length - 1];
      if (small?.peakRss && big?.peakRss && flat.length > 1) {
        const ratio = big.peakRss / small.peakRss;
        targets.push({
          figure: `peak RSS ${formatCount(opts.flat[opts.flat.length - 1] as number)} / ${formatCount(opts.flat[baseIndex] as number)}`,
          measured: ratio,
          target: '<= 1.1',
          met: ratio <= 1.1,
          how: 'streamed warm into the cluster',
        });
        targets.push({
          figure: `peak RSS at ${formatCount(opts.flat[opts.flat.length - 1] as number)} (MB)`,
          measured: big.peakRss / 1e6,
          target: '< 130',
          met: big.peakRss < 130e6,
          how: 'the largest streamed warm',
        });
      }
      // The per-key goals without the part of a run that does not grow with it (issue 14).
      const first = flatBudgets[0];
      const last = flatBudgets[flatBudgets.length - 1];
      if (first && last && last.keys > first.keys) {
        const added = perAddedKey('stream', 1.5, first, last);
        budgets.push(added.budget);
        targets.push(...added.targets);
        context.push(added.context);
      }
      // The same key-list warm on a quarter of the keys: what each added key costs beyond the part
      // of a run that does not grow with it. (A quarter of a run has not finished warming up either,
      // so the difference errs high.)
      const full = budgets.find((b) => b.run === 'warm key list -> cluster');
      if (full && opts.size >= 4000) {
        const part = Math.floor(opts.size / 4);
        const partFile = join(work, 'keys-part.txt');
        await writeKeyList(partFile, part);
        log(`cachectl warm by key list into the cluster, the first ${part.toLocaleString('en-US')} keys`);
        try {
          const run = await measuredWarm(`warm key list ${formatCount(part)} -> cluster`, byName('cluster'), { kind: 'keys', file: partFile }, part);
          rows.push({
            name: `cachectl warm key list ${formatCount(part)} -> cluster`,
            keys: run.written,
            seconds: run.seconds,
            perSecond: run.perSecond,
            peakRss: run.peakRss,
            cpuSeconds: run.cpuSeconds,
          });
          const small = budgets[budgets.length - 1];
          if (small) {
            const added = perAddedKey('key list', 2.5, small, full);
            budgets.push(added.budget);
            targets.push(...added.targets);
            context.push(added.context);
          }
        } catch (error) {
          failures.push(error instanceof Error ? error.message : String(error));
        }
      }
      // Whether the peak still grows between the two largest runs, or only until the GC settles.
      const previous = flat[flat.length - 2];
      if (flat.length > 2 && previous?.peakRss && big?.peakRss) {
        context.push(
          `peak RSS ${formatCount(opts.flat[opts.flat.length - 1] as number)} / ${formatCount(opts.flat[opts.flat.length - 2] as number)}: ${(big.peakRss / previous.peakRss).toFixed(2)}`,
        );
      }
    }

    // 6. Ring: keys located per second per compatibility profile (the ring's own benchmark).
    if (opts.only.has('ring')) {
      const n = Math.min(opts.size, 1_000_000);
      log(`ring locate: test/bench/ring.ts over ${n.toLocaleString('en-US')} keys per profile`);
      const ring = await ringRates(n);
      for (const r of ring)
        rows.push({
          name: `ring locate: ${r.profile}`,
          keys: r.keys,
          seconds: r.seconds,
          perSecond: r.perSecond,
          note: `${Math.round(r.perCpuSecond).toLocaleString('en-US')} per CPU second`,
        });
      const slowest = ring.reduce((a, b) => (b.perCpuSecond < a.perCpuSecond ? b : a));
      targets.push({
        figure: 'ring keys per CPU second, slowest profile',
        measured: slowest.perCpuSecond,
        target: '>= 1,000,000',
        met: slowest.perCpuSecond >= 1_000_000,
        how: `${slowest.profile}; one core`,
      });
    }

    const header = `cachectl benchmark: --size ${opts.size.toLocaleString('en-US')}, ${cpus().length} CPUs (${cpus()[0]?.model ?? '?'}), load average ${load.toFixed(2)} at the start, node ${process.versions.node}`;
    if (opts.json)
      process.stdout.write(
        JSON.stringify(
          {
            options: { ...opts, only: [...opts.only] },
            loadAverage: load,
            cpus: cpus().length,
            rows,
            targets,
            cpuBudgets: budgets,
            context,
            profiles,
            failures,
          },
          null,
          2,
        ) + '\n',
      );
    else {
      process.stdout.write(renderTables(rows, targets, header));
      if (budgets.length > 0) process.stdout.write(`\n${renderCpuBudgets(budgets)}`);
      for (const line of context) process.stdout.write(`\n${line}\n`);
      for (const p of profiles) {
        process.stdout.write(`\nself time, ${p.run} (--cpu-prof):\n`);
        for (const f of p.hottest) process.stdout.write(`  ${(f.share * 100).toFixed(1).padStart(5)}%  ${f.name}\n`);
      }
      process.stdout.write(`\n<!-- README-ready: ${header} -->\n\n${renderMarkdown(rows, targets, budgets)}`);
    }
    if (failures.length > 0) {
      for (const f of failures) log(`FAILED: ${f}`);
      process.exitCode = 1;
    }
  } finally {
    await db.drop().catch((e: unknown) => log(`could not drop ${db.name}: ${String(e)}`));
    await servers.stop();
    rmSync(work, { recursive: true, force: true });
  }
}

/** A run's CPU per key by process, and the rate the machine's cores allow at that cost. */
function cpuBudget(run: string, warm: WarmRun, cpu: CpuSplit): CpuBudget {
  const cores = cpus().length;
  const us = (seconds: number) => (seconds * 1e6) / warm.written;
  const cachectl = warm.cpuSeconds ?? 0;
  const other = Math.max(0, cpu.machine - cachectl - cpu.redis - cpu.postgres);
  // What the warm itself costs the machine: the rest is other sessions on a shared machine.
  const perKey = us(cachectl) + us(cpu.redis) + us(cpu.postgres);
  return {
    run,
    keys: warm.written,
    keysPerSecond: warm.perSecond,
    cachectlUs: us(cachectl),
    ...(warm.helperCpuSeconds !== undefined ? { helpersUs: us(warm.helperCpuSeconds) } : {}),
    redisUs: us(cpu.redis),
    postgresUs: us(cpu.postgres),
    otherUs: us(other),
    machineBusy: cpu.capacity > 0 ? cpu.machine / cpu.capacity : 0,
    cpuBoundRate: perKey > 0 ? (cores * 1e6) / perKey : 0,
  };
}

interface RingRate {
  profile: string;
  keys: number;
  seconds: number;
  perSecond: number;
  perCpuSecond: number;
}

/** The ring's own benchmark (test/bench/ring.ts, one core, in its own process), parsed. */
async function ringRates(keys: number): Promise<RingRate[]> {
  const script = fileURLToPath(new URL('./ring.ts', import.meta.url));
  const run = await runTimed(process.execPath, ['--import', 'tsx', script, String(keys)], { keepStdout: true });
  if (run.code !== 0) throw new Error(`test/bench/ring.ts exited ${run.code}: ${run.stderr.slice(-500)}`);
  const rates: RingRate[] = [];
  for (const line of run.stdout.split('\n')) {
    const m = /^(\S.*?)\s{2,}([\d,]+)\s+([\d,]+)\s*$/.exec(line);
    if (!m || line.startsWith('(')) continue;
    const wall = Number((m[2] as string).replace(/,/g, ''));
    rates.push({ profile: (m[1] as string).trim(), keys, seconds: keys / wall, perSecond: wall, perCpuSecond: Number((m[3] as string).replace(/,/g, '')) });
  }
  if (rates.length === 0) throw new Error(`test/bench/ring.ts printed no rates:\n${run.stdout.slice(0, 500)}`);
  return rates;
}

main().catch((error: unknown) => {
  process.stderr.write(`bench: FAILED: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});

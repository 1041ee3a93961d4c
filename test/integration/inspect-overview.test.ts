import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Redis } from 'ioredis';
import { openCache, type CacheConnection } from '../../src/adapters/redis/cache.js';
import type { OverviewReport } from '../../src/core/inspect/overview.js';
import type { LocksReport } from '../../src/core/inspect/locks.js';
import type { StaleReport } from '../../src/core/inspect/stale.js';
import type { StampedeReport } from '../../src/core/inspect/stampede.js';
import type { TtlReport } from '../../src/core/inspect/ttl.js';
import { parseInfo } from '../../src/core/inspect/keyspace.js';
import { createRingTopology, parseRingServers } from '../../src/topology/ring/index.js';
import { runCli } from '../harness/cli.js';
import { startCluster, startRedis, type RedisCluster, type RedisProcess } from '../harness/redis.js';
import { expectedFor, planKeyspace, writeKeyspace, type SeededKeyspace } from '../harness/inspect-seed.js';

const RANK = { critical: 0, warning: 1, notice: 2 } as const;

/** SCAN calls each node served since its stats were reset (commands run inside scripts are counted too). */
async function scanCalls(clients: readonly Redis[]): Promise<number[]> {
  return Promise.all(clients.map(async (c) => Number(/calls=(\d+)/.exec(parseInfo(await c.info('commandstats')).cmdstat_scan ?? '')?.[1] ?? 0)));
}

describe('inspect (the overview) on a 3-master cluster seeded with one of each problem', () => {
  let cluster: RedisCluster;
  let cache: CacheConnection;
  let seeded: SeededKeyspace;
  let admins: Redis[];
  const set = async (key: string, ...args: (string | number)[]) => {
    await cache.clientFor(cache.topology.nodes[cache.topology.nodeIndexOf(key)]!).call('SET', key, ...args.map(String));
  };

  before(async () => {
    cluster = await startCluster(3);
    cache = await openCache({ kind: 'cluster', seeds: [{ host: '127.0.0.1', port: cluster.masters[0]!.port }], auth: {} });
    admins = cache.topology.nodes.map((_, i) => cache.client(i));
    const now = Date.now();
    const plan = planKeyspace(now);
    await writeKeyspace(plan.keys, cache.topology, (i) => cache.client(i));
    seeded = expectedFor(plan, cache.topology, now);
    // hot; a TTL well inside the --window the runs below pass, so a slow machine cannot see it expire
    await set('stampede:product:7', 80, 'PX', 600_000);
    await set('stampede:product:8', 3); // leaked: no TTL
    await set('lock:product:9', 'worker-1'); // stuck: no TTL
    await set('product:10:stale', 'old', 'PX', 60_000); // served: its primary is gone
  });
  after(async () => {
    await cache?.close();
    await cluster?.stop();
  });

  test('names each seeded problem, most severe first; each view summary matches the view run alone', async () => {
    const full = cache.topology.nodes[0]!;
    const misses = cache.topology.nodes[1]!;
    const used = Number(parseInfo(await admins[0]!.info('memory')).used_memory);
    await admins[0]!.config('SET', 'maxmemory', String(Math.round(used * 1.02)));
    await admins[1]!.call('CONFIG', 'RESETSTAT');
    const p = admins[1]!.pipeline();
    for (let i = 0; i < 50; i++) p.get(`no-such-key-${i}`);
    await p.exec();
    let r;
    try {
      r = await runCli(['inspect', '--cluster', cluster.seeds, '--cliff-threshold', '399', '--window', '15m', '--json']);
    } finally {
      await admins[0]!.config('SET', 'maxmemory', '0');
    }
    assert.equal(r.code, 0, r.stderr);
    const report = JSON.parse(r.stdout) as OverviewReport;
    assert.equal(report.view, 'overview');
    const kinds = report.verdicts.map((v) => v.kind);
    for (const kind of ['memory', 'hit-ratio', 'cliff', 'hot-counters', 'leaked-counters', 'stuck-locks', 'stale-serving', 'no-ttl'])
      assert.ok(kinds.includes(kind), `${kind} in ${kinds}`);
    assert.deepEqual(report.verdicts[0]!, { ...report.verdicts[0]!, severity: 'critical', kind: 'memory' });
    assert.match(report.verdicts[0]!.text, new RegExp(`memory at the limit .*${full.name} (9\\d|1\\d\\d)\\.\\d%`));
    const ranks = report.verdicts.map((v) => RANK[v.severity]);
    assert.deepEqual(
      ranks,
      [...ranks].sort((a, b) => a - b),
      'ranked by severity',
    );
    assert.match(report.verdicts.find((v) => v.kind === 'hit-ratio')!.text, new RegExp(`${misses.name} 0\\.0%`));
    assert.equal(report.verdicts.find((v) => v.kind === 'cliff')!.value, 400);
    assert.equal(report.verdicts.find((v) => v.kind === 'no-ttl')!.severity, 'notice');
    assert.equal(report.verdicts.find((v) => v.kind === 'no-ttl')!.value, seeded.total.noTtl + 2);

    const view = async <T>(name: string, ...extra: string[]) =>
      JSON.parse((await runCli(['inspect', name, '--cluster', cluster.seeds, '--json', ...extra])).stdout) as T;
    const ttl = await view<TtlReport>('ttl');
    assert.deepEqual(report.ttl.totals, ttl.totals);
    assert.deepEqual(report.ttl.histogram, ttl.histogram);
    const noWhen = (ws: TtlReport['clusterCliffs']['windows']) => ws.map(({ inMs: _, ...w }) => w);
    assert.deepEqual(noWhen(report.ttl.clusterCliffs.windows), noWhen(ttl.clusterCliffs.windows));
    assert.deepEqual(report.stampede.totals, (await view<StampedeReport>('stampede', '--window', '15m')).totals);
    assert.deepEqual(report.stampede.totals, { counters: 2, hot: 1, leaked: 1, sliding: 0, notCounters: 0, maxCount: 80 });
    assert.deepEqual(report.locks.totals, (await view<LocksReport>('locks')).totals);
    assert.equal(report.locks.totals.stuck, 1);
    assert.deepEqual(report.stale.totals, (await view<StaleReport>('stale')).totals);
    assert.equal(report.stale.serving[0]!.key, 'product:10:stale');

    const text = await runCli(['inspect', '--cluster', cluster.seeds, '--cliff-threshold', '399']);
    assert.match(text.stdout, /^What is wrong \(cluster, 3 nodes, one scan pass, /);
    assert.match(text.stdout, /^WARNING {2}expiry cliff: 400 keys of all nodes expire in one second/m);
    assert.match(text.stdout, /^WARNING {2}1 lock without TTL \(stuck forever once the holder dies\), e.g\. lock:product:9$/m);
    assert.ok(text.stdout.indexOf('WARNING') < text.stdout.indexOf('NOTICE'));
    assert.ok(text.stdout.indexOf('NOTICE') < text.stdout.indexOf('Nodes (cluster, 3)'), 'verdicts before the summaries');
  });

  test('costs one scan pass: as many SCAN calls per node as inspect ttl, a quarter of the four scanning views run one by one', async () => {
    const reset = () => Promise.all(admins.map((c) => c.call('CONFIG', 'RESETSTAT')));
    await reset();
    assert.equal((await runCli(['inspect', 'ttl', '--cluster', cluster.seeds, '--count', '40'])).code, 0);
    const ttl = await scanCalls(admins);
    await reset();
    await runCli(['inspect', '--cluster', cluster.seeds, '--count', '40']);
    const overview = await scanCalls(admins);
    await reset();
    for (const v of ['ttl', 'stampede', 'locks', 'stale']) await runCli(['inspect', v, '--cluster', cluster.seeds, '--count', '40']);
    const views = await scanCalls(admins);
    assert.ok(
      ttl.every((n) => n >= 5),
      `several SCAN calls per node: ${ttl}`,
    );
    assert.deepEqual(overview, ttl, 'the overview scans each node exactly as often as inspect ttl');
    views.forEach((n, i) => assert.equal(n, 4 * ttl[i]!, `node ${i}: four views, four passes`));
  });

  test("--fail-on takes every view's conditions; an unknown one is still refused", async () => {
    const holds = await runCli(['inspect', '--cluster', cluster.seeds, '--fail-on', 'stuck-locks,leaked-counters', '--fail-on', 'cliff>399']);
    assert.equal(holds.code, 1);
    assert.match(holds.stdout, /^fail-on: stuck-locks holds \(1\)$/m);
    assert.match(holds.stdout, /^fail-on: cliff>399 holds \(400\)$/m);
    const not = await runCli(['inspect', '--cluster', cluster.seeds, '--fail-on', 'stampede>80,stale-no-ttl,memory>99%,node-cliff>400']);
    assert.equal(not.code, 0, not.stdout);
    const bad = await runCli(['inspect', '--cluster', cluster.seeds, '--fail-on', 'sunspots']);
    assert.equal(bad.code, 2);
    const unknown = await runCli(['inspect', 'bogus', '--cluster', cluster.seeds]);
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /^cachectl: inspect: unknown view 'bogus'; views are ttl, /);
  });

  test('--watch off a terminal: one JSON line per tick with the verdicts', async () => {
    const r = await runCli(['inspect', '--cluster', cluster.seeds, '--watch', '100ms', '--ticks', '2']);
    assert.equal(r.code, 0, r.stderr);
    const ticks = r.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { tick: number; report: OverviewReport });
    assert.deepEqual(
      ticks.map((t) => t.tick),
      [1, 2],
    );
    assert.ok(ticks[1]!.report.verdicts.some((v) => v.kind === 'stuck-locks'));
  });
});

describe('inspect (the overview) on a ring: evictions, and a node down first', () => {
  let nodes: RedisProcess[];
  let servers: string;

  before(async () => {
    nodes = await Promise.all([startRedis(), startRedis(), startRedis()]);
    servers = nodes.map((n, i) => `${n.address}:1 cache-${i}`).join(',');
    const ring = createRingTopology({ compat: 'twemproxy', hash: 'fnv1a_64', servers: parseRingServers(servers) });
    const c = nodes[1]!.client();
    try {
      // Evictions on cache-1: a small maxmemory and values that do not fit, then the limit lifted.
      await c.config('SET', 'maxmemory-policy', 'allkeys-random');
      await c.config('SET', 'maxmemory', String(3 * 1024 * 1024));
      const p = c.pipeline();
      for (let i = 0; i < 400; i++) p.set(`filler:${i}`, 'x'.repeat(20_000));
      await p.exec();
      await c.config('SET', 'maxmemory', '0');
    } finally {
      await c.quit();
    }
    const key = 'lock:job:1';
    const owner = nodes[ring.nodeIndexOf(key)]!.client();
    await owner.set(key, 'w');
    await owner.quit();
  });
  after(async () => {
    await Promise.all((nodes ?? []).map((n) => n.stop()));
  });

  test('evictions and the stuck lock are named; a node down comes first (runs last)', async () => {
    const before = JSON.parse((await runCli(['inspect', '--ring', servers, '--json'])).stdout) as OverviewReport;
    const evicted = before.verdicts.find((v) => v.kind === 'evicted')!;
    assert.ok(evicted.value > 0);
    assert.match(evicted.text, /evicted since the nodes started: cache-1 \d+/);
    assert.ok(before.verdicts.some((v) => v.kind === 'stuck-locks'));
    await nodes[2]!.kill();
    const r = await runCli(['inspect', '--ring', servers, '--json']);
    assert.equal(r.code, 1);
    const report = JSON.parse(r.stdout) as OverviewReport;
    assert.deepEqual([report.verdicts[0]!.severity, report.verdicts[0]!.kind, report.verdicts[0]!.value], ['critical', 'nodes-down', 1]);
    assert.match(report.verdicts[0]!.text, /^1 node down or refusing: cache-2 \(down: /);
    assert.equal(report.ttl.nodes[2]!.status, 'down');
  });
});

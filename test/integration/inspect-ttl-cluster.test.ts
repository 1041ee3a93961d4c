import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { openCache, type CacheConnection } from '../../src/adapters/redis/cache.js';
import type { TtlReport } from '../../src/core/inspect/ttl.js';
import type { NodesReport } from '../../src/core/inspect/nodes.js';
import { runCli } from '../harness/cli.js';
import { startCluster, type RedisCluster } from '../harness/redis.js';
import { expectedFor, planKeyspace, writeKeyspace, type SeededKeyspace } from '../harness/inspect-seed.js';

describe('inspect ttl and nodes on a 3-master cluster', () => {
  let cluster: RedisCluster;
  let cache: CacheConnection;
  let seeded: SeededKeyspace;

  before(async () => {
    cluster = await startCluster(3);
    cache = await openCache({ kind: 'cluster', seeds: [{ host: '127.0.0.1', port: cluster.masters[0]!.port }], auth: {} });
    const now = Date.now();
    const plan = planKeyspace(now);
    await writeKeyspace(plan.keys, cache.topology, (i) => cache.client(i));
    seeded = expectedFor(plan, cache.topology, now);
  });
  after(async () => {
    await cache?.close();
    await cluster?.stop();
  });

  test('--json: every master is scanned and every figure matches the seeded keyspace', async () => {
    const r = await runCli(['inspect', 'ttl', '--cluster', cluster.seeds, '--json']);
    assert.equal(r.code, 0, r.stderr);
    const report = JSON.parse(r.stdout) as TtlReport;
    assert.equal(report.nodes.length, 3);
    assert.deepEqual(report.nodes.map((n) => n.address).sort(), cluster.masters.map((m) => m.address).sort());
    assert.equal(report.totals.keys, seeded.total.keys);
    assert.equal(report.totals.withTtl, seeded.total.withTtl);
    assert.equal(report.totals.noTtl, seeded.total.noTtl);
    assert.deepEqual(
      report.histogram.map((b) => b.keys),
      seeded.total.histogram,
    );
    for (const node of report.nodes) {
      const index = cache.topology.nodes.findIndex((n) => n.address === node.address);
      const want = seeded.perNode[index]!;
      assert.ok(want.keys > 0, 'every node got some keys');
      assert.equal(node.status, 'ok');
      assert.equal(node.keys, want.keys, `${node.name} keys`);
      assert.equal(node.withTtl, want.withTtl, `${node.name} with TTL`);
      assert.equal(node.noTtl, want.noTtl, `${node.name} without TTL`);
      assert.deepEqual(
        node.histogram.map((b) => b.keys),
        want.histogram,
        `${node.name} histogram`,
      );
      // INFO keyspace, before the scan, agrees too.
      assert.deepEqual(node.keyspace, { keys: want.keys, withTtl: want.withTtl, withoutTtl: want.noTtl, avgTtlMs: node.keyspace!.avgTtlMs });
      // The busiest second of each node is the seeded cliff, with exactly that node's share of it.
      assert.equal(node.cliffs[0]?.startMs, seeded.cliffSecondMs, `${node.name} cliff second`);
      assert.equal(node.cliffs[0]?.keys, want.cliff, `${node.name} cliff keys`);
      assert.ok(node.cliffs[0]!.inMs > 19 * 60_000 && node.cliffs[0]!.inMs <= 20 * 60_000, `cliff is ~20 minutes out: ${node.cliffs[0]!.inMs}`);
      assert.equal(node.cliffsExact, true);
      assert.match(node.noTouch ?? '', /^not available: Redis 7\.0\.\d+ \(needs 7\.2\)$/);
      assert.equal(node.mode, 'lua');
    }
    assert.equal(report.cliffs[0]?.keys, Math.max(...seeded.perNode.map((e) => e.cliff)));
    // All nodes together: the whole seeded cliff in one second, split as seeded.
    const wide = report.clusterCliffs.windows[0]!;
    assert.deepEqual([wide.startMs, wide.keys], [seeded.cliffSecondMs, 400]);
    assert.deepEqual(
      Object.fromEntries(wide.nodes.map((n) => [n.node, n.keys])),
      Object.fromEntries(cache.topology.nodes.map((n, i) => [n.name, seeded.perNode[i]!.cliff])),
    );
    assert.equal(report.clusterCliffs.clock.length, 3);
    for (const c of report.clusterCliffs.clock)
      assert.ok(c.offsetMs !== null && Math.abs(c.offsetMs) < 50 && c.uncertaintyMs !== null, `one machine: offsets near 0 (${c.offsetMs})`);
    assert.equal(report.noTtlSample.length, seeded.total.noTtl <= 20 ? seeded.total.noTtl : 20);
    assert.ok(report.noTtlSample.every((k) => k.startsWith('seed:forever:')));
  });

  test('cliffs are cluster-wide: 800 keys in one second over 3 masters trip cliff>799; node-cliff, 10 s and 60 s spans as seeded', async () => {
    const base = Math.floor((Date.now() + 40 * 60_000) / 1000) * 1000;
    const keys: { key: string; expireAt: number }[] = [];
    for (let i = 0; i < 800; i++) keys.push({ key: `big:cliff:${i}`, expireAt: base + ((i * 13) % 1000) });
    for (let i = 0; i < 1000; i++) keys.push({ key: `big:ten:${i}`, expireAt: base + 600_000 + i * 10 }); // 100 a second for 10 s
    for (let i = 0; i < 1500; i++) keys.push({ key: `big:sixty:${i}`, expireAt: base + 1_800_000 + i * 40 }); // 25 a second for 60 s
    await writeKeyspace(keys, cache.topology, (i) => cache.client(i));
    try {
      const perNode = cache.topology.nodes.map((_, n) => keys.filter((k) => k.key.startsWith('big:cliff:') && cache.topology.nodeIndexOf(k.key) === n).length);
      assert.ok(Math.max(...perNode) < 400, `no node holds the cliff alone: ${perNode}`);
      const fail = await runCli(['inspect', 'ttl', '--cluster', cluster.seeds, '--match', 'big:*', '--fail-on', 'cliff>799', '--json']);
      assert.equal(fail.code, 1, fail.stderr);
      const report = JSON.parse(fail.stdout) as TtlReport & { failOn: { holds: boolean; value: number }[] };
      assert.deepEqual([report.failOn[0]!.holds, report.failOn[0]!.value], [true, 800]);
      const c = report.clusterCliffs;
      assert.deepEqual([c.windows[0]!.startMs, c.windows[0]!.keys, c.windows[0]!.spanMs], [base, 800, 1000]);
      assert.deepEqual(c.windows[0]!.nodes.map((n) => n.keys).sort(), [...perNode].sort());
      assert.deepEqual([c.busiest10s!.startMs, c.busiest10s!.keys], [base + 600_000, 1000]);
      assert.deepEqual([c.busiest60s!.startMs, c.busiest60s!.keys], [base + 1_800_000, 1500]);
      assert.equal(
        c.busiest60s!.nodes.reduce((a, n) => a + n.keys, 0),
        1500,
      );
      assert.equal(c.exact, true);
      // Per node, the old reading: no node has 800, so node-cliff>799 does not hold.
      const node = await runCli(['inspect', 'ttl', '--cluster', cluster.seeds, '--match', 'big:*', '--fail-on', 'node-cliff>799', '--fail-on', 'cliff>800']);
      assert.equal(node.code, 0, node.stdout);
      assert.match(node.stdout, new RegExp(`fail-on: node-cliff>799 does not hold \\(${Math.max(...perNode)}\\)`));
      assert.match(node.stdout, /fail-on: cliff>800 does not hold \(800\)/);
      const spans = await runCli(['inspect', 'ttl', '--cluster', cluster.seeds, '--match', 'big:*', '--fail-on', 'cliff-10s>999,cliff-60s>1499']);
      assert.equal(spans.code, 1);
      assert.match(spans.stdout, /fail-on: cliff-10s>999 holds \(1,000\)/);
      assert.match(spans.stdout, /fail-on: cliff-60s>1499 holds \(1,500\)/);
      // The text report leads with the cluster-wide windows.
      const text = node.stdout;
      assert.ok(text.indexOf('Expiry cliffs, all 3 nodes together') < text.indexOf('Expiry cliffs per node'));
      assert.match(
        text,
        new RegExp(`^${new Date(base).toISOString().replace('.000Z', 'Z')}\\s+in \\d+m\\d\\ds\\s+800\\s+\\S+ \\d+, \\S+ \\d+, \\S+ \\d+$`, 'm'),
      );
      assert.match(text, /^busiest 10s: 1000 keys from /m);
      assert.match(text, /^busiest 60s: 1500 keys from /m);
      assert.match(text, /^clock offsets \(node TIME - local clock\): /m);
    } finally {
      await Promise.all(
        cache.topology.nodes.map(async (_, n) => {
          const mine = keys.filter((k) => cache.topology.nodeIndexOf(k.key) === n).map((k) => k.key);
          const p = cache.client(n).pipeline();
          for (const k of mine) p.del(k);
          await p.exec();
        }),
      );
    }
  });

  test('the text report prints the same figures, instant figures first', async () => {
    const r = await runCli(['inspect', 'ttl', '--cluster', cluster.seeds]);
    assert.equal(r.code, 0, r.stderr);
    const out = r.stdout;
    assert.ok(out.indexOf('Instant figures (INFO keyspace)') < out.indexOf('TTLs (SCAN MATCH *'), 'INFO figures come before the scan results');
    const t = seeded.total;
    const num = (n: number) => n.toLocaleString('en-US');
    assert.match(out, new RegExp(`^total\\s+${num(t.keys)}\\s+${num(t.withTtl)}\\s+${num(t.noTtl)}\\s`, 'm'), 'INFO total row');
    assert.match(out, new RegExp(`^total\\s+${num(t.keys)}\\s+${num(t.withTtl)}\\s+${num(t.noTtl)}\\s+0$`, 'm'), 'scan total row');
    const labels = ['<1s', '1s-10s', '10s-1m', '1m-10m', '10m-1h', '1h-6h', '6h-1d', '1d-7d', '7d-30d', '>=30d'];
    labels.forEach((label, i) => assert.match(out, new RegExp(`^${label.replace(/[-<>=]/g, '\\$&')}\\s+${t.histogram[i]}\\s`, 'm'), `histogram ${label}`));
    const second = new Date(seeded.cliffSecondMs).toISOString().replace('.000Z', 'Z');
    for (const [i, node] of cache.topology.nodes.entries()) {
      assert.match(out, new RegExp(`^${node.name}\\s+${second}\\s+in \\d+m\\d\\ds\\s+${seeded.perNode[i]!.cliff}$`, 'm'), `cliff row of ${node.name}`);
    }
    assert.match(out, /CLIENT NO-TOUCH: not available: Redis 7\.0\.\d+ \(needs 7\.2\)/);
  });

  test('--match narrows the scan; pipeline mode gives the same figures as the script', async () => {
    const lua = JSON.parse((await runCli(['inspect', 'ttl', '--cluster', cluster.seeds, '--match', 'seed:cliff:*', '--json'])).stdout) as TtlReport;
    const pipe = JSON.parse(
      (await runCli(['inspect', 'ttl', '--cluster', cluster.seeds, '--match', 'seed:cliff:*', '--json', '--scan-mode', 'pipeline', '--count', '50'])).stdout,
    ) as TtlReport;
    for (const report of [lua, pipe]) {
      assert.equal(report.totals.keys, 400);
      assert.equal(report.totals.noTtl, 0);
      assert.deepEqual(report.nodes.map((n) => n.cliffs[0]?.keys).sort(), seeded.perNode.map((e) => e.cliff).sort());
    }
    assert.deepEqual(
      pipe.nodes.map((n) => n.mode),
      ['pipeline', 'pipeline', 'pipeline'],
    );
  });

  test('--types counts keys by type (off by default: it is one more command per key on the nodes)', async () => {
    const plain = JSON.parse((await runCli(['inspect', 'ttl', '--cluster', cluster.seeds, '--match', 'seed:*', '--json'])).stdout) as TtlReport;
    assert.deepEqual(plain.totals.types, {});
    for (const mode of ['lua', 'pipeline']) {
      const typed = JSON.parse(
        (await runCli(['inspect', 'ttl', '--cluster', cluster.seeds, '--match', 'seed:*', '--types', '--json', '--scan-mode', mode])).stdout,
      ) as TtlReport;
      assert.deepEqual(typed.totals.types, { string: seeded.total.keys }, mode);
    }
  });

  test('keys given by name are looked up on their owning node, with their stale copies', async () => {
    await cache.clientFor(cache.topology.nodes[cache.topology.nodeIndexOf('seed:forever:0:stale')]!).set('seed:forever:0:stale', 'old', 'PX', 90_000);
    const r = await runCli(['inspect', 'ttl', '--cluster', cluster.seeds, 'seed:forever:0', 'seed:cliff:3', 'no-such-key', '--json']);
    const report = JSON.parse(r.stdout) as TtlReport;
    assert.equal(report.source, 'keys');
    assert.equal(report.totals.keys, 2);
    assert.equal(report.totals.missing, 1);
    assert.equal(report.totals.noTtl, 1);
    const text = await runCli(['inspect', 'ttl', '--cluster', cluster.seeds, 'seed:forever:0', 'seed:cliff:3', 'no-such-key']);
    const owner = (k: string) => cache.topology.nodes[cache.topology.nodeIndexOf(k)]!.name;
    assert.match(text.stdout, new RegExp(`^seed:forever:0\\s+${owner('seed:forever:0')}\\s+string\\s+no TTL\\s+(8\\d|90)\\d{3}ms`, 'm'));
    assert.match(text.stdout, new RegExp(`^seed:cliff:3\\s+${owner('seed:cliff:3')}\\s+string\\s+1\\d{6}ms \\(\\d+m\\d\\ds\\)\\s+-$`, 'm'));
    assert.match(text.stdout, new RegExp(`^no-such-key\\s+${owner('no-such-key')}\\s+-\\s+missing\\s+-$`, 'm'));
  });

  test('one cluster node given as --redis is refused (it holds a third of the keys) unless --node-only', async () => {
    const one = cluster.masters[0]!;
    const r = await runCli(['inspect', 'ttl', '--redis', `redis://${one.address}`]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, new RegExp(`is a Redis Cluster node, so this would cover only its own slots; use --cluster ${one.address}`));
    assert.equal(r.stdout, '');
    const only = await runCli(['inspect', 'ttl', '--redis', `redis://${one.address}`, '--node-only', '--match', 'seed:cliff:*', '--json']);
    assert.equal(only.code, 0, only.stderr);
    const index = cache.topology.nodes.findIndex((n) => n.address === one.address);
    assert.equal((JSON.parse(only.stdout) as TtlReport).totals.keys, seeded.perNode[index]!.cliff);
  });

  test('inspect nodes: slots, role and keys per master', async () => {
    const r = await runCli(['inspect', 'nodes', '--cluster', cluster.seeds, '--json']);
    assert.equal(r.code, 0, r.stderr);
    const report = JSON.parse(r.stdout) as NodesReport;
    assert.equal(report.topology, 'cluster');
    assert.equal(report.uncoveredSlots, 0);
    assert.equal(
      report.nodes.reduce((a, n) => a + (n.slots ?? 0), 0),
      16384,
    );
    for (const n of report.nodes) {
      const index = cache.topology.nodes.findIndex((c) => c.address === n.address);
      assert.equal(n.role, 'master');
      assert.equal(
        n.keyspace?.keys,
        seeded.perNode[index]!.keys + (n.address === cache.topology.nodes[cache.topology.nodeIndexOf('seed:forever:0:stale')]!.address ? 1 : 0),
      );
      assert.ok((n.usedMemory ?? 0) > 0);
      assert.equal(n.evictionPolicy, 'noeviction');
      assert.deepEqual(n.replicas, []);
    }
    const text = await runCli(['inspect', 'nodes', '--cluster', cluster.seeds]);
    assert.match(
      text.stdout,
      /^node\s+status\s+role\s+keys\s+with TTL\s+no TTL\s+memory\s+max\s+policy\s+hit ratio\s+evicted\s+expired\s+ops\/s\s+clients\s+slots\s+replicas$/m,
    );
    assert.match(text.stdout, /\s5,46[12]\s+-$/m);
  });

  test('a master that refuses SCAN is reported as such; the other masters still report', async () => {
    const victim = cluster.masters[1]!;
    const admin = victim.client();
    await admin.call('ACL', 'SETUSER', 'default', '-scan');
    try {
      const r = await runCli(['inspect', 'ttl', '--cluster', cluster.seeds, '--json']);
      assert.equal(r.code, 1, 'a partial report is exit 1');
      const report = JSON.parse(r.stdout) as TtlReport;
      const bad = report.nodes.find((n) => n.address === victim.address)!;
      assert.equal(bad.status, 'refused');
      assert.equal(bad.problem?.command, 'SCAN');
      for (const n of report.nodes.filter((x) => x !== bad)) {
        const index = cache.topology.nodes.findIndex((c) => c.address === n.address);
        assert.equal(n.status, 'ok');
        assert.equal(n.noTtl, seeded.perNode[index]!.noTtl);
      }
      const text = await runCli(['inspect', 'ttl', '--cluster', cluster.seeds]);
      assert.match(text.stdout, new RegExp(`^! ${victim.address}: refused SCAN: NOPERM`, 'm'));
    } finally {
      await admin.call('ACL', 'SETUSER', 'default', '+scan');
    }
  });

  test('a master that is down is marked down; the rest of the report still comes (runs last: kills a node)', async () => {
    const victim = cluster.masters[2]!;
    await victim.kill();
    const r = await runCli(['inspect', 'ttl', '--cluster', cluster.seeds, '--json']);
    assert.equal(r.code, 1);
    const report = JSON.parse(r.stdout) as TtlReport;
    const down = report.nodes.find((n) => n.address === victim.address)!;
    assert.equal(down.status, 'down');
    assert.equal(down.keys, 0);
    const up = report.nodes.filter((n) => n !== down);
    assert.equal(up.length, 2);
    for (const n of up) {
      const index = cache.topology.nodes.findIndex((c) => c.address === n.address);
      assert.equal(n.status, 'ok');
      assert.equal(
        n.keys,
        seeded.perNode[index]!.keys + (n.address === cache.topology.nodes[cache.topology.nodeIndexOf('seed:forever:0:stale')]!.address ? 1 : 0),
      );
    }
    const nodes = await runCli(['inspect', 'nodes', '--cluster', cluster.seeds]);
    assert.equal(nodes.code, 1);
    assert.match(nodes.stdout, new RegExp(`^${victim.address}\\s+down\\s`, 'm'));
  });
});

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Redis } from 'ioredis';
import type { NodesReport } from '../../src/core/inspect/nodes.js';
import type { StampedeReport } from '../../src/core/inspect/stampede.js';
import type { StaleReport } from '../../src/core/inspect/stale.js';
import type { TtlReport } from '../../src/core/inspect/ttl.js';
import { createRingTopology, parseRingServers, type RingTopology } from '../../src/topology/ring/index.js';
import { runCli } from '../harness/cli.js';
import { startRedis, type RedisProcess } from '../harness/redis.js';
import { expectedFor, planKeyspace, writeKeyspace, type SeededKeyspace } from '../harness/inspect-seed.js';

/** A ring of 3 standalone nodes (twemproxy ketama, weights 1:2:1, named), seeded through the ring itself. */
describe('inspect on a ring of 3 standalone nodes', () => {
  let nodes: RedisProcess[];
  let clients: Redis[];
  let ring: RingTopology;
  let servers: string;
  let seeded: SeededKeyspace;

  before(async () => {
    nodes = await Promise.all([startRedis(), startRedis(), startRedis()]);
    clients = nodes.map((n) => n.client());
    servers = nodes.map((n, i) => `${n.address}:${i === 1 ? 2 : 1} cache-${i}`).join(',');
    ring = createRingTopology({ compat: 'twemproxy', hash: 'fnv1a_64', servers: parseRingServers(servers) });
    const now = Date.now();
    const plan = planKeyspace(now, 'ring');
    await writeKeyspace(plan.keys, ring, (i) => clients[i]!);
    seeded = expectedFor(plan, ring, now);
    // Pattern keys, each on its owner: a leaked counter and a stale copy whose primary is gone.
    const owner = (key: string) => clients[ring.nodeIndexOf(key)]!;
    await owner('stampede:product:1').set('stampede:product:1', '99');
    await owner('stampede:product:2').set('stampede:product:2', '3', 'PX', 30_000);
    await owner('product:9:stale').set('product:9:stale', 'old', 'PX', 40_000);
    await owner('product:8').set('product:8', 'v', 'PX', 10_000);
    await owner('product:8:stale').set('product:8:stale', 'old', 'PX', 70_000);
  });
  after(async () => {
    await Promise.all((nodes ?? []).map((n) => n.stop()));
  });

  test('ttl: every node of the ring is scanned, each figure as seeded on that node', async () => {
    const r = await runCli(['inspect', 'ttl', '--ring', servers, '--match', 'ring:*', '--json']);
    assert.equal(r.code, 0, r.stderr);
    const report = JSON.parse(r.stdout) as TtlReport;
    assert.equal(report.topology, 'ring');
    assert.deepEqual(
      report.nodes.map((n) => n.name),
      ['cache-0', 'cache-1', 'cache-2'],
    );
    report.nodes.forEach((n, i) => {
      const want = seeded.perNode[i]!;
      assert.ok(want.keys > 0);
      assert.equal(n.keys, want.keys, `${n.name} keys`);
      assert.equal(n.noTtl, want.noTtl, `${n.name} no TTL`);
      assert.deepEqual(
        n.histogram.map((b) => b.keys),
        want.histogram,
        `${n.name} histogram`,
      );
      assert.deepEqual(n.cliffs[0] && [n.cliffs[0].startMs, n.cliffs[0].keys], [seeded.cliffSecondMs, want.cliff], `${n.name} cliff`);
    });
    assert.deepEqual(
      report.histogram.map((b) => b.keys),
      seeded.total.histogram,
    );
    // The ring's nodes together: the whole cliff in one second, split as seeded.
    assert.deepEqual([report.clusterCliffs.windows[0]!.startMs, report.clusterCliffs.windows[0]!.keys], [seeded.cliffSecondMs, 400]);
    assert.deepEqual(
      report.clusterCliffs.windows[0]!.nodes,
      seeded.perNode.map((e, i) => ({ node: `cache-${i}`, keys: e.cliff })).filter((n) => n.keys > 0),
    );
    const fails = await runCli(['inspect', 'ttl', '--ring', servers, '--match', 'ring:*', '--fail-on', 'cliff>399']);
    assert.equal(fails.code, 1, 'cliff>399 holds across the ring although no node has 400');
    assert.ok(Math.max(...seeded.perNode.map((e) => e.cliff)) < 400);
  });

  test('a key by name is looked up on the node the ring gives it', async () => {
    const keys = ['ring:cliff:1', 'ring:forever:2', 'ring:two-hours:3'];
    const r = await runCli(['inspect', 'ttl', '--ring', servers, ...keys, '--json']);
    const report = JSON.parse(r.stdout) as TtlReport;
    assert.deepEqual(
      report.rows!.map((row) => [row.key, row.node, row.missing]),
      keys.map((k) => [k, `cache-${ring.nodeIndexOf(k)}`, false]),
    );
  });

  test('stampede and stale across the ring: the primary of a stale copy is looked up on its own node', async () => {
    const st = JSON.parse((await runCli(['inspect', 'stampede', '--ring', servers, '--window', '1m', '--json'])).stdout) as StampedeReport;
    assert.deepEqual(st.totals, { counters: 2, hot: 1, leaked: 1, sliding: 0, notCounters: 0, maxCount: 99 });
    assert.equal(st.top[0]!.node, `cache-${ring.nodeIndexOf('stampede:product:1')}`);
    const stale = JSON.parse((await runCli(['inspect', 'stale', '--ring', servers, '--json'])).stdout) as StaleReport;
    assert.equal(stale.totals.serving, 1);
    assert.equal(stale.totals.standby, 1);
    assert.equal(stale.serving[0]!.primaryNode, `cache-${ring.nodeIndexOf('product:9')}`);
  });

  test('nodes: each node with its share of the ring', async () => {
    const r = await runCli(['inspect', 'nodes', '--ring', servers, '--json']);
    const report = JSON.parse(r.stdout) as NodesReport;
    const shares = ring.arcShares();
    report.nodes.forEach((n, i) => assert.equal(n.ringShare, shares[i]));
    assert.ok(report.nodes[1]!.ringShare! > report.nodes[0]!.ringShare!, 'weight 2 owns more of the ring');
    const text = await runCli(['inspect', 'nodes', '--ring', servers]);
    assert.match(text.stdout, new RegExp(`^cache-1\\s+ok\\s+master\\s.*\\s${(shares[1]! * 100).toFixed(2)}%$`, 'm'));
  });

  test('a ring node that is down is marked; the other nodes still report (runs last)', async () => {
    await nodes[2]!.kill();
    const r = await runCli(['inspect', 'ttl', '--ring', servers, '--match', 'ring:*', '--json', '--fail-on', 'nodes-down']);
    assert.equal(r.code, 1);
    const report = JSON.parse(r.stdout) as TtlReport & { failOn: { holds: boolean; value: number }[] };
    assert.equal(report.nodes[2]!.status, 'down');
    assert.equal(report.nodes[0]!.keys, seeded.perNode[0]!.keys);
    assert.equal(report.nodes[1]!.keys, seeded.perNode[1]!.keys);
    assert.deepEqual([report.failOn[0]!.holds, report.failOn[0]!.value], [true, 1]);
    const text = await runCli(['inspect', 'ttl', '--ring', servers, '--match', 'ring:*']);
    assert.match(text.stdout, /^cache-2\s+down\s+-/m);
    assert.match(text.stdout, /^! cache-2: down: cannot connect to Redis at cache-2 \(127\.0\.0\.1:\d+\): connection refused/m);
  });
});

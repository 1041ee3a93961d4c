import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LocksReport } from '../../src/core/inspect/locks.js';
import type { NodesReport } from '../../src/core/inspect/nodes.js';
import type { TtlReport } from '../../src/core/inspect/ttl.js';
import { SingleNodeTopology } from '../../src/topology/single.js';
import { nodeFromAddress } from '../../src/topology/types.js';
import { runCli } from '../harness/cli.js';
import { startCluster, startRedis, waitFor, type RedisCluster, type RedisProcess } from '../harness/redis.js';
import { expectedFor, planKeyspace, writeKeyspace } from '../harness/inspect-seed.js';

describe('inspect on a single node (a database other than 0), and a cluster master with a replica', () => {
  let redis: RedisProcess;
  let small: RedisCluster;
  let dir: string;

  before(async () => {
    [redis, small] = await Promise.all([startRedis(), startCluster(1, 1)]);
    dir = mkdtempSync(join(tmpdir(), 'cachectl-inspect-'));
  });
  after(async () => {
    await Promise.all([redis?.stop(), small?.stop()]);
    rmSync(dir, { recursive: true, force: true });
  });

  test('the database of the URL is the one scanned and counted, figure for figure', async () => {
    const db2 = redis.client();
    await db2.select(2);
    const now = Date.now();
    const plan = planKeyspace(now, 'db2');
    const topology = new SingleNodeTopology(nodeFromAddress('127.0.0.1', redis.port));
    await writeKeyspace(plan.keys, topology, () => db2);
    await redis.client().set('in-db0', 'v'); // must not be counted
    const seeded = expectedFor(plan, topology, now);

    const r = await runCli(['inspect', 'ttl', '--redis', `redis://${redis.address}/2`, '--json']);
    assert.equal(r.code, 0, r.stderr);
    const report = JSON.parse(r.stdout) as TtlReport;
    assert.equal(report.topology, 'single');
    const [node] = report.nodes;
    assert.equal(node?.keys, seeded.total.keys);
    assert.equal(node?.noTtl, 25);
    assert.deepEqual(node?.keyspace, { keys: seeded.total.keys, withTtl: seeded.total.withTtl, withoutTtl: 25, avgTtlMs: node!.keyspace!.avgTtlMs });
    assert.deepEqual(
      report.histogram.map((b) => b.keys),
      seeded.total.histogram,
    );
    assert.deepEqual(node?.cliffs[0], { startMs: seeded.cliffSecondMs, keys: 400, node: redis.address, inMs: node!.cliffs[0]!.inMs });
  });

  test('--keys FILE: every key looked up, stale copies shown, rows in the JSON report', async () => {
    const c = redis.client();
    await c.set('user:1', 'v', 'PX', 100_000);
    await c.set('user:1:stale', 'old', 'PX', 200_000);
    await c.set('user:2', 'v');
    await c.set('user:3:stale', 'old', 'PX', 50_000); // primary gone: served from the stale copy
    const file = join(dir, 'keys.txt');
    writeFileSync(file, '# hot users\nuser:1\nuser:2\r\n\nuser:3\tfrom yesterday\n');
    const r = await runCli(['inspect', 'ttl', '--redis', `redis://${redis.address}`, '--keys', file, '--json']);
    assert.equal(r.code, 0, r.stderr);
    const report = JSON.parse(r.stdout) as TtlReport;
    assert.equal(report.totals.keys, 2);
    assert.equal(report.totals.missing, 1);
    const rows = new Map(report.rows!.map((row) => [row.key, row]));
    assert.equal(rows.size, 3);
    assert.ok(rows.get('user:1')!.ttlMs! > 90_000 && rows.get('user:1')!.ttlMs! <= 100_000);
    assert.ok(rows.get('user:1')!.stale!.exists && rows.get('user:1')!.stale!.ttlMs! > 190_000);
    assert.deepEqual(rows.get('user:2'), {
      key: 'user:2',
      node: redis.address,
      type: 'string',
      ttlMs: null,
      missing: false,
      stale: { exists: false, ttlMs: null },
    });
    assert.equal(rows.get('user:3')!.missing, true);
    assert.equal(rows.get('user:3')!.stale!.exists, true);

    const fromStdin = await runCli(['inspect', 'ttl', '--redis', `redis://${redis.address}`, '--keys', '-'], { stdin: 'user:2\nuser:3\n' });
    assert.match(fromStdin.stdout, /^user:2\s+\S+\s+string\s+no TTL\s+-$/m);
    assert.match(fromStdin.stdout, /^user:3\s+\S+\s+-\s+missing\s+\d{5}ms \(\d\d\.\ds\)$/m);
    assert.match(fromStdin.stdout, /^missing: 1$/m);
  });

  test('--match --list streams one row per key', async () => {
    const r = await runCli(['inspect', 'ttl', '--redis', `redis://${redis.address}`, '--match', 'user:*', '--list']);
    assert.equal(r.code, 0, r.stderr);
    const rowLines = r.stdout.split('\n').filter((l) => /^user:\S+\s+127\.0\.0\.1:\d+\s/.test(l));
    assert.equal(rowLines.length, 4);
    assert.match(r.stdout, /^user:1\s+\S+\s+string\s+\d{5}ms \(1m\d\ds\)\s+\d{6}ms \(3m\d\ds\)$/m);
    assert.match(r.stdout, /^user:1:stale\s+\S+\s+string\s+\d{6}ms \(3m\d\ds\)\s+n\/a$/m, 'a stale copy has no stale copy of its own');
  });

  test('--watch on a terminal redraws in place', async () => {
    const r = await runCli(['inspect', 'nodes', '--redis', `redis://${redis.address}`, '--watch', '100ms', '--ticks', '2'], { stdoutTty: true });
    assert.equal(r.code, 0, r.stderr);
    const frames = r.stdout
      .split('\x1b[H\x1b[2J')
      .filter(Boolean)
      // eslint-disable-next-line no-control-regex
      .map((f) => f.replace(/\x1b\[\d+m/g, ''));
    assert.equal(frames.length, 2);
    assert.match(frames[0]!, /tick 1, every 0\.1s/);
    assert.match(frames[0]!, /Getting worse: baseline \(this tick is what the next ones are compared with\)/);
    assert.match(frames[1]!, /tick 2/);
    assert.match(frames[1]!, /^Nodes \(single, 1\)$/m);
  });

  test('a node that refuses EVAL is scanned without scripts; one that refuses INFO still gets scanned', async () => {
    const admin = redis.client();
    await admin.call('ACL', 'SETUSER', 'default', '-eval', '-evalsha');
    try {
      const r = await runCli(['inspect', 'ttl', '--redis', `redis://${redis.address}/2`, '--json']);
      assert.equal(r.code, 0, r.stderr);
      const report = JSON.parse(r.stdout) as TtlReport;
      assert.equal(report.nodes[0]!.mode, 'pipeline');
      assert.equal(report.nodes[0]!.noTtl, 25);
    } finally {
      await admin.call('ACL', 'SETUSER', 'default', '+eval', '+evalsha');
    }
    await admin.call('ACL', 'SETUSER', 'default', '-info');
    try {
      const r = await runCli(['inspect', 'ttl', '--redis', `redis://${redis.address}/2`, '--json']);
      assert.equal(r.code, 1, 'a refused command makes the report partial');
      const report = JSON.parse(r.stdout) as TtlReport;
      assert.equal(report.nodes[0]!.status, 'refused');
      assert.equal(report.nodes[0]!.problem?.command, 'INFO');
      assert.equal(report.nodes[0]!.noTtl, 25, 'the scan still ran');
      const nodes = await runCli(['inspect', 'nodes', '--redis', `redis://${redis.address}`]);
      assert.match(nodes.stdout, /refused INFO/);
    } finally {
      await admin.call('ACL', 'SETUSER', 'default', '+info');
    }
  });

  test('interrupted before the scan: the partial report is printed and the exit code is 130', async () => {
    const controller = new AbortController();
    controller.abort('SIGINT');
    const r = await runCli(['inspect', 'ttl', '--redis', `redis://${redis.address}/2`, '--json'], { signal: controller.signal });
    assert.equal(r.code, 130);
    assert.equal((JSON.parse(r.stdout) as TtlReport).nodes[0]!.status, 'interrupted');
  });

  test('under an LFU policy idle times are not tracked: lock ages are unknown unless the value has a timestamp', async () => {
    const lfu = await startRedis({ args: ['--maxmemory-policy', 'allkeys-lfu'] });
    try {
      const c = lfu.client();
      await c.set('lock:a', 'token', 'PX', 60_000);
      await c.set('lock:b', `token:${Date.now() - 120_000}`, 'PX', 60_000);
      const plain = JSON.parse((await runCli(['inspect', 'locks', '--redis', `redis://${lfu.address}`, '--json'])).stdout) as LocksReport;
      assert.equal(plain.totals.ageUnknown, 2);
      const read = JSON.parse((await runCli(['inspect', 'locks', '--redis', `redis://${lfu.address}`, '--lock-values', '--json'])).stdout) as LocksReport;
      assert.equal(read.totals.ageUnknown, 1);
      assert.equal(read.totals.old, 1);
      assert.equal(read.top[0]!.key, 'lock:b');
      assert.equal(read.top[0]!.ageFrom, 'value');
    } finally {
      await lfu.stop();
    }
  });

  test('inspect nodes on a cluster lists each master with its slots and replicas', async () => {
    // CLUSTER SLOTS hides a replica until it has replicated something: write, then wait for gossip.
    const master = small.masters[0]!.client();
    await master.set('k', 'v');
    await waitFor(async () => JSON.stringify(await master.call('CLUSTER', 'SLOTS')).includes(String(small.replicas[0]!.port)), 'the replica in CLUSTER SLOTS');
    const r = await runCli(['inspect', 'nodes', '--cluster', small.seeds, '--json']);
    assert.equal(r.code, 0, r.stderr);
    const report = JSON.parse(r.stdout) as NodesReport;
    assert.equal(report.nodes.length, 1, 'replicas are not scanned as extra nodes');
    assert.equal(report.nodes[0]!.slots, 16384);
    assert.deepEqual(report.nodes[0]!.replicas, [small.replicas[0]!.address]);
    const text = await runCli(['inspect', 'nodes', '--cluster', small.seeds]);
    assert.match(text.stdout, new RegExp(`16,384\\s+${small.replicas[0]!.address}$`, 'm'));
  });
});

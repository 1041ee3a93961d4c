import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { openCache, type CacheConnection } from '../../src/adapters/redis/cache.js';
import type { LocksReport } from '../../src/core/inspect/locks.js';
import type { StaleReport } from '../../src/core/inspect/stale.js';
import type { StampedeReport } from '../../src/core/inspect/stampede.js';
import { runCli } from '../harness/cli.js';
import { startCluster, type RedisCluster } from '../harness/redis.js';

/** Counters, locks and stale copies with known flags, on a 3-master cluster (each key on its owner). */
describe('inspect stampede, locks and stale on a 3-master cluster', () => {
  let cluster: RedisCluster;
  let cache: CacheConnection;
  const now = Date.now();
  const tenMinutesAgo = now - 600_000;

  const write = async (commands: [string, ...(string | number)[]][]) => {
    for (const [cmd, key, ...args] of commands) {
      const client = cache.clientFor(cache.topology.nodes[cache.topology.nodeIndexOf(String(key))]!);
      await client.call(cmd, String(key), ...args.map(String));
    }
  };

  before(async () => {
    cluster = await startCluster(3);
    cache = await openCache({ kind: 'cluster', seeds: [{ host: '127.0.0.1', port: cluster.masters[0]!.port }], auth: {} });
    const cmds: [string, ...(string | number)[]][] = [];
    for (let i = 1; i <= 10; i++) cmds.push(['SET', `stampede:calm:${i}`, i, 'PX', 50_000]); // not flagged (10 is not > 10)
    for (const n of [20, 30, 40, 50]) cmds.push(['SET', `stampede:hot:${n}`, n, 'PX', 50_000]);
    for (const n of [2, 3, 60]) cmds.push(['SET', `stampede:leaked:${n}`, n]); // no TTL
    for (const n of [5, 7]) cmds.push(['SET', `stampede:sliding:${n}`, n, 'PX', 300_000]);
    cmds.push(['SET', 'stampede:not-a-number', 'abc', 'PX', 50_000], ['HSET', 'stampede:a-hash', 'f', 1]);

    for (let i = 0; i < 3; i++) cmds.push(['SET', `lock:fresh:${i}`, `token-${i}`, 'PX', 30_000]);
    for (let i = 0; i < 2; i++) cmds.push(['SET', `lock:stuck:${i}`, `token-s${i}`]);
    for (let i = 0; i < 2; i++) cmds.push(['SET', `lock:stamped:${i}`, `worker-${i}:${tenMinutesAgo}`, 'PX', 60_000]);
    cmds.push(['SET', 'lock:json', JSON.stringify({ owner: 'w1', acquired_at: new Date(now - 300_000).toISOString() })]); // stuck and old

    for (let i = 0; i < 5; i++) cmds.push(['SET', `page:${i}`, 'v', 'PX', 60_000], ['SET', `page:${i}:stale`, 'old', 'PX', 120_000]); // standby
    for (let i = 0; i < 3; i++) cmds.push(['SET', `gone:${i}:stale`, 'old', 'PX', 30_000]); // serving
    for (let i = 0; i < 2; i++) cmds.push(['SET', `leaky:${i}`, 'v', 'PX', 60_000], ['SET', `leaky:${i}:stale`, 'old']); // no-ttl
    cmds.push(['SET', 'early', 'v', 'PX', 100_000], ['SET', 'early:stale', 'old', 'PX', 10_000]); // dies first
    cmds.push(['SET', 'eternal', 'v'], ['SET', 'eternal:stale', 'old', 'PX', 100_000]); // primary without TTL
    await write(cmds);
  });
  after(async () => {
    await cache?.close();
    await cluster?.stop();
  });

  test('stampede: counts, hot, leaked and sliding counters as seeded', async () => {
    const r = await runCli(['inspect', 'stampede', '--cluster', cluster.seeds, '--window', '1m', '--json']);
    assert.equal(r.code, 0, r.stderr);
    const report = JSON.parse(r.stdout) as StampedeReport;
    assert.deepEqual(report.totals, { counters: 19, hot: 5, leaked: 3, sliding: 2, notCounters: 2, maxCount: 60 });
    assert.equal(
      report.nodes.reduce((a, n) => a + n.counters, 0),
      19,
    );
    assert.deepEqual(
      report.top.slice(0, 5).map((c) => [c.key, c.count]),
      [
        ['stampede:leaked:60', 60],
        ['stampede:hot:50', 50],
        ['stampede:hot:40', 40],
        ['stampede:hot:30', 30],
        ['stampede:hot:20', 20],
      ],
    );
    assert.deepEqual(report.top[0]!.flags, ['hot', 'leaked']);
    assert.equal(report.top[0]!.ttlMs, null);
    assert.equal(report.top[0]!.node, cache.topology.nodes[cache.topology.nodeIndexOf('stampede:leaked:60')]!.name);
    assert.deepEqual(
      report.leaked.map((c) => c.key),
      ['stampede:leaked:60', 'stampede:leaked:3', 'stampede:leaked:2'],
    );
    assert.deepEqual(
      report.sliding.map((c) => c.key),
      ['stampede:sliding:7', 'stampede:sliding:5'],
    );
    assert.ok(report.sliding.every((c) => c.ttlMs! > 290_000 && c.ttlMs! <= 300_000));
    assert.deepEqual(report.notCountersSample.sort(), ['stampede:a-hash', 'stampede:not-a-number']);

    const text = await runCli(['inspect', 'stampede', '--cluster', cluster.seeds, '--window', '1m']);
    assert.match(text.stdout, /^counters: 19; above threshold: 5; leaked \(no TTL\): 3; sliding \(TTL > window\): 2; highest: 60; not counters: 2/m);
    assert.match(text.stdout, /^stampede:leaked:60\s+\S+\s+60\s+no TTL\s+hot leaked$/m);
    assert.match(text.stdout, /^stampede:sliding:7\s+\S+\s+7\s+4m5\ds\s+sliding$/m);
  });

  test('stampede --fail-on: leaked-counters and stampede>N decide the exit code', async () => {
    const base = ['inspect', 'stampede', '--cluster', cluster.seeds, '--window', '1m'];
    assert.equal((await runCli([...base, '--fail-on', 'leaked-counters'])).code, 1);
    assert.equal((await runCli([...base, '--fail-on', 'stampede>60'])).code, 0);
    assert.equal((await runCli([...base, '--fail-on', 'stampede>59'])).code, 1);
    assert.equal((await runCli([...base, '--fail-on', 'sliding-counters>2'])).code, 0);
    // With the pattern's own 5s window, the calm and hot counters (50s TTL) are sliding too.
    const strict = JSON.parse((await runCli(['inspect', 'stampede', '--cluster', cluster.seeds, '--json'])).stdout) as StampedeReport;
    assert.equal(strict.totals.sliding, 10 + 4 + 2);
  });

  test('locks: stuck ones have no TTL; ages come from the idle time unless values are read', async () => {
    const r = await runCli(['inspect', 'locks', '--cluster', cluster.seeds, '--json']);
    assert.equal(r.code, 0, r.stderr);
    const report = JSON.parse(r.stdout) as LocksReport;
    assert.equal(report.totals.locks, 8);
    assert.equal(report.totals.stuck, 3);
    assert.equal(report.totals.old, 0, 'idle times are seconds, far below the 30s limit');
    assert.ok(
      report.nodes.every((n) => n.valuesRead === false),
      'Redis 7.0: no NO-TOUCH, so values are not read by default',
    );
    assert.ok(report.top.every((l) => l.ageFrom === 'idle' && l.value === undefined && l.ageMs! < 60_000));
    assert.deepEqual(
      report.top
        .slice(0, 3)
        .map((l) => l.key)
        .sort(),
      ['lock:json', 'lock:stuck:0', 'lock:stuck:1'],
    );

    const read = JSON.parse((await runCli(['inspect', 'locks', '--cluster', cluster.seeds, '--lock-values', '--json'])).stdout) as LocksReport;
    assert.equal(read.totals.stuck, 3);
    assert.equal(read.totals.old, 3, 'two stamped ten minutes ago, one JSON five minutes ago');
    const byKey = new Map(read.top.map((l) => [l.key, l]));
    for (const key of ['lock:stamped:0', 'lock:stamped:1']) {
      const l = byKey.get(key)!;
      assert.deepEqual(l.flags, ['old']);
      assert.equal(l.ageFrom, 'value');
      assert.ok(Math.abs(l.ageMs! - (Date.now() - tenMinutesAgo)) < 5_000, `${key} age ${l.ageMs}`);
    }
    assert.deepEqual(byKey.get('lock:json')!.flags, ['stuck', 'old']);
    assert.equal(byKey.get('lock:fresh:0')!.value, 'token-0');
    assert.deepEqual(
      read.top
        .slice(0, 3)
        .map((l) => l.key)
        .sort(),
      ['lock:json', 'lock:stamped:0', 'lock:stamped:1'],
    );

    const text = await runCli(['inspect', 'locks', '--cluster', cluster.seeds, '--lock-values']);
    assert.match(text.stdout, /^locks: 8; stuck \(no TTL\): 3; held longer than 30\.0s: 3; age unknown: 0$/m);
    assert.match(text.stdout, /^lock:json\s+\S+\s+no TTL\s+5m0\ds\s+value\s+stuck old\s+\{"owner"/m);
    assert.equal((await runCli(['inspect', 'locks', '--cluster', cluster.seeds, '--fail-on', 'stuck-locks'])).code, 1);
    assert.equal((await runCli(['inspect', 'locks', '--cluster', cluster.seeds, '--fail-on', 'stuck-locks>3'])).code, 0);
    assert.equal((await runCli(['inspect', 'locks', '--cluster', cluster.seeds, '--lock-values', '--lock-max-age', '11m', '--fail-on', 'old-locks'])).code, 0);
  });

  test('stale: serving, standby, no TTL, dies first; windows left from both TTLs across nodes', async () => {
    const r = await runCli(['inspect', 'stale', '--cluster', cluster.seeds, '--json']);
    assert.equal(r.code, 0, r.stderr);
    const report = JSON.parse(r.stdout) as StaleReport;
    assert.deepEqual(report.totals, { copies: 12, serving: 3, standby: 5, 'dies-first': 1, 'no-ttl': 2, 'primary-no-ttl': 1, primaryUnknown: 0 });
    // Windows left: 5 standby copies (~60s: bucket 1m-10m or 10s-1m by a hair) and 3 served (~30s).
    const windows = new Map(report.windows.map((b) => [b.bucket, b.keys]));
    assert.equal((windows.get('10s-1m') ?? 0) + (windows.get('1m-10m') ?? 0), 8);
    assert.deepEqual(report.serving.map((s) => s.key).sort(), ['gone:0:stale', 'gone:1:stale', 'gone:2:stale']);
    assert.ok(report.serving.every((s) => s.windowLeftMs! > 25_000 && s.windowLeftMs! <= 30_000));
    const problems = new Map(report.problems.map((s) => [s.key, s]));
    assert.equal(problems.get('leaky:0:stale')?.state, 'no-ttl');
    assert.equal(problems.get('early:stale')?.state, 'dies-first');
    assert.equal(problems.get('early:stale')?.primaryNode, cache.topology.nodes[cache.topology.nodeIndexOf('early')]!.name);
    assert.ok(problems.get('early:stale')!.windowLeftMs! < -85_000);

    const text = await runCli(['inspect', 'stale', '--cluster', cluster.seeds]);
    assert.match(text.stdout, /^copies: 12; serving now \(primary gone\): 3; standby: 5; die before their primary: 1; no TTL: 2; primary without TTL: 1$/m);
    assert.match(text.stdout, /^gone:\d:stale\s+\S+\s+serving\s+2\d\.\ds\s+\S+\s+gone\s+2\d\.\ds$/m);
    assert.equal((await runCli(['inspect', 'stale', '--cluster', cluster.seeds, '--fail-on', 'stale-serving>2'])).code, 1);
    assert.equal((await runCli(['inspect', 'stale', '--cluster', cluster.seeds, '--fail-on', 'stale-no-ttl>2'])).code, 0);
  });

  test('--rate paces the scan and still counts every key', async () => {
    const r = await runCli(['inspect', 'stale', '--cluster', cluster.seeds, '--rate', '1000', '--count', '5', '--json']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal((JSON.parse(r.stdout) as StaleReport).totals.copies, 12);
  });
});

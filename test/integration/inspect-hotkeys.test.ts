import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { openCache, type CacheConnection } from '../../src/adapters/redis/cache.js';
import type { HotkeysReport } from '../../src/core/inspect/hotkeys.js';
import { openKeyList, readKeyBatches } from '../../src/adapters/files/key-list-reader.js';
import { createRingTopology, parseRingServers } from '../../src/topology/ring/index.js';
import { runCli } from '../harness/cli.js';
import { startCluster, startRedis, type RedisCluster, type RedisProcess } from '../harness/redis.js';

/** The keys a `warm --keys` would read from this text, through the key-list reader warm uses. */
async function keyListOf(text: string): Promise<string[]> {
  const dir = mkdtempSync(join(tmpdir(), 'cachectl-hot-'));
  try {
    writeFileSync(join(dir, 'hot.txt'), text);
    const keys: string[] = [];
    for await (const b of readKeyBatches(openKeyList('hot.txt', dir, Readable.from([])), 'hot.txt', 100)) keys.push(...b.keys);
    return keys;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('inspect hotkeys on a 3-master cluster with an LFU policy, after a known access pattern', () => {
  let cluster: RedisCluster;
  let cache: CacheConnection;
  // Accesses per key: with lfu-log-factor 0 every access adds one to the counter (new keys start at 5).
  const hits: [string, number][] = [
    ['hot:a', 60],
    ['hot:b', 45],
    ['hot:c', 30],
    ['hot:d', 20],
    ['hot:e', 12],
  ];

  before(async () => {
    cluster = await startCluster(3);
    cache = await openCache({ kind: 'cluster', seeds: [{ host: '127.0.0.1', port: cluster.masters[0]!.port }], auth: {} });
    for (let i = 0; i < 3; i++) {
      await cache.client(i).config('SET', 'maxmemory-policy', 'allkeys-lfu');
      await cache.client(i).config('SET', 'lfu-log-factor', '0');
      // No decay: Redis takes one off the counter per elapsed wall-clock minute, so a test that
      // happens to cross a minute boundary between the accesses and the read saw 64 for 65.
      await cache.client(i).config('SET', 'lfu-decay-time', '0');
    }
    const owner = (k: string) => cache.client(cache.topology.nodeIndexOf(k));
    for (let i = 0; i < 200; i++) await owner(`cold:${i}`).set(`cold:${i}`, 'v');
    for (const [key, n] of hits) {
      await owner(key).set(key, 'v');
      const p = owner(key).pipeline();
      for (let i = 0; i < n; i++) p.get(key);
      await p.exec();
    }
  });
  after(async () => {
    await cache?.close();
    await cluster?.stop();
  });

  test('the top keys of all nodes, in order, by OBJECT FREQ; the output is a key list warm reads', async () => {
    const r = await runCli(['inspect', 'hotkeys', '--cluster', cluster.seeds, '--top', '5', '--count', '30']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^# cachectl inspect hotkeys: 5 keys of 205 scanned \(MATCH \*\) on 3 nodes, hottest first$/m);
    assert.match(r.stdout, /^# ranked by OBJECT FREQ \(the LFU access counter: .*\) under maxmemory-policy allkeys-lfu$/m);
    assert.deepEqual(
      await keyListOf(r.stdout),
      hits.map(([k]) => k),
    );
    for (const [key, n] of hits) {
      const node = cache.topology.nodes[cache.topology.nodeIndexOf(key)]!.name;
      assert.match(r.stdout, new RegExp(`^${key}\\t# freq ${5 + n}, ${node.replace(/\./g, '\\.')}$`, 'm'));
    }
    assert.ok(new Set(hits.map(([k]) => cache.topology.nodeIndexOf(k))).size >= 2, 'the hot keys live on several nodes');
  });

  test('--fail-on: its lines go to stderr, so stdout stays a key list warm reads', async () => {
    const r = await runCli(['inspect', 'hotkeys', '--cluster', cluster.seeds, '--top', '5', '--count', '30', '--fail-on', 'nodes-down>0']);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(
      await keyListOf(r.stdout),
      hits.map(([k]) => k),
    );
    assert.doesNotMatch(r.stdout, /fail-on/);
    assert.match(r.stderr, /^fail-on: nodes-down>0 does not hold \(0\)$/m);
  });

  test('--match narrows, --rate paces, --json carries the scores; reading them does not heat the keys', async () => {
    const r = await runCli(['inspect', 'hotkeys', '--cluster', cluster.seeds, '--match', 'hot:*', '--top', '3', '--rate', '200', '--json']);
    assert.equal(r.code, 0, r.stderr);
    const report = JSON.parse(r.stdout) as HotkeysReport;
    assert.equal(report.measure, 'freq');
    assert.deepEqual(
      report.keys.map((k) => [k.key, k.score]),
      hits.slice(0, 3).map(([k, n]) => [k, 5 + n]),
    );
    assert.deepEqual(
      report.nodes.map((n) => n.policy),
      ['allkeys-lfu', 'allkeys-lfu', 'allkeys-lfu'],
    );
    const again = JSON.parse(
      (await runCli(['inspect', 'hotkeys', '--cluster', cluster.seeds, '--match', 'hot:*', '--top', '3', '--json'])).stdout,
    ) as HotkeysReport;
    assert.deepEqual(
      again.keys.map((k) => k.score),
      report.keys.map((k) => k.score),
      'OBJECT FREQ does not count as an access',
    );
  });
});

describe('inspect hotkeys without an LFU policy: recency, clearly labelled', () => {
  let nodes: RedisProcess[];
  let servers: string;
  before(async () => {
    nodes = await Promise.all([startRedis(), startRedis()]);
    servers = nodes.map((n, i) => `${n.address}:1 cache-${i}`).join(',');
    for (const n of nodes) {
      const c = n.client();
      for (let i = 0; i < 10; i++) await c.set(`k:${n.port}:${i}`, 'v');
      await c.quit();
    }
  });
  after(async () => {
    await Promise.all((nodes ?? []).map((n) => n.stop()));
  });

  test('noeviction: says frequency is not tracked and ranks by OBJECT IDLETIME, least idle first', async () => {
    const r = await runCli(['inspect', 'hotkeys', '--ring', servers, '--top', '4']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(
      r.stdout,
      /^# frequency is not tracked under maxmemory-policy noeviction \(only LFU policies count accesses\): ranked by recency instead, OBJECT IDLETIME, least idle first\. Recency is not hotness/m,
    );
    const keys = await keyListOf(r.stdout);
    assert.equal(keys.length, 4);
    assert.ok(keys.every((k) => /^k:\d+:\d$/.test(k)));
    assert.match(r.stdout, /^k:\d+:\d\t# idle \d+s, cache-[01]$/m);
    const json = JSON.parse((await runCli(['inspect', 'hotkeys', '--ring', servers, '--json'])).stdout) as HotkeysReport;
    assert.equal(json.measure, 'idle');
    assert.equal(json.keys.length, 20);
    const idle = json.keys.map((k) => k.score);
    assert.deepEqual(
      idle,
      [...idle].sort((a, b) => a - b),
      'least idle first',
    );
  });
});

describe('inspect hotkeys on a ring of 3 standalone nodes with an LFU policy', () => {
  let nodes: RedisProcess[];
  let servers: string;
  // Accesses per key as known; the keys are picked once the ring is known, two on each node.
  const counts = [50, 40, 30, 20, 10, 5];
  let hits: [string, number][] = [];

  before(async () => {
    nodes = await Promise.all([startRedis(), startRedis(), startRedis()]);
    servers = nodes.map((n, i) => `${n.address}:1 ring-${i}`).join(',');
    const ring = createRingTopology({ compat: 'twemproxy', hash: 'fnv1a_64', servers: parseRingServers(servers) });
    const clients = nodes.map((n) => n.client());
    for (const c of clients) {
      await c.config('SET', 'maxmemory-policy', 'allkeys-lfu');
      await c.config('SET', 'lfu-log-factor', '0');
      await c.config('SET', 'lfu-decay-time', '0');
    }
    const owner = (k: string) => clients[ring.nodeIndexOf(k)]!;
    const perNode = [0, 0, 0];
    const picked: string[] = [];
    for (let i = 0; picked.length < counts.length; i++) {
      const key = `ring-hot:${i}`;
      const node = ring.nodeIndexOf(key);
      if (perNode[node]! >= 2) continue;
      perNode[node]!++;
      picked.push(key);
    }
    hits = picked.map((k, i) => [k, counts[i]!]);
    for (let i = 0; i < 60; i++) await owner(`ring-cold:${i}`).set(`ring-cold:${i}`, 'v');
    for (const [key, n] of hits) {
      await owner(key).set(key, 'v');
      const p = owner(key).pipeline();
      for (let i = 0; i < n; i++) p.get(key);
      await p.exec();
    }
    assert.equal(new Set(hits.map(([k]) => ring.nodeIndexOf(k))).size, 3, 'the hot keys live on every node of the ring');
    await Promise.all(clients.map((c) => c.quit()));
  });
  after(async () => {
    await Promise.all((nodes ?? []).map((n) => n.stop()));
  });

  test('every node of the ring at once: the top keys in order by OBJECT FREQ, each named with its node', async () => {
    const r = await runCli(['inspect', 'hotkeys', '--ring', servers, '--top', '6', '--json']);
    assert.equal(r.code, 0, r.stderr);
    const report = JSON.parse(r.stdout) as HotkeysReport;
    assert.equal(report.measure, 'freq');
    assert.deepEqual(
      report.keys.map((k) => [k.key, k.score]),
      hits.map(([k, n]) => [k, 5 + n]),
    );
    assert.deepEqual(
      report.nodes.map((n) => n.policy),
      ['allkeys-lfu', 'allkeys-lfu', 'allkeys-lfu'],
    );
    const text = await runCli(['inspect', 'hotkeys', '--ring', servers, '--top', '6']);
    assert.deepEqual(
      await keyListOf(text.stdout),
      hits.map(([k]) => k),
    );
    assert.match(text.stdout, new RegExp(`^${hits[0]![0]}\\t# freq 55, ring-[012]$`, 'm'));
  });
});

/**
 * One contract, every InspectSource (the inspect core's port): the Redis source in both scan
 * modes (a Lua script per batch, or SCAN plus a pipeline) over a real single node, a real
 * 3-master cluster and a ring of standalone nodes, against a keyspace whose every key, type and
 * expiry is known. Only the port's interface is used.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Redis } from 'ioredis';
import { openCache, type CacheConnection } from '../../src/adapters/redis/cache.js';
import { RedisInspectSource, type ScanMode } from '../../src/adapters/redis/scanner.js';
import { NO_TTL, VANISHED, type InspectSource, type KeyBatch, type ScanRequest } from '../../src/core/inspect/types.js';
import type { RedisTarget } from '../../src/config/target.js';
import { parseRingServers } from '../../src/topology/ring/index.js';
import { startCluster, startRedis, type RedisCluster, type RedisProcess } from '../harness/redis.js';
import { singleTarget } from '../../src/config/target.js';

/** Milliseconds an expiry may differ from the PEXPIREAT it was set with (reads in different instants of a script or pipeline). */
const EXPIRY_TOLERANCE_MS = 20;
const STRINGS = 900;
const HASHES = 150;
const OTHERS = 60;

interface Seeded {
  key: string;
  type: 'string' | 'hash';
  value: string;
  /** Absolute expiry in ms, or NO_TTL. */
  expireAt: number;
}

/** Known keys matching `c:*`, and keys that do not match, written to their owning node. */
async function seed(source: InspectSource, clientOf: (address: string) => Redis): Promise<Seeded[]> {
  const base = Date.now() + 3_600_000;
  const keys: Seeded[] = [
    ...Array.from({ length: STRINGS }, (_, i): Seeded => ({
      key: `c:s:${i}`,
      type: 'string',
      value: `value-${i}-${'é'.repeat(i % 7)}`,
      expireAt: i % 3 === 0 ? NO_TTL : base + i * 1_000,
    })),
    ...Array.from({ length: HASHES }, (_, i): Seeded => ({
      key: `c:h:{${i}}`,
      type: 'hash',
      value: `field-${i}`,
      expireAt: i % 2 === 0 ? NO_TTL : base + i * 7_000,
    })),
  ];
  const byNode = new Map<number, Seeded[]>();
  for (const k of keys) {
    const n = source.topology.nodeIndexOf(k.key);
    byNode.set(n, [...(byNode.get(n) ?? []), k]);
  }
  await Promise.all(
    source.topology.nodes.map(async (node, n) => {
      const pipe = clientOf(node.address).pipeline();
      for (const k of byNode.get(n) ?? []) {
        if (k.type === 'string') pipe.set(k.key, k.value);
        else pipe.hset(k.key, k.value, 'v');
        if (k.expireAt !== NO_TTL) pipe.pexpireat(k.key, k.expireAt);
      }
      // Keys outside the pattern, found by search among those this node owns.
      for (let i = 0, put = 0; put < OTHERS; i++) {
        if (source.topology.nodeIndexOf(`other:${i}`) !== n) continue;
        pipe.set(`other:${i}`, 'x');
        put++;
      }
      const replies = (await pipe.exec()) ?? [];
      assert.deepEqual(
        replies.filter(([error]) => error),
        [],
        'every seeding command succeeded',
      );
    }),
  );
  return keys;
}

interface Implementation {
  name: string;
  target: () => RedisTarget;
  clientOf: (address: string) => Redis;
  mode: ScanMode;
}

const REQUEST: ScanRequest = { match: 'c:*', count: 50 };

function rows(batch: KeyBatch): { key: string; type: string; pttl: number; expireAt: number; value: string | undefined }[] {
  return Array.from({ length: batch.size }, (_, i) => ({
    key: batch.key(i),
    type: batch.type(i),
    pttl: batch.pttl(i),
    expireAt: batch.expireAt(i),
    value: batch.value(i),
  }));
}

function contract(impl: () => Implementation): void {
  let cache: CacheConnection;
  let source: InspectSource;
  let seeded: Seeded[];
  let known: Map<string, Seeded>;
  before(async () => {
    const i = impl();
    cache = await openCache(i.target(), { verify: 'all', clusterNode: 'allow' });
    source = new RedisInspectSource(cache, { mode: i.mode });
    seeded = await seed(source, i.clientOf);
    known = new Map(seeded.map((k) => [k.key, k]));
  });
  after(async () => {
    await cache?.close();
  });

  const ownedBy = (n: number) => seeded.filter((k) => source.topology.nodeIndexOf(k.key) === n);

  test('nodeFacts: one per node, in topology order, named as the topology names them, with the keys INFO counts', async () => {
    const facts = await source.nodeFacts();
    assert.deepEqual(
      facts.map((f) => [f.index, f.name, f.address]),
      source.topology.nodes.map((n, i) => [i, n.name, n.address]),
    );
    for (const f of facts) {
      assert.equal(f.problem, undefined, f.name);
      assert.equal(f.keyspace?.keys, ownedBy(f.index).length + OTHERS, f.name);
      assert.ok(Math.abs(source.nodeNow(f.index) - Date.now()) < 1_000, 'a local node keeps our time');
    }
  });

  test('scan: every matching key exactly once, from its owning node, with its type, TTL and expiry; nothing else', async () => {
    const seen = new Map<string, number>();
    for (let n = 0; n < source.topology.nodes.length; n++) {
      let sizes = 0;
      const outcome = await source.scan(n, { ...REQUEST, withValues: true, valueBytes: 8 }, (batch) => {
        sizes += batch.size;
        for (const r of rows(batch)) {
          seen.set(r.key, (seen.get(r.key) ?? 0) + 1);
          const k = known.get(r.key);
          assert.ok(k, `${r.key} does not match ${REQUEST.match}`);
          assert.equal(source.topology.nodeIndexOf(r.key), n, `${r.key} came from node ${n}`);
          assert.equal(r.type, k.type, r.key);
          if (k.expireAt === NO_TTL) {
            assert.equal(r.pttl, NO_TTL, r.key);
            assert.equal(r.expireAt, NO_TTL, r.key);
          } else {
            assert.ok(Math.abs(r.expireAt - k.expireAt) <= EXPIRY_TOLERANCE_MS, `${r.key}: expireAt ${r.expireAt}, set ${k.expireAt}`);
            assert.ok(Math.abs(batch.serverNowMs + r.pttl - k.expireAt) <= EXPIRY_TOLERANCE_MS, `${r.key}: pttl ${r.pttl} at ${batch.serverNowMs}`);
          }
          if (k.type === 'string') assert.equal(r.value, Buffer.from(k.value).subarray(0, 8).toString(), r.key);
        }
      });
      assert.equal(outcome.problem, undefined);
      assert.equal(outcome.interrupted ?? false, false);
      assert.ok(outcome.keysScanned >= sizes, `keysScanned ${outcome.keysScanned}, batches held ${sizes}`);
      assert.ok(outcome.batches > 1, 'several batches per node');
    }
    assert.deepEqual(
      [...seen.entries()].filter(([, c]) => c !== 1),
      [],
      'no key twice',
    );
    assert.equal(seen.size, seeded.length);
  });

  test('scanSummary agrees with scan: counts, keys without TTL, every expiry, and types', async () => {
    for (let n = 0; n < source.topology.nodes.length; n++) {
      const mine = ownedBy(n);
      let keys = 0;
      let noTtl = 0;
      const expireAts: number[] = [];
      const types = new Map<string, number>();
      const sample: string[] = [];
      await source.scanSummary(n, { ...REQUEST, sampleSize: 3, withTypes: true }, (b) => {
        keys += b.size - b.vanished;
        noTtl += b.noTtl;
        expireAts.push(...b.expireAts);
        for (const [t, c] of b.types) types.set(t, (types.get(t) ?? 0) + c);
        assert.ok(b.noTtlSample.length <= 3);
        sample.push(...b.noTtlSample);
      });
      assert.equal(keys, mine.length);
      assert.equal(noTtl, mine.filter((k) => k.expireAt === NO_TTL).length);
      const expected = mine
        .filter((k) => k.expireAt !== NO_TTL)
        .map((k) => k.expireAt)
        .sort((a, b) => a - b);
      expireAts.sort((a, b) => a - b);
      assert.equal(expireAts.length, expected.length);
      assert.ok(expireAts.every((e, i) => Math.abs(e - (expected[i] as number)) <= EXPIRY_TOLERANCE_MS));
      assert.deepEqual(
        Object.fromEntries(types),
        Object.fromEntries(['string', 'hash'].map((t) => [t, mine.filter((k) => k.type === t).length]).filter(([, c]) => c !== 0)),
      );
      for (const key of sample) assert.equal(known.get(key)?.expireAt, NO_TTL, `${key} is sampled as without TTL`);
    }
  });

  test('a promise returned by onBatch holds the scan: batches are handed over one at a time', async () => {
    let running = 0;
    let overlaps = 0;
    let last = 0;
    const outcome = await source.scan(0, REQUEST, async () => {
      running++;
      if (running > 1) overlaps++;
      await new Promise((r) => setImmediate(r));
      running--;
      last = Date.now();
    });
    const resolved = Date.now();
    assert.equal(overlaps, 0);
    assert.equal(running, 0, 'the scan resolved only after the last onBatch settled');
    assert.ok(outcome.batches > 1 && last <= resolved);
  });

  test('an aborted signal stops a scan with interrupted set, without throwing', async () => {
    const controller = new AbortController();
    controller.abort('SIGINT');
    for (let n = 0; n < source.topology.nodes.length; n++) {
      const outcome = await source.scan(n, { ...REQUEST, signal: controller.signal }, () => undefined);
      assert.equal(outcome.interrupted, true);
      assert.equal(outcome.problem, undefined);
    }
  });

  test('lookup: results in input order, from the owning node, a missing key VANISHED', async () => {
    const keys = ['c:s:2', 'nope:1', 'c:h:{1}', 'c:s:3', 'c:h:{0}', ...seeded.slice(100, 160).map((k) => k.key)].reverse();
    const found = await source.lookup(keys);
    assert.deepEqual(
      found.map((f) => f.key),
      keys,
    );
    for (const f of found) {
      assert.equal(f.node, source.topology.nodeIndexOf(f.key), f.key);
      assert.equal(f.problem, undefined);
      const k = known.get(f.key);
      if (!k) {
        assert.equal(f.pttl, VANISHED);
        continue;
      }
      assert.equal(f.type, k.type, f.key);
      if (k.expireAt === NO_TTL) assert.equal(f.pttl, NO_TTL, f.key);
      else assert.ok(Math.abs(f.expireAt - k.expireAt) <= EXPIRY_TOLERANCE_MS, `${f.key}: ${f.expireAt} vs ${k.expireAt}`);
    }
  });

  test('readValues: in input order, exact values, missing and wrong-type told apart', async () => {
    const strings = ['c:s:5', 'gone', 'c:s:6', 'c:h:{3}'];
    const s = await source.readValues(strings, 'string');
    assert.deepEqual(
      s.map((v) => [v.key, v.state, v.value]),
      [
        ['c:s:5', 'found', known.get('c:s:5')?.value],
        ['gone', 'missing', undefined],
        ['c:s:6', 'found', known.get('c:s:6')?.value],
        ['c:h:{3}', 'wrong-type', undefined],
      ],
    );
    const h = await source.readValues(['c:h:{4}', 'c:s:7'], 'hash');
    assert.deepEqual(
      h.map((v) => [v.key, v.state, v.value]),
      [
        ['c:h:{4}', 'found', ['field-4', 'v']],
        ['c:s:7', 'wrong-type', undefined],
      ],
    );
    for (const v of [...s, ...h]) assert.equal(v.node, source.topology.nodeIndexOf(v.key));
  });
}

for (const mode of ['lua', 'pipeline'] as const) {
  describe(`InspectSource contract: Redis source (${mode}) on a single node`, () => {
    let node: RedisProcess;
    let client: Redis;
    before(async () => {
      node = await startRedis();
      client = node.client();
    });
    after(async () => {
      await node?.stop();
    });
    contract(() => ({ name: 'single', mode, target: () => singleTarget(node.address), clientOf: () => client }));
  });

  describe(`InspectSource contract: Redis source (${mode}) on a 3-master cluster`, () => {
    let cluster: RedisCluster;
    const clients = new Map<string, Redis>();
    before(async () => {
      cluster = await startCluster(3);
      for (const m of cluster.masters) clients.set(m.address, m.client());
    });
    after(async () => {
      await cluster?.stop();
    });
    contract(() => ({
      name: 'cluster',
      mode,
      target: () => ({ kind: 'cluster', seeds: cluster.masters.map((m) => ({ host: '127.0.0.1', port: m.port })), auth: {} }),
      clientOf: (address) => clients.get(address) as Redis,
    }));
  });
}

describe('InspectSource contract: Redis source (auto) on a ring of 3 standalone nodes', () => {
  let nodes: RedisProcess[];
  const clients = new Map<string, Redis>();
  before(async () => {
    nodes = await Promise.all([startRedis(), startRedis(), startRedis()]);
    for (const n of nodes) clients.set(n.address, n.client());
  });
  after(async () => {
    await Promise.all(nodes.map((n) => n.stop()));
  });
  contract(() => ({
    name: 'ring',
    mode: 'auto',
    target: () => ({
      kind: 'ring',
      spec: { compat: 'twemproxy', hash: 'fnv1a_64', servers: parseRingServers(nodes.map((n) => n.address).join(',')) },
      auth: {},
    }),
    clientOf: (address) => clients.get(address) as Redis,
  }));
});

describe('InspectSource contract: a node that is down', () => {
  test('nodeFacts says so and its scan reports it, neither throws', async () => {
    const [up, down] = await Promise.all([startRedis(), startRedis()]);
    await down.stop();
    const cache = await openCache(
      { kind: 'ring', spec: { compat: 'twemproxy', hash: 'fnv1a_64', servers: parseRingServers(`${up.address},${down.address}`) }, auth: {} },
      { verify: 'any', reconnectAttempts: 1 },
    );
    try {
      const source: InspectSource = new RedisInspectSource(cache);
      const facts = await source.nodeFacts();
      const d = facts.findIndex((f) => f.address === down.address);
      assert.equal(facts[d]?.problem?.status, 'down');
      assert.equal(facts[1 - d]?.problem, undefined);
      const outcome = await source.scan(d, REQUEST, () => undefined);
      assert.equal(outcome.problem?.status, 'down');
    } finally {
      await cache.close();
      await up.stop();
    }
  });
});

/**
 * A ring node down during a warm. Without auto_eject_hosts its keys fail and are listed, and
 * never land on another node (where the application, reading through the ring, would not look).
 * With auto_eject_hosts the ring is rebuilt over the live nodes the way twemproxy rebuilds it:
 * checked through a real twemproxy with the same configuration once it has ejected the node.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { runCli } from '../harness/cli.js';
import { createTestDatabase, seedCatalogue, type TestDatabase } from '../harness/postgres.js';
import { startNutcracker, startRedis, waitFor, type Nutcracker, type RedisProcess } from '../harness/redis.js';
import { freePort } from '../harness/ports.js';
import { PRODUCT_FETCH, productJson, tempDir, writeKeyList } from '../harness/warm-helpers.js';
import { createRingTopology, ringSpecFromTwemproxyYaml } from '../../src/topology/ring/index.js';
import { assertNothingLostSilently, failedKeys } from './fault-checks.js';

const N = 1200;
const ids = Array.from({ length: N }, (_, i) => i + 1);

describe('warm into a ring with a node down', () => {
  let db: TestDatabase;
  let nodes: RedisProcess[];
  let clients: Redis[];
  let deadPort: number;
  let dir: string;
  let keysFile: string;
  let expected: Map<string, string>;

  before(async () => {
    [db, ...nodes] = await Promise.all([createTestDatabase('ops_ring_faults'), startRedis(), startRedis()]);
    await seedCatalogue(db.pool, N);
    clients = nodes.map((n) => n.client());
    deadPort = await freePort(); // nothing listens there: the third server is down
    dir = tempDir();
    keysFile = writeKeyList(
      dir,
      'hot.txt',
      ids.map((id) => `product:${id}`),
    );
    expected = await productJson(db.pool, ids);
  });
  after(async () => {
    await Promise.all([...(nodes ?? []).map((n) => n.stop()), db?.drop()]);
  });

  const yaml = (listen: number, autoEject: boolean) =>
    [
      'cache:',
      `  listen: 127.0.0.1:${listen}`,
      '  redis: true',
      '  distribution: ketama',
      '  hash: fnv1a_64',
      `  auto_eject_hosts: ${autoEject}`,
      '  server_failure_limit: 2',
      '  server_retry_timeout: 600000',
      '  servers:',
      `   - ${nodes[0]!.address}:1 cache-0`,
      `   - ${nodes[1]!.address}:1 cache-1`,
      `   - 127.0.0.1:${deadPort}:1 cache-2`,
    ].join('\n') + '\n';

  test("without auto_eject_hosts: the down node's keys fail, are listed, and are written nowhere else", async () => {
    await Promise.all(clients.map((c) => c.flushall()));
    const config = join(dir, 'ring.yml');
    writeFileSync(config, yaml(22121, false)); // only read by cachectl: no proxy listens here
    const ring = createRingTopology(ringSpecFromTwemproxyYaml(readFileSync(config, 'utf8'), config));
    const onDead = ids.map((id) => `product:${id}`).filter((k) => ring.nodes[ring.nodeIndexOf(k)]!.port === deadPort);
    assert.ok(onDead.length > 0);
    const failed = join(dir, 'ring-down-failed.txt');
    const r = await runCli([
      'warm',
      '--keys',
      keysFile,
      '--pattern',
      'product:{id}',
      '--fetch',
      PRODUCT_FETCH,
      '--ttl',
      '1h',
      '--ring-config',
      config,
      '--pg',
      db.url,
      '--json',
      '--failed-keys',
      failed,
      '--failover-wait',
      '2s',
    ]);
    assert.equal(r.code, 1, r.stderr);
    const summary = JSON.parse(r.stdout);
    assert.equal(summary.failed, onDead.length);
    assert.equal(summary.written, N - onDead.length);
    const listed = failedKeys(failed);
    assert.deepEqual([...listed.keys()].sort(), [...onDead].sort());
    const ownerOf = (key: string) => {
      const node = ring.nodes[ring.nodeIndexOf(key)]!;
      // The dead node's keys must be absent everywhere: check them against a live node's client.
      return clients[nodes.findIndex((n) => n.port === node.port)] ?? clients[0]!;
    };
    assert.equal(await assertNothingLostSilently(new Map([...expected].filter(([k]) => !listed.has(k))), listed, ownerOf, clients), 0);
    for (const key of onDead) for (const c of clients) assert.equal(await c.exists(key), 0, `${key} must not be written to another node`);
  });

  test('a ring node restarted empty mid-warm (default flags, no auto_eject_hosts): its keys wait for it, the lost ones are written again, exit 0', async () => {
    await Promise.all(clients.map((c) => c.flushall()));
    let third = await startRedis();
    try {
      const config = join(dir, 'ring-restart.yml');
      writeFileSync(config, yaml(22122, false).replace(`127.0.0.1:${deadPort}:1 cache-2`, `${third.address}:1 cache-2`));
      const ring = createRingTopology(ringSpecFromTwemproxyYaml(readFileSync(config, 'utf8'), config));
      const failed = join(dir, 'ring-restart-failed.txt');
      const run = runCli([
        'warm',
        '--keys',
        keysFile,
        '--pattern',
        'product:{id}',
        '--fetch',
        PRODUCT_FETCH,
        '--ttl',
        '1h',
        '--ring-config',
        config,
        '--pg',
        db.url,
        '--json',
        '--rate',
        '400',
        '--failed-keys',
        failed,
      ]);
      const probe = third.client();
      await waitFor(async () => (await probe.dbsize()) > 50, 'the warm to have written to cache-2');
      await third.kill();
      third = await startRedis({ port: third.port });
      const r = await run;
      assert.equal(r.code, 0, r.stderr.slice(-2000));
      const summary = JSON.parse(r.stdout);
      assert.equal(summary.written, N);
      assert.equal(summary.failed + summary.notAttempted, 0, JSON.stringify(summary));
      assert.ok(summary.rewritten > 0, `keys the restart lost were written again: ${JSON.stringify(summary)}`);
      assert.equal(failedKeys(failed).size, 0);
      const all = [...clients, third.client()];
      const ownerOf = (key: string) => all[[...nodes, third].findIndex((n) => n.port === ring.nodes[ring.nodeIndexOf(key)]!.port)]!;
      assert.equal(await assertNothingLostSilently(expected, new Map(), ownerOf, all), 0);
    } finally {
      await third.stop();
    }
  });

  test('with auto_eject_hosts: the ring is rebuilt like twemproxy rebuilds it, and every key is a hit through twemproxy', async () => {
    await Promise.all(clients.map((c) => c.flushall()));
    let proxy: Nutcracker | undefined;
    let proxyClient: Redis | undefined;
    try {
      proxy = await startNutcracker((port) => yaml(port, true));
      const failed = join(dir, 'ring-eject-failed.txt');
      const r = await runCli([
        'warm',
        '--keys',
        keysFile,
        '--pattern',
        'product:{id}',
        '--fetch',
        PRODUCT_FETCH,
        '--ttl',
        '1h',
        '--ring-config',
        proxy.configFile,
        '--pg',
        db.url,
        '--json',
        '--failed-keys',
        failed,
      ]);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stderr, /ring node cache-2 was ejected \(auto_eject_hosts\)/);
      const summary = JSON.parse(r.stdout);
      assert.equal(summary.written, N);
      assert.equal(summary.nodes['cache-2'] ?? 0, 0);
      assert.equal(failedKeys(failed).size, 0);
      const sizes = await Promise.all(clients.map((c) => c.dbsize()));
      assert.equal(sizes[0]! + sizes[1]!, N, 'each key written once, on a live node');
      // Make twemproxy eject the dead server too (server_failure_limit requests to it fail) ...
      proxyClient = new Redis({
        host: '127.0.0.1',
        port: proxy.port,
        enableReadyCheck: false,
        disableClientInfo: true,
        maxRetriesPerRequest: 0,
        retryStrategy: () => null,
      });
      proxyClient.on('error', () => undefined);
      const keys = [...expected.keys()];
      const pc = proxyClient;
      await waitFor(async () => {
        const values = await Promise.all(keys.slice(0, 50).map((k) => pc.get(k).catch(() => 'error')));
        return values.every((v) => v !== 'error');
      }, 'twemproxy to eject the dead server');
      // ... then every key the warm wrote is exactly where twemproxy now looks for it.
      const viaProxy = await proxyClient.mget(...keys);
      keys.forEach((k, i) => assert.equal(viaProxy[i], expected.get(k), `${k} through twemproxy after ejection`));
    } finally {
      proxyClient?.disconnect();
      await proxy?.stop();
    }
  });
});

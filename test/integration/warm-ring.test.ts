import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { runCli } from '../harness/cli.js';
import { createTestDatabase, seedCatalogue, type TestDatabase } from '../harness/postgres.js';
import { startNutcracker, startRedis, type Nutcracker, type RedisProcess } from '../harness/redis.js';
import { PRODUCT_FETCH, productJson, tempDir, writeKeyList } from '../harness/warm-helpers.js';

const HOUR = 3_600_000;

describe('warm into a real 3-node ring, read back through a real twemproxy', () => {
  let db: TestDatabase;
  let nodes: RedisProcess[];
  let clients: Redis[];
  let proxy: Nutcracker;
  let proxyClient: Redis;
  let dir: string;

  before(async () => {
    [db, ...nodes] = await Promise.all([createTestDatabase('warm_ring'), startRedis(), startRedis(), startRedis()]);
    await seedCatalogue(db.pool, 1500);
    clients = nodes.map((n) => n.client());
    proxy = await startNutcracker(
      (port) =>
        [
          'cache:',
          `  listen: 127.0.0.1:${port}`,
          '  redis: true',
          '  distribution: ketama',
          '  hash: fnv1a_64',
          '  auto_eject_hosts: false',
          '  servers:',
          ...nodes.map((n, i) => `   - ${n.address}:${i + 1} cache-${i}`),
        ].join('\n') + '\n',
    );
    // twemproxy speaks a subset of Redis: no CLIENT SETINFO / ready check.
    proxyClient = new Redis({
      host: '127.0.0.1',
      port: proxy.port,
      enableReadyCheck: false,
      disableClientInfo: true,
      maxRetriesPerRequest: 1,
      retryStrategy: () => null,
    });
    proxyClient.on('error', () => undefined);
    dir = tempDir();
  });
  after(async () => {
    proxyClient?.disconnect();
    await Promise.all([proxy?.stop(), ...(nodes ?? []).map((n) => n.stop()), db?.drop()]);
  });

  test('every warmed key is a hit through the proxy, stored on exactly one node, with its value and TTL', async () => {
    const ids = Array.from({ length: 1500 }, (_, i) => i + 1);
    const file = writeKeyList(dir, 'ring.txt', [...ids.map((id) => `product:${id}`), 'product:424242']);
    const failed = join(dir, 'ring-failed.txt');
    const startedAt = Date.now();
    const r = await runCli([
      'warm',
      '--keys',
      file,
      '--pattern',
      'product:{id}',
      '--fetch',
      PRODUCT_FETCH,
      '--ttl',
      '1h',
      '--jitter',
      '5%',
      '--stale',
      '10m',
      '--ring-config',
      proxy.configFile,
      '--pg',
      db.url,
      '--json',
      '--failed-keys',
      failed,
    ]);
    assert.equal(r.code, 1, r.stderr);
    const summary = JSON.parse(r.stdout);
    assert.deepEqual([summary.written, summary.staleWritten, summary.missing], [1500, 1500, 1]);
    assert.deepEqual(Object.keys(summary.nodes).sort(), ['cache-0', 'cache-1', 'cache-2']);
    assert.match(readFileSync(failed, 'utf8'), /^product:424242\t# missing/m);

    const expected = await productJson(db.pool, ids);
    const sizes = await Promise.all(clients.map((c) => c.dbsize()));
    // Each key and its stale copy exist once across the ring: no key written to two nodes.
    assert.equal(
      sizes.reduce((a, b) => a + b, 0),
      3000,
    );
    assert.ok(
      sizes.every((n) => n > 0),
      `every node holds keys: ${sizes.join(', ')}`,
    );
    const keys = [...expected.keys()];
    const stale = keys.map((k) => `${k}:stale`);
    const viaProxy = await proxyClient.mget(...keys);
    const staleViaProxy = await proxyClient.mget(...stale);
    keys.forEach((k, i) => {
      assert.equal(viaProxy[i], expected.get(k), `${k} through twemproxy`);
      assert.equal(staleViaProxy[i], expected.get(k), `${k}:stale through twemproxy`);
    });
    const ttls = await Promise.all(keys.slice(0, 200).map((k) => proxyClient.pttl(k)));
    const staleTtls = await Promise.all(stale.slice(0, 200).map((k) => proxyClient.pttl(k)));
    // A TTL may have run down by the time since the warm started (a loaded machine is slow).
    const elapsed = Date.now() - startedAt;
    for (const t of ttls) assert.ok(t > 0.95 * HOUR - elapsed && t <= 1.05 * HOUR, `TTL ${t}`);
    for (const t of staleTtls) assert.ok(t > 0.95 * HOUR + 600_000 - elapsed && t <= 1.05 * HOUR + 600_000, `stale TTL ${t}`);
  });

  test('a ring node that is down: its keys fail and are listed, none lands on another node', async () => {
    for (const c of clients) await c.flushall();
    const down = nodes[2]!;
    const ring = `${nodes[0]!.address}:1 cache-0,${nodes[1]!.address}:2 cache-1,127.0.0.1:1:3 cache-2`;
    const file = writeKeyList(
      dir,
      'ring-down.txt',
      Array.from({ length: 300 }, (_, i) => `product:${i + 1}`),
    );
    const failed = join(dir, 'ring-down-failed.txt');
    const r = await runCli([
      'warm',
      '--keys',
      file,
      '--pattern',
      'product:{id}',
      '--fetch',
      PRODUCT_FETCH,
      '--ttl',
      '1h',
      '--ring',
      ring,
      '--pg',
      db.url,
      '--json',
      '--failed-keys',
      failed,
      '--failover-wait',
      '1s',
    ]);
    assert.equal(r.code, 1, r.stderr);
    const summary = JSON.parse(r.stdout);
    assert.ok(summary.failed > 0, 'the down node owns some keys');
    assert.equal(summary.written + summary.failed, 300);
    const listed = readFileSync(failed, 'utf8')
      .split('\n')
      .filter((l) => l.includes('# failed'));
    assert.equal(listed.length, summary.failed);
    const present = (await Promise.all(clients.slice(0, 2).map((c) => c.dbsize()))).reduce((a, b) => a + b, 0);
    assert.equal(present, summary.written);
    void down;
  });
});

/**
 * Connection habits against real servers, through the in-process CLI: redis-cli's -h/-p/-a/-n,
 * host:port, Unix sockets, the topology taken from the environment (and named), a node that
 * stops answering (CLIENT PAUSE), a cluster node given to --redis, and passwords in herd --url.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { runCli } from '../harness/cli.js';
import { createTestDatabase, seedCatalogue, type TestDatabase } from '../harness/postgres.js';
import { startCluster, startRedis, type RedisCluster, type RedisProcess } from '../harness/redis.js';
import { PRODUCT_FETCH, tempDir, writeKeyList } from '../harness/warm-helpers.js';

const PASSWORD = 'conn-Secret-91x';

describe('connections: how operators point cachectl at Redis', () => {
  let db: TestDatabase;
  let guarded: RedisProcess;
  let socketNode: RedisProcess;
  let socketPath: string;
  let plain: RedisProcess;
  let dir: string;
  let keysFile: string;

  before(async () => {
    dir = tempDir();
    socketPath = join(dir, 'redis.sock');
    [db, guarded, socketNode, plain] = await Promise.all([
      createTestDatabase('connections'),
      startRedis({ args: ['--requirepass', PASSWORD] }),
      startRedis({ args: ['--unixsocket', socketPath, '--unixsocketperm', '700'] }),
      startRedis(),
    ]);
    await seedCatalogue(db.pool, 50);
    keysFile = writeKeyList(
      dir,
      'keys.txt',
      Array.from({ length: 50 }, (_, i) => `product:${i + 1}`),
    );
  });
  after(async () => {
    await Promise.all([guarded, socketNode, plain].map((n) => n?.stop()));
    await db?.drop();
  });

  const warm = (...target: string[]) =>
    runCli(['warm', '--keys', keysFile, '--pattern', 'product:{id}', '--fetch', PRODUCT_FETCH, '--ttl', '10m', '--pg', db.url, '--json', ...target]);

  test("redis-cli's -h -p -a -n: warm writes into that database of that node", async () => {
    const r = await warm('-h', '127.0.0.1', '-p', String(guarded.port), '-a', PASSWORD, '-n', '3');
    assert.equal(r.code, 0, r.stderr);
    assert.equal(JSON.parse(r.stdout).written, 50);
    assert.match(r.stderr, /^cachectl: topology: Redis node 127\.0\.0\.1:\d+, db 3 \(from -h\/-p\)/);
    assert.ok(!r.stderr.includes(PASSWORD));
    const check = new Redis({ port: guarded.port, password: PASSWORD, db: 3, lazyConnect: true });
    check.on('error', () => undefined);
    try {
      assert.equal(await check.dbsize(), 50);
      await check.flushdb();
    } finally {
      check.disconnect();
    }
  });

  test('--redis host:port and a Unix socket (unix://, redis:///path, the bare path, -s)', async () => {
    const hostPort = await runCli(['inspect', 'nodes', '--redis', `127.0.0.1:${plain.port}`, '--json']);
    assert.equal(hostPort.code, 0, hostPort.stderr);
    for (const spelling of [
      ['--redis', `unix://${socketPath}`],
      ['--redis', `redis://${socketPath}`],
      ['--redis', socketPath],
      ['-s', socketPath],
    ]) {
      const r = await runCli(['inspect', 'nodes', ...spelling, '--json']);
      assert.equal(r.code, 0, `${spelling.join(' ')}: ${r.stderr}`);
      assert.equal((JSON.parse(r.stdout) as { nodes: { status: string }[] }).nodes[0]?.status, 'ok');
    }
    const w = await warm('--redis', `unix://${socketPath}?db=2`);
    assert.equal(w.code, 0, w.stderr);
    const client = socketNode.client();
    await client.select(2);
    assert.equal(await client.dbsize(), 50);
    const missing = await runCli(['inspect', 'nodes', '--redis', join(dir, 'nope.sock')]);
    assert.equal(missing.code, 3);
    assert.match(missing.stderr, /cannot open the socket .*nope\.sock \(no such file\)/);
    assert.doesNotMatch(missing.stderr, /\n\s+at /);
  });

  test('a bad database path in a warm is exit 2 before the run lock is taken: no lock left behind', async () => {
    const r = await warm('--redis', `redis://127.0.0.1:${plain.port}/abc`);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /^cachectl: --redis: .*database 'abc'/);
    assert.deepEqual(await plain.client().keys('lock:*'), []);
  });

  test('with no topology flag the environment decides (REDIS_URL, CACHECTL_RING, CACHECTL_RING_CONFIG), and the first line says so', async () => {
    const viaEnv = await runCli(['inspect', 'nodes', '--json'], { env: { REDIS_URL: `redis://127.0.0.1:${plain.port}` } });
    assert.equal(viaEnv.code, 0, viaEnv.stderr);
    assert.equal((JSON.parse(viaEnv.stdout) as { nodes: { address: string }[] }).nodes[0]?.address, plain.address);
    assert.match(viaEnv.stderr, /^cachectl: topology: Redis node 127\.0\.0\.1:\d+ \(from REDIS_URL\)$/m);

    const ring = `${plain.address}:1 a,${socketNode.address}:1 b`;
    const both = { CACHECTL_RING: ring, REDIS_URL: 'redis://127.0.0.1:1', DATABASE_URL: db.url };
    const dry = await runCli(['warm', '--keys', keysFile, '--pattern', 'product:{id}', '--fetch', PRODUCT_FETCH, '--ttl', '10m', '--dry-run', '--json'], {
      env: both,
    });
    assert.equal(dry.code, 0, dry.stderr);
    assert.deepEqual(Object.keys(JSON.parse(dry.stdout).nodes).sort(), ['a', 'b']);
    assert.match(
      dry.stderr,
      /topology: ring of 2 servers .*\(from CACHECTL_RING \(also set, not used: REDIS_URL\)\); PostgreSQL postgres:\/\/.* \(from DATABASE_URL\)/,
    );

    const flagWins = await runCli(['inspect', 'nodes', '--redis', `redis://127.0.0.1:${plain.port}`], { env: both });
    assert.equal(flagWins.code, 0, flagWins.stderr);
    assert.match(flagWins.stderr, /\(from --redis\)/);
  });

  test('a node that stops answering (CLIENT PAUSE 40000) is shown as down after --timeout, not waited for', async () => {
    const paused = await startRedis();
    const admin = paused.client();
    try {
      await admin.call('CLIENT', 'PAUSE', '40000', 'ALL');
      const ring = `${plain.address}:1 live,${paused.address}:1 paused`;
      const started = Date.now();
      const r = await runCli(['inspect', 'nodes', '--ring', ring, '--timeout', '1s', '--json']);
      const took = Date.now() - started;
      assert.equal(r.code, 1, r.stderr);
      const nodes = (JSON.parse(r.stdout) as { nodes: { name: string; status: string; error?: string }[] }).nodes;
      assert.deepEqual(
        nodes.map((n) => [n.name, n.status]),
        [
          ['live', 'ok'],
          ['paused', 'down'],
        ],
      );
      assert.match(JSON.stringify(nodes[1]), /no answer within 1000ms \(--timeout\)/);
      assert.ok(took < 40_000, `returned before the pause ended (${took}ms)`);
      // A lone node that does not answer: one timeout, then exit 3 naming it.
      const single = await runCli(['inspect', 'nodes', '--redis', paused.address, '--timeout', '500ms']);
      assert.equal(single.code, 3);
      assert.match(single.stderr, /cannot connect to Redis at 127\.0\.0\.1:\d+: no answer within 500ms \(--timeout\)/);
    } finally {
      // CLIENT UNPAUSE waits behind the pause itself; the server stops on SIGTERM regardless.
      await paused.stop();
    }
  });

  test('herd --url with credentials in the URL: the password is in neither the text nor the --json report', async () => {
    const server: Server = createServer((_req, res) => res.end('ok'));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as AddressInfo).port;
    try {
      for (const json of [[], ['--json']]) {
        const r = await runCli([
          'herd',
          '--url',
          `http://ops:${PASSWORD}@127.0.0.1:${port}/products/1`,
          '--invalidate',
          'product:1',
          '--redis',
          `redis://127.0.0.1:${plain.port}`,
          '--clients',
          '3',
          '--rounds',
          '1',
          ...json,
        ]);
        assert.equal(r.code, 0, r.stderr);
        assert.match(r.stdout, /ops:\*\*\*@127\.0\.0\.1/);
        assert.ok(!(r.stdout + r.stderr).includes(PASSWORD), r.stdout);
      }
    } finally {
      server.close();
    }
  });
});

describe('a Redis Cluster node given to --redis', () => {
  let cluster: RedisCluster;
  let db: TestDatabase;
  before(async () => {
    [cluster, db] = await Promise.all([startCluster(3), createTestDatabase('connections_cluster')]);
    await seedCatalogue(db.pool, 20);
  });
  after(async () => {
    await Promise.all([cluster?.stop(), db?.drop()]);
  });

  test('warm refuses it on connect (exit 3, "use --cluster"), before writing a key or taking a lock', async () => {
    const node = cluster.masters[0]!;
    const dir = tempDir();
    const keys = writeKeyList(
      dir,
      'k.txt',
      Array.from({ length: 20 }, (_, i) => `product:${i + 1}`),
    );
    for (const lock of [[], ['--no-lock']]) {
      const r = await runCli([
        'warm',
        '--keys',
        keys,
        '--pattern',
        'product:{id}',
        '--fetch',
        PRODUCT_FETCH,
        '--ttl',
        '10m',
        '--pg',
        db.url,
        '--redis',
        `redis://${node.address}`,
        ...lock,
      ]);
      assert.equal(r.code, 3, r.stderr);
      assert.match(r.stderr, new RegExp(`--redis: ${node.address} is a Redis Cluster node.*use --cluster ${node.address}`));
      assert.doesNotMatch(r.stderr, /MOVED \d+|unexpected error/);
    }
    const sizes = await Promise.all(cluster.masters.map((m) => m.client().dbsize()));
    assert.deepEqual(sizes, [0, 0, 0], 'nothing was written');
  });
});

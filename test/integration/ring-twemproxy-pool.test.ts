/**
 * A twemproxy pool's connection settings (redis_db, redis_auth) against the real nutcracker:
 * cachectl warms, inspects and drills with --ring-config straight to the servers, and every key
 * must then be a hit through the proxy, which is what the application reads. The real proxy is
 * the truth, quirks included: nutcracker 0.5 selects redis_db without redis_auth, but with both
 * set its server connections stay in db 0.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { runCli } from '../harness/cli.js';
import { createTestDatabase, seedCatalogue, type TestDatabase } from '../harness/postgres.js';
import { startNutcracker, startRedis, type Nutcracker, type RedisProcess } from '../harness/redis.js';
import { PRODUCT_FETCH, tempDir, writeKeyList } from '../harness/warm-helpers.js';

const PASSWORD = 'pool-secret-7f3a';
const KEYS = 300;

interface Pool {
  id: string;
  db?: number;
  auth: boolean;
  /** The database nutcracker really uses. */
  landsIn: number;
}

const pools: Pool[] = [
  { id: 'db', db: 2, auth: false, landsIn: 2 },
  { id: 'auth', auth: true, landsIn: 0 },
  // nutcracker 0.5: with redis_auth set, redis_db is never selected.
  { id: 'both', db: 3, auth: true, landsIn: 0 },
];

function yamlFor(pool: Pool, nodes: RedisProcess[], port: number): string {
  const lines = [`pool_${pool.id}:`, `  listen: 127.0.0.1:${port}`, '  redis: true', '  hash: fnv1a_64', '  distribution: ketama', '  auto_eject_hosts: false'];
  if (pool.db !== undefined) lines.push(`  redis_db: ${pool.db}`);
  if (pool.auth) lines.push(`  redis_auth: ${PASSWORD}`);
  lines.push('  servers:', ...nodes.map((n, i) => `   - ${n.address}:1 node-${i}`));
  return lines.join('\n') + '\n';
}

function proxyClient(proxy: Nutcracker, auth: boolean): Redis {
  // twemproxy speaks a subset of Redis: no CLIENT SETINFO / ready check; with redis_auth it wants AUTH from clients too.
  const c = new Redis({
    host: '127.0.0.1',
    port: proxy.port,
    enableReadyCheck: false,
    disableClientInfo: true,
    maxRetriesPerRequest: 1,
    retryStrategy: () => null,
    ...(auth ? { password: PASSWORD } : {}),
  });
  c.on('error', () => undefined);
  return c;
}

describe('twemproxy pool settings: what cachectl writes is what the real nutcracker reads', () => {
  let db: TestDatabase;
  let open: RedisProcess[];
  let guarded: RedisProcess[];
  let dir: string;
  let keysFile: string;
  const ids = Array.from({ length: KEYS }, (_, i) => i + 1);

  before(async () => {
    [db, ...open] = await Promise.all([createTestDatabase('ring_pool'), startRedis(), startRedis()]);
    guarded = await Promise.all([startRedis({ args: ['--requirepass', PASSWORD] }), startRedis({ args: ['--requirepass', PASSWORD] })]);
    await seedCatalogue(db.pool, KEYS);
    dir = tempDir();
    keysFile = writeKeyList(
      dir,
      'keys.txt',
      ids.map((id) => `product:${id}`),
    );
  });
  after(async () => {
    await Promise.all([...(open ?? []), ...(guarded ?? [])].map((n) => n.stop()));
    await db?.drop();
  });

  for (const pool of pools) {
    const label = [pool.db !== undefined ? `redis_db: ${pool.db}` : '', pool.auth ? 'redis_auth' : ''].filter(Boolean).join(' + ');
    test(`${label}: warm, inspect and herd use the database the proxy uses (db ${pool.landsIn}); every key is a hit through nutcracker`, async () => {
      const nodes = pool.auth ? guarded : open;
      const proxy = await startNutcracker((port) => yamlFor(pool, nodes, port));
      const client = proxyClient(proxy, pool.auth);
      const direct = nodes.map(
        (n) =>
          new Redis({
            host: '127.0.0.1',
            port: n.port,
            db: pool.landsIn,
            ...(pool.auth ? { password: PASSWORD } : {}),
            maxRetriesPerRequest: 1,
            retryStrategy: () => null,
          }),
      );
      for (const d of direct) d.on('error', () => undefined);
      try {
        await Promise.all(direct.map((d) => d.flushall()));
        const warm = await runCli([
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
        ]);
        assert.equal(warm.code, 0, warm.stderr);
        assert.equal(JSON.parse(warm.stdout).written, KEYS);
        assert.match(
          warm.stderr,
          /^cachectl: topology: ring of 2 servers from .*nutcracker\.yml \(pool pool_\w+\).*\(from --ring-config\); PostgreSQL postgres:\/\/postgres@/m,
        );
        if (pool.id === 'both') assert.match(warm.stderr, /note: redis_db: 3 \(line \d+\) is not applied by nutcracker 0\.5 when redis_auth is set/);
        assert.doesNotMatch(warm.stderr + warm.stdout, new RegExp(PASSWORD), 'redis_auth is never printed');

        const viaProxy = await client.mget(...ids.map((id) => `product:${id}`));
        assert.equal(viaProxy.filter((v) => v === null).length, 0, 'every warmed key is a hit through the proxy');
        const sizes = await Promise.all(direct.map((d) => d.dbsize()));
        assert.equal(
          sizes.reduce((a, b) => a + b, 0),
          KEYS,
          `db ${pool.landsIn} on the servers holds every key`,
        );

        const inspect = await runCli(['inspect', 'ttl', '--ring-config', proxy.configFile, '--match', 'product:*', '--json']);
        assert.equal(inspect.code, 0, inspect.stderr);
        const report = JSON.parse(inspect.stdout) as { nodes: { keys: number }[] };
        assert.equal(
          report.nodes.reduce((a, n) => a + n.keys, 0),
          KEYS,
          'inspect counts the keys in the pool database',
        );
        // The same from the environment, as `eval "$(cachectl sandbox env)"` leaves it.
        const fromEnv = await runCli(['inspect', 'ttl', '--match', 'product:*', '--json'], { env: { CACHECTL_RING_CONFIG: proxy.configFile } });
        assert.equal(fromEnv.code, 0, fromEnv.stderr);
        assert.match(fromEnv.stderr, /\(from CACHECTL_RING_CONFIG\)/);
        assert.equal(
          (JSON.parse(fromEnv.stdout) as { nodes: { keys: number }[] }).nodes.reduce((a, n) => a + n.keys, 0),
          KEYS,
        );

        // herd restores what it drilled, so where it worked is read from the servers' MONITOR feed.
        const monitors = await Promise.all(direct.map((d) => d.monitor()));
        const dbs = new Set<string>();
        let commands = 0;
        for (const m of monitors) {
          m.on('monitor', (_time: string, args: string[], _source: string, database: string) => {
            if (args.some((a) => a.includes('product:7'))) {
              commands++;
              dbs.add(database);
            }
          });
        }
        const herd = await runCli([
          'herd',
          '--ring-config',
          proxy.configFile,
          '--pg',
          db.url,
          '--fetch',
          'SELECT * FROM products WHERE id = $1',
          '--key',
          'product:7',
          '--clients',
          '4',
          '--rounds',
          '1',
          '--strategy',
          'none',
          '--json',
        ]);
        for (const m of monitors) m.disconnect();
        assert.equal(herd.code, 0, herd.stderr);
        assert.ok(commands > 4, `herd's commands on product:7 were seen (${commands})`);
        assert.deepEqual([...dbs], [String(pool.landsIn)], 'every herd command on the key ran in the pool database');
        assert.notEqual(await client.get('product:7'), null, 'the key is still a hit through the proxy after the drill');
      } finally {
        client.disconnect();
        for (const d of direct) d.disconnect();
        await proxy.stop();
      }
    });
  }

  test('--redis pointed at the proxy itself: one line saying it is a twemproxy and to pass --ring-config (exit 3)', async () => {
    const proxy = await startNutcracker((port) => yamlFor(pools[0]!, open, port));
    try {
      for (const command of [
        ['inspect', 'nodes'],
        ['warm', '--keys', keysFile, '--pattern', 'product:{id}', '--fetch', PRODUCT_FETCH, '--ttl', '1h', '--pg', db.url],
      ]) {
        const r = await runCli([...command, '--redis', proxy.address]);
        assert.equal(r.code, 3, r.stderr);
        assert.match(r.stderr, /cachectl: --redis: 127\.0\.0\.1:\d+ is a twemproxy \(nutcracker\).*pass --ring-config/);
        assert.doesNotMatch(r.stderr, /Connection is closed|\n\s+at /);
      }
    } finally {
      await proxy.stop();
    }
  });

  test('what cachectl cannot honour is refused with file:line (exit 3): a memcached pool, a setting nutcracker does not know', async () => {
    const memcached = join(dir, 'memcached.yml');
    writeFileSync(
      memcached,
      ['mc:', '  listen: 127.0.0.1:22199', '  hash: fnv1a_64', '  distribution: ketama', '  servers:', `   - ${open[0]!.address}:1`].join('\n') + '\n',
    );
    const warm = await runCli([
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
      memcached,
      '--pg',
      db.url,
    ]);
    assert.equal(warm.code, 3, warm.stderr);
    assert.match(warm.stderr, /memcached\.yml:1: this pool speaks memcached .*add redis: true/);
    // Placement is the same for memcached pools: ring locate still answers.
    const locate = await runCli(['ring', 'locate', 'product:1', '--ring-config', memcached]);
    assert.equal(locate.code, 0, locate.stderr);

    const typo = join(dir, 'typo.yml');
    writeFileSync(
      typo,
      ['p:', '  listen: 127.0.0.1:22199', '  redis: true', '  redis_database: 2', '  servers:', `   - ${open[0]!.address}:1`].join('\n') + '\n',
    );
    const r = await runCli(['inspect', 'nodes', '--ring-config', typo]);
    assert.equal(r.code, 3, r.stderr);
    assert.match(r.stderr, /typo\.yml:4: 'redis_database' is not a twemproxy pool setting/);
  });
});

/**
 * Connection flags as a user types them, in-process, with nothing listening: bad addresses are
 * one line and exit 2 naming the flag (never exit 70, never a default host), passwords are never
 * echoed whatever their shape, libpq strings are read, and redis-cli's spellings are understood.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runCli } from '../harness/cli.js';
import { parseRedisEndpoint } from '../../src/config/redis-url.js';
import { pgUrlFromConninfo } from '../../src/config/pg-conninfo.js';
import { authOf, resolveRedisTarget, type RedisTarget, type RingLoaders } from '../../src/config/target.js';
import { respAuthFor } from '../../src/adapters/redis/write-outcomes.js';
import { parseRingServers } from '../../src/topology/ring/index.js';

function oneLine(r: { stderr: string }): void {
  assert.equal(r.stderr.trim().split('\n').length, 1, `one line: ${r.stderr}`);
  assert.doesNotMatch(r.stderr, /\n\s+at |unexpected error/);
}

test('bad --redis addresses: exit 2, one line naming --redis and what is wrong (never 70, never 127.0.0.1:6379)', async () => {
  const cases: [string, RegExp][] = [
    ['redis://127.0.0.1:99999', /port '99999': a port is a number from 1 to 65535/],
    ['redis://:', /names no host/],
    ['redis://127.0.0.1:-1', /port '-1'/],
    ['redis://[::1', /unclosed \[/],
    ['redis://', /names no host; .*never taken to mean this machine/],
    ['redis://127.0.0.1:6380/abc', /database 'abc', which is not a number/],
    ['http://127.0.0.1:6379', /has scheme http:\/\//],
    ['unix://', /names no socket/],
    ['::1:6379', /IPv6 address; put it in brackets/],
  ];
  for (const command of [
    ['inspect', 'nodes'],
    [
      'warm',
      '--keys',
      '-',
      '--pattern',
      'p:{id}',
      '--fetch',
      'SELECT id, name AS value FROM t WHERE id = ANY($1)',
      '--ttl',
      '1m',
      '--pg',
      'postgres://nobody@127.0.0.1:1/x',
    ],
  ]) {
    for (const [url, why] of cases) {
      const r = await runCli([...command, '--redis', url], { stdin: 'p:1\n' });
      assert.equal(r.code, 2, `${url}: ${r.stderr}`);
      assert.match(r.stderr, /^cachectl: --redis: '/);
      assert.match(r.stderr, why, url);
      oneLine(r);
    }
  }
});

test('an unencoded / or @ in a password is read whole (credentials end at the last @), and never printed', () => {
  const e = parseRedisEndpoint('redis://app:pa/ss@w0rd@10.0.0.5:6380/2', '--redis');
  assert.deepEqual(e, { host: '10.0.0.5', port: 6380, db: 2, tls: false, username: 'app', password: 'pa/ss@w0rd' });
  assert.deepEqual(parseRedisEndpoint('rediss://:p%40ss@cache.example.com', '--redis'), {
    host: 'cache.example.com',
    port: 6379,
    db: 0,
    tls: true,
    password: 'p@ss',
  });
  assert.deepEqual(parseRedisEndpoint('10.0.0.5:6380', '--redis'), { host: '10.0.0.5', port: 6380, db: 0, tls: false });
  assert.deepEqual(parseRedisEndpoint('[::1]:7000', '--redis'), { host: '::1', port: 7000, db: 0, tls: false });
  assert.deepEqual(parseRedisEndpoint('unix:///run/redis.sock?db=3', '--redis'), { host: '', port: 0, socket: '/run/redis.sock', db: 3, tls: false });
  assert.deepEqual(parseRedisEndpoint('redis:///run/redis.sock', '--redis'), { host: '', port: 0, socket: '/run/redis.sock', db: 0, tls: false });
  assert.deepEqual(parseRedisEndpoint('/run/redis.sock', '--redis'), { host: '', port: 0, socket: '/run/redis.sock', db: 0, tls: false });
});

test('passwords are never echoed, whatever the shape, for --redis, --cluster, --ring, --pg and herd --url (text and --json)', async () => {
  // The runs share this process, and a password one run registered is masked in every later run:
  // each run gets a password of its own, so a case cannot pass on what an earlier case registered.
  const secretOf = (i: number) => `Zq9-${i}-s3cret-Pw`;
  const runs: ((secret: string) => string[])[] = [
    (secret) => ['inspect', 'nodes', '--redis', `user:${secret}@127.0.0.1:99999`],
    (secret) => ['inspect', 'nodes', '--redis', `:${secret}@127.0.0.1:1`],
    (secret) => ['inspect', 'nodes', '--redis', `${secret}@127.0.0.1:1`],
    (secret) => ['inspect', 'nodes', '--redis', `redis://u:${secret}@127.0.0.1:1/zz`],
    (secret) => ['inspect', 'nodes', '--cluster', `u:${secret}@127.0.0.1:1`],
    (secret) => ['inspect', 'nodes', '--cluster', `u:${secret}@127.0.0.1:1/4`],
    (secret) => ['ring', 'locate', 'k', '--ring', `u:${secret}@127.0.0.1:1:1`],
    (secret) => [
      'warm',
      '--keys',
      '-',
      '--pattern',
      'p:{id}',
      '--fetch',
      'SELECT 1',
      '--ttl',
      '1m',
      '--redis',
      'redis://127.0.0.1:1',
      '--pg',
      `app:${secret}@127.0.0.1:1/db`,
    ],
    (secret) => [
      'warm',
      '--keys',
      '-',
      '--pattern',
      'p:{id}',
      '--fetch',
      'SELECT 1',
      '--ttl',
      '1m',
      '--redis',
      'redis://127.0.0.1:1',
      '--pg',
      `host=127.0.0.1 port=1 user=app password=${secret} dbname=x`,
    ],
    (secret) => ['inspect', 'nodes', '-h', '127.0.0.1', '-p', '1', '-a', secret],
    (secret) => ['herd', '--url', `http://user:${secret}@127.0.0.1:1/products/1`, '--invalidate', 'product:1', '--redis', 'redis://127.0.0.1:1'],
    (secret) => ['herd', '--url', `http://user:${secret}@127.0.0.1:1/products/1`, '--invalidate', 'product:1', '--redis', 'redis://127.0.0.1:1', '--json'],
    (secret) => ['herd', '--url', `http://user:${secret}@[nope/products/1`, '--invalidate', 'product:1'],
  ];
  for (const [i, argsOf] of runs.entries()) {
    const secret = secretOf(i);
    const args = argsOf(secret);
    const r = await runCli(args, { stdin: 'p:1\n' });
    assert.notEqual(r.code, 70, `${args.join(' ')}: ${r.stderr}`);
    assert.notEqual(r.code, 0, args.join(' '));
    assert.ok(!(r.stderr + r.stdout).includes(secret), `${args.join(' ')} printed the password: ${r.stderr}${r.stdout}`);
    assert.doesNotMatch(r.stderr, /\n\s+at /);
  }
});

test('libpq keyword/value strings are accepted for --pg and DATABASE_URL', () => {
  assert.equal(pgUrlFromConninfo('host=db1 port=5433 dbname=shop user=app', '--pg'), 'postgres://app@db1:5433/shop');
  assert.equal(
    pgUrlFromConninfo("host=/var/run/postgresql dbname=shop user=app password='it\\'s x'", '--pg'),
    "postgres://app:it's%20x@/shop?host=%2Fvar%2Frun%2Fpostgresql",
  );
  assert.equal(pgUrlFromConninfo('postgresql://app@db1/shop', '--pg'), 'postgresql://app@db1/shop');
  assert.equal(pgUrlFromConninfo('host=db1 dbname=shop sslmode=require', '--pg'), 'postgres://db1/shop?sslmode=require');
  assert.throws(() => pgUrlFromConninfo('host=db1 frobnicate=1', '--pg'), /libpq keyword 'frobnicate' is not supported/);
  assert.throws(() => pgUrlFromConninfo('db1:5432', '--pg'), /neither a postgres:\/\/ URL nor a libpq string/);
});

const rings: RingLoaders = {
  fromServers: (text) => ({ compat: 'twemproxy', servers: parseRingServers(text), hash: 'fnv1a_64', source: '--ring' }),
  fromConfigFile: (file) => ({ compat: 'twemproxy', servers: parseRingServers('10.0.0.1:6379:1'), hash: 'fnv1a_64', source: `${file} (pool p)` }),
};

test('topology precedence: flags, then CACHECTL_CLUSTER, CACHECTL_RING, CACHECTL_RING_CONFIG, REDIS_URL, then the default; each target says where it came from', () => {
  const env = { CACHECTL_CLUSTER: '10.0.1.1:7000', CACHECTL_RING_CONFIG: '/etc/n.yml', REDIS_URL: 'redis://10.0.2.2:6379' };
  const fromEnv = resolveRedisTarget({}, env, rings);
  assert.equal(fromEnv.kind, 'cluster');
  assert.equal(fromEnv.source, 'CACHECTL_CLUSTER (also set, not used: CACHECTL_RING_CONFIG, REDIS_URL)');
  const flag = resolveRedisTarget({ redis: '10.0.3.3:6380' }, env, rings);
  assert.deepEqual([flag.kind, flag.source, flag.kind === 'single' && flag.url], ['single', '--redis', 'redis://10.0.3.3:6380']);
  const ring = resolveRedisTarget({}, { CACHECTL_RING_CONFIG: '/etc/n.yml', REDIS_URL: 'redis://10.0.2.2' }, rings);
  assert.deepEqual([ring.kind, ring.source], ['ring', 'CACHECTL_RING_CONFIG (also set, not used: REDIS_URL)']);
  const url = resolveRedisTarget({}, { REDIS_URL: 'redis://10.0.2.2:6390/1' }, rings);
  assert.deepEqual([url.kind, url.source, url.auth.db], ['single', 'REDIS_URL', 1]);
  const dflt = resolveRedisTarget({}, {}, rings);
  assert.equal(dflt.kind === 'single' && dflt.url, 'redis://127.0.0.1:6379');
  assert.match(dflt.source ?? '', /^default/);
  const cli = resolveRedisTarget({ host: '10.0.4.4', port: '6381', pass: 'pw-from-a', db: '3' }, env, rings);
  assert.deepEqual([cli.kind, cli.source, cli.auth.password, cli.auth.db], ['single', '-h/-p', 'pw-from-a', 3]);
  assert.throws(() => resolveRedisTarget({ host: 'h', redis: 'redis://x' }, {}, rings), /choose one topology: --redis and -h were both given/);
  assert.throws(() => resolveRedisTarget({ cluster: 'h:1', db: '2' }, {}, rings), /-n\/--db: a database number applies to one node/);
  assert.throws(() => resolveRedisTarget({ cert: 'c.pem' }, {}, rings), /--cert: a client certificate needs both --cert and --tls-key/);
  const tls = resolveRedisTarget({ redis: 'h:6379', cacert: 'ca.pem', sni: 'cache.example.com' }, {}, rings);
  assert.deepEqual([tls.auth.tls, tls.auth.tlsSettings], [true, { caFile: 'ca.pem', servername: 'cache.example.com' }]);
});

test("authOf: one node's endpoint credentials, database and TLS over the shared ones; a cluster or ring has the shared ones; the write connections use the same", () => {
  const endpoint = { host: '10.0.5.5', port: 6380, db: 4, tls: true, username: 'app', password: 'from-url' };
  const handBuilt: RedisTarget = { kind: 'single', url: 'rediss://10.0.5.5:6380/4', endpoint, auth: { password: 'from-flag' } };
  assert.deepEqual(authOf(handBuilt), { username: 'app', password: 'from-url', db: 4, tls: true });
  assert.deepEqual(respAuthFor(handBuilt), { username: 'app', password: 'from-url', db: 4, tls: true });
  const cluster = resolveRedisTarget({ cluster: '10.0.1.1:7000', redisPassword: 'shared' }, {}, rings);
  assert.equal(authOf(cluster), cluster.auth);
  const resolved = resolveRedisTarget({ redis: 'redis://u:pw@10.0.2.2:6390/2' }, {}, rings);
  assert.deepEqual([authOf(resolved).username, authOf(resolved).password, authOf(resolved).db], ['u', 'pw', 2]);
});

test("redis-cli's -h HOST becomes --host (a lone -h is still help); the topology line names it", async () => {
  const help = await runCli(['inspect', 'nodes', '-h']);
  assert.equal(help.code, 0);
  assert.match(help.stdout, /Usage: cachectl inspect nodes/);
  const r = await runCli(['inspect', 'nodes', '-h', '127.0.0.1', '-p', '1', '-n', '2']);
  assert.equal(r.code, 3, r.stderr);
  assert.match(r.stderr, /^cachectl: topology: Redis node 127\.0\.0\.1:1, db 2 \(from -h\/-p\)$/m);
  const bad = await runCli(['inspect', 'nodes', '-p', '99999']);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /^cachectl: -p: '99999' is not a port/);
});

test("psql's -U and -d: one line with the --pg spelling, exit 2, before anything connects; the value (maybe a connection string) is not echoed; completion does not offer them", async () => {
  for (const args of [
    ['warm', '--query', 'SELECT 1 AS key, 1 AS value', '--ttl', '1h', '-U', 'app'],
    ['warm', '--query', 'SELECT 1 AS key, 1 AS value', '--ttl', '1h', '--dbname=shop'],
    ['inspect', 'drift', 'catalog.yml', '-d', 'postgres://app:Zq9-psql-Pw@db1/shop'],
    ['herd', '--key', 'product:1', '-U', 'app', '-d', 'shop'],
    ['sandbox', 'up', '-d', 'shop'],
  ]) {
    const r = await runCli(args, { env: {} });
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    oneLine(r);
    assert.match(r.stderr, /^cachectl: (-U\/--username|-d\/--dbname) is psql's spelling; cachectl takes PostgreSQL as one --pg: /, args.join(' '));
    assert.doesNotMatch(r.stderr, /topology|Zq9-psql-Pw/);
  }
  const bash = await runCli(['completion', 'bash']);
  assert.doesNotMatch(bash.stdout, /--dbname|--username/);
});

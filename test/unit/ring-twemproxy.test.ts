/** The twemproxy profile's pieces: point names, weight arithmetic, hash tags, lookup, arcs, ejection, config parsing. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRingTopology, parseRingServers, ringSpecFromTwemproxyYaml, ringWithoutEjected, type RingSpec } from '../../src/topology/ring/index.js';
import { ketamaPointsPerServer, twemproxyName, twemproxyPoints } from '../../src/topology/ring/ketama.js';
import { Continuum } from '../../src/topology/ring/continuum.js';
import { md5Words } from '../../src/topology/ring/md5.js';
import { CachectlError, RingConfigError, UsageError, redact } from '../../src/errors.js';

const spec = (servers: string, extra: Partial<RingSpec> = {}): RingSpec => ({
  compat: 'twemproxy',
  servers: parseRingServers(servers),
  hash: 'fnv1a_64',
  ...extra,
});

test('points per server: 160 at equal weight for any count; single-precision rounding as in nc_ketama.c', () => {
  for (let n = 1; n <= 12; n++) assert.equal(ketamaPointsPerServer(1, n, n), 160, `${n} servers`);
  // 6/25 * 160 / 4 * 5 is 48 exactly, but float arithmetic gives 47.99999 -> 47 hashes -> 188 points.
  assert.equal(ketamaPointsPerServer(6, 25, 5), 188);
  assert.equal(Math.floor((((6 / 25) * 160) / 4) * 5 + 1e-10) * 4, 192, 'double arithmetic would say 192');
  const ring = createRingTopology(spec('h1:1:7,h2:1:6,h3:1:5,h4:1:4,h5:1:3'));
  assert.deepEqual(
    ring.pointCounts(),
    [7, 6, 5, 4, 3].map((w) => ketamaPointsPerServer(w, 25, 5)),
  );
});

test('point names: the server name, else host:port, else host alone for port 11211', () => {
  assert.equal(twemproxyName({ host: '10.0.0.1', port: 6379, weight: 1 }), '10.0.0.1:6379');
  assert.equal(twemproxyName({ host: '10.0.0.1', port: 11211, weight: 1 }), '10.0.0.1');
  assert.equal(twemproxyName({ host: '10.0.0.1', port: 6379, weight: 1, name: 'cache-1' }), 'cache-1');
  const points = twemproxyPoints([{ host: 'h', port: 1, weight: 1, name: 'server1' }], [0]);
  const first = md5Words(new TextEncoder().encode('server1-0'), 0, 9);
  assert.deepEqual(
    points.slice(0, 4).map((p) => p.value),
    [...first],
    'md5("server1-0") gives the first 4 points, alignment 0..3',
  );
  // Renaming a server moves its keys; moving a named server to a new address does not.
  const keys = Array.from({ length: 500 }, (_, i) => `k${i}`);
  const a = createRingTopology(spec('10.0.0.1:6379 a,10.0.0.2:6379 b'));
  const moved = createRingTopology(spec('10.0.0.9:6379 a,10.0.0.2:6379 b'));
  assert.ok(keys.every((k) => a.nodeIndexOf(k) === moved.nodeIndexOf(k)));
});

test('lookup: the first point >= hash, wrapping past the last point; equal points go to the first in order', () => {
  const c = new Continuum([
    { value: 100, owner: 0, order: 0 },
    { value: 200, owner: 1, order: 1 },
    { value: 200, owner: 2, order: 2 },
    { value: 300, owner: 2, order: 3 },
  ]);
  assert.equal(c.ownerOf(0), 0);
  assert.equal(c.ownerOf(100), 0);
  assert.equal(c.ownerOf(101), 1);
  assert.equal(c.ownerOf(200), 1);
  assert.equal(c.ownerOf(300), 2);
  assert.equal(c.ownerOf(301), 0);
  assert.equal(c.ownerOf(0xffffffff), 0);
  const arcs = c.arcs();
  assert.deepEqual(arcs.bounds, [101n, 201n, 301n, 1n << 32n]);
  assert.deepEqual(arcs.owners, [0, 1, 2, 0]);
});

test('arcs are exact: every arc boundary is owned as the lookup says, and shares sum to 1', () => {
  const ring = createRingTopology(spec('10.0.0.1:6379:1,10.0.0.2:6379:3,10.0.0.3:6379:2'));
  const c = new Continuum(twemproxyPoints(ring.spec.servers, [0, 1, 2]));
  const arcs = ring.arcs();
  let start = 0n;
  arcs.bounds.forEach((end, i) => {
    assert.equal(c.ownerOf(Number(start)), arcs.owners[i]);
    assert.equal(c.ownerOf(Number(end - 1n)), arcs.owners[i]);
    start = end;
  });
  assert.ok(Math.abs(ring.arcShares().reduce((a, b) => a + b, 0) - 1) < 1e-12);
});

test("hash_tag: only the text between the tags is hashed; a missing or empty tag means the whole key (twemproxy's rule)", () => {
  const tagged = createRingTopology(spec('a:1,b:2,c:3,d:4,e:5', { hashTag: '{}' }));
  const plain = createRingTopology(spec('a:1,b:2,c:3,d:4,e:5'));
  for (let i = 0; i < 200; i++) {
    assert.equal(tagged.nodeIndexOf(`user:{t${i}}:profile`), plain.nodeIndexOf(`t${i}`));
    assert.equal(tagged.nodeIndexOf(`{t${i}}`), plain.nodeIndexOf(`t${i}`));
    assert.equal(tagged.nodeIndexOf(`{}:empty:${i}`), plain.nodeIndexOf(`{}:empty:${i}`), 'empty tag');
    assert.equal(tagged.nodeIndexOf(`{open:${i}`), plain.nodeIndexOf(`{open:${i}`), 'unclosed tag');
    assert.equal(tagged.nodeIndexOf(`a{{x${i}}}`), plain.nodeIndexOf(`{x${i}`), 'first open, then the first close after it');
  }
});

test('one server or an empty key hashes to 0, as server_pool_idx does', () => {
  const one = createRingTopology(spec('10.0.0.1:6379'));
  assert.equal(one.nodeIndexOf('anything'), 0);
  assert.equal(one.describe('anything').hash, 0);
  const three = createRingTopology(spec('a:1,b:2,c:3'));
  assert.equal(three.describe('').hash, 0);
});

test('auto_eject_hosts: the ring without a down server is the ring rebuilt from the live ones, node indexes kept', () => {
  const full = createRingTopology(spec('10.0.0.1:6379:1 a,10.0.0.2:6379:2 b,10.0.0.3:6379:1 c,10.0.0.4:6379:3 d'));
  const ejected = ringWithoutEjected(full, [1]);
  const rebuilt = createRingTopology(spec('10.0.0.1:6379:1 a,10.0.0.3:6379:1 c,10.0.0.4:6379:3 d'));
  assert.equal(ejected.nodes.length, 4);
  assert.deepEqual(ejected.live, [0, 2, 3]);
  assert.equal(ejected.pointCounts()[1], 0);
  for (let i = 0; i < 3000; i++) {
    const key = `product:${i}`;
    assert.equal(ejected.nodes[ejected.nodeIndexOf(key)]!.name, rebuilt.nodes[rebuilt.nodeIndexOf(key)]!.name);
  }
  const again = ringWithoutEjected(ejected, [3]);
  assert.deepEqual(again.live, [0, 2], 'ejections accumulate');
  assert.throws(() => ringWithoutEjected(full, [0, 1, 2, 3]), UsageError);
});

test('server lines: weights default to 1, names are kept; each mistake names the entry and the fix', () => {
  assert.deepEqual(parseRingServers(' 10.0.0.1:6379 , cache.local:7000:3 big ,'), [
    { host: '10.0.0.1', port: 6379, weight: 1 },
    { host: 'cache.local', port: 7000, weight: 3, name: 'big' },
  ]);
  const cases: [string, RegExp][] = [
    ['10.0.0.1', /'10\.0\.0\.1' is not host:port.*add the port/],
    ['10.0.0.1:0', /port '0'/],
    ['10.0.0.1:70000', /port '70000'/],
    ['10.0.0.1:06379', /without leading zeros/],
    ['10.0.0.1:6379:x', /weight 'x'/],
    ['10.0.0.1:6379:0', /weight '0'/],
    ['10.0.0.1:6379:1 a b', /more than one name/],
    ['/tmp/redis.sock:1', /unix socket/],
    ['[::1]:6379', /IPv6/],
    ['10.0.0.1:6379,10.0.0.1:6379', /listed twice/],
    ['10.0.0.1:6379 a,10.0.0.2:6379 a', /two servers are named 'a'/],
    ['', /no servers given/],
  ];
  for (const [text, message] of cases) {
    assert.throws(
      () => parseRingServers(text),
      (e: unknown) => e instanceof UsageError && e.exitCode === 2 && message.test(e.message) && e.message.startsWith('--ring: '),
      text,
    );
  }
});

test('a twemproxy YAML pool becomes a ring spec: servers, hash, hash_tag, ejection settings', () => {
  const yaml = [
    'alpha:',
    '  listen: 127.0.0.1:22121',
    '  hash: murmur',
    '  hash_tag: "{}"',
    '  distribution: ketama',
    '  auto_eject_hosts: true',
    '  server_failure_limit: 3',
    '  redis: true',
    '  servers:',
    '   - 10.0.0.1:6379:1 one',
    '   - 10.0.0.2:6379:2',
    '',
  ].join('\n');
  assert.deepEqual(ringSpecFromTwemproxyYaml(yaml, 'n.yml'), {
    compat: 'twemproxy',
    servers: [
      { host: '10.0.0.1', port: 6379, weight: 1, name: 'one' },
      { host: '10.0.0.2', port: 6379, weight: 2 },
    ],
    hash: 'murmur',
    hashTag: '{}',
    autoEjectHosts: true,
    serverFailureLimit: 3,
    source: 'n.yml (pool alpha)',
    pool: { serverRetryTimeoutMs: 30_000, notes: [] },
  });
  const defaults = ringSpecFromTwemproxyYaml('p:\n  servers:\n   - h:1:1\n', 'd.yml');
  assert.equal(defaults.hash, 'fnv1a_64');
  assert.equal(defaults.autoEjectHosts, false);
  assert.equal(defaults.serverFailureLimit, 2);
});

test('pool connection settings are read as nutcracker 0.5 reads them: redis_db, redis_auth (the two together: db 0), timeout, server_retry_timeout, memcached', () => {
  const pool = (lines: string[]) =>
    ringSpecFromTwemproxyYaml(['p:', '  listen: 127.0.0.1:1', ...lines, '  servers:', '   - h:1:1', ''].join('\n'), 'f.yml').pool;
  assert.deepEqual(pool(['  redis: true', '  redis_db: 4', '  timeout: 400', '  server_retry_timeout: 2000']), {
    db: 4,
    timeoutMs: 400,
    serverRetryTimeoutMs: 2000,
    notes: [],
  });
  assert.deepEqual(pool(['  redis: true', '  redis_auth: s3cr3t-pw']), { password: 's3cr3t-pw', serverRetryTimeoutMs: 30_000, notes: [] });
  const both = pool(['  redis: true', '  redis_auth: s3cr3t-pw', '  redis_db: 5']);
  assert.equal(both?.db, 0);
  assert.match(both?.notes?.[0] ?? '', /^redis_db: 5 \(line 5\) is not applied by nutcracker 0\.5 when redis_auth is set/);
  assert.equal(redact('AUTH s3cr3t-pw failed'), 'AUTH *** failed', 'redis_auth is registered as a secret');
  assert.match(pool(['  hash: md5'])?.refusal ?? '', /^f\.yml:1: this pool speaks memcached/);
  assert.match(pool(['  redis: false'])?.refusal ?? '', /^f\.yml:3: this pool speaks memcached/);
});

test('twemproxy YAML mistakes are exit 3 with file:line and what to change', () => {
  const cases: [string, RegExp][] = [
    ['p:\n  servers: [\n', /^f\.yml:\d+: not valid YAML/],
    ['- a\n- b\n', /^f\.yml:1: expected a twemproxy configuration/],
    ['p:\n  hash: sha1\n  servers:\n   - h:1:1\n', /^f\.yml:2: hash: 'sha1' is not a twemproxy hash/],
    ['p:\n  distribution: random\n  servers:\n   - h:1:1\n', /^f\.yml:2: distribution: 'random' is not supported/],
    ['p:\n  hash_tag: "{"\n  servers:\n   - h:1:1\n', /^f\.yml:2: hash_tag: must be a quoted two-character string/],
    ['p:\n  listen: 1\n', /^f\.yml:1: pool 'p' has no servers/],
    ['p:\n  servers:\n   - h:1:1\n   - h:2\n', /^f\.yml:4: servers: 'h:2' has no weight; twemproxy requires host:port:weight/],
    ['p:\n  servers:\n   - h:1:1 a\n   - h:2:1 a\n', /^f\.yml:2: servers: two servers are named 'a'/],
    ['p:\n  auto_eject_hosts: maybe\n  servers:\n   - h:1:1\n', /^f\.yml:2: auto_eject_hosts: must be true or false/],
    ['p:\n  redis: true\n  redis_db: two\n  servers:\n   - h:1:1\n', /^f\.yml:3: redis_db: must be a database number/],
    ['p:\n  redis: true\n  timeout: soon\n  servers:\n   - h:1:1\n', /^f\.yml:3: timeout: must be a whole number of milliseconds/],
    ['p:\n  redis: true\n  server_retry_timeout: -5\n  servers:\n   - h:1:1\n', /^f\.yml:3: server_retry_timeout: must be a whole number/],
    ['p:\n  redis: true\n  redis_auth:\n  servers:\n   - h:1:1\n', /^f\.yml:3: redis_auth: must be the servers' password/],
    ['p:\n  redis: true\n  sentinels: []\n  servers:\n   - h:1:1\n', /^f\.yml:3: 'sentinels' is not a twemproxy pool setting/],
  ];
  for (const [yaml, message] of cases) {
    assert.throws(
      () => ringSpecFromTwemproxyYaml(yaml, 'f.yml'),
      (e: unknown) => e instanceof RingConfigError && (e as CachectlError).exitCode === 3 && message.test(e.message),
      yaml,
    );
  }
});

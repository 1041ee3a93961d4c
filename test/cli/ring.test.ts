/** `cachectl ring` in-process: output formats, exit codes, and agreement with the library. */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { runCli } from '../harness/cli.js';
import { startCluster, type RedisCluster } from '../harness/redis.js';
import { createRingTopology, parseRingServers } from '../../src/topology/ring/index.js';

const require = createRequire(import.meta.url);
const HashRing = require('hashring') as new (
  servers: Record<string, number>,
  algorithm?: string,
  options?: Record<string, unknown>,
) => { get(key: string): string };

const SERVERS = '10.0.0.1:6379,10.0.0.2:6379:2,10.0.0.3:6380 cache-c';
const KEYS = ['product:1', 'user:{acme}:7', 'é', 'category:shoes', ...Array.from({ length: 40 }, (_, i) => `k${i}`)];

let dir: string;
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'cachectl-ring-cli-'));
  writeFileSync(
    join(dir, 'nutcracker.yml'),
    [
      'alpha:',
      '  listen: 127.0.0.1:22121',
      '  hash: murmur',
      '  hash_tag: "{}"',
      '  distribution: ketama',
      '  servers:',
      '   - 10.0.0.1:6379:1 one',
      '   - 10.0.0.2:6379:1 two',
      '   - 10.0.0.3:6379:1 three',
      '',
    ].join('\n'),
  );
  writeFileSync(join(dir, 'two-pools.yml'), 'a:\n  servers:\n   - 10.0.0.1:6379:1\nb:\n  servers:\n   - 10.0.0.2:6379:1\n');
  writeFileSync(join(dir, 'broken.yml'), 'alpha:\n  servers:\n   - 10.0.0.1:6379:1\n  hash: [fnv1a_64\n');
  writeFileSync(join(dir, 'bad-server.yml'), 'alpha:\n  hash: fnv1a_64\n  servers:\n   - 10.0.0.1:6379:1\n   - 10.0.0.2:notaport:1\n');
  writeFileSync(join(dir, 'modula.yml'), 'alpha:\n  distribution: modula\n  servers:\n   - 10.0.0.1:6379:1\n');
  writeFileSync(join(dir, 'keys.txt'), Array.from({ length: 3000 }, (_, i) => `product:${i}`).join('\n') + '\n');
});
after(() => rmSync(dir, { recursive: true, force: true }));

describe('ring locate', () => {
  test('prints key<TAB>node per key, in order, as the ring library places them', async () => {
    const r = await runCli(['ring', 'locate', ...KEYS, '--ring', SERVERS]);
    assert.equal(r.code, 0, r.stderr);
    const ring = createRingTopology({ compat: 'twemproxy', servers: parseRingServers(SERVERS), hash: 'fnv1a_64' });
    const expected = KEYS.map((k) => `${k}\t${ring.nodes[ring.nodeIndexOf(k)]!.name}`).join('\n') + '\n';
    assert.equal(r.stdout, expected);
    assert.match(r.stdout, /\tcache-c\n/, 'named servers print their name');
  });

  test("'-' reads keys from stdin, one per line, and --json prints an array of {key, node}", async () => {
    const r = await runCli(['ring', 'locate', '-', '--json', '--ring-config', join(dir, 'nutcracker.yml')], { stdin: 'x:{t1}:1\nx:{t1}:2\nother\n' });
    assert.equal(r.code, 0, r.stderr);
    const rows = JSON.parse(r.stdout) as { key: string; node: string }[];
    assert.deepEqual(
      rows.map((x) => x.key),
      ['x:{t1}:1', 'x:{t1}:2', 'other'],
    );
    assert.ok(rows.every((x) => ['one', 'two', 'three'].includes(x.node) && Object.keys(x).length === 2));
    assert.equal(rows[0]!.node, rows[1]!.node, 'same hash tag, same node');
  });

  test('--json with no keys on stdin is an empty array', async () => {
    const r = await runCli(['ring', 'locate', '-', '--json', '--ring', SERVERS], { stdin: '' });
    assert.equal(r.code, 0);
    assert.deepEqual(JSON.parse(r.stdout), []);
  });

  test('--ring-compat hashring and hashring:hash_ring agree with the npm hashring package', async () => {
    const servers = { '10.0.0.1:6379': 1, '10.0.0.2:6379': 2, '10.0.0.3:6380': 1 };
    const keys = Array.from({ length: 200 }, (_, i) => `k${i}`);
    for (const [compat, options] of [
      ['hashring', {}],
      ['hashring:hash_ring', { compatibility: 'hash_ring' }],
    ] as const) {
      const r = await runCli(['ring', 'locate', '-', '--ring', '10.0.0.1:6379,10.0.0.2:6379:2,10.0.0.3:6380', '--ring-compat', compat], {
        stdin: keys.join('\n'),
      });
      assert.equal(r.code, 0, r.stderr);
      const theirs = new HashRing(servers, 'md5', options);
      assert.equal(r.stdout, keys.map((k) => `${k}\t${theirs.get(k)}\n`).join(''), compat);
    }
  });

  test('a bad server line is exit 2 and names the entry and what to change', async () => {
    const r = await runCli(['ring', 'locate', 'k', '--ring', '10.0.0.1:6379,10.0.0.2']);
    assert.equal(r.code, 2);
    assert.equal(r.stderr, "cachectl: --ring: '10.0.0.2' is not host:port[:weight] [name]; add the port, e.g. 127.0.0.1:6379\n");
    const weight = await runCli(['ring', 'locate', 'k', '--ring', '10.0.0.1:6379:0']);
    assert.equal(weight.code, 2);
    assert.match(weight.stderr, /weight '0'.*whole number/);
  });

  test('a ring file that does not parse is exit 3 with file:line; a missing one is exit 3 too', async () => {
    const broken = await runCli(['ring', 'locate', 'k', '--ring-config', join(dir, 'broken.yml')]);
    assert.equal(broken.code, 3);
    assert.match(broken.stderr, /broken\.yml:\d+: not valid YAML/);
    const server = await runCli(['ring', 'locate', 'k', '--ring-config', join(dir, 'bad-server.yml')]);
    assert.equal(server.code, 3);
    assert.match(server.stderr, /bad-server\.yml:5: servers: '10\.0\.0\.2:notaport:1' has port 'notaport'/);
    const modula = await runCli(['ring', 'locate', 'k', '--ring-config', join(dir, 'modula.yml')]);
    assert.equal(modula.code, 3);
    assert.match(modula.stderr, /modula\.yml:2: distribution: 'modula' is not supported/);
    const missing = await runCli(['ring', 'locate', 'k', '--ring-config', join(dir, 'nope.yml')]);
    assert.equal(missing.code, 3);
    assert.match(missing.stderr, /nope\.yml: cannot read the ring configuration \(ENOENT\)/);
    assert.equal(broken.stderr.split('\n').length, 2, 'one line, no stack trace');
  });

  test('several pools need --ring-pool (exit 2, pools listed); --ring-pool picks one', async () => {
    const ambiguous = await runCli(['ring', 'locate', 'k', '--ring-config', join(dir, 'two-pools.yml')]);
    assert.equal(ambiguous.code, 2);
    assert.match(ambiguous.stderr, /2 pools \(a, b\); choose one with --ring-pool/);
    const chosen = await runCli(['ring', 'locate', 'k', '--ring-config', join(dir, 'two-pools.yml'), '--ring-pool', 'b']);
    assert.equal(chosen.stdout, 'k\t10.0.0.2:6379\n');
    const unknown = await runCli(['ring', 'locate', 'k', '--ring-config', join(dir, 'two-pools.yml'), '--ring-pool', 'c']);
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /no pool 'c' \(pools: a, b\)/);
  });

  test('flags that do not fit the profile are usage errors', async () => {
    const hash = await runCli(['ring', 'locate', 'k', '--ring', SERVERS, '--ring-compat', 'simple', '--ring-hash', 'md5']);
    assert.equal(hash.code, 2);
    assert.match(hash.stderr, /--ring-hash: the simple profile always hashes keys with md5/);
    const unknownHash = await runCli(['ring', 'locate', 'k', '--ring', SERVERS, '--ring-hash', 'sha1']);
    assert.equal(unknownHash.code, 2);
    assert.match(unknownHash.stderr, /'sha1' is not a twemproxy hash/);
    const weights = await runCli(['ring', 'locate', 'k', '--ring', SERVERS, '--ring-compat', 'simple']);
    assert.equal(weights.code, 2);
    assert.match(weights.stderr, /simple ring has no weights/);
  });
});

describe('ring with --redis (one node)', () => {
  test('locate and stats need no connection: the one node owns every key', async () => {
    const r = await runCli(['ring', 'locate', 'a', 'b', '--redis', 'redis://127.0.0.1:1']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'a\t127.0.0.1:1\nb\t127.0.0.1:1\n');
    const s = JSON.parse((await runCli(['ring', 'stats', '--json', '--redis', 'redis://127.0.0.1:1'])).stdout) as { basis: string; nodes: { share: number }[] };
    assert.equal(s.basis, 'single');
    assert.deepEqual(
      s.nodes.map((n) => n.share),
      [1],
    );
  });
});

describe('ring stats', () => {
  test('exact arc shares sum to 1, with the coefficient of variation and max/mean', async () => {
    const r = await runCli(['ring', 'stats', '--json', '--ring', '10.0.0.1:6379,10.0.0.2:6379,10.0.0.3:6379']);
    assert.equal(r.code, 0, r.stderr);
    const s = JSON.parse(r.stdout) as { basis: string; cv: number; maxOverMean: number; nodes: { node: string; share: number; count: number }[] };
    assert.equal(s.basis, 'arcs');
    assert.ok(Math.abs(s.nodes.reduce((a, n) => a + n.share, 0) - 1) < 1e-12);
    assert.deepEqual(
      s.nodes.map((n) => n.count),
      [160, 160, 160],
    );
    const mean = 1 / 3;
    const sd = Math.sqrt(s.nodes.reduce((a, n) => a + (n.share - mean) ** 2, 0) / 3);
    assert.ok(Math.abs(s.cv - sd / mean) < 1e-12);
    assert.ok(Math.abs(s.maxOverMean - Math.max(...s.nodes.map((n) => n.share)) / mean) < 1e-12);
    const text = await runCli(['ring', 'stats', '--ring', '10.0.0.1:6379,10.0.0.2:6379,10.0.0.3:6379']);
    assert.match(text.stdout, /share of the hash space \(exact\)/);
    assert.match(text.stdout, /coefficient of variation 0\.\d{4}\s+max\/mean 1\.\d{3}/);
  });

  test('--keys FILE counts the given keys per node', async () => {
    const r = await runCli(['ring', 'stats', '--json', '--keys', join(dir, 'keys.txt'), '--ring', SERVERS]);
    assert.equal(r.code, 0, r.stderr);
    const s = JSON.parse(r.stdout) as { basis: string; keys: number; nodes: { node: string; count: number }[] };
    assert.equal(s.basis, 'keys');
    assert.equal(s.keys, 3000);
    const ring = createRingTopology({ compat: 'twemproxy', servers: parseRingServers(SERVERS), hash: 'fnv1a_64' });
    const counts = [0, 0, 0];
    for (let i = 0; i < 3000; i++) counts[ring.nodeIndexOf(`product:${i}`)]!++;
    assert.deepEqual(
      s.nodes.map((n) => n.count),
      counts,
    );
  });
});

describe('ring diff', () => {
  const equal = '10.0.0.1:6379 a,10.0.0.2:6379 b,10.0.0.3:6379 c';

  test("--remove with equal weights moves exactly the removed server's arc, all of it away from that server", async () => {
    const stats = JSON.parse((await runCli(['ring', 'stats', '--json', '--ring', equal])).stdout) as { nodes: { node: string; share: number }[] };
    const r = await runCli(['ring', 'diff', '--json', '--remove', 'b', '--ring', equal]);
    assert.equal(r.code, 0, r.stderr);
    const d = JSON.parse(r.stdout) as { moved: number; moves: { from: string; to: string; share: number }[] };
    assert.ok(Math.abs(d.moved - stats.nodes.find((n) => n.node === 'b')!.share) < 1e-12);
    assert.ok(d.moves.every((m) => m.from === 'b'));
    assert.deepEqual(new Set(d.moves.map((m) => m.to)), new Set(['a', 'c']));
  });

  test('--add moves only keys to the new server; --keys counts real keys and agrees with locating before and after', async () => {
    const r = await runCli(['ring', 'diff', '--json', '--add', '10.0.0.4:6379 d', '--ring', equal]);
    const d = JSON.parse(r.stdout) as { moved: number; moves: { from: string; to: string }[] };
    assert.ok(d.moved > 0.15 && d.moved < 0.35, `moved ${d.moved}`);
    assert.ok(d.moves.every((m) => m.to === 'd'));
    const k = await runCli(['ring', 'diff', '--json', '--add', '10.0.0.4:6379 d', '--keys', join(dir, 'keys.txt'), '--ring', equal]);
    const kd = JSON.parse(k.stdout) as { keys: number; movedKeys: number; moves: { keys: number }[] };
    const before = createRingTopology({ compat: 'twemproxy', servers: parseRingServers(equal), hash: 'fnv1a_64' });
    const afterRing = createRingTopology({ compat: 'twemproxy', servers: parseRingServers(equal + ',10.0.0.4:6379 d'), hash: 'fnv1a_64' });
    let moved = 0;
    for (let i = 0; i < 3000; i++)
      if (before.nodes[before.nodeIndexOf(`product:${i}`)]!.name !== afterRing.nodes[afterRing.nodeIndexOf(`product:${i}`)]!.name) moved++;
    assert.equal(kd.keys, 3000);
    assert.equal(kd.movedKeys, moved);
    assert.equal(
      kd.moves.reduce((a, m) => a + m.keys, 0),
      moved,
    );
    const text = await runCli(['ring', 'diff', '--add', '10.0.0.4:6379 d', '--ring', equal]);
    assert.match(text.stdout, /^add 10\.0\.0\.4:6379 d: \d+\.\d\d% of the hash space changes node\nfrom \\ to\s+d\n(\w\s+\d+\.\d\d%\n){3}$/);
  });

  test('bad diff input is exit 2', async () => {
    for (const args of [
      ['--ring', equal],
      ['--ring', equal, '--add', '10.0.0.9:1', '--remove', 'a'],
      ['--ring', equal, '--remove', 'zz'],
      ['--ring', equal, '--add', '10.0.0.1:6379'],
      ['--redis', 'redis://127.0.0.1:6379', '--remove', 'a'],
    ]) {
      const r = await runCli(['ring', 'diff', ...args]);
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.equal(r.stderr.split('\n').length, 2, r.stderr);
    }
  });
});

describe('ring on a live Redis Cluster', () => {
  let cluster: RedisCluster;
  before(async () => {
    cluster = await startCluster(3);
  });
  after(async () => {
    await cluster?.stop();
  });

  test('locate prints the slot and the master that serves it; stats shares the 16384 slots', async () => {
    const keys = ['product:1', 'user:{acme}:7', '{acme}other'];
    const r = await runCli(['ring', 'locate', ...keys, '--cluster', cluster.seeds]);
    assert.equal(r.code, 0, r.stderr);
    const client = cluster.masters[0]!.client();
    const lines = r.stdout
      .trim()
      .split('\n')
      .map((l) => l.split('\t'));
    for (const [i, [key, node, slot]] of lines.entries()) {
      assert.equal(key, keys[i]);
      assert.equal(Number(slot), Number(await client.call('CLUSTER', 'KEYSLOT', key!)));
      const owner = cluster.masters.find((m) => m.address === node)!;
      assert.ok(owner, `${node} is a master`);
      assert.equal(await owner.client().set(key!, 'v'), 'OK', 'the named master accepts the key without MOVED');
    }
    const s = JSON.parse((await runCli(['ring', 'stats', '--json', '--cluster', cluster.seeds])).stdout) as { basis: string; nodes: { count: number }[] };
    assert.equal(s.basis, 'slots');
    assert.equal(
      s.nodes.reduce((a, n) => a + n.count, 0),
      16384,
    );
  });
});

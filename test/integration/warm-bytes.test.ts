/**
 * The byte path: a streamed warm never makes its keys and values strings on the way from
 * PostgreSQL to Redis (offsets into the COPY chunks, slots and ring points hashed over bytes,
 * bytes copied into the pipeline), and a key-list warm keeps its values as the driver gives them.
 * Whatever the path, every value must arrive byte for byte on the node that owns its key:
 * multi-byte UTF-8 in keys and values, text with control characters and RESP framing in it,
 * empty and NULL values, values over 1 MB (split across many COPY chunks), hash-tagged keys.
 * Checked key by key, as raw bytes, on each owner, for a cluster and a ring.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Redis } from 'ioredis';
import { runCli } from '../harness/cli.js';
import { createTestDatabase, type TestDatabase } from '../harness/postgres.js';
import { startCluster, startRedis, type RedisCluster, type RedisProcess } from '../harness/redis.js';
import { ClusterTopology } from '../../src/topology/cluster.js';
import { createRingTopology, parseRingServers } from '../../src/topology/ring/index.js';
import { nodeFromAddress, type Topology } from '../../src/topology/types.js';
import { tempDir, writeKeyList } from '../harness/warm-helpers.js';

/** Values that a string round trip or a length miscount would damage. */
const VALUES = ['plain', 'ünïcödé € 😀 中文 ключ', '\u0001\u0002\t\r\n\u001b[31m\u007f', '*3\r\n$3\r\nSET\r\n$1\r\nx\r\n$1\r\ny\r\n', '', '😀'.repeat(3000)];
/** Over 1 MB (split over many COPY chunks and socket reads), for a few rows. */
const LARGE = ['€'.repeat(400_000), 'x'.repeat(1_100_000)];
const ROWS = 1200;

function keyOf(id: number): string {
  // Multi-byte keys, and hash tags (the slot is the tag's), in a few of them.
  return id % 7 === 0 ? `doc:{tenant${id % 5}}:ü${id}` : id % 11 === 0 ? `doc:€${id}:😀` : `doc:${id}`;
}

function expectedValue(id: number): string | null {
  if (id % 97 === 0) return null;
  if (id % 300 === 1) return LARGE[(id - 1) % 600 === 0 ? 0 : 1] as string;
  return VALUES[id % VALUES.length] as string;
}

describe('byte-identical values through the byte path (stream and key list, cluster and ring)', () => {
  let db: TestDatabase;
  let cluster: RedisCluster;
  let ring: RedisProcess[];
  let dir: string;
  let clusterClients: Redis[];
  let ringClients: Redis[];
  const ringSpec = () => ring.map((n, i) => `${n.address}:1 byte-${i}`).join(',');

  before(async () => {
    [db, cluster, ...ring] = await Promise.all([createTestDatabase('warm_bytes'), startCluster(3, 0), startRedis(), startRedis(), startRedis()]);
    clusterClients = cluster.masters.map((m) => m.client());
    ringClients = ring.map((n) => n.client());
    await db.pool.query('CREATE TABLE docs (id int PRIMARY KEY, k text NOT NULL, body text)');
    const ids = Array.from({ length: ROWS }, (_, i) => i + 1);
    await db.pool.query('INSERT INTO docs SELECT * FROM unnest($1::int[], $2::text[], $3::text[])', [ids, ids.map(keyOf), ids.map(expectedValue)]);
    dir = tempDir();
  });
  after(async () => {
    await Promise.all([cluster?.stop(), ...(ring ?? []).map((n) => n.stop()), db?.drop()]);
  });

  const clusterTopology = (): Topology => {
    const per = Math.floor(16384 / 3);
    return new ClusterTopology(
      cluster.masters.map((m, i) => ({ start: i * per, end: i === 2 ? 16383 : i * per + per - 1, master: nodeFromAddress('127.0.0.1', m.port), replicas: [] })),
    );
  };

  /** Every row's key on its owner with exactly its bytes (NULL written empty), nowhere else. */
  async function assertBytes(topology: Topology, clients: Redis[]): Promise<void> {
    let total = 0;
    for (let id = 1; id <= ROWS; id++) {
      const key = keyOf(id);
      const owner = topology.nodeIndexOfBytes(Buffer.from(key), 0, Buffer.byteLength(key));
      assert.equal(owner, topology.nodeIndexOf(key));
      const got = await (clients[owner] as Redis).getBuffer(key);
      assert.ok(got, `${key} is missing on its owner`);
      assert.ok(
        got.equals(Buffer.from(expectedValue(id) ?? '', 'utf8')),
        `${key}: ${got.length} bytes, expected ${Buffer.byteLength(expectedValue(id) ?? '')}`,
      );
      const pttl = await (clients[owner] as Redis).pttl(key);
      assert.ok(pttl > 0 && pttl <= 600_000, `${key}: TTL ${pttl}`);
    }
    for (const c of clients) total += await c.dbsize();
    assert.equal(total, ROWS, 'no key on a node that does not own it, none twice');
  }

  const targets = () => [
    { name: 'cluster', flags: ['--cluster', cluster.seeds], clients: clusterClients, topology: clusterTopology() },
    {
      name: 'ring',
      flags: ['--ring', ringSpec()],
      clients: ringClients,
      topology: createRingTopology({ compat: 'twemproxy', servers: parseRingServers(ringSpec()), hash: 'fnv1a_64' }),
    },
  ];

  for (const source of ['stream', 'key list'] as const) {
    test(`${source}: every value byte for byte on its owner, in a cluster and a ring`, async () => {
      const keysFile = writeKeyList(
        dir,
        'keys.txt',
        Array.from({ length: ROWS }, (_, i) => keyOf(i + 1)),
      );
      for (const t of targets()) {
        await Promise.all(t.clients.map((c) => c.flushall()));
        const what =
          source === 'stream'
            ? ['--query', 'SELECT k AS key, body AS value FROM docs']
            : ['--keys', keysFile, '--pattern', '{key}', '--fetch', 'SELECT k AS key, coalesce(body, $$$$) AS value FROM docs WHERE k = ANY($1)'];
        const r = await runCli(['warm', ...what, '--ttl', '10m', '--pg', db.url, '--json', '--batch-size', '97', ...t.flags]);
        assert.equal(r.code, 0, `${t.name}: ${r.stderr}`);
        assert.equal(JSON.parse(r.stdout).written, ROWS, t.name);
        await assertBytes(t.topology, t.clients);
      }
    });
  }

  test('key list with the default batch size: large values are fetched a few keys at a time (sized by their bytes), each byte for byte', async () => {
    // 120 values of 400 KB: one fetch of 2,000 keys would hold 48 MB; sized to 16 MiB a fetch, it takes several.
    await db.pool.query(`CREATE TABLE bigdocs AS SELECT 'big:' || g AS k, repeat(chr(65 + g % 26), 400000) || g AS body FROM generate_series(1, 120) g`);
    await db.pool.query('CREATE SEQUENCE bigdocs_fetches');
    const keysFile = writeKeyList(
      dir,
      'big.txt',
      Array.from({ length: 120 }, (_, i) => `big:${i + 1}`),
    );
    // The MATERIALIZED CTE runs once per query: the sequence counts the fetches.
    const fetch =
      'WITH f AS MATERIALIZED (SELECT nextval($$bigdocs_fetches$$)) SELECT k AS key, body AS value FROM bigdocs WHERE k = ANY($1) AND (SELECT count(*) FROM f) > 0';
    await Promise.all(clusterClients.map((c) => c.flushall()));
    const r = await runCli([
      'warm',
      '--keys',
      keysFile,
      '--pattern',
      '{key}',
      '--fetch',
      fetch,
      '--ttl',
      '10m',
      '--pg',
      db.url,
      '--json',
      '--cluster',
      cluster.seeds,
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(JSON.parse(r.stdout).written, 120);
    const { rows } = await db.pool.query<{ n: string }>('SELECT last_value AS n FROM bigdocs_fetches');
    assert.ok(Number(rows[0]!.n) >= 4, `${rows[0]!.n} fetches for 48 MB of values`);
    const topology = clusterTopology();
    for (let g = 1; g <= 120; g++) {
      const got = await (clusterClients[topology.nodeIndexOf(`big:${g}`)] as Redis).get(`big:${g}`);
      assert.equal(got, String.fromCharCode(65 + (g % 26)).repeat(400_000) + g, `big:${g}`);
    }
  });

  test('key list with the default batch size and small values: fetches of 2,000 keys once the first have told the row size', async () => {
    await db.pool.query(`CREATE TABLE smalldocs AS SELECT 'small:' || g AS k, repeat('v', 100) || g AS body FROM generate_series(1, 6000) g`);
    await db.pool.query('CREATE SEQUENCE smalldocs_fetches');
    const keysFile = writeKeyList(
      dir,
      'small.txt',
      Array.from({ length: 6000 }, (_, i) => `small:${i + 1}`),
    );
    const fetch =
      'WITH f AS MATERIALIZED (SELECT nextval($$smalldocs_fetches$$)) SELECT k AS key, body AS value FROM smalldocs WHERE k = ANY($1) AND (SELECT count(*) FROM f) > 0';
    await Promise.all(clusterClients.map((c) => c.flushall()));
    const r = await runCli([
      'warm',
      '--keys',
      keysFile,
      '--pattern',
      '{key}',
      '--fetch',
      fetch,
      '--ttl',
      '10m',
      '--pg',
      db.url,
      '--json',
      '--cluster',
      cluster.seeds,
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(JSON.parse(r.stdout).written, 6000);
    // A few first fetches of 16 keys (those read before one came back), then 2,000 at a time.
    const { rows } = await db.pool.query<{ n: string }>('SELECT last_value AS n FROM smalldocs_fetches');
    assert.ok(Number(rows[0]!.n) <= 10, `${rows[0]!.n} fetches for 6,000 keys of 100 B`);
  });

  test('stream with --dry-run and --verify all: byte keys reported and read back as their text', async () => {
    const t = targets()[0]!;
    await Promise.all(t.clients.map((c) => c.flushall()));
    const dry = await runCli([
      'warm',
      '--query',
      'SELECT k AS key, body AS value FROM docs',
      '--ttl',
      '10m',
      '--pg',
      db.url,
      '--json',
      '--dry-run',
      ...t.flags,
    ]);
    assert.equal(dry.code, 0, dry.stderr);
    assert.equal(JSON.parse(dry.stdout).written, ROWS);
    // A dry run plans every key and writes none.
    for (const c of t.clients) assert.equal(await c.dbsize(), 0);
    const verified = await runCli([
      'warm',
      '--query',
      'SELECT k AS key, body AS value FROM docs',
      '--ttl',
      '10m',
      '--pg',
      db.url,
      '--json',
      '--verify',
      ...t.flags,
    ]);
    assert.equal(verified.code, 0, verified.stderr);
    const summary = JSON.parse(verified.stdout);
    assert.equal(summary.written, ROWS);
    assert.deepEqual(summary.verify, { checked: ROWS, missing: 0, noTtl: 0, unverified: 0 });
    const sampled = await runCli([
      'warm',
      '--query',
      'SELECT k AS key, body AS value FROM docs',
      '--ttl',
      '10m',
      '--pg',
      db.url,
      '--json',
      '--verify-sample',
      '50',
      ...t.flags,
    ]);
    assert.equal(sampled.code, 0, sampled.stderr);
    assert.deepEqual(JSON.parse(sampled.stdout).verify, { checked: 50, missing: 0, noTtl: 0, unverified: 0 });
    // A reported key (here: too long for --max-key-bytes) is named by its text.
    const bad = await runCli([
      'warm',
      '--query',
      'SELECT k AS key, body AS value FROM docs WHERE id = 14',
      '--ttl',
      '10m',
      '--pg',
      db.url,
      '--json',
      '--max-key-bytes',
      '5',
      ...t.flags,
    ]);
    assert.equal(bad.code, 1, bad.stderr);
    assert.match(bad.stdout + bad.stderr, /doc:\{tenant4\}:ü14/);
  });
});

/**
 * The twemproxy profile against the real proxy: for each configuration a real nutcracker
 * (twemproxy 0.5) fronts real redis-server nodes, keys are SET through the proxy, every node
 * is then read directly, and cachectl's ring must place every key on the node that has it.
 * cachectl is asked through the CLI (`ring locate - --ring-config`) with the very YAML file
 * nutcracker was started with.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import { KEY_HASH_NAMES } from '../../src/topology/ring/hashes.js';
import type { KeyHash } from '../../src/topology/ring/types.js';
import { startNutcracker, startRedis, waitFor, type RedisProcess } from '../harness/redis.js';
import { createRingTopology, ringSpecFromTwemproxyYaml, ringWithoutEjected } from '../../src/topology/ring/index.js';
import { runCli } from '../harness/cli.js';

interface Config {
  id: string;
  /** undefined: no `hash:` line, twemproxy's default (fnv1a_64). */
  hash?: KeyHash;
  weights: number[];
  names: boolean;
  hashTag?: string;
}

const KEYS_PER_CONFIG = 2500;

/** Every hash, cycling through 2, 3, 5 and 7 servers, weights and names; then the special cases. */
const configs: Config[] = [
  ...KEY_HASH_NAMES.map((hash, i): Config => {
    const count = [2, 3, 5, 7][i % 4]!;
    const weights = Array.from({ length: count }, (_, j) => (i % 3 === 0 ? 1 : 1 + ((i + j * 2) % 4)));
    return { id: `h${i}`, hash, weights, names: i % 2 === 1 };
  }),
  { id: 'dflt', weights: [1, 1, 1], names: false },
  { id: 'w7', hash: 'fnv1a_64', weights: [1, 2, 3, 1, 5, 1, 10], names: true },
  { id: 'w5', hash: 'md5', weights: [3, 1, 1, 7, 2], names: false },
  // Single-precision rounding: 160 * 6/25 * 5 / 4 is 48 exactly, but in float it is 47.99..., so 188 points, not 192.
  { id: 'fl5', hash: 'fnv1a_64', weights: [7, 6, 5, 4, 3], names: false },
  { id: 'fl5b', hash: 'md5', weights: [1, 3, 5, 7, 9], names: true },
  { id: 'tagf', hash: 'fnv1a_64', weights: [1, 1, 2, 1], names: false, hashTag: '{}' },
  { id: 'tagm', hash: 'murmur', weights: [1, 1, 1, 1, 1], names: true, hashTag: '{}' },
  { id: 'tagc', hash: 'crc32a', weights: [2, 1, 1], names: false, hashTag: '$$' },
];

function describeConfig(c: Config): string {
  const parts = [`${c.hash ?? 'default hash'}`, `${c.weights.length} servers`, `weights ${c.weights.join('/')}`];
  if (c.names) parts.push('named');
  if (c.hashTag) parts.push(`hash_tag ${c.hashTag}`);
  return parts.join(', ');
}

function yamlFor(c: Config, nodes: RedisProcess[], port: number): string {
  const lines = [`pool_${c.id}:`, `  listen: 127.0.0.1:${port}`, '  redis: true', '  distribution: ketama', '  auto_eject_hosts: false'];
  if (c.hash) lines.push(`  hash: ${c.hash}`);
  if (c.hashTag) lines.push(`  hash_tag: "${c.hashTag}"`);
  lines.push('  servers:');
  c.weights.forEach((w, i) => lines.push(`   - ${nodes[i]!.address}:${w}${c.names ? ` cache-${c.id}-${i}` : ''}`));
  return lines.join('\n') + '\n';
}

/** Keys of many lengths (every tail case of the block hashes), non-ASCII bytes, and hash-tag shapes. */
function keysFor(c: Config): string[] {
  const keys: string[] = [];
  const [open, close] = c.hashTag ? [c.hashTag[0]!, c.hashTag[1]!] : ['{', '}'];
  for (let i = 0; keys.length < KEYS_PER_CONFIG; i++) {
    const pad = 'x'.repeat(i % 17);
    switch (i % 8) {
      case 0:
        keys.push(`${c.id}:product:${i}`);
        break;
      case 1:
        keys.push(`${c.id}:${i}${pad}`);
        break;
      case 2:
        keys.push(`${c.id}:ключ:${i}:é${pad}`);
        break; // bytes >= 0x80: signed-char quirks
      case 3:
        keys.push(`${c.id}:user:${open}tenant${i % 40}${close}:${i}`);
        break;
      case 4:
        keys.push(`${c.id}:${open}${close}:empty-tag:${i}`);
        break;
      case 5:
        keys.push(`${c.id}:${open}unclosed:${i}${pad}`);
        break;
      case 6:
        keys.push(`${c.id}:${i % 97}:${pad}`.slice(0, 3 + (i % 20)) + `🙂:${i}`);
        break; // 4-byte UTF-8
      default:
        keys.push(`${c.id}:${open}${open}n${i % 13}${close}${close}:${i}`);
        break;
    }
  }
  return keys;
}

async function keysOn(node: RedisProcess, prefix: string): Promise<string[]> {
  const client = node.client();
  const found: string[] = [];
  let cursor = '0';
  do {
    const [next, batch] = await client.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 2000);
    found.push(...batch);
    cursor = next;
  } while (cursor !== '0');
  return found;
}

describe('twemproxy profile agrees with a real nutcracker (twemproxy 0.5) on every key', { concurrency: 4 }, () => {
  let nodes: RedisProcess[] = [];
  before(async () => {
    nodes = await Promise.all(Array.from({ length: 7 }, () => startRedis()));
  });
  after(async () => {
    await Promise.all(nodes.map((n) => n.stop()));
  });

  for (const config of configs) {
    test(`${describeConfig(config)}: cachectl ring locate puts all ${KEYS_PER_CONFIG} keys on the node nutcracker chose`, async (t) => {
      const used = nodes.slice(0, config.weights.length);
      const proxy = await startNutcracker((port) => yamlFor(config, used, port));
      const client = new Redis({
        port: proxy.port,
        host: '127.0.0.1',
        enableReadyCheck: false,
        disableClientInfo: true,
        maxRetriesPerRequest: 1,
        retryStrategy: () => null,
      });
      client.on('error', () => undefined);
      try {
        const keys = keysFor(config);
        const pipeline = client.pipeline();
        for (const key of keys) pipeline.set(key, '1');
        const replies = (await pipeline.exec()) ?? [];
        const failed = replies.filter(([err]) => err);
        assert.equal(failed.length, 0, `nutcracker refused ${failed.length} SETs: ${String(failed[0]?.[0])}`);

        // What the operator runs: `cachectl ring locate - --ring-config <the proxy's own file>`.
        const located = await runCli(['ring', 'locate', '-', '--ring-config', proxy.configFile], { stdin: keys.join('\n') + '\n' });
        assert.equal(located.code, 0, located.stderr);
        const nodeNames = used.map((n, i) => (config.names ? `cache-${config.id}-${i}` : n.address));
        const predictedIndex = new Map(
          located.stdout
            .trimEnd()
            .split('\n')
            .map((line) => {
              const [key, node] = line.split('\t') as [string, string];
              return [key, nodeNames.indexOf(node)] as const;
            }),
        );
        assert.equal(predictedIndex.size, keys.length, 'one line per key');
        const where = new Map<string, number[]>();
        const perNode = await Promise.all(used.map((n) => keysOn(n, config.id)));
        perNode.forEach((list, i) => list.forEach((k) => where.set(k, [...(where.get(k) ?? []), i])));

        const mismatches: string[] = [];
        let agreed = 0;
        for (const key of keys) {
          const actual = where.get(key) ?? [];
          const predicted = predictedIndex.get(key);
          if (actual.length === 1 && actual[0] === predicted) agreed++;
          else if (mismatches.length < 5)
            mismatches.push(`${JSON.stringify(key)}: nutcracker -> ${actual.join('+') || 'nowhere'}, cachectl -> ${String(predicted)}`);
        }
        const spread = perNode.map((l) => l.length).join('/');
        t.diagnostic(`${agreed}/${keys.length} keys agree (keys per node ${spread})`);
        assert.equal(agreed, keys.length, `only ${agreed}/${keys.length} keys agree:\n${mismatches.join('\n')}`);
      } finally {
        client.disconnect();
        await proxy.stop();
      }
    });
  }
});

describe('auto_eject_hosts: the ring without a dead server is the one nutcracker rebuilds', () => {
  let nodes: RedisProcess[] = [];
  before(async () => {
    nodes = await Promise.all(Array.from({ length: 4 }, () => startRedis()));
  });
  after(async () => {
    await Promise.all(nodes.map((n) => n.stop()));
  });

  test('a killed server is ejected after server_failure_limit failures; every key then lands where ringWithoutEjected says', async (t) => {
    const weights = [1, 3, 2, 1];
    const yaml = (port: number) =>
      [
        'ejecting:',
        `  listen: 127.0.0.1:${port}`,
        '  redis: true',
        '  hash: fnv1a_64',
        '  distribution: ketama',
        '  auto_eject_hosts: true',
        '  server_failure_limit: 1',
        '  server_retry_timeout: 600000',
        '  servers:',
        ...nodes.map((n, i) => `   - ${n.address}:${weights[i]} node-${i}`),
        '',
      ].join('\n');
    const proxy = await startNutcracker(yaml);
    const client = new Redis({
      port: proxy.port,
      host: '127.0.0.1',
      enableReadyCheck: false,
      disableClientInfo: true,
      maxRetriesPerRequest: 0,
      retryStrategy: () => 50,
    });
    client.on('error', () => undefined);
    try {
      const full = createRingTopology(ringSpecFromTwemproxyYaml(yaml(proxy.port), proxy.configFile));
      assert.equal(full.spec.autoEjectHosts, true);
      const dead = 1;
      const probe = Array.from({ length: 1000 }, (_, i) => `probe:${i}`).find((k) => full.nodeIndexOf(k) === dead)!;
      await nodes[dead]!.kill();
      // Requests for the dead server fail until nutcracker ejects it; then they are served elsewhere.
      await waitFor(async () => (await client.set(probe, '1')) === 'OK', 'nutcracker to eject the dead server');

      const ejected = ringWithoutEjected(full, [dead]);
      const keys = Array.from({ length: 2500 }, (_, i) => (i % 5 === 0 ? `ej:ключ:${i}` : `ej:product:${i}`));
      const pipeline = client.pipeline();
      for (const key of keys) pipeline.set(key, '1');
      const failed = ((await pipeline.exec()) ?? []).filter(([err]) => err);
      assert.equal(failed.length, 0, `nutcracker refused ${failed.length} SETs: ${String(failed[0]?.[0])}`);

      const live = nodes.map((_, i) => i).filter((i) => i !== dead);
      const where = new Map<string, number>();
      const perNode = await Promise.all(live.map((i) => keysOn(nodes[i]!, 'ej')));
      perNode.forEach((list, j) => list.forEach((k) => where.set(k, live[j]!)));
      const agreed = keys.filter((k) => where.get(k) === ejected.nodeIndexOf(k)).length;
      const wouldHaveMoved = keys.filter((k) => full.nodeIndexOf(k) !== ejected.nodeIndexOf(k)).length;
      t.diagnostic(`${agreed}/${keys.length} keys agree; ${wouldHaveMoved} of them owned by the dead server or re-spread`);
      assert.ok(wouldHaveMoved > 0);
      assert.equal(agreed, keys.length);
    } finally {
      client.disconnect();
      await proxy.stop();
    }
  });
});

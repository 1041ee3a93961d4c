import { test } from 'node:test';
import assert from 'node:assert/strict';
import { inShard, parseShard, resolveShard, shardOf } from '../../../src/core/run/shard.js';
import { shardQuery } from '../../../src/core/run/query-wrap.js';

test('--shard i/n is 0-based and names the range when out of it', () => {
  assert.deepEqual(parseShard('2/8'), { index: 2, count: 8, source: '--shard' });
  assert.throws(() => parseShard('8/8'), /index 8 is out of range for 8 shards; use 0 to 7/);
  assert.throws(() => parseShard('1/0'), /at least 1/);
  assert.throws(() => parseShard('two/8'), /must be <index>\/<count>/);
});

test('every key lands in exactly one shard, whatever the order it is seen in', () => {
  const keys = Array.from({ length: 5000 }, (_, i) => `product:${i}`).concat(['user:{acme}:7', 'clé:été', '']);
  for (const n of [1, 2, 3, 7]) {
    const counts = new Array<number>(n).fill(0);
    for (const key of keys) {
      const owners = Array.from({ length: n }, (_, i) => i).filter((i) => inShard(key, { index: i, count: n, source: 't' }));
      assert.equal(owners.length, 1, `${key} in ${owners.length} of ${n} shards`);
      counts[owners[0]!]!++;
    }
    // Shares are even enough that no worker gets twice another's load.
    if (n > 1) assert.ok(Math.max(...counts) < 2 * Math.min(...counts), `uneven shares ${counts.join(',')}`);
  }
  // Deterministic: the same key, the same shard, from a reversed input.
  assert.deepEqual(
    keys.map((k) => shardOf(k, 7)),
    [...keys]
      .reverse()
      .map((k) => shardOf(k, 7))
      .reverse(),
  );
});

test('a Kubernetes Indexed Job gives the index; the count must be given too', () => {
  assert.equal(resolveShard({}, {}), undefined);
  assert.deepEqual(resolveShard({}, { JOB_COMPLETION_INDEX: '3', JOB_COMPLETIONS: '8' }), { index: 3, count: 8, source: 'JOB_COMPLETION_INDEX' });
  assert.deepEqual(resolveShard({ shardCount: '4' }, { JOB_COMPLETION_INDEX: '1' }), { index: 1, count: 4, source: 'JOB_COMPLETION_INDEX' });
  assert.deepEqual(resolveShard({}, { JOB_COMPLETION_INDEX: '0', CACHECTL_SHARD_COUNT: '2' })?.count, 2);
  assert.throws(() => resolveShard({}, { JOB_COMPLETION_INDEX: '3' }), /set JOB_COMPLETIONS \(= spec.completions\)/);
  assert.throws(() => resolveShard({}, { JOB_COMPLETION_INDEX: '9', JOB_COMPLETIONS: '8' }), /out of range/);
  // An explicit --shard wins over the environment.
  assert.deepEqual(resolveShard({ shard: '0/2' }, { JOB_COMPLETION_INDEX: '1', JOB_COMPLETIONS: '2' })?.index, 0);
  assert.throws(() => resolveShard({ shardCount: '4' }, {}), /needs JOB_COMPLETION_INDEX/);
});

test('a query is wrapped for its shard with integers only, keeping its ORDER BY key', () => {
  const sql = "SELECT 'c:' || slug AS key, name AS value FROM categories ORDER BY key;";
  assert.equal(shardQuery(sql, { index: 0, count: 1, source: 't' }), sql);
  assert.equal(
    shardQuery(sql, { index: 1, count: 4, source: 't' }),
    `SELECT * FROM (SELECT 'c:' || slug AS key, name AS value FROM categories ORDER BY key) AS cachectl_q WHERE (('x' || substr(md5(cachectl_q."key"::text), 1, 8))::bit(32)::bigint % 4) = 1 ORDER BY cachectl_q."key"`,
  );
  // Unordered query: no ORDER BY added.
  assert.ok(!/ORDER BY/.test(shardQuery('SELECT k AS key, v AS value FROM t', { index: 0, count: 2, source: 't' })));
  assert.throws(() => shardQuery('SELECT 1', { index: 0.5, count: 2, source: 't' }));
});

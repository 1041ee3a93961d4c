import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCli } from '../harness/cli.js';
import { startRedis, type RedisProcess } from '../harness/redis.js';
import { tempDir } from '../harness/warm-helpers.js';

const PG = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const SERIES = "SELECT 'cli:' || g AS key, 'v' || g AS value FROM generate_series(1, 300) g";

describe('cachectl warm: usage errors are exit 2 with one line, before anything connects', () => {
  const dir = tempDir();
  const cases: [string, string[], RegExp][] = [
    ['nothing to warm', ['warm'], /nothing to warm/],
    ['no TTL', ['warm', '--query', SERIES], /--ttl is required/],
    [
      'a pattern without parameter',
      ['warm', '--keys', 'k.txt', '--pattern', 'product:1', '--fetch', 'x', '--ttl', '1h'],
      /--pattern: 'product:1' has no parameter/,
    ],
    ['a bad duration', ['warm', '--query', SERIES, '--ttl', 'soon'], /--ttl: 'soon' is not a valid duration/],
    ['a jitter of 100%', ['warm', '--query', SERIES, '--ttl', '1h', '--jitter', '100%'], /--jitter/],
    ['both sources', ['warm', '--query', SERIES, '--keys', 'k.txt', '--ttl', '1h'], /choose one source/],
    [
      'a missing key list',
      ['warm', '--keys', 'nope.txt', '--pattern', 'p:{id}', '--fetch', 'SELECT $1', '--ttl', '1h', '--pg', 'postgres://127.0.0.1:1/x'],
      /cannot read the key list nope.txt \(no such file\)/,
    ],
  ];
  for (const [what, args, message] of cases) {
    test(what, async () => {
      const r = await runCli(args, { cwd: dir });
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, message);
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
      assert.doesNotMatch(r.stderr, /\n\s+at /);
    });
  }

  test('a warmlist with an unknown field names the file, the line and the field', async () => {
    writeFileSync(join(dir, 'bad.yml'), 'entries:\n  - name: a\n    ttl: 1h\n    query: SELECT 1\n    tll: 2h\n');
    const r = await runCli(['warm', 'bad.yml'], { cwd: dir });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /^cachectl: bad\.yml:5: tll: unknown field/);
  });

  test('a warmlist with a wrong type names the line', async () => {
    writeFileSync(join(dir, 'type.yml'), 'entries:\n  - name: a\n    ttl: 1h\n    tier: first\n    query: SELECT 1\n');
    const r = await runCli(['warm', 'type.yml'], { cwd: dir });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /type\.yml:4: tier: must be a whole number/);
  });

  test('malformed YAML names the line', async () => {
    writeFileSync(join(dir, 'broken.yml'), 'entries:\n  - name: a\n    ttl: [1h\n');
    const r = await runCli(['warm', 'broken.yml'], { cwd: dir });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /broken\.yml:\d+: not valid YAML/);
  });

  test('--only with an unknown entry lists the entries', async () => {
    const r = await runCli(['warm', join(process.cwd(), 'warmlists/catalog.yml'), '--only', 'nope'], { cwd: dir });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /no entry named nope; entries are hot-products, categories/);
  });
});

describe('cachectl warm: exit codes against real servers', () => {
  let redis: RedisProcess;
  before(async () => {
    redis = await startRedis();
  });
  after(async () => {
    await redis?.stop();
  });

  test('0 when every key is written', async () => {
    const r = await runCli(['warm', '--query', SERIES, '--ttl', '1m', '--redis', `redis://${redis.address}`, '--pg', PG, '--json']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(JSON.parse(r.stdout).written, 300);
    assert.equal(await redis.client().get('cli:300'), 'v300');
  });

  test('2 when the query does not return a key column, and nothing is written', async () => {
    const r = await runCli(['warm', '--query', "SELECT 'x' AS name, 'v' AS value", '--ttl', '1m', '--redis', `redis://${redis.address}`, '--pg', PG]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /--query: the query must return a column named 'key'/);
  });

  test('2 when a query or a fetch returns two columns of one name (which value is meant?), and nothing is written', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'k.txt'), 'dup:1\n');
    const client = redis.client();
    await client.flushall();
    const query = await runCli(
      ['warm', '--query', "SELECT 'dup:1' AS key, 'a' AS value, 'b' AS value", '--ttl', '1m', '--redis', `redis://${redis.address}`, '--pg', PG],
      { cwd: dir },
    );
    assert.equal(query.code, 2, query.stderr);
    assert.match(query.stderr, /the query returns two columns named 'value'; give each its own name/);
    const fetch = await runCli(
      [
        'warm',
        '--keys',
        'k.txt',
        '--pattern',
        'dup:{id}',
        '--fetch',
        "SELECT id, 'a' AS value, 'b' AS value FROM unnest($1::bigint[]) id",
        '--ttl',
        '1m',
        '--redis',
        `redis://${redis.address}`,
        '--pg',
        PG,
      ],
      { cwd: dir },
    );
    assert.equal(fetch.code, 2, fetch.stderr);
    assert.match(fetch.stderr, /returns two columns named 'value'/);
    assert.equal(await client.exists('dup:1'), 0, 'nothing written');
  });

  test('2 when the fetch query does not use $1', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'k.txt'), 'p:1\n');
    const r = await runCli(
      ['warm', '--keys', 'k.txt', '--pattern', 'p:{id}', '--fetch', 'SELECT 1 AS id', '--ttl', '1m', '--redis', `redis://${redis.address}`, '--pg', PG],
      { cwd: dir },
    );
    assert.equal(r.code, 2);
    assert.match(r.stderr, /does not use \$1/);
  });

  test('3 when Redis cannot be reached', async () => {
    const r = await runCli(['warm', '--query', SERIES, '--ttl', '1m', '--redis', 'redis://127.0.0.1:1', '--pg', PG]);
    assert.equal(r.code, 3, r.stderr);
    assert.match(r.stderr, /cannot connect to Redis at 127\.0\.0\.1:1/);
  });

  test('3 when PostgreSQL cannot be reached, and the password is not printed', async () => {
    const r = await runCli(['warm', '--query', SERIES, '--ttl', '1m', '--redis', `redis://${redis.address}`, '--pg', 'postgres://u:secret@127.0.0.1:1/x']);
    assert.equal(r.code, 3);
    assert.match(r.stderr, /cannot connect to PostgreSQL/);
    assert.doesNotMatch(r.stderr, /secret/);
  });

  test('130 when interrupted: nothing new is started and the summary says why', async () => {
    const controller = new AbortController();
    controller.abort('SIGINT');
    const r = await runCli(['warm', '--query', SERIES, '--ttl', '1m', '--redis', `redis://${redis.address}`, '--pg', PG], { signal: controller.signal });
    assert.equal(r.code, 130, r.stderr);
    assert.match(r.stdout, /stopped early \(signal\)/);
  });

  test('on a terminal: a progress bar on stderr; off a terminal: plain lines without control characters', async () => {
    const args = ['warm', '--query', SERIES, '--count', '300', '--ttl', '1m', '--redis', `redis://${redis.address}`, '--pg', PG];
    const tty = await runCli(args, { tty: true });
    assert.equal(tty.code, 0, tty.stderr);
    assert.match(tty.stderr, /300\/300 keys \| [\d,]+ keys\/s \| ETA/);
    const plain = await runCli([...args, '--progress-interval', '1ms']);
    assert.equal(plain.code, 0, plain.stderr);
    assert.match(plain.stderr, /^warm: entry query \(tier 1\): 300 keys$/m);
    // eslint-disable-next-line no-control-regex
    assert.doesNotMatch(plain.stderr, /[\u0000-\u0009\u000b-\u001f\u007f]/);
  });

  test('1 with the failures listed when Redis refuses writes (OOM), and the error budget stops the run early', async () => {
    const small = await startRedis({ args: ['--maxmemory', '1mb', '--maxmemory-policy', 'noeviction'] });
    try {
      const big = "SELECT 'oom:' || g AS key, repeat('x', 2000) AS value FROM generate_series(1, 5000) g";
      const r = await runCli([
        'warm',
        '--query',
        big,
        '--ttl',
        '1m',
        '--redis',
        `redis://${small.address}`,
        '--pg',
        PG,
        '--json',
        '--max-errors',
        '20',
        '--batch-size',
        '100',
        '--pipeline-size',
        '50',
      ]);
      assert.equal(r.code, 1, r.stderr);
      const summary = JSON.parse(r.stdout);
      assert.ok(summary.failed > 20, `failed ${summary.failed}`);
      assert.equal(summary.stopped.reason, 'errors');
      assert.ok(summary.written + summary.failed < 5000, 'stopped before reading everything');
      assert.match(summary.failedExamples[0].reason, /^OOM command not allowed/);
      assert.equal(await small.client().dbsize(), summary.written);
    } finally {
      await small.stop();
    }
  });

  test('--rate caps the load: 300 keys at 500 keys/s never run faster than 500 keys/s overall', async () => {
    const r = await runCli([
      'warm',
      '--query',
      SERIES,
      '--ttl',
      '1m',
      '--redis',
      `redis://${redis.address}`,
      '--pg',
      PG,
      '--json',
      '--rate',
      '500',
      '--batch-size',
      '100',
    ]);
    assert.equal(r.code, 0, r.stderr);
    const summary = JSON.parse(r.stdout);
    assert.equal(summary.written, 300);
    // Each batch waits until its own keys are paid for at the cap, so even the whole run
    // (not only its later part) stays at or under the rate: 300 keys need at least 600 ms.
    assert.ok(summary.durationMs >= 590, `took ${summary.durationMs}ms`);
    assert.ok(summary.keysPerSecond <= 500 * 1.02, `ran at ${summary.keysPerSecond} keys/s`);
  });

  test('a streamed query longer than the statement timeout completes: the timeout bounds each batch of rows, not the stream', async () => {
    // 40 rows at 20 ms each (800 ms in all), 5 per batch (100 ms per batch), under a 400 ms timeout. Over COPY the
    // server holds these tiny rows in its send buffer until the end: its progress view shows them produced.
    const slow = "SELECT 'slow:' || g AS key, 'v' || g AS value FROM generate_series(1, 40) g WHERE pg_sleep(0.02)::text = ''";
    const r = await runCli([
      'warm',
      '--query',
      slow,
      '--ttl',
      '1m',
      '--redis',
      `redis://${redis.address}`,
      '--pg',
      PG,
      '--json',
      '--batch-size',
      '5',
      '--statement-timeout',
      '400ms',
    ]);
    assert.equal(r.code, 0, r.stderr);
    const summary = JSON.parse(r.stdout);
    assert.equal(summary.written, 40);
    assert.ok(summary.durationMs >= 400, `the stream took ${summary.durationMs}ms, longer than one timeout`);
    assert.equal(await redis.client().get('slow:40'), 'v40');
  });

  test('--verify-sample reads back that many keys; --verify accepts keys without TTL when ttl is none', async () => {
    const r = await runCli(['warm', '--query', SERIES, '--ttl', '1m', '--redis', `redis://${redis.address}`, '--pg', PG, '--json', '--verify-sample', '25']);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout).verify, { checked: 25, missing: 0, noTtl: 0, unverified: 0 });
    // ttl none: the verify accepts keys without TTL when none was asked for.
    const none = await runCli(['warm', '--query', SERIES, '--ttl', 'none', '--redis', `redis://${redis.address}`, '--pg', PG, '--json', '--verify']);
    assert.equal(none.code, 0, none.stderr);
    assert.deepEqual(JSON.parse(none.stdout).verify, { checked: 300, missing: 0, noTtl: 0, unverified: 0 });
    assert.equal(await redis.client().pttl('cli:1'), -1);
  });
});

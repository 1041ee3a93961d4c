/**
 * Resume, checkpoint and input hardening through `cachectl warm` itself, against a real Redis and
 * PostgreSQL: a query ordered by key resumes at its last key (and restarts when rows were added
 * behind it), a checkpoint of one stdin is never applied to another, a file that is not a
 * checkpoint is never deleted, an unwritable --failed-keys is caught before anything is written,
 * endless lines and invalid UTF-8 in key lists, and a resumed run that says so.
 * Every test checks Redis key by key against what the run reported.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { createWriteStream, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import type { Redis } from 'ioredis';
import { problemText, runCli } from '../harness/cli.js';
import { createTestDatabase, seedCatalogue, type TestDatabase } from '../harness/postgres.js';
import { startRedis, waitFor, type RedisProcess } from '../harness/redis.js';
import { PRODUCT_FETCH, productJson, tempDir, writeKeyList } from '../harness/warm-helpers.js';

const N = 3000;

describe('cachectl warm: resume and input hardening', () => {
  let db: TestDatabase;
  let redis: RedisProcess;
  let client: Redis;
  let dir: string;
  let expected: Map<string, string>;

  before(async () => {
    [db, redis] = await Promise.all([createTestDatabase('ops_hardening'), startRedis()]);
    await seedCatalogue(db.pool, N);
    await db.pool.query('CREATE TABLE q_items (id int PRIMARY KEY, value text NOT NULL)');
    await db.pool.query("INSERT INTO q_items SELECT g, 'v' || g FROM generate_series(1001, 4000) g");
    client = redis.client();
    dir = tempDir();
    expected = await productJson(
      db.pool,
      Array.from({ length: N }, (_, i) => i + 1),
    );
  });
  after(async () => {
    await Promise.all([redis?.stop(), db?.drop()]);
  });

  const conn = () => ['--redis', `redis://127.0.0.1:${redis.port}`, '--pg', db.url];
  const keyArgs = (file: string, ...extra: string[]) => [
    'warm',
    '--keys',
    file,
    '--pattern',
    'product:{id}',
    '--fetch',
    PRODUCT_FETCH,
    '--ttl',
    '1h',
    ...conn(),
    '--batch-size',
    '100',
    ...extra,
  ];

  async function assertQueryRows(): Promise<void> {
    const rows = (await db.pool.query<{ key: string; value: string }>("SELECT 'q:' || lpad(id::text, 5, '0') AS key, value FROM q_items")).rows;
    for (const { key, value } of rows) assert.equal(await client.get(key), value, `value of ${key}`);
    assert.equal((await client.keys('q:*')).length, rows.length, 'no other q: keys');
  }

  /** Starts a slow query warm with a checkpoint and interrupts it part-way. */
  async function interruptedQueryWarm(checkpoint: string, query: string): Promise<{ lastKey: string; rowsBefore: number; rows: number }> {
    const ctl = new AbortController();
    const run = runCli(['warm', '--query', query, '--ttl', '1h', ...conn(), '--json', '--batch-size', '100', '--checkpoint', checkpoint, '--rate', '1000'], {
      signal: ctl.signal,
    });
    await waitFor(async () => (await client.dbsize()) > 600, 'the query warm to be under way');
    ctl.abort('SIGINT');
    const r = await run;
    assert.equal(r.code, 130, r.stderr);
    const saved = JSON.parse(readFileSync(checkpoint, 'utf8'));
    assert.equal(saved.cachectl, 'warm-checkpoint', 'the magic field');
    return saved.entries.query;
  }

  test('a query ordered by key resumes at its last key; rows added behind the position restart the entry, never lost', async () => {
    const query = "SELECT 'q:' || lpad(id::text, 5, '0') AS key, value FROM q_items ORDER BY key";
    const args = (checkpoint: string, ...extra: string[]) => [
      'warm',
      '--query',
      query,
      '--ttl',
      '1h',
      ...conn(),
      '--batch-size',
      '100',
      '--checkpoint',
      checkpoint,
      ...extra,
    ];

    // Rows added after the position: the resumed run starts at the last key and reads them.
    await client.flushall();
    const ahead = join(dir, 'query-ahead.ckpt');
    const first = await interruptedQueryWarm(ahead, query);
    assert.match(first.lastKey, /^q:\d{5}$/);
    assert.equal(first.rowsBefore, Number(first.lastKey.slice(2)) - 1001, 'rows before the last key, as counted by the run');
    await db.pool.query("INSERT INTO q_items SELECT g, 'v' || g FROM generate_series(5001, 5200) g");
    const resumed = await runCli(args(ahead, '--json'));
    assert.equal(resumed.code, 0, resumed.stderr);
    const s = JSON.parse(resumed.stdout);
    assert.deepEqual(s.resumed, { query: { from: first.rows, unit: 'row', afterKey: first.lastKey } });
    assert.equal(s.written, 3200 - first.rowsBefore, 'every row from the last key on, and none before it');
    await assertQueryRows();

    // 1,000 rows inserted before the position: the count behind the key changed, the entry restarts.
    await client.flushall();
    const behind = join(dir, 'query-behind.ckpt');
    await interruptedQueryWarm(behind, query);
    await db.pool.query("INSERT INTO q_items SELECT g, 'v' || g FROM generate_series(1, 1000) g");
    const again = await runCli(args(behind));
    assert.equal(again.code, 0, again.stderr);
    assert.match(
      again.stderr,
      /resuming query from .*query-behind\.ckpt: 1000 rows now sort before its checkpoint's key, 0 did|rows now sort before its checkpoint's key/,
    );
    assert.match(again.stdout, /resumed from .*query-behind\.ckpt: query from its first row \(its input differs from what the checkpoint recorded\)/);
    assert.equal(existsSync(behind), false);
    await assertQueryRows();
    assert.equal(await client.get('q:00001'), 'v1', 'a row inserted behind the position is written');
  });

  test('a checkpoint of one stdin is never applied to another: its lines are all warmed; the same stdin resumes', async () => {
    const checkpoint = join(dir, 'stdin.ckpt');
    const lines = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => `product:${from + i}`).join('\n') + '\n';
    const interrupt = async () => {
      await client.flushall();
      const ctl = new AbortController();
      const run = runCli(keyArgs('-', '--json', '--checkpoint', checkpoint, '--rate', '500'), { stdin: lines(1, 1500), signal: ctl.signal });
      await waitFor(async () => (await client.dbsize()) > 300, 'the stdin warm to be under way');
      ctl.abort('SIGINT');
      const r = await run;
      assert.equal(r.code, 130, r.stderr);
      const done: number = JSON.parse(readFileSync(checkpoint, 'utf8')).entries.keys.done[0][1];
      assert.ok(done > 0 && done < 1500, `checkpoint prefix ${done}`);
      return done;
    };

    await interrupt();
    await client.flushall();
    const other = await runCli(keyArgs('-', '--json', '--checkpoint', checkpoint), { stdin: lines(1501, 3000) });
    assert.equal(other.code, 0, other.stderr);
    assert.match(
      other.stderr,
      /resuming keys from .*stdin\.ckpt: its input differs from what the checkpoint recorded from line 1 on; every line from there is warmed, none skipped/,
    );
    const s = JSON.parse(other.stdout);
    assert.equal(s.written, 1500);
    assert.equal(s.resumed.keys.mismatchAt, 1);
    for (let id = 1501; id <= 3000; id++) assert.equal(await client.get(`product:${id}`), expected.get(`product:${id}`), `product:${id}`);
    assert.equal(await client.dbsize(), 1500);

    // The same stdin again: the lines before the position are skipped, and the summary says from where.
    const prefix = await interrupt();
    const same = await runCli(keyArgs('-', '--checkpoint', checkpoint), { stdin: lines(1, 1500) });
    assert.equal(same.code, 0, same.stderr);
    assert.match(same.stdout, new RegExp(`^resumed from .*stdin\\.ckpt: keys after line ${prefix.toLocaleString('en-US')}$`, 'm'));
    assert.match(same.stdout, new RegExp(`written ${(1500 - prefix).toLocaleString('en-US')} keys`));
    for (let id = 1; id <= 1500; id++) assert.equal(await client.get(`product:${id}`), expected.get(`product:${id}`), `product:${id}`);
  });

  test('--checkpoint naming a file cachectl did not write: exit 2, one line, the file kept, nothing written', async () => {
    await client.flushall();
    const catalog = join(dir, 'my-catalog.yml');
    const text = 'entries:\n  - name: hot\n    keys: hot.txt\n';
    writeFileSync(catalog, text);
    const keys = writeKeyList(dir, 'few.txt', ['product:1', 'product:2']);
    const r = await runCli(keyArgs(keys, '--checkpoint', catalog));
    assert.equal(r.code, 2, r.stderr);
    assert.match(
      problemText(r.stderr),
      /^cachectl: .*my-catalog\.yml: --checkpoint: this file is not a checkpoint cachectl wrote \(not valid JSON\); it is left as it is: give a path of its own/,
    );
    assert.equal(problemText(r.stderr).trim().split('\n').length, 1);
    assert.equal(readFileSync(catalog, 'utf8'), text);
    assert.equal(await client.dbsize(), 0, 'nothing written, the lock released');
  });

  test('--failed-keys that cannot be written: exit 2 before anything is written', async () => {
    await client.flushall();
    const keys = writeKeyList(dir, 'some-missing.txt', ['product:1', 'product:999999', 'product:2']);
    for (const path of ['/dev/full', join(dir, 'no-such-dir', 'failed.txt')]) {
      const r = await runCli(keyArgs(keys, '--failed-keys', path));
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, /cannot write the failed-keys file \((ENOSPC|ENOENT)\)/);
      assert.equal(r.stdout, '');
      assert.equal(await client.dbsize(), 0, `${path}: truly nothing written`);
    }
  });

  test('--failed-keys whose writes fail part-way: the summary is printed, says so, exit 1, never "nothing was written"', async () => {
    await client.flushall();
    const ids = Array.from({ length: 300 }, (_, i) => `product:${i + 1}`);
    const missing = Array.from({ length: 5000 }, (_, i) => `product:${900_000 + i}`);
    const keys = writeKeyList(dir, 'mostly-missing.txt', [...ids, ...missing]);
    // A reader that takes the header and a few bytes, then goes away: every later write fails (EPIPE).
    const fifo = join(dir, 'failed.fifo');
    execFileSync('mkfifo', [fifo]);
    const reader = spawn('head', ['-c', '100', fifo], { stdio: ['ignore', 'ignore', 'ignore'] });
    const r = await runCli(keyArgs(keys, '--json', '--failed-keys', fifo));
    reader.kill();
    assert.equal(r.code, 1, r.stderr);
    const s = JSON.parse(r.stdout);
    assert.deepEqual([s.written, s.missing], [300, 5000]);
    assert.equal(s.outputErrors.length, 1);
    assert.match(s.outputErrors[0], /^--failed-keys .*failed\.fifo: writing failed \(EPIPE\): \d+ of the 5000 keys not written are not listed there$/);
    assert.doesNotMatch(r.stderr, /nothing was written/);
    for (const key of ids) assert.equal(await client.get(key), expected.get(key), key);
  });

  test('a key list on a named pipe that never ends: a signal stops the run at once, the rest is named as unread', { timeout: 60_000 }, async () => {
    await client.flushall();
    const fifo = join(dir, 'keys.fifo');
    execFileSync('mkfifo', [fifo]);
    // The writer never closes the pipe: reading the rest to list it would never end.
    const writer = createWriteStream(fifo);
    writer.write(Array.from({ length: 1500 }, (_, i) => `product:${i + 1}\n`).join(''));
    try {
      const ctl = new AbortController();
      const run = runCli(keyArgs(fifo, '--json', '--rate', '500'), { signal: ctl.signal });
      await waitFor(async () => (await client.dbsize()) > 200, 'the warm to be under way');
      ctl.abort('SIGTERM');
      const r = await run;
      assert.equal(r.code, 143, r.stderr);
      const s = JSON.parse(r.stdout);
      assert.equal(s.unread.length, 1);
      assert.equal(s.unread[0].file, fifo);
      const written = await client.keys('product:*');
      assert.equal(written.length, s.written);
      for (const key of written) assert.equal(await client.get(key), expected.get(key), key);
      assert.ok(s.unread[0].rowsRead >= s.written, 'the lines read cover what was written');
    } finally {
      writer.destroy();
    }
  });

  test('--only-missing and --refresh-below read the cache first and fetch only the keys that need it', async () => {
    await client.flushall();
    // A fetch that logs every id PostgreSQL is asked for: what the rewarm costs the database.
    await db.pool.query('CREATE TABLE fetch_log (id bigint)');
    await db.pool.query(`CREATE FUNCTION logged_fetch(ids bigint[]) RETURNS TABLE (id bigint, value text) LANGUAGE plpgsql AS $$
      BEGIN
        INSERT INTO fetch_log SELECT unnest(ids);
        RETURN QUERY SELECT p.id, row_to_json(p)::text FROM products p WHERE p.id = ANY(ids);
      END $$`);
    const fetch = 'SELECT id, value FROM logged_fetch($1::bigint[])';
    const ids = Array.from({ length: N }, (_, i) => i + 1);
    const keys = writeKeyList(
      dir,
      'all.txt',
      ids.map((id) => `product:${id}`),
    );
    const run = (...extra: string[]) =>
      runCli(['warm', '--keys', keys, '--pattern', 'product:{id}', '--fetch', fetch, '--ttl', '1h', ...conn(), '--json', ...extra]);
    const fetched = async () => Number((await db.pool.query<{ n: string }>('SELECT count(*) AS n FROM fetch_log')).rows[0]!.n);

    const full = await run();
    assert.equal(full.code, 0, full.stderr);
    assert.equal(await fetched(), N);
    // 100 keys gone, 200 about to expire.
    const gone = ids.slice(0, 100).map((id) => `product:${id}`);
    const expiring = ids.slice(100, 300).map((id) => `product:${id}`);
    await client.del(...gone);
    for (const key of expiring) await client.pexpire(key, 120_000);

    await db.pool.query('TRUNCATE fetch_log');
    const missing = await run('--only-missing');
    assert.equal(missing.code, 0, missing.stderr);
    const m = JSON.parse(missing.stdout);
    assert.deepEqual([m.written, m.skipped], [100, N - 100]);
    assert.equal(await fetched(), 100, 'only the absent keys were asked from PostgreSQL');
    for (const key of gone) assert.ok((await client.pttl(key)) > 3_000_000, `${key} rewritten with the full TTL`);

    await db.pool.query('TRUNCATE fetch_log');
    const refresh = await run('--refresh-below', '10m');
    assert.equal(refresh.code, 0, refresh.stderr);
    const r = JSON.parse(refresh.stdout);
    assert.deepEqual([r.written, r.skipped], [200, N - 200]);
    assert.equal(await fetched(), 200, 'only the keys under the threshold were asked from PostgreSQL');
    for (const key of expected.keys()) {
      assert.equal(await client.get(key), expected.get(key), key);
      assert.ok((await client.pttl(key)) > 600_000, `${key} has more than 10m left`);
    }
  });

  test('an endless line (keys: /dev/zero, or stdin) ends at once with file:line, exit 2, nothing written', async () => {
    await client.flushall();
    const warmlist = join(dir, 'zero.yml');
    writeFileSync(
      warmlist,
      ['entries:', '  - name: zero', '    ttl: 1h', '    keys: /dev/zero', '    pattern: product:{id}', `    fetch: "${PRODUCT_FETCH}"`, ''].join('\n'),
    );
    const r = await runCli(['warm', warmlist, ...conn()]);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /^cachectl: \/dev\/zero:1: line 1 is longer than 65536 bytes: this is not a key list/m);
    let pushed = 0;
    const zeros = new Readable({
      read() {
        pushed++;
        this.push(Buffer.alloc(65536));
      },
    });
    const s = await runCli(keyArgs('-'), { stdin: zeros });
    zeros.destroy();
    assert.equal(s.code, 2, s.stderr);
    assert.match(s.stderr, /^cachectl: stdin:1: line 1 is longer than 65536 bytes/m);
    assert.ok(pushed < 10, `read ${pushed} chunks, not the endless stream`);
    assert.equal(await client.dbsize(), 0);
  });

  test('a key-list line that is not valid UTF-8 is counted invalid with its line, never rewritten', async () => {
    await client.flushall();
    const file = join(dir, 'latin1.txt');
    writeFileSync(
      file,
      Buffer.concat([Buffer.from('product:1\n'), Buffer.from([0x70, 0x72, 0x6f, 0x64, 0x75, 0x63, 0x74, 0x3a, 0x32, 0xe9, 0x0a]), Buffer.from('product:3\n')]),
    );
    const failed = join(dir, 'latin1.failed');
    const r = await runCli(keyArgs(file, '--json', '--failed-keys', failed));
    assert.equal(r.code, 1, r.stderr);
    const s = JSON.parse(r.stdout);
    assert.deepEqual([s.written, s.invalid], [2, 1]);
    assert.deepEqual(s.failedExamples, [
      { key: 'product:2\\xe9', kind: 'invalid', reason: 'not valid UTF-8: the line is reported as its bytes, never rewritten', entry: 'keys', line: 2 },
    ]);
    assert.match(readFileSync(failed, 'utf8'), /^# product:2\\xe9\t# invalid: not valid UTF-8.* \(line 2\) \[keys\]$/m);
    assert.deepEqual((await client.keys('*')).sort(), ['product:1', 'product:3']);
    for (const key of ['product:1', 'product:3']) assert.equal(await client.get(key), expected.get(key));
  });
});

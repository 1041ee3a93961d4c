import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { problemText, runCli } from '../harness/cli.js';
import { tempDir } from '../harness/warm-helpers.js';
import { startRedis, type RedisProcess } from '../harness/redis.js';

describe('inspect: --fail-on, --watch and bad input, in-process', () => {
  let redis: RedisProcess;
  let url: string;
  before(async () => {
    redis = await startRedis();
    url = `redis://${redis.address}`;
    const c = redis.client();
    const p = c.pipeline();
    for (let i = 0; i < 30; i++) p.set(`plain:${i}`, 'v'); // 30 keys without TTL
    // Mid-second (400-411 ms into it): an expiry time read as reply time + PTTL may be a millisecond
    // early, and at a second's start that put the first key in the second before (CI saw 11, not 12).
    const cliff = Math.floor(Date.now() / 1000) * 1000 + 600_400;
    for (let i = 0; i < 12; i++) p.set(`cliff:${i}`, 'v', 'PXAT', cliff + i); // 12 keys in one second
    await p.exec();
  });
  after(async () => {
    await redis?.stop();
  });

  test('an unknown condition is a usage error (exit 2), before anything connects', async () => {
    const r = await runCli(['inspect', 'ttl', '--redis', 'redis://127.0.0.1:1', '--fail-on', 'no-ttl>5,sunspots']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /^cachectl: --fail-on: unknown condition 'sunspots'; known: .*stuck-locks/);
    assert.equal(r.stderr.trim().split('\n').length, 1);
    assert.equal(r.stdout, '');
  });

  test('a condition the view does not measure is a usage error, never silently ignored', async () => {
    const r = await runCli(['inspect', 'ttl', '--redis', url, '--fail-on', 'stuck-locks']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /'stuck-locks' is measured by `inspect locks`, not by `inspect ttl`/);
  });

  test('no-ttl>N: exit 1 when it holds, 0 when it does not; the verdict is printed', async () => {
    const holds = await runCli(['inspect', 'ttl', '--redis', url, '--fail-on', 'no-ttl>29']);
    assert.equal(holds.code, 1);
    assert.match(holds.stdout, /^fail-on: no-ttl>29 holds \(30\)$/m);
    const not = await runCli(['inspect', 'ttl', '--redis', url, '--fail-on', 'no-ttl>30']);
    assert.equal(not.code, 0);
    assert.match(not.stdout, /^fail-on: no-ttl>30 does not hold \(30\)$/m);
    const pct = await runCli(['inspect', 'ttl', '--redis', url, '--fail-on', 'no-ttl>70%', '--json']);
    assert.equal(pct.code, 1, 'thirty of 42 keys is 71%');
    const json = JSON.parse(pct.stdout) as { failOn: { text: string; holds: boolean; value: number }[] };
    assert.equal(json.failOn[0]?.holds, true);
    assert.equal(Math.round(json.failOn[0]!.value), 71);
  });

  test('cliff>N reads the busiest second; several conditions: any that holds fails', async () => {
    assert.equal((await runCli(['inspect', 'ttl', '--redis', url, '--fail-on', 'cliff>11'])).code, 1);
    assert.equal((await runCli(['inspect', 'ttl', '--redis', url, '--fail-on', 'cliff>12'])).code, 0);
    assert.equal((await runCli(['inspect', 'ttl', '--redis', url, '--fail-on', 'cliff>12', '--fail-on', 'no-ttl>1'])).code, 1);
  });

  test('inspect nodes --fail-on nodes-down and memory', async () => {
    assert.equal((await runCli(['inspect', 'nodes', '--redis', url, '--fail-on', 'nodes-down'])).code, 0);
    const mem = await runCli(['inspect', 'nodes', '--redis', url, '--fail-on', 'memory>90%']);
    assert.equal(mem.code, 0);
    assert.match(mem.stdout, /fail-on: memory>90% does not hold \(not measured\)/, 'no maxmemory: no figure');
  });

  test('--watch off a terminal prints one JSON line per tick', async () => {
    const r = await runCli(['inspect', 'ttl', '--redis', url, '--watch', '100ms', '--ticks', '2']);
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.trim().split('\n');
    assert.equal(lines.length, 2);
    const ticks = lines.map((l) => JSON.parse(l) as { tick: number; report: { totals: { keys: number } }; worse: unknown[] });
    assert.deepEqual(
      ticks.map((t) => t.tick),
      [1, 2],
    );
    assert.equal(ticks[1]?.report.totals.keys, 42);
  });

  test('--keys with a file that does not exist: exit 2 naming the file', async () => {
    const r = await runCli(['inspect', 'ttl', '--redis', url, '--keys', 'no/such/file.txt']);
    assert.equal(r.code, 2);
    assert.match(problemText(r.stderr), /^cachectl: no\/such\/file.txt: cannot read the key list \(no such file\); check the path given to --keys/);
  });

  test('inspect drift names the topology and the database it chose first, as every view does, before PostgreSQL is reached', async () => {
    const warmlist = join(tempDir(), 'drift.yml');
    writeFileSync(warmlist, `entries:\n  - name: plain\n    ttl: 1m\n    query: SELECT 'plain:' || g AS key, 'v' AS value FROM generate_series(0, 29) g\n`);
    const r = await runCli(['inspect', 'drift', warmlist, '--redis', url, '--pg', 'postgres://postgres@127.0.0.1:1/none']);
    assert.equal(r.code, 3, r.stderr);
    const [first, ...rest] = r.stderr.trim().split('\n');
    assert.match(
      first!,
      /^cachectl: topology: Redis node 127\.0\.0\.1:\d+ \(from --redis\); PostgreSQL postgres:\/\/postgres@127\.0\.0\.1:1\/none \(from --pg\)$/,
    );
    assert.equal(rest.length, 1, 'then the one problem line');
    assert.match(problemText(r.stderr), /^cachectl: .*127\.0\.0\.1:1/);
  });

  test('bad numbers in flags are usage errors', async () => {
    assert.equal((await runCli(['inspect', 'ttl', '--redis', url, '--rate', 'fast'])).code, 2);
    assert.equal((await runCli(['inspect', 'ttl', '--redis', url, '--ticks', '2'])).code, 2);
  });
});

// A closed stdout (`cachectl ... | head -1`) ends the command quietly, as SIGPIPE ends a Unix tool.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { collect, exitOf, headOne, spawnCli } from '../harness/spawn-cli.js';
import { startRedis, type RedisProcess } from '../harness/redis.js';

async function headOfCommand(args: string[], stdin?: (write: (s: string) => boolean) => Promise<void>) {
  const child = spawnCli(args);
  const stderr = collect(child.stderr);
  child.stdin?.on('error', () => undefined);
  if (stdin) {
    void stdin((s) => child.stdin?.writable === true && child.stdin.write(s)).finally(() => child.stdin?.end());
  } else child.stdin?.end();
  const first = await headOne(child);
  const exit = await exitOf(child);
  return { first, exit, stderr: stderr() };
}

describe('a closed stdout', () => {
  let redis: RedisProcess;
  before(async () => {
    redis = await startRedis();
    const c = redis.client();
    for (let chunk = 0; chunk < 10; chunk++) {
      const p = c.pipeline();
      for (let i = 0; i < 5000; i++) p.set(`epipe:${chunk}:${i}`, 'v', 'EX', 3600);
      await p.exec();
    }
  });
  after(async () => redis.stop());

  test('inspect ttl --list | head -1: the first row, exit 0, nothing on stderr', async () => {
    const r = await headOfCommand(['inspect', 'ttl', '--redis', `redis://${redis.address}`, '--list']);
    assert.match(r.first, /epipe:|key/);
    assert.deepEqual(r.exit, { code: 0, signal: null }, r.stderr);
    assert.doesNotMatch(r.stderr, /EPIPE|\n\s+at |unexpected error/);
  });

  test('ring locate - fed an endless stdin | head -1: stops reading, exit 0, nothing on stderr', async () => {
    let stop = false;
    const r = await headOfCommand(['ring', 'locate', '-', '--ring', '127.0.0.1:7100,127.0.0.1:7101'], async (write) => {
      // An endless producer, like `yes`: only the command stopping ends this test.
      const block = 'k:1\n'.repeat(10_000);
      while (!stop) {
        if (!write(block)) await new Promise((resolve) => setImmediate(resolve));
      }
    });
    stop = true;
    assert.match(r.first, /^k:1\t127\.0\.0\.1:710[01]$/);
    assert.deepEqual(r.exit, { code: 0, signal: null }, r.stderr);
    assert.equal(r.stderr, '');
  });
});

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { run } from '../../src/cli.js';
import { StringSink } from '../../src/io.js';
import { startRedis, type RedisProcess } from '../harness/redis.js';

/** A stdout that calls `onLine` once per complete line as the command writes it. */
class LineSink extends StringSink {
  constructor(private readonly onLine: (line: string, index: number) => void) {
    super();
  }
  private seen = 0;
  override write(chunk: string): boolean {
    super.write(chunk);
    const lines = this.text.split('\n').slice(0, -1);
    while (this.seen < lines.length) this.onLine(lines[this.seen] as string, this.seen++);
    return true;
  }
}

interface Tick {
  tick: number;
  baseline?: boolean;
  worse: { subject: string; metric: string; previous: number | null; worsening: number; relative: number }[];
}

describe('inspect --watch: the first tick is a baseline, changes rank by relative severity', () => {
  let redis: RedisProcess;
  before(async () => {
    redis = await startRedis();
    const p = redis.client().pipeline();
    for (let i = 0; i < 10; i++) p.set(`plain:${i}`, 'v');
    await p.exec();
  });
  after(async () => {
    await redis?.stop();
  });

  test('JSON lines: tick 1 says baseline and lists nothing; tick 2 puts 10 -> 20 keys without TTL above a larger byte growth', async () => {
    // Between the ticks: double the keys without TTL (+10, +100%) and grow used memory by far
    // more bytes but a smaller share; the raw-magnitude ranking put memory first.
    let changed: Promise<unknown> = Promise.resolve();
    const stdout = new LineSink((_line, index) => {
      if (index !== 0) return;
      const p = redis.client().pipeline();
      for (let i = 10; i < 20; i++) p.set(`plain:${i}`, 'x'.repeat(20_000));
      changed = p.exec();
    });
    const stderr = new StringSink();
    const code = await run(['node', 'cachectl', 'inspect', 'nodes', '--redis', `redis://${redis.address}`, '--watch', '1s', '--ticks', '2'], {
      stdout,
      stderr,
      stdin: Readable.from([]),
      env: {},
      cwd: process.cwd(),
      signal: new AbortController().signal,
    });
    await changed;
    assert.equal(code, 0, stderr.text);
    const ticks = stdout.text
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Tick);
    assert.equal(ticks.length, 2);
    assert.equal(ticks[0]?.baseline, true);
    assert.deepEqual(ticks[0]?.worse, [], 'nothing is worse on the baseline tick');
    assert.equal(ticks[1]?.baseline, undefined);
    const worse = ticks[1]?.worse ?? [];
    const noTtl = worse.findIndex((c) => c.metric === 'keys without TTL');
    const memory = worse.findIndex((c) => c.metric === 'used memory');
    assert.ok(noTtl >= 0, JSON.stringify(worse));
    assert.deepEqual([worse[noTtl]?.previous, worse[noTtl]?.worsening, worse[noTtl]?.relative], [10, 10, 1]);
    assert.ok(memory > noTtl, `keys without TTL (+100%) rank above used memory (+${worse[memory]?.worsening} bytes): ${JSON.stringify(worse)}`);
    assert.ok((worse[memory]?.worsening ?? 0) > 10, 'memory grew by more bytes than keys were added');
  });
});

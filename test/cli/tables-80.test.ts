import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { run } from '../../src/cli.js';
import { StringSink } from '../../src/io.js';
import { startRedis, type RedisProcess } from '../harness/redis.js';

/** Runs the CLI in-process with stdout a terminal of `columns` columns (or a pipe), colour off. */
async function runAt(args: string[], columns: number | undefined): Promise<{ code: number; stdout: string; stderr: string }> {
  const stdout = new StringSink();
  if (columns !== undefined) Object.assign(stdout, { isTTY: true, columns });
  const stderr = new StringSink();
  const code = await run(['node', 'cachectl', ...args], {
    stdout,
    stderr,
    stdin: Readable.from([]),
    env: { NO_COLOR: '1' },
    cwd: process.cwd(),
    signal: new AbortController().signal,
  });
  return { code, stdout: stdout.text, stderr: stderr.text };
}

const widest = (text: string) => Math.max(...text.split('\n').map((l) => [...l].length));
const LONG = `tenant:acme-corporation:session:${'0123456789'.repeat(6)}:7`;

describe('tables on an 80-column terminal fit it; a pipe gets them as before', () => {
  let redis: RedisProcess;
  let url: string;
  before(async () => {
    redis = await startRedis();
    url = `redis://${redis.address}`;
    const p = redis.client().pipeline();
    for (let i = 0; i < 3; i++) p.set(`stampede:${LONG}:${i}`, String(100 + i)); // leaked counters, no TTL
    p.set(`${LONG}:plain`, 'v');
    await p.exec();
  });
  after(async () => {
    await redis?.stop();
  });

  test('inspect nodes: 14 columns folded into stacked tables, each led by the node, `-` cells aligned', async () => {
    const tty = await runAt(['inspect', 'nodes', '--redis', url], 80);
    assert.equal(tty.code, 0, tty.stderr);
    // The table rows (the sentences under it are prose, which a terminal may wrap).
    const tableLines = tty.stdout.split('\n').filter((l) => /^(node|127\.0\.0\.1:)\S*\s/.test(l));
    assert.ok(tableLines.length >= 4, tty.stdout);
    assert.ok(widest(tableLines.join('\n')) <= 80, tty.stdout);
    const blocks = tty.stdout.split('\n\n').filter((b) => /^node\s/m.test(b));
    assert.ok(blocks.length >= 2, tty.stdout);
    for (const b of blocks) assert.match(b, new RegExp(`^${redis.address.replace(/\./g, '\\.')}\\s`, 'm'));
    const pipe = await runAt(['inspect', 'nodes', '--redis', url], undefined);
    assert.ok(widest(pipe.stdout) > 80, 'off a terminal the table is one line per node, as before');
    assert.equal(pipe.stdout.split('\n').filter((l) => /^node\s/.test(l)).length, 1);
  });

  test('inspect stampede: long keys cut in the middle, their end kept, columns aligned', async () => {
    const tty = await runAt(['inspect', 'stampede', '--redis', url], 80);
    assert.equal(tty.code, 0, tty.stderr);
    const table = tty.stdout.split('\n\n').find((b) => b.startsWith('Highest counts')) ?? '';
    const lines = table.split('\n').slice(1);
    assert.match(lines[0] as string, /^key\s+node\s+count\s+TTL\s+flags$/);
    assert.equal(lines.length, 4, table);
    for (const l of lines) assert.ok([...l].length <= 80, l);
    for (const l of lines.slice(1)) {
      assert.match(l, /^stampede:tenant.*….*:\d\s/, l);
      assert.equal(l.indexOf(redis.address), (lines[0] as string).indexOf('node'), 'node column aligned');
      assert.equal(l.indexOf('no TTL'), (lines[0] as string).indexOf('TTL'), 'TTL column aligned');
    }
    const pipe = await runAt(['inspect', 'stampede', '--redis', url], undefined);
    assert.ok(pipe.stdout.includes(`stampede:${LONG}:0`), 'a pipe gets whole keys');
  });

  test('inspect ttl --list: streamed key rows fit too', async () => {
    const tty = await runAt(['inspect', 'ttl', '--redis', url, '--list'], 80);
    assert.equal(tty.code, 0, tty.stderr);
    const rows = tty.stdout.split('\n').filter((l) => l.startsWith('key ') || l.includes('…'));
    assert.ok(rows.length >= 5, tty.stdout);
    for (const l of rows) assert.ok([...l].length <= 80, l);
    const header = rows[0] as string;
    for (const l of rows.slice(1)) assert.equal(l.indexOf(redis.address), header.indexOf('node'), l);
  });

  test('herd simulate: the strategy comparison fits 80 columns', async () => {
    const args = ['herd', 'simulate', '--strategy', 'all', '--clients', '50', '--rounds', '2'];
    const tty = await runAt(args, 80);
    assert.equal(tty.code, 0, tty.stderr);
    assert.ok(widest(tty.stdout) <= 80, tty.stdout);
    const pipe = await runAt(args, undefined);
    assert.ok(widest(pipe.stdout) > 80);
    for (const strategy of ['none', 'lock', 'xfetch']) assert.match(tty.stdout, new RegExp(`^${strategy}\\s`, 'm'));
  });

  test('ring diff: a wide from -> to matrix fits 80 columns', async () => {
    const servers = Array.from({ length: 12 }, (_, i) => `10.0.0.${i + 1}:6379:1 cache-node-${String(i + 1).padStart(2, '0')}`).join(',');
    // A removed node's keys go to every other node: eleven columns of shares.
    const args = ['ring', 'diff', '--ring', servers, '--remove', 'cache-node-01'];
    const tty = await runAt(args, 80);
    assert.equal(tty.code, 0, tty.stderr);
    assert.ok(widest(tty.stdout) <= 80, tty.stdout);
    assert.ok(widest((await runAt(args, undefined)).stdout) > 80);
    for (let i = 2; i <= 12; i++) assert.match(tty.stdout, new RegExp(`cache-node-${String(i).padStart(2, '0')}`));
    const stats = await runAt(['ring', 'stats', '--ring', servers], 80);
    assert.equal(stats.code, 0, stats.stderr);
    assert.ok(widest(stats.stdout) <= 80, stats.stdout);
  });
});

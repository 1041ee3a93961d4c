import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runCli } from '../harness/cli.js';

// Nothing here reaches a server: every case fails (or answers) before connecting.
const FETCH = 'SELECT * FROM products WHERE id = $1';
const unreachable = ['--redis', 'redis://127.0.0.1:1', '--pg', 'postgres://nobody@127.0.0.1:1/none'];

test('an --assert naming an unknown metric is a usage error (exit 2) before anything connects', async () => {
  const r = await runCli(['herd', ...unreachable, '--key', 'product:42', '--fetch', FETCH, '--assert', 'amplification<=1.5,slowness<3']);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /--assert: unknown metric 'slowness'/);
  assert.equal(r.stderr.trim().split('\n').length, 1);
});

test('usage errors are exit 2 with one line naming the flag', async () => {
  const cases: [string[], RegExp][] = [
    [['--fetch', FETCH], /--key: name the hot key/],
    [['--key', 'product:42'], /--fetch: give the query/],
    [['--key', 'product:42', '--fetch', 'SELECT * FROM products WHERE id = 42'], /must use \$1/],
    [['--key', 'product:42', '--fetch', 'SELECT * FROM products WHERE id = $1 AND stock > $2'], /only \$1 may be used/],
    [['--key', 'product:42', '--fetch', 'SELECT 1 WHERE $1 IS NOT NULL; DROP TABLE products'], /one statement only/],
    [['--key', 'product:42', '--fetch', FETCH, '--strategy', 'none,magic'], /unknown strategy 'magic'/],
    [['--key', 'product:42', '--fetch', FETCH, '--clients', '0'], /--clients: '0' must be a whole number above 0/],
    [['--key', 'product:42', '--fetch', FETCH, '--clients', '999999'], /--clients: 999999 is above the drill's bound/],
    [['--key', 'product:42', '--fetch', FETCH, '--beta', '-1'], /--beta/],
    [['--key', 'product:42', '--fetch', FETCH, '--db-delay', 'soon'], /--db-delay/],
    [['--key', 'product:42', '--keys', 'keys.txt', '--fetch', FETCH], /choose one of --key and --keys/],
    [['--key', 'product:42', '--fetch', FETCH, '--expire-together', '--ttl-jitter', '10%'], /contradict/],
    [['--key', 'product:42', '--fetch', FETCH, '--rate', '100', '--trigger', 'delete'], /open-loop drill \(--rate\) lets the keys expire naturally/],
    [['--key', 'product:42', '--fetch', FETCH, '--ttl-jitter', '10%'], /a deleted key has no TTL to jitter/],
    [['--key', 'product:42', '--fetch', FETCH, '--rate', '100000', '--duration', '1h'], /above the drill's bound/],
  ];
  for (const [args, message] of cases) {
    const r = await runCli(['herd', ...unreachable, ...args]);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, message);
  }
});

test('--url at a host that is not this machine needs --yes (exit 2, nothing sent)', async () => {
  const r = await runCli(['herd', ...unreachable, '--url', 'http://shop.example.com/products/42', '--invalidate', 'product:42']);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /shop\.example\.com is not this machine.*--yes/);
  const other = await runCli(['herd', ...unreachable, '--url', 'http://127.0.0.1:1/p', '--invalidate', 'product:42', '--fetch', FETCH]);
  assert.equal(other.code, 2);
  assert.match(other.stderr, /--fetch does not apply to an HTTP drill/);
});

test('an unreachable Redis is exit 3', async () => {
  const r = await runCli(['herd', ...unreachable, '--key', 'product:42', '--fetch', FETCH]);
  assert.equal(r.code, 3);
  assert.match(r.stderr, /cannot connect to Redis at 127\.0\.0\.1:1/);
});

test('herd simulate needs no server and prints predicted next to simulated amplification', async () => {
  const r = await runCli(['herd', 'simulate', '--strategy', 'none,lock,coalesce', '--clients', '50', '--processes', '2']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /predicted/);
  assert.match(r.stdout, /^none\s+100\s+100\b/m);
  assert.match(r.stdout, /^coalesce\s+2\s+2\b/m);
});

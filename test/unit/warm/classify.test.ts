import { test } from 'node:test';
import assert from 'node:assert/strict';
import RedisParser from 'redis-parser';
import { classifyError } from '../../../src/adapters/redis/reply-errors.js';
import { classifyPgError } from '../../../src/adapters/postgres/pg-errors.js';
import { RespBuffer } from '../../../src/adapters/redis/resp-buffer.js';
import { emptyItems, encodeWrite, MODE_HASH, MODE_NX, shouldWrite } from '../../../src/adapters/redis/write-items.js';
import type { Ticket } from '../../../src/core/warm/ports.js';

test('Redis replies: redirects are followed, transient errors retried, the rest fail with the message', () => {
  assert.deepEqual(classifyError(new Error('MOVED 3999 127.0.0.1:7001'), true), { kind: 'moved', address: '127.0.0.1:7001' });
  assert.deepEqual(classifyError(new Error('ASK 3999 127.0.0.1:7002'), true), { kind: 'ask', address: '127.0.0.1:7002' });
  for (const m of [
    'LOADING Redis is loading the dataset in memory',
    'TRYAGAIN Multiple keys request during rehashing',
    'CLUSTERDOWN The cluster is down',
    'Connection is closed (127.0.0.1:1)',
    'connect ECONNREFUSED 127.0.0.1:1',
  ]) {
    assert.equal(classifyError(new Error(m), true).kind, 'retry', m);
  }
  assert.deepEqual(classifyError(new Error("READONLY You can't write against a read only replica."), true), {
    kind: 'retry',
    refresh: true,
    reason: "READONLY You can't write against a read only replica.",
  });
  assert.equal(classifyError(new Error("READONLY You can't write against a read only replica."), false).kind, 'fail');
  assert.deepEqual(classifyError(new Error("OOM command not allowed when used memory > 'maxmemory'."), true), {
    kind: 'fail',
    reason: "OOM command not allowed when used memory > 'maxmemory'.",
  });
});

test('PostgreSQL errors: bad input splits the batch, outages are retried, timeouts reported', () => {
  assert.equal(classifyPgError(Object.assign(new Error('invalid input syntax for type bigint: "x"'), { code: '22P02' })), 'input');
  assert.equal(classifyPgError(Object.assign(new Error('value out of range'), { code: '22003' })), 'input');
  assert.equal(classifyPgError(Object.assign(new Error('terminating connection due to administrator command'), { code: '57P01' })), 'transient');
  assert.equal(classifyPgError(Object.assign(new Error('could not serialize access'), { code: '40001' })), 'transient');
  assert.equal(classifyPgError(new Error('Connection terminated unexpectedly')), 'transient');
  assert.equal(classifyPgError(Object.assign(new Error('canceling statement due to statement timeout'), { code: '57014' })), 'timeout');
  assert.equal(classifyPgError(Object.assign(new Error('column "x" does not exist'), { code: '42703' })), 'other');
});

function decode(buf: Buffer): unknown[] {
  const out: unknown[] = [];
  const parser = new RedisParser({ returnReply: (r: unknown) => out.push(r), returnError: (e: Error) => out.push(e) });
  parser.execute(buf);
  return out;
}

test('pipelines are encoded as RESP arrays of bulk strings, UTF-8 lengths in bytes', () => {
  const items = emptyItems();
  const ticket: Ticket = { entry: 'e', entryIndex: 0, position: 1, remaining: 0, sealed: false };
  const add = (key: string, value: string | string[], ttl: number, mode: number) => {
    items.keys.push(key);
    items.values.push(value);
    items.ttls.push(ttl);
    items.stale.push(false);
    items.tickets.push(ticket);
    items.modes.push(mode);
    items.refresh.push(-1);
    items.attempts.push(0);
  };
  add('k:é', 'vålue', 60000, 0);
  add('k:2', 'v', -1, MODE_NX);
  add('h:1', ['a', '1', 'b', 'ü'], 5000, MODE_HASH);
  const p = new RespBuffer();
  assert.equal(encodeWrite(p, items, 0, false), 6);
  encodeWrite(p, items, 1, false);
  assert.equal(encodeWrite(p, items, 2, false), 5);
  // The encoding, read back as a stream of RESP arrays (a server's view of the pipeline).
  assert.deepEqual(decode(p.bytes()), [
    ['SET', 'k:é', 'vålue', 'PX', '60000'],
    ['SET', 'k:2', 'v', 'NX'],
    ['MULTI'],
    ['DEL', 'h:1'],
    ['HSET', 'h:1', 'a', '1', 'b', 'ü'],
    ['PEXPIRE', 'h:1', '5000'],
    ['EXEC'],
  ]);
  assert.equal(p.replies, 7);
});

test('the pipeline buffer grows for values larger than its first allocation', () => {
  const p = new RespBuffer();
  const big = 'x'.repeat(300_000);
  p.command3('SET', 'big', big);
  p.command2('GET', 'big');
  assert.deepEqual(decode(p.bytes()), [
    ['SET', 'big', big],
    ['GET', 'big'],
  ]);
});

test('refresh-below: absent keys and keys under the threshold are written, others skipped', () => {
  const items = emptyItems();
  items.refresh.push(300_000);
  items.modes.push(0);
  assert.equal(shouldWrite(items, 0, -2), true);
  assert.equal(shouldWrite(items, 0, 10_000), true);
  assert.equal(shouldWrite(items, 0, 600_000), false);
  assert.equal(shouldWrite(items, 0, -1), false);
});

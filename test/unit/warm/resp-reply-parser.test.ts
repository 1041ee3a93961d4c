import { test } from 'node:test';
import assert from 'node:assert/strict';
import RedisParser from 'redis-parser';
import { OK, ReplyError, RespReplyParser } from '../../../src/adapters/redis/resp-reply-parser.js';

/** What redis-parser (the parser ioredis uses) makes of these bytes: the reference. */
function reference(bytes: Buffer): unknown[] {
  const out: unknown[] = [];
  const parser = new RedisParser({
    returnReply: (reply: unknown) => out.push(reply),
    returnError: (error: Error) => out.push({ error: error.message }),
    returnFatalError: (error: Error) => out.push({ fatal: error.message }),
  });
  parser.execute(bytes);
  return out;
}

function ours(chunks: Buffer[]): unknown[] {
  const out: unknown[] = [];
  const parser = new RespReplyParser(
    (reply) => out.push(reply instanceof ReplyError ? { error: reply.message } : reply),
    (error) => out.push({ fatal: error.message }),
  );
  for (const chunk of chunks) parser.execute(chunk);
  return out;
}

/** Nested error replies inside arrays, as plain objects on both sides. */
function plain(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(plain);
  if (value instanceof Error) return { error: value.message };
  return value;
}

const big = 'x'.repeat(70_000);
const pipeline = Buffer.from(
  [
    '+OK\r\n',
    '+OK\r\n',
    '$-1\r\n',
    '-MOVED 3999 127.0.0.1:7001\r\n',
    ':12\r\n',
    ':-2\r\n',
    '+QUEUED\r\n',
    '*3\r\n+OK\r\n:1\r\n-WRONGTYPE Operation against a key holding the wrong kind of value\r\n',
    '*-1\r\n',
    '*0\r\n',
    '$0\r\n\r\n',
    '$6\r\nh\u00e9\u00e9!\r\n',
    `$${big.length}\r\n${big}\r\n`,
    '-EXECABORT Transaction discarded because of previous errors.\r\n',
    '*2\r\n*1\r\n$3\r\nabc\r\n$-1\r\n',
    '+O\r\n',
    '+OKAY\r\n',
    '+OK\r\n',
  ].join(''),
  'utf8',
);

test('the same replies as redis-parser, whole and split at every offset', () => {
  const expected = reference(pipeline).map(plain);
  assert.equal(expected.length, 18);
  assert.deepEqual(ours([pipeline]).map(plain), expected);
  // Every split point of the small replies, and a sample through the large bulk string.
  for (let at = 1; at < pipeline.length; at += at < 400 || at > pipeline.length - 400 ? 1 : 997) {
    assert.deepEqual(ours([pipeline.subarray(0, at), pipeline.subarray(at)]).map(plain), expected, `split at ${at}`);
  }
});

test('a reply delivered a byte at a time', () => {
  const small = pipeline.subarray(0, 300);
  const expected = reference(small).map(plain);
  const bytes = [...small].map((b) => Buffer.from([b]));
  assert.deepEqual(ours(bytes).map(plain), expected);
});

test('+OK is one shared value; errors are ReplyError by name', () => {
  const seen: unknown[] = [];
  const parser = new RespReplyParser(
    (reply) => seen.push(reply),
    () => assert.fail('no fatal error'),
  );
  parser.execute(Buffer.from('+OK\r\n-ERR no\r\n'));
  assert.equal(seen[0], OK);
  assert.ok(seen[1] instanceof Error);
  assert.equal((seen[1] as Error).name, 'ReplyError');
  assert.equal((seen[1] as Error).message, 'ERR no');
});

test('a byte that starts no reply is a fatal protocol error', () => {
  const fatal: string[] = [];
  const parser = new RespReplyParser(
    () => undefined,
    (error) => fatal.push(error.message),
  );
  parser.execute(Buffer.from('+OK\r\n?what\r\n'));
  assert.equal(fatal.length, 1);
  assert.match(fatal[0] as string, /protocol error/);
});

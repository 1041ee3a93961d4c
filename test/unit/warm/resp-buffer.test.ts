import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BufferPool, constantArg, digitCount, RespBuffer } from '../../../src/adapters/redis/resp-buffer.js';

/** The obvious encoder, as the reference: `*n`, then `$len` and the bytes of each argument. */
function reference(commands: (string | number)[][]): Buffer {
  const parts: Buffer[] = [];
  for (const args of commands) {
    parts.push(Buffer.from(`*${args.length}\r\n`));
    for (const a of args) {
      const bytes = Buffer.from(String(a), 'utf8');
      parts.push(Buffer.from(`$${bytes.length}\r\n`), bytes, Buffer.from('\r\n'));
    }
  }
  return Buffer.concat(parts);
}

function encode(commands: (string | number)[][], sizeHint?: number): RespBuffer {
  const p = new RespBuffer(sizeHint);
  for (const args of commands) {
    p.begin(args.length);
    for (const a of args)
      if (typeof a === 'number') p.bulkInteger(a);
      else p.bulk(a);
  }
  return p;
}

test('encodes what the obvious encoder encodes, multi-byte strings included', () => {
  const strings = [
    '',
    'a',
    'product:42',
    'é'.repeat(5), // 5 units, 10 bytes: the length header needs one digit more than reserved
    'é'.repeat(9),
    '€'.repeat(40), // 3-byte characters: 40 units, 120 bytes
    '😀'.repeat(3), // surrogate pairs: 6 units, 12 bytes
    'x'.repeat(9_999) + 'é', // 10,000 units, 10,001 bytes
    'x'.repeat(99_999) + '€', // crosses into 6 digits and forces the buffer to grow
    'tab\tcr\rlf\nnul\u0000',
  ];
  const commands = strings.map((s, i) => ['SET', `key:${i}:${s.slice(0, 3)}`, s, 'PX', 3_600_000]);
  const p = encode(commands, 256);
  assert.deepEqual(p.bytes(), reference(commands));
  assert.equal(p.replies, commands.length);
  assert.equal(p.size, reference(commands).length);
});

test('short strings (the ASCII loop) and their fall-back at a first other character, at every place and around the loop limit', () => {
  let seed = 5;
  const rand = (n: number) => ((seed = (seed * 1103515245 + 12345) >>> 0) >>> 8) % n;
  const others = ['é', '€', '😀', '\u0080', '\u07ff'];
  const commands: string[][] = [];
  for (let i = 0; i < 2_000; i++) {
    const length = rand(4) === 0 ? 60 + rand(8) : rand(70);
    let text = '';
    for (let j = 0; j < length; j++) text += String.fromCharCode(32 + rand(95));
    // Half of them get a non-ASCII character somewhere (first, last, middle).
    if (rand(2) === 0) {
      const at = rand(length + 1);
      text = text.slice(0, at) + (others[rand(others.length)] as string) + text.slice(at);
    }
    commands.push(['SET', text, rand(3) === 0 ? '\u007f' : 'v']);
  }
  // A small first buffer: the loop's room check and the buffer's growth are on the way.
  const p = encode(commands, 256);
  assert.deepEqual(p.bytes(), reference(commands));
  const q = new RespBuffer(256);
  q.bulk('product:1234');
  assert.equal(q.lastBulkBytes, 12);
  q.bulk('product:€');
  assert.equal(q.lastBulkBytes, 11);
});

test('integers of every digit count, and lastBulkBytes', () => {
  const values = [0, 7, 9, 10, 99, 100, 123_456, 3_600_000, 2 ** 31, 2 ** 40 + 3, Number.MAX_SAFE_INTEGER];
  const commands = values.map((v) => ['PEXPIRE', 'k', v]);
  assert.deepEqual(encode(commands).bytes(), reference(commands));
  for (const v of values) assert.equal(digitCount(v), String(v).length, `digitCount(${v})`);
  const p = new RespBuffer();
  p.bulk('€€');
  assert.equal(p.lastBulkBytes, 6);
  p.bulkInteger(12345);
  assert.equal(p.lastBulkBytes, 5);
  assert.throws(() => p.bulkInteger(1.5), /not a non-negative integer/);
  assert.throws(() => p.bulkInteger(-1), /not a non-negative integer/);
});

test('constant arguments are byte-identical to bulk() of the same text', () => {
  const a = new RespBuffer();
  a.begin(3);
  a.constant(constantArg('SET'));
  a.bulk('k');
  a.constant(constantArg('NX'));
  assert.deepEqual(a.bytes(), reference([['SET', 'k', 'NX']]));
  // Growth from the smallest buffer, through constants only.
  const b = new RespBuffer(1);
  const ping = constantArg('PING');
  for (let i = 0; i < 1000; i++) {
    b.begin(1);
    b.constant(ping);
  }
  assert.deepEqual(b.bytes(), reference(Array.from({ length: 1000 }, () => ['PING'])));
});

test('a pooled buffer is reused once released, and a grown one goes back too', () => {
  const pool = new BufferPool(2);
  const a = new RespBuffer(1000, pool);
  a.command2('SET', 'x'.repeat(100));
  const memory = a.bytes().buffer;
  a.release();
  const b = new RespBuffer(1000, pool);
  b.command2('GET', 'k');
  assert.equal(b.bytes().buffer, memory, 'the released buffer is the one handed out next');
  assert.deepEqual(b.bytes(), reference([['GET', 'k']]));
  // Growing past the pooled buffer encodes correctly; both buffers go back to the pool.
  const big = 'y'.repeat(200_000);
  b.begin(1);
  b.bulk(big);
  assert.deepEqual(b.bytes(), reference([['GET', 'k'], [big]]));
  const grown = b.bytes().buffer;
  assert.notEqual(grown, memory);
  b.release();
  const c = new RespBuffer(150_000, pool);
  assert.equal(c.bytes().buffer, grown, 'only the grown buffer is large enough');
  const d = new RespBuffer(100, pool);
  assert.equal(d.bytes().buffer, memory);
  const e = new RespBuffer(100, pool);
  assert.notEqual(e.bytes().buffer, memory, 'the pool is empty: a new buffer');
});

test('the pool keeps at most its byte bound free, dropping the smallest buffers first', () => {
  const pool = new BufferPool(32, 16 * 1024 * 1024, 1024 * 1024);
  const small = Array.from({ length: 20 }, () => Buffer.allocUnsafe(64 * 1024));
  for (const b of small) pool.give(b);
  assert.equal(pool.pooledBytes, 16 * 64 * 1024, 'sixteen 64 KiB buffers fill 1 MiB; the other four are dropped');
  const large = Buffer.allocUnsafe(512 * 1024);
  pool.give(large);
  assert.equal(pool.pooledBytes, 8 * 64 * 1024 + 512 * 1024, 'the large one is kept, eight small ones make room');
  assert.equal(pool.take(300 * 1024), large, 'a full pipeline finds the large buffer');
  assert.equal(pool.pooledBytes, 8 * 64 * 1024);
  pool.give(Buffer.allocUnsafe(2 * 1024 * 1024));
  assert.equal(pool.pooledBytes, 8 * 64 * 1024, 'a buffer over the byte bound is not kept');
});

test('a repeated integer (the TTL of every key) is copied from its last encoding, byte-identical, across buffer growth', () => {
  const commands: (string | number)[][] = [];
  for (let i = 0; i < 300; i++) {
    const ttl = i % 7 === 0 ? 3_600_000 + i : 3_600_000; // a jittered one now and then
    commands.push(['SET', `k:${i}`, 'v'.repeat(i % 50 === 0 ? 5_000 : 20), 'PX', ttl]);
  }
  for (const v of [9_999, 9_999, 10_000, 2 ** 31 - 1, 2 ** 31 - 1, 2 ** 31, 2 ** 31, 0, 0]) commands.push(['PEXPIRE', 'k', v]);
  assert.deepEqual(encode(commands, 256).bytes(), reference(commands));
});

test('bulkBytes copies spans byte for byte, from several chunks in turn (views at an offset into a larger buffer, into a buffer at an offset and grown), short and long', () => {
  let seed = 11;
  const rand = (n: number) => ((seed = (seed * 1103515245 + 12345) >>> 0) >>> 8) % n;
  const backing = Buffer.alloc(1 << 16);
  for (let i = 0; i < backing.length; i++) backing[i] = rand(256);
  // Chunks as the COPY reader sees them: Buffers that start inside a shared ArrayBuffer.
  const chunks = [backing.subarray(100, 20_000), backing.subarray(20_000, 40_000), Buffer.from(backing.subarray(7, 9_000))];
  const p = new RespBuffer(256);
  const expected: Buffer[] = [];
  for (let i = 0; i < 3_000; i++) {
    const chunk = chunks[rand(3) === 0 ? rand(3) : i % 2] as Buffer;
    // Short (a byte loop), around the loop's limit of 32, long (native).
    const length = rand(4) === 0 ? rand(2_000) : rand(2) === 0 ? 30 + rand(180) : rand(40);
    const at = rand(chunk.length - length);
    p.begin(1);
    p.bulkBytes(chunk, at, length);
    assert.equal(p.lastBulkBytes, length);
    expected.push(Buffer.from(`*1\r\n$${length}\r\n`), chunk.subarray(at, at + length), Buffer.from('\r\n'));
  }
  assert.ok(p.bytes().equals(Buffer.concat(expected)));
});

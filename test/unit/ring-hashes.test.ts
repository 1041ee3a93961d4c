/**
 * twemproxy's key hashes: published test vectors where they exist, node:crypto for md5, and the
 * quirks spelled out. Agreement of every hash with the real nutcracker, non-ASCII keys included,
 * is proven in test/integration/ring-twemproxy.test.ts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { md5Words } from '../../src/topology/ring/md5.js';
import {
  CRC16_TABLE,
  CRC32_TABLE,
  KEY_HASHES,
  crc16,
  crc32,
  crc32a,
  fnv1_32,
  fnv1_64,
  fnv1a32,
  fnv1a64,
  jenkins,
  oneAtATime,
} from '../../src/topology/ring/hashes.js';
import { encodeKey, scratchBytes } from '../../src/topology/ring/bytes.js';

const bytes = (s: string) => new TextEncoder().encode(s);
const h = (fn: (b: Uint8Array, s: number, l: number) => number, s: string) => fn(bytes(s), 0, bytes(s).length);

test('md5Words equals node:crypto md5 for every length across the padding boundaries (0..300 bytes)', () => {
  for (let n = 0; n <= 300; n++) {
    const input = Uint8Array.from({ length: n }, (_, i) => (i * 131 + n * 7) & 0xff);
    const w = md5Words(input, 0, n);
    const ours = Buffer.alloc(16);
    w.forEach((x, i) => ours.writeUInt32LE(x, i * 4));
    assert.equal(ours.toString('hex'), createHash('md5').update(input).digest('hex'), `length ${n}`);
  }
});

test('FNV: published vectors for "a" and "foobar" (64-bit variants keep the low 32 bits)', () => {
  assert.equal(h(fnv1a32, 'a'), 0xe40c292c);
  assert.equal(h(fnv1_32, 'a'), 0x050c5d7e);
  assert.equal(h(fnv1a64, 'a'), 0x8601ec8c); // FNV-1a 64 "a" = 0xaf63dc4c8601ec8c
  assert.equal(h(fnv1_64, 'a'), 0x8601b7be); // FNV-1 64 "a" = 0xaf63bd4c8601b7be
  assert.equal(h(fnv1a32, 'foobar'), 0xbf9cf968);
  assert.equal(h(fnv1a64, 'foobar'), 0xf73967e8); // 0x85944171f73967e8
});

test('fnv1a_64 is the low 32 bits of real FNV-1a 64 for ASCII, and differs for bytes >= 0x80 (signed char)', () => {
  const real = (s: string) => {
    let x = 0xcbf29ce484222325n;
    for (const b of bytes(s)) x = ((x ^ BigInt(b)) * 0x100000001b3n) & 0xffffffffffffffffn;
    return Number(x & 0xffffffffn);
  };
  for (const s of ['product:1', 'user:{acme}:7', 'x'.repeat(100)]) assert.equal(h(fnv1a64, s), real(s), s);
  assert.notEqual(h(fnv1a64, 'é'), real('é'), 'twemproxy XORs 0xFFFFFFC3, not 0xC3, for the byte 0xC3');
});

test('CRC tables and check values: crc32a is CRC-32, crc32 its bits 16..30, crc16 XMODEM without masking', () => {
  assert.deepEqual([...CRC16_TABLE.slice(0, 4)], [0x0000, 0x1021, 0x2042, 0x3063]);
  assert.deepEqual([...CRC32_TABLE.slice(0, 4)], [0x00000000, 0x77073096, 0xee0e612c, 0x990951ba]);
  assert.equal(h(crc32a, '123456789'), 0xcbf43926);
  assert.equal(h(crc32, '123456789'), (0xcbf43926 >>> 16) & 0x7fff);
  assert.equal(h(crc16, '123456789') & 0xffff, 0x31c3);
  assert.ok(h(crc16, '123456789') > 0xffff, 'twemproxy never masks the running CRC to 16 bits');
});

test("one_at_a_time: Wikipedia's vectors; jenkins of an empty key is its initial value", () => {
  assert.equal(h(oneAtATime, 'a'), 0xca2e9442);
  assert.equal(h(oneAtATime, 'The quick brown fox jumps over the lazy dog'), 0x519e91f5);
  assert.equal(h(jenkins, ''), (0xdeadbeef + 13) >>> 0);
});

test('every hash returns an unsigned 32-bit integer and hashes a byte range, not the whole buffer', () => {
  const buf = bytes('xxproduct:42yy');
  for (const [name, fn] of Object.entries(KEY_HASHES)) {
    const v = fn(buf, 2, 10);
    assert.ok(Number.isInteger(v) && v >= 0 && v <= 0xffffffff, name);
    assert.equal(v, h(fn, 'product:42'), name);
  }
});

test('keys are encoded as UTF-8, including astral characters and lone surrogates (as Buffer.from does)', () => {
  for (const key of ['plain', 'é', '🙂x', 'a\ud800b', 'ключ:1']) {
    const n = encodeKey(key);
    assert.deepEqual(Buffer.from(scratchBytes().subarray(0, n)), Buffer.from(key, 'utf8'), key);
  }
  const long = 'é'.repeat(5000);
  assert.equal(encodeKey(long), 10000, 'the scratch buffer grows for long keys');
});

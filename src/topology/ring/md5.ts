/**
 * MD5 (RFC 1321) over a byte range, written for the ring's hot path: no allocation per call,
 * the four state words are returned in a shared Uint32Array. node:crypto's createHash costs
 * an object and a digest Buffer per key, which is several times slower for short keys
 * (see test/bench/ring.ts). Checked against node:crypto in test/unit/ring-hashes.test.ts.
 */

/** Per-round left rotations. */
const S = [7, 12, 17, 22, 5, 9, 14, 20, 4, 11, 16, 23, 6, 10, 15, 21];
/** K[i] = floor(abs(sin(i + 1)) * 2^32). */
const K = new Int32Array(64);
for (let i = 0; i < 64; i++) K[i] = Math.floor(Math.abs(Math.sin(i + 1)) * 0x100000000) | 0;

const state = new Uint32Array(4);
const block = new Int32Array(16);
const tail = new Uint8Array(128);

/**
 * MD5 of bytes[start, start+len). Returns the state words a, b, c, d: word j read
 * little-endian is digest bytes 4j..4j+3 (ketama's "alignment j"). The array is reused.
 */
export function md5Words(bytes: Uint8Array, start: number, len: number): Uint32Array {
  const st = words;
  st[0] = 0x67452301;
  st[1] = 0xefcdab89;
  st[2] = 0x98badcfe;
  st[3] = 0x10325476;
  const w = block;
  const full = len & ~63;
  const end = start + full;
  for (let p = start; p < end; p += 64) {
    for (let i = 0, q = p; i < 16; i++, q += 4) w[i] = bytes[q]! | (bytes[q + 1]! << 8) | (bytes[q + 2]! << 16) | (bytes[q + 3]! << 24);
    compress(st, w);
  }
  // Final one or two blocks: remaining bytes, 0x80, zeros, length in bits (little-endian).
  const rest = len - full;
  tail.fill(0);
  for (let i = 0; i < rest; i++) tail[i] = bytes[end + i]!;
  tail[rest] = 0x80;
  const tailLen = rest < 56 ? 64 : 128;
  const bitsLow = (len << 3) >>> 0;
  const bitsHigh = Math.floor(len / 0x20000000);
  for (let i = 0; i < 4; i++) {
    tail[tailLen - 8 + i] = (bitsLow >>> (8 * i)) & 0xff;
    tail[tailLen - 4 + i] = (bitsHigh >>> (8 * i)) & 0xff;
  }
  for (let off = 0; off < tailLen; off += 64) {
    for (let i = 0, q = off; i < 16; i++, q += 4) w[i] = tail[q]! | (tail[q + 1]! << 8) | (tail[q + 2]! << 16) | (tail[q + 3]! << 24);
    compress(st, w);
  }
  state[0] = st[0]!;
  state[1] = st[1]!;
  state[2] = st[2]!;
  state[3] = st[3]!;
  return state;
}

const words = new Int32Array(4);

function compress(st: Int32Array, w: Int32Array): void {
  let a = st[0]!;
  let b = st[1]!;
  let c = st[2]!;
  let d = st[3]!;
  for (let i = 0; i < 64; i++) {
    let f: number;
    let g: number;
    const round = i >> 4;
    if (round === 0) {
      f = d ^ (b & (c ^ d));
      g = i;
    } else if (round === 1) {
      f = c ^ (d & (b ^ c));
      g = (5 * i + 1) & 15;
    } else if (round === 2) {
      f = b ^ c ^ d;
      g = (3 * i + 5) & 15;
    } else {
      f = c ^ (b | ~d);
      g = (7 * i) & 15;
    }
    const s = S[(round << 2) | (i & 3)]!;
    const x = (a + f + K[i]! + w[g]!) | 0;
    a = d;
    d = c;
    c = b;
    b = (b + ((x << s) | (x >>> (32 - s)))) | 0;
  }
  st[0] = (st[0]! + a) | 0;
  st[1] = (st[1]! + b) | 0;
  st[2] = (st[2]! + c) | 0;
  st[3] = (st[3]! + d) | 0;
}

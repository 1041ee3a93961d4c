/**
 * MD5 (RFC 1321) over a byte range, written for the ring's hot path: no allocation per call,
 * the four state words are returned in a shared Uint32Array. node:crypto's createHash costs
 * an object and a digest Buffer per key, which is several times slower for short keys
 * (see test/bench/ring.ts). Checked against node:crypto in test/unit/ring-hashes.test.ts.
 */

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
  tail.fill(0, 0, 128);
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

/** One 64-byte block, unrolled (constants inline): the ring's md5 profiles spend most of their time here. */
function compress(st: Int32Array, w: Int32Array): void {
  let a = st[0]!;
  let b = st[1]!;
  let c = st[2]!;
  let d = st[3]!;
  let x: number;
  const w0 = w[0]!;
  const w1 = w[1]!;
  const w2 = w[2]!;
  const w3 = w[3]!;
  const w4 = w[4]!;
  const w5 = w[5]!;
  const w6 = w[6]!;
  const w7 = w[7]!;
  const w8 = w[8]!;
  const w9 = w[9]!;
  const w10 = w[10]!;
  const w11 = w[11]!;
  const w12 = w[12]!;
  const w13 = w[13]!;
  const w14 = w[14]!;
  const w15 = w[15]!;
  x = (a + (d ^ (b & (c ^ d))) - 680876936 + w0) | 0;
  a = (b + ((x << 7) | (x >>> 25))) | 0;
  x = (d + (c ^ (a & (b ^ c))) - 389564586 + w1) | 0;
  d = (a + ((x << 12) | (x >>> 20))) | 0;
  x = (c + (b ^ (d & (a ^ b))) + 606105819 + w2) | 0;
  c = (d + ((x << 17) | (x >>> 15))) | 0;
  x = (b + (a ^ (c & (d ^ a))) - 1044525330 + w3) | 0;
  b = (c + ((x << 22) | (x >>> 10))) | 0;
  x = (a + (d ^ (b & (c ^ d))) - 176418897 + w4) | 0;
  a = (b + ((x << 7) | (x >>> 25))) | 0;
  x = (d + (c ^ (a & (b ^ c))) + 1200080426 + w5) | 0;
  d = (a + ((x << 12) | (x >>> 20))) | 0;
  x = (c + (b ^ (d & (a ^ b))) - 1473231341 + w6) | 0;
  c = (d + ((x << 17) | (x >>> 15))) | 0;
  x = (b + (a ^ (c & (d ^ a))) - 45705983 + w7) | 0;
  b = (c + ((x << 22) | (x >>> 10))) | 0;
  x = (a + (d ^ (b & (c ^ d))) + 1770035416 + w8) | 0;
  a = (b + ((x << 7) | (x >>> 25))) | 0;
  x = (d + (c ^ (a & (b ^ c))) - 1958414417 + w9) | 0;
  d = (a + ((x << 12) | (x >>> 20))) | 0;
  x = (c + (b ^ (d & (a ^ b))) - 42063 + w10) | 0;
  c = (d + ((x << 17) | (x >>> 15))) | 0;
  x = (b + (a ^ (c & (d ^ a))) - 1990404162 + w11) | 0;
  b = (c + ((x << 22) | (x >>> 10))) | 0;
  x = (a + (d ^ (b & (c ^ d))) + 1804603682 + w12) | 0;
  a = (b + ((x << 7) | (x >>> 25))) | 0;
  x = (d + (c ^ (a & (b ^ c))) - 40341101 + w13) | 0;
  d = (a + ((x << 12) | (x >>> 20))) | 0;
  x = (c + (b ^ (d & (a ^ b))) - 1502002290 + w14) | 0;
  c = (d + ((x << 17) | (x >>> 15))) | 0;
  x = (b + (a ^ (c & (d ^ a))) + 1236535329 + w15) | 0;
  b = (c + ((x << 22) | (x >>> 10))) | 0;
  x = (a + (c ^ (d & (b ^ c))) - 165796510 + w1) | 0;
  a = (b + ((x << 5) | (x >>> 27))) | 0;
  x = (d + (b ^ (c & (a ^ b))) - 1069501632 + w6) | 0;
  d = (a + ((x << 9) | (x >>> 23))) | 0;
  x = (c + (a ^ (b & (d ^ a))) + 643717713 + w11) | 0;
  c = (d + ((x << 14) | (x >>> 18))) | 0;
  x = (b + (d ^ (a & (c ^ d))) - 373897302 + w0) | 0;
  b = (c + ((x << 20) | (x >>> 12))) | 0;
  x = (a + (c ^ (d & (b ^ c))) - 701558691 + w5) | 0;
  a = (b + ((x << 5) | (x >>> 27))) | 0;
  x = (d + (b ^ (c & (a ^ b))) + 38016083 + w10) | 0;
  d = (a + ((x << 9) | (x >>> 23))) | 0;
  x = (c + (a ^ (b & (d ^ a))) - 660478335 + w15) | 0;
  c = (d + ((x << 14) | (x >>> 18))) | 0;
  x = (b + (d ^ (a & (c ^ d))) - 405537848 + w4) | 0;
  b = (c + ((x << 20) | (x >>> 12))) | 0;
  x = (a + (c ^ (d & (b ^ c))) + 568446438 + w9) | 0;
  a = (b + ((x << 5) | (x >>> 27))) | 0;
  x = (d + (b ^ (c & (a ^ b))) - 1019803690 + w14) | 0;
  d = (a + ((x << 9) | (x >>> 23))) | 0;
  x = (c + (a ^ (b & (d ^ a))) - 187363961 + w3) | 0;
  c = (d + ((x << 14) | (x >>> 18))) | 0;
  x = (b + (d ^ (a & (c ^ d))) + 1163531501 + w8) | 0;
  b = (c + ((x << 20) | (x >>> 12))) | 0;
  x = (a + (c ^ (d & (b ^ c))) - 1444681467 + w13) | 0;
  a = (b + ((x << 5) | (x >>> 27))) | 0;
  x = (d + (b ^ (c & (a ^ b))) - 51403784 + w2) | 0;
  d = (a + ((x << 9) | (x >>> 23))) | 0;
  x = (c + (a ^ (b & (d ^ a))) + 1735328473 + w7) | 0;
  c = (d + ((x << 14) | (x >>> 18))) | 0;
  x = (b + (d ^ (a & (c ^ d))) - 1926607734 + w12) | 0;
  b = (c + ((x << 20) | (x >>> 12))) | 0;
  x = (a + (b ^ c ^ d) - 378558 + w5) | 0;
  a = (b + ((x << 4) | (x >>> 28))) | 0;
  x = (d + (a ^ b ^ c) - 2022574463 + w8) | 0;
  d = (a + ((x << 11) | (x >>> 21))) | 0;
  x = (c + (d ^ a ^ b) + 1839030562 + w11) | 0;
  c = (d + ((x << 16) | (x >>> 16))) | 0;
  x = (b + (c ^ d ^ a) - 35309556 + w14) | 0;
  b = (c + ((x << 23) | (x >>> 9))) | 0;
  x = (a + (b ^ c ^ d) - 1530992060 + w1) | 0;
  a = (b + ((x << 4) | (x >>> 28))) | 0;
  x = (d + (a ^ b ^ c) + 1272893353 + w4) | 0;
  d = (a + ((x << 11) | (x >>> 21))) | 0;
  x = (c + (d ^ a ^ b) - 155497632 + w7) | 0;
  c = (d + ((x << 16) | (x >>> 16))) | 0;
  x = (b + (c ^ d ^ a) - 1094730640 + w10) | 0;
  b = (c + ((x << 23) | (x >>> 9))) | 0;
  x = (a + (b ^ c ^ d) + 681279174 + w13) | 0;
  a = (b + ((x << 4) | (x >>> 28))) | 0;
  x = (d + (a ^ b ^ c) - 358537222 + w0) | 0;
  d = (a + ((x << 11) | (x >>> 21))) | 0;
  x = (c + (d ^ a ^ b) - 722521979 + w3) | 0;
  c = (d + ((x << 16) | (x >>> 16))) | 0;
  x = (b + (c ^ d ^ a) + 76029189 + w6) | 0;
  b = (c + ((x << 23) | (x >>> 9))) | 0;
  x = (a + (b ^ c ^ d) - 640364487 + w9) | 0;
  a = (b + ((x << 4) | (x >>> 28))) | 0;
  x = (d + (a ^ b ^ c) - 421815835 + w12) | 0;
  d = (a + ((x << 11) | (x >>> 21))) | 0;
  x = (c + (d ^ a ^ b) + 530742520 + w15) | 0;
  c = (d + ((x << 16) | (x >>> 16))) | 0;
  x = (b + (c ^ d ^ a) - 995338651 + w2) | 0;
  b = (c + ((x << 23) | (x >>> 9))) | 0;
  x = (a + (c ^ (b | ~d)) - 198630844 + w0) | 0;
  a = (b + ((x << 6) | (x >>> 26))) | 0;
  x = (d + (b ^ (a | ~c)) + 1126891415 + w7) | 0;
  d = (a + ((x << 10) | (x >>> 22))) | 0;
  x = (c + (a ^ (d | ~b)) - 1416354905 + w14) | 0;
  c = (d + ((x << 15) | (x >>> 17))) | 0;
  x = (b + (d ^ (c | ~a)) - 57434055 + w5) | 0;
  b = (c + ((x << 21) | (x >>> 11))) | 0;
  x = (a + (c ^ (b | ~d)) + 1700485571 + w12) | 0;
  a = (b + ((x << 6) | (x >>> 26))) | 0;
  x = (d + (b ^ (a | ~c)) - 1894986606 + w3) | 0;
  d = (a + ((x << 10) | (x >>> 22))) | 0;
  x = (c + (a ^ (d | ~b)) - 1051523 + w10) | 0;
  c = (d + ((x << 15) | (x >>> 17))) | 0;
  x = (b + (d ^ (c | ~a)) - 2054922799 + w1) | 0;
  b = (c + ((x << 21) | (x >>> 11))) | 0;
  x = (a + (c ^ (b | ~d)) + 1873313359 + w8) | 0;
  a = (b + ((x << 6) | (x >>> 26))) | 0;
  x = (d + (b ^ (a | ~c)) - 30611744 + w15) | 0;
  d = (a + ((x << 10) | (x >>> 22))) | 0;
  x = (c + (a ^ (d | ~b)) - 1560198380 + w6) | 0;
  c = (d + ((x << 15) | (x >>> 17))) | 0;
  x = (b + (d ^ (c | ~a)) + 1309151649 + w13) | 0;
  b = (c + ((x << 21) | (x >>> 11))) | 0;
  x = (a + (c ^ (b | ~d)) - 145523070 + w4) | 0;
  a = (b + ((x << 6) | (x >>> 26))) | 0;
  x = (d + (b ^ (a | ~c)) - 1120210379 + w11) | 0;
  d = (a + ((x << 10) | (x >>> 22))) | 0;
  x = (c + (a ^ (d | ~b)) + 718787259 + w2) | 0;
  c = (d + ((x << 15) | (x >>> 17))) | 0;
  x = (b + (d ^ (c | ~a)) - 343485551 + w9) | 0;
  b = (c + ((x << 21) | (x >>> 11))) | 0;
  st[0] = (st[0]! + a) | 0;
  st[1] = (st[1]! + b) | 0;
  st[2] = (st[2]! + c) | 0;
  st[3] = (st[3]! + d) | 0;
}

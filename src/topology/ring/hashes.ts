/**
 * twemproxy's key hashes (src/hashkit/), reproduced on bytes as twemproxy 0.5 computes them on
 * x86-64 Linux, quirks included, because the ring must agree with the proxy bit for bit:
 * - `char` is signed there, so several hashes see bytes >= 0x80 sign-extended (0xFFFFFFxx).
 *   That only matters for non-ASCII keys, and it is exercised in the nutcracker tests.
 * - fnv1a_64 / fnv1_64 keep only the low 32 bits, so they are 32-bit FNV with the 64-bit
 *   offset basis truncated (0x84222325) and multiplier 0x1b3.
 * - crc32 is libmemcached's: bits 16..30 of the CRC, so only 15 bits (0..32767).
 * - crc16 never masks its running value to 16 bits; the upper bits leak into the result.
 * Every function hashes bytes[start, start+len) and returns an unsigned 32-bit number.
 */
import { md5Words } from './md5.js';
import type { KeyHash } from './types.js';

export type ByteHash = (bytes: Uint8Array, start: number, len: number) => number;

/** A byte as a signed C `char` widened to 32 bits. */
function sext(b: number): number {
  return (b << 24) >> 24;
}

const FNV64_INIT_LOW = 0x84222325; // (uint32_t) 0xcbf29ce484222325
const FNV64_PRIME_LOW = 0x1b3; // (uint32_t) 0x100000001b3
const FNV32_INIT = 0x811c9dc5;
const FNV32_PRIME = 0x01000193;

export function fnv1a64(bytes: Uint8Array, start: number, len: number): number {
  let h = FNV64_INIT_LOW | 0;
  for (let i = start, end = start + len; i < end; i++) h = Math.imul(h ^ sext(bytes[i]!), FNV64_PRIME_LOW);
  return h >>> 0;
}

export function fnv1_64(bytes: Uint8Array, start: number, len: number): number {
  let h = FNV64_INIT_LOW | 0;
  for (let i = start, end = start + len; i < end; i++) h = Math.imul(h, FNV64_PRIME_LOW) ^ sext(bytes[i]!);
  return h >>> 0;
}

export function fnv1a32(bytes: Uint8Array, start: number, len: number): number {
  let h = FNV32_INIT | 0;
  for (let i = start, end = start + len; i < end; i++) h = Math.imul(h ^ sext(bytes[i]!), FNV32_PRIME);
  return h >>> 0;
}

export function fnv1_32(bytes: Uint8Array, start: number, len: number): number {
  let h = FNV32_INIT | 0;
  for (let i = start, end = start + len; i < end; i++) h = Math.imul(h, FNV32_PRIME) ^ sext(bytes[i]!);
  return h >>> 0;
}

export function oneAtATime(bytes: Uint8Array, start: number, len: number): number {
  let h = 0;
  for (let i = start, end = start + len; i < end; i++) {
    h = (h + sext(bytes[i]!)) | 0;
    h = (h + (h << 10)) | 0;
    h ^= h >>> 6;
  }
  h = (h + (h << 3)) | 0;
  h ^= h >>> 11;
  h = (h + (h << 15)) | 0;
  return h >>> 0;
}

/** Little-endian first word of the MD5 digest. */
export function md5Hash(bytes: Uint8Array, start: number, len: number): number {
  return md5Words(bytes, start, len)[0]!;
}

function crcTable(poly: number, reflected: boolean): Uint32Array {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c: number;
    if (reflected) {
      c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ poly : c >>> 1;
    } else {
      c = n << 8;
      for (let k = 0; k < 8; k++) c = c & 0x8000 ? ((c << 1) ^ poly) & 0xffff : (c << 1) & 0xffff;
    }
    table[n] = c >>> 0;
  }
  return table;
}

/** CRC-16/XMODEM table (poly 0x1021) and the reflected CRC-32 table (poly 0xEDB88320). */
export const CRC16_TABLE = crcTable(0x1021, false);
export const CRC32_TABLE = crcTable(0xedb88320, true);

export function crc16(bytes: Uint8Array, start: number, len: number): number {
  let crc = 0;
  for (let i = start, end = start + len; i < end; i++) crc = (crc << 8) ^ CRC16_TABLE[((crc >>> 8) ^ bytes[i]!) & 0xff]!;
  return crc >>> 0;
}

function crc32Raw(bytes: Uint8Array, start: number, len: number): number {
  let crc = -1;
  for (let i = start, end = start + len; i < end; i++) crc = (crc >>> 8) ^ CRC32_TABLE[(crc ^ bytes[i]!) & 0xff]!;
  return ~crc >>> 0;
}

export function crc32(bytes: Uint8Array, start: number, len: number): number {
  return (crc32Raw(bytes, start, len) >>> 16) & 0x7fff;
}

export function crc32a(bytes: Uint8Array, start: number, len: number): number {
  return crc32Raw(bytes, start, len);
}

function get16(bytes: Uint8Array, i: number): number {
  return bytes[i]! | (bytes[i + 1]! << 8);
}

export function hsieh(bytes: Uint8Array, start: number, len: number): number {
  if (len <= 0) return 0;
  let h = 0;
  let p = start;
  const rem = len & 3;
  for (let blocks = len >>> 2; blocks > 0; blocks--) {
    h = (h + get16(bytes, p)) | 0;
    const tmp = (get16(bytes, p + 2) << 11) ^ h;
    h = (h << 16) ^ tmp;
    p += 4;
    h = (h + (h >>> 11)) | 0;
  }
  switch (rem) {
    case 3:
      h = (h + get16(bytes, p)) | 0;
      h ^= h << 16;
      h ^= sext(bytes[p + 2]!) << 18; // `(uint32_t)key[2] << 18` on a signed char
      h = (h + (h >>> 11)) | 0;
      break;
    case 2:
      h = (h + get16(bytes, p)) | 0;
      h ^= h << 11;
      h = (h + (h >>> 17)) | 0;
      break;
    case 1:
      h = (h + bytes[p]!) | 0;
      h ^= h << 10;
      h = (h + (h >>> 1)) | 0;
      break;
  }
  h ^= h << 3;
  h = (h + (h >>> 5)) | 0;
  h ^= h << 4;
  h = (h + (h >>> 17)) | 0;
  h ^= h << 25;
  h = (h + (h >>> 6)) | 0;
  return h >>> 0;
}

/** MurmurHash2 with twemproxy's seed (0xdeadbeef * length). */
export function murmur(bytes: Uint8Array, start: number, len: number): number {
  const m = 0x5bd1e995;
  let h = Math.imul(0xdeadbeef, len) ^ len;
  let p = start;
  let left = len;
  while (left >= 4) {
    let k = bytes[p]! | (bytes[p + 1]! << 8) | (bytes[p + 2]! << 16) | (bytes[p + 3]! << 24);
    k = Math.imul(k, m);
    k ^= k >>> 24;
    k = Math.imul(k, m);
    h = Math.imul(h, m) ^ k;
    p += 4;
    left -= 4;
  }
  // The C switch falls through from 3 to 1: add the tail bytes, then one multiply.
  if (left > 0) {
    if (left === 3) h ^= bytes[p + 2]! << 16;
    if (left >= 2) h ^= bytes[p + 1]! << 8;
    h ^= bytes[p]!;
    h = Math.imul(h, m);
  }
  h ^= h >>> 13;
  h = Math.imul(h, m);
  h ^= h >>> 15;
  return h >>> 0;
}

function rot(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

/** Bob Jenkins' lookup3 hashlittle with initval 13, byte-at-a-time (same result as the aligned paths on little-endian). */
export function jenkins(bytes: Uint8Array, start: number, len: number): number {
  let a = (0xdeadbeef + len + 13) | 0;
  let b = a;
  let c = a;
  let p = start;
  let left = len;
  while (left > 12) {
    a = (a + (bytes[p]! | (bytes[p + 1]! << 8) | (bytes[p + 2]! << 16) | (bytes[p + 3]! << 24))) | 0;
    b = (b + (bytes[p + 4]! | (bytes[p + 5]! << 8) | (bytes[p + 6]! << 16) | (bytes[p + 7]! << 24))) | 0;
    c = (c + (bytes[p + 8]! | (bytes[p + 9]! << 8) | (bytes[p + 10]! << 16) | (bytes[p + 11]! << 24))) | 0;
    a = (a - c) | 0;
    a ^= rot(c, 4);
    c = (c + b) | 0;
    b = (b - a) | 0;
    b ^= rot(a, 6);
    a = (a + c) | 0;
    c = (c - b) | 0;
    c ^= rot(b, 8);
    b = (b + a) | 0;
    a = (a - c) | 0;
    a ^= rot(c, 16);
    c = (c + b) | 0;
    b = (b - a) | 0;
    b ^= rot(a, 19);
    a = (a + c) | 0;
    c = (c - b) | 0;
    c ^= rot(b, 4);
    b = (b + a) | 0;
    left -= 12;
    p += 12;
  }
  if (left === 0) return c >>> 0;
  // Last block: add the remaining bytes (little-endian within each word), then final().
  for (let i = 0; i < left; i++) {
    const v = bytes[p + i]! << (8 * (i & 3));
    if (i < 4) a = (a + v) | 0;
    else if (i < 8) b = (b + v) | 0;
    else c = (c + v) | 0;
  }
  c ^= b;
  c = (c - rot(b, 14)) | 0;
  a ^= c;
  a = (a - rot(c, 11)) | 0;
  b ^= a;
  b = (b - rot(a, 25)) | 0;
  c ^= b;
  c = (c - rot(b, 16)) | 0;
  a ^= c;
  a = (a - rot(c, 4)) | 0;
  b ^= a;
  b = (b - rot(a, 14)) | 0;
  c ^= b;
  c = (c - rot(b, 24)) | 0;
  return c >>> 0;
}

export const KEY_HASHES: Readonly<Record<KeyHash, ByteHash>> = {
  one_at_a_time: oneAtATime,
  md5: md5Hash,
  crc16,
  crc32,
  crc32a,
  fnv1_64,
  fnv1a_64: fnv1a64,
  fnv1_32,
  fnv1a_32: fnv1a32,
  hsieh,
  murmur,
  jenkins,
};

export const KEY_HASH_NAMES = Object.keys(KEY_HASHES) as KeyHash[];

export function isKeyHash(name: string): name is KeyHash {
  return Object.prototype.hasOwnProperty.call(KEY_HASHES, name);
}

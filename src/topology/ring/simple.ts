/**
 * The reference guide's ConsistentHashRing ("Consistent Hashing"): 150 points per node at
 * int(md5(f"{node}:{i}").hexdigest(), 16), a key goes to the first point strictly greater than
 * int(md5(key).hexdigest(), 16) (bisect_right), wrapping to the first. Points are 128-bit
 * big-endian integers, kept as four uint32 words so lookups compare numbers, not BigInts.
 */
import { encodeKey, scratchBytes, utf8 } from './bytes.js';
import { md5Words } from './md5.js';
import { merge, type RingArcs } from './arcs.js';

export const SIMPLE_REPLICAS = 150;

function bswap(x: number): number {
  return (((x & 0xff) << 24) | ((x & 0xff00) << 8) | ((x >>> 8) & 0xff00) | (x >>> 24)) >>> 0;
}

/** The digest as 4 big-endian words (most significant first), into `out` at `at`. */
function md5BigEndian(bytes: Uint8Array, len: number, out: Uint32Array, at: number, start = 0): void {
  const w = md5Words(bytes, start, len);
  out[at] = bswap(w[0]!);
  out[at + 1] = bswap(w[1]!);
  out[at + 2] = bswap(w[2]!);
  out[at + 3] = bswap(w[3]!);
}

function compare(a: Uint32Array, i: number, b: Uint32Array, j: number): number {
  for (let k = 0; k < 4; k++) {
    const d = a[i + k]! - b[j + k]!;
    if (d !== 0) return d;
  }
  return 0;
}

function toBigInt(words: Uint32Array, at: number): bigint {
  let v = 0n;
  for (let k = 0; k < 4; k++) v = (v << 32n) | BigInt(words[at + k]!);
  return v;
}

export class SimpleRing {
  /** Sorted points, 4 words each. */
  private readonly words: Uint32Array;
  readonly owners: Uint16Array;
  private readonly keyWords = new Uint32Array(4);

  constructor(names: readonly string[], live: readonly number[]) {
    const count = live.length * SIMPLE_REPLICAS;
    const raw = new Uint32Array(count * 4);
    const rawOwners = new Uint16Array(count);
    let n = 0;
    for (const index of live) {
      for (let i = 0; i < SIMPLE_REPLICAS; i++, n++) {
        const bytes = utf8(`${names[index]}:${i}`);
        md5BigEndian(bytes, bytes.length, raw, n * 4);
        rawOwners[n] = index;
      }
    }
    const order = Array.from({ length: count }, (_, i) => i).sort((a, b) => compare(raw, a * 4, raw, b * 4));
    this.words = new Uint32Array(count * 4);
    this.owners = new Uint16Array(count);
    order.forEach((from, to) => {
      this.words.set(raw.subarray(from * 4, from * 4 + 4), to * 4);
      this.owners[to] = rawOwners[from]!;
    });
  }

  /** The key's md5 as four big-endian words (reused array). */
  hashKey(key: string): Uint32Array {
    const len = encodeKey(key);
    md5BigEndian(scratchBytes(), len, this.keyWords, 0);
    return this.keyWords;
  }

  /** The same for a key given as its UTF-8 bytes, bytes[start, start+len). */
  hashBytes(bytes: Uint8Array, start: number, len: number): Uint32Array {
    md5BigEndian(bytes, len, this.keyWords, 0, start);
    return this.keyWords;
  }

  /** bisect_right: index of the first point > hash, 0 past the end. */
  pointIndexOf(hash: Uint32Array): number {
    let lo = 0;
    let hi = this.owners.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (compare(this.words, mid * 4, hash, 0) <= 0) lo = mid + 1;
      else hi = mid;
    }
    return lo === this.owners.length ? 0 : lo;
  }

  pointHex(index: number): string {
    return toBigInt(this.words, index * 4)
      .toString(16)
      .padStart(32, '0');
  }

  /** Point p owns [previous point, p): hashes equal to a point belong to the next one. */
  arcs(): RingArcs {
    const space = 1n << 128n;
    const bounds: bigint[] = [];
    const owners: number[] = [];
    for (let i = 0; i < this.owners.length; i++) {
      bounds.push(toBigInt(this.words, i * 4));
      owners.push(this.owners[i]!);
    }
    bounds.push(space);
    owners.push(this.owners[0]!);
    // The first point's arc [0, p0) has zero length when p0 is 0; drop empty arcs.
    const keep = bounds.map((b, i) => (i === 0 ? b > 0n : b > bounds[i - 1]!));
    return merge({ space, bounds: bounds.filter((_, i) => keep[i]), owners: owners.filter((_, i) => keep[i]) });
  }
}

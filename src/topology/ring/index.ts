/**
 * Client-side consistent-hash rings, one Topology per compatibility profile, each exact to the
 * implementation it names (twemproxy, libmemcached, npm hashring). Pure: servers in, key -> node out; no sockets, no files.
 */
import { UsageError } from '../../errors.js';
import type { CacheNode, Topology } from '../types.js';
import { nodeFromAddress } from '../types.js';
import { sharesOf, type RingArcs } from './arcs.js';
import { encodeKey, scratchBytes, utf8 } from './bytes.js';
import { Continuum } from './continuum.js';
import { KEY_HASHES, KEY_HASH_NAMES, isKeyHash, md5Hash, type ByteHash } from './hashes.js';
import { hashringName, hashringPoints, libmemcachedPoints, twemproxyPoints } from './ketama.js';
import { SimpleRing } from './simple.js';
import { RING_COMPATS, type RingSpec } from './types.js';
export type { RingSpec, RingServer, RingCompat, KeyHash } from './types.js';
export type { RingArcs } from './arcs.js';
export { parseRingServers } from './servers.js';
export { ringSpecFromTwemproxyYaml } from './twemproxy-config.js';

export interface RingTopology extends Topology {
  readonly kind: 'ring';
  readonly spec: RingSpec;
  /** Indexes of the nodes that have points (all, unless some were ejected). */
  readonly live: readonly number[];
  /** Each node's exact share of the hash space (sums to 1). */
  arcShares(): number[];
  /** The exact partition of the hash space between nodes. */
  arcs(): RingArcs;
  /** Points on the ring per node. */
  pointCounts(): number[];
}

export interface RingBuildOptions {
  /** Node indexes taken out of the ring, as twemproxy does with auto_eject_hosts. */
  ejected?: readonly number[];
}

export function createRingTopology(spec: RingSpec, options: RingBuildOptions = {}): RingTopology {
  validateSpec(spec);
  const nodes = spec.servers.map((s) => nodeFromAddress(s.host, s.port, s.name));
  const ejected = new Set(options.ejected ?? []);
  const live = spec.servers.map((_, i) => i).filter((i) => !ejected.has(i));
  if (live.length === 0) throw new UsageError(`${spec.source ?? 'ring'}: every server is ejected; nothing is left to own keys`);
  switch (spec.compat) {
    case 'twemproxy':
      return new ContinuumRing(
        spec,
        nodes,
        live,
        new Continuum(twemproxyPoints(spec.servers, live)),
        twemproxyKeyHash(KEY_HASHES[spec.hash], spec.hashTag, spec.servers.length),
      );
    case 'libmemcached':
      return new ContinuumRing(
        spec,
        nodes,
        live,
        new Continuum(libmemcachedPoints(spec.servers, live)),
        plainKeyHash(md5Hash, { zeroForOneServer: spec.servers.length === 1 }),
      );
    case 'hashring':
      return new ContinuumRing(
        spec,
        nodes,
        live,
        new Continuum(hashringPoints(spec.servers, live, spec.hashringMode ?? 'default')),
        plainKeyHash(md5Hash, { zeroForOneServer: false }),
      );
    case 'simple':
      return new SimpleTopology(spec, nodes, live);
  }
}

/**
 * The ring twemproxy builds when auto_eject_hosts is on and `down` servers have failed
 * server_failure_limit times: their points are dropped and the weights of the others
 * re-spread (ketama_update over live servers only). Node indexes stay as they were.
 */
export function ringWithoutEjected(ring: RingTopology, down: readonly number[]): RingTopology {
  return createRingTopology(ring.spec, { ejected: [...new Set([...ring.nodes.map((_, i) => i).filter((i) => !ring.live.includes(i)), ...down])] });
}

class ContinuumRing implements RingTopology {
  readonly kind = 'ring' as const;
  constructor(
    readonly spec: RingSpec,
    readonly nodes: readonly CacheNode[],
    readonly live: readonly number[],
    private readonly continuum: Continuum,
    private readonly hashBytes: KeyBytesHash,
  ) {
    this.hashKey = overText(hashBytes);
  }

  private readonly hashKey: (key: string) => number;

  nodeIndexOf(key: string): number {
    return this.continuum.ownerOf(this.hashKey(key));
  }

  nodeIndexOfBytes(bytes: Uint8Array, start: number, len: number): number {
    return this.continuum.ownerOf(this.hashBytes(bytes, start, len));
  }

  describe(key: string): Record<string, string | number> {
    const hash = this.hashKey(key);
    return { hash, point: this.continuum.values[this.continuum.pointIndexOf(hash)]! };
  }

  arcs(): RingArcs {
    return this.continuum.arcs();
  }

  arcShares(): number[] {
    return sharesOf(this.arcs(), this.nodes.length);
  }

  pointCounts(): number[] {
    return this.continuum.pointCounts(this.nodes.length);
  }
}

class SimpleTopology implements RingTopology {
  readonly kind = 'ring' as const;
  private readonly ring: SimpleRing;
  constructor(
    readonly spec: RingSpec,
    readonly nodes: readonly CacheNode[],
    readonly live: readonly number[],
  ) {
    this.ring = new SimpleRing(spec.servers.map(hashringName), live);
  }

  nodeIndexOf(key: string): number {
    return this.ring.owners[this.ring.pointIndexOf(this.ring.hashKey(key))]!;
  }

  nodeIndexOfBytes(bytes: Uint8Array, start: number, len: number): number {
    return this.ring.owners[this.ring.pointIndexOf(this.ring.hashBytes(bytes, start, len))]!;
  }

  describe(key: string): Record<string, string | number> {
    const hash = this.ring.hashKey(key);
    const hex = Array.from(hash, (w) => w.toString(16).padStart(8, '0')).join('');
    return { hash: hex, point: this.ring.pointHex(this.ring.pointIndexOf(hash)) };
  }

  arcs(): RingArcs {
    return this.ring.arcs();
  }

  arcShares(): number[] {
    return sharesOf(this.arcs(), this.nodes.length);
  }

  pointCounts(): number[] {
    const counts = new Array<number>(this.nodes.length).fill(0);
    for (const o of this.ring.owners) counts[o] = counts[o]! + 1;
    return counts;
  }
}

/** A key hash over the key's UTF-8 bytes, bytes[start, start+len). */
type KeyBytesHash = (bytes: Uint8Array, start: number, len: number) => number;

/** The same hash of a key given as text: its UTF-8 bytes in the shared scratch buffer. */
function overText(hash: KeyBytesHash): (key: string) => number {
  return (key) => hash(scratchBytes(), 0, encodeKey(key));
}

/** twemproxy server_pool_idx: hash tag first, an empty key (or one server) hashes to 0. */
function twemproxyKeyHash(hash: ByteHash, hashTag: string | undefined, servers: number): KeyBytesHash {
  if (servers === 1) return () => 0;
  if (hashTag === undefined || hashTag === '') return (bytes, start, len) => (len === 0 ? 0 : hash(bytes, start, len));
  const tag = utf8(hashTag);
  const open = tag[0]!;
  const close = tag[1]!;
  return (bytes, from, len) => {
    const end = from + len;
    let start = from;
    let n = len;
    let s = from;
    while (s < end && bytes[s] !== open) s++;
    if (s < end) {
      let e = s + 1;
      while (e < end && bytes[e] !== close) e++;
      // twemproxy uses the tag only when it is closed and not empty; otherwise the whole key.
      if (e < end && e - s > 1) {
        start = s + 1;
        n = e - start;
      }
    }
    return n === 0 ? 0 : hash(bytes, start, n);
  };
}

/** libmemcached hashes the whole key (0 for a single server); hashring always hashes. */
function plainKeyHash(hash: ByteHash, options: { zeroForOneServer: boolean }): KeyBytesHash {
  if (options.zeroForOneServer) return () => 0;
  return hash;
}

function validateSpec(spec: RingSpec): void {
  const where = spec.source ?? 'ring';
  if (!RING_COMPATS.includes(spec.compat)) throw new UsageError(`--ring-compat: '${String(spec.compat)}' is not one of ${RING_COMPATS.join(', ')}`);
  if (spec.servers.length === 0) throw new UsageError(`${where}: no servers; give at least one host:port`);
  if (spec.servers.length > 65535) throw new UsageError(`${where}: ${spec.servers.length} servers is more than a ring supports (65535)`);
  for (const s of spec.servers) {
    if (!(s.weight > 0) || !Number.isFinite(s.weight))
      throw new UsageError(`${where}: server ${s.host}:${s.port} has weight ${s.weight}; weights must be positive`);
  }
  if (spec.compat === 'twemproxy') {
    if (!isKeyHash(spec.hash)) throw new UsageError(`--ring-hash: '${String(spec.hash)}' is not a twemproxy hash; use one of ${KEY_HASH_NAMES.join(', ')}`);
  } else if (spec.hashTag !== undefined && spec.hashTag !== '') {
    throw new UsageError(`--ring-hash-tag: hash tags exist only in the twemproxy profile, not in ${spec.compat}; drop the hash tag`);
  }
  if (spec.hashTag !== undefined && spec.hashTag !== '' && utf8(spec.hashTag).length !== 2) {
    throw new UsageError(`--ring-hash-tag: '${spec.hashTag}' must be exactly two characters, e.g. '{}'`);
  }
  if (spec.compat === 'libmemcached') {
    const named = spec.servers.find((s) => s.name !== undefined);
    if (named)
      throw new UsageError(`${where}: libmemcached has no server names ('${named.name}'); drop the name and give the host exactly as the application does`);
  }
  if (spec.compat === 'simple' && spec.servers.some((s) => s.weight !== 1)) {
    throw new UsageError(`${where}: the simple ring has no weights; drop the :weight from the server list`);
  }
}

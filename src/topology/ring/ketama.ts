/**
 * Point sets of the three ketama-family profiles. They share md5 points and the continuum
 * lookup and differ in the point names, the weight arithmetic and the tie-break order:
 *
 * - twemproxy (nc_ketama.c): 160 points per server at equal weight, 4 per md5 of `name-i`,
 *   name = the server's name, else `host:port` (just `host` for port 11211); weights via
 *   single-precision floats exactly as the C code; servers ordered by name (nc_conf sorts them).
 * - libmemcached (hosts.cc, MEMCACHED_BEHAVIOR_KETAMA_WEIGHTED): the same arithmetic with
 *   point names `host:port-i` (`host-i` for 11211), servers in the order given.
 * - npm hashring v3: 40 md5 per server at equal weight (double arithmetic), 4 points per md5,
 *   or 3 in `compatibility: 'hash_ring'` mode; point names `string-i`.
 */
import { utf8 } from './bytes.js';
import { md5Words } from './md5.js';
import type { RingPoint } from './continuum.js';
import type { RingServer } from './types.js';

const KETAMA_POINTS_PER_SERVER = 160;
const KETAMA_MAX_HOSTLEN = 273;
const DEFAULT_MEMCACHED_PORT = 11211;

/**
 * Points per server as `(uint32_t)(floorf((float)(pct * 160 / 4 * (float)n + 0.0000000001)) * 4)`
 * with `float pct = (float)weight / (float)total`: every step rounded to single precision.
 */
export function ketamaPointsPerServer(weight: number, totalWeight: number, liveServers: number): number {
  const f = Math.fround;
  const pct = f(f(weight) / f(totalWeight));
  let v = f(pct * KETAMA_POINTS_PER_SERVER);
  v = f(v / 4);
  v = f(v * f(liveServers));
  v = f(v + 0.0000000001); // added in double, then converted back to float
  return Math.floor(v) * 4;
}

/** twemproxy's server name: the configured name, else host:port, else host when the port is 11211. */
export function twemproxyName(server: RingServer): string {
  if (server.name !== undefined) return server.name;
  return server.port === DEFAULT_MEMCACHED_PORT ? server.host : `${server.host}:${server.port}`;
}

/** twemproxy's string_compare: shorter first, then bytewise. */
function compareNames(a: Uint8Array, b: Uint8Array): number {
  if (a.length !== b.length) return a.length - b.length;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return 0;
}

/** Four points per md5 of `prefix` + `-i`, i = 0 .. hashes-1, as ketama_hash(alignment 0..3). */
function pushMd5Points(points: RingPoint[], prefix: string, hashes: number, perHash: number, owner: number, order: number, maxLen?: number): number {
  let next = order;
  for (let i = 0; i < hashes; i++) {
    let bytes = utf8(`${prefix}-${i}`);
    if (maxLen !== undefined && bytes.length >= maxLen) bytes = bytes.subarray(0, maxLen - 1); // snprintf truncation
    const words = md5Words(bytes, 0, bytes.length);
    for (let x = 0; x < perHash; x++) points.push({ value: words[x]!, owner, order: next++ });
  }
  return next;
}

/** twemproxy ketama_update over `live` servers (indexes into `servers`). */
export function twemproxyPoints(servers: readonly RingServer[], live: readonly number[]): RingPoint[] {
  const total = live.reduce((sum, i) => sum + servers[i]!.weight, 0);
  // nc_conf sorts the pool's servers by name; that order breaks ties between equal points.
  const ordered = [...live].sort((a, b) => compareNames(utf8(twemproxyName(servers[a]!)), utf8(twemproxyName(servers[b]!))));
  const points: RingPoint[] = [];
  let order = 0;
  for (const index of ordered) {
    const server = servers[index]!;
    const perServer = ketamaPointsPerServer(server.weight, total, live.length);
    order = pushMd5Points(points, twemproxyName(server), perServer / 4, 4, index, order, KETAMA_MAX_HOSTLEN);
  }
  return points;
}

/** libmemcached weighted ketama over `live` servers, in the order given. */
export function libmemcachedPoints(servers: readonly RingServer[], live: readonly number[]): RingPoint[] {
  const total = live.reduce((sum, i) => sum + servers[i]!.weight, 0);
  const points: RingPoint[] = [];
  let order = 0;
  for (const index of live) {
    const server = servers[index]!;
    const perServer = ketamaPointsPerServer(server.weight, total, live.length);
    const prefix = server.port === DEFAULT_MEMCACHED_PORT ? server.host : `${server.host}:${server.port}`;
    order = pushMd5Points(points, prefix, perServer / 4, 4, index, order);
  }
  return points;
}

/** The server string npm hashring hashes: what the application passed, here the name or host:port. */
export function hashringName(server: RingServer): string {
  return server.name ?? `${server.host}:${server.port}`;
}

/** npm hashring v3 continuum(): `Math.floor(weight / total * 40 * servers)` md5s per server. */
export function hashringPoints(servers: readonly RingServer[], live: readonly number[], mode: 'default' | 'hash_ring'): RingPoint[] {
  const vnodes = 40;
  const replicas = mode === 'hash_ring' ? 3 : 4;
  const total = live.reduce((sum, i) => sum + servers[i]!.weight, 0);
  const points: RingPoint[] = [];
  let order = 0;
  for (const index of live) {
    const server = servers[index]!;
    const hashes = Math.floor((server.weight / total) * vnodes * live.length);
    order = pushMd5Points(points, hashringName(server), hashes, replicas, index, order);
  }
  return points;
}

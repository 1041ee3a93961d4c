/**
 * `ring diff`: what moves when a ring gains or loses a server. Exact over the hash space (both
 * rings' arcs merged) or counted over a given key list; as a fraction and a from -> to matrix.
 */
import { UsageError } from '../../errors.js';
import { ratio } from '../../topology/ring/arcs.js';
import { parseRingServers, type RingSpec, type RingTopology } from '../../topology/ring/index.js';

export interface Move {
  from: string;
  to: string;
  /** Fraction of the key space (or of the keys) moving this way. */
  share: number;
  /** Keys moving this way (--keys only). */
  keys?: number;
}

export interface RingDiff {
  change: string;
  basis: 'arcs' | 'keys';
  /** Fraction of the key space (or of the keys) that changes node. */
  moved: number;
  moves: Move[];
  keys?: number;
  movedKeys?: number;
}

/** The spec after `--add <server line>` or `--remove <name or host:port>`. */
export function changedSpec(spec: RingSpec, change: { add?: string; remove?: string }): { spec: RingSpec; change: string } {
  if ((change.add === undefined) === (change.remove === undefined)) {
    throw new UsageError('ring diff: give exactly one of --add <host:port[:weight] [name]> or --remove <name>');
  }
  if (change.add !== undefined) {
    const added = parseRingServers(change.add, '--add');
    for (const server of added) {
      const address = `${server.host}:${server.port}`;
      const clash = spec.servers.find((s) => `${s.host}:${s.port}` === address || (server.name !== undefined && s.name === server.name));
      if (clash) throw new UsageError(`--add: ${server.name ?? address} is already in the ring; add a new server`);
    }
    return { spec: { ...spec, servers: [...spec.servers, ...added] }, change: `add ${change.add.trim()}` };
  }
  const name = change.remove!.trim();
  const index = spec.servers.findIndex((s) => s.name === name || `${s.host}:${s.port}` === name);
  if (index < 0) {
    const names = spec.servers.map((s) => s.name ?? `${s.host}:${s.port}`);
    throw new UsageError(`--remove: no server '${name}' in the ring (servers: ${names.join(', ')})`);
  }
  if (spec.servers.length === 1) throw new UsageError('--remove: that is the only server; a ring needs at least one');
  return { spec: { ...spec, servers: spec.servers.filter((_, i) => i !== index) }, change: `remove ${name}` };
}

/** Exact: walks both rings' arc boundaries together and sums the hash ranges whose owner changes. */
export function diffArcs(before: RingTopology, after: RingTopology, change: string): RingDiff {
  const a = before.arcs();
  const b = after.arcs();
  if (a.space !== b.space) throw new Error('rings of different hash spaces cannot be compared');
  const sizes = new Map<string, bigint>();
  let moved = 0n;
  let i = 0;
  let j = 0;
  let start = 0n;
  while (start < a.space) {
    const end = a.bounds[i]! < b.bounds[j]! ? a.bounds[i]! : b.bounds[j]!;
    const from = before.nodes[a.owners[i]!]!.name;
    const to = after.nodes[b.owners[j]!]!.name;
    if (from !== to) {
      moved += end - start;
      const k = `${from}\u0000${to}`;
      sizes.set(k, (sizes.get(k) ?? 0n) + (end - start));
    }
    if (a.bounds[i] === end) i++;
    if (b.bounds[j] === end) j++;
    start = end;
  }
  const moves = [...sizes].map(([k, size]) => {
    const [from, to] = k.split('\u0000') as [string, string];
    return { from, to, share: ratio(size, a.space) };
  });
  return { change, basis: 'arcs', moved: ratio(moved, a.space), moves: sortMoves(moves) };
}

/** Counts, over streamed keys, which change node. */
export class KeyDiffTally {
  private readonly counts = new Map<string, number>();
  private total = 0;
  private moved = 0;
  constructor(
    private readonly before: RingTopology,
    private readonly after: RingTopology,
  ) {}

  add(keys: readonly string[]): void {
    for (const key of keys) {
      this.total++;
      const from = this.before.nodes[this.before.nodeIndexOf(key)]!.name;
      const to = this.after.nodes[this.after.nodeIndexOf(key)]!.name;
      if (from === to) continue;
      this.moved++;
      const k = `${from}\u0000${to}`;
      this.counts.set(k, (this.counts.get(k) ?? 0) + 1);
    }
  }

  result(change: string): RingDiff {
    const moves = [...this.counts].map(([k, n]) => {
      const [from, to] = k.split('\u0000') as [string, string];
      return { from, to, keys: n, share: this.total > 0 ? n / this.total : 0 };
    });
    return { change, basis: 'keys', moved: this.total > 0 ? this.moved / this.total : 0, moves: sortMoves(moves), keys: this.total, movedKeys: this.moved };
  }
}

function sortMoves(moves: Move[]): Move[] {
  return moves.sort((x, y) => y.share - x.share || x.from.localeCompare(y.from) || x.to.localeCompare(y.to));
}

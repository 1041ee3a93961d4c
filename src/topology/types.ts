/**
 * The one interface every topology implements: a pure mapping from key to owning node.
 * No sockets here; adapters/redis builds a Topology from what the servers report.
 */
export type TopologyKind = 'single' | 'cluster' | 'ring';

export interface CacheNode {
  /** `host:port`: what cachectl connects to. Unique within a topology. */
  readonly address: string;
  readonly host: string;
  readonly port: number;
  /** What operators call the node: the ring server's name, else `host:port`. */
  readonly name: string;
  /** A Unix socket path to connect to instead of host:port (then also the address). */
  readonly socket?: string;
}

export interface Topology {
  readonly kind: TopologyKind;
  readonly nodes: readonly CacheNode[];
  /** Index into `nodes` of the node that owns `key`. Hot path of every warm: must not allocate much. */
  nodeIndexOf(key: string): number;
  /**
   * The same for a key given as its UTF-8 bytes, bytes[start, start+len): equal to
   * nodeIndexOf of the key's text, without the text (streamed warms route keys as bytes).
   */
  nodeIndexOfBytes(bytes: Uint8Array, start: number, len: number): number;
  /** Extra facts for `ring locate`: the slot of a cluster key, the ring point of a ring key. */
  describe(key: string): Record<string, string | number>;
}

/** A node reached through a Unix socket: its path is its address. */
export function nodeFromSocket(path: string): CacheNode {
  return { address: path, host: path, port: 0, name: path, socket: path };
}

export function nodeFromAddress(host: string, port: number, name?: string): CacheNode {
  const address = `${host}:${port}`;
  return { address, host, port, name: name ?? address };
}

/** Parses `host:port` (IPv6 as `[::1]:6379`), naming the flag on error. */
export function parseHostPort(text: string, defaultPort = 6379): { host: string; port: number } | undefined {
  const trimmed = text.trim();
  const v6 = /^\[([^\]]+)\](?::(\d+))?$/.exec(trimmed);
  if (v6) return { host: v6[1] as string, port: v6[2] ? Number(v6[2]) : defaultPort };
  const m = /^([^:\s]+)(?::(\d+))?$/.exec(trimmed);
  if (!m) return undefined;
  const port = m[2] ? Number(m[2]) : defaultPort;
  if (port < 1 || port > 65535) return undefined;
  return { host: m[1] as string, port };
}

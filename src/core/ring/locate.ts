/** `ring locate`: which node owns each key (and its cluster slot). */
import type { Topology } from '../../topology/types.js';

export interface Location {
  key: string;
  /** The node's name (twemproxy server name, else host:port). */
  node: string;
  /** Redis Cluster hash slot. */
  slot?: number;
}

export function locate(topology: Topology, key: string): Location {
  const index = topology.nodeIndexOf(key);
  const node = topology.nodes[index];
  const location: Location = { key, node: node ? node.name : '(no node: slot not served)' };
  if (topology.kind === 'cluster') location.slot = Number(topology.describe(key).slot);
  return location;
}

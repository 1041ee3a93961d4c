/**
 * Per-node grouping: the owning node of every key of a batch, by the topology alone (cluster
 * slot, ring point, the single node). -1 means no node serves the key's slot right now.
 * One typed array per batch, no object per key; the writer fills its per-node lanes from it.
 */
import type { Topology } from '../../topology/types.js';

export function owningNodes(topology: Topology, keys: readonly string[]): Int32Array {
  const owners = new Int32Array(keys.length);
  for (let i = 0; i < keys.length; i++) owners[i] = topology.nodeIndexOf(keys[i] as string);
  return owners;
}


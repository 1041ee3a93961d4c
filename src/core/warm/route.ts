/**
 * Per-node grouping: the owning node of every key of a batch, by the topology alone (cluster
 * slot, ring point, the single node). -1 means no node serves the key's slot right now.
 * One typed array per batch, no object per key; the writer fills its per-node lanes from it.
 */
import type { Topology } from '../../topology/types.js';
import { KEY_IN_KEYS } from './ports.js';

/**
 * `chunks[i]` set: key i is bytes, chunks[i][spans[4i], +spans[4i+1]) (a streamed row), hashed as
 * bytes; unless its length is KEY_IN_KEYS (a key-list key, whose value alone is bytes).
 */
export function owningNodes(topology: Topology, keys: readonly string[], chunks?: readonly (Uint8Array | null)[], spans?: ArrayLike<number>): Int32Array {
  const owners = new Int32Array(keys.length);
  if (!chunks || !spans) {
    for (let i = 0; i < keys.length; i++) owners[i] = topology.nodeIndexOf(keys[i] as string);
    return owners;
  }
  for (let i = 0; i < keys.length; i++) {
    const chunk = chunks[i];
    const keyLength = spans[4 * i + 1] as number;
    owners[i] =
      chunk && keyLength !== KEY_IN_KEYS ? topology.nodeIndexOfBytes(chunk, spans[4 * i] as number, keyLength) : topology.nodeIndexOf(keys[i] as string);
  }
  return owners;
}

/**
 * The indexes of each node's keys, in order, one array per node (owners from owningNodes);
 * `unserved` lists the keys no node serves. The writer's lanes take one run per node per batch.
 */
export function groupByOwner(owners: Int32Array, nodes: number): { runs: Int32Array[]; unserved: number[] } {
  const counts = new Int32Array(nodes);
  for (let i = 0; i < owners.length; i++) {
    const o = owners[i] as number;
    if (o >= 0) counts[o] = (counts[o] as number) + 1;
  }
  const runs = Array.from({ length: nodes }, (_, o) => new Int32Array(counts[o] as number));
  const filled = new Int32Array(nodes);
  const unserved: number[] = [];
  for (let i = 0; i < owners.length; i++) {
    const o = owners[i] as number;
    if (o < 0) {
      unserved.push(i);
      continue;
    }
    const at = filled[o] as number;
    (runs[o] as Int32Array)[at] = i;
    filled[o] = at + 1;
  }
  return { runs, unserved };
}

/**
 * Where the drill's side keys live relative to the key. On a cluster, lock:<key> and
 * <key>:stale share the key's slot only when the key has a hash tag ({...}); otherwise
 * they may sit on another master and fail over independently of the value they guard.
 */
import { slotOf } from '../../topology/cluster.js';
import type { Topology } from '../../topology/types.js';

export interface Colocation {
  key: string;
  side: string;
  role: 'lock' | 'stale' | 'stampede';
  sameSlot: boolean | null;
  sameNode: boolean;
  advice?: string;
}

export function checkColocation(topology: Topology, key: string, sides: { role: Colocation['role']; key: string }[]): Colocation[] {
  const home = topology.nodeIndexOf(key);
  return sides.map(({ role, key: side }) => {
    const sameNode = topology.nodeIndexOf(side) === home;
    const sameSlot = topology.kind === 'cluster' ? slotOf(side) === slotOf(key) : null;
    let advice: string | undefined;
    if (topology.kind === 'cluster' && !sameSlot && role !== 'stampede') {
      advice = `${side} is in slot ${slotOf(side)}, ${key} in slot ${slotOf(key)}${sameNode ? ' (same node for now)' : ' (another node)'}: use a hash tag in the key, e.g. ${suggestTag(key)}, so the ${role} key follows the value`;
    } else if (topology.kind === 'ring' && !sameNode && role !== 'stampede') {
      advice = `${side} is on another ring node than ${key}: a hash tag (--ring-hash-tag) keeps them together`;
    }
    return { key, side, role, sameSlot, sameNode, ...(advice ? { advice } : {}) };
  });
}

function suggestTag(key: string): string {
  const i = key.lastIndexOf(':');
  return i >= 0 ? `${key.slice(0, i + 1)}{${key.slice(i + 1)}}` : `{${key}}`;
}

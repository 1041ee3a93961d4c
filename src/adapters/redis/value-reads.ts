/**
 * Value reads for `inspect drift`: GET (string entries) or HGETALL (hash entries) of each key on
 * its owning node, one pipeline per node. Read-only; CLIENT NO-TOUCH, where the node has it, was
 * turned on by the facts read (so the reads do not count as accesses).
 */
import type { CachedValue, NodeProblem } from '../../core/inspect/types.js';
import type { CacheConnection } from './cache.js';
import { problemOf } from './node-problem.js';

export async function readValuesOnce(
  cache: CacheConnection,
  knownProblem: (node: number) => NodeProblem | undefined,
  keys: readonly string[],
  format: 'string' | 'hash',
): Promise<CachedValue[]> {
  const out = new Array<CachedValue>(keys.length);
  const byNode = new Map<number, number[]>();
  keys.forEach((key, i) => {
    const node = cache.topology.nodeIndexOf(key);
    byNode.set(node, [...(byNode.get(node) ?? []), i]);
  });
  await Promise.all(
    [...byNode].map(async ([node, indexes]) => {
      const fail = (problem: NodeProblem) => {
        for (const i of indexes) out[i] = { key: keys[i] as string, node, state: 'missing', problem };
      };
      if (node < 0) return fail({ status: 'down', message: 'no master serves the slot of this key' });
      const known = knownProblem(node);
      if (known?.status === 'down') return fail(known);
      try {
        const pipeline = cache.client(node).pipeline();
        for (const i of indexes) pipeline.call(format === 'hash' ? 'HGETALL' : 'GET', keys[i] as string);
        const results = (await pipeline.exec()) ?? [];
        indexes.forEach((keyIndex, j) => {
          const key = keys[keyIndex] as string;
          const [error, reply] = results[j] ?? [new Error('no reply')];
          if (error) {
            if (/^WRONGTYPE/.test(error.message)) out[keyIndex] = { key, node, state: 'wrong-type' };
            else out[keyIndex] = { key, node, state: 'missing', problem: problemOf(error, format === 'hash' ? 'HGETALL' : 'GET') };
            return;
          }
          if (format === 'hash') {
            const flat = (reply as unknown[]).map(String);
            out[keyIndex] = flat.length === 0 ? { key, node, state: 'missing' } : { key, node, state: 'found', value: flat };
          } else out[keyIndex] = reply === null ? { key, node, state: 'missing' } : { key, node, state: 'found', value: String(reply) };
        });
      } catch (error) {
        fail(problemOf(error, 'GET'));
      }
    }),
  );
  return out;
}

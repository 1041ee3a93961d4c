/** Checks shared by the fault tests: the final state of Redis against what the run reported. */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { Redis } from 'ioredis';
import { slotOf } from '../../src/topology/cluster.js';

/** key -> reason, from a --failed-keys file (`key<TAB># kind: reason ...`). */
export function failedKeys(path: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const tab = line.indexOf('\t');
    out.set(tab < 0 ? line : line.slice(0, tab), tab < 0 ? '' : line.slice(tab + 1));
  }
  return out;
}

/** The cluster's slot owners as one live node sees them now: slot -> a client on the owner. */
export async function clusterOwners(anyLiveNodePort: number): Promise<{ ownerOf: (key: string) => Redis; masters: Redis[]; close(): void }> {
  const probe = new Redis({ host: '127.0.0.1', port: anyLiveNodePort, maxRetriesPerRequest: 1, retryStrategy: () => null });
  probe.on('error', () => undefined);
  const slots = (await probe.call('CLUSTER', 'SLOTS')) as [number, number, [string, number]][];
  probe.disconnect();
  const clients = new Map<number, Redis>();
  const clientFor = (port: number) => {
    let c = clients.get(port);
    if (!c) {
      c = new Redis({ host: '127.0.0.1', port, maxRetriesPerRequest: 1, retryStrategy: () => null });
      c.on('error', () => undefined);
      clients.set(port, c);
    }
    return c;
  };
  for (const [, , master] of slots) clientFor(Number(master[1]));
  return {
    ownerOf(key) {
      const slot = slotOf(key);
      const range = slots.find(([a, b]) => slot >= a && slot <= b);
      assert.ok(range, `slot ${slot} of ${key} is not served`);
      return clientFor(Number(range[2][1]));
    },
    masters: [...clients.values()],
    close() {
      for (const c of clients.values()) c.disconnect();
    },
  };
}

/**
 * Nothing lost silently: every expected key is either listed in the failed-keys file with a
 * reason, or present on the node that owns it with the expected value and a TTL; and no key is
 * on a node that does not own it. Returns how many were listed.
 */
export async function assertNothingLostSilently(
  expected: Map<string, string>,
  listed: Map<string, string>,
  ownerOf: (key: string) => Redis,
  allNodes: Redis[],
): Promise<number> {
  let listedCount = 0;
  for (const [key, value] of expected) {
    const owner = ownerOf(key);
    if (listed.has(key)) {
      listedCount++;
      assert.match(listed.get(key)!, /# (failed|missing|invalid|notAttempted): \S/, `${key} is listed with a reason`);
      continue;
    }
    assert.equal(await owner.get(key), value, `${key} not listed as failed, so it must be on its owner`);
    assert.ok((await owner.pttl(key)) > 0, `${key} has a TTL`);
  }
  for (const node of allNodes) {
    for (const key of await node.keys('*')) {
      if (key.startsWith('lock:')) continue;
      assert.equal(ownerOf(key), node, `${key} is on a node that does not own it`);
    }
  }
  return listedCount;
}

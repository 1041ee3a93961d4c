/**
 * The failover wait without servers: the default --failover-wait read from the cluster (and its
 * fallback), and the holds of a node that stops answering (held, not failed, until the wait runs
 * out; then one reason naming slots, node and wait; a stop gives up what is held).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { defaultFailoverWait } from '../../src/adapters/redis/failover-wait.js';
import { FailoverHolds, type HoldDeps } from '../../src/adapters/redis/failover-hold.js';
import { emptyItems, type Items } from '../../src/adapters/redis/write-items.js';
import type { CacheConnection } from '../../src/adapters/redis/cache.js';
import type { FailoverInfo } from '../../src/core/warm/ports.js';
import { ClusterTopology } from '../../src/topology/cluster.js';
import { SingleNodeTopology } from '../../src/topology/single.js';
import type { CacheNode, Topology } from '../../src/topology/types.js';

const node = (port: number): CacheNode => ({ address: `10.0.0.3:${port}`, host: '10.0.0.3', port, name: `10.0.0.3:${port}` });
const [a, b, c] = [node(7000), node(7001), node(7002)];
const cluster = new ClusterTopology([
  { start: 0, end: 5460, master: a, replicas: [] },
  { start: 5461, end: 10922, master: b, replicas: [] },
  { start: 10923, end: 16383, master: c, replicas: [] },
]);

/** A CacheConnection as far as defaultFailoverWait reads it: each node answers CONFIG GET with `reply`, or throws. */
function cacheWith(topology: Topology, kind: 'cluster' | 'single', replies: Map<string, unknown>): CacheConnection {
  return {
    target: { kind },
    topology,
    clientFor: (n: CacheNode) => ({
      config: async () => {
        const reply = replies.get(n.address);
        if (reply instanceof Error) throw reply;
        return reply;
      },
    }),
  } as unknown as CacheConnection;
}

test('the default --failover-wait: 2 x cluster-node-timeout + 5s from the first node that answers CONFIG GET, else 45s', async () => {
  const refused = new Error("ERR unknown command 'CONFIG'");
  const down = new Error('connect ECONNREFUSED');
  assert.equal(await defaultFailoverWait(cacheWith(cluster, 'cluster', new Map([[a.address, ['cluster-node-timeout', '15000']]]))), 35_000);
  // A dead first seed is passed over.
  assert.equal(
    await defaultFailoverWait(
      cacheWith(
        cluster,
        'cluster',
        new Map<string, unknown>([
          [a.address, down],
          [b.address, ['cluster-node-timeout', '5000']],
        ]),
      ),
    ),
    15_000,
  );
  // A managed service refusing CONFIG everywhere, or an answer that is not a timeout: the documented 45s.
  assert.equal(await defaultFailoverWait(cacheWith(cluster, 'cluster', new Map([a, b, c].map((n) => [n.address, refused])))), 45_000);
  assert.equal(await defaultFailoverWait(cacheWith(cluster, 'cluster', new Map([[a.address, []]]))), 45_000);
  // A standalone node is not asked: there is no cluster timeout to read.
  assert.equal(await defaultFailoverWait(cacheWith(new SingleNodeTopology(a), 'single', new Map([[a.address, ['cluster-node-timeout', '1']]]))), 45_000);
});

function items(...keys: string[]): Items {
  const out = emptyItems();
  for (const key of keys) {
    out.keys.push(key);
    out.values.push('v');
    out.ttls.push(60_000);
    out.stale.push(false);
    out.tickets.push({} as Items['tickets'][number]);
    out.modes.push(0);
    out.refresh.push(-1);
    out.attempts.push(0);
    out.chunks.push(null);
  }
  return out;
}

function holdsOn(topology: Topology, waitMs: number) {
  let now = 1_000_000;
  const failed: { keys: string[]; reason: string }[] = [];
  const events: FailoverInfo[] = [];
  const gaveUp: string[] = [];
  const released: string[][] = [];
  const deps: HoldDeps = {
    topology: () => topology,
    refresh: async () => undefined,
    release: (i) => released.push([...i.keys]),
    fail: (i, reason) => failed.push({ keys: [...i.keys], reason }),
    report: { failover: (info: FailoverInfo) => events.push(info) } as unknown as HoldDeps['report'],
    gaveUp: (n, reason) => gaveUp.push(`${n.address}: ${reason}`),
    now: () => now,
  };
  const holds = new FailoverHolds(waitMs, deps);
  return { holds, failed, events, gaveUp, released, advance: (ms: number) => (now += ms) };
}

test('a master that stops answering: its keys are held, not failed, until --failover-wait runs out; then all fail with one reason', () => {
  const t = holdsOn(cluster, 15_000);
  try {
    t.holds.hold(b, items('k1', 'k2'), 'connection: connect ECONNREFUSED');
    t.advance(4_000);
    t.holds.hold(b, items('k3'), 'connection: connect ECONNREFUSED');
    assert.equal(t.failed.length, 0, 'nothing fails within the wait');
    assert.equal(t.holds.held, 3, 'held keys count against the memory bound');
    assert.equal(t.holds.waiting, 1);
    assert.deepEqual(
      { node: t.events[0]?.node, state: t.events[0]?.state, slots: t.events[0]?.slots, heldKeys: t.events[0]?.heldKeys },
      { node: b.address, state: 'waiting', slots: '5461-10922', heldKeys: 2 },
    );
    t.advance(11_000);
    t.holds.hold(b, items('k4'), 'connection: connect ECONNREFUSED');
    assert.equal(t.holds.held, 0);
    assert.deepEqual(
      t.failed.map((f) => f.keys.sort()),
      [['k1', 'k2', 'k3', 'k4']],
    );
    assert.equal(
      t.failed[0]?.reason,
      'slots 5461-10922: master 10.0.0.3:7001 down and no replica took over within 15.0s (--failover-wait; last error: connection: connect ECONNREFUSED)',
    );
    assert.equal(t.gaveUp.length, 1, 'the give-up is reported once per episode');
    assert.equal(t.events.at(-1)?.state, 'gaveUp');
    // Later keys of that node fail at once, with the same reason, and no second give-up.
    t.holds.hold(b, items('k5'), 'connection: connect ECONNREFUSED');
    assert.deepEqual(t.failed.at(-1), { keys: ['k5'], reason: t.failed[0]?.reason });
    assert.equal(t.gaveUp.length, 1);
  } finally {
    t.holds.dispose();
  }
});

test('CLUSTERDOWN past the wait says the cluster did not recover; a standalone node names itself', () => {
  const t = holdsOn(cluster, 1_000);
  const s = holdsOn(new SingleNodeTopology(a), 45_000);
  try {
    t.holds.hold(a, items('k1'), 'CLUSTERDOWN The cluster is down');
    t.advance(1_000);
    t.holds.hold(a, items('k2'), 'CLUSTERDOWN The cluster is down');
    assert.equal(t.failed[0]?.reason, 'slots 0-5460: 10.0.0.3:7000 answered CLUSTERDOWN for 1.0s (--failover-wait): the cluster did not recover');
    s.holds.hold(a, items('k1'), 'connection: connect ECONNREFUSED');
    s.advance(45_000);
    s.holds.hold(a, items('k2'), 'connection: connect ECONNREFUSED');
    assert.equal(s.failed[0]?.reason, 'node 10.0.0.3:7000 down and not back within 45.0s (--failover-wait; last error: connection: connect ECONNREFUSED)');
  } finally {
    t.holds.dispose();
    s.holds.dispose();
  }
});

test('a run that stops gives up what is held, with the stop and the node in the reason; later holds fail at once', () => {
  const t = holdsOn(cluster, 15_000);
  try {
    t.holds.hold(c, items('k1', 'k2'), 'connection: connect ECONNREFUSED');
    t.holds.stop('not written: stopped by SIGTERM');
    assert.equal(t.holds.held, 0);
    assert.deepEqual(t.failed, [
      { keys: ['k1', 'k2'], reason: 'not written: stopped by SIGTERM (10.0.0.3:7002 was not answering: connection: connect ECONNREFUSED)' },
    ]);
    t.holds.hold(a, items('k3'), 'TRYAGAIN');
    assert.deepEqual(t.failed.at(-1), { keys: ['k3'], reason: 'not written: stopped by SIGTERM (10.0.0.3:7000 was not answering: TRYAGAIN)' });
    assert.deepEqual(t.released, [], 'nothing is offered again after a stop');
  } finally {
    t.holds.dispose();
  }
});

test('held keys are offered again after a backoff, and the wait is over once the slots moved away from the node', async () => {
  let topology: Topology = cluster;
  const t = holdsOn(cluster, 15_000);
  const holds = new FailoverHolds(15_000, {
    topology: () => topology,
    refresh: async () => {
      // The replica was promoted: slots 5461-10922 now belong to 10.0.0.4:7001.
      const promoted = { ...b, address: '10.0.0.4:7001', host: '10.0.0.4', name: '10.0.0.4:7001' };
      topology = new ClusterTopology([
        { start: 0, end: 5460, master: a, replicas: [] },
        { start: 5461, end: 10922, master: promoted, replicas: [] },
        { start: 10923, end: 16383, master: c, replicas: [] },
      ]);
    },
    release: (i) => t.released.push([...i.keys]),
    fail: (i, reason) => t.failed.push({ keys: [...i.keys], reason }),
    report: { failover: (info: FailoverInfo) => t.events.push(info) } as unknown as HoldDeps['report'],
    gaveUp: () => undefined,
  });
  try {
    holds.hold(b, items('k1', 'k2'), 'connection: connect ECONNREFUSED');
    // The first offer comes after 250 ms.
    await new Promise((r) => setTimeout(r, 400));
    assert.deepEqual(t.released, [['k1', 'k2']]);
    assert.equal(holds.held, 0);
    assert.equal(holds.waiting, 0);
    assert.deepEqual(
      t.events.map((e) => e.state),
      ['waiting', 'over'],
    );
    assert.deepEqual(t.failed, []);
  } finally {
    holds.dispose();
    t.holds.dispose();
  }
});

/**
 * Breaking real Redis servers on purpose, for the fault tests: kill a cluster master and wait
 * for its replica to take over, move slots between masters (clients see ASK during the move
 * and MOVED after it), make a node refuse writes (OOM under noeviction) and start a read-only
 * replica. Every wait is on an observable state, with a deadline.
 */
import type { Redis } from 'ioredis';
import { startRedis, waitFor, type RedisCluster, type RedisProcess } from './redis.js';

async function myId(node: RedisProcess, client?: Redis): Promise<string> {
  return (await (client ?? node.client()).call('CLUSTER', 'MYID')) as string;
}

/**
 * SIGKILLs master `index` and waits until its replica is a master, the survivors agree on it
 * and the cluster is ok. Returns the promoted replica.
 */
export async function killMasterAndAwaitFailover(cluster: RedisCluster, index: number, timeoutMs = 30_000): Promise<RedisProcess> {
  const master = cluster.masters[index];
  if (!master) throw new Error(`no master ${index}`);
  const masterId = await myId(master);
  const survivors = [...cluster.masters.filter((m) => m !== master), ...cluster.replicas];
  const clients = new Map(survivors.map((n) => [n, n.client()]));
  let replica: RedisProcess | undefined;
  for (const r of cluster.replicas) {
    const nodes = (await clients.get(r)!.call('CLUSTER', 'NODES')) as string;
    const me = nodes.split('\n').find((l) => l.includes('myself'));
    if (me?.split(' ')[3] === masterId) replica = r;
  }
  if (!replica) throw new Error(`master ${master.address} has no replica to fail over to`);
  await master.kill();
  await waitFor(
    async () => {
      const role = (await clients.get(replica!)!.call('ROLE')) as [string];
      if (role[0] !== 'master') return false;
      const infos = await Promise.all([...clients.values()].map((c) => c.call('CLUSTER', 'INFO') as Promise<string>));
      return infos.every((i) => i.includes('cluster_state:ok'));
    },
    `replica ${replica.address} to take over from ${master.address}`,
    timeoutMs,
  );
  return replica;
}

export interface SlotMigration {
  /** Moves every key of the slots still on the source (MIGRATE, batches of 100). Returns keys moved. */
  moveKeys(): Promise<number>;
  /** CLUSTER SETSLOT <slot> NODE <target> on every master: the move is final, clients get MOVED. */
  finish(): Promise<void>;
}

/**
 * Starts resharding `slots` from master `from` to master `to` as redis-cli --cluster reshard
 * does: IMPORTING on the target, MIGRATING on the source. Until finish(), a key of these slots
 * that is not on the source any more is answered with ASK (redirect once, with ASKING).
 */
export async function beginSlotMigration(cluster: RedisCluster, slots: readonly number[], from: number, to: number): Promise<SlotMigration> {
  const source = cluster.masters[from]!;
  const target = cluster.masters[to]!;
  const src = source.client();
  const dst = target.client();
  const [srcId, dstId] = [await myId(source, src), await myId(target, dst)];
  for (const slot of slots) {
    await dst.call('CLUSTER', 'SETSLOT', String(slot), 'IMPORTING', srcId);
    await src.call('CLUSTER', 'SETSLOT', String(slot), 'MIGRATING', dstId);
  }
  return {
    async moveKeys() {
      let moved = 0;
      for (const slot of slots) {
        for (;;) {
          const keys = (await src.call('CLUSTER', 'GETKEYSINSLOT', String(slot), '100')) as string[];
          if (keys.length === 0) break;
          await src.call('MIGRATE', '127.0.0.1', String(target.port), '', '0', '5000', 'KEYS', ...keys);
          moved += keys.length;
        }
      }
      return moved;
    },
    async finish() {
      const others = cluster.masters.filter((m) => m !== source && m !== target && m.child.exitCode === null && m.child.signalCode === null);
      for (const slot of slots) {
        // Target first, then source (as redis-cli does), then everyone else so MOVED is consistent.
        await dst.call('CLUSTER', 'SETSLOT', String(slot), 'NODE', dstId);
        await src.call('CLUSTER', 'SETSLOT', String(slot), 'NODE', dstId);
        for (const o of others) await o.client().call('CLUSTER', 'SETSLOT', String(slot), 'NODE', dstId);
      }
      await waitFor(
        async () => {
          const owners = await Promise.all(
            [source, target, ...others].map(async (m) => {
              const c = m.client();
              const s = (await c.call('CLUSTER', 'SLOTS')) as [number, number, [string, number]][];
              return slots.every((slot) => s.some(([a, b, master]) => slot >= a && slot <= b && Number(master[1]) === target.port));
            }),
          );
          return owners.every(Boolean);
        },
        `slots ${slots.join(',')} to belong to ${target.address} everywhere`,
      );
    },
  };
}

/** The whole reshard in one go: begin, move keys, finish. */
export async function migrateSlots(cluster: RedisCluster, slots: readonly number[], from: number, to: number): Promise<number> {
  const m = await beginSlotMigration(cluster, slots, from, to);
  const moved = await m.moveKeys();
  await m.finish();
  return moved;
}

/** Makes a node refuse every write that needs memory: maxmemory far below use, noeviction. */
export async function makeOutOfMemory(node: RedisProcess): Promise<() => Promise<void>> {
  const c = node.client();
  await c.config('SET', 'maxmemory-policy', 'noeviction');
  await c.config('SET', 'maxmemory', '1');
  return async () => {
    await c.config('SET', 'maxmemory', '0');
  };
}

/** A replica of `master`, up and in sync: every write to it is refused with READONLY. */
export async function startReadOnlyReplica(master: RedisProcess): Promise<RedisProcess> {
  // Diskless sync waits 5s by default for more replicas to join; we have one.
  await master.client().config('SET', 'repl-diskless-sync-delay', '0');
  const replica = await startRedis({ args: ['--replicaof', '127.0.0.1', String(master.port)] });
  const c = replica.client();
  await waitFor(async () => (await c.info('replication')).includes('master_link_status:up'), `replica ${replica.address} to sync`);
  return replica;
}

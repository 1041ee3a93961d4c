/** What `cachectl ring locate|stats|diff` run, imported by ring.ts only when one runs. */
import type { RedisTarget } from '../config/target.js';
import { openCache } from '../adapters/redis/cache.js';
import { locate } from '../core/ring/locate.js';
import { KeyTally, topologyBalance } from '../core/ring/balance.js';
import { changedSpec, diffArcs, KeyDiffTally } from '../core/ring/diff.js';
import { UsageError } from '../errors.js';
import { openKeyList, readKeyBatches } from '../adapters/files/key-list-reader.js';
import { createRingTopology } from '../topology/ring/index.js';
import type { Topology } from '../topology/types.js';
import { LocationWriter, balanceJson, renderBalance, renderDiff } from '../reporters/ring.js';
import { outputFor } from '../reporters/output.js';
import type { Writable } from '../io.js';
import type { CommandContext } from './context.js';
import { announcer, redisTargetFrom } from './options.js';
import type { RingFlags } from './ring.js';

const BATCH = 10_000;

export async function ringLocate(keys: string[], flags: RingFlags, ctx: CommandContext): Promise<void> {
  const topology = await topologyOf(redisTargetFrom(flags, ctx.io), flags, ctx);
  const out = outputFor(ctx.io, { json: flags.json, color: ctx.color });
  const writer = new LocationWriter(out, out.json);
  for await (const batch of keySource(keys, ctx)) {
    // Stopped (a signal, or stdout's reader went away): an endless stdin must not be read on.
    if (ctx.io.signal.aborted) break;
    if (!writer.write(batch.map((k) => locate(topology, k)))) await drained(out.stdout);
  }
  writer.end();
}

export async function ringStats(flags: RingFlags, ctx: CommandContext): Promise<void> {
  const topology = await topologyOf(redisTargetFrom(flags, ctx.io), flags, ctx);
  let balance = topologyBalance(topology);
  if (flags.keys !== undefined) {
    const tally = new KeyTally(topology);
    for await (const batch of keyFile(flags.keys, ctx)) tally.add(batch);
    balance = tally.balance();
  }
  const out = outputFor(ctx.io, { json: flags.json, color: ctx.color });
  if (out.json) out.document(balanceJson(balance));
  else out.result(renderBalance(balance, out.style, out.width));
}

export async function ringDiff(flags: RingFlags, ctx: CommandContext): Promise<void> {
  const target = redisTargetFrom(flags, ctx.io);
  if (target.kind !== 'ring') {
    const what = target.kind === 'cluster' ? 'a cluster' : 'a single node';
    throw new UsageError(
      `ring diff works on rings; ${target.source ?? 'the target'} names ${what}: give --ring or --ring-config (a cluster moves slots, not arcs)`,
    );
  }
  const before = createRingTopology(target.spec);
  const next = changedSpec(target.spec, { add: flags.add, remove: flags.remove });
  const after = createRingTopology(next.spec);
  let diff = diffArcs(before, after, next.change);
  if (flags.keys !== undefined) {
    const tally = new KeyDiffTally(before, after);
    for await (const batch of keyFile(flags.keys, ctx)) tally.add(batch);
    diff = tally.result(next.change);
  }
  const out = outputFor(ctx.io, { json: flags.json, color: ctx.color });
  if (out.json) out.document(diff);
  else out.result(renderDiff(diff, out.style, out.width));
}

/** Waits until a real stream has flushed, so locating millions of keys from stdin keeps memory flat. */
function drained(stream: Writable): Promise<void> {
  const s = stream as Partial<Pick<NodeJS.WritableStream, 'once'>>;
  return typeof s.once === 'function' ? new Promise((resolve) => s.once!('drain', () => resolve())) : Promise.resolve();
}

/** Rings are pure (no connection); a cluster's slots come from the cluster; one node needs nothing. */
/** A ring is computed, not connected to; a cluster's slots are read from it, after naming it. */
async function topologyOf(target: RedisTarget, flags: RingFlags, ctx: CommandContext): Promise<Topology> {
  if (target.kind === 'ring') return createRingTopology(target.spec);
  announcer(flags, ctx.io, target)();
  const cache = await openCache(target, { verify: 'none' });
  try {
    return cache.topology;
  } finally {
    await cache.close();
  }
}

async function* keySource(keys: string[], ctx: CommandContext): AsyncGenerator<string[]> {
  if (keys.length === 1 && keys[0] === '-') {
    yield* keyFile('-', ctx);
    return;
  }
  yield keys;
}

async function* keyFile(file: string, ctx: CommandContext): AsyncGenerator<string[]> {
  const stream = openKeyList(file, ctx.io.cwd, ctx.io.stdin);
  for await (const batch of readKeyBatches(stream, file === '-' ? 'stdin' : file, BATCH)) yield batch.keys;
}

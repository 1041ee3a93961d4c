/**
 * Run control, planned before anything connects: the run lock (under which names, how long,
 * whether to wait), --deadline, --checkpoint, --metrics-file, --shard and the log format. Pure:
 * flag text in, a plan out; a bad value is exit 2 with nothing done.
 */
import { basename, extname, resolve } from 'node:path';
import { DEFAULTS, DURATION_RANGES } from '../../config/defaults.js';
import { parseDuration } from '../../config/duration.js';
import { UsageError } from '../../errors.js';
import type { WarmEntry } from '../warm/types.js';
import { runFingerprint } from './checkpoint.js';
import { parseDeadline } from './deadline.js';
import { shardQuery } from './query-wrap.js';
import { inShard, resolveShard, type ShardSpec } from './shard.js';

/** The run-control flags as commander hands them over (declared in commands/operations-flags.ts). */
export interface RunControlFlags {
  /** commander's --no-lock sets lock: false. */
  lock?: boolean;
  waitLock?: string;
  lockTtl?: string;
  lockName?: string;
  deadline?: string;
  checkpoint?: string;
  metricsFile?: string;
  logFormat?: string;
  shard?: string;
  shardCount?: string;
}

export interface RunControlPlan {
  lock: { enabled: boolean; waitMs: number; ttlMs: number; name?: string };
  deadlineAt?: number;
  checkpointPath?: string;
  metricsPath?: string;
  logFormat: 'text' | 'json';
  shard?: ShardSpec;
}

export function parseRunControl(flags: RunControlFlags, where: { env: NodeJS.ProcessEnv; cwd: string }, now = Date.now()): RunControlPlan {
  const enabled = flags.lock !== false;
  if (!enabled && flags.waitLock !== undefined) throw new UsageError('--wait-lock: cannot wait for a lock with --no-lock; give one or the other');
  const ttlMs = flags.lockTtl !== undefined ? parseDuration(flags.lockTtl, '--lock-ttl', DURATION_RANGES.lockTtl) : DEFAULTS.operations.lockTtlMs;
  if (ttlMs < 1000) throw new UsageError('--lock-ttl: must be at least 1s (it is renewed every third of it)');
  const waitMs = flags.waitLock !== undefined ? parseDuration(flags.waitLock, '--wait-lock', DURATION_RANGES.waitLock) : 0;
  const shard = resolveShard(flags, where.env);
  return {
    lock: { enabled, waitMs, ttlMs, ...(flags.lockName !== undefined ? { name: flags.lockName } : {}) },
    ...(flags.deadline !== undefined ? { deadlineAt: parseDeadline(flags.deadline, now) } : {}),
    ...(flags.checkpoint !== undefined ? { checkpointPath: checkpointPathFor(resolve(where.cwd, flags.checkpoint), shard) } : {}),
    ...(flags.metricsFile !== undefined ? { metricsPath: resolve(where.cwd, flags.metricsFile) } : {}),
    logFormat: flags.logFormat === 'json' ? 'json' : 'text',
    shard,
  };
}

/**
 * Each shard keeps its own checkpoint: `warm.ckpt` becomes `warm.shard-2-of-8.ckpt`, so the pods of
 * an Indexed Job can share a volume (and one path in their spec) without overwriting each other.
 */
export function checkpointPathFor(path: string, shard: ShardSpec | undefined): string {
  if (!shard || shard.count <= 1) return path;
  const ext = extname(path);
  return `${ext ? path.slice(0, -ext.length) : path}.shard-${shard.index}-of-${shard.count}${ext}`;
}

/**
 * The names a run is known by: one per warmlist file (`warmlists/catalog.yml` -> `catalog`), or
 * for an ad-hoc run --lock-name, else `adhoc-<hash of its definition>` so different ad-hoc warms
 * never block each other while the same one does.
 */
export function runNames(plan: RunControlPlan, warmlistFiles: readonly string[], adhocDefinition: unknown): string[] {
  if (plan.lock.name !== undefined) return [plan.lock.name];
  if (warmlistFiles.length > 0) return [...new Set(warmlistFiles.map((f) => basename(f, extname(f))))].sort();
  return [`adhoc-${runFingerprint(adhocDefinition).slice(0, 8)}`];
}

/** A warm under run control: its plan, the names it locks and reports under, its entries as this shard runs them. */
export interface ControlledWarm extends RunControlPlan {
  names: string[];
  entries: WarmEntry[];
  /** The run name (warmlist) an entry's counts go to in the metrics. */
  nameOf(entry: string): string;
}

/**
 * Applies --shard to the entries: key lists are filtered as read (the engine's key filter), queries
 * are filtered by PostgreSQL with the same hash, so a worker does not stream the other shards' rows.
 */
export function controlWarm(plan: RunControlPlan, entries: readonly WarmEntry[], warmlistFiles: readonly string[]): ControlledWarm {
  const shard = plan.shard && plan.shard.count > 1 ? plan.shard : undefined;
  const sharded = shard
    ? entries.map((e) => (e.source.kind === 'query' ? { ...e, source: { ...e.source, sql: shardQuery(e.source.sql, shard), count: undefined } } : e))
    : [...entries];
  const names = runNames(
    plan,
    warmlistFiles,
    sharded.map((e) => entryDefinition(e)),
  );
  const nameOf = (entry: string): string => {
    if (names.length === 1) return names[0] as string;
    const file = sharded.find((e) => e.name === entry)?.origin.file;
    return file ? basename(file, extname(file)) : (names[0] as string);
  };
  return { ...plan, names, entries: sharded, nameOf };
}

/** The engine's key filter for --shard; undefined when the run is not sharded. */
export function shardKeyFilter(shard: ShardSpec | undefined): ((key: string) => boolean) | undefined {
  if (!shard || shard.count <= 1) return undefined;
  return (key) => inShard(key, shard);
}

/**
 * What identifies an entry's input, for the checkpoint fingerprint (`identify` adds a key file's
 * size and modification time) and for ad-hoc lock names (the path alone).
 */
export function entryDefinition(entry: WarmEntry, identify?: (keysFile: string) => unknown): unknown {
  const s = entry.source;
  return {
    name: entry.name,
    tier: entry.tier,
    format: entry.format,
    ...(s.kind === 'keys' ? { keys: identify ? identify(s.keysFile) : s.keysFile, pattern: s.pattern.source, fetch: s.fetch } : { query: s.sql }),
  };
}

/** Binds a checkpoint to one run definition: the entries as identified, the stale suffix, the shard. */
export function checkpointFingerprint(run: ControlledWarm, staleSuffix: string, identify: (keysFile: string) => unknown): string {
  const parts = { entries: run.entries.map((e) => entryDefinition(e, identify)), staleSuffix };
  return runFingerprint({ run: parts, shard: run.shard ? `${run.shard.index}/${run.shard.count}` : null });
}

/**
 * `--shard <i>/<n>`: a deterministic share of the keys, by hashing the key itself, so every
 * key belongs to exactly one shard whatever the input order or batch boundaries.
 *
 * The hash is the first 32 bits (big-endian) of MD5 over the key's UTF-8 bytes, modulo n.
 * MD5 is chosen because PostgreSQL computes the same value natively, so a streaming query can
 * filter its own share on the server (query-wrap.ts) instead of every worker reading every row.
 */
import { createHash } from 'node:crypto';
import { UsageError } from '../../errors.js';

export interface ShardSpec {
  /** 0-based, like Kubernetes' JOB_COMPLETION_INDEX. */
  index: number;
  count: number;
  /** Where it came from, for messages: '--shard' or 'JOB_COMPLETION_INDEX'. */
  source: string;
}

/** Parses `i/n` with 0 <= i < n. */
export function parseShard(text: string, what = '--shard'): ShardSpec {
  const m = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(text);
  if (!m) throw new UsageError(`${what}: '${text}' must be <index>/<count>, e.g. 0/4 (index counts from 0)`);
  const index = Number(m[1]);
  const count = Number(m[2]);
  if (count < 1) throw new UsageError(`${what}: the shard count in '${text}' must be at least 1`);
  if (index >= count) throw new UsageError(`${what}: index ${index} is out of range for ${count} shards; use 0 to ${count - 1}`);
  return { index, count, source: what };
}

/**
 * The shard from flags, else from a Kubernetes Indexed Job's environment. Kubernetes sets
 * JOB_COMPLETION_INDEX itself but not the completions count, so the pod spec passes it
 * (JOB_COMPLETIONS or CACHECTL_SHARD_COUNT) or the command line does (--shard-count).
 * An index without a count is an error: guessing would warm the wrong share silently.
 */
export function resolveShard(flags: { shard?: string; shardCount?: string }, env: NodeJS.ProcessEnv): ShardSpec | undefined {
  if (flags.shard !== undefined) {
    if (flags.shardCount !== undefined) throw new UsageError('--shard-count: not needed with --shard <i>/<n>; give one or the other');
    return parseShard(flags.shard);
  }
  const indexText = env.JOB_COMPLETION_INDEX;
  const countText = flags.shardCount ?? env.CACHECTL_SHARD_COUNT ?? env.JOB_COMPLETIONS;
  if (indexText === undefined || indexText === '') {
    if (flags.shardCount !== undefined) throw new UsageError('--shard-count: needs JOB_COMPLETION_INDEX (a Kubernetes Indexed Job) or use --shard <i>/<n>');
    return undefined;
  }
  if (countText === undefined || countText === '') {
    throw new UsageError(
      `JOB_COMPLETION_INDEX=${indexText} is set but not the number of shards: set JOB_COMPLETIONS (= spec.completions) in the pod's env, or pass --shard-count`,
    );
  }
  const countSource = flags.shardCount !== undefined ? '--shard-count' : env.CACHECTL_SHARD_COUNT !== undefined ? 'CACHECTL_SHARD_COUNT' : 'JOB_COMPLETIONS';
  if (!/^\d+$/.test(indexText.trim())) throw new UsageError(`JOB_COMPLETION_INDEX: '${indexText}' is not a whole number`);
  if (!/^\d+$/.test(countText.trim())) throw new UsageError(`${countSource}: '${countText}' is not a whole number`);
  const spec = parseShard(`${indexText.trim()}/${countText.trim()}`, `JOB_COMPLETION_INDEX/${countSource}`);
  return { ...spec, source: 'JOB_COMPLETION_INDEX' };
}

/** 0..count-1. Same value as shardSqlExpression computes in PostgreSQL. */
export function shardOf(key: string, count: number): number {
  if (count <= 1) return 0;
  const digest = createHash('md5').update(key, 'utf8').digest();
  return digest.readUInt32BE(0) % count;
}

export function inShard(key: string, shard: ShardSpec | undefined): boolean {
  return !shard || shard.count <= 1 || shardOf(key, shard.count) === shard.index;
}

/**
 * PostgreSQL expression giving shardOf(<expr>, count) for a text expression (database encoding
 * must be UTF-8, as it is for the keys Redis sees). `('x' || 8 hex digits)::bit(32)::bigint`
 * reads the first 4 bytes of the MD5 as an unsigned big-endian number.
 */
export function shardSqlExpression(textExpr: string, count: number): string {
  return `(('x' || substr(md5(${textExpr}), 1, 8))::bit(32)::bigint % ${Math.trunc(count)})`;
}

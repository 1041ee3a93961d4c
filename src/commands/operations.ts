/**
 * Issue 6's production flags, shared by the warm command: the run lock, --deadline,
 * --checkpoint, --metrics-file, --log-format, --shard (declared in operations-flags.ts).
 * The warm command calls `parseOperations` before connecting, `beginOperations` once
 * connected (takes the locks, opens the checkpoint) and `RunOperations.finish` on every way out
 * (metrics, checkpoint, lock release), so the warm action stays a thin file.
 */
import { statSync } from 'node:fs';
import { basename, extname, resolve } from 'node:path';
import { DEFAULTS, DURATION_RANGES } from '../config/defaults.js';
import { parseDuration } from '../config/duration.js';
import { UsageError } from '../errors.js';
import { runLockKey } from '../core/run/lock.js';
import { runFingerprint, type Checkpoint } from '../core/run/checkpoint.js';
import type { ResumeMark, ResumePoint } from '../core/warm/types.js';
import { parseDeadline } from '../core/run/deadline.js';
import { resolveShard, type ShardSpec } from '../core/run/shard.js';
import type { WarmlistRunMetrics } from '../core/run/metrics.js';
import { acquireRunLock, type LockEvent, type RunLock } from '../adapters/redis/run-lock.js';
import type { CacheConnection } from '../adapters/redis/cache.js';
import { CheckpointFile } from '../adapters/files/checkpoint-file.js';
import { writeMetricsFile } from '../adapters/files/metrics-file.js';
import type { IO } from '../io.js';
import type { OperationsFlags } from './operations-flags.js';

// Tests and callers that parse the flags keep importing their type from here.
export type { OperationsFlags };

export interface OperationsPlan {
  lock: { enabled: boolean; waitMs: number; ttlMs: number; name?: string };
  deadlineAt?: number;
  checkpointPath?: string;
  metricsPath?: string;
  logFormat: 'text' | 'json';
  shard?: ShardSpec;
}

/** Validates the flags before anything connects (bad values are exit 2, nothing done). */
export function parseOperations(flags: OperationsFlags, io: IO, now = Date.now()): OperationsPlan {
  const enabled = flags.lock !== false;
  if (!enabled && flags.waitLock !== undefined) throw new UsageError('--wait-lock: cannot wait for a lock with --no-lock; give one or the other');
  const ttlMs = flags.lockTtl !== undefined ? parseDuration(flags.lockTtl, '--lock-ttl', DURATION_RANGES.lockTtl) : DEFAULTS.operations.lockTtlMs;
  if (ttlMs < 1000) throw new UsageError('--lock-ttl: must be at least 1s (it is renewed every third of it)');
  const waitMs = flags.waitLock !== undefined ? parseDuration(flags.waitLock, '--wait-lock', DURATION_RANGES.waitLock) : 0;
  const shard = resolveShard(flags, io.env);
  return {
    lock: { enabled, waitMs, ttlMs, ...(flags.lockName !== undefined ? { name: flags.lockName } : {}) },
    ...(flags.deadline !== undefined ? { deadlineAt: parseDeadline(flags.deadline, now) } : {}),
    ...(flags.checkpoint !== undefined ? { checkpointPath: checkpointPathFor(resolve(io.cwd, flags.checkpoint), shard) } : {}),
    ...(flags.metricsFile !== undefined ? { metricsPath: resolve(io.cwd, flags.metricsFile) } : {}),
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
export function runNames(plan: OperationsPlan, warmlistFiles: readonly string[], adhocDefinition: unknown): string[] {
  if (plan.lock.name !== undefined) return [plan.lock.name];
  if (warmlistFiles.length > 0) return [...new Set(warmlistFiles.map((f) => basename(f, extname(f))))].sort();
  return [`adhoc-${runFingerprint(adhocDefinition).slice(0, 8)}`];
}

/** size and mtime of a key file, so a checkpoint is not applied to an edited list. */
export function fileIdentity(path: string, cwd: string): { path: string; size?: number; mtimeMs?: number } {
  if (path === '-') return { path };
  try {
    const st = statSync(resolve(cwd, path));
    return { path: resolve(cwd, path), size: st.size, mtimeMs: Math.round(st.mtimeMs) };
  } catch {
    return { path: resolve(cwd, path) };
  }
}

/** Structurally the warm engine's CheckpointHook: positions are key-file lines or query rows. */
export interface PositionCheckpoint {
  resumeFrom(entry: string): ResumePoint;
  advance(entry: string, position: number, mark?: ResumeMark): void;
  entryDone(entry: string): void;
  restart(entry: string): void;
  /** Feed every failed key (kind 'failed', not missing/invalid) here: see below. */
  keyFailed(entry: string): void;
}

/**
 * Adapts the checkpoint to a position-based engine. The engine advances an entry's position in
 * input order once every key before it is settled, and a settled key may have *failed* (node down,
 * OOM). Those must be retried on resume, but the engine does not say at which position a key
 * failed, so the first failure freezes the entry's position where it was: a resumed run redoes
 * everything after it (rewriting a key is harmless) and never skips a failed key.
 * Key lists resume only with the fingerprint of the lines before the position (checked as they are
 * read again); queries ordered by key resume at their last key; unordered queries from their first
 * row (a position in an unordered result means nothing).
 */
export function positionCheckpoint(checkpoint: Checkpoint, entries: readonly { name: string; tier: number; kind: 'keys' | 'query'; sql?: string }[]): PositionCheckpoint {
  const byName = new Map(entries.map((e) => [e.name, e]));
  const frozen = new Set<string>();
  const position = new Map<string, number>();
  return {
    resumeFrom(entry) {
      const e = byName.get(entry);
      if (!e) return { position: 0 };
      if (checkpoint.isComplete(entry)) return { position: Number.MAX_SAFE_INTEGER };
      let start: ResumePoint = { position: 0 };
      if (e.kind === 'keys') {
        const proof = checkpoint.prefixProof(entry);
        if (proof) start = { position: proof.lines, proof };
      } else {
        const last = checkpoint.lastKey(entry, e.sql ?? '');
        if (last) start = { position: checkpoint.rowsDone(entry, e.sql ?? ''), afterKey: last.key, rowsBefore: last.rowsBefore };
      }
      position.set(entry, start.position);
      return start;
    },
    advance(entry, pos, mark) {
      const e = byName.get(entry);
      if (!e || frozen.has(entry)) return;
      if (pos <= (position.get(entry) ?? 0)) return;
      if (e.kind === 'keys') {
        checkpoint.markLines(entry, 1, pos, [], e.tier);
        if (mark?.kind === 'lines') checkpoint.markPrefix(entry, mark.mark, e.tier);
      } else checkpoint.markRows(entry, e.sql ?? '', pos, e.tier, mark?.kind === 'key' ? { key: mark.key, rowsBefore: mark.rowsBefore } : undefined);
      position.set(entry, pos);
    },
    entryDone(entry) {
      if (!frozen.has(entry)) checkpoint.markComplete(entry);
    },
    restart(entry) {
      checkpoint.resetEntry(entry);
      position.set(entry, 0);
    },
    keyFailed(entry) {
      frozen.add(entry);
    },
  };
}

export interface RunOutcome {
  exitCode: number;
  durationMs: number;
  /** Per run name (warmlist): the counts for the metrics file. */
  perName: Map<string, Omit<WarmlistRunMetrics, 'warmlist' | 'finishedAt' | 'exitCode' | 'durationSeconds'>>;
  /** True when nothing is left to resume (no failure, no stop): the checkpoint file is deleted. */
  nothingLeft: boolean;
}

export interface RunOperations {
  shard?: ShardSpec;
  checkpoint?: Checkpoint;
  /** Set when an existing checkpoint was loaded. */
  resumed: boolean;
  locks: RunLock[];
  /** Releases the locks, saves or deletes the checkpoint, writes the metrics. Never throws. */
  finish(outcome: RunOutcome | undefined, warn: (message: string) => void): Promise<void>;
}

/**
 * Writes --metrics-file for a run that ran (or failed to connect: exit 3 is worth a series too).
 * A run refused by the lock (75) writes nothing: the run holding the lock reports.
 */
export async function writeRunMetrics(plan: OperationsPlan, outcome: RunOutcome, warn: (message: string) => void): Promise<void> {
  if (!plan.metricsPath || outcome.exitCode === 75) return;
  const finishedAt = Math.round(Date.now() / 1000);
  const runs: WarmlistRunMetrics[] = [...outcome.perName].map(([warmlist, counts]) => ({
    warmlist,
    ...counts,
    durationSeconds: outcome.durationMs / 1000,
    finishedAt,
    exitCode: outcome.exitCode,
  }));
  try {
    await writeMetricsFile(plan.metricsPath, runs);
  } catch (error) {
    warn(`--metrics-file ${plan.metricsPath}: cannot write: ${error instanceof Error ? error.message : String(error)}`);
  }
}

/**
 * Takes one run lock per name (sorted, so two runs over overlapping warmlists cannot deadlock;
 * on refusal the ones already taken are released), then opens the checkpoint.
 */
export async function beginOperations(
  plan: OperationsPlan,
  options: {
    io: IO;
    cache: CacheConnection;
    names: readonly string[];
    fingerprintParts: unknown;
    onLockEvent?: (event: LockEvent) => void;
    warn: (message: string) => void;
  },
): Promise<RunOperations> {
  const locks: RunLock[] = [];
  let checkpointFile: CheckpointFile | undefined;
  try {
    if (plan.lock.enabled) {
      for (const name of [...options.names].sort()) {
        locks.push(
          await acquireRunLock(options.cache, {
            key: runLockKey(DEFAULTS.operations.lockPrefix, name, plan.shard),
            warmlist: plan.shard && plan.shard.count > 1 ? `${name} (shard ${plan.shard.index}/${plan.shard.count})` : name,
            ttlMs: plan.lock.ttlMs,
            // Waiting for a lock never runs past the --deadline.
            waitMs: plan.deadlineAt !== undefined ? Math.max(0, Math.min(plan.lock.waitMs, plan.deadlineAt - Date.now())) : plan.lock.waitMs,
            signal: options.io.signal,
            onEvent: options.onLockEvent,
          }),
        );
      }
    }
    let resumed = false;
    if (plan.checkpointPath) {
      const opened = await CheckpointFile.open(plan.checkpointPath, runFingerprint({ run: options.fingerprintParts, shard: plan.shard ? `${plan.shard.index}/${plan.shard.count}` : null }));
      if (opened.discarded) options.warn(opened.discarded);
      resumed = opened.resumed;
      checkpointFile = opened.file;
      checkpointFile.startAutosave(DEFAULTS.operations.checkpointIntervalMs, (e) => options.warn(`checkpoint ${plan.checkpointPath}: cannot save: ${e.message}`));
    }
    const cpFile = checkpointFile;
    return {
      shard: plan.shard,
      checkpoint: cpFile?.checkpoint,
      resumed,
      locks,
      async finish(outcome, warn) {
        if (cpFile) {
          try {
            const what = await cpFile.close(outcome?.nothingLeft ?? false);
            if (what === 'saved') warn(`progress saved to ${cpFile.path}: run again with --checkpoint ${cpFile.path} to resume`);
          } catch (error) {
            warn(`checkpoint ${cpFile.path}: cannot save: ${error instanceof Error ? error.message : String(error)}`);
          }
        }
        for (const lock of locks) await lock.release();
        if (outcome) await writeRunMetrics(plan, outcome, warn);
      },
    };
  } catch (error) {
    for (const lock of locks) await lock.release();
    throw error;
  }
}

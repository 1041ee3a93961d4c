/**
 * The steps of run control that touch the outside, in the order warm-run.ts takes them: the run
 * locks in Redis, the checkpoint file, the metrics file. What they decide is in core/run/.
 */
import { DEFAULTS } from '../config/defaults.js';
import { ExitCode } from '../errors.js';
import { lockRequests } from '../core/run/lock.js';
import { runMetrics, type RunOutcome } from '../core/run/outcome.js';
import { checkpointFingerprint, type ControlledWarm } from '../core/run/plan.js';
import { acquireRunLocks, type LockEvent, type RunLock } from '../adapters/redis/run-lock.js';
import type { CacheConnection } from '../adapters/redis/cache.js';
import type { RedisTarget } from '../config/target.js';
import { CheckpointFile } from '../adapters/files/checkpoint-file.js';
import { fileIdentity } from '../adapters/files/file-identity.js';
import { writeMetricsFile } from '../adapters/files/metrics-file.js';

/** The metrics' `topology` label: what the run wrote to, as the flag that names it would say. */
export function topologyKind(target: RedisTarget): 'redis' | 'cluster' | 'ring' | 'twemproxy' {
  if (target.kind === 'single') return 'redis';
  if (target.kind === 'cluster') return 'cluster';
  return target.spec.pool !== undefined ? 'twemproxy' : 'ring';
}

/** One lock per run name (none with --no-lock); exit 75 when another run holds one. */
export async function takeRunLocks(cache: CacheConnection, run: ControlledWarm, signal: AbortSignal, onEvent?: (event: LockEvent) => void): Promise<RunLock[]> {
  if (!run.lock.enabled) return [];
  return acquireRunLocks(cache, lockRequests(run, run.names, DEFAULTS.operations.lockPrefix), { signal, ...(onEvent ? { onEvent } : {}) });
}

export interface OpenCheckpoint {
  file: CheckpointFile;
  /** True when it held progress of an earlier run of the same definition. */
  resumed: boolean;
}

/** --checkpoint: loads the file (a checkpoint of another run is ignored, with a warning) and saves it while the run goes. */
export async function openCheckpoint(
  run: ControlledWarm,
  staleSuffix: string,
  cwd: string,
  warn: (message: string) => void,
): Promise<OpenCheckpoint | undefined> {
  const path = run.checkpointPath;
  if (path === undefined) return undefined;
  const opened = await CheckpointFile.open(
    path,
    checkpointFingerprint(run, staleSuffix, (f) => fileIdentity(f, cwd)),
  );
  if (opened.discarded) warn(opened.discarded);
  opened.file.startAutosave(DEFAULTS.operations.checkpointIntervalMs, (e) => warn(`checkpoint ${path}: cannot save: ${e.message}`));
  return { file: opened.file, resumed: opened.resumed };
}

/** Deletes the file when nothing is left to retry, else saves it and says how to resume. Never throws. */
export async function closeCheckpoint(file: CheckpointFile, nothingLeft: boolean, warn: (message: string) => void): Promise<void> {
  try {
    const what = await file.close(nothingLeft);
    if (what === 'saved') warn(`progress saved to ${file.path}: run again with --checkpoint ${file.path} to resume`);
  } catch (error) {
    warn(`checkpoint ${file.path}: cannot save: ${error instanceof Error ? error.message : String(error)}`);
  }
}

/**
 * --metrics-file for a run that ran (or failed to connect: exit 3 is worth a series too). A run
 * refused by the lock (75) writes nothing: the run holding the lock reports.
 */
export async function writeRunMetrics(run: ControlledWarm, topology: string, outcome: RunOutcome, warn: (message: string) => void): Promise<void> {
  if (!run.metricsPath || outcome.exitCode === ExitCode.locked) return;
  try {
    await writeMetricsFile(run.metricsPath, runMetrics(outcome, Math.round(Date.now() / 1000), { topology, ...(run.shard ? { shard: run.shard } : {}) }));
  } catch (error) {
    warn(`--metrics-file ${run.metricsPath}: cannot write: ${error instanceof Error ? error.message : String(error)}`);
  }
}

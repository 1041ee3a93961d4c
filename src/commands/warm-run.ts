/**
 * Runs a planned warm: checks inputs and SQL, connects (exit 3 on failure), wires the ports
 * and reporters, runs the engine, and closes everything. Issue 6's features plug in through
 * WarmHooks (extra event listeners, checkpoint, key filter, deadline, lock around the run).
 */
import { accessSync, constants } from 'node:fs';
import { getHeapStatistics } from 'node:v8';
import { resolve } from 'node:path';
import { createPgPool, verifyPg } from '../adapters/postgres/pool.js';
import { PgWarmSource } from '../adapters/postgres/warm-source.js';
import { checkEntrySql } from '../adapters/postgres/warm-check.js';
import { openCache, type CacheConnection } from '../adapters/redis/cache.js';
import { PipelinedWriter } from '../adapters/redis/pipelined-writer.js';
import { CachePeek } from '../adapters/redis/cache-peek.js';
import { defaultFailoverWait } from '../adapters/redis/failover-wait.js';
import { DryRunWriter } from '../core/warm/dry-run-writer.js';
import { runWarm } from '../core/warm/engine.js';
import type { WarmEventListener } from '../core/warm/events.js';
import type { WarmSummary } from '../core/warm/summary.js';
import { InputError } from '../errors.js';
import { DEFAULTS } from '../config/defaults.js';
import { keyListPort } from '../adapters/files/key-list-reader.js';
import { FailedKeysFile } from '../adapters/files/failed-keys-file.js';
import { createWarmProgress } from '../reporters/warm-progress.js';
import { FailureExamples, renderWarmText, warmJson } from '../reporters/warm-summary.js';
import { outputFor } from '../reporters/output.js';
import type { RedisTarget } from '../config/target.js';
import type { IO } from '../io.js';
import type { WarmPlan } from './warm-plan.js';

export interface WarmHooks {
  /** More subscribers to the event stream (JSON logs, metrics). */
  listeners?: WarmEventListener[];
  /** Runs once connected, before the first write (e.g. take the run lock); its result is released in `after`. */
  before?(cache: CacheConnection): Promise<void>;
  /** `error`: why the run did not produce a summary, when it did not. */
  after?(cache: CacheConnection, summary: WarmSummary | undefined, error?: unknown): Promise<void>;
  /** false: no progress bar/lines (e.g. --log-format json owns stderr). */
  progress?: boolean;
}

export interface WarmRunContext {
  io: IO;
  color?: boolean;
  target: RedisTarget;
  pgUrl: string | undefined;
  /** Names the topology and database, right before the first connection. */
  announce?: () => void;
}

export async function executeWarm(plan: WarmPlan, run: WarmRunContext, hooks: WarmHooks = {}): Promise<WarmSummary> {
  const { options } = plan;
  const { io } = run;
  checkKeyFiles(plan, io.cwd);
  // Opened once the run lock is held (below): a run refused by the lock must not truncate the file of the run that holds it.
  let failedKeys: FailedKeysFile | undefined;
  const examples = new FailureExamples();
  const out = outputFor(io, { json: plan.json, color: run.color });
  const progress = hooks.progress === false ? undefined : createWarmProgress(out);
  const listeners: WarmEventListener[] = [examples.listener, ...(plan.failedKeys !== undefined ? [(e: Parameters<WarmEventListener>[0]) => failedKeys?.listener(e)] : []), ...(progress ? [progress.listener] : []), ...(hooks.listeners ?? [])];
  const emit: WarmEventListener = (event) => {
    for (const l of listeners) l(event);
  };
  const pool = createPgPool({ url: run.pgUrl, max: options.pgConcurrency + 1, statementTimeoutMs: plan.statementTimeoutMs, onError: () => undefined });
  let summary: WarmSummary | undefined;
  try {
    run.announce?.();
    await verifyPg(pool, run.pgUrl);
    // Every entry's SQL is checked before anything is written (exit 2 with the entry named).
    for (const entry of options.entries) await checkEntrySql(pool, entry);
    const cache = await openCache(run.target, { verify: 'any', onError: () => undefined });
    let writer: PipelinedWriter | undefined;
    const peek = new CachePeek(cache);
    let failure: unknown;
    try {
      await hooks.before?.(cache);
      if (plan.failedKeys !== undefined) failedKeys = await FailedKeysFile.open(plan.failedKeys, io.cwd);
      const failoverWaitMs = options.failoverWaitMs ?? (await defaultFailoverWait(cache));
      const source = new PgWarmSource(pool, { cursorRows: options.cursorRows, statementTimeoutMs: plan.statementTimeoutMs, retries: options.retries, retryBaseMs: options.retryBaseMs, emit });
      summary = await runWarm(
        { memoryPressure: heapPressure, ...options },
        {
          keys: keyListPort(io.cwd, io.stdin, options.batchSize, {
            maxLineBytes: Math.max(DEFAULTS.keys.maxLineBytes, options.keyRules.maxKeyBytes + 4096),
            ...(options.signal ? { signal: options.signal } : {}),
            fingerprint: options.checkpoint !== undefined,
          }),
          rows: source,
          peek,
          writer: (report) =>
            options.dryRun
              ? new DryRunWriter(cache.topology, report)
              : (writer = new PipelinedWriter(cache, report, {
                  pipelineSize: options.pipelineSize,
                  inFlight: options.redisInFlight,
                  waitReplicas: options.waitReplicas,
                  retries: options.retries,
                  retryBaseMs: options.retryBaseMs,
                  verify: options.verify,
                  failoverWaitMs,
                })),
        },
        emit,
      );
      // Before the run's exit status is settled (hooks.after): a failed-keys file that could not be
      // written makes the run incomplete, and the summary says so.
      const problem = await failedKeys?.close();
      if (problem) summary.outputErrors = [problem];
    } catch (error) {
      failure = error;
      throw error;
    } finally {
      progress?.stop();
      writer?.close();
      peek.close();
      try {
        await hooks.after?.(cache, summary, failure);
      } finally {
        await cache.close();
      }
    }
  } finally {
    progress?.stop();
    await pool.end().catch(() => undefined);
    await failedKeys?.close();
  }
  if (out.json) out.document(warmJson(summary, examples));
  else out.result(renderWarmText(summary, examples, out.style, failedKeys?.path, out.width));
  return summary;
}

/**
 * Stop reading at 85% of the JS heap's limit: a warm of values too large for its batch and pipeline
 * sizes then ends with a report (exit 1, stopped early) instead of a V8 out-of-memory crash.
 */
function heapPressure(): string | undefined {
  const { used_heap_size: used, heap_size_limit: limit } = getHeapStatistics();
  if (used < 0.85 * limit) return undefined;
  const mib = (n: number) => `${Math.round(n / 1048576)} MiB`;
  return `the JS heap holds ${mib(used)} of its ${mib(limit)} limit: the values are too large for the batch and pipeline sizes; lower --batch-size and --pipeline-size (or raise the limit: NODE_OPTIONS=--max-old-space-size=<MiB>)`;
}

/** Key-list files must be readable before anything connects. */
function checkKeyFiles(plan: WarmPlan, cwd: string): void {
  for (const entry of plan.options.entries) {
    if (entry.source.kind !== 'keys' || entry.source.keysFile === '-') continue;
    try {
      accessSync(resolve(cwd, entry.source.keysFile), constants.R_OK);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      throw new InputError(`cannot read the key list ${entry.source.keysFile} (${code === 'ENOENT' ? 'no such file' : (code ?? 'error')})`, {
        ...entry.origin,
        field: entry.origin.file ? `${entry.name}: keys` : '--keys',
      });
    }
  }
}

/**
 * Runs a planned warm as one sequence: connect (exit 3 on failure), take the run locks, open the
 * checkpoint, resume from it, run the engine, finish (checkpoint saved or deleted, locks released,
 * connections closed), print the summary. The warm's options are built once, right before the run.
 */
import { getHeapStatistics } from 'node:v8';
import { memoryPressure } from '../core/run/memory.js';
import { resolve } from 'node:path';
import { createPgPool, verifyPg } from '../adapters/postgres/pool.js';
import { PgWarmSource } from '../adapters/postgres/warm-source.js';
import { checkEntrySql } from '../adapters/postgres/warm-check.js';
import { openCache, type CacheConnection } from '../adapters/redis/cache.js';
import { PipelinedWriter } from '../adapters/redis/pipelined-writer.js';
import { CachePeek } from '../adapters/redis/cache-peek.js';
import { defaultFailoverWait } from '../adapters/redis/failover-wait.js';
import { releaseRunLocks, type RunLock } from '../adapters/redis/run-lock.js';
import { DryRunWriter } from '../core/warm/dry-run-writer.js';
import { runWarm } from '../core/warm/engine.js';
import type { WarmEventListener } from '../core/warm/events.js';
import type { WarmSummary } from '../core/warm/summary.js';
import type { WarmOptions } from '../core/warm/types.js';
import { nothingLeft, warmExitCode } from '../core/run/outcome.js';
import { shardKeyFilter, type ControlledWarm } from '../core/run/plan.js';
import { markResumed, resumeFrom, resumeListener, type Resume } from '../core/run/resume.js';
import { InputError } from '../errors.js';
import { DEFAULTS } from '../config/defaults.js';
import { keyListPort } from '../adapters/files/key-list-reader.js';
import { FailedKeysFile } from '../adapters/files/failed-keys-file.js';
import { createWarmProgress, type ProgressReporter } from '../reporters/warm-progress.js';
import { FailureExamples, renderWarmText, warmJson } from '../reporters/warm-summary.js';
import { logLockEvent, warmLogListener, type JsonLogReporter } from '../reporters/json-log.js';
import type { Output } from '../reporters/output.js';
import type { RedisTarget } from '../config/target.js';
import type { IO } from '../io.js';
import type { WarmPlan } from './warm-plan.js';
import { closeCheckpoint, openCheckpoint, takeRunLocks, type OpenCheckpoint } from './warm-control.js';
import { unreadableReason } from '../adapters/files/local-files.js';

export interface WarmRunContext {
  io: IO;
  /** Where results, warnings and notes go (text, --json, --log-format json). */
  out: Output;
  target: RedisTarget;
  pgUrl: string | undefined;
  /** Lock, deadline, checkpoint, shard and metrics, and the entries as this shard runs them. */
  control: ControlledWarm;
  /** --log-format json: events go here, and there is no progress bar. */
  log?: JsonLogReporter;
  /** The topology and where it came from, for the log's start line. */
  topology?: string;
  /** Names the topology and database, right before the first connection. */
  announce?: () => void;
}

type Pool = ReturnType<typeof createPgPool>;

/** What the run has opened so far: finish() closes exactly that, on every way out. */
interface Opened {
  pool?: Pool;
  cache?: CacheConnection;
  locks?: RunLock[];
  checkpoint?: OpenCheckpoint;
  failedKeys?: FailedKeysFile;
  progress?: ProgressReporter;
}

export async function executeWarm(plan: WarmPlan, run: WarmRunContext): Promise<WarmSummary> {
  const { io, control, out } = run;
  const warn = (message: string) => out.warn(message);
  checkKeyFiles(plan, io.cwd);
  const examples = new FailureExamples();
  const opened: Opened = {};
  let summary: WarmSummary | undefined;
  let ran = false;
  try {
    // Connect: PostgreSQL, and every entry's SQL checked (exit 2 with the entry named), then the cache.
    const pool = (opened.pool = createPgPool({
      url: run.pgUrl,
      max: plan.options.pgConcurrency + 1,
      statementTimeoutMs: plan.statementTimeoutMs,
      onError: () => undefined,
    }));
    run.announce?.();
    await verifyPg(pool, run.pgUrl);
    for (const entry of control.entries) await checkEntrySql(pool, entry);
    const cache = (opened.cache = await openCache(run.target, { verify: 'any', onError: () => undefined }));
    // A dry run writes nothing: it takes no lock and keeps no checkpoint.
    if (!plan.options.dryRun) {
      opened.locks = await takeRunLocks(cache, control, io.signal, run.log && logLockEvent(run.log));
      opened.checkpoint = await openCheckpoint(control, plan.options.staleSuffix, io.cwd, warn);
    }
    const resume = opened.checkpoint
      ? resumeFrom(opened.checkpoint.file.checkpoint, control.entries, opened.checkpoint.file.path, opened.checkpoint.resumed)
      : undefined;
    for (const warning of resume?.warnings ?? []) warn(warning);
    // Opened only now the run lock is held: a run refused by the lock must not truncate the file of the run that holds it.
    if (plan.failedKeys !== undefined) opened.failedKeys = await FailedKeysFile.open(plan.failedKeys, io.cwd);
    if (!run.log) opened.progress = createWarmProgress(out);
    const listeners = [
      examples.listener,
      ...(opened.failedKeys ? [opened.failedKeys.listener] : []),
      ...(opened.progress ? [opened.progress.listener] : []),
      ...(resume ? [resumeListener(resume, warn)] : []),
      ...(run.log
        ? [
            warmLogListener(run.log, {
              names: control.names,
              shard: control.shard,
              resumed: resume?.resumed ?? false,
              alreadyDone: resume?.alreadyDone ?? [],
              topology: run.topology,
              exitCode: (s) => warmExitCode(s, io.signal),
            }),
          ]
        : []),
    ];
    summary = await runEngine(warmOptions(plan, control, resume), { cache, pool, plan, io }, listeners);
    // Before the run's exit status is settled: a failed-keys file that could not be written makes
    // the run incomplete, and the summary says so.
    const problem = await opened.failedKeys?.close();
    if (problem) summary.outputErrors = [problem];
    if (resume) markResumed(summary, resume);
    ran = true;
  } finally {
    await finish(opened, ran ? summary : undefined, warn);
  }
  if (out.json) out.document(warmJson(summary, examples));
  else out.result(renderWarmText(summary, examples, out.style, opened.failedKeys?.path, out.width));
  return summary;
}

/** The warm's options, built once: the plan's, with this shard's entries, the deadline and where the checkpoint resumes. */
function warmOptions(plan: WarmPlan, control: ControlledWarm, resume: Resume | undefined): WarmOptions {
  const keyFilter = shardKeyFilter(control.shard);
  return {
    memoryPressure: heapPressure,
    ...plan.options,
    entries: resume?.entries ?? control.entries,
    ...(control.deadlineAt !== undefined ? { deadline: control.deadlineAt } : {}),
    ...(keyFilter ? { keyFilter } : {}),
    ...(resume ? { checkpoint: resume.positions } : {}),
  };
}

/** The engine over its ports: key lists from files, rows from PostgreSQL, writes to the cache (or nowhere, dry). */
async function runEngine(
  options: WarmOptions,
  on: { cache: CacheConnection; pool: Pool; plan: WarmPlan; io: IO },
  listeners: WarmEventListener[],
): Promise<WarmSummary> {
  const { cache, io } = on;
  const emit: WarmEventListener = (event) => {
    for (const l of listeners) l(event);
  };
  const failoverWaitMs = options.failoverWaitMs ?? (await defaultFailoverWait(cache));
  const source = new PgWarmSource(on.pool, {
    cursorRows: options.cursorRows,
    statementTimeoutMs: on.plan.statementTimeoutMs,
    retries: options.retries,
    retryBaseMs: options.retryBaseMs,
    emit,
  });
  const peek = new CachePeek(cache);
  let writer: PipelinedWriter | undefined;
  try {
    return await runWarm(
      options,
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
  } finally {
    writer?.close();
    peek.close();
  }
}

/**
 * Closes what the run opened, in order, whatever happened: warnings the cron log should have, the
 * checkpoint (deleted when nothing is left to retry, else saved), the locks, the connections.
 */
async function finish(opened: Opened, summary: WarmSummary | undefined, warn: (message: string) => void): Promise<void> {
  opened.progress?.stop();
  try {
    for (const { node, reason } of opened.cache?.ejected ?? []) {
      warn(
        `ring node ${node.name} was ejected (auto_eject_hosts) after ${reason}; its keys were written to the nodes the rebuilt ring names, as twemproxy routes them while it is out`,
      );
    }
    // On stderr too (and in --log-format json), where a cron job's log has it.
    for (const problem of summary?.outputErrors ?? []) warn(problem);
    if (opened.checkpoint) await closeCheckpoint(opened.checkpoint.file, nothingLeft(summary), warn);
    await releaseRunLocks(opened.locks ?? []);
  } finally {
    await opened.cache?.close();
    await opened.pool?.end().catch(() => undefined);
    await opened.failedKeys?.close();
  }
}

/** The memory guard's reading: the JS heap and the buffers outside it (values in socket chunks and pipelines). */
function heapPressure(): string | undefined {
  const { used_heap_size: heap, external_memory: buffers, heap_size_limit: limit } = getHeapStatistics();
  return memoryPressure(heap, buffers, limit);
}

/** Key-list files must be readable before anything connects. */
function checkKeyFiles(plan: WarmPlan, cwd: string): void {
  for (const entry of plan.options.entries) {
    if (entry.source.kind !== 'keys' || entry.source.keysFile === '-') continue;
    const reason = unreadableReason(resolve(cwd, entry.source.keysFile));
    if (reason !== undefined)
      throw new InputError(`cannot read the key list ${entry.source.keysFile} (${reason})`, {
        ...entry.origin,
        field: entry.origin.file ? `${entry.name}: keys` : '--keys',
      });
  }
}

/**
 * Plugs issue 6 into `cachectl warm` through the warm's own hooks (WarmHooks, WarmOptions):
 * run lock and checkpoint around the run, --deadline and --shard into the engine's options,
 * JSON logs and the checkpoint's failure tracking as event listeners, metrics at the end.
 * warm-action.ts calls `prepareWarmOperations` after planning and before executeWarm.
 */
import { basename, extname } from 'node:path';
import type { WarmEvent, WarmEventListener } from '../core/warm/events.js';
import type { WarmSummary } from '../core/warm/summary.js';
import type { WarmEntry } from '../core/warm/types.js';
import { inShard } from '../core/shard.js';
import { shardQuery } from '../core/query-wrap.js';
import type { JsonLogReporter } from '../reporters/json-log.js';
import { outputFor } from '../reporters/output.js';
import { CachectlError, ExitCode } from '../errors.js';
import { orderedByKey } from '../core/checkpoint.js';
import type { IO } from '../io.js';
import type { WarmHooks } from './warm-run.js';
import type { WarmPlan } from './warm-plan.js';
import {
  beginOperations,
  fileIdentity,
  parseOperations,
  positionCheckpoint,
  runNames,
  writeRunMetrics,
  type OperationsFlags,
  type OperationsPlan,
  type PositionCheckpoint,
  type RunOperations,
  type RunOutcome,
} from './operations.js';

export interface WarmOperations {
  hooks: WarmHooks;
  plan: OperationsPlan;
  /** Call when executeWarm throws: metrics for a run that could not run (not for exit 75). */
  failed(error: unknown): Promise<void>;
}

export function prepareWarmOperations(
  warm: WarmPlan,
  flags: OperationsFlags,
  files: readonly string[],
  io: IO,
  exitCodeOf: (summary: WarmSummary) => number,
  /** The topology and where it came from, for the JSON log's start event. */
  topology?: string,
): WarmOperations {
  const started = Date.now();
  const plan = parseOperations(flags, io, started);
  const { options } = warm;
  const out = outputFor(io, { logFormat: plan.logFormat });
  const json = out.log;
  const warn = (message: string) => out.warn(message);
  for (const note of warm.notes) out.note(note);

  if (plan.deadlineAt !== undefined) options.deadline = plan.deadlineAt;
  if (plan.shard && plan.shard.count > 1) {
    const shard = plan.shard;
    // Key lists are filtered as read (each worker fetches only its keys); queries are filtered by
    // PostgreSQL with the same hash, so a worker does not stream the other shards' rows at all.
    options.keyFilter = (key) => inShard(key, shard);
    options.entries = options.entries.map((e) => (e.source.kind === 'query' ? { ...e, source: { ...e.source, sql: shardQuery(e.source.sql, shard), count: undefined } } : e));
  }

  const names = runNames(plan, files, options.entries.map((e) => definitionOf(e)));
  const nameOf = (entry: string): string => {
    if (names.length === 1) return names[0] as string;
    const file = options.entries.find((e) => e.name === entry)?.origin.file;
    return file ? basename(file, extname(file)) : (names[0] as string);
  };
  let ops: RunOperations | undefined;
  let positions: PositionCheckpoint | undefined;
  const skippedDone: string[] = [];

  const listener: WarmEventListener = (event) => {
    if (event.type === 'keyFailed' && event.kind === 'failed') positions?.keyFailed(event.entry);
    if (event.type === 'resumeMismatch') {
      warn(`resuming ${event.entry} from ${plan.checkpointPath}: ${event.detail}`);
    }
    if (json) logEvent(json, event, exitCodeOf, { names, shard: plan.shard, resumed: ops?.resumed ?? false, skippedDone, ...(topology !== undefined ? { topology } : {}) });
  };

  const outcomeOf = (summary: WarmSummary | undefined, exitCode: number): RunOutcome => {
    const perName = new Map<string, { written: number; failed: number; missing: number; invalid: number; skipped: number; notAttempted: number }>();
    for (const n of names) perName.set(n, { written: 0, failed: 0, missing: 0, invalid: 0, skipped: 0, notAttempted: 0 });
    for (const [entry, s] of Object.entries(summary?.entries ?? {})) {
      const m = perName.get(nameOf(entry));
      if (!m) continue;
      m.written += s.written;
      m.failed += s.failed;
      m.missing += s.missing;
      m.invalid += s.invalid;
      m.skipped += s.skipped;
      m.notAttempted += s.notAttempted;
    }
    const nothingLeft = summary !== undefined && summary.failed === 0 && !summary.stopped;
    return { exitCode, durationMs: Date.now() - started, perName, nothingLeft };
  };

  const hooks: WarmHooks = {
    listeners: [listener],
    progress: !json,
    async before(cache) {
      if (options.dryRun) return;
      ops = await beginOperations(plan, {
        io,
        cache,
        names,
        fingerprintParts: { entries: options.entries.map((e) => definitionOf(e, io.cwd)), staleSuffix: options.staleSuffix },
        warn,
        onLockEvent: (e) => json?.log({ event: 'lock', ...e }),
      });
      const checkpoint = ops.checkpoint;
      if (checkpoint) {
        // Entries a previous run finished are not run again (not even their queries).
        const remaining = options.entries.filter((e) => !checkpoint.isComplete(e.name));
        for (const e of options.entries) if (checkpoint.isComplete(e.name)) skippedDone.push(e.name);
        if (skippedDone.length > 0) warn(`resuming from ${plan.checkpointPath}: ${skippedDone.join(', ')} already done, skipped`);
        options.entries = remaining;
        positions = positionCheckpoint(
          checkpoint,
          remaining.map((e) => ({ name: e.name, tier: e.tier, kind: e.source.kind, ...(e.source.kind === 'query' ? { sql: e.source.sql } : {}) })),
        );
        options.checkpoint = positions;
        for (const e of remaining) {
          if (e.source.kind === 'query' && checkpoint.knows(e.name) && !orderedByKey(e.source.sql)) {
            warn(`resuming from ${plan.checkpointPath}: query entry ${e.name} does not end with ORDER BY key, so a position in it means nothing; it restarts from its first row`);
          }
        }
      }
    },
    async after(cache, summary, error) {
      for (const { node, reason } of cache.ejected) {
        warn(`ring node ${node.name} was ejected (auto_eject_hosts) after ${reason}; its keys were written to the nodes the rebuilt ring names, as twemproxy routes them while it is out`);
      }
      // On stderr too (and in --log-format json), where a cron job's log has it.
      for (const problem of summary?.outputErrors ?? []) warn(problem);
      if (!ops) return;
      if (summary && ops.resumed) {
        // Says the run resumed, and from where, in the summary (text and --json).
        const resumed = { ...summary.resumed };
        for (const name of skippedDone) resumed[name] = { from: 0, unit: 'line', complete: true };
        summary.resumed = resumed;
        summary.checkpoint = plan.checkpointPath;
      }
      // A run that stopped on an error gets its metrics from failed(), which knows the exit code.
      await ops.finish(summary && !error ? outcomeOf(summary, exitCodeOf(summary)) : undefined, warn);
    },
  };

  return {
    hooks,
    plan,
    async failed(error) {
      const exitCode = error instanceof CachectlError ? error.exitCode : ExitCode.internal;
      if (json) json.log({ event: 'summary', exitCode, error: error instanceof Error ? error.message : String(error) });
      if (exitCode === ExitCode.usage || options.dryRun) return;
      await writeRunMetrics(plan, outcomeOf(undefined, exitCode), warn);
    },
  };
}

/** What identifies an entry's input for the checkpoint fingerprint and ad-hoc lock names. */
function definitionOf(entry: WarmEntry, cwd?: string): unknown {
  const s = entry.source;
  return {
    name: entry.name,
    tier: entry.tier,
    format: entry.format,
    ...(s.kind === 'keys'
      ? { keys: cwd !== undefined ? fileIdentity(s.keysFile, cwd) : s.keysFile, pattern: s.pattern.source, fetch: s.fetch }
      : { query: s.sql }),
  };
}

function logEvent(
  log: JsonLogReporter,
  event: WarmEvent,
  exitCodeOf: (summary: WarmSummary) => number,
  ctx: { names: readonly string[]; shard?: { index: number; count: number }; resumed: boolean; skippedDone: readonly string[]; topology?: string },
): void {
  switch (event.type) {
    case 'start':
      log.log({
        event: 'start',
        command: 'warm',
        warmlists: [...ctx.names],
        ...(ctx.topology !== undefined ? { topology: ctx.topology } : {}),
        entries: event.entries,
        nodes: event.nodes,
        dryRun: event.dryRun,
        ...(ctx.shard ? { shard: `${ctx.shard.index}/${ctx.shard.count}` } : {}),
        resumed: ctx.resumed,
        ...(ctx.skippedDone.length > 0 ? { alreadyDone: ctx.skippedDone } : {}),
      });
      return;
    case 'entryStart':
      log.log({ event: 'entry', action: 'start', entry: event.entry, tier: event.tier, ...(event.total !== undefined ? { total: event.total, estimated: event.estimated } : {}) });
      return;
    case 'entryDone':
      log.log({ event: 'entry', action: 'done', entry: event.entry });
      return;
    case 'progress':
      log.log({ event: 'progress', done: event.done, ...(event.total !== undefined ? { total: event.total } : {}), keysPerSecond: event.keysPerSecond, elapsedMs: event.elapsedMs });
      return;
    case 'retry':
      log.log({ event: 'retry', what: event.scope, attempt: event.attempt, delayMs: event.delayMs, error: event.reason, keys: event.keys, ...(event.node ? { node: event.node } : {}), ...(event.entry ? { entry: event.entry } : {}) });
      return;
    case 'nodeError':
      log.log({ event: 'node-error', node: event.node, error: event.error });
      return;
    case 'stopping':
      log.log({ event: 'stop', reason: event.reason, detail: event.detail });
      return;
    case 'failover':
      log.log({ event: 'failover', state: event.state, node: event.node, ...(event.slots ? { slots: event.slots } : {}), heldKeys: event.heldKeys, waitedMs: event.waitedMs, error: event.reason });
      return;
    case 'summary': {
      const { samples: _samples, ...summary } = event.summary;
      log.log({ event: 'summary', exitCode: exitCodeOf(event.summary), ...summary });
      return;
    }
    default:
      // written / skipped / batchFetched / keyFailed / tierDone: too many or too fine for a log line;
      // progress and the summary carry their counts, --failed-keys the failed keys.
      return;
  }
}

/**
 * `cachectl inspect ttl|stampede|locks|stale|nodes`: flags and parsing only; the views live in
 * src/core/inspect, the scanning in src/adapters/redis/scanner.ts, the output in src/reporters.
 */
import { Option, type Command } from 'commander';
import { DEFAULTS } from '../config/defaults.js';
import { parseDuration, parsePositiveInt } from '../config/duration.js';
import { type ConnectionFlags } from '../config/target.js';
import { parseFailOn, type InspectView } from '../core/inspect/fail-on.js';
import { nodesMetrics, nodesReport } from '../core/inspect/nodes.js';
import { inspectTtl, ttlMetrics } from '../core/inspect/ttl.js';
import { UsageError } from '../errors.js';
import type { IO } from '../io.js';
import { openKeyList, readKeyBatches } from '../sources/keylist.js';
import { renderNodes } from '../reporters/inspect-nodes.js';
import { KeyRowWriter, renderTtl } from '../reporters/inspect-ttl.js';
import type { CommandContext } from './context.js';
import { runView, type SessionOptions } from './inspect-session.js';
import { addRedisOptions, redisTargetFrom } from './options.js';
import { locksFigures, nodesFigures, staleFigures, stampedeFigures, ttlFigures } from '../core/inspect/figures.js';
import { inspectLocks, locksMetrics } from '../core/inspect/locks.js';
import { inspectStale, staleMetrics } from '../core/inspect/stale.js';
import { inspectStampede, stampedeMetrics } from '../core/inspect/stampede.js';
import { renderLocks, renderStale, renderStampede } from '../reporters/inspect-patterns.js';

interface InspectFlags extends ConnectionFlags {
  json?: boolean;
  watch?: string | boolean;
  ticks?: string;
  failOn?: string[];
  rate?: string;
  count?: string;
  match?: string;
  top?: string;
  lockPrefix?: string;
  stampedePrefix?: string;
  staleSuffix?: string;
  scanMode?: string;
  keys?: string;
  list?: boolean;
  types?: boolean;
  threshold?: string;
  window?: string;
  lockMaxAge?: string;
  lockValues?: boolean;
  nodeOnly?: boolean;
}

const collect = (value: string, previous: string[] = []) => [...previous, value];

/** Flags every view takes: connection, output, watch, alert conditions. */
function addCommonOptions(cmd: Command): Command {
  return addRedisOptions(cmd)
    .option('--json', 'print the report as JSON (with --watch: one JSON line per tick)')
    .option('--watch [seconds]', 'refresh every N seconds (default 2) like top; off a terminal: one JSON line per tick')
    .option('--ticks <n>', 'with --watch: stop after N refreshes')
    .option('--fail-on <conditions>', 'exit 1 when a condition holds, e.g. stuck-locks,no-ttl>100,cliff>1000 (repeatable)', collect)
    .option('--node-only', 'with --redis pointing at a cluster node: inspect just that node (refused otherwise)');
}

/** Flags of the views that scan (the pattern views derive their SCAN MATCH from the prefix). */
function addScanOptions(cmd: Command, withMatch: boolean): Command {
  if (withMatch) cmd.option('--match <pattern>', "SCAN MATCH pattern (default '*')");
  return addCommonOptions(cmd)
    .option('--count <n>', `SCAN COUNT per call (default ${DEFAULTS.inspect.scanCount})`)
    .option('--rate <keys/s>', 'at most this many keys per second per node (default: unlimited)')
    .option('--top <n>', `rows in top-N lists and cliffs (default ${DEFAULTS.inspect.topN})`)
    .addOption(new Option('--scan-mode <mode>', 'lua: one script per SCAN batch; pipeline: SCAN + pipelined lookups').choices(['auto', 'lua', 'pipeline']).default('auto'));
}

export function registerInspect(program: Command, ctx: CommandContext): Command {
  const inspect = program
    .command('inspect')
    .description('Inspect TTLs, expiry cliffs, stampede counters, locks, stale copies and node health on every node');

  addScanOptions(inspect.command('ttl').description('TTLs, keys without TTL, a TTL histogram and expiry cliffs (SCAN every node, or keys by name)'), true)
    .argument('[keys...]', 'keys to look up on their owning node (instead of --match)')
    .option('--keys <file>', "a file of keys, one per line ('-' for stdin)")
    .option('--types', 'with --match: also count keys by type (one more command per key on the nodes)')
    .option('--list', `with --match: also print one row per key (streamed; with --json the first ${DEFAULTS.inspect.maxJsonRows.toLocaleString('en-US')})`)
    .option('--stale-suffix <suffix>', `suffix of stale copies (default '${DEFAULTS.inspect.staleSuffix}')`)
    .action(async (keys: string[], flags: InspectFlags) => {
      const session = sessionFrom(flags, ctx.io, 'ttl');
      const named = keys.length > 0 || flags.keys !== undefined;
      if (named && flags.match !== undefined) throw new UsageError('inspect ttl: give keys by name (arguments, --keys) or --match, not both');
      const rows = !flags.json && session.watchMs === undefined && (named || flags.list) ? new KeyRowWriter(ctx.io.stdout) : undefined;
      const common = scanCommon(flags);
      await runView(ctx, session, {
        name: 'ttl',
        scans: true,
        everyKey: !named && (flags.match ?? '*') === '*',
        run: async (source, facts, onEvent) => {
          const report = await inspectTtl(
            source,
            {
              ...common,
              staleSuffix: flags.staleSuffix ?? DEFAULTS.inspect.staleSuffix,
              ...(named ? { keys: keyStream(keys, flags.keys, ctx.io) } : {}),
              list: Boolean(flags.list),
              types: Boolean(flags.types),
              ...(rows ? { onRow: (r) => rows.write(r) } : {}),
              ...(flags.json && (named || flags.list) ? { collectRows: DEFAULTS.inspect.maxJsonRows } : {}),
              onEvent,
              signal: ctx.io.signal,
            },
            facts,
          );
          rows?.flush();
          if (rows) ctx.io.stdout.write('\n');
          return report;
        },
        metrics: ttlMetrics,
        figures: ttlFigures,
        render: renderTtl,
        nodes: (r) => r.nodes,
      });
    });

  addScanOptions(inspect.command('stampede').description('stampede-detection counters by count; flags hot, leaked (no TTL) and sliding (TTL > window) counters'), false)
    .option('--stampede-prefix <prefix>', `prefix of the counters (default '${DEFAULTS.inspect.stampedePrefix}')`)
    .option('--threshold <n>', `flag counters above this count (default ${DEFAULTS.inspect.stampedeThreshold})`)
    .option('--window <duration>', `the counters' expiry window; longer TTLs are sliding (default ${DEFAULTS.inspect.stampedeWindowMs / 1000}s)`)
    .action(async (flags: InspectFlags) => {
      const options = {
        ...scanCommon(flags),
        prefix: flags.stampedePrefix ?? DEFAULTS.inspect.stampedePrefix,
        threshold: flags.threshold !== undefined ? parsePositiveInt(flags.threshold, '--threshold', { allowZero: true }) : DEFAULTS.inspect.stampedeThreshold,
        windowMs: flags.window !== undefined ? parseDuration(flags.window, '--window') : DEFAULTS.inspect.stampedeWindowMs,
        signal: ctx.io.signal,
      };
      await runView(ctx, sessionFrom(flags, ctx.io, 'stampede'), {
        name: 'stampede',
        scans: true,
        run: (source, facts, onEvent) => inspectStampede(source, { ...options, onEvent }, facts),
        metrics: stampedeMetrics,
        figures: stampedeFigures,
        render: renderStampede,
        nodes: (r) => r.nodes,
      });
    });

  addScanOptions(inspect.command('locks').description('lock keys: flags locks without TTL (stuck) and locks held longer than --lock-max-age'), false)
    .option('--lock-prefix <prefix>', `prefix of the locks (default '${DEFAULTS.inspect.lockPrefix}')`)
    .option('--lock-max-age <duration>', `flag locks held longer than this (default ${DEFAULTS.inspect.lockMaxAgeMs / 1000}s)`)
    .option('--lock-values', 'read lock values (holder token, timestamp) even on Redis < 7.2, where that resets their idle time')
    .action(async (flags: InspectFlags) => {
      const options = {
        ...scanCommon(flags),
        prefix: flags.lockPrefix ?? DEFAULTS.inspect.lockPrefix,
        maxAgeMs: flags.lockMaxAge !== undefined ? parseDuration(flags.lockMaxAge, '--lock-max-age') : DEFAULTS.inspect.lockMaxAgeMs,
        readValues: Boolean(flags.lockValues),
        signal: ctx.io.signal,
      };
      await runView(ctx, sessionFrom(flags, ctx.io, 'locks'), {
        name: 'locks',
        scans: true,
        run: (source, facts, onEvent) => inspectLocks(source, { ...options, onEvent }, facts),
        metrics: locksMetrics,
        figures: locksFigures,
        render: renderLocks,
        nodes: (r) => r.nodes,
      });
    });

  addScanOptions(inspect.command('stale').description('stale copies (<key>:stale): served now or standby, and how much of their window is left'), false)
    .option('--stale-suffix <suffix>', `suffix of stale copies (default '${DEFAULTS.inspect.staleSuffix}')`)
    .action(async (flags: InspectFlags) => {
      const suffix = flags.staleSuffix ?? DEFAULTS.inspect.staleSuffix;
      if (suffix === '') throw new UsageError('--stale-suffix: must not be empty');
      const options = { ...scanCommon(flags), suffix, signal: ctx.io.signal };
      await runView(ctx, sessionFrom(flags, ctx.io, 'stale'), {
        name: 'stale',
        scans: true,
        run: (source, facts, onEvent) => inspectStale(source, { ...options, onEvent }, facts),
        metrics: staleMetrics,
        figures: staleFigures,
        render: renderStale,
        nodes: (r) => r.nodes,
      });
    });

  addCommonOptions(inspect.command('nodes').description('per node: role, keys, memory, eviction policy, hit ratio, evictions, ops/s, clients; slots or ring share')).action(
    async (flags: InspectFlags) => {
      await runView(ctx, sessionFrom(flags, ctx.io, 'nodes'), {
        name: 'nodes',
        scans: false,
        run: async (source, facts) => nodesReport(source.topology, facts),
        metrics: nodesMetrics,
        figures: nodesFigures,
        render: renderNodes,
        nodes: (r) => r.nodes,
      });
    },
  );
  return inspect;
}

function sessionFrom(flags: InspectFlags, io: IO, view: InspectView): SessionOptions {
  const conditions = parseFailOn(flags.failOn ?? [], view);
  let watchMs: number | undefined;
  if (flags.watch !== undefined) watchMs = flags.watch === true ? DEFAULTS.inspect.watchIntervalMs : parseDuration(String(flags.watch), '--watch');
  if (watchMs !== undefined && watchMs < 100) throw new UsageError(`--watch: ${flags.watch} is too short; use at least 0.1 (seconds)`);
  if (flags.ticks !== undefined && watchMs === undefined) throw new UsageError('--ticks only makes sense with --watch');
  return {
    target: redisTargetFrom(flags, io),
    json: Boolean(flags.json),
    ...(watchMs !== undefined ? { watchMs } : {}),
    ...(flags.ticks !== undefined ? { ticks: parsePositiveInt(flags.ticks, '--ticks') } : {}),
    conditions,
    mode: (flags.scanMode ?? 'auto') as SessionOptions['mode'],
    nodeOnly: Boolean(flags.nodeOnly),
  };
}

function scanCommon(flags: InspectFlags): { match: string; count: number; rate: number; topN: number } {
  return {
    match: flags.match ?? '*',
    count: flags.count !== undefined ? parsePositiveInt(flags.count, '--count') : DEFAULTS.inspect.scanCount,
    rate: flags.rate !== undefined ? parsePositiveInt(flags.rate, '--rate') : 0,
    topN: flags.top !== undefined ? parsePositiveInt(flags.top, '--top') : DEFAULTS.inspect.topN,
  };
}

/** Keys from the arguments, then from --keys FILE (or '-' for stdin): the shared key-list format. */
async function* keyStream(args: readonly string[], file: string | undefined, io: IO): AsyncGenerator<string> {
  yield* args;
  if (file === undefined) return;
  for await (const batch of readKeyBatches(openKeyList(file, io.cwd, io.stdin), file, 1000)) yield* batch.keys;
}

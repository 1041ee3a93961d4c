/**
 * Runs one inspect view against the cache: once, or every N seconds with --watch. Opens the
 * connection per run (a watch survives failovers and nodes coming back), evaluates --fail-on,
 * and hands the report to the reporters. Sets the exit code: 1 when a condition holds or a node
 * did not answer fully.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { openCache } from '../adapters/redis/cache.js';
import { writeReportPage } from '../adapters/files/report-file.js';
import { RedisInspectSource, type ScanMode } from '../adapters/redis/scanner.js';
import { authOf, type RedisTarget } from '../config/target.js';
import { DEFAULTS, DURATION_RANGES } from '../config/defaults.js';
import { parseDuration, parsePositiveInt } from '../config/duration.js';
import type { InspectEvent, NodeSummary } from '../core/inspect/every-node.js';
import { evaluateFailOn, parseFailOn, type Condition, type ConditionResult, type InspectView } from '../core/inspect/fail-on.js';
import type { InspectSource, NodeFacts } from '../core/inspect/types.js';
import { gettingWorse, rankChanges, type WatchFigure } from '../core/inspect/watch.js';
import { ConnectionError, ExitCode, UsageError, redact, signalExitCode } from '../errors.js';
import { renderKeyspace } from '../reporters/inspect-common.js';
import { ScanProgress, renderFailOn, renderWatchError, renderWatchFrame, watchTick } from '../reporters/inspect-session.js';
import { outputFor, type Output } from '../reporters/output.js';
import type { ChalkInstance } from 'chalk';
import type { IO } from '../io.js';
import type { CommandContext } from './context.js';
import type { InspectFlags } from './inspect.js';
import { announcer, redisTargetFrom } from './options.js';

/** What a view plugs into the session. */
export interface ViewRunner<R> {
  name: InspectView;
  /** Prints the INFO keyspace figures before the scan (every view but `nodes`, which shows them itself). */
  scans: boolean;
  /** The scan visits every key (MATCH *): progress can be shown against INFO's key count. */
  everyKey?: boolean;
  run(source: InspectSource, facts: NodeFacts[], onEvent: (e: InspectEvent) => void): Promise<R>;
  metrics(report: R): Record<string, number>;
  figures(report: R): WatchFigure[];
  render(report: R, style: ChalkInstance, width?: number): string;
  nodes(report: R): readonly NodeSummary[];
  /** Its stdout is data another command reads (hotkeys: a key list), so --fail-on lines go to stderr. */
  stdoutIsData?: boolean;
  /** The HTML report page of one run (--report). */
  page?(report: R): string;
}

export interface SessionOptions {
  target: RedisTarget;
  json: boolean;
  /** Watch interval in ms; undefined: run once. */
  watchMs?: number;
  /** Stop watching after this many ticks (default: until interrupted). */
  ticks?: number;
  conditions: Condition[];
  mode: ScanMode;
  /** Names the topology on stderr, right before the first connection. */
  announce?: () => void;
  /** --node-only: accept a single cluster node given with --redis (otherwise refused: it would cover a third of the keys). */
  nodeOnly?: boolean;
  /** --report: where the page goes, already checked writable (never with --watch). */
  reportPath?: string;
  /** Where the view's output goes; built from the command's IO when not given. */
  out?: Output;
}

/**
 * The session of one view from its flags: the target, --fail-on for that view, --watch/--ticks,
 * and the topology line (with the database too for a view that reads PostgreSQL: drift).
 */
export function sessionFrom(flags: InspectFlags, io: IO, view: InspectView, withPg = false): SessionOptions {
  const conditions = parseFailOn(flags.failOn ?? [], view);
  let watchMs: number | undefined;
  if (flags.watch !== undefined)
    watchMs = flags.watch === true ? DEFAULTS.inspect.watchIntervalMs : parseDuration(String(flags.watch), '--watch', DURATION_RANGES.watch);
  if (flags.ticks !== undefined && watchMs === undefined) throw new UsageError('--ticks only makes sense with --watch');
  const target = redisTargetFrom(flags, io);
  return {
    target,
    announce: announcer(flags, io, target, withPg),
    json: Boolean(flags.json),
    ...(watchMs !== undefined ? { watchMs } : {}),
    ...(flags.ticks !== undefined ? { ticks: parsePositiveInt(flags.ticks, '--ticks') } : {}),
    conditions,
    mode: (flags.scanMode ?? 'auto') as SessionOptions['mode'],
    nodeOnly: Boolean(flags.nodeOnly),
  };
}

export async function runView<R>(ctx: CommandContext, options: SessionOptions, view: ViewRunner<R>): Promise<void> {
  const out = options.out ?? outputFor(ctx.io, { json: options.json, color: ctx.color });
  if (options.watchMs === undefined) {
    const { report, results } = await runOnce(ctx, options, view, true, out);
    if (out.json) out.document({ ...report, failOn: results });
    else if (view.stdoutIsData) {
      out.result(view.render(report, out.style, out.width));
      out.diagnostic(renderFailOn(results, out.errStyle));
    } else out.result(view.render(report, out.style, out.width) + renderFailOn(results, out.style));
    if (options.reportPath !== undefined && view.page) {
      await writeReportPage(options.reportPath, view.page(report));
      out.diagnostic(`wrote report ${options.reportPath}\n`);
    }
    ctx.exitCode = exitCodeOf(view.nodes(report), results);
    // Stopped by a signal: what was scanned is printed above, marked interrupted; the code says why.
    if (ctx.io.signal.aborted) ctx.exitCode = signalExitCode(ctx.io.signal);
    return;
  }
  await watch(ctx, options, view, options.watchMs, out);
}

async function runOnce<R>(
  ctx: CommandContext,
  options: SessionOptions,
  view: ViewRunner<R>,
  showFacts: boolean,
  out: Output,
): Promise<{ report: R; results: ConditionResult[] }> {
  options.announce?.();
  // A node that stops answering mid-scan is shown as down after --timeout, not waited for.
  const commandTimeoutMs = options.target.timeoutMs ?? DEFAULTS.connection.nodeTimeoutMs;
  const cache = await openCache(options.target, {
    verify: 'any',
    reconnectAttempts: 1,
    connectionName: 'cachectl-inspect',
    clusterNode: 'allow',
    commandTimeoutMs,
  });
  const progress = new ScanProgress(out, Boolean(view.everyKey));
  try {
    const db = authOf(options.target).db ?? 0;
    const source = new RedisInspectSource(cache, { db, mode: options.mode });
    const facts = await source.nodeFacts();
    if (options.target.kind === 'single' && facts[0]?.info?.cluster_enabled === '1' && !options.nodeOnly) {
      const address = facts[0].address;
      throw new UsageError(
        `--redis: ${address} is a Redis Cluster node, so this would cover only its own slots; use --cluster ${address} to inspect every master (or --node-only to mean just this node)`,
      );
    }
    if (showFacts && view.scans && !out.json) out.result(renderKeyspace(facts, out.style, out.width) + '\n');
    const report = await view.run(source, facts, progress.onEvent);
    return { report, results: evaluateFailOn(options.conditions, view.metrics(report)) };
  } finally {
    progress.done();
    await cache.close();
  }
}

function exitCodeOf(nodes: readonly NodeSummary[], results: readonly ConditionResult[]): number {
  if (results.some((r) => r.holds)) return ExitCode.incomplete;
  if (nodes.some((n) => n.status !== 'ok')) return ExitCode.incomplete;
  return ExitCode.ok;
}

/**
 * On a terminal: redraw in place, what got worse first. Elsewhere: one JSON line per tick
 * (`{"tick", "at", "report", "failOn", "worse"}`), for log shippers and scripts.
 */
async function watch<R>(ctx: CommandContext, options: SessionOptions, view: ViewRunner<R>, intervalMs: number, out: Output): Promise<void> {
  const tty = Boolean(out.stdout.isTTY) && !out.json;
  const style = out.style;
  let previous: WatchFigure[] | undefined;
  let tick = 0;
  while (!ctx.io.signal.aborted && (options.ticks === undefined || tick < options.ticks)) {
    tick++;
    const started = Date.now();
    let ran: Awaited<ReturnType<typeof runOnce<R>>>;
    try {
      ran = await runOnce(ctx, options, view, false, out);
    } catch (error) {
      // No node answered this time: say so and keep watching; nodes come back.
      if (!(error instanceof ConnectionError)) throw error;
      ctx.exitCode = ExitCode.connection;
      const line = redact(error.message);
      if (tty) out.result(renderWatchError(tick, line, style));
      else out.jsonLine({ tick, at: new Date().toISOString(), error: line });
      await sleep(intervalMs, undefined, { signal: ctx.io.signal }).catch(() => undefined);
      continue;
    }
    const { report, results } = ran;
    const figures = view.figures(report);
    const baseline = previous === undefined;
    const worse = gettingWorse(rankChanges(previous, figures), 10);
    previous = figures;
    ctx.exitCode = exitCodeOf(view.nodes(report), results);
    if (tty) {
      out.result(renderWatchFrame(view.render(report, style, out.width) + renderFailOn(results, style), worse, tick, intervalMs, style, baseline, out.width));
    } else out.jsonLine(watchTick(tick, baseline, report, results, worse));
    if (options.ticks !== undefined && tick >= options.ticks) break;
    const wait = Math.max(0, intervalMs - (Date.now() - started));
    await sleep(wait, undefined, { signal: ctx.io.signal }).catch(() => undefined);
  }
}

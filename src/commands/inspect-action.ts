/** What the `cachectl inspect` views run, imported by inspect.ts only when one runs. */
import { DEFAULTS, DURATION_RANGES } from '../config/defaults.js';
import { parseDuration, parsePositiveInt } from '../config/duration.js';
import { nodesMetrics, nodesReport } from '../core/inspect/nodes.js';
import { inspectTtl, ttlMetrics } from '../core/inspect/ttl.js';
import { UsageError } from '../errors.js';
import type { IO } from '../io.js';
import { openKeyList, readKeyBatches } from '../adapters/files/key-list-reader.js';
import { renderNodes } from '../reporters/inspect-nodes.js';
import { KeyRowWriter, renderTtl } from '../reporters/inspect-ttl.js';
import type { CommandContext } from './context.js';
import type { InspectFlags } from './inspect.js';
import { runView, sessionFrom } from './inspect-session.js';
import { locksFigures, nodesFigures, staleFigures, stampedeFigures, ttlFigures } from '../core/inspect/figures.js';
import { inspectLocks, locksMetrics } from '../core/inspect/locks.js';
import { inspectStale, staleMetrics } from '../core/inspect/stale.js';
import { inspectStampede, stampedeMetrics } from '../core/inspect/stampede.js';
import { renderLocks, renderStale, renderStampede } from '../reporters/inspect-patterns.js';
import { inspectOverview, overviewFigures, overviewMetrics, type OverviewOptions, type OverviewReport } from '../core/inspect/overview.js';
import { renderOverview } from '../reporters/inspect-overview.js';
import { hotkeysMetrics, inspectHotkeys } from '../core/inspect/hotkeys.js';
import { renderHotkeys } from '../reporters/inspect-hotkeys.js';
import { overviewPage, ttlPage } from '../reporters/html/inspect-page.js';
import { inspectReportFrom } from './report-files.js';
import { outputFor } from '../reporters/output.js';

export async function inspectTtlAction(keys: string[], flags: InspectFlags, ctx: CommandContext): Promise<void> {
  const session = { ...sessionFrom(flags, ctx.io, 'ttl'), reportPath: await inspectReportFrom(flags, ctx.io) };
  const named = keys.length > 0 || flags.keys !== undefined;
  if (named && flags.match !== undefined) throw new UsageError('inspect ttl: give keys by name (arguments, --keys) or --match, not both');
  const out = outputFor(ctx.io, { json: session.json, color: ctx.color });
  const rows = !flags.json && session.watchMs === undefined && (named || flags.list) ? new KeyRowWriter(out) : undefined;
  const common = scanCommon(flags);
  await runView(
    ctx,
    { ...session, out },
    {
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
        rows?.end();
        return report;
      },
      metrics: ttlMetrics,
      figures: ttlFigures,
      render: renderTtl,
      page: (r) => ttlPage(r),
      nodes: (r) => r.nodes,
    },
  );
}

export async function inspectStampedeAction(flags: InspectFlags, ctx: CommandContext): Promise<void> {
  const options = {
    ...scanCommon(flags),
    prefix: flags.stampedePrefix ?? DEFAULTS.inspect.stampedePrefix,
    threshold: flags.threshold !== undefined ? parsePositiveInt(flags.threshold, '--threshold', { allowZero: true }) : DEFAULTS.inspect.stampedeThreshold,
    windowMs: flags.window !== undefined ? parseDuration(flags.window, '--window', DURATION_RANGES.window) : DEFAULTS.inspect.stampedeWindowMs,
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
}

export async function inspectLocksAction(flags: InspectFlags, ctx: CommandContext): Promise<void> {
  const options = {
    ...scanCommon(flags),
    prefix: flags.lockPrefix ?? DEFAULTS.inspect.lockPrefix,
    maxAgeMs: flags.lockMaxAge !== undefined ? parseDuration(flags.lockMaxAge, '--lock-max-age', DURATION_RANGES.lockMaxAge) : DEFAULTS.inspect.lockMaxAgeMs,
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
}

export async function inspectStaleAction(flags: InspectFlags, ctx: CommandContext): Promise<void> {
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
}

/** `cachectl inspect` with no view: one scan pass for every view, verdicts first. */
export async function inspectOverviewAction(view: string | undefined, flags: InspectFlags, ctx: CommandContext): Promise<void> {
  if (view !== undefined) throw new UsageError(`inspect: unknown view '${view}'; views are ${VIEWS.join(', ')} (or none, for the overview)`);
  const suffix = flags.staleSuffix ?? DEFAULTS.inspect.staleSuffix;
  if (suffix === '') throw new UsageError('--stale-suffix: must not be empty');
  const { count, rate, topN } = scanCommon(flags);
  const v = DEFAULTS.inspect.verdicts;
  const options: OverviewOptions = {
    count,
    rate,
    topN,
    stampede: {
      prefix: flags.stampedePrefix ?? DEFAULTS.inspect.stampedePrefix,
      threshold: flags.threshold !== undefined ? parsePositiveInt(flags.threshold, '--threshold', { allowZero: true }) : DEFAULTS.inspect.stampedeThreshold,
      windowMs: flags.window !== undefined ? parseDuration(flags.window, '--window', DURATION_RANGES.window) : DEFAULTS.inspect.stampedeWindowMs,
    },
    locks: {
      prefix: flags.lockPrefix ?? DEFAULTS.inspect.lockPrefix,
      maxAgeMs: flags.lockMaxAge !== undefined ? parseDuration(flags.lockMaxAge, '--lock-max-age', DURATION_RANGES.lockMaxAge) : DEFAULTS.inspect.lockMaxAgeMs,
      readValues: Boolean(flags.lockValues),
    },
    staleSuffix: suffix,
    thresholds: {
      ...v,
      cliffKeys: flags.cliffThreshold !== undefined ? parsePositiveInt(flags.cliffThreshold, '--cliff-threshold', { allowZero: true }) : v.cliffKeys,
    },
    signal: ctx.io.signal,
  };
  const reportPath = await inspectReportFrom(flags, ctx.io);
  let previous: OverviewReport | undefined;
  await runView(
    ctx,
    { ...sessionFrom(flags, ctx.io, 'overview'), reportPath },
    {
      name: 'overview',
      // The verdicts come first; the node table (with INFO's figures) follows them.
      scans: false,
      everyKey: true,
      run: async (source, facts, onEvent) => {
        const report = await inspectOverview(source, { ...options, onEvent, ...(previous ? { previous } : {}) }, facts);
        previous = report;
        return report;
      },
      metrics: overviewMetrics,
      figures: overviewFigures,
      render: renderOverview,
      page: (r) => overviewPage(r),
      nodes: (r) => r.ttl.nodes,
    },
  );
}

export async function inspectHotkeysAction(flags: InspectFlags, ctx: CommandContext): Promise<void> {
  const { match, count, rate } = scanCommon(flags);
  const top = flags.top !== undefined ? parsePositiveInt(flags.top, '--top') : DEFAULTS.inspect.hotKeys;
  await runView(ctx, sessionFrom(flags, ctx.io, 'hotkeys'), {
    name: 'hotkeys',
    stdoutIsData: true,
    scans: false,
    run: (source, facts, onEvent) => inspectHotkeys(source, { match, count, rate, top, onEvent, signal: ctx.io.signal }, facts),
    metrics: hotkeysMetrics,
    figures: (r) => r.keys.filter((k) => k.measure === 'freq').map((k) => ({ subject: k.key, metric: 'OBJECT FREQ', value: k.score, worse: 'up' as const })),
    render: renderHotkeys,
    nodes: (r) => r.nodes,
  });
}

const VIEWS = ['ttl', 'stampede', 'locks', 'stale', 'nodes', 'drift', 'hotkeys'];

export async function inspectNodesAction(flags: InspectFlags, ctx: CommandContext): Promise<void> {
  await runView(ctx, sessionFrom(flags, ctx.io, 'nodes'), {
    name: 'nodes',
    scans: false,
    run: async (source, facts) => nodesReport(source.topology, facts),
    metrics: nodesMetrics,
    figures: nodesFigures,
    render: renderNodes,
    nodes: (r) => r.nodes,
  });
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
export { inspectDriftAction } from './inspect-drift-action.js';

/** How a warm ended, for the exit code, the checkpoint (keep or delete) and the metrics file. */
import { ExitCode, signalExitCode, type ExitCodeValue } from '../../errors.js';
import { summaryComplete, type WarmSummary } from '../warm/summary.js';
import type { WarmlistRunMetrics } from './metrics.js';
import type { ControlledWarm } from './plan.js';

/** 0 all written; 1 something was not; 130 / 143 stopped by a signal. */
export function warmExitCode(summary: WarmSummary, abort: AbortSignal): ExitCodeValue {
  if (summary.stopped?.reason === 'signal') return signalExitCode(abort);
  return summaryComplete(summary) ? ExitCode.ok : ExitCode.incomplete;
}

/** Nothing to retry (no failure, no early stop): the checkpoint file is deleted, the next run starts fresh. */
export function nothingLeft(summary: WarmSummary | undefined): boolean {
  return summary !== undefined && summary.failed === 0 && !summary.stopped && !summary.unread?.length;
}

type Counts = Omit<WarmlistRunMetrics, 'warmlist' | 'topology' | 'shard' | 'finishedAt' | 'exitCode' | 'durationSeconds'>;

export interface RunOutcome {
  exitCode: number;
  durationMs: number;
  /** Per run name (warmlist): the counts for the metrics file. */
  perName: Map<string, Counts>;
}

/** A run that ended without a summary (it could not connect, or failed) still reports, with zero counts. */
export function runOutcome(run: Pick<ControlledWarm, 'names' | 'nameOf'>, summary: WarmSummary | undefined, exitCode: number, durationMs: number): RunOutcome {
  const perName = new Map<string, Required<Counts>>();
  for (const n of run.names) perName.set(n, { written: 0, failed: 0, missing: 0, invalid: 0, skipped: 0, notAttempted: 0 });
  for (const [entry, s] of Object.entries(summary?.entries ?? {})) {
    const m = perName.get(run.nameOf(entry));
    if (!m) continue;
    m.written += s.written;
    m.failed += s.failed;
    m.missing += s.missing;
    m.invalid += s.invalid;
    m.skipped += s.skipped;
    m.notAttempted += s.notAttempted;
  }
  return { exitCode, durationMs, perName };
}

/** One series set per run name, as the metrics file shows them, labelled with the topology kind and the shard. */
export function runMetrics(
  outcome: RunOutcome,
  finishedAt: number,
  labels: { topology?: string; shard?: { index: number; count: number } },
): WarmlistRunMetrics[] {
  const { topology, shard } = labels;
  const extra = { ...(topology !== undefined ? { topology } : {}), ...(shard ? { shard: `${shard.index}/${shard.count}` } : {}) };
  return [...outcome.perName].map(([warmlist, counts]) => ({
    warmlist,
    ...extra,
    ...counts,
    durationSeconds: outcome.durationMs / 1000,
    finishedAt,
    exitCode: outcome.exitCode,
  }));
}

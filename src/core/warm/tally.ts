/** The counters of a run (totals, per entry, per node) and the summary built from them. */
import { emptyEntryStats, type EntryStats, type SampleKey, type WarmSummary } from './summary.js';
import type { StopReason } from './events.js';
import type { FailureKind } from './types.js';
import type { VerifyProblem } from './ports.js';

export class RunTally {
  readonly totals = { written: 0, skipped: 0, missing: 0, invalid: 0, failed: 0, notAttempted: 0, staleWritten: 0, bytes: 0, retries: 0, rewritten: 0 };
  private readonly entries = new Map<string, EntryStats>();
  private readonly nodeKeys = new Map<string, number>();
  private readonly nodeBytes = new Map<string, number>();
  private readonly verify = { checked: 0, missing: 0, noTtl: 0, unverified: 0 };
  private readonly samples: SampleKey[] = [];

  constructor(entries: readonly { name: string; tier: number }[], nodes: readonly string[]) {
    for (const e of entries) this.entries.set(e.name, emptyEntryStats(e.tier));
    for (const n of nodes) {
      this.nodeKeys.set(n, 0);
      this.nodeBytes.set(n, 0);
    }
  }

  /** Keys settled so far, whatever the outcome. */
  get done(): number {
    const t = this.totals;
    return t.written + t.skipped + t.missing + t.invalid + t.failed + t.notAttempted;
  }

  written(entry: string, keys: number, stale: number, node: string, bytes: number): void {
    const stats = this.entry(entry);
    stats.written += keys - stale;
    stats.staleWritten += stale;
    stats.bytes += bytes;
    this.totals.written += keys - stale;
    this.totals.staleWritten += stale;
    this.totals.bytes += bytes;
    this.nodeKeys.set(node, (this.nodeKeys.get(node) ?? 0) + keys);
    this.nodeBytes.set(node, (this.nodeBytes.get(node) ?? 0) + bytes);
  }

  skipped(entry: string, keys: number): void {
    this.entry(entry).skipped += keys;
    this.totals.skipped += keys;
  }

  unwritten(entry: string, kind: FailureKind): void {
    this.entry(entry)[kind]++;
    this.totals[kind]++;
  }

  /** Keys counted written that their node lost afterwards: they move to failed. */
  lost(entry: string, keys: number): void {
    const stats = this.entry(entry);
    stats.written -= keys;
    stats.failed += keys;
    this.totals.written -= keys;
    this.totals.failed += keys;
  }

  /** Keys counted written that must be written again: counted again when they are. */
  retract(entry: string, keys: number, stale: number): void {
    const stats = this.entry(entry);
    stats.written -= keys;
    stats.staleWritten -= stale;
    this.totals.written -= keys;
    this.totals.staleWritten -= stale;
    this.totals.rewritten += keys;
  }

  retried(): void {
    this.totals.retries++;
  }

  verified(problem: VerifyProblem | undefined): void {
    this.verify.checked++;
    if (problem) this.verify[problem]++;
  }

  planned(sample: SampleKey): void {
    if (this.samples.length < 10) this.samples.push(sample);
  }

  summary(run: {
    durationMs: number;
    dryRun: boolean;
    verify: boolean;
    stopped?: { reason: StopReason; detail: string };
    unread?: WarmSummary['unread'];
    resumed?: WarmSummary['resumed'];
  }): WarmSummary {
    const t = this.totals;
    const { durationMs } = run;
    return {
      written: t.written,
      skipped: t.skipped,
      missing: t.missing,
      invalid: t.invalid,
      failed: t.failed,
      notAttempted: t.notAttempted,
      ...(run.unread && run.unread.length > 0 ? { unread: run.unread } : {}),
      staleWritten: t.staleWritten,
      bytes: t.bytes,
      durationMs,
      keysPerSecond: durationMs > 0 ? Math.round((t.written * 1000) / durationMs) : t.written,
      nodes: Object.fromEntries(this.nodeKeys),
      nodeBytes: Object.fromEntries(this.nodeBytes),
      entries: Object.fromEntries(this.entries),
      retries: t.retries,
      ...(t.rewritten > 0 ? { rewritten: t.rewritten } : {}),
      dryRun: run.dryRun,
      ...(run.stopped ? { stopped: run.stopped } : {}),
      ...(run.resumed ? { resumed: run.resumed } : {}),
      ...(run.verify && !run.dryRun ? { verify: { ...this.verify } } : {}),
      ...(run.dryRun ? { samples: this.samples } : {}),
    };
  }

  private entry(name: string): EntryStats {
    let stats = this.entries.get(name);
    if (!stats) this.entries.set(name, (stats = emptyEntryStats(0)));
    return stats;
  }
}

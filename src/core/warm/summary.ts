/** Counters of a warm, per run, per entry and per node, and the summary built from them. */
import type { StopReason } from './events.js';

export interface EntryStats {
  tier: number;
  written: number;
  skipped: number;
  missing: number;
  invalid: number;
  failed: number;
  notAttempted: number;
  staleWritten: number;
  bytes: number;
}

export interface SampleKey {
  key: string;
  node: string;
  ttlMs: number | null;
}

/** An entry a checkpoint resumed: from which line or row (and key), and where its input stopped matching. */
export interface ResumedEntry {
  from: number;
  unit: 'line' | 'row';
  afterKey?: string;
  /** The input differed from the checkpoint from this line on: nothing from there was skipped. */
  mismatchAt?: number;
  /** The checkpoint had the entry finished: it was not run again. */
  complete?: boolean;
}

export interface WarmSummary {
  written: number;
  skipped: number;
  missing: number;
  invalid: number;
  failed: number;
  /**
   * Keys read or listed that the run never fetched or wrote because it stopped early; with
   * written + skipped + missing + invalid + failed they add up to every key read or listed.
   */
  notAttempted: number;
  /**
   * Input an early stop left unread that cannot be listed key by key: the rows of a query entry
   * (`rowsLeft` when its --count is known), or the rest of stdin after a signal (rowsRead: lines).
   */
  unread?: {
    entry: string;
    source: 'query' | 'stdin';
    rowsRead: number;
    rowsLeft?: number;
    /** a named pipe or device given by path (else stdin) */ file?: string;
    /** The database error that ended the query's stream there (the run went on with other entries). */
    error?: string;
  }[];
  /** `<key>:stale` copies written (not counted in `written`). */
  staleWritten: number;
  /** Value bytes written (keys and stale copies). */
  bytes: number;
  durationMs: number;
  keysPerSecond: number;
  /** Node name -> keys written there (stale copies included). */
  nodes: Record<string, number>;
  /** Node name -> value bytes written there. */
  nodeBytes: Record<string, number>;
  entries: Record<string, EntryStats>;
  retries: number;
  /** Keys written again because their node restarted without them (run_id changed); counted once in `written`. */
  rewritten?: number;
  dryRun: boolean;
  /** Why the run stopped before the end, if it did. */
  stopped?: { reason: StopReason; detail: string };
  /** unverified: could not be read back (node unreachable through the retries): state unknown. */
  verify?: { checked: number; missing: number; noTtl: number; unverified: number };
  /** Entries resumed from a --checkpoint (others started at their beginning). */
  resumed?: Record<string, ResumedEntry>;
  /** The --checkpoint file the run resumed from. */
  checkpoint?: string;
  /** Output files that could not be written (--failed-keys): the run is not complete. */
  outputErrors?: string[];
  /** Dry run: a few keys with their node and TTL. */
  samples?: SampleKey[];
}

export function emptyEntryStats(tier: number): EntryStats {
  return { tier, written: 0, skipped: 0, missing: 0, invalid: 0, failed: 0, notAttempted: 0, staleWritten: 0, bytes: 0 };
}

/** Exit status of a finished warm: 0 all written, 1 anything not written or verified. */
export function summaryComplete(s: WarmSummary): boolean {
  const verifyOk = !s.verify || (s.verify.missing === 0 && s.verify.noTtl === 0 && s.verify.unverified === 0);
  return s.missing === 0 && s.invalid === 0 && s.failed === 0 && s.notAttempted === 0 && !s.stopped && !s.unread?.length && verifyOk && !s.outputErrors?.length;
}

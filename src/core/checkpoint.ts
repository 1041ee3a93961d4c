/**
 * What a checkpoint records, pure (the file side is adapters/files/checkpoint-file.ts).
 *
 * A unit of work counts as done only when every key in it reached a verdict a retry would not
 * change: written, skipped, missing row or invalid key. A batch with a key that *failed*
 * (Redis refused, node down) is not marked, so a resumed run retries it; rewriting the keys
 * that did succeed is harmless (SET is idempotent).
 *
 * - Key lists: the done set is line numbers of the key file, as merged ranges. Batches finish
 *   out of order and a resumed run skips exactly the lines recorded, whatever the batch size.
 * - Streaming queries: rows have no stable identity unless the query orders them. When the
 *   query ends with `ORDER BY key`, the checkpoint keeps how many rows from the start are done
 *   and a resumed run skips that many. Without that ORDER BY an unfinished query entry restarts
 *   from its first row on resume (a position in an unordered result would skip the wrong rows).
 * - Every entry can be marked complete; a resumed run skips complete entries entirely.
 *
 * The fingerprint binds a checkpoint to one run definition (warmlists, key files' size and
 * mtime, flags that change what is written, the shard). A checkpoint of another definition is
 * discarded with a warning rather than misapplied.
 */
import { createHash } from 'node:crypto';
import { LineRanges, type Range } from './line-ranges.js';

export const CHECKPOINT_VERSION = 1;

export interface KeyListProgress {
  kind: 'keys';
  tier?: number;
  /** Inclusive ranges of key-file line numbers whose keys are done. */
  done: Range[];
  complete?: boolean;
}

export interface QueryProgress {
  kind: 'query';
  tier?: number;
  /** Rows done from the start without a gap; recorded only for queries ordered by key. */
  rows: number;
  complete?: boolean;
}

export type EntryProgress = KeyListProgress | QueryProgress;

export interface CheckpointData {
  version: typeof CHECKPOINT_VERSION;
  fingerprint: string;
  createdAt: string;
  updatedAt: string;
  entries: Record<string, EntryProgress>;
}

/** Short stable hash of everything that defines a run. */
export function runFingerprint(parts: unknown): string {
  return createHash('sha256').update(stableStringify(parts)).digest('hex').slice(0, 16);
}

function stableStringify(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableStringify).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${stableStringify(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/** True when a query's result order is its key column, so a row position is a safe resume point. */
export function orderedByKey(sql: string, keyColumn = 'key'): boolean {
  const body = sql.replace(/--[^\n]*/g, ' ').trim().replace(/;\s*$/, '');
  const col = keyColumn.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`\\border\\s+by\\s+(?:\\w+\\.)?"?${col}"?(?:\\s+asc)?(?:\\s+collate\\s+\\S+)?\\s*$`, 'i').test(body);
}

/** Parsed checkpoint, or a reason it cannot be used. Never throws on bad content. */
export function parseCheckpoint(text: string): { data: CheckpointData } | { problem: string } {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return { problem: 'not valid JSON (a partial write from a tool other than cachectl?)' };
  }
  if (!raw || typeof raw !== 'object') return { problem: 'not a cachectl checkpoint' };
  const o = raw as Partial<CheckpointData>;
  if (o.version !== CHECKPOINT_VERSION) return { problem: `version ${String(o.version)} is not ${CHECKPOINT_VERSION}` };
  if (typeof o.fingerprint !== 'string' || !o.entries || typeof o.entries !== 'object') return { problem: 'not a cachectl checkpoint' };
  for (const [name, e] of Object.entries(o.entries)) {
    const ok =
      (e?.kind === 'keys' && Array.isArray(e.done) && e.done.every((r) => Array.isArray(r) && r.length === 2 && r.every(Number.isInteger))) ||
      (e?.kind === 'query' && Number.isInteger(e.rows) && e.rows >= 0);
    if (!ok) return { problem: `entry '${name}' is malformed` };
  }
  return { data: o as CheckpointData };
}

/** The live checkpoint of a run: what is done so far, what a resumed run skips. */
export class Checkpoint {
  private readonly keyLists = new Map<string, { tier?: number; done: LineRanges; complete: boolean }>();
  private readonly queries = new Map<string, { tier?: number; rows: number; complete: boolean }>();
  private changed = false;

  constructor(
    readonly fingerprint: string,
    readonly createdAt: string,
    previous?: CheckpointData,
  ) {
    for (const [id, e] of Object.entries(previous?.entries ?? {})) {
      if (e.kind === 'keys') this.keyLists.set(id, { tier: e.tier, done: LineRanges.from(e.done), complete: Boolean(e.complete) });
      else this.queries.set(id, { tier: e.tier, rows: e.rows, complete: Boolean(e.complete) });
    }
  }

  /** True when something changed since the last `takeChanges()`. */
  get dirty(): boolean {
    return this.changed;
  }

  takeChanges(): boolean {
    const was = this.changed;
    this.changed = false;
    return was;
  }

  isComplete(entry: string): boolean {
    return Boolean(this.keyLists.get(entry)?.complete || this.queries.get(entry)?.complete);
  }

  markComplete(entry: string): void {
    const e = this.keyLists.get(entry) ?? this.queries.get(entry);
    if (e && !e.complete) {
      e.complete = true;
      this.changed = true;
    } else if (!e) {
      this.keyLists.set(entry, { done: new LineRanges(), complete: true });
      this.changed = true;
    }
  }

  // ---- key lists -------------------------------------------------------------------------

  private keyList(entry: string, tier?: number) {
    let e = this.keyLists.get(entry);
    if (!e) {
      e = { tier, done: new LineRanges(), complete: false };
      this.keyLists.set(entry, e);
    }
    return e;
  }

  /** True when a resumed run must skip the key on this line of the entry's key file. */
  isLineDone(entry: string, line: number): boolean {
    const e = this.keyLists.get(entry);
    return Boolean(e && (e.complete || e.done.has(line)));
  }

  /**
   * Records a batch that spanned lines [fromLine, toLine] of the key file (blank and comment
   * lines in between included), except the lines of keys that failed.
   */
  markLines(entry: string, fromLine: number, toLine: number, failedLines: readonly number[] = [], tier?: number): void {
    const e = this.keyList(entry, tier);
    const failed = [...new Set(failedLines)].filter((l) => l >= fromLine && l <= toLine).sort((a, b) => a - b);
    let start = fromLine;
    for (const f of failed) {
      if (f > start) e.done.add(start, f - 1);
      start = f + 1;
    }
    if (start <= toLine) e.done.add(start, toLine);
    this.changed = true;
  }

  /** The last line L such that every line 1..L is done (0 when line 1 is not): where a prefix-only reader resumes. */
  keyPrefixDone(entry: string): number {
    const first = this.keyLists.get(entry)?.done.toJSON()[0];
    return first && first[0] <= 1 ? first[1] : 0;
  }

  linesDone(entry: string): number {
    return this.keyLists.get(entry)?.done.size() ?? 0;
  }

  // ---- streaming queries -----------------------------------------------------------------

  /** Rows a resumed run skips: those done from the start, and only for a query ordered by key. */
  rowsDone(entry: string, sql: string): number {
    return orderedByKey(sql) ? (this.queries.get(entry)?.rows ?? 0) : 0;
  }

  /**
   * Every row up to `rows` is done (written, or listed as missing/invalid). Recorded only for
   * queries ordered by key; for others only completion is kept.
   */
  markRows(entry: string, sql: string, rows: number, tier?: number): void {
    let e = this.queries.get(entry);
    if (!e) {
      e = { tier, rows: 0, complete: false };
      this.queries.set(entry, e);
    }
    if (orderedByKey(sql) && rows > e.rows) {
      e.rows = rows;
      this.changed = true;
    }
  }

  toData(now: string): CheckpointData {
    const entries: Record<string, EntryProgress> = {};
    for (const [id, e] of this.keyLists) entries[id] = { kind: 'keys', ...(e.tier !== undefined ? { tier: e.tier } : {}), done: e.done.toJSON(), ...(e.complete ? { complete: true } : {}) };
    for (const [id, e] of this.queries) {
      entries[id] = { kind: 'query', ...(e.tier !== undefined ? { tier: e.tier } : {}), rows: e.rows, ...(e.complete ? { complete: true } : {}) };
    }
    return { version: CHECKPOINT_VERSION, fingerprint: this.fingerprint, createdAt: this.createdAt, updatedAt: now, entries };
  }
}

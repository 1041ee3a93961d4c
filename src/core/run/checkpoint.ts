/**
 * What a checkpoint records, pure (the file side is adapters/files/checkpoint-file.ts).
 *
 * A unit of work counts as done only when every key in it reached a verdict a retry would not
 * change: written, skipped, missing row or invalid key. A batch with a key that *failed*
 * (Redis refused, node down) is not marked, so a resumed run retries it; rewriting the keys
 * that did succeed is harmless (SET is idempotent).
 *
 * - Key lists: the done set is line numbers of the key file, as merged ranges, and a fingerprint
 *   of the lines before the resume position (prefix-hash.ts): a resumed run skips those lines only
 *   where they match it, so a checkpoint of one stdin (or of an edited file) is never applied to
 *   another input.
 * - Streaming queries: rows have no stable identity unless the query orders them. When the
 *   query ends with `ORDER BY key`, the checkpoint keeps the last key done and a resumed run
 *   reads from that key on (`key >= $1`, bound): a row inserted meanwhile before the position is
 *   not covered, but one at or after it is, and no row is skipped by counting. Without that
 *   ORDER BY an unfinished query entry restarts from its first row on resume.
 * - Every entry can be marked complete; a resumed run skips complete entries entirely.
 *
 * The fingerprint binds a checkpoint to one run definition (warmlists, key files' size and
 * mtime, flags that change what is written, the shard). A checkpoint of another definition is
 * discarded with a warning rather than misapplied. Every checkpoint carries a magic field: a file
 * without it was not written by cachectl, and is never overwritten or deleted.
 */
import { createHash } from 'node:crypto';
import { LineRanges, type Range } from './line-ranges.js';
import { isPrefixProof, type PrefixMark, type PrefixProof } from '../prefix-hash.js';

export const CHECKPOINT_VERSION = 2;
/** The magic field: `"cachectl": "warm-checkpoint"`. */
export const CHECKPOINT_MAGIC = 'warm-checkpoint';

export interface KeyListProgress {
  kind: 'keys';
  tier?: number;
  /** Inclusive ranges of key-file line numbers whose keys are done. */
  done: Range[];
  /** Fingerprint of lines 1..prefix.lines, where a resumed run starts. */
  prefix?: PrefixProof;
  complete?: boolean;
}

export interface QueryProgress {
  kind: 'query';
  tier?: number;
  /** Rows done from the start without a gap; recorded only for queries ordered by key. */
  rows: number;
  /** Key of the last of those rows: where a resumed run starts. */
  lastKey?: string;
  /** How many of those rows have a key before lastKey: a resumed run checks the count is unchanged. */
  rowsBefore?: number;
  complete?: boolean;
}

export type EntryProgress = KeyListProgress | QueryProgress;

export interface CheckpointData {
  cachectl: typeof CHECKPOINT_MAGIC;
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
  const body = sql
    .replace(/--[^\n]*/g, ' ')
    .trim()
    .replace(/;\s*$/, '');
  const col = keyColumn.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`\\border\\s+by\\s+(?:\\w+\\.)?"?${col}"?(?:\\s+asc)?(?:\\s+collate\\s+\\S+)?\\s*$`, 'i').test(body);
}

/**
 * Parsed checkpoint, or a reason it cannot be used. `ours` tells whether the file is a cachectl
 * checkpoint at all (the magic field, or the shape of one from before it had that field): only then
 * may it be replaced. Never throws on bad content.
 */
export function parseCheckpoint(text: string): { data: CheckpointData } | { problem: string; ours: boolean } {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return { problem: 'not valid JSON', ours: false };
  }
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) return { problem: 'not a cachectl checkpoint', ours: false };
  const o = raw as Omit<Partial<CheckpointData>, 'version' | 'cachectl'> & { cachectl?: unknown; version?: unknown };
  const legacy =
    o.cachectl === undefined &&
    o.version === 1 &&
    typeof o.fingerprint === 'string' &&
    typeof o.createdAt === 'string' &&
    !!o.entries &&
    typeof o.entries === 'object';
  if (o.cachectl !== CHECKPOINT_MAGIC)
    return legacy ? { problem: 'written by an older cachectl', ours: true } : { problem: 'not a cachectl checkpoint', ours: false };
  if (o.version !== CHECKPOINT_VERSION) return { problem: `version ${String(o.version)} is not ${CHECKPOINT_VERSION}`, ours: true };
  if (typeof o.fingerprint !== 'string' || !o.entries || typeof o.entries !== 'object') return { problem: 'damaged (no fingerprint or entries)', ours: true };
  for (const [name, e] of Object.entries(o.entries)) {
    const ok =
      (e?.kind === 'keys' &&
        Array.isArray(e.done) &&
        e.done.every((r) => Array.isArray(r) && r.length === 2 && r.every(Number.isInteger)) &&
        (e.prefix === undefined || isPrefixProof(e.prefix))) ||
      (e?.kind === 'query' &&
        Number.isInteger(e.rows) &&
        e.rows >= 0 &&
        (e.lastKey === undefined || (typeof e.lastKey === 'string' && Number.isInteger(e.rowsBefore))));
    if (!ok) return { problem: `entry '${name}' is malformed`, ours: true };
  }
  return { data: o as CheckpointData };
}

/** The live checkpoint of a run: what is done so far, what a resumed run skips. */
export class Checkpoint {
  private readonly keyLists = new Map<string, { tier?: number; done: LineRanges; prefix?: PrefixProof | PrefixMark; complete: boolean }>();
  private readonly queries = new Map<string, { tier?: number; rows: number; lastKey?: string; rowsBefore?: number; complete: boolean }>();
  private changed = false;

  constructor(
    readonly fingerprint: string,
    readonly createdAt: string,
    previous?: CheckpointData,
  ) {
    for (const [id, e] of Object.entries(previous?.entries ?? {})) {
      if (e.kind === 'keys')
        this.keyLists.set(id, { tier: e.tier, done: LineRanges.from(e.done), ...(e.prefix ? { prefix: e.prefix } : {}), complete: Boolean(e.complete) });
      else
        this.queries.set(id, {
          tier: e.tier,
          rows: e.rows,
          ...(e.lastKey !== undefined ? { lastKey: e.lastKey, rowsBefore: e.rowsBefore ?? 0 } : {}),
          complete: Boolean(e.complete),
        });
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

  /** True when the checkpoint holds anything for this entry. */
  knows(entry: string): boolean {
    return this.keyLists.has(entry) || this.queries.has(entry);
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

  /** Records the fingerprint of lines 1..mark.lines (taken as they were read). */
  markPrefix(entry: string, mark: PrefixMark, tier?: number): void {
    this.keyList(entry, tier).prefix = mark;
    this.changed = true;
  }

  /** The fingerprint of the lines before the resume position, when it covers exactly that position. */
  prefixProof(entry: string): PrefixProof | undefined {
    const p = this.keyLists.get(entry)?.prefix;
    const proof = p && 'proof' in p ? p.proof() : p;
    return proof && proof.lines === this.keyPrefixDone(entry) ? proof : undefined;
  }

  /** Forgets an entry's progress: its input is not the one the checkpoint saw. */
  resetEntry(entry: string): void {
    const e = this.keyLists.get(entry);
    if (e) this.keyLists.set(entry, { ...(e.tier !== undefined ? { tier: e.tier } : {}), done: new LineRanges(), complete: false });
    const q = this.queries.get(entry);
    if (q) this.queries.set(entry, { ...(q.tier !== undefined ? { tier: q.tier } : {}), rows: 0, complete: false });
    this.changed = true;
  }

  linesDone(entry: string): number {
    return this.keyLists.get(entry)?.done.size() ?? 0;
  }

  // ---- streaming queries -----------------------------------------------------------------

  /** Rows done from the start, and only for a query ordered by key. */
  rowsDone(entry: string, sql: string): number {
    return orderedByKey(sql) ? (this.queries.get(entry)?.rows ?? 0) : 0;
  }

  /** The key a resumed query ordered by key starts at (and the rows before it); undefined: from its first row. */
  lastKey(entry: string, sql: string): { key: string; rowsBefore: number } | undefined {
    const e = this.queries.get(entry);
    return orderedByKey(sql) && e?.lastKey !== undefined ? { key: e.lastKey, rowsBefore: e.rowsBefore ?? 0 } : undefined;
  }

  /**
   * Every row up to `rows` is done (written, or listed as missing/invalid). Recorded only for
   * queries ordered by key; for others only completion is kept.
   */
  markRows(entry: string, sql: string, rows: number, tier?: number, last?: { key: string; rowsBefore: number }): void {
    let e = this.queries.get(entry);
    if (!e) {
      e = { tier, rows: 0, complete: false };
      this.queries.set(entry, e);
    }
    if (orderedByKey(sql) && rows > e.rows) {
      e.rows = rows;
      if (last) {
        e.lastKey = last.key;
        e.rowsBefore = last.rowsBefore;
      }
      this.changed = true;
    }
  }

  toData(now: string): CheckpointData {
    const entries: Record<string, EntryProgress> = {};
    for (const [id, e] of this.keyLists) {
      const prefix = e.prefix && 'proof' in e.prefix ? e.prefix.proof() : e.prefix;
      entries[id] = {
        kind: 'keys',
        ...(e.tier !== undefined ? { tier: e.tier } : {}),
        done: e.done.toJSON(),
        ...(prefix ? { prefix } : {}),
        ...(e.complete ? { complete: true } : {}),
      };
    }
    for (const [id, e] of this.queries) {
      entries[id] = {
        kind: 'query',
        ...(e.tier !== undefined ? { tier: e.tier } : {}),
        rows: e.rows,
        ...(e.lastKey !== undefined ? { lastKey: e.lastKey, rowsBefore: e.rowsBefore ?? 0 } : {}),
        ...(e.complete ? { complete: true } : {}),
      };
    }
    return { cachectl: CHECKPOINT_MAGIC, version: CHECKPOINT_VERSION, fingerprint: this.fingerprint, createdAt: this.createdAt, updatedAt: now, entries };
  }
}

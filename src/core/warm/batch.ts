/**
 * Turns fetched rows into write batches: rows matched back to their keys, values extracted
 * and size-checked, TTLs jittered, stale copies added. Pure; columnar arrays, no per-key objects.
 */
import { renderKey, type KeyPattern } from '../../sources/pattern.js';
import { jitteredTtl } from './ttl.js';
import { valueBytes } from './validate.js';
import { valueOf, type RowShape } from './values.js';
import type { Ticket, WriteBatch } from './ports.js';
import type { WarmEntry } from './types.js';

export function newWriteBatch(entry: WarmEntry): WriteBatch {
  return {
    keys: [],
    values: [],
    ttls: [],
    stale: [],
    tickets: [],
    format: entry.format,
    onlyMissing: entry.onlyMissing,
    ...(entry.refreshBelowMs !== undefined ? { refreshBelowMs: [] } : {}),
  };
}

/** Adds a key (and its stale copy when the entry asks for one) to the batch. */
export function pushWrite(
  batch: WriteBatch,
  entry: WarmEntry,
  ticket: Ticket,
  key: string,
  value: string | string[],
  staleSuffix: string,
  random: () => number,
): void {
  const ttl = entry.ttlMs === null ? -1 : jitteredTtl(entry.ttlMs, entry.jitter, random);
  batch.keys.push(key);
  batch.values.push(value);
  batch.ttls.push(ttl);
  batch.stale.push(false);
  batch.tickets.push(ticket);
  batch.refreshBelowMs?.push(entry.refreshBelowMs as number);
  ticket.remaining++;
  if (entry.staleMs !== undefined) {
    batch.keys.push(key + staleSuffix);
    batch.values.push(value);
    batch.ttls.push(ttl < 0 ? -1 : ttl + entry.staleMs);
    batch.stale.push(true);
    batch.tickets.push(ticket);
    batch.refreshBelowMs?.push((entry.refreshBelowMs as number) + entry.staleMs);
    ticket.remaining++;
  }
}

/**
 * For a key-list batch: the value of each accepted key (index-aligned), undefined when no row
 * came back for it. The first row wins when a query returns several for one key.
 */
export function matchRows(
  pattern: KeyPattern,
  keys: readonly string[],
  rows: readonly unknown[][],
  shape: RowShape,
  format: 'string' | 'hash',
): (string | string[] | undefined)[] {
  const paramIndex = pattern.params.map((p) => shape.names.indexOf(p));
  const byKey = new Map<string, number>();
  for (let i = 0; i < keys.length; i++) byKey.set(keys[i] as string, i);
  const values = new Array<string | string[] | undefined>(keys.length);
  const parts: unknown[] = new Array(paramIndex.length);
  for (const row of rows) {
    for (let p = 0; p < paramIndex.length; p++) parts[p] = row[paramIndex[p] as number];
    const index = byKey.get(renderKey(pattern, parts));
    if (index !== undefined && values[index] === undefined) values[index] = valueOf(row, shape, format);
  }
  return values;
}

/** Why a value cannot be written, or undefined. */
export function valueProblem(value: string | string[], maxValueBytes: number): string | undefined {
  if (typeof value !== 'string' && value.length === 0) return 'row has no non-NULL column to write as a hash';
  // Cheap bound first: UTF-8 needs at most 3 bytes per UTF-16 unit.
  const units = typeof value === 'string' ? value.length : value.reduce((n, part) => n + part.length, 0);
  if (units * 3 <= maxValueBytes) return undefined;
  const bytes = valueBytes(value);
  if (bytes > maxValueBytes) return `value is ${bytes} bytes, over the ${maxValueBytes}-byte limit (--max-value-bytes)`;
  return undefined;
}

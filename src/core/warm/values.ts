/**
 * What gets written for a row. Documented in the README ("What is written"):
 * - string format: the text of the `value` column when the row has one, else the row as a
 *   JSON object of all its columns (for query entries, all columns but `key`);
 * - hash format: one hash field per column (but `key`), the column's text; NULL columns are omitted.
 */
import type { ValueFormat } from './types.js';

export interface RowShape {
  /** Column names in result order. */
  names: readonly string[];
  /** Index of the `value` column, or -1. */
  valueIndex: number;
  /** Index of the `key` column, or -1 (key lists: the key comes from the pattern). */
  keyIndex: number;
}

export function rowShape(names: readonly string[]): RowShape {
  return { names, valueIndex: names.indexOf('value'), keyIndex: names.indexOf('key') };
}

/** A column name a result has twice, if any. */
export function duplicateColumn(names: readonly string[]): string | undefined {
  const seen = new Set<string>();
  for (const name of names) {
    if (seen.has(name)) return name;
    seen.add(name);
  }
  return undefined;
}

/** The value for a row given as an array in column order (pg rowMode 'array'). */
export function valueOf(row: readonly unknown[], shape: RowShape, format: ValueFormat): string | string[] {
  if (format === 'hash') {
    const flat: string[] = [];
    for (let i = 0; i < row.length; i++) {
      if (i === shape.keyIndex) continue;
      const cell = row[i];
      if (cell === null || cell === undefined) continue;
      flat.push(shape.names[i] as string, cellText(cell));
    }
    return flat;
  }
  if (shape.valueIndex >= 0) {
    const v = row[shape.valueIndex];
    return typeof v === 'string' ? v : v === null || v === undefined ? '' : cellText(v);
  }
  const obj: Record<string, unknown> = {};
  for (let i = 0; i < row.length; i++) if (i !== shape.keyIndex) obj[shape.names[i] as string] = row[i];
  return JSON.stringify(obj);
}

function cellText(cell: unknown): string {
  if (typeof cell === 'string') return cell;
  if (cell instanceof Date) return cell.toISOString();
  if (Buffer.isBuffer(cell)) return cell.toString('base64');
  if (typeof cell === 'object') return JSON.stringify(cell);
  return String(cell);
}

/**
 * Checks every entry's SQL against the database before anything is written: the query must
 * parse, and return the columns the warm needs (a column per pattern parameter for fetches,
 * `key` for queries). Fetches run once with empty arrays, queries wrapped in LIMIT 0.
 */
import type pg from 'pg';
import { ConnectionError, InputError } from '../../errors.js';
import type { WarmEntry } from '../../core/warm/types.js';
import { classifyPgError, pgMessage } from './pg-errors.js';
import { stripSemicolon } from './warm-source.js';
import { duplicateColumn } from '../../core/warm/values.js';

export async function checkEntrySql(pool: pg.Pool, entry: WarmEntry): Promise<void> {
  const { source } = entry;
  const where = (field: string) => ({ ...entry.origin, field: entry.origin.file ? `${entry.name}: ${field}` : `--${field}` });
  if (source.kind === 'keys') {
    const n = source.pattern.params.length;
    for (let i = 1; i <= n; i++) {
      if (!new RegExp(`\\$${i}(?!\\d)`).test(source.fetch)) {
        throw new InputError(
          `the fetch query does not use $${i} (the array of {${source.pattern.params[i - 1]}} values); write e.g. WHERE ${source.pattern.params[i - 1]} = ANY($${i}::bigint[])`,
          where('fetch'),
        );
      }
    }
    if (new RegExp(`\\$${n + 1}(?!\\d)`).test(source.fetch)) {
      throw new InputError(`the fetch query uses $${n + 1} but the pattern ${source.pattern.source} has only ${n} parameter(s)`, where('fetch'));
    }
    const fields = await describe(
      pool,
      source.fetch,
      source.pattern.params.map(() => []),
      where('fetch'),
    );
    for (const param of source.pattern.params) {
      if (!fields.includes(param)) {
        throw new InputError(
          `the fetch query must return a column named '${param}' (the pattern's {${param}}) so rows can be matched to keys; it returns ${fields.join(', ') || 'no columns'}`,
          where('fetch'),
        );
      }
    }
  } else {
    const fields = await describe(pool, `SELECT * FROM (${stripSemicolon(source.sql)}) AS cachectl_check LIMIT 0`, [], where('query'));
    if (!fields.includes('key')) {
      throw new InputError(
        `the query must return a column named 'key' (e.g. SELECT 'category:' || slug AS key, row_to_json(c)::text AS value ...); it returns ${fields.join(', ') || 'no columns'}`,
        where('query'),
      );
    }
    if (entry.format === 'string' && !fields.includes('value') && fields.length < 2) {
      throw new InputError(`the query returns only 'key'; add a 'value' column (or other columns to write as JSON)`, where('query'));
    }
  }
}

async function describe(pool: pg.Pool, sql: string, values: unknown[], location: { file?: string; line?: number; field?: string }): Promise<string[]> {
  let fields: string[];
  try {
    const result = await pool.query({ text: sql, values, rowMode: 'array' });
    fields = result.fields.map((f) => f.name);
  } catch (error) {
    if (classifyPgError(error) === 'transient') throw new ConnectionError(`PostgreSQL: ${pgMessage(error)}`, { cause: error });
    throw new InputError(`the database rejected the SQL: ${pgMessage(error)}`, location);
  }
  // Two columns of one name would be written as one (the first `value`, or the last JSON field).
  const twice = duplicateColumn(fields);
  if (twice !== undefined) throw new InputError(`the query returns two columns named '${twice}'; give each its own name (... AS other_name)`, location);
  return fields;
}

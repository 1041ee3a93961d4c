/**
 * Rewrites a streaming key/value query so PostgreSQL returns only one shard's rows: a worker of
 * `--shard 2/8` reads its eighth of the rows instead of every worker streaming them all.
 *
 *   SELECT * FROM (<query>) AS cachectl_q
 *   WHERE <md5 shard of key> = <index>
 *   ORDER BY cachectl_q.key            -- when the query was ordered by key: a subquery's
 *                                         order is not guaranteed to survive the wrapper
 *
 * The query runs as-is through a cursor (no parameter slots), so the shard's two integers are
 * written into the SQL; they are validated integers, never input text. Keys are never spliced.
 */
import { orderedByKey } from './checkpoint.js';
import { shardSqlExpression, type ShardSpec } from './shard.js';

export function shardQuery(sql: string, shard: ShardSpec, keyColumn = 'key'): string {
  if (shard.count <= 1) return sql;
  if (!Number.isSafeInteger(shard.index) || !Number.isSafeInteger(shard.count)) throw new Error('shard index and count must be integers');
  const inner = sql.trim().replace(/;\s*$/, '');
  const key = `cachectl_q."${keyColumn.replace(/"/g, '""')}"`;
  const order = orderedByKey(inner, keyColumn) ? ` ORDER BY ${key}` : '';
  return `SELECT * FROM (${inner}) AS cachectl_q WHERE ${shardSqlExpression(`${key}::text`, shard.count)} = ${shard.index}${order}`;
}

/**
 * A query ordered by key, resumed at a key (resuming at a row count would skip rows inserted
 * before the position meanwhile). The key is the bound parameter $1, never spliced; `>=` rewrites the rows of the last
 * key done (harmless: the same key and value again) so duplicates of it are not lost, and NULL keys
 * (sorted last, reported as invalid) are still read. The ORDER BY's collation, if any, is kept for
 * both the comparison and the order, so they agree with the order the checkpoint was taken in.
 */
export function resumeQuery(sql: string, keyColumn = 'key'): string {
  const { inner, key, c } = resumeParts(sql, keyColumn);
  return `SELECT * FROM (${inner}) AS cachectl_r WHERE ${key}${c} >= $1${c} OR ${key} IS NULL ORDER BY ${key}${c}`;
}

/** Counts the rows of a query ordered by key whose key sorts before $1 (bound), in the query's collation. */
export function countBeforeQuery(sql: string, keyColumn = 'key'): string {
  const { inner, key, c } = resumeParts(sql, keyColumn);
  return `SELECT count(*)::text AS n FROM (${inner}) AS cachectl_r WHERE ${key}${c} < $1${c}`;
}

function resumeParts(sql: string, keyColumn: string): { inner: string; key: string; c: string } {
  const inner = sql.trim().replace(/;\s*$/, '');
  const collate = /\bcollate\s+("[^"]+"|\S+)\s*$/i.exec(inner.replace(/--[^\n]*/g, ' ').trim())?.[1];
  const key = `cachectl_r."${keyColumn.replace(/"/g, '""')}"`;
  return { inner, key, c: collate ? ` COLLATE ${collate}` : '' };
}

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

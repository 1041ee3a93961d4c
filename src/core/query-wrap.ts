/**
 * Rewrites a streaming key/value query for a shard and/or a resume point, on the server:
 * a worker of `--shard 2/8` reads its eighth of the rows, and a resumed run reads only rows
 * after its checkpoint's watermark. Values are bound parameters, never spliced.
 *
 *   SELECT * FROM (<query>) AS cachectl_q
 *   WHERE <md5 shard of key> = $n AND cachectl_q.key > $m
 *   ORDER BY cachectl_q.key             -- when the query was ordered by key: a subquery's
 *                                          order is not guaranteed to survive the wrapper
 */
import { orderedByKey } from './checkpoint.js';
import { shardSqlExpression, type ShardSpec } from './shard.js';

export interface QueryForRun {
  sql: string;
  /** Values for `$firstParam`, `$firstParam+1`, ... in order. */
  params: (string | number)[];
}

export function queryForRun(
  sql: string,
  options: { shard?: ShardSpec; afterKey?: string; firstParam?: number; keyColumn?: string },
): QueryForRun {
  const shard = options.shard && options.shard.count > 1 ? options.shard : undefined;
  if (!shard && options.afterKey === undefined) return { sql, params: [] };
  const inner = sql.trim().replace(/;\s*$/, '');
  const key = `cachectl_q."${(options.keyColumn ?? 'key').replace(/"/g, '""')}"`;
  const where: string[] = [];
  const params: (string | number)[] = [];
  let n = options.firstParam ?? 1;
  if (shard) {
    where.push(`${shardSqlExpression(`${key}::text`, shard.count)} = $${n++}`);
    params.push(shard.index);
  }
  if (options.afterKey !== undefined) {
    where.push(`${key} > $${n++}`);
    params.push(options.afterKey);
  }
  const order = options.afterKey !== undefined || orderedByKey(inner, options.keyColumn) ? ` ORDER BY ${key}` : '';
  return { sql: `SELECT * FROM (${inner}) AS cachectl_q WHERE ${where.join(' AND ')}${order}`, params };
}

/**
 * The shard filter with its two integers written into the SQL, for a query run as-is through a
 * cursor (no parameter slots). Only validated integers are inlined; keys never are.
 */
export function shardQueryInline(sql: string, shard: ShardSpec, keyColumn = 'key'): string {
  if (shard.count <= 1) return sql;
  if (!Number.isSafeInteger(shard.index) || !Number.isSafeInteger(shard.count)) throw new Error('shard index and count must be integers');
  const inner = sql.trim().replace(/;\s*$/, '');
  const key = `cachectl_q."${keyColumn.replace(/"/g, '""')}"`;
  const order = orderedByKey(inner, keyColumn) ? ` ORDER BY ${key}` : '';
  return `SELECT * FROM (${inner}) AS cachectl_q WHERE ${shardSqlExpression(`${key}::text`, shard.count)} = ${shard.index}${order}`;
}

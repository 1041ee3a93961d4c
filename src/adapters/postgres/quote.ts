/**
 * Quoting for the few SQL names and literals that cannot be bound parameters (DDL: a database,
 * sequence or table name; COMMENT ON). Keys and values are never spliced: they are always bound.
 */
export function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

export function quoteLiteral(text: string): string {
  return `'${text.replace(/'/g, "''")}'`;
}

/**
 * A text[] value in PostgreSQL's array input syntax, `{"a","b\"c"}`, for a bound parameter: what
 * node-postgres builds from a JS array (every element quoted, `\` and `"` escaped), without its
 * per-element replace() calls. The server parses it as data; it is never part of the SQL text.
 */
export function arrayLiteral(elements: readonly string[]): string {
  if (elements.length === 0) return '{}';
  // Keys rarely hold a quote or a backslash: then one join, no string per element.
  if (!elements.some((e) => e.includes('\\') || e.includes('"'))) return `{"${elements.join('","')}"}`;
  return `{${elements.map((e) => `"${e.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`).join(',')}}`;
}

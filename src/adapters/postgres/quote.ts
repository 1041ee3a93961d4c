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

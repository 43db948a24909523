/** Quoting for generated DDL, and the statement type every generator returns. Pure. */

/** One generated statement; `review` says why it loses data (it is then marked for review). */
export interface Statement {
  sql: string;
  review?: string;
}

// Words that must be quoted as names (PostgreSQL's reserved key words, and those reserved in
// names of types or functions that a column or table name can run into).
const RESERVED = new Set(
  `all analyse analyze and any array as asc asymmetric authorization binary both case cast check collate collation column
  concurrently constraint create cross current_catalog current_date current_role current_schema current_time
  current_timestamp current_user default deferrable desc distinct do else end except false fetch for foreign freeze from
  full grant group having ilike in initially inner intersect into is isnull join lateral leading left like limit localtime
  localtimestamp natural not notnull null offset on only or order outer overlaps placing primary references returning right
  select session_user similar some symmetric system_user table tablesample then to trailing true union unique user using
  variadic verbose when where window with`.split(/\s+/),
);

/** A name as SQL: bare when it is a plain lower-case word, else double-quoted. */
export function quoteIdent(name: string): string {
  return /^[a-z_][a-z0-9_$]*$/.test(name) && !RESERVED.has(name) ? name : `"${name.replace(/"/g, '""')}"`;
}

/** `schema.name`, each part quoted where needed. */
export function qualifiedName(o: { schema: string; name: string }): string {
  return `${quoteIdent(o.schema)}.${quoteIdent(o.name)}`;
}

/** A string literal; null becomes NULL. */
export function literal(s: string | null): string {
  return s === null ? 'NULL' : `'${s.replace(/'/g, "''")}'`;
}

/** True when `sql` (catalog-printed, names qualified) mentions the relation `o`. */
export function mentions(sql: string, o: { schema: string; name: string }): boolean {
  const name = qualifiedName(o).replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`(^|[^A-Za-z0-9_$".])${name}($|[^A-Za-z0-9_$"])`).test(sql);
}

/** DDL for a changed type: values added to an enum, or the type rebuilt around its columns. Pure. */
import type { Table, TypeDef } from '../core/snapshot-diff.js';
import { createType, enumLabels } from './objects.js';
import { qualifiedName, quoteIdent, type Statement } from './sql-text.js';

const keyOf = (o: { schema: string; name: string }) => `${o.schema}.${o.name}`;

/** ADD VALUE statements when `b`'s labels are `a`'s with some added, order kept; null otherwise. */
export function enumAdditions(a: TypeDef, b: TypeDef): Statement[] | null {
  const was = enumLabels(a.definition);
  const now = enumLabels(b.definition);
  if (now.filter((l) => was.includes(l)).join('\u0000') !== was.join('\u0000')) return null;
  const out: Statement[] = [];
  now.forEach((l, i) => {
    if (was.includes(l)) return;
    // Statements run in order, so the label before this one exists by the time it is added.
    const where = i > 0 ? ` AFTER ${lit(now[i - 1])}` : was.length ? ` BEFORE ${lit(was[0])}` : '';
    out.push({ sql: `ALTER TYPE ${qualifiedName(b)} ADD VALUE ${lit(l)}${where}` });
  });
  return out;
}
const lit = (s: string) => `'${s.replace(/'/g, "''")}'`;

/**
 * A type changed in a way ALTER cannot express (an enum losing or reordering values, a
 * composite, domain or range changed): the old one is renamed aside, the new one made, every
 * column of the type converted through text, and the old one dropped. Marked for review.
 */
export function remakeType(a: TypeDef, b: TypeDef, tablesA: Table[], tablesB: Table[]): Statement[] {
  const name = qualifiedName(b);
  const aside = `${quoteIdent(b.name + '__fmig_old')}`;
  const out: Statement[] = [
    { sql: `ALTER ${a.kind === 'domain' ? 'DOMAIN' : 'TYPE'} ${qualifiedName(a)} RENAME TO ${aside}`, review: `rebuilds ${a.kind} ${name}: values that no longer fit make this migration fail` },
    { sql: createType(b) },
  ];
  for (const t of tablesB) {
    const old = tablesA.find((x) => keyOf(x) === keyOf(t));
    for (const c of t.columns) {
      if (c.type !== name && c.type !== `${name}[]`) continue;
      if (!old?.columns.some((x) => x.name === c.name)) continue;
      const col = `ALTER TABLE ${qualifiedName(t)} ALTER COLUMN ${quoteIdent(c.name)}`;
      if (c.default !== null) out.push({ sql: `${col} DROP DEFAULT` });
      out.push({ sql: `${col} TYPE ${c.type} USING ${quoteIdent(c.name)}::text::${c.type}` });
      if (c.default !== null) out.push({ sql: `${col} SET DEFAULT ${c.default}` });
    }
  }
  out.push({ sql: `DROP ${a.kind === 'domain' ? 'DOMAIN' : 'TYPE'} ${quoteIdent(b.schema)}.${aside}` });
  return out;
}

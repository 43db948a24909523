/** DDL for a table's columns: their definitions, and the ALTERs that turn one column into another. Pure. */
import type { Column } from '../core/snapshot-diff.js';
import { quoteIdent, type Statement } from './sql-text.js';

/** A column as it stands in CREATE TABLE or ADD COLUMN. */
export function columnDefinition(c: Column): string {
  const parts = [quoteIdent(c.name), c.type];
  if (c.collation) parts.push(`COLLATE ${c.collation}`);
  if (c.generated) parts.push(`GENERATED ALWAYS AS ${c.generated.replace(/ (stored|virtual)$/, (_, k: string) => ` ${k.toUpperCase()}`)}`);
  else if (c.default !== null) parts.push(`DEFAULT ${c.default}`);
  if (c.identity) parts.push(`GENERATED ${c.identity.toUpperCase()} AS IDENTITY`);
  if (c.notNull) parts.push('NOT NULL');
  return parts.join(' ');
}

const INTEGERS = ['smallint', 'integer', 'bigint'];

/** True when every value of type `from` fits `to` unchanged (a widening the catalog prints). */
export function isWidening(from: string, to: string): boolean {
  if (from === to) return true;
  const i = INTEGERS.indexOf(from);
  const j = INTEGERS.indexOf(to);
  if (i >= 0 && j >= 0) return j >= i;
  if (i >= 0 && to === 'numeric') return true;
  if (from === 'real' && to === 'double precision') return true;
  const text = /^(character varying|character)(?:\((\d+)\))?$/;
  const f = text.exec(from);
  if (f && (to === 'text' || to === 'character varying')) return f[1] === 'character varying' || to === 'text';
  const t = text.exec(to);
  if (f && t && f[1] === t[1]) return t[2] === undefined || (f[2] !== undefined && Number(t[2]) >= Number(f[2]));
  const num = /^numeric(?:\((\d+),(\d+)\))?$/;
  const nf = num.exec(from);
  const nt = num.exec(to);
  if (nf && nt) return nt[1] === undefined || (nf[1] !== undefined && nf[2] === nt[2] && Number(nt[1]) >= Number(nf[1]));
  return false;
}

/**
 * The statements that turn column `a` of `table` into `b` (same name). A type change that may
 * not keep every value, and a generated column rebuilt, are marked for review.
 */
export function alterColumn(table: string, a: Column, b: Column): Statement[] {
  const alter = (what: string) => `ALTER TABLE ${table} ALTER COLUMN ${quoteIdent(b.name)} ${what}`;
  const out: Statement[] = [];
  if ((a.generated ?? '') !== (b.generated ?? '')) {
    if (a.generated && !b.generated && b.default === null && a.type === b.type && !b.identity) {
      out.push({ sql: alter('DROP EXPRESSION') });
      if (a.notNull !== b.notNull) out.push({ sql: alter(b.notNull ? 'SET NOT NULL' : 'DROP NOT NULL') });
      return out;
    }
    return [
      { sql: `ALTER TABLE ${table} DROP COLUMN ${quoteIdent(a.name)}`, review: `rebuilds column ${table}.${quoteIdent(a.name)} (its generation changed): its values are dropped and recomputed or lost` },
      { sql: `ALTER TABLE ${table} ADD COLUMN ${columnDefinition(b)}` },
    ];
  }
  const typeChanged = a.type !== b.type || (a.collation ?? '') !== (b.collation ?? '');
  const defaultChanged = a.default !== b.default;
  if (a.identity && a.identity !== b.identity && !b.identity) out.push({ sql: alter('DROP IDENTITY') });
  if (a.default !== null && !a.generated && (defaultChanged || typeChanged)) out.push({ sql: alter('DROP DEFAULT') });
  if (typeChanged) {
    const collate = b.collation ? ` COLLATE ${b.collation}` : '';
    const sql = alter(`TYPE ${b.type}${collate} USING ${quoteIdent(b.name)}::${b.type}`);
    out.push(isWidening(a.type, b.type) ? { sql } : { sql, review: `changes the type of ${table}.${quoteIdent(b.name)} from ${a.type} to ${b.type}: values may not convert, or may lose precision` });
  }
  if (b.default !== null && !b.generated && (defaultChanged || typeChanged)) out.push({ sql: alter(`SET DEFAULT ${b.default}`) });
  if (a.notNull !== b.notNull) out.push({ sql: alter(b.notNull ? 'SET NOT NULL' : 'DROP NOT NULL') });
  if (b.identity && a.identity !== b.identity) out.push({ sql: alter(a.identity ? `SET GENERATED ${b.identity.toUpperCase()}` : `ADD GENERATED ${b.identity.toUpperCase()} AS IDENTITY`) });
  return out;
}

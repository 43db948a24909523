/** COMMENT ON statements for every object whose comment differs between two snapshots. Pure. */
import type { Snapshot } from '../core/snapshot-diff.js';
import { commentOn, routineSignature, type CommentTarget } from './objects.js';
import type { Statement } from './sql-text.js';

/** Keys (`schema.name`, functions `schema.name(args)`) of objects made anew, whose old comment is gone with them. */
export interface Remade {
  tables: Set<string>;
  views: Set<string>;
  functions: Set<string>;
  types: Set<string>;
}

const keyOf = (o: { schema: string; name: string }) => `${o.schema}.${o.name}`;

export function commentPlan(from: Snapshot, to: Snapshot, remade: Remade): Statement[] {
  const out: Statement[] = [];
  const set = (target: CommentTarget, was: string | null | undefined, now: string | null) => {
    if ((was ?? null) !== now) out.push({ sql: commentOn(target, now) });
  };
  for (const s of to.schemas) set({ kind: 'SCHEMA', name: s.name }, from.schemas.find((x) => x.name === s.name)?.comment, s.comment);
  for (const t of to.types) {
    const was = remade.types.has(keyOf(t)) ? null : from.types.find((x) => keyOf(x) === keyOf(t))?.comment;
    set({ kind: t.kind === 'domain' ? 'DOMAIN' : 'TYPE', schema: t.schema, name: t.name }, was, t.comment);
  }
  for (const q of to.sequences) set({ kind: 'SEQUENCE', schema: q.schema, name: q.name }, from.sequences.find((x) => keyOf(x) === keyOf(q))?.comment, q.comment);
  for (const t of to.tables) {
    const a = remade.tables.has(keyOf(t)) ? undefined : from.tables.find((x) => keyOf(x) === keyOf(t));
    set({ kind: 'TABLE', schema: t.schema, name: t.name }, a?.comment, t.comment);
    for (const c of t.columns) {
      const old = a?.columns.find((x) => x.name === c.name);
      // A rebuilt generated column loses its comment.
      const kept = old && (old.generated ?? '') === (c.generated ?? '') ? old.comment : null;
      set({ kind: 'COLUMN', schema: t.schema, table: t.name, name: c.name }, kept, c.comment);
    }
    for (const c of t.constraints) {
      const old = a?.constraints.find((x) => x.name === c.name && x.definition === c.definition);
      set({ kind: 'CONSTRAINT', schema: t.schema, table: t.name, name: c.name }, old?.comment, c.comment);
    }
  }
  for (const v of to.views) {
    const a = remade.views.has(keyOf(v)) ? undefined : from.views.find((x) => keyOf(x) === keyOf(v));
    set({ kind: v.materialized ? 'MATERIALIZED VIEW' : 'VIEW', schema: v.schema, name: v.name }, a?.comment, v.comment);
  }
  for (const rel of [...to.tables, ...to.views]) {
    const remadeRel = remade.tables.has(keyOf(rel)) || remade.views.has(keyOf(rel));
    const a = remadeRel ? undefined : (from.tables.find((x) => keyOf(x) === keyOf(rel)) ?? from.views.find((x) => keyOf(x) === keyOf(rel)));
    for (const i of rel.indexes) set({ kind: 'INDEX', schema: rel.schema, name: i.name }, a?.indexes.find((x) => x.name === i.name && x.definition === i.definition)?.comment, i.comment);
    for (const g of rel.triggers) {
      set({ kind: 'TRIGGER', schema: rel.schema, table: rel.name, name: g.name }, a?.triggers.find((x) => x.name === g.name && x.definition === g.definition)?.comment, g.comment);
    }
  }
  for (const f of to.functions) {
    const k = `${keyOf(f)}(${f.arguments})`;
    const was = remade.functions.has(k) ? null : from.functions.find((x) => `${keyOf(x)}(${x.arguments})` === k)?.comment;
    const kind = f.kind === 'procedure' ? 'PROCEDURE' : f.kind === 'aggregate' ? 'AGGREGATE' : 'FUNCTION';
    set({ kind, signature: routineSignature(f) }, was, f.comment);
  }
  return out;
}

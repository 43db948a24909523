/**
 * The DDL that turns one schema snapshot into another, in an order PostgreSQL accepts: what
 * goes away is dropped first (triggers, views, foreign keys, constraints, indexes, columns,
 * tables, functions, sequences, types), then what is new or changed is made (schemas,
 * extensions, types, sequences, functions, tables, columns, constraints, foreign keys,
 * indexes, views, triggers), then comments and row-level security. Pure: snapshots in,
 * statements out. Statements that lose data carry a `review` reason.
 */
import type { Routine, Snapshot, Table, TypeDef, View } from '../core/snapshot-diff.js';
import { normalise } from '../core/snapshot-diff.js';
import { alterColumn, columnDefinition } from './columns.js';
import { commentPlan } from './comments.js';
import { createAggregate, createSequence, createTable, createType, createView, dropRoutine, dropType, dropView, routineHeader, sequenceOptions } from './objects.js';
import { grantPlan, policyDrops, policyMakes } from './security.js';
import { mentions, qualifiedName, quoteIdent, type Statement } from './sql-text.js';
import { enumAdditions, remakeType } from './types.js';

export interface ChangePlan {
  statements: Statement[];
  /** Things a person should know that are not statements: a possible rename, an object kind left out. */
  notes: string[];
}

const keyOf = (o: { schema: string; name: string }) => `${o.schema}.${o.name}`;
const routineKey = (f: Routine) => `${f.schema}.${f.name}(${f.arguments})`;
const byKey = <T>(xs: T[], k: (x: T) => string) => new Map(xs.map((x) => [k(x), x]));
const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/** The statements that make a database whose schema is `from` have the schema `to`. */
export function planChanges(fromSnapshot: Snapshot, toSnapshot: Snapshot): ChangePlan {
  const from = normalise(fromSnapshot);
  const to = normalise(toSnapshot);
  const drops: Statement[] = [];
  const makes: Statement[] = [];
  const late: Statement[] = [];
  const notes: string[] = [];

  const tablesA = byKey(from.tables, keyOf);
  const tablesB = byKey(to.tables, keyOf);
  const viewsA = byKey(from.views, keyOf);
  const viewsB = byKey(to.views, keyOf);
  const fnA = byKey(from.functions.filter((f) => !impliedByType(f, from.types, to.types)), routineKey);
  const fnB = byKey(to.functions.filter((f) => !impliedByType(f, from.types, to.types)), routineKey);
  const typesA = byKey(from.types, keyOf);
  const typesB = byKey(to.types, keyOf);

  // Functions whose signature or kind changed are dropped and made again; others are replaced.
  const fnRemade = new Set<string>();
  for (const [k, f] of fnA) {
    const g = fnB.get(k);
    if (!g || g.kind !== f.kind || routineHeader(g) !== routineHeader(f)) fnRemade.add(k);
  }
  // Types made again (enum values taken away or reordered, any other type changed).
  const typeRemade = new Set<string>();
  const enumAdds: Statement[] = [];
  for (const [k, t] of typesA) {
    const u = typesB.get(k);
    if (!u || same(t, u)) continue;
    if (t.kind === 'enum' && u.kind === 'enum') {
      const adds = enumAdditions(t, u);
      if (adds) enumAdds.push(...adds);
      else typeRemade.add(k);
    } else if (!(same({ ...t, comment: null }, { ...u, comment: null }))) typeRemade.add(k);
  }

  // Columns whose type changes, and columns dropped: views reading their table are rebuilt.
  const touched: Table[] = [];
  for (const [k, a] of tablesA) {
    const b = tablesB.get(k);
    if (!b) continue;
    const colsB = byKey(b.columns, (c) => c.name);
    if (a.columns.some((c) => !colsB.has(c.name) || colsB.get(c.name)!.type !== c.type || (colsB.get(c.name)!.generated ?? '') !== (c.generated ?? ''))) touched.push(a);
  }
  const typeNames = [...typeRemade].map((k) => typesA.get(k)!).map(qualifiedName);
  // An index or constraint whose expression names a rebuilt type is rebuilt around it.
  const readsType = (def: string) => typeNames.some((t) => def.includes(t));
  const viewRemade = new Set<string>();
  for (const [k, v] of viewsA) {
    const w = viewsB.get(k);
    const reads = (def: string) =>
      touched.some((t) => mentions(def, t)) ||
      [...fnRemade].some((f) => mentions(def, fnA.get(f)!)) ||
      typeNames.some((t) => def.includes(t));
    if (!w || !same({ ...v, comment: null, indexes: [], triggers: [] }, { ...w, comment: null, indexes: [], triggers: [] }) || reads(v.definition)) viewRemade.add(k);
  }
  // A view that reads a view being rebuilt is rebuilt too.
  for (let grew = true; grew; ) {
    grew = false;
    for (const [k, v] of viewsA) {
      if (viewRemade.has(k)) continue;
      if ([...viewRemade].some((r) => mentions(v.definition, viewsA.get(r)!))) {
        viewRemade.add(k);
        grew = true;
      }
    }
  }

  // --- drops ---
  const relTriggers = (rel: Table | View) => rel.triggers.map((t) => ({ rel, t }));
  for (const rel of [...from.tables, ...from.views]) {
    const k = keyOf(rel);
    const other = tablesB.get(k) ?? viewsB.get(k);
    const gone = !other || viewRemade.has(k);
    for (const { t } of relTriggers(rel)) {
      const now = other?.triggers.find((x) => x.name === t.name);
      if (gone || !now || now.definition !== t.definition) drops.push({ sql: `DROP TRIGGER ${quoteIdent(t.name)} ON ${qualifiedName(rel)}` });
    }
  }
  drops.push(...policyDrops(from, to));
  for (const v of viewOrder(from.views.filter((v) => viewRemade.has(keyOf(v)))).reverse()) {
    drops.push({ sql: dropView(v), ...(v.materialized && !viewsB.has(keyOf(v)) ? { review: `drops materialized view ${qualifiedName(v)} and its data` } : {}) });
  }
  const constraintGone = (fk: boolean) => {
    for (const a of from.tables) {
      const b = tablesB.get(keyOf(a));
      for (const c of a.constraints) {
        if ((c.type === 'FOREIGN KEY') !== fk) continue;
        const now = b?.constraints.find((x) => x.name === c.name);
        if (!b && !fk) continue; // goes with its table
        if (!now || now.definition !== c.definition || now.type !== c.type || readsType(c.definition)) drops.push({ sql: `ALTER TABLE ${qualifiedName(a)} DROP CONSTRAINT ${quoteIdent(c.name)}` });
      }
    }
  };
  constraintGone(true);
  constraintGone(false);
  for (const rel of [...from.tables, ...from.views.filter((v) => !viewRemade.has(keyOf(v)))]) {
    const other = tablesB.get(keyOf(rel)) ?? viewsB.get(keyOf(rel));
    if (!other) continue;
    for (const i of rel.indexes) {
      const now = other.indexes.find((x) => x.name === i.name);
      if (!now || now.definition !== i.definition || readsType(i.definition)) drops.push({ sql: `DROP INDEX ${qualifiedName({ schema: rel.schema, name: i.name })}` });
    }
  }
  for (const a of from.tables) {
    const b = tablesB.get(keyOf(a));
    if (!b) continue;
    const gone = a.columns.filter((c) => !b.columns.some((x) => x.name === c.name));
    for (const c of gone) drops.push({ sql: `ALTER TABLE ${qualifiedName(a)} DROP COLUMN ${quoteIdent(c.name)}`, review: `drops column ${qualifiedName(a)}.${quoteIdent(c.name)} and its data` });
    const added = b.columns.filter((c) => !a.columns.some((x) => x.name === c.name));
    if (gone.length && added.length) notes.push(`${qualifiedName(a)}: column(s) ${gone.map((c) => c.name).join(', ')} disappear and ${added.map((c) => c.name).join(', ')} appear; if that is a rename, replace the drop and add with ALTER TABLE ... RENAME COLUMN, or the data is lost`);
  }
  const tablesGone = tableOrder(from.tables.filter((t) => !tablesB.has(keyOf(t)))).reverse();
  for (const t of tablesGone) {
    if (t.partitionOf && tablesGone.some((p) => t.partitionOf!.startsWith(`${qualifiedName(p)} `))) continue;
    drops.push({ sql: `DROP TABLE ${qualifiedName(t)}`, review: `drops table ${qualifiedName(t)} and its data` });
  }
  const tablesNew = tableOrder(to.tables.filter((t) => !tablesA.has(keyOf(t))));
  for (const schema of new Set(tablesGone.map((t) => t.schema))) {
    const appear = tablesNew.filter((t) => t.schema === schema);
    if (appear.length) notes.push(`schema ${quoteIdent(schema)}: table(s) ${tablesGone.filter((t) => t.schema === schema).map((t) => t.name).join(', ')} disappear and ${appear.map((t) => t.name).join(', ')} appear; if that is a rename, replace the drop and create with ALTER TABLE ... RENAME TO, or the data is lost`);
  }
  for (const k of fnRemade) drops.push({ sql: dropRoutine(fnA.get(k)!) });
  const droppedTable = (ownedBy: string) => tablesGone.some((t) => ownedBy.startsWith(`${qualifiedName(t)}.`));
  for (const q of from.sequences) {
    if (q.ownedBy?.endsWith(' (identity)')) continue;
    if (!to.sequences.some((x) => keyOf(x) === keyOf(q)) && !(q.ownedBy && droppedTable(q.ownedBy)))
      drops.push({ sql: `DROP SEQUENCE ${qualifiedName(q)}`, review: `drops sequence ${qualifiedName(q)} (its current value is lost)` });
  }
  const typesGone = from.types.filter((t) => !typesB.has(keyOf(t)));
  for (const t of typesGone) drops.push({ sql: dropType(t) });
  for (const e of from.extensions) if (!to.extensions.some((x) => x.name === e.name)) drops.push({ sql: `DROP EXTENSION ${quoteIdent(e.name)}` });
  for (const s of from.schemas) if (!to.schemas.some((x) => x.name === s.name)) drops.push({ sql: `DROP SCHEMA ${quoteIdent(s.name)}` });

  // --- makes ---
  for (const s of to.schemas) if (!from.schemas.some((x) => x.name === s.name)) makes.push({ sql: `CREATE SCHEMA ${quoteIdent(s.name)}` });
  for (const e of to.extensions) {
    const was = from.extensions.find((x) => x.name === e.name);
    if (!was) makes.push({ sql: `CREATE EXTENSION IF NOT EXISTS ${quoteIdent(e.name)} WITH SCHEMA ${quoteIdent(e.schema)}` });
    else if (was.version !== e.version) makes.push({ sql: `ALTER EXTENSION ${quoteIdent(e.name)} UPDATE TO ${quoteIdent(e.version)}` });
  }
  for (const t of to.types) if (!typesA.has(keyOf(t))) makes.push({ sql: createType(t) });
  makes.push(...enumAdds);
  for (const k of typeRemade) makes.push(...remakeType(typesA.get(k)!, typesB.get(k)!, from.tables, to.tables));
  for (const q of to.sequences) {
    const was = from.sequences.find((x) => keyOf(x) === keyOf(q));
    // An identity column's sequence comes with its column; only its options are changed here.
    if (q.ownedBy?.endsWith(' (identity)') && !was) continue;
    if (!was) makes.push({ sql: createSequence(q) });
    else if (sequenceOptions(was) !== sequenceOptions(q) || was.type !== q.type) makes.push({ sql: `ALTER SEQUENCE ${qualifiedName(q)} AS ${q.type} ${sequenceOptions(q)}` });
  }
  const fnMade = [...fnB.values()].filter((f) => f.kind !== 'aggregate' && (fnRemade.has(routineKey(f)) || !fnA.has(routineKey(f)) || fnA.get(routineKey(f))!.definition !== f.definition));
  if (fnMade.length) makes.push({ sql: 'SET check_function_bodies = off' });
  for (const f of fnMade) makes.push({ sql: f.definition.replace(/\s+$/, '') });
  // An aggregate after the functions it is made of.
  for (const f of fnB.values()) if (f.kind === 'aggregate' && (fnRemade.has(routineKey(f)) || !same(fnA.get(routineKey(f))?.definition, f.definition))) makes.push({ sql: createAggregate(f) });
  for (const t of tablesNew) makes.push({ sql: createTable(t) });
  for (const a of from.tables) {
    const b = tablesB.get(keyOf(a));
    if (!b) continue;
    const name = qualifiedName(b);
    for (const c of b.columns) {
      const was = a.columns.find((x) => x.name === c.name);
      if (!was) makes.push({ sql: `ALTER TABLE ${name} ADD COLUMN ${columnDefinition(c)}` });
      else makes.push(...alterColumn(name, was, c));
    }
    if ((a.options ?? '') !== (b.options ?? '')) {
      if (b.options) makes.push({ sql: `ALTER TABLE ${name} SET (${b.options})` });
      const reset = (a.options ?? '').split(', ').filter(Boolean).map((o) => o.split('=')[0]).filter((o) => !(b.options ?? '').split(', ').some((x) => x.split('=')[0] === o));
      if (reset.length) makes.push({ sql: `ALTER TABLE ${name} RESET (${reset.join(', ')})` });
    }
  }
  const constraintMade = (fk: boolean) => {
    for (const b of to.tables) {
      const a = tablesA.get(keyOf(b));
      for (const c of b.constraints) {
        if ((c.type === 'FOREIGN KEY') !== fk) continue;
        const was = a?.constraints.find((x) => x.name === c.name);
        if (!was || was.definition !== c.definition || was.type !== c.type || readsType(was.definition)) makes.push({ sql: `ALTER TABLE ${qualifiedName(b)} ADD CONSTRAINT ${quoteIdent(c.name)} ${c.definition}` });
      }
    }
  };
  constraintMade(false);
  constraintMade(true);
  for (const b of to.tables) {
    const a = tablesA.get(keyOf(b));
    for (const i of b.indexes) {
      const old = a?.indexes.find((x) => x.name === i.name);
      if (!old || old.definition !== i.definition || readsType(old.definition)) makes.push({ sql: i.definition });
    }
  }
  for (const v of viewOrder(to.views)) {
    const k = keyOf(v);
    const made = !viewsA.has(k) || viewRemade.has(k);
    if (made) makes.push({ sql: createView(v) });
    const was = made ? undefined : viewsA.get(k);
    for (const i of v.indexes) if (!was || was.indexes.find((x) => x.name === i.name)?.definition !== i.definition) makes.push({ sql: i.definition });
  }
  for (const rel of [...to.tables, ...to.views]) {
    const k = keyOf(rel);
    const was = viewRemade.has(k) ? undefined : (tablesA.get(k) ?? viewsA.get(k));
    for (const t of rel.triggers) {
      const old = was?.triggers.find((x) => x.name === t.name);
      if (!old || old.definition !== t.definition) makes.push({ sql: t.definition });
      if ((old && old.definition === t.definition ? old.enabled : 'origin') !== t.enabled) makes.push({ sql: triggerState(rel, t.name, t.enabled) });
    }
  }
  for (const q of to.sequences) {
    if (q.ownedBy?.endsWith(' (identity)')) continue;
    const was = from.sequences.find((x) => keyOf(x) === keyOf(q));
    if ((was?.ownedBy ?? null) !== q.ownedBy) late.push({ sql: `ALTER SEQUENCE ${qualifiedName(q)} OWNED BY ${q.ownedBy ?? 'NONE'}` });
  }
  for (const b of to.tables) {
    const was = tablesA.get(keyOf(b))?.rowSecurity ?? null;
    if (was === b.rowSecurity) continue;
    const name = qualifiedName(b);
    if (b.rowSecurity === null) late.push({ sql: `ALTER TABLE ${name} DISABLE ROW LEVEL SECURITY` }, ...(was === 'forced' ? [{ sql: `ALTER TABLE ${name} NO FORCE ROW LEVEL SECURITY` }] : []));
    else {
      if (was === null) late.push({ sql: `ALTER TABLE ${name} ENABLE ROW LEVEL SECURITY` });
      late.push({ sql: `ALTER TABLE ${name} ${b.rowSecurity === 'forced' ? '' : 'NO '}FORCE ROW LEVEL SECURITY` });
    }
  }
  late.push(...policyMakes(from, to));
  late.push(...commentPlan(from, to, { tables: new Set(tablesNew.map(keyOf)), views: viewRemade, functions: fnRemade, types: typeRemade }));
  late.push(...grantPlan(from, to, { schemas: new Set(), relations: viewRemade, functions: fnRemade }));
  return { statements: [...drops, ...makes, ...late], notes };
}

/** A range type's constructor functions (and its multirange's) come and go with the type. */
function impliedByType(f: Routine, ...typeLists: TypeDef[][]): boolean {
  return typeLists.some((types) =>
    types.some((t) => t.kind === 'range' && t.schema === f.schema && [t.name, `${t.name}_multirange`, t.name.replace('range', 'multirange')].includes(f.name)),
  );
}

function triggerState(rel: Table | View, name: string, state: string): string {
  const verb = state === 'disabled' ? 'DISABLE TRIGGER' : state === 'replica' ? 'ENABLE REPLICA TRIGGER' : state === 'always' ? 'ENABLE ALWAYS TRIGGER' : 'ENABLE TRIGGER';
  return `ALTER ${'kind' in rel ? 'TABLE' : 'VIEW'} ${qualifiedName(rel)} ${verb} ${quoteIdent(name)}`.replace('ALTER VIEW', 'ALTER TABLE');
}

/** Tables with partition parents and inherited tables before the tables that hang off them. */
function tableOrder(tables: Table[]): Table[] {
  const out: Table[] = [];
  const placed = new Set<string>();
  const visit = (t: Table, depth = 0) => {
    if (placed.has(keyOf(t)) || depth > tables.length) return;
    const parents = tables.filter((p) => p !== t && ((t.partitionOf ?? '').startsWith(`${qualifiedName(p)} `) || (t.inherits ?? '').split(', ').includes(qualifiedName(p))));
    for (const p of parents) visit(p, depth + 1);
    placed.add(keyOf(t));
    out.push(t);
  };
  for (const t of tables) visit(t);
  return out;
}

/** Views ordered so that a view comes after the views its definition reads. */
export function viewOrder(views: View[]): View[] {
  const out: View[] = [];
  const placed = new Set<string>();
  const visit = (v: View, depth = 0) => {
    if (placed.has(keyOf(v)) || depth > views.length) return;
    for (const w of views) if (w !== v && mentions(v.definition, w)) visit(w, depth + 1);
    placed.add(keyOf(v));
    out.push(v);
  };
  for (const v of views) visit(v);
  return out;
}

/**
 * The database objects one statement touches, read from its parse tree (libpg-query's JSON
 * form, see sql/parse.ts): what it creates, alters, drops or reads, down to columns, and what a
 * view, index, constraint or SQL function depends on. Names without a schema are taken to be in
 * `public`. Pure: the parsing happens elsewhere.
 *
 * Each object has a key (`relation:public.users`, `column:public.users.email`, ...) that two
 * statements share when they name the same object, whatever kind of relation they call it, and
 * `within`, the object that holds it (a column's table), so that dropping or renaming a table
 * is seen to touch everything on it.
 */

export type Action = 'create' | 'alter' | 'drop' | 'read';

export interface Touch {
  key: string;
  /** For people: `table public.users`, `column public.users.email`. */
  label: string;
  action: Action;
  /** The key of the object holding this one (a column's, index's or constraint's table). */
  within?: string;
}

export interface StatementObjects {
  touches: Touch[];
  /** Set when the statement's effect cannot be read from its tree (a DO block): it may touch anything. */
  opaque?: string;
}

type Node = Record<string, any>;

const DEFAULT_SCHEMA = 'public';

/** Statements that change no object. */
const INERT = new Set(['VariableSetStmt', 'VariableShowStmt', 'TransactionStmt', 'CheckPointStmt', 'NotifyStmt', 'ListenStmt', 'UnlistenStmt', 'DiscardStmt', 'LoadStmt', 'ExplainStmt', 'VacuumStmt', 'ClusterStmt', 'ReindexStmt', 'LockStmt']);

const RELATION_KIND: Record<string, string> = {
  OBJECT_TABLE: 'table',
  OBJECT_VIEW: 'view',
  OBJECT_MATVIEW: 'materialized view',
  OBJECT_INDEX: 'index',
  OBJECT_SEQUENCE: 'sequence',
  OBJECT_FOREIGN_TABLE: 'foreign table',
};

/** The body of a `LANGUAGE sql` function given as a string, for the caller to parse and hand back to `statementObjects`. */
export function sqlFunctionBody(node: Node): string | null {
  const f = node.CreateFunctionStmt;
  if (!f || f.sql_body) return null;
  const opts: Node[] = (f.options ?? []).map((o: Node) => o.DefElem).filter(Boolean);
  const language = opts.find((o) => o.defname === 'language')?.arg?.String?.sval;
  const as = opts.find((o) => o.defname === 'as')?.arg?.List?.items;
  if (language?.toLowerCase() !== 'sql' || !as?.length) return null;
  return as[0]?.String?.sval ?? null;
}

/**
 * What the statement `node` touches. `body` is the parse of its SQL function body
 * (`sqlFunctionBody`), when it has one: the function then reads what its body reads.
 */
export function statementObjects(node: Node, body: Node[] = []): StatementObjects {
  const type = Object.keys(node)[0];
  const s = node[type];
  const out = new Collector();
  if (INERT.has(type)) return { touches: [] };
  switch (type) {
    case 'CreateStmt':
      createTable(out, s);
      break;
    case 'AlterTableStmt':
      alterTable(out, s);
      break;
    case 'RenameStmt':
      if (!rename(out, s)) return fallback(out, type, s);
      break;
    case 'IndexStmt': {
      const table = relation(s.relation);
      const name = s.idxname ? qualify(s.relation.schemaname, s.idxname) : `${table.name}(${indexColumns(s).join(', ')})`;
      out.add(`relation:${name}`, `index ${name}`, 'create', table.key);
      out.add(table.key, `table ${table.name}`, 'read');
      for (const c of indexColumns(s)) out.column(table, c, 'read');
      out.reads([s.indexParams, s.whereClause], [table]);
      break;
    }
    case 'DropStmt':
      drop(out, s);
      break;
    case 'ViewStmt': {
      const v = relation(s.view);
      out.add(v.key, `view ${v.name}`, s.replace ? 'alter' : 'create');
      out.reads(s.query);
      break;
    }
    case 'CreateTableAsStmt': {
      const r = relation(s.into?.rel);
      out.add(r.key, `${RELATION_KIND[s.objtype] ?? 'table'} ${r.name}`, 'create');
      out.reads(s.query);
      break;
    }
    case 'RefreshMatViewStmt': {
      const r = relation(s.relation);
      out.add(r.key, `materialized view ${r.name}`, 'read');
      out.add(`rows:${r.name}`, `rows of ${r.name}`, 'alter');
      break;
    }
    case 'CreateFunctionStmt': {
      const name = qualifiedList(s.funcname);
      out.add(`function:${name}`, `${s.is_procedure ? 'procedure' : 'function'} ${name}`, s.replace ? 'alter' : 'create');
      out.reads([s.parameters, s.returnType, s.sql_body]);
      for (const stmt of body) out.reads(stmt);
      break;
    }
    case 'CreateTrigStmt': {
      const t = relation(s.relation);
      out.add(`trigger:${t.name}.${s.trigname}`, `trigger ${s.trigname} on ${t.name}`, s.replace ? 'alter' : 'create', t.key);
      out.add(t.key, `table ${t.name}`, 'read');
      out.function(s.funcname);
      break;
    }
    case 'CreateEnumStmt':
    case 'CreateRangeStmt':
      out.type(s.typeName, 'create');
      break;
    case 'CreateDomainStmt':
      out.type(s.domainname, 'create', 'domain');
      out.reads([s.typeName, s.constraints]);
      break;
    case 'CompositeTypeStmt': {
      const r = relation(s.typevar);
      out.add(`type:${r.name}`, `type ${r.name}`, 'create');
      out.reads(s.coldeflist);
      break;
    }
    case 'AlterEnumStmt':
      out.type(s.typeName, 'alter');
      break;
    case 'AlterDomainStmt':
      out.type(s.typeName, 'alter', 'domain');
      out.reads(s.def);
      break;
    case 'CreateSeqStmt': {
      const r = relation(s.sequence);
      out.add(r.key, `sequence ${r.name}`, 'create');
      break;
    }
    case 'AlterSeqStmt': {
      const r = relation(s.sequence);
      out.add(r.key, `sequence ${r.name}`, 'alter');
      break;
    }
    case 'CreateSchemaStmt':
      out.add(`schema:${s.schemaname}`, `schema ${s.schemaname}`, 'create');
      for (const e of s.schemaElts ?? []) out.merge(statementObjects(e));
      break;
    case 'CreateExtensionStmt':
      out.add(`extension:${s.extname}`, `extension ${s.extname}`, 'create');
      break;
    case 'AlterExtensionStmt':
      out.add(`extension:${s.extname}`, `extension ${s.extname}`, 'alter');
      break;
    case 'CommentStmt':
      comment(out, s);
      break;
    case 'GrantStmt':
      for (const o of s.objects ?? []) if (o.RangeVar) out.add(relation(o.RangeVar).key, `table ${relation(o.RangeVar).name}`, 'read');
      break;
    case 'InsertStmt':
    case 'UpdateStmt':
    case 'DeleteStmt':
    case 'MergeStmt': {
      const t = relation(s.relation);
      out.add(t.key, `table ${t.name}`, 'read');
      out.add(`rows:${t.name}`, `rows of ${t.name}`, 'alter');
      if (type !== 'DeleteStmt') for (const r of s.cols ?? s.targetList ?? []) if (r.ResTarget?.name) out.column(t, r.ResTarget.name, 'read');
      const { relation: _r, cols: _c, ...rest } = s;
      out.reads(rest, [t]);
      break;
    }
    case 'SelectStmt':
      out.reads(s);
      break;
    case 'DoStmt':
      return { touches: [], opaque: 'a DO block, whose code cannot be read for the objects it touches' };
    default:
      return fallback(out, type, s);
  }
  return { touches: out.list() };
}

/** A statement kind not read in detail: every relation it names counts as altered; naming none, it may touch anything. */
function fallback(out: Collector, type: string, s: Node): StatementObjects {
  const rels: Node[] = [];
  visit(s, (n) => {
    if (n.RangeVar) rels.push(n.RangeVar);
  });
  if (!rels.length) return { touches: out.list(), opaque: `a ${type.replace(/Stmt$/, '')} statement, whose objects are not read` };
  for (const r of rels) out.add(relation(r).key, `table ${relation(r).name}`, 'alter');
  return { touches: out.list() };
}

function createTable(out: Collector, s: Node): void {
  const t = relation(s.relation);
  out.add(t.key, `table ${t.name}`, 'create');
  for (const parent of s.inhRelations ?? []) {
    const p = relation(parent.RangeVar);
    out.add(p.key, `table ${p.name}`, s.partbound ? 'alter' : 'read');
  }
  for (const e of s.tableElts ?? []) {
    if (e.ColumnDef) {
      out.column(t, e.ColumnDef.colname, 'create');
      out.reads(e.ColumnDef.typeName);
      for (const c of e.ColumnDef.constraints ?? []) constraint(out, t, c.Constraint, [e.ColumnDef.colname]);
    } else if (e.Constraint) constraint(out, t, e.Constraint, []);
    else if (e.TableLikeClause) {
      const like = relation(e.TableLikeClause.relation);
      out.add(like.key, `table ${like.name}`, 'read');
    }
  }
}

function alterTable(out: Collector, s: Node): void {
  const t = relation(s.relation);
  const kind = RELATION_KIND[s.objtype] ?? 'table';
  for (const { AlterTableCmd: c } of s.cmds ?? []) {
    if (!c) continue;
    switch (c.subtype) {
      case 'AT_AddColumn': {
        const def = c.def?.ColumnDef;
        // A new column changes the table's column order: two sides adding columns interfere.
        out.add(t.key, `${kind} ${t.name}`, 'alter');
        if (!def) break;
        out.column(t, def.colname, 'create');
        out.reads(def.typeName);
        for (const k of def.constraints ?? []) constraint(out, t, k.Constraint, [def.colname]);
        break;
      }
      case 'AT_DropColumn':
        out.column(t, c.name, 'drop');
        break;
      case 'AT_AddConstraint':
        constraint(out, t, c.def?.Constraint, []);
        break;
      case 'AT_DropConstraint':
        out.add(`constraint:${t.name}.${c.name}`, `constraint ${c.name} on ${t.name}`, 'drop', t.key);
        break;
      case 'AT_ValidateConstraint':
        out.add(`constraint:${t.name}.${c.name}`, `constraint ${c.name} on ${t.name}`, 'alter', t.key);
        break;
      case 'AT_AttachPartition':
      case 'AT_DetachPartition': {
        out.add(t.key, `table ${t.name}`, 'alter');
        const p = c.def?.PartitionCmd?.name;
        if (p) out.add(relation(p).key, `table ${relation(p).name}`, 'alter');
        break;
      }
      default:
        if (c.name && c.subtype !== 'AT_SetRelOptions') {
          // A column's subcommand (type, default, NOT NULL, statistics, identity...).
          out.column(t, c.name, 'alter');
          out.reads(c.def, [t]);
        } else {
          out.add(t.key, `${kind} ${t.name}`, 'alter');
          out.reads(c.def, [t]);
        }
    }
  }
}

/** A constraint of table `t`: created, reading the columns it names (and, for a foreign key, the referenced table's). */
function constraint(out: Collector, t: Rel, k: Node | undefined, columns: string[]): void {
  if (!k) return;
  const cols = [...columns, ...strings(k.keys), ...strings(k.fk_attrs), ...strings(k.including)];
  const kind = k.contype?.replace(/^CONSTR_/, '').toLowerCase();
  if (['null', 'notnull', 'default', 'generated', 'identity'].includes(kind)) {
    for (const c of columns) out.column(t, c, 'read');
    out.reads([k.raw_expr], [t]);
    return;
  }
  const name = k.conname ?? `(${kind} ${cols.join(', ')})`;
  out.add(`constraint:${t.name}.${name}`, `constraint ${name} on ${t.name}`, 'create', t.key);
  for (const c of cols) out.column(t, c, 'read');
  out.reads([k.raw_expr, k.exclusions, k.where_clause], [t]);
  if (k.pktable) {
    const p = relation(k.pktable);
    out.add(p.key, `table ${p.name}`, 'read');
    for (const c of strings(k.pk_attrs)) out.column(p, c, 'read');
  }
}

function rename(out: Collector, s: Node): boolean {
  const from = (key: string, label: string, within?: string) => out.add(key, label, 'drop', within);
  const to = (key: string, label: string, within?: string) => out.add(key, label, 'create', within);
  const rk = RELATION_KIND[s.renameType];
  if (rk && s.relation) {
    const r = relation(s.relation);
    const n = qualify(s.relation.schemaname, s.newname);
    from(r.key, `${rk} ${r.name}`);
    to(`relation:${n}`, `${rk} ${n}`);
    return true;
  }
  switch (s.renameType) {
    case 'OBJECT_COLUMN': {
      const t = relation(s.relation);
      out.column(t, s.subname, 'drop');
      out.column(t, s.newname, 'create');
      return true;
    }
    case 'OBJECT_TABCONSTRAINT':
    case 'OBJECT_TRIGGER': {
      const t = relation(s.relation);
      const what = s.renameType === 'OBJECT_TRIGGER' ? 'trigger' : 'constraint';
      from(`${what}:${t.name}.${s.subname}`, `${what} ${s.subname} on ${t.name}`, t.key);
      to(`${what}:${t.name}.${s.newname}`, `${what} ${s.newname} on ${t.name}`, t.key);
      return true;
    }
    case 'OBJECT_FUNCTION':
    case 'OBJECT_PROCEDURE': {
      const names = strings(s.object?.ObjectWithArgs?.objname);
      const old = qualifiedList(s.object?.ObjectWithArgs?.objname);
      const now = qualify(names.length > 1 ? names[0] : undefined, s.newname);
      from(`function:${old}`, `function ${old}`);
      to(`function:${now}`, `function ${now}`);
      return true;
    }
    case 'OBJECT_TYPE':
    case 'OBJECT_DOMAIN': {
      const names = strings(s.object?.List?.items ?? s.object?.TypeName?.names);
      const old = qualify(names.length > 1 ? names[0] : undefined, names[names.length - 1]);
      const now = qualify(names.length > 1 ? names[0] : undefined, s.newname);
      from(`type:${old}`, `type ${old}`);
      to(`type:${now}`, `type ${now}`);
      return true;
    }
    case 'OBJECT_SCHEMA':
      from(`schema:${s.subname}`, `schema ${s.subname}`);
      to(`schema:${s.newname}`, `schema ${s.newname}`);
      return true;
    case 'OBJECT_ATTRIBUTE': {
      const r = relation(s.relation);
      out.add(`type:${r.name}`, `type ${r.name}`, 'alter');
      return true;
    }
  }
  return false;
}

function drop(out: Collector, s: Node): void {
  const rk = RELATION_KIND[s.removeType];
  for (const o of s.objects ?? []) {
    if (rk) {
      const names = strings(o.List?.items);
      const n = qualify(names.length > 1 ? names[names.length - 2] : undefined, names[names.length - 1]);
      out.add(`relation:${n}`, `${rk} ${n}`, 'drop');
    } else if (s.removeType === 'OBJECT_FUNCTION' || s.removeType === 'OBJECT_PROCEDURE' || s.removeType === 'OBJECT_AGGREGATE') {
      const n = qualifiedList(o.ObjectWithArgs?.objname);
      out.add(`function:${n}`, `function ${n}`, 'drop');
    } else if (s.removeType === 'OBJECT_TYPE' || s.removeType === 'OBJECT_DOMAIN') {
      const n = qualifiedList(o.TypeName?.names);
      out.add(`type:${n}`, `${s.removeType === 'OBJECT_DOMAIN' ? 'domain' : 'type'} ${n}`, 'drop');
    } else if (s.removeType === 'OBJECT_SCHEMA' || s.removeType === 'OBJECT_EXTENSION') {
      const n = o.String?.sval;
      const what = s.removeType === 'OBJECT_SCHEMA' ? 'schema' : 'extension';
      out.add(`${what}:${n}`, `${what} ${n}`, 'drop');
    } else if (s.removeType === 'OBJECT_TRIGGER' || s.removeType === 'OBJECT_POLICY' || s.removeType === 'OBJECT_RULE') {
      const names = strings(o.List?.items);
      const t = qualify(names.length > 2 ? names[0] : undefined, names[names.length - 2]);
      const what = s.removeType.replace('OBJECT_', '').toLowerCase();
      out.add(`${what}:${t}.${names[names.length - 1]}`, `${what} ${names[names.length - 1]} on ${t}`, 'drop', `relation:${t}`);
    } else {
      const names = strings(o.List?.items ?? [o]);
      const what = s.removeType.replace('OBJECT_', '').toLowerCase().replace(/_/g, ' ');
      out.add(`${what}:${names.join('.')}`, `${what} ${names.join('.')}`, 'drop');
    }
  }
}

function comment(out: Collector, s: Node): void {
  const rk = RELATION_KIND[s.objtype];
  const names = strings(s.object?.List?.items);
  if (rk) {
    const n = qualify(names.length > 1 ? names[names.length - 2] : undefined, names[names.length - 1]);
    out.add(`relation:${n}`, `${rk} ${n}`, 'alter');
  } else if (s.objtype === 'OBJECT_COLUMN') {
    const t = qualify(names.length > 2 ? names[names.length - 3] : undefined, names[names.length - 2]);
    out.column({ key: `relation:${t}`, name: t }, names[names.length - 1], 'alter');
  } else if (s.objtype === 'OBJECT_FUNCTION' || s.objtype === 'OBJECT_PROCEDURE') {
    const n = qualifiedList(s.object?.ObjectWithArgs?.objname);
    out.add(`function:${n}`, `function ${n}`, 'alter');
  } else if (s.objtype === 'OBJECT_TYPE' || s.objtype === 'OBJECT_DOMAIN') {
    const n = qualifiedList(s.object?.TypeName?.names);
    out.add(`type:${n}`, `type ${n}`, 'alter');
  } else if (s.objtype === 'OBJECT_TABCONSTRAINT' || s.objtype === 'OBJECT_TRIGGER') {
    const t = qualify(names.length > 2 ? names[0] : undefined, names[names.length - 2]);
    const what = s.objtype === 'OBJECT_TRIGGER' ? 'trigger' : 'constraint';
    out.add(`${what}:${t}.${names[names.length - 1]}`, `${what} ${names[names.length - 1]} on ${t}`, 'alter', `relation:${t}`);
  } else if (s.objtype === 'OBJECT_SCHEMA') {
    const n = s.object?.String?.sval;
    out.add(`schema:${n}`, `schema ${n}`, 'alter');
  }
}

interface Rel {
  key: string;
  name: string;
}

function relation(r: Node | undefined): Rel {
  const name = qualify(r?.schemaname, r?.relname ?? '?');
  return { key: `relation:${name}`, name };
}

function qualify(schema: string | undefined, name: string): string {
  return `${schema || DEFAULT_SCHEMA}.${name}`;
}

function qualifiedList(list: Node[] | undefined): string {
  const names = strings(list);
  return qualify(names.length > 1 ? names[names.length - 2] : undefined, names[names.length - 1] ?? '?');
}

function strings(list: Node[] | undefined): string[] {
  return (list ?? []).map((x) => x?.String?.sval ?? x?.IndexElem?.name).filter((x): x is string => typeof x === 'string');
}

function indexColumns(s: Node): string[] {
  return (s.indexParams ?? []).map((p: Node) => p.IndexElem?.name).filter(Boolean);
}

/** Calls `fn` on every object node under `n`. */
function visit(n: unknown, fn: (n: Node) => void): void {
  if (Array.isArray(n)) for (const x of n) visit(x, fn);
  else if (n && typeof n === 'object') {
    fn(n as Node);
    for (const v of Object.values(n)) visit(v, fn);
  }
}

/** Gathers touches, one per key and action. */
class Collector {
  private seen = new Map<string, Touch>();

  add(key: string, label: string, action: Action, within?: string): void {
    const id = `${action} ${key}`;
    if (!this.seen.has(id)) this.seen.set(id, within ? { key, label, action, within } : { key, label, action });
  }

  column(t: Rel, name: string, action: Action): void {
    this.add(`column:${t.name}.${name}`, `column ${t.name}.${name}`, action, t.key);
  }

  type(names: Node[] | undefined, action: Action, kind = 'type'): void {
    const n = qualifiedList(names);
    this.add(`type:${n}`, `${kind} ${n}`, action);
  }

  function(names: Node[] | undefined): void {
    const n = qualifiedList(names);
    this.add(`function:${n}`, `function ${n}`, 'read');
  }

  merge(o: StatementObjects): void {
    for (const t of o.touches) this.add(t.key, t.label, t.action, t.within);
  }

  /**
   * What an expression or query reads: relations in FROM, the columns its column references
   * resolve to (through aliases; an unqualified one to each relation in scope), functions
   * called and types named. `scope` holds the relations already in scope (an UPDATE's table).
   */
  reads(n: unknown, scope: Rel[] = []): void {
    if (Array.isArray(n)) {
      for (const x of n) this.reads(x, scope);
      return;
    }
    if (!n || typeof n !== 'object') return;
    const node = n as Node;
    if (node.SelectStmt) {
      const s = node.SelectStmt;
      const inner = fromScope(s.fromClause);
      const all = [...inner.map((x) => x.rel), ...scope];
      const aliases = new Map(inner.map((x) => [x.alias, x.rel]));
      const { fromClause, ...rest } = s;
      this.fromReads(fromClause, all);
      this.walk(rest, all, aliases);
      return;
    }
    this.walk(node, scope, new Map(scope.map((r) => [r.name.split('.')[1], r])));
  }

  private fromReads(from: unknown, scope: Rel[]): void {
    visitFrom(from, (item) => {
      if (item.RangeVar) this.add(relation(item.RangeVar).key, `table ${relation(item.RangeVar).name}`, 'read');
      else if (item.RangeSubselect) this.reads(item.RangeSubselect.subquery, scope);
      else if (item.JoinExpr) this.walk(item.JoinExpr.quals, scope, aliasesOf(from, scope));
      else if (item.RangeFunction) this.walk(item.RangeFunction.functions, scope, new Map());
    });
  }

  private walk(n: unknown, scope: Rel[], aliases: Map<string, Rel>): void {
    if (Array.isArray(n)) {
      for (const x of n) this.walk(x, scope, aliases);
      return;
    }
    if (!n || typeof n !== 'object') return;
    const node = n as Node;
    if (node.SelectStmt) return this.reads(node, scope);
    if (node.RangeVar) {
      this.add(relation(node.RangeVar).key, `table ${relation(node.RangeVar).name}`, 'read');
      return;
    }
    if (node.ColumnRef) {
      const parts: Node[] = node.ColumnRef.fields ?? [];
      const names = parts.map((p) => p.String?.sval);
      const star = parts.some((p) => p.A_Star);
      if (names.length === 1 && names[0]) {
        for (const r of scope) this.column(r, names[0], 'read');
      } else if (names.length >= 2) {
        const qualifier = names[names.length - 2];
        const r = names.length >= 3 ? { key: `relation:${names[names.length - 3]}.${qualifier}`, name: `${names[names.length - 3]}.${qualifier}` } : aliases.get(qualifier!);
        if (r && names[names.length - 1]) this.column(r, names[names.length - 1]!, 'read');
        else if (r && star) this.add(r.key, `table ${r.name}`, 'read');
      }
      return;
    }
    if (node.FuncCall) {
      this.function(node.FuncCall.funcname);
      this.walk(node.FuncCall.args, scope, aliases);
      this.walk(node.FuncCall.agg_filter, scope, aliases);
      return;
    }
    if (node.TypeName) {
      const names = strings(node.TypeName.names);
      if (names.length && names[0] !== 'pg_catalog') this.type(node.TypeName.names, 'read');
      return;
    }
    for (const v of Object.values(node)) this.walk(v, scope, aliases);
  }

  list(): Touch[] {
    return [...this.seen.values()];
  }
}

/** The relations a FROM clause brings into scope, each with the name it is referred to by. */
function fromScope(from: unknown): { alias: string; rel: Rel }[] {
  const out: { alias: string; rel: Rel }[] = [];
  visitFrom(from, (item) => {
    if (item.RangeVar) {
      const rel = relation(item.RangeVar);
      out.push({ alias: item.RangeVar.alias?.aliasname ?? item.RangeVar.relname, rel });
    }
  });
  return out;
}

function aliasesOf(from: unknown, scope: Rel[]): Map<string, Rel> {
  const m = new Map(scope.map((r) => [r.name.split('.')[1], r]));
  for (const x of fromScope(from)) m.set(x.alias, x.rel);
  return m;
}

/** Calls `fn` on each item of a FROM clause, descending into joins. */
function visitFrom(from: unknown, fn: (item: Node) => void): void {
  for (const item of Array.isArray(from) ? from : from ? [from] : []) {
    if (!item || typeof item !== 'object') continue;
    fn(item);
    if (item.JoinExpr) visitFrom([item.JoinExpr.larg, item.JoinExpr.rarg], fn);
  }
}

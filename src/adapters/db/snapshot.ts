/**
 * Reads the schema snapshot of SPEC section 6 (`fmig schema`, `fmig check`) from the catalogs:
 * every user schema's objects, leaving out system schemas, objects that belong to an extension,
 * and fmig's own ledger and log tables with what hangs off them.
 */
import type { Column, Constraint, Extension, Grant, Index, Policy, Routine, SchemaInfo, Sequence, Snapshot, Table, Trigger, TypeDef, View } from '../../core/snapshot-diff.js';
import { normalise } from '../../core/snapshot-diff.js';
import type { Driver, Session } from './driver.js';
import { ident } from './driver.js';
import type { LedgerName } from './ledger.js';
import { LOCK_TABLE } from './table-lock.js';

type Row = Record<string, unknown>;

/** $1, $2, $3: the ledger, its log and the lock table (lock = "table"), quoted; missing ones drop out. */
const LEDGER = `with ledger(x) as (select r::oid from (values (to_regclass($1)), (to_regclass($2)), (to_regclass($3))) v(r) where r is not null)`;

/** The ledger tables and the relations that depend on them (the log's sequence, their indexes, TOAST). */
const EXCLUDED = `(select x from ledger union all select d.objid from pg_depend d join ledger on d.refobjid = ledger.x
  where d.classid = 'pg_class'::regclass and d.refclassid = 'pg_class'::regclass)`;

const userSchema = (n: string) => `${n}.nspname not in ('pg_catalog', 'information_schema', 'pg_toast') and ${n}.nspname !~ '^pg_(toast_)?temp_'`;

const notInExtension = (catalog: string, oid: string) =>
  `not exists (select 1 from pg_depend e where e.classid = '${catalog}'::regclass and e.objid = ${oid} and e.deptype = 'e')`;

/** A user relation of one of `kinds`, not fmig's and not an extension's; `c` joined to namespace `n`. */
const userRelation = (kinds: string) =>
  `c.relkind in (${kinds}) and ${userSchema('n')} and c.oid not in ${EXCLUDED} and ${notInExtension('pg_class', 'c.oid')}`;

const RELATIONS = `${LEDGER}
select n.nspname as schema, c.relname as name, c.relkind::text as kind, c.relpersistence::text as persistence,
       c.relrowsecurity as rls, c.relforcerowsecurity as force_rls, array_to_string(c.reloptions, ', ') as options,
       obj_description(c.oid, 'pg_class') as comment,
       case when c.relkind = 'p' then pg_get_partkeydef(c.oid) end as partition_key,
       case when c.relispartition then (select quote_ident(pn.nspname) || '.' || quote_ident(p.relname) || ' ' || pg_get_expr(c.relpartbound, c.oid)
                                          from pg_inherits i join pg_class p on p.oid = i.inhparent join pg_namespace pn on pn.oid = p.relnamespace
                                         where i.inhrelid = c.oid) end as partition_of,
       case when not c.relispartition then (select string_agg(quote_ident(pn.nspname) || '.' || quote_ident(p.relname), ', ' order by i.inhseqno)
                                              from pg_inherits i join pg_class p on p.oid = i.inhparent join pg_namespace pn on pn.oid = p.relnamespace
                                             where i.inhrelid = c.oid) end as inherits,
       case when c.relkind in ('v', 'm') then pg_get_viewdef(c.oid) end as definition
  from pg_class c join pg_namespace n on n.oid = c.relnamespace
 where ${userRelation(`'r', 'p', 'f', 'v', 'm'`)}`;

const COLUMNS = `${LEDGER}
select n.nspname as schema, c.relname as rel, a.attname as name, format_type(a.atttypid, a.atttypmod) as type, a.attnotnull as not_null,
       pg_get_expr(ad.adbin, ad.adrelid) as "default", a.attidentity::text as identity, a.attgenerated::text as generated,
       case when a.attcollation <> t.typcollation then quote_ident(cn.nspname) || '.' || quote_ident(co.collname) end as collation,
       col_description(c.oid, a.attnum) as comment, a.attnum as position
  from pg_attribute a join pg_class c on c.oid = a.attrelid join pg_namespace n on n.oid = c.relnamespace
  join pg_type t on t.oid = a.atttypid
  left join pg_attrdef ad on ad.adrelid = a.attrelid and ad.adnum = a.attnum
  left join pg_collation co on co.oid = a.attcollation left join pg_namespace cn on cn.oid = co.collnamespace
 where a.attnum > 0 and not a.attisdropped and ${userRelation(`'r', 'p', 'f'`)}`;

// NOT NULL constraints (PostgreSQL 18 lists them here) are the columns' `not null`; constraint
// triggers are listed with the triggers.
const CONSTRAINTS = `${LEDGER}
select n.nspname as schema, c.relname as rel, k.conname as name, k.contype::text as type, pg_get_constraintdef(k.oid) as definition,
       obj_description(k.oid, 'pg_constraint') as comment
  from pg_constraint k join pg_class c on c.oid = k.conrelid join pg_namespace n on n.oid = c.relnamespace
 where k.contype in ('p', 'u', 'f', 'c', 'x') and ${userRelation(`'r', 'p', 'f'`)}`;

// An index that implements a primary key, unique or exclusion constraint is that constraint.
const INDEXES = `${LEDGER}
select n.nspname as schema, c.relname as rel, i.relname as name, pg_get_indexdef(x.indexrelid) as definition, x.indisvalid as valid,
       obj_description(i.oid, 'pg_class') as comment
  from pg_index x join pg_class i on i.oid = x.indexrelid join pg_class c on c.oid = x.indrelid join pg_namespace n on n.oid = c.relnamespace
 where ${userRelation(`'r', 'p', 'f', 'm'`)}
   and not exists (select 1 from pg_constraint k where k.conindid = x.indexrelid and k.conrelid = x.indrelid and k.contype in ('p', 'u', 'x'))`;

const TRIGGERS = `${LEDGER}
select n.nspname as schema, c.relname as rel, g.tgname as name, pg_get_triggerdef(g.oid) as definition, g.tgenabled::text as enabled,
       obj_description(g.oid, 'pg_trigger') as comment
  from pg_trigger g join pg_class c on c.oid = g.tgrelid join pg_namespace n on n.oid = c.relnamespace
 where not g.tgisinternal and ${userRelation(`'r', 'p', 'f', 'v', 'm'`)}`;

const SEQUENCES = `${LEDGER}
select n.nspname as schema, c.relname as name, format_type(s.seqtypid, null) as type, s.seqstart::text as start, s.seqincrement::text as increment,
       s.seqmin::text as min, s.seqmax::text as max, s.seqcache::text as cache, s.seqcycle as cycle,
       (select quote_ident(tn.nspname) || '.' || quote_ident(t.relname) || '.' || quote_ident(a.attname) || case when d.deptype = 'i' then ' (identity)' else '' end
          from pg_depend d join pg_class t on t.oid = d.refobjid join pg_namespace tn on tn.oid = t.relnamespace
          join pg_attribute a on a.attrelid = d.refobjid and a.attnum = d.refobjsubid
         where d.classid = 'pg_class'::regclass and d.objid = c.oid and d.refclassid = 'pg_class'::regclass and d.deptype in ('a', 'i')
         limit 1) as owned_by,
       obj_description(c.oid, 'pg_class') as comment
  from pg_sequence s join pg_class c on c.oid = s.seqrelid join pg_namespace n on n.oid = c.relnamespace
 where ${userRelation(`'S'`)}`;

const ROUTINES = `
select n.nspname as schema, p.proname as name, p.prokind::text as kind, pg_get_function_identity_arguments(p.oid) as arguments,
       case when p.prokind <> 'a' then pg_get_functiondef(p.oid)
            else (select 'sfunc ' || a.aggtransfn::text || ', stype ' || format_type(a.aggtranstype, null)
                         || case when a.aggfinalfn::oid <> 0 then ', finalfunc ' || a.aggfinalfn::text else '' end
                         || coalesce(', initcond ' || quote_literal(a.agginitval), '')
                    from pg_aggregate a where a.aggfnoid = p.oid) end as definition,
       obj_description(p.oid, 'pg_proc') as comment
  from pg_proc p join pg_namespace n on n.oid = p.pronamespace
 where ${userSchema('n')} and ${notInExtension('pg_proc', 'p.oid')}`;

// Row types of tables and views, array types and the multirange made with each range are
// implied by those objects; a composite type is listed when it stands alone.
const TYPES = `
select n.nspname as schema, t.typname as name, t.typtype::text as kind, t.typnotnull as not_null, t.typdefault as "default",
       case t.typtype
         when 'e' then (select string_agg(quote_literal(e.enumlabel), ', ' order by e.enumsortorder) from pg_enum e where e.enumtypid = t.oid)
         when 'd' then format_type(t.typbasetype, t.typtypmod)
         when 'r' then (select format_type(r.rngsubtype, null) from pg_range r where r.rngtypid = t.oid)
         when 'c' then (select string_agg(quote_ident(a.attname) || ' ' || format_type(a.atttypid, a.atttypmod), ', ' order by a.attnum)
                          from pg_attribute a where a.attrelid = t.typrelid and a.attnum > 0 and not a.attisdropped)
       end as definition,
       (select array_to_string(array_agg(quote_ident(k.conname) || ' ' || pg_get_constraintdef(k.oid) order by k.conname), chr(10))
          from pg_constraint k where k.contypid = t.oid and k.contype <> 'n') as constraints,
       obj_description(t.oid, 'pg_type') as comment
  from pg_type t join pg_namespace n on n.oid = t.typnamespace
 where ${userSchema('n')} and ${notInExtension('pg_type', 't.oid')}
   and (t.typtype in ('e', 'd', 'r') or (t.typtype = 'c' and (select c.relkind from pg_class c where c.oid = t.typrelid) = 'c'))`;

const roleName = (oid: string) => `case when ${oid} = 0 then 'PUBLIC' else quote_ident(pg_get_userbyid(${oid})) end`;

/**
 * The privileges on an object that differ from its default (`acldefault`), owner's left out:
 * those granted beyond the default, and default ones revoked. `acl` null means the default.
 */
const aclDiff = (acl: string, byDefault: string, owner: string) => `cross join lateral (
  (select a.privilege_type, a.grantee, a.is_grantable, false from aclexplode(coalesce(${acl}, ${byDefault})) a where a.grantee <> ${owner}
   except select d.privilege_type, d.grantee, d.is_grantable, false from aclexplode(${byDefault}) d)
  union all
  select d.privilege_type, d.grantee, false, true from aclexplode(${byDefault}) d
   where d.grantee <> ${owner} and not exists (select 1 from aclexplode(coalesce(${acl}, ${byDefault})) a where a.grantee = d.grantee and a.privilege_type = d.privilege_type)
) g(privilege, grantee_oid, grantable, revoked)`;
const GRANT_COLUMNS = `g.privilege, ${roleName('g.grantee_oid')} as grantee, g.grantable, g.revoked`;

const RELATION_GRANTS = `${LEDGER}
select n.nspname as schema, c.relname as rel, ${GRANT_COLUMNS}
  from pg_class c join pg_namespace n on n.oid = c.relnamespace
  ${aclDiff('c.relacl', `acldefault(case when c.relkind = 'S' then 's' else 'r' end::"char", c.relowner)`, 'c.relowner')}
 where c.relacl is not null and ${userRelation(`'r', 'p', 'f', 'v', 'm', 'S'`)}`;

const ROUTINE_GRANTS = `
select n.nspname as schema, p.proname || '(' || pg_get_function_identity_arguments(p.oid) || ')' as rel, ${GRANT_COLUMNS}
  from pg_proc p join pg_namespace n on n.oid = p.pronamespace
  ${aclDiff('p.proacl', `acldefault('f', p.proowner)`, 'p.proowner')}
 where p.proacl is not null and ${userSchema('n')} and ${notInExtension('pg_proc', 'p.oid')}`;

// The public schema is made with USAGE for everyone: that is its default.
const SCHEMA_GRANTS = `
select n.nspname as schema, '' as rel, ${GRANT_COLUMNS}
  from pg_namespace n
  ${aclDiff('n.nspacl', `case when n.nspname = 'public' then array_append(acldefault('n', n.nspowner), makeaclitem(0, n.nspowner, 'USAGE', false)) else acldefault('n', n.nspowner) end`, 'n.nspowner')}
 where n.nspacl is not null and ${userSchema('n')} and ${notInExtension('pg_namespace', 'n.oid')}`;

const POLICIES = `${LEDGER}
select n.nspname as schema, c.relname as rel, p.polname as name, p.polcmd::text as command, p.polpermissive as permissive,
       (select string_agg(r.name, ', ' order by r.name) from (select ${roleName('u.oid')} as name from unnest(p.polroles) u(oid)) r) as roles,
       pg_get_expr(p.polqual, p.polrelid) as using, pg_get_expr(p.polwithcheck, p.polrelid) as check
  from pg_policy p join pg_class c on c.oid = p.polrelid join pg_namespace n on n.oid = c.relnamespace
 where ${userRelation(`'r', 'p', 'f'`)}`;

const SCHEMAS = `select n.nspname as name, obj_description(n.oid, 'pg_namespace') as comment from pg_namespace n
 where ${userSchema('n')} and ${notInExtension('pg_namespace', 'n.oid')}`;

// plpgsql is in every database; listing it would only add noise.
const EXTENSIONS = `select e.extname as name, e.extversion as version, n.nspname as schema
  from pg_extension e join pg_namespace n on n.oid = e.extnamespace where e.extname <> 'plpgsql'`;

const str = (v: unknown): string | null => (v === null || v === undefined ? null : String(v));
const key = (r: Row) => `${r.schema}\u0000${r.rel}`;

function group<T>(rows: Row[], make: (r: Row) => T): Map<string, T[]> {
  const out = new Map<string, T[]>();
  for (const r of rows) {
    const k = key(r);
    if (!out.has(k)) out.set(k, []);
    out.get(k)!.push(make(r));
  }
  return out;
}

const CONSTRAINT_TYPES: Record<string, string> = { p: 'PRIMARY KEY', u: 'UNIQUE', f: 'FOREIGN KEY', c: 'CHECK', x: 'EXCLUDE' };
const TRIGGER_STATES: Record<string, string> = { O: 'origin', D: 'disabled', R: 'replica', A: 'always' };
const TABLE_KINDS: Record<string, string> = { r: 'table', p: 'partitioned table', f: 'foreign table' };
const ROUTINE_KINDS: Record<string, string> = { f: 'function', p: 'procedure', a: 'aggregate', w: 'window function' };
const TYPE_KINDS: Record<string, TypeDef['kind']> = { e: 'enum', d: 'domain', c: 'composite', r: 'range' };
const POLICY_COMMANDS: Record<string, string> = { '*': 'ALL', r: 'SELECT', a: 'INSERT', w: 'UPDATE', d: 'DELETE' };

const toGrant = (r: Row): Grant => ({ privilege: String(r.privilege), grantee: String(r.grantee), grantable: r.grantable === true, revoked: r.revoked === true });

/**
 * Reads the snapshot in one read-only transaction, names qualified with their schema
 * (search_path is pg_catalog only), the ledger `ledger` and its log left out.
 */
export async function readSnapshot(db: Driver, ledger: LedgerName): Promise<Snapshot> {
  return db.transaction(async (tx) => {
    await tx.exec(`SET TRANSACTION READ ONLY; SET LOCAL search_path = pg_catalog`);
    return read(tx, ledger);
  });
}

async function read(tx: Session, ledger: LedgerName): Promise<Snapshot> {
  const params = [`${ident(ledger.schema)}.${ident(ledger.table)}`, `${ident(ledger.schema)}.${ident(ledger.table + '_log')}`, `${ident(ledger.schema)}.${ident(LOCK_TABLE)}`];
  // Each query's rows come back as one JSON text: the embedded database's driver pays per row and
  // per field in JavaScript, which made reading hundreds of tables' columns several times slower
  // than running the query; one text and JSON.parse cost little on either driver.
  const q = async (sql: string, withLedger = true, order = ''): Promise<Row[]> => {
    const [row] = await tx.query<{ rows: string }>(`select coalesce(json_agg(q${order}), '[]')::text as rows from (${sql}) q`, withLedger ? params : []);
    return JSON.parse(row.rows) as Row[];
  };
  // One after another: a transaction runs one statement at a time on either driver.
  const relations = await q(RELATIONS);
  const columns = group<Column>(await q(COLUMNS, true, ' order by q.position'), (r) => ({
    name: String(r.name),
    type: String(r.type),
    notNull: r.not_null === true,
    default: str(r.default),
    identity: r.identity === 'a' ? 'always' : r.identity === 'd' ? 'by default' : null,
    generated: r.generated === 's' ? `(${r.default}) stored` : r.generated === 'v' ? `(${r.default}) virtual` : null,
    collation: str(r.collation),
    comment: str(r.comment),
  }));
  const constraints = group<Constraint>(await q(CONSTRAINTS), (r) => ({
    name: String(r.name),
    type: CONSTRAINT_TYPES[String(r.type)] ?? String(r.type),
    definition: String(r.definition),
    comment: str(r.comment),
  }));
  const indexes = group<Index>(await q(INDEXES), (r) => ({ name: String(r.name), definition: String(r.definition), valid: r.valid === true, comment: str(r.comment) }));
  const triggers = group<Trigger>(await q(TRIGGERS), (r) => ({
    name: String(r.name),
    definition: String(r.definition),
    enabled: TRIGGER_STATES[String(r.enabled)] ?? String(r.enabled),
    comment: str(r.comment),
  }));
  const sequences: Sequence[] = (await q(SEQUENCES)).map((r) => ({
    schema: String(r.schema),
    name: String(r.name),
    type: String(r.type),
    start: String(r.start),
    increment: String(r.increment),
    min: String(r.min),
    max: String(r.max),
    cache: String(r.cache),
    cycle: r.cycle === true,
    ownedBy: str(r.owned_by),
    comment: str(r.comment),
  }));
  const functions: Routine[] = (await q(ROUTINES, false)).map((r) => ({
    schema: String(r.schema),
    name: String(r.name),
    kind: ROUTINE_KINDS[String(r.kind)] ?? String(r.kind),
    arguments: String(r.arguments ?? ''),
    definition: String(r.definition ?? ''),
    comment: str(r.comment),
  }));
  const types: TypeDef[] = (await q(TYPES, false)).map((r) => ({
    schema: String(r.schema),
    name: String(r.name),
    kind: TYPE_KINDS[String(r.kind)],
    definition: String(r.definition ?? ''),
    notNull: r.not_null === true,
    default: str(r.default),
    constraints: r.constraints ? String(r.constraints).split('\n') : [],
    comment: str(r.comment),
  }));
  const relationGrants = group<Grant>(await q(RELATION_GRANTS), toGrant);
  const routineGrants = group<Grant>(await q(ROUTINE_GRANTS, false), toGrant);
  const schemaGrants = group<Grant>(await q(SCHEMA_GRANTS, false), toGrant);
  const policies = group<Policy>(await q(POLICIES), (r) => ({
    name: String(r.name),
    command: POLICY_COMMANDS[String(r.command)] ?? String(r.command),
    permissive: r.permissive === true,
    roles: String(r.roles ?? 'PUBLIC').split(', '),
    using: str(r.using),
    check: str(r.check),
  }));
  const grantsOf = (m: Map<string, Grant[]>, schema: string, rel: string) => m.get(`${schema}\u0000${rel}`) ?? [];
  for (const f of functions) f.grants = grantsOf(routineGrants, f.schema, `${f.name}(${f.arguments})`);
  for (const q of sequences) q.grants = grantsOf(relationGrants, q.schema, q.name);
  const extensions: Extension[] = (await q(EXTENSIONS, false)).map((r) => ({ name: String(r.name), version: String(r.version), schema: String(r.schema) }));
  const schemas: SchemaInfo[] = (await q(SCHEMAS, false)).map((r) => ({ name: String(r.name), grants: grantsOf(schemaGrants, String(r.name), ''), comment: str(r.comment) }));

  const tables: Table[] = [];
  const views: View[] = [];
  for (const r of relations) {
    const k = `${r.schema}\u0000${r.name}`;
    const base = { schema: String(r.schema), name: String(r.name), options: str(r.options) || null, comment: str(r.comment) };
    if (r.kind === 'v' || r.kind === 'm') {
      views.push({
        ...base,
        materialized: r.kind === 'm',
        definition: String(r.definition ?? '').replace(/\s+/g, ' ').trim(),
        indexes: indexes.get(k) ?? [],
        triggers: triggers.get(k) ?? [],
        grants: relationGrants.get(k) ?? [],
      });
      continue;
    }
    tables.push({
      ...base,
      kind: `${r.persistence === 'u' ? 'unlogged ' : ''}${TABLE_KINDS[String(r.kind)]}`,
      partitionKey: str(r.partition_key),
      partitionOf: str(r.partition_of),
      inherits: str(r.inherits),
      rowSecurity: r.force_rls === true ? 'forced' : r.rls === true ? 'enabled' : null,
      columns: columns.get(k) ?? [],
      constraints: constraints.get(k) ?? [],
      indexes: indexes.get(k) ?? [],
      triggers: triggers.get(k) ?? [],
      policies: policies.get(k) ?? [],
      grants: relationGrants.get(k) ?? [],
    });
  }
  return normalise({ schemas: withoutLedgerSchema(schemas, ledger, { types, sequences, tables, views, functions, extensions }), extensions, types, sequences, tables, views, functions });
}

/** The ledger's own schema, when fmig made it for the ledger alone, is fmig's too. */
function withoutLedgerSchema(schemas: SchemaInfo[], ledger: LedgerName, rest: Omit<Snapshot, 'schemas'>): SchemaInfo[] {
  if (ledger.schema === 'public') return schemas;
  const used = [...rest.types, ...rest.sequences, ...rest.tables, ...rest.views, ...rest.functions].some((o) => o.schema === ledger.schema) || rest.extensions.some((e) => e.schema === ledger.schema);
  return used ? schemas : schemas.filter((s) => s.name !== ledger.schema || s.comment !== null);
}

/** What a database holds beyond what a new one has: the test a restore makes before it writes anything. */
import type { Session } from './driver.js';

export interface UserObjects {
  /** How many objects in all. */
  total: number;
  /** The first few, e.g. `table public.accounts`, `schema billing`, `extension pgcrypto`. */
  first: string[];
}

/**
 * Schemas (an empty `public` aside), tables, views, sequences, functions, types and extensions
 * (`plpgsql` aside) that a user made; objects that belong to an extension count as the extension.
 */
export async function userObjects(s: Session, limit = 5): Promise<UserObjects> {
  const rows = await s.query<{ what: string; total: string }>(
    `with own as (select oid, nspname from pg_namespace
                   where nspname <> 'information_schema' and nspname !~ '^pg_'),
          ext as (select objid from pg_depend where deptype = 'e'),
          found as (
            select 1 as o, 'schema ' || nspname as what from own where nspname <> 'public'
            union all
            select case c.relkind when 'S' then 7 when 'v' then 3 when 'm' then 3 else 2 end,
                   (case c.relkind when 'v' then 'view ' when 'm' then 'materialized view ' when 'S' then 'sequence '
                                   when 'f' then 'foreign table ' else 'table ' end) || n.nspname || '.' || c.relname
              from pg_class c join own n on n.oid = c.relnamespace
             where c.relkind in ('r', 'p', 'v', 'm', 'S', 'f') and c.oid not in (select objid from ext)
            union all
            select 4, 'extension ' || extname from pg_extension where extname <> 'plpgsql'
            union all
            select 5, 'function ' || n.nspname || '.' || p.proname
              from pg_proc p join own n on n.oid = p.pronamespace where p.oid not in (select objid from ext)
            union all
            select 6, 'type ' || n.nspname || '.' || t.typname
              from pg_type t join own n on n.oid = t.typnamespace
             where t.typtype in ('e', 'd', 'r', 'm') and t.oid not in (select objid from ext)
          )
     select what, count(*) over () as total from found order by o, what limit ${Math.max(1, Math.floor(limit))}`,
  );
  return { total: rows.length ? Number(rows[0].total) : 0, first: rows.map((r) => r.what) };
}

/**
 * The runs a selection of targets makes: one per target, or one per schema of a target with
 * `schemas` (its names, or what its query returns on the target's server), each with the
 * settings the command sees.
 */
import type { Config, TargetSettings } from '../adapters/config-types.js';
import { StateError } from '../core/errors.js';

/** One run: a database, or one tenant's schema on a server. */
export interface Unit {
  /** Null: the configured database (a glob `dir` run without targets). */
  target: string | null;
  schema: string | null;
  /** The folder's path, when `dir` is a glob. */
  folder?: string | null;
  /** `eu`, `tenants/tenant_042`, `eu services/billing/sql`: how output names the run. */
  label: string;
  config: Config;
}

/** A target that makes no runs because its schemas could not be listed. */
export interface TargetFailure {
  target: string;
  error: unknown;
}

/** The settings of one run: the target's database and `[database]` keys; a tenant's schema holds its ledger and is its search_path. */
export function unitConfig(base: Config, t: TargetSettings, schema: string | null, gitCommit?: string | null): Config {
  return {
    ...base,
    database: {
      ...base.database,
      ...t.database,
      url: t.url ?? base.database.url,
      urlSource: t.urlSource ?? base.database.urlSource,
      ...(schema !== null ? { schema } : {}),
    },
    target: { name: t.name, schema, gitCommit },
  };
}

/** Every run of the chosen targets, in the order of the targets and then of the schema names. */
export async function expandUnits(base: Config, chosen: TargetSettings[], gitCommit?: string | null): Promise<{ units: Unit[]; failed: TargetFailure[] }> {
  const units: Unit[] = [];
  const failed: TargetFailure[] = [];
  const lists = await Promise.all(
    chosen.map(async (t) => {
      if (t.schemas === null) return { t, names: [null] as (string | null)[] };
      if ('names' in t.schemas) return { t, names: t.schemas.names };
      try {
        return { t, names: await querySchemas(unitConfig(base, t, null), t.schemas.query, t.name) };
      } catch (e) {
        failed.push({ target: t.name, error: e });
        return { t, names: [] };
      }
    }),
  );
  for (const { t, names } of lists) {
    for (const schema of names) units.push({ target: t.name, schema, label: schema === null ? t.name : `${t.name}/${schema}`, config: unitConfig(base, t, schema, gitCommit) });
  }
  return { units, failed };
}

/** The schema names a target's query returns (its first column), sorted; on the target's own server. */
async function querySchemas(config: Config, query: string, name: string): Promise<string[]> {
  const { openDatabase } = await import('../adapters/db/open.js');
  const db = await openDatabase(config.database.url, {
    baseDir: config.root,
    lockTimeoutMs: config.database.lockTimeoutMs,
    statementTimeoutMs: config.database.statementTimeoutMs,
  });
  let rows: Record<string, unknown>[];
  try {
    rows = await db.query(query);
  } catch (e) {
    const { toDbError } = await import('../adapters/db/driver.js');
    const dbe = toDbError(e);
    if (!dbe) throw e;
    throw new StateError('schemas-query', `targets.${name}.schemas: the query failed: ${dbe.message}${dbe.sqlstate ? ` (SQLSTATE ${dbe.sqlstate})` : ''}`, 'the query must return the schema names in its first column, e.g. select nspname from pg_namespace where nspname like \'tenant\\_%\'');
  } finally {
    await db.close();
  }
  const names = rows.map((r) => Object.values(r)[0]);
  const bad = names.find((n) => typeof n !== 'string' || n === '');
  if (bad !== undefined || (rows.length && Object.keys(rows[0]).length === 0)) {
    throw new StateError('schemas-query', `targets.${name}.schemas: the query returned ${bad === null ? 'a null' : `a value that is not a schema name (${String(bad)})`}`, 'return the schema names, as text, in the first column');
  }
  return [...new Set(names as string[])].sort();
}

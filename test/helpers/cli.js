/**
 * The fmig CLI as a user runs it, in temp projects built from object literals.
 *
 *   const p = await project({ '001_a': { up: 'create table a();', down: 'drop table a;' } });
 *   const r = await p.fmig('up', '--url', url);          // { code, stdout, stderr }
 *   await p.fmig('up', '--url', url, { process: true }); // as `node bin/fmig`, a process of its own
 *   const rows = await inspect(url, (db) => db.query('select * from fmig_ledger'));
 *   await removeProjects();                              // in an after.each
 *
 * A revision given as a string is its up file only (no down file: irreversible). Files are
 * written as given: a Buffer or a string with CRLF or a BOM stays byte for byte.
 */
import { mkdir, writeFile, unlink, readFile, cp } from 'node:fs/promises';
import { mkdtempSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import os from 'node:os';
import path from 'node:path';
import { tempDir as makeTemp, removeTemps } from './temp.js';
import { openDatabase } from '../../dist/adapters/db/open.js';
import { runFmig as run, FMIG_BIN } from './fmig-run.js';

export { FMIG_BIN };
export const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));

/**
 * The child's environment: no database URL from the caller's shell, no user git config, no
 * colour, and a short lock timeout so a bug that leaves the lock held fails fast.
 */
export function cliEnv(extra = {}) {
  const env = { ...process.env };
  for (const k of Object.keys(env)) if (/^(FMIG_|DATABASE_URL$|GIT_DIR$|GIT_WORK_TREE$|GIT_INDEX_FILE$|PG[A-Z]+$)/.test(k)) delete env[k];
  return { ...env, NO_COLOR: '1', GIT_CONFIG_GLOBAL: '/dev/null', GIT_CONFIG_NOSYSTEM: '1', GIT_TERMINAL_PROMPT: '0', ...extra };
}

/**
 * Runs fmig with `args` in `cwd`; resolves with `{ code, stdout, stderr }`, never rejects on a
 * non-zero exit. In this process unless `{ process: true }` (see fmig-run.js).
 */
export function runFmig(cwd, args, { env = cliEnv(), process: real = false } = {}) {
  return run(cwd, args, { env, process: real });
}

/** A fresh temp directory, removed by `removeProjects()`. */
export const tempDir = (prefix = 'fmig-engine-') => makeTemp(prefix);

/** Removes every temp directory made so far. */
export const removeProjects = removeTemps;

/** `{ '<id>_<slug>': { up, down } | up }` → `{ 'sql/<id>_<slug>.up.sql': ..., ... }`. */
export function revisionFiles(revisions, dir = 'sql') {
  const files = {};
  for (const [name, r] of Object.entries(revisions)) {
    const { up, down } = typeof r === 'string' || Buffer.isBuffer(r) ? { up: r } : r;
    if (up !== undefined) files[`${dir}/${name}.up.sql`] = up;
    if (down !== undefined) files[`${dir}/${name}.down.sql`] = down;
  }
  return files;
}

/**
 * A temp project: migrate.toml (`toml`, default `dir = "sql"`) and the revisions in sql/.
 * Returns helpers bound to it.
 */
export async function project(revisions = {}, { toml = 'dir = "sql"\n', files = {} } = {}) {
  const dir = await tempDir();
  const p = {
    dir,
    /** Writes files relative to the project (null deletes). */
    async write(f) {
      for (const [rel, content] of Object.entries(f)) {
        const file = path.join(dir, rel);
        if (content === null) await unlink(file).catch(() => {});
        else {
          await mkdir(path.dirname(file), { recursive: true });
          await writeFile(file, content);
        }
      }
    },
    /** Adds or replaces revisions (`null` as a revision deletes both files). */
    async revisions(revs) {
      const out = {};
      for (const [name, r] of Object.entries(revs)) {
        if (r === null) Object.assign(out, { [`sql/${name}.up.sql`]: null, [`sql/${name}.down.sql`]: null });
        else Object.assign(out, revisionFiles({ [name]: r }));
      }
      await p.write(out);
    },
    read: (rel) => readFile(path.join(dir, rel), 'utf8'),
    /**
     * Runs fmig in the project; `--json` output is parsed into `json`. A last argument of
     * options: `cwd`, `env`, `process: true` for a process of its own (signals, exit
     * behaviour); otherwise it runs in this process (fmig-run.js).
     */
    async fmig(...args) {
      const opts = args.length && typeof args[args.length - 1] === 'object' ? args.pop() : {};
      const r = await runFmig(opts.cwd ?? dir, args, { env: opts.env ?? cliEnv(), process: !!opts.process });
      let json;
      if (args.includes('--json')) {
        try {
          json = JSON.parse(r.stdout);
        } catch {
          json = undefined;
        }
      }
      return { ...r, json };
    },
    /** p.fmig as `node bin/fmig`, always a process of its own. */
    fmigProcess: (...args) => {
      const opts = args.length && typeof args[args.length - 1] === 'object' ? args.pop() : {};
      return p.fmig(...args, { ...opts, process: true });
    },
  };
  await p.write({ 'migrate.toml': toml, ...revisionFiles(revisions), ...files });
  await mkdir(path.join(dir, 'sql'), { recursive: true });
  return p;
}

/** A temp copy of this repository's own sql/ and migrate.toml. */
export async function repositoryCopy() {
  const p = await project({}, { toml: await readFile(path.join(REPO_ROOT, 'migrate.toml'), 'utf8') });
  await cp(path.join(REPO_ROOT, 'sql'), path.join(p.dir, 'sql'), { recursive: true });
  return p;
}

let noSql;

/**
 * An empty folder, as the SQL folder of inspect(): on the embedded database it loads the
 * extensions the database has (its state file says which), as fmig does for a folder that
 * names none, instead of every contrib extension (about half the cost of an open).
 */
export function emptySqlDir() {
  if (!noSql) {
    noSql = mkdtempSync(path.join(os.tmpdir(), 'fmig-inspect-'));
    process.on('exit', () => rmSync(noSql, { recursive: true, force: true }));
  }
  return noSql;
}

/**
 * Opens the database at `url` directly (not through the CLI), runs `fn(db)`, closes it. On the
 * embedded database, closing records the default ledger in the state file as fmig does, so the
 * CLI's next run with nothing to write need not start the database. The extensions loaded are
 * those installed (see emptySqlDir): `fn` cannot create one that is not.
 */
export async function inspect(url, fn) {
  const db = await openDatabase(url, {
    baseDir: os.tmpdir(),
    lockTimeoutMs: 10000,
    statementTimeoutMs: 0,
    ledger: { schema: 'public', table: 'fmig_ledger' },
    sqlDir: emptySqlDir(),
  });
  try {
    return await fn(db);
  } finally {
    await db.close();
  }
}

/** The ledger rows (by revision), the log rows (by id) and the user tables of `schema`, in one visit. */
export async function state(url, opts = {}) {
  return inspect(url, (db) => stateIn(db, opts));
}

/** state() on a database already open. */
export async function stateIn(db, { schema = 'public', ledger = 'fmig_ledger' } = {}) {
  const q = (name) => `"${name.replace(/"/g, '""')}"`;
  const [has] = await db.query(`select to_regclass($1) is not null as ok`, [`${q(schema)}.${q(ledger)}`]);
  const rows = has.ok ? await db.query(`select * from ${q(schema)}.${q(ledger)} order by revision`) : [];
  const log = has.ok ? await db.query(`select * from ${q(schema)}.${q(ledger + '_log')} order by id`) : [];
  const tables = (
    await db.query(
      `select table_schema || '.' || table_name as t from information_schema.tables
        where table_schema not in ('pg_catalog', 'information_schema') and table_name not like $1 order by 1`,
      [`${ledger}%`],
    )
  ).map((r) => r.t);
  return { rows, log, tables };
}

/**
 * A normalised picture of the user schema (fmig's ledger left out): columns, constraints,
 * indexes, views, functions, triggers, enum labels, sequences. Equal snapshots mean the same schema.
 */
export const SNAPSHOT_SQL = `
select 'column' as kind, table_schema || '.' || table_name || '.' || column_name || ' ' || data_type || ' ' || is_nullable || ' ' || coalesce(column_default, '') as item
  from information_schema.columns where table_schema not in ('pg_catalog', 'information_schema') and table_name not like 'fmig_ledger%'
union all
select 'constraint', conrelid::regclass::text || ' ' || conname || ' ' || pg_get_constraintdef(c.oid)
  from pg_constraint c join pg_namespace n on n.oid = c.connamespace
 where n.nspname not in ('pg_catalog', 'information_schema') and conrelid::regclass::text not like 'fmig_ledger%'
union all
select 'index', schemaname || '.' || indexname || ' ' || indexdef from pg_indexes
 where schemaname not in ('pg_catalog', 'information_schema') and tablename not like 'fmig_ledger%'
union all
select 'view', schemaname || '.' || viewname || ' ' || definition from pg_views where schemaname not in ('pg_catalog', 'information_schema')
union all
select 'function', n.nspname || '.' || p.proname || '(' || pg_get_function_arguments(p.oid) || ') ' || md5(p.prosrc)
  from pg_proc p join pg_namespace n on n.oid = p.pronamespace where n.nspname not in ('pg_catalog', 'information_schema')
union all
select 'trigger', tgrelid::regclass::text || ' ' || tgname from pg_trigger where not tgisinternal
union all
select 'enum', t.typname || ' ' || e.enumsortorder || ' ' || e.enumlabel from pg_enum e join pg_type t on t.oid = e.enumtypid
union all
select 'sequence', sequence_schema || '.' || sequence_name from information_schema.sequences
 where sequence_schema not in ('pg_catalog', 'information_schema') and sequence_name not like 'fmig_ledger%'
order by 1, 2`;

/** The schema snapshot of SNAPSHOT_SQL as a list of lines. */
export async function snapshot(url) {
  return inspect(url, snapshotIn);
}

/** snapshot() on a database already open. */
export async function snapshotIn(db) {
  return (await db.query(SNAPSHOT_SQL)).map((r) => `${r.kind} ${r.item}`);
}

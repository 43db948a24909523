/**
 * The embedded database (`pglite://`): PostgreSQL in wasm, in memory or in a data directory.
 *
 * Two processes that open one data directory at once lose each other's writes (each runs its
 * own single-user PostgreSQL over the same files), so a data directory is opened only under
 * its lock file (lockfile.ts), taken before PGlite touches the directory and held until
 * close(). That one lock is also the writers' lock of SPEC section 4: `lock()` has nothing
 * left to wait for. A process that finds another holding the directory waits up to the
 * configured lock_wait, reporting the holder through `onNotice`.
 */
import fs from 'node:fs';
import path from 'node:path';
import { PGlite, types, type Extensions } from '@electric-sql/pglite';
import { ScriptFailed, type Driver, type OpenOptions, type Session } from './driver.js';
import { acquireLockFile } from './lockfile.js';
import { UnreachableError } from '../../core/errors.js';

/**
 * Value types as the postgres driver returns them: int8 as a string (a count can pass 2^53),
 * numeric as a string, int2/int4/float as numbers, timestamptz as Date, text[] as string[].
 */
const parsers = { [types.INT8]: (x: string) => x };

/**
 * The contrib extensions PGlite ships, so that `CREATE EXTENSION pgcrypto` (uuid-ossp, pg_trgm,
 * citext, hstore ...) works in the embedded database as on a server. Each is loaded only when
 * a revision creates it.
 */
const CONTRIB = [
  'btree_gin', 'btree_gist', 'citext', 'cube', 'earthdistance', 'fuzzystrmatch', 'hstore', 'intarray', 'isn', 'lo',
  'ltree', 'moddatetime', 'pg_trgm', 'pgcrypto', 'seg', 'tablefunc', 'tcn', 'unaccent', 'uuid_ossp',
] as const;

async function contrib(): Promise<Extensions> {
  const mods = await Promise.all(CONTRIB.map((name) => import(`@electric-sql/pglite/contrib/${name}`).then((m) => m[name])));
  return Object.fromEntries(CONTRIB.map((name, i) => [name, mods[i]])) as Extensions;
}

/** Opens PGlite in memory (`dir` null) or in `dir` (absolute), creating it on first use; `label` names it in messages. */
export async function openPglite(dir: string | null, label: string, opts: OpenOptions): Promise<Driver> {
  const extensions = await contrib();
  if (dir === null) return wrap(await PGlite.create({ parsers, extensions }), 'pglite://memory', () => {});
  fs.mkdirSync(path.dirname(dir), { recursive: true });
  const notice = opts.onNotice ?? opts.onProgress;
  const release = await acquireLockFile(`${dir}.lock`, {
    timeoutMs: opts.lockWaitMs ?? opts.lockTimeoutMs,
    onWait: (holder) => notice?.(`waiting for the embedded database ${label}, in use by ${holder}...`),
    onTakeOver: (holder) => notice?.(`took over the lock of the embedded database ${label}: its holder, ${holder}, is gone`),
  });
  try {
    if (!fs.existsSync(path.join(dir, 'PG_VERSION'))) await create(dir, label, opts);
    return wrap(await PGlite.create(dir, { parsers, extensions }), `pglite://${label}`, release);
  } catch (e) {
    release();
    throw e;
  }
}

/**
 * Makes a new data directory: initdb into a sibling, then a rename, so that a run that dies
 * half-way never leaves a half-made directory behind for the next run to trip over. The
 * caller holds the lock, so any sibling left by an earlier run is dead and removed here.
 */
async function create(dir: string, label: string, opts: OpenOptions): Promise<void> {
  if (fs.existsSync(dir) && fs.readdirSync(dir).length > 0) {
    throw new UnreachableError(
      `${label} is not an embedded database: the directory has files but no PG_VERSION`,
      'point database.url at another directory, or move this one away',
    );
  }
  const base = path.basename(dir);
  for (const name of fs.readdirSync(path.dirname(dir))) {
    if (name.startsWith(`${base}.init-`)) fs.rmSync(path.join(path.dirname(dir), name), { recursive: true, force: true });
  }
  opts.onProgress?.(`creating the embedded database in ${label} (first run)...`);
  const tmp = `${dir}.init-${process.pid}`;
  try {
    const db = await PGlite.create(tmp);
    await db.close();
    if (fs.existsSync(dir)) fs.rmdirSync(dir); // empty (checked above): one the user made
    fs.renameSync(tmp, dir);
  } catch (e) {
    fs.rmSync(tmp, { recursive: true, force: true });
    throw new UnreachableError(`could not create the embedded database in ${label}: ${(e as Error).message ?? e}`);
  }
}

function wrap(db: PGlite, display: string, release: () => void): Driver {
  let inTransaction = false;
  let closed = false;
  const session = (q: Pick<PGlite, 'query' | 'exec'>): Session => ({
    async query<T>(sql: string, params?: unknown[]) {
      return (await q.query<T>(sql, params)).rows;
    },
    async exec(sql: string) {
      await q.exec(sql);
    },
  });
  const outside = session(db);
  const guard = () => {
    if (inTransaction) throw new Error('a statement was sent outside the open transaction; use the transaction\'s session');
  };
  return {
    kind: 'pglite',
    embedded: true,
    display,
    query(sql, params) {
      guard();
      return outside.query(sql, params);
    },
    exec(sql) {
      guard();
      return outside.exec(sql);
    },
    async transaction(fn) {
      guard();
      inTransaction = true;
      try {
        return await db.transaction((tx) => fn(session(tx)));
      } finally {
        inTransaction = false;
      }
    },
    async transact(scripts) {
      guard();
      inTransaction = true;
      try {
        await db.transaction(async (tx) => {
          for (const [i, script] of scripts.entries()) {
            try {
              await tx.exec(script);
            } catch (e) {
              throw new ScriptFailed(i, e);
            }
          }
        });
      } finally {
        inTransaction = false;
      }
    },
    // No other session exists to block this one.
    monitor() {
      return null;
    },
    // The data directory's lock file is held from open to close (see the top of this file).
    async lock() {
      return async () => {};
    },
    async close() {
      if (closed) return;
      closed = true;
      try {
        await db.close();
      } finally {
        release();
      }
    },
  };
}

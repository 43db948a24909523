/**
 * The embedded database (`pglite://`): PostgreSQL in wasm, in a data directory, or a throwaway
 * one (`pglite://memory`) in a temporary folder.
 *
 * Two processes that open one data directory at once lose each other's writes (each runs its
 * own single-user PostgreSQL over the same files), so a data directory is opened only under
 * its lock file (lockfile.ts), taken before PGlite touches the directory and held until
 * close(). That one lock is also the writers' lock of SPEC section 4: `lock()` has nothing
 * left to wait for. A process that finds another holding the directory waits up to the
 * configured lock_wait, reporting the holder through `onNotice`.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import v8 from 'node:v8';
import { PGlite, types, type PGliteOptions } from '@electric-sql/pglite';
import { ScriptFailed, type Driver, type OpenOptions, type Session } from './driver.js';
import { acquireLockFile } from './lockfile.js';
import { CONTRIB, loadContrib, type ContribName } from './pglite-extensions.js';
import { unpackTemplate } from './pglite-template.js';
import { UnreachableError } from '../../core/errors.js';

/**
 * Value types as the postgres driver returns them: int8 as a string (a count can pass 2^53),
 * numeric as a string, int2/int4/float as numbers, timestamptz as Date, text[] as string[].
 */
const parsers = { [types.INT8]: (x: string) => x };

/**
 * PostgreSQL's settings for the embedded database, on top of PGlite's own. shared_buffers:
 * PostgreSQL's default of 128 MB is zeroed on every start (most of the start-up time) and held
 * for the whole run, for a database that sits in the operating system's file cache anyway.
 */
export const START_PARAMS = [...PGlite.defaultStartParams, '-c', 'shared_buffers=16MB'];

/**
 * V8 compiles PGlite's wasm (all of PostgreSQL) with its baseline compiler, Liftoff, and then
 * again with its optimising compiler, TurboFan, on background threads, function by function as
 * they get hot. For what an everyday command asks of a data directory, that second compile
 * costs far more than it saves: measured on the first `up` of this repository's sql/, Liftoff
 * alone took 2.5 s of CPU instead of 6.1 s, with a peak of 138 MB instead of 263 MB. Not for the
 * in-memory database: `check` runs every revision three times and snapshots the schema after
 * each, where optimised code pays (on 300 revisions, Liftoff alone took 87 s of CPU and 506 MB).
 * The flag is read when a module is compiled, so setting it before PGlite compiles its module
 * is enough.
 */
function baselineWasmOnly(): void {
  v8.setFlagsFromString('--liftoff-only');
}

/** How a data directory is opened, beyond the connection settings. */
export interface PgliteOpen {
  /** The contrib extensions to load (pglite-extensions.ts); all of them when absent. */
  extensions?: readonly ContribName[];
  /** Runs once the data directory's lock is held, before PGlite touches the directory; may name the contrib extensions to load instead of `extensions`. */
  onLocked?: () => readonly ContribName[] | undefined;
  /** Runs on the open database just before it is closed, outside any transaction; its result goes to afterClose. */
  beforeClose?: (s: Session) => Promise<unknown>;
  /** Runs once the database is closed cleanly, while the lock is still held. */
  afterClose?: (before: unknown) => Promise<void>;
}

/** Opens a throwaway PGlite (`dir` null, `pglite://memory`: see openThrowaway) or the one in `dir` (absolute), creating it on first use; `label` names it in messages. */
export async function openPglite(dir: string | null, label: string, opts: OpenOptions, how: PgliteOpen = {}): Promise<Driver> {
  const options = (names: readonly ContribName[] | undefined) => loadContrib(names ?? how.extensions ?? CONTRIB).then((extensions) => ({ parsers, extensions, startParams: START_PARAMS }));
  if (dir === null) return openThrowaway(await options(undefined));
  baselineWasmOnly();
  fs.mkdirSync(path.dirname(dir), { recursive: true });
  const notice = opts.onNotice ?? opts.onProgress;
  const release = await acquireLockFile(`${dir}.lock`, {
    timeoutMs: opts.lockWaitMs ?? opts.lockTimeoutMs,
    onWait: (holder) => notice?.(`waiting for the embedded database ${label}, in use by ${holder}...`),
    onTakeOver: (holder) => notice?.(`took over the lock of the embedded database ${label}: its holder, ${holder}, is gone`),
  });
  try {
    const names = how.onLocked?.();
    if (!fs.existsSync(path.join(dir, 'PG_VERSION'))) await create(dir, label, opts);
    return wrap(await PGlite.create(dir, await options(names)), `pglite://${label}`, release, how);
  } catch (e) {
    release();
    throw e;
  }
}

/** The folders of the throwaway databases, named with the pid of the process that made them. */
const THROWAWAY = 'fmig-throwaway-';
const throwaways = new Set<string>();

/**
 * `pglite://memory`, the throwaway database of check, autogenerate and replay: gone when
 * closed. It runs on a data directory in a new folder under the system's temporary directory,
 * not in PGlite's in-memory file system: there every file of the database (a WAL segment alone
 * is 16 MB) is a buffer in this process, while files on disk sit in the operating system's
 * file cache. Measured on `check` of 300 revisions: a peak of 345 MB instead of 450 MB, in the
 * same time. The folder is removed on close, on process exit (an interrupted check exits from
 * its signal handler), and otherwise (the process killed) by the next throwaway.
 */
async function openThrowaway(options: PGliteOptions): Promise<Driver> {
  removeDeadThrowaways();
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), `${THROWAWAY}${process.pid}-`));
  if (throwaways.size === 0) process.on('exit', removeThrowaways);
  throwaways.add(tmp);
  const remove = () => {
    throwaways.delete(tmp);
    if (throwaways.size === 0) process.off('exit', removeThrowaways);
    fs.rmSync(tmp, { recursive: true, force: true });
  };
  try {
    const data = path.join(tmp, 'pgdata');
    // A copy of the data directory made when fmig was built; initdb where there is none.
    if (!unpackTemplate(data)) await (await PGlite.create(data, { startParams: START_PARAMS })).close();
    return wrap(await PGlite.create(data, options), 'pglite://memory', remove, {});
  } catch (e) {
    remove();
    throw e;
  }
}

function removeThrowaways(): void {
  for (const tmp of throwaways) fs.rmSync(tmp, { recursive: true, force: true });
}

/** Removes the throwaway folders of processes that are gone (killed before they could). */
function removeDeadThrowaways(): void {
  let names: string[];
  try {
    names = fs.readdirSync(os.tmpdir());
  } catch {
    return;
  }
  for (const name of names) {
    const pid = Number(new RegExp(`^${THROWAWAY}(\\d+)-`).exec(name)?.[1]);
    if (!pid || pid === process.pid || alive(pid)) continue;
    try {
      fs.rmSync(path.join(os.tmpdir(), name), { recursive: true, force: true });
    } catch {
      // another user's, or being removed by another process: left alone
    }
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Makes a new data directory: the template unpacked (or initdb) into a sibling, then a rename,
 * so that a run that dies half-way never leaves a half-made directory behind for the next run
 * to trip over. The caller holds the lock, so any sibling left by an earlier run is dead and
 * removed here.
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
    // A copy of the data directory made when fmig was built; initdb where there is none.
    if (!unpackTemplate(tmp)) {
      const db = await PGlite.create(tmp, { startParams: START_PARAMS });
      await db.close();
    }
    if (fs.existsSync(dir)) fs.rmdirSync(dir); // empty (checked above): one the user made
    fs.renameSync(tmp, dir);
  } catch (e) {
    fs.rmSync(tmp, { recursive: true, force: true });
    throw new UnreachableError(`could not create the embedded database in ${label}: ${(e as Error).message ?? e}`);
  }
}

function wrap(db: PGlite, display: string, release: () => void, how: Pick<PgliteOpen, 'beforeClose' | 'afterClose'>): Driver {
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
    async copyFrom(statement, data) {
      guard();
      // A Query message, the data in CopyData messages and CopyDone, in one exchange: the
      // single-user backend answers with CopyInResponse, then CommandComplete or the error.
      await db.execProtocol(copyMessages(statement, data), { throwOnError: true });
    },
    // No other session exists to block this one.
    monitor() {
      return null;
    },
    async dumpDataDir() {
      guard();
      // A checkpoint first: the copy then needs no recovery when it is loaded.
      await db.exec('CHECKPOINT');
      return db.dumpDataDir('gzip');
    },
    // The data directory's lock file is held from open to close (see the top of this file).
    async lock() {
      return async () => {};
    },
    async close() {
      if (closed) return;
      closed = true;
      try {
        let before: unknown;
        let ready = !inTransaction && !!how.beforeClose;
        if (ready) {
          try {
            before = await how.beforeClose!(outside);
          } catch {
            ready = false;
          }
        }
        await db.close();
        if (ready) await how.afterClose?.(before);
      } finally {
        release();
      }
    },
  };
}

/** Front-end protocol messages for `COPY ... FROM STDIN` with its data: Query, CopyData (in chunks), CopyDone. */
function copyMessages(statement: string, data: string): Uint8Array {
  const message = (type: string, body: Buffer) => {
    const head = Buffer.alloc(5);
    head.write(type, 0, 'latin1');
    head.writeInt32BE(4 + body.length, 1);
    return [head, body];
  };
  const bytes = Buffer.from(data, 'utf8');
  const parts = message('Q', Buffer.from(`${statement}\0`, 'utf8'));
  const CHUNK = 1 << 20;
  for (let at = 0; at < bytes.length; at += CHUNK) parts.push(...message('d', bytes.subarray(at, at + CHUNK)));
  parts.push(...message('c', Buffer.alloc(0)));
  return new Uint8Array(Buffer.concat(parts));
}

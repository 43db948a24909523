/** The pieces most commands start from: settings, the parsed folder, and an open database. */
import { existsSync } from 'node:fs';
import { isAbsolute, relative, resolve } from 'node:path';
import { userInfo } from 'node:os';
import type { Config } from '../adapters/config-types.js';
import type { Driver, LockOptions } from '../adapters/db/driver.js';
import { ensureLedger, readLedger, readLedgerEntries, type LedgerName, type LedgerRow, type Writer } from '../adapters/db/ledger.js';
import { readFiles, readFolderInSlices } from '../adapters/files.js';
import { loadHasher } from '../core/checksum.js';
import type { LedgerEntry } from '../core/drift.js';
import { headerOnlyUps, parseFolder, readDowns, readUps, summarise, type Folder } from '../core/folder.js';
import { UsageError } from '../core/errors.js';
import { openStatCache } from '../adapters/stat-cache.js';
import { listingStat } from '../adapters/up-to-date.js';
import { version } from '../version.js';
import type { Context } from './context.js';

/** Parsed folders by directory, shared by the runs of one command over several targets: each is read and checksummed once. */
export type SharedFolders = Map<string, Promise<Folder>>;

/**
 * Reads and parses the revision folder named by the settings. With `listDowns`, down files are
 * listed and not read: their names are checked, and readDownFiles reads those that are needed.
 * With `statCache`, files unchanged since an earlier run are known by their summaries in the
 * stat cache (adapters/stat-cache.ts), not read; their revisions' up text is the header only,
 * until readUpFiles reads the files of those that are to run.
 */
export async function loadFolder(
  config: Config,
  opts: { listDowns?: boolean; statCache?: boolean; shared?: SharedFolders; seen?: FolderSeen } = {},
): Promise<Folder> {
  requireOneFolder(config);
  if (opts.shared) {
    const key = `${config.dir}\0${!!opts.listDowns}\0${!!opts.statCache}`;
    let folder = opts.shared.get(key);
    if (!folder) opts.shared.set(key, (folder = loadFolder(config, { listDowns: opts.listDowns, statCache: opts.statCache })));
    return folder;
  }
  const listOnly = opts.listDowns ? (name: string) => name.endsWith('.down.sql') : undefined;
  const label = relative(config.root, config.dir) || '.';
  if (!opts.statCache) {
    const [hash, files] = await Promise.all([loadHasher(), readFolderInSlices(config.dir, label, listOnly)]);
    return parseFolder(files, hash);
  }
  // Before the folder is listed: a file added after this changes the folder's stat.
  if (opts.seen) opts.seen.folder = listingStat(config.root, config.dir);
  const cache = openStatCache(config.root, config.dir);
  let summaries = 0;
  let unsummarised = 0;
  try {
    const [hash, files] = await Promise.all([loadHasher(), readFolderInSlices(config.dir, label, listOnly, (name) => cache.get(name))]);
    for (let i = 0; i < files.length; i++) {
      const f = files[i];
      if ('checksum' in f) summaries++;
      if (!('bytes' in f)) continue;
      // A file that is not UTF-8 stays bytes, for parseFolder to report.
      const summary = summarise(f, hash);
      if (!summary) {
        unsummarised++;
        continue;
      }
      cache.learn(summary);
      files[i] = summary;
      summaries++;
    }
    return parseFolder(files, hash);
  } finally {
    cache.save();
    if (opts.seen) {
      // The cache holds an entry for every file read or known, or the files are not all in it.
      const saved = cache.saved();
      opts.seen.statCache = saved && !unsummarised && saved.entries === summaries ? saved : null;
    }
  }
}

/** What loadFolder saw, for the up-to-date record (adapters/up-to-date.ts): null where it cannot vouch for it. */
export interface FolderSeen {
  /** The folder's stat before it was listed (folderStat), when its times are older than that moment. */
  folder?: string | null;
  /** The stat cache's entries after the run, when they are every file the folder has apart from listed ones. */
  statCache?: { hash: string; entries: number } | null;
}

/** Reads the up files of these revisions that loadFolder knew only by their summaries; FolderError for one changed since. */
export async function readUpFiles(config: Config, folder: Folder, ids: Iterable<string>): Promise<void> {
  const list = [...ids];
  const names = headerOnlyUps(folder, list);
  if (names.length) readUps(folder, list, readFiles(config.dir, names), await loadHasher());
}

/** A glob `dir` names several folders: a command on one folder must run inside one of them. */
export function requireOneFolder(config: Config): void {
  if (config.folders && !config.folders.some((f) => f.dir === config.dir)) {
    throw new UsageError(
      `dir = "${relative(config.root, config.dir)}" matches ${config.folders.length} folder(s): run this command inside one of them (${config.folders.map((f) => f.label).join(', ') || 'none yet'})`,
      '`fmig up`, `status` and `verify` run on every folder from the top of the repository',
    );
  }
}

/** Reads the listed down files of these revisions (all of them without `ids`); FolderError for a bad one. */
export async function readDownFiles(config: Config, folder: Folder, ids?: Iterable<string>): Promise<void> {
  const names = ids ? [...ids].flatMap((id) => folder.unreadDowns.get(id) ?? []) : [...folder.unreadDowns.values()];
  if (names.length) readDowns(folder, readFiles(config.dir, names), await loadHasher());
}

export function ledgerName(config: Config): LedgerName {
  return { schema: config.database.schema, table: config.database.table };
}

/** Opens the configured database; reports slow set-up (a first embedded database) as progress. */
export async function openConfigured(ctx: Context, config: Config): Promise<Driver> {
  const { driver, ready } = await startConfigured(ctx, config);
  await ready;
  return driver;
}

/** Starts opening the configured database (see startDatabase): the driver at once, `ready` when connected. */
async function startConfigured(ctx: Context, config: Config): Promise<{ driver: Driver; ready: Promise<void> }> {
  const { startDatabase } = await import('../adapters/db/open.js');
  return startDatabase(config.database.url, {
    baseDir: config.root,
    lockTimeoutMs: config.database.lockTimeoutMs,
    lockWaitMs: config.database.lockWaitMs,
    statementTimeoutMs: config.database.statementTimeoutMs,
    onProgress: (m) => ctx.report.progress(m),
    sqlDir: config.dir,
    ledger: ledgerName(config),
    onNotice: (m) => ctx.report.warn(m),
    searchPath: config.target?.schema ?? undefined,
  });
}

/**
 * The configured database is the embedded one and has not been created yet: read-only
 * commands report an empty ledger instead of paying for creating it.
 */
export function embeddedAbsent(config: Config): boolean {
  const m = /^pglite:\/\/(.+)$/.exec(config.database.url);
  if (!m || m[1] === 'memory') return false;
  const dir = isAbsolute(m[1]) ? m[1] : resolve(config.root, m[1]);
  return !existsSync(dir);
}

export interface Opened<Row extends LedgerEntry = LedgerRow> {
  db: Driver;
  ledger: LedgerName;
  rows: Row[];
}

/**
 * Opens the database, and for writers takes the lock and creates the ledger; runs `fn`;
 * always releases the lock and closes the connection. With a predicate, the ledger is read
 * first without the lock, and the lock is taken (and the ledger read again) only when the
 * predicate says there is something to write: a deploy with nothing to do pays no lock. The
 * first read then fetches only what the predicate and a comparison need (LedgerEntry), and
 * `fn` gets those rows when nothing is to be written.
 * `prepare` (reading and checking the folder) runs before anything is written; on a server it
 * runs while the connection is being made.
 */
export function withDatabase<T, P = undefined>(
  ctx: Context,
  config: Config,
  mode: 'read' | 'write',
  fn: (s: Opened, prepared: P) => Promise<T>,
  prepare?: () => Promise<P>,
): Promise<T>;
export function withDatabase<T, P>(
  ctx: Context,
  config: Config,
  mode: (rows: LedgerEntry[], prepared: P) => boolean | Promise<boolean>,
  fn: (s: Opened<LedgerEntry>, prepared: P) => Promise<T>,
  prepare: () => Promise<P>,
): Promise<T>;
export async function withDatabase<T, P>(
  ctx: Context,
  config: Config,
  mode: 'read' | 'write' | ((rows: LedgerEntry[], prepared: P) => boolean | Promise<boolean>),
  fn: ((s: Opened, prepared: P) => Promise<T>) | ((s: Opened<LedgerEntry>, prepared: P) => Promise<T>),
  prepare?: () => Promise<P>,
): Promise<T> {
  let prepared = undefined as P;
  let db: Driver;
  let early: Promise<LedgerEntry[]> | undefined;
  const ledger = ledgerName(config);
  const firstRead = (s: Driver): Promise<LedgerEntry[]> => (typeof mode === 'function' ? readLedgerEntries(s, ledger) : readLedger(s, ledger));
  if (prepare && /^postgres(ql)?:/i.test(config.database.url)) {
    // Connecting and the first read of the ledger are sent before `prepare` starts, and go on
    // on the server while the folder is read (prepare yields now and then). A failure of
    // prepare (bad input) still wins over one of the server.
    const started = await startConfigured(ctx, config);
    db = started.driver;
    if (mode !== 'write') {
      const rows = firstRead(db);
      rows.catch(() => {});
      early = started.ready.then(() => rows);
      early.catch(() => {});
    }
    try {
      prepared = await prepare();
    } catch (e) {
      await db.close().catch(() => {});
      throw e;
    }
    if (!early) await started.ready;
  } else {
    if (prepare) prepared = await prepare();
    db = await openConfigured(ctx, config);
  }
  let release: (() => Promise<void>) | undefined;
  try {
    let rows = mode === 'write' ? null : await (early ?? firstRead(db));
    if (mode === 'write' || (typeof mode === 'function' && (await mode(rows!, prepared)))) {
      release = await db.lock({
        ...ledger,
        timeoutMs: config.database.lockWaitMs,
        onWait: (holder) => ctx.report.warn(`waiting for fmig's lock, held by ${holder}`),
        ...tableLock(ctx, config),
      });
      await ensureLedger(db, ledger);
      rows = await readLedger(db, ledger);
    }
    // Full rows (LedgerRow) in 'read' and 'write' modes, as the overloads promise.
    return await (fn as (s: Opened<LedgerEntry>, prepared: P) => Promise<T>)({ db, ledger, rows: rows! }, prepared);
  } finally {
    try {
      await release?.();
    } finally {
      await db.close();
    }
  }
}

/** The lock options of `[database] lock = "table"`; none for the advisory lock. */
export function tableLock(ctx: Context, config: Config): Pick<LockOptions, 'lease' | 'onTakeOver' | 'onLost'> {
  if (config.database.lock !== 'table') return {};
  return {
    lease: { leaseMs: config.database.lockLeaseMs, heartbeatMs: config.database.lockHeartbeatMs },
    onTakeOver: (holder) => ctx.report.warn(`took over fmig's lock from ${holder}`),
    onLost: (message) => ctx.report.warn(message),
  };
}

/** Who is writing: the database user and the OS user, the checked-out commit, fmig's version. */
export async function writer(db: Driver, config: Config): Promise<Writer> {
  // git is started only by commands that write: a run with nothing to do loads none of it.
  const { headCommit } = await import('../adapters/git-head.js');
  const known = config.target?.gitCommit;
  const [[who], gitCommit] = await Promise.all([db.query<{ u: string }>('select current_user as u'), known !== undefined ? known : headCommit(config.root)]);
  let os = '';
  try {
    os = userInfo().username;
  } catch {
    // no OS user known (e.g. a uid without a passwd entry)
  }
  return { appliedBy: os ? `${who.u} (os user ${os})` : who.u, gitCommit, version };
}

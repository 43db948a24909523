/**
 * `fmig backup [--out <file>]`, and the backup `fmig up --backup` takes after its lock and
 * before its first revision. A server is backed up with `pg_dump --format=custom`, checked
 * against the server's major version first; the embedded database as its data directory
 * (PGlite's dumpDataDir, gzipped). Beside each backup, `<file>.json` says what it holds.
 */
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Config } from '../adapters/config-types.js';
import type { Driver } from '../adapters/db/driver.js';
import { readLedger } from '../adapters/db/ledger.js';
import { backupFileName, dumpVersionProblem, formatBytes, ledgerSummary, majorOf, toPrune, withoutPassword, type LedgerSummaryRow } from '../core/backup-name.js';
import { FmigError, StateError, UsageError } from '../core/errors.js';
import { version } from '../version.js';
import type { Context } from './context.js';
import { embeddedAbsent, ledgerName, openConfigured } from './project.js';

export interface BackupOptions {
  /** Where to write it; default `[backup] dir`/<database>-<time>-at-<head>.<ext>. */
  out?: string;
  /** Keep this many backups of the database (the new one among them); default `[backup] keep`. */
  keep?: number;
}

export interface BackupResult {
  file: string;
  metadata: string;
  database: string;
  size: number;
  ms: number;
  /** Older backups removed by --keep. */
  pruned: string[];
}

/** What the JSON file beside a backup holds. */
export interface BackupMetadata {
  fmig_version: string;
  created_at: string;
  /** The database URL without its password. */
  database: string;
  kind: 'postgres' | 'pglite';
  format: 'pg_dump custom' | 'pglite data directory (tar.gz)';
  server_version: string;
  pg_dump_version: string | null;
  ledger: { schema: string; table: string; heads: string[]; applied: { revision: string; up_checksum: string; down_checksum: string | null }[]; unfinished: string[] };
  /** For a backup taken by `up`: the revision that run applies up to. */
  before: string | null;
  size_bytes: number;
  duration_ms: number;
}

export async function backup(ctx: Context, opts: BackupOptions): Promise<BackupResult> {
  const config = await ctx.config();
  if (config.database.url === 'pglite://memory') throw new UsageError('pglite://memory starts empty in every run: there is nothing to back up', 'back up a database that lasts: --url postgres://... or pglite://<dir>');
  if (embeddedAbsent(config)) {
    throw new StateError('nothing-to-back-up', `the embedded database ${config.database.url.slice('pglite://'.length)} does not exist yet: there is nothing to back up`);
  }
  const db = await openConfigured(ctx, config);
  let release: (() => Promise<void>) | undefined;
  try {
    // fmig's lock, so that no fmig migrates between the ledger read for the metadata and the dump.
    release = await db.lock({
      ...ledgerName(config),
      timeoutMs: config.database.lockWaitMs,
      onWait: (holder) => ctx.report.warn(`waiting for fmig's lock, held by ${holder}`),
    });
    const rows = await readLedger(db, ledgerName(config));
    const heads = ledgerSummary(rows).heads;
    return await takeBackup(ctx, config, db, rows, { when: 'at', revision: heads.join('+') || 'empty', before: null, out: opts.out, keep: opts.keep ?? config.backup.keep });
  } finally {
    try {
      await release?.();
    } finally {
      await db.close();
    }
  }
}

/**
 * The backup `up` takes once it holds the lock and knows what it will apply (up to `before`).
 * A failure is an error that says nothing was applied.
 */
export async function backupBeforeUp(ctx: Context, config: Config, db: Driver, rows: readonly LedgerSummaryRow[], before: string, keep: number | undefined): Promise<BackupResult> {
  try {
    return await takeBackup(ctx, config, db, rows, { when: 'before', revision: before, before, keep: keep ?? config.backup.keep });
  } catch (e) {
    if (!(e instanceof FmigError)) throw e;
    throw new FmigError(e.code, `${e.message}\nnothing was applied: up stops when the backup before it fails`, 1, e.hint ?? 'fix the backup, or run `fmig up` without --backup', e.fields);
  }
}

interface Take {
  when: 'before' | 'at';
  revision: string;
  before: string | null;
  out?: string;
  keep?: number | null;
}

async function takeBackup(ctx: Context, config: Config, db: Driver, rows: readonly LedgerSummaryRow[], t: Take): Promise<BackupResult> {
  const started = Date.now();
  const [server] = await db.query<{ num: string; v: string; d: string }>(
    `select current_setting('server_version_num') as num, current_setting('server_version') as v, current_database() as d`,
  );
  const kind = db.kind;
  const pgliteDir = kind === 'pglite' ? config.database.url.slice('pglite://'.length) : null;
  let dumpVersion: string | null = null;
  let bin = '';
  if (kind === 'postgres') {
    const { toolVersion } = await import('../adapters/backup-pgdump.js');
    bin = config.backup.pgDump ?? 'pg_dump';
    const tool = await toolVersion(bin, ctx.env);
    const problem = dumpVersionProblem(tool.num, Number(server.num));
    if (problem) {
      const major = majorOf(Number(server.num));
      throw new FmigError('backup-version', `cannot back up ${db.display}: ${problem} (${bin}: ${tool.text}; server: ${server.v})`, 1, `use pg_dump ${major} or newer: set [backup] pg_dump in migrate.toml to its path, e.g. "/usr/lib/postgresql/${major}/bin/pg_dump"`);
    }
    dumpVersion = tool.text;
  }

  const database = pgliteDir !== null ? path.basename(pgliteDir) : server.d;
  const file = t.out ? path.resolve(ctx.cwd, t.out) : path.join(config.backup.dir, backupFileName({ database, at: new Date(started), when: t.when, revision: t.revision, kind }, new Set(list(config.backup.dir))));
  if (existsSync(file)) throw new UsageError(`${shown(ctx, file)} exists: a backup never overwrites a file`, 'name another file with --out, or leave --out out for a new name');
  const partial = `${file}.partial-${process.pid}`;
  const label = shown(ctx, file);
  const progress = (n: number) => ctx.report.progress(`backing up ${database}: ${formatBytes(n)} written, ${seconds(Date.now() - started)} (${label})`);
  progress(0);
  try {
    mkdirSync(path.dirname(file), { recursive: true });
    if (kind === 'postgres') {
      const { runPgDump } = await import('../adapters/backup-pgdump.js');
      await runPgDump({ bin, url: config.database.url, file: partial, env: ctx.env, onBytes: progress });
    } else {
      const { dumpEmbedded } = await import('../adapters/backup-pglite.js');
      await dumpEmbedded(db, partial, progress);
    }
    renameSync(partial, file);
  } catch (e) {
    try {
      rmSync(partial, { force: true });
    } catch {
      // nothing was written there (its folder could not be made)
    }
    if (e instanceof FmigError) throw e;
    // The file system (a folder that cannot be made, a full disk): what it said, not a stack.
    throw new FmigError('backup-failed', `could not write the backup ${label}: ${(e as Error).message ?? e}`, 1, 'check [backup] dir (or --out) and the free space there');
  }
  ctx.report.progress('');

  const size = statSync(file).size;
  const ms = Date.now() - started;
  const metadata: BackupMetadata = {
    fmig_version: version,
    created_at: new Date(started).toISOString(),
    database: withoutPassword(config.database.url),
    kind,
    format: kind === 'postgres' ? 'pg_dump custom' : 'pglite data directory (tar.gz)',
    server_version: server.v,
    pg_dump_version: dumpVersion,
    ledger: { ...ledgerName(config), ...ledgerSummary(rows) },
    before: t.before,
    size_bytes: size,
    duration_ms: ms,
  };
  const metaFile = `${file}.json`;
  writeFileSync(metaFile, JSON.stringify(metadata, null, 2) + '\n');
  ctx.report.line(`backup: ${label} (${formatBytes(size)}, ${seconds(ms)})`);

  const pruned = t.keep ? prune(path.dirname(file), database, t.keep) : [];
  if (pruned.length) ctx.report.line(`removed ${pruned.length} older backup(s) of ${database}: ${pruned.join(', ')}`);
  return { file, metadata: metaFile, database: metadata.database, size, ms, pruned };
}

/** Removes all but the newest `keep` backups of `database` in `dir`, with their JSON files; returns their names. */
function prune(dir: string, database: string, keep: number): string[] {
  const names = toPrune(list(dir), database, keep);
  for (const name of names) {
    rmSync(path.join(dir, name), { force: true });
    rmSync(path.join(dir, `${name}.json`), { force: true });
  }
  return names;
}

function list(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

function shown(ctx: Context, file: string): string {
  const rel = path.relative(ctx.cwd, file);
  return rel && !rel.startsWith('..') ? rel : file;
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

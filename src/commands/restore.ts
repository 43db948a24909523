/**
 * `fmig restore <file> --url <url>`: a backup that `fmig backup` took, into a database that
 * holds nothing yet. A server gets `pg_restore` (one transaction, stopping at the first error)
 * and needs --yes; the embedded database is made from the data-directory copy, in a directory
 * that does not exist yet or is empty. There is no way to restore over a database with data.
 */
import { closeSync, existsSync, openSync, readFileSync, readSync, statSync } from 'node:fs';
import path from 'node:path';
import { readLedger } from '../adapters/db/ledger.js';
import { parseDatabaseUrl } from '../adapters/db/open.js';
import { formatBytes, ledgerSummary, type LedgerSummaryRow } from '../core/backup-name.js';
import { StateError, UsageError } from '../core/errors.js';
import type { Context } from './context.js';
import { ledgerName, openConfigured } from './project.js';

export interface RestoreOptions {
  file: string;
  /** Go ahead on a server. */
  yes: boolean;
  /** Server only: restore without the original owners and grants (pg_restore --no-owner --no-privileges). */
  noOwner: boolean;
}

export interface RestoreResult {
  file: string;
  database: string;
  /** The restored ledger: applied revisions and heads. */
  applied: number;
  heads: string[];
  ms: number;
}

export async function restore(ctx: Context, opts: RestoreOptions): Promise<RestoreResult> {
  const config = await ctx.config();
  const file = path.resolve(ctx.cwd, opts.file);
  if (!existsSync(file) || !statSync(file).isFile()) throw new UsageError(`no such file: ${opts.file}`);
  const format = sniff(file);
  const target = parseDatabaseUrl(config.database.url, config.root);
  const started = Date.now();
  const size = formatBytes(statSync(file).size);

  if (target.kind === 'pglite') {
    if (target.dir === null) throw new UsageError('pglite://memory is gone when fmig exits: restore into pglite://<dir> (a directory that does not exist yet) or a server');
    if (format !== 'tar.gz') throw wrongFormat(opts.file, format, 'an embedded database (pglite://)', 'a server: --url postgres://...');
    const label = `pglite://${target.label}`;
    await refuseEmbeddedNotEmpty(ctx, target.dir, label);
    const [{ loadEmbedded }, { START_PARAMS }, { recordable }, { writeState }] = await Promise.all([
      import('../adapters/backup-pglite.js'),
      import('../adapters/db/pglite.js'),
      import('../adapters/db/embedded-open.js'),
      import('../adapters/db/embedded-state.js'),
    ]);
    const dir = target.dir;
    // The ledger is read from the loaded database before it closes, and recorded in the state
    // file fmig keeps beside a data directory: the next run need not start it to know it.
    const state = await ticking(ctx, () => `restoring ${size}: ${seconds(Date.now() - started)} (${opts.file} into ${label})`, () =>
      loadEmbedded(file, dir, label, {
        lockWaitMs: config.database.lockWaitMs,
        startParams: START_PARAMS,
        inspect: (s) => recordable(s, { baseDir: config.root, lockTimeoutMs: 0, statementTimeoutMs: 0, ledger: ledgerName(config) }),
        settle: (st) => writeState(dir, st),
      }),
    );
    return restored(ctx, opts.file, file, label, state.ledger?.rows ?? [], started);
  } else {
    if (format !== 'pg_dump') throw wrongFormat(opts.file, format, 'a server (postgres://)', 'an embedded database: --url pglite://<new dir>');
    const db = await openConfigured(ctx, config);
    try {
      const { userObjects } = await import('../adapters/db/user-objects.js');
      refuseNotEmpty(db.display, await userObjects(db));
      if (!opts.yes) {
        throw new StateError('confirmation-needed', `restore writes ${opts.file} into ${db.display}, a server: it needs --yes`, `check the URL, then run \`fmig restore ${opts.file} --url <url> --yes\``);
      }
    } finally {
      await db.close();
    }
    const { pgRestoreBeside, runPgRestore } = await import('../adapters/backup-pgdump.js');
    await ticking(ctx, () => `restoring ${size}: ${seconds(Date.now() - started)} (${opts.file} into ${db.display})`, () =>
      runPgRestore({ bin: pgRestoreBeside(config.backup.pgDump), url: config.database.url, file, env: ctx.env, noOwner: opts.noOwner }),
    );
  }

  // What came back: the ledger as it was when the backup was taken.
  const db = await openConfigured(ctx, config);
  let rows;
  try {
    rows = await readLedger(db, ledgerName(config));
  } finally {
    await db.close();
  }
  return restored(ctx, opts.file, file, db.display, rows, started);
}

/** Says what was restored: the ledger it brought back, and when the backup was taken. */
function restored(ctx: Context, name: string, file: string, display: string, rows: readonly LedgerSummaryRow[], started: number): RestoreResult {
  const { heads, applied } = ledgerSummary(rows);
  const ms = Date.now() - started;
  ctx.report.line(`restored ${name} into ${display} (${seconds(ms)}): ${applied.length} revision(s) applied${heads.length ? `, head ${heads.join(', ')}` : ''}`);
  const meta = metadataOf(file);
  if (meta?.created_at) ctx.report.line(`the backup was taken ${meta.created_at}${meta.database ? ` of ${meta.database}` : ''}`);
  return { file, database: display, applied: applied.length, heads, ms };
}

type Format = 'pg_dump' | 'tar.gz' | null;

/** A pg_dump custom archive starts with `PGDMP`; a gzip file with 1f 8b. */
function sniff(file: string): Format {
  const fd = openSync(file, 'r');
  try {
    const head = Buffer.alloc(5);
    const n = readSync(fd, head, 0, 5, 0);
    if (n === 5 && head.toString('latin1') === 'PGDMP') return 'pg_dump';
    if (n >= 2 && head[0] === 0x1f && head[1] === 0x8b) return 'tar.gz';
    return null;
  } finally {
    closeSync(fd);
  }
}

function wrongFormat(name: string, format: Format, into: string, instead: string): UsageError {
  const what = format === 'pg_dump' ? 'a pg_dump archive of a server' : format === 'tar.gz' ? 'a copy of an embedded database' : 'not a backup fmig took (neither a pg_dump custom archive nor a .tar.gz)';
  return new UsageError(`${name} is ${what}: it cannot be restored into ${into}`, format ? `restore it into ${instead}` : 'name a file that `fmig backup` wrote');
}

function refuseNotEmpty(display: string, found: { total: number; first: string[] }, hint = 'create a new database and restore into it (createdb <name>, then --url pointing at it)'): void {
  if (!found.total) return;
  const more = found.total > found.first.length ? `, and ${found.total - found.first.length} more` : '';
  throw new StateError(
    'restore-not-empty',
    `refusing to restore: ${display} is not empty (${found.first.join(', ')}${more}); a restore goes only into an empty database`,
    hint,
  );
}

/** An embedded target must not exist or be empty; a database there is named by what it holds. */
async function refuseEmbeddedNotEmpty(ctx: Context, dir: string, label: string): Promise<void> {
  const { dirContents } = await import('../adapters/backup-pglite.js');
  const there = dirContents(dir);
  if (!there) return;
  if (there.includes('PG_VERSION')) {
    const { openDatabase } = await import('../adapters/db/open.js');
    const { userObjects } = await import('../adapters/db/user-objects.js');
    const config = await ctx.config();
    const db = await openDatabase(`pglite://${dir}`, { baseDir: config.root, lockTimeoutMs: 0, lockWaitMs: config.database.lockWaitMs, statementTimeoutMs: 0, ledger: ledgerName(config), sqlDir: config.dir });
    try {
      const found = await userObjects(db);
      refuseNotEmpty(label, found, `restore into a directory that does not exist yet, e.g. --url pglite://${path.basename(dir)}-restored`);
    } finally {
      await db.close();
    }
    throw new StateError('restore-not-empty', `refusing to restore: ${label} is an embedded database already (empty); a restore makes a new one`, `restore into a directory that does not exist yet, e.g. --url pglite://${path.basename(dir)}-restored`);
  }
  throw new StateError('restore-not-empty', `refusing to restore: ${label} is not empty (${there.slice(0, 5).join(', ')}${there.length > 5 ? ', ...' : ''})`, 'restore into a directory that does not exist yet');
}

/** Runs `work`, showing `text()` as progress a few times a second. */
async function ticking<T>(ctx: Context, text: () => string, work: () => Promise<T>): Promise<T> {
  ctx.report.progress(text());
  const timer = setInterval(() => ctx.report.progress(text()), 250);
  try {
    return await work();
  } finally {
    clearInterval(timer);
    ctx.report.progress('');
  }
}

function metadataOf(file: string): { created_at?: string; database?: string } | null {
  try {
    return JSON.parse(readFileSync(`${file}.json`, 'utf8'));
  } catch {
    return null;
  }
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

/**
 * `fmig wait [--at-least <rev> | --head] [--timeout 5m]`: a readiness gate for an application
 * that must not start before its migrations. Looks at the database until it is reachable and
 * its ledger has the wanted revisions, pausing longer between looks (up to a few seconds); exit
 * 0 when they are there, 3 when the time is up, saying what was still missing. It never writes,
 * never creates the ledger or the embedded database, and holds no lock between looks.
 */
import type { Config } from '../adapters/config-types.js';
import { maskUrl, toDbError } from '../adapters/db/driver.js';
import { readLedgerEntries } from '../adapters/db/ledger.js';
import { formatMs } from '../adapters/db/lockfile.js';
import { parseDuration } from '../core/duration.js';
import type { LedgerEntry } from '../core/drift.js';
import { UnreachableError, UsageError } from '../core/errors.js';
import { FIRST_PAUSE_MS, nextPause, readiness } from '../core/readiness.js';
import { targetRevision } from '../core/target-name.js';
import type { Context } from './context.js';
import { knownLedger } from './known-ledger.js';
import { embeddedAbsent, ledgerName, loadFolder } from './project.js';

export interface WaitOptions {
  /** Wait for this revision (`<id>` or `<id>_<slug>`) instead of the folder's head(s). */
  atLeast?: string;
  /** Wait for the folder's head(s) (the default). */
  head?: boolean;
  /** How long to wait: a duration ("30s", "5m") or milliseconds; 0 = as long as it takes. Default 5m. */
  timeout?: string | number;
}

export interface WaitResult {
  database: string;
  ledger: string;
  /** The revisions waited for, all applied now (empty: only reachability was waited for). */
  revisions: string[];
  waitedMs: number;
  /** How many times the database was looked at. */
  looks: number;
}

const DEFAULT_TIMEOUT_MS = 5 * 60_000;

export async function wait(ctx: Context, opts: WaitOptions): Promise<WaitResult> {
  if (opts.atLeast !== undefined && opts.head) throw new UsageError('--at-least and --head name two different things to wait for', 'give one of them (--head is the default)');
  const timeoutMs = timeoutOf(opts.timeout);
  const config = await ctx.config();
  const wanted = await wantedRevisions(config, opts.atLeast);
  const display = maskUrl(config.database.url);
  const ledger = ledgerName(config);
  const what = wanted.length ? `${wanted.length === 1 ? 'revision' : 'revisions'} ${wanted.join(', ')}` : 'the database to be reachable';
  const start = Date.now();
  const deadline = timeoutMs > 0 ? start + timeoutMs : Infinity;
  let pause = FIRST_PAUSE_MS;
  for (let looks = 1; ; looks++) {
    const look = await lookAt(config, Math.max(1, Math.min(deadline - Date.now(), 60_000)));
    let missing: string;
    if ('rows' in look) {
      const r = readiness(wanted, look.rows);
      if (!r.missing.length && !r.unfinished.length) {
        const result = { database: display, ledger: `${ledger.schema}.${ledger.table}`, revisions: wanted, waitedMs: Date.now() - start, looks };
        ctx.report.line(wanted.length ? `ready: ${display} has ${what}` : `ready: ${display} is reachable`);
        return result;
      }
      missing = [
        r.missing.length ? `not applied yet: ${r.missing.join(', ')}` : '',
        r.unfinished.length ? `running or stopped part-way: ${r.unfinished.join(', ')}` : '',
      ]
        .filter(Boolean)
        .join('; ');
    } else {
      missing = look.unreachable;
    }
    const now = Date.now();
    if (now >= deadline) {
      throw new UnreachableError(
        `timed out after ${formatMs(timeoutMs)} waiting for ${what} on ${display}: ${missing}`,
        'rows' in look
          ? 'run `fmig up` against this database (the deploy\'s migration step), or raise --timeout'
          : 'check that the database exists, its server is up and the database URL is right; or raise --timeout',
        'wait-timeout',
      );
    }
    ctx.report.progress(`waiting ${formatMs(now - start)} for ${what} on ${display}: ${missing}`);
    await new Promise((r) => setTimeout(r, Math.min(pause, deadline - now)));
    pause = nextPause(pause);
  }
}

/** `--timeout`: a duration with a unit, as migrate.toml writes them. */
function timeoutOf(v: string | number | undefined): number {
  if (v === undefined) return DEFAULT_TIMEOUT_MS;
  if (typeof v === 'number') {
    if (Number.isFinite(v) && v >= 0) return v;
  } else {
    if (/^\s*\d*\.?\d+\s*$/.test(v) && Number(v) !== 0) throw new UsageError(`--timeout ${v} has no unit`, `write it with one, e.g. ${v}s or ${v}m`);
    const ms = parseDuration(v);
    if (ms !== null) return ms;
  }
  throw new UsageError(`--timeout: bad duration ${JSON.stringify(v)}`, 'use e.g. 30s, 5m or 0 (as long as it takes)');
}

/** The revision ids to wait for: the one named, or the folder's heads. */
async function wantedRevisions(config: Config, atLeast: string | undefined): Promise<string[]> {
  if (atLeast !== undefined) {
    const id = targetRevision(atLeast);
    if (id === null) throw new UsageError(`--at-least ${JSON.stringify(atLeast)} is not a revision`, 'give a revision id such as 000042, or 000042_add_invoices');
    return [id];
  }
  return (await loadFolder(config, { listDowns: true })).graph.heads();
}

/** One look at the ledger: its rows, or why the database could not be read. */
async function lookAt(config: Config, lockWaitMs: number): Promise<{ rows: LedgerEntry[] } | { unreachable: string }> {
  if (embeddedAbsent(config)) return { unreachable: 'the embedded database has not been created yet' };
  // The embedded database's state file answers without opening it (or taking its lock).
  const known = knownLedger(config);
  if (known) return { rows: known };
  const { startDatabase } = await import('../adapters/db/open.js');
  let db;
  try {
    const started = await startDatabase(config.database.url, {
      baseDir: config.root,
      lockTimeoutMs: config.database.lockTimeoutMs,
      // Another process using the embedded database: wait for it, within what is left.
      lockWaitMs,
      statementTimeoutMs: config.database.statementTimeoutMs,
      sqlDir: config.dir,
      ledger: ledgerName(config),
    });
    db = started.driver;
    await started.ready;
    return { rows: await readLedgerEntries(db, ledgerName(config)) };
  } catch (e) {
    if (e instanceof UnreachableError) return { unreachable: e.message };
    // The ledger locked by a writer past lock_timeout (55P03), or a read cancelled (57014): not yet.
    const db = toDbError(e);
    if (db?.sqlstate === '55P03' || db?.sqlstate === '57014') return { unreachable: `the ledger could not be read yet: ${db.message}` };
    throw e;
  } finally {
    await db?.close().catch(() => {});
  }
}

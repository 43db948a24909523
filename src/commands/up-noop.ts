/**
 * A deploy with nothing to do, answered from the up-to-date record (adapters/up-to-date.ts):
 * when the folder and the ledger are as a run that found nothing to apply and nothing amiss
 * left them, `up` says so without reading the folder or the ledger's rows. Only for the plain
 * `up` on a server, one folder, no target: the case every deploy runs.
 */
import type { Config } from '../adapters/config-types.js';
import { entriesDigest, ledgerDigest, type LedgerEntries } from '../adapters/db/ledger.js';
import { savedFiles } from '../adapters/stat-cache.js';
import { dropUpToDate, readUpToDate, upToDateKey, writeUpToDate } from '../adapters/up-to-date.js';
import { version } from '../version.js';
import type { Context } from './context.js';
import type { FolderSeen } from './project.js';

/** Whether this run of `up` is one the record may answer, and may be recorded from. */
export function recordable(ctx: Context, config: Config, plain: boolean): boolean {
  return plain && !ctx.folders && !config.target && !config.folders && /^postgres(ql)?:/i.test(config.database.url);
}

function keyOf(config: Config): string {
  return upToDateKey(version, config.dir, config.database.url, config.database);
}

/**
 * True when the record shows nothing to do: the folder's listing and up files are as recorded,
 * and the server's digest of the ledger is the one recorded. False on anything else (the
 * caller then runs `up` as always), but for a connection that failed: its error, which `up`
 * reports as it would have (after checking the folder), without trying to connect again.
 */
export async function upToDateByRecord(ctx: Context, config: Config): Promise<boolean | { failed: unknown }> {
  const record = readUpToDate(config.root, keyOf(config), config.dir);
  const files = record && savedFiles(config.root, config.dir, record.statCache);
  if (!record || !files) return false;
  const { startDatabase } = await import('../adapters/db/open.js');
  let started: Awaited<ReturnType<typeof startDatabase>>;
  try {
    started = await startDatabase(config.database.url, {
      baseDir: config.root,
      lockTimeoutMs: config.database.lockTimeoutMs,
      lockWaitMs: config.database.lockWaitMs,
      statementTimeoutMs: config.database.statementTimeoutMs,
      sqlDir: config.dir,
      ledger: { schema: config.database.schema, table: config.database.table },
      onNotice: (m) => ctx.report.warn(m),
    });
  } catch {
    return false;
  }
  const { driver, ready } = started;
  // The digest is asked for at once, and computed while the files are stat'ed.
  const connected = ready.then(
    () => true as const,
    (e: unknown) => ({ failed: e }),
  );
  const digest = connected.then((ok) => (ok === true ? ledgerDigest(driver, config.database) : null));
  digest.catch(() => {});
  if (!(await files.unchanged())) {
    // `up` runs as always, on a connection of its own; this one is closed once it has settled.
    void digest.finally(() => driver.close()).catch(() => {});
    return false;
  }
  try {
    const ok = await connected;
    if (ok !== true) return ok;
    return (await digest) === record.ledger;
  } catch {
    return false;
  } finally {
    await driver.close().catch(() => {});
  }
}

/** After a run that found nothing to apply and nothing amiss: records what it compared, when loadFolder could vouch for the folder. */
export async function recordUpToDate(config: Config, seen: FolderSeen, rows: LedgerEntries): Promise<void> {
  if (!seen.folder || !seen.statCache || !rows.text) return;
  writeUpToDate(config.root, { key: keyOf(config), folder: seen.folder, statCache: seen.statCache, ledger: await entriesDigest(rows.text) });
}

/** Before a run writes to the ledger: the record would no longer match. */
export function forgetUpToDate(config: Config): void {
  dropUpToDate(config.root);
}

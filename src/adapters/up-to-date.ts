/**
 * The record `up` keeps in `.fmig/up-to-date` when a run found nothing to apply and nothing
 * amiss: what it compared, so that the next run can tell it would compare the same things and
 * answer without reading the folder or the ledger's rows. A deploy that has nothing to do, the
 * most common run of all, then costs a stat of each revision file and one digest from the
 * server, however long the history.
 *
 * What the record holds, and why each part is enough:
 * - the folder's listing: the stat of the revision folder itself (size, mtime, ctime, inode,
 *   device), taken before it was listed. A file added, removed or renamed in the folder changes
 *   the folder's mtime and ctime; the stat is trusted only while the folder's times are older
 *   than the record file's own write time, as git does for racily clean files;
 * - the up files' bytes: the checksum of the stat cache's entries after that run
 *   (adapters/stat-cache.ts), whose stats every file must still have (unchangedFiles). The
 *   down files of applied revisions are not read by a run with nothing to do, and are not part
 *   of it;
 * - the ledger: the SHA-256 of the text the run read it as (ledger.ts's ledgerDigest), which
 *   the server computes again from the table in one statement;
 * - what the run was: a digest of fmig's version, the folder, the database URL and the ledger's name.
 *
 * Anything that does not match, or a record that cannot be read, and `up` does what it always
 * does. The record is written atomically (a temporary file renamed over it) and never throws.
 */
import { readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { fileSystemNow, makeHome, statKey } from './stat-cache.js';

export interface UpToDate {
  /** fmig's version, the folder, the URL and the ledger's name, as `upToDateKey` digests them. */
  key: string;
  /** The folder's stat when it was listed (folderStat). */
  folder: string;
  /** The stat cache's entries after the run (StatCache.saved). */
  statCache: { hash: string; entries: number };
  /** ledgerDigest of the ledger the run compared. */
  ledger: string;
}

/** What the run was, as one digest (the URL may hold a password, which is not written to disk). */
export function upToDateKey(version: string, dir: string, url: string, ledger: { schema: string; table: string }): string {
  return createHash('sha256').update(JSON.stringify([version, dir, url, ledger.schema, ledger.table])).digest('hex');
}

const FORMAT = 2;

function recordFile(root: string): string {
  return join(root, '.fmig', 'up-to-date');
}

/**
 * The stat of the folder `dir` for a record, taken now, before the folder is listed; null
 * when its times are not older than the file system's current time (taken from a file written
 * in `.fmig/` first), or cannot be had. A change made after this moment then leaves the folder
 * a later ctime than the one recorded, whatever the timestamps' granularity.
 */
export function listingStat(root: string, dir: string): string | null {
  const home = join(root, '.fmig');
  const probe = join(home, `up-to-date.${process.pid}.now`);
  const now = fileSystemNow(home, probe);
  rmSync(probe, { force: true });
  if (now === null) return null;
  const st = folderStat(dir);
  return st && st.mtimeNs < now && st.ctimeNs < now ? st.key : null;
}

/** The stat of the folder `dir` as the record keeps it, with its times; null when it cannot be had. */
function folderStat(dir: string): { key: string; mtimeNs: bigint; ctimeNs: bigint } | null {
  try {
    const st = statSync(dir, { bigint: true });
    return { key: statKey(st), mtimeNs: st.mtimeNs, ctimeNs: st.ctimeNs };
  } catch {
    return null;
  }
}


/**
 * The record, when it is for this `key` and the folder `dir` has not changed since it was
 * listed (the same stat, its times older than the record's write time); else null.
 */
export function readUpToDate(root: string, key: string, dir: string): UpToDate | null {
  let record: UpToDate & { format?: number };
  let written: bigint;
  try {
    const file = recordFile(root);
    record = JSON.parse(readFileSync(file, 'utf8'));
    written = statSync(file, { bigint: true }).mtimeNs;
  } catch {
    return null;
  }
  if (record?.format !== FORMAT || record.key !== key || typeof record.ledger !== 'string' || typeof record.statCache?.hash !== 'string') return null;
  const now = folderStat(dir);
  if (!now || now.key !== record.folder || now.mtimeNs >= written || now.ctimeNs >= written) return null;
  return record;
}

/** Writes the record; never throws (a run that cannot write it only loses the shortcut). */
export function writeUpToDate(root: string, record: UpToDate): void {
  const file = recordFile(root);
  const tmp = `${file}.${process.pid}.tmp`;
  try {
    makeHome(join(root, '.fmig'));
    writeFileSync(tmp, JSON.stringify({ format: FORMAT, ...record }) + '\n');
    renameSync(tmp, file);
  } catch {
    rmSync(tmp, { force: true });
  }
}

/** Removes the record: done by a run that writes to the ledger. */
export function dropUpToDate(root: string): void {
  try {
    rmSync(recordFile(root), { force: true });
  } catch {
    // nothing to do: a stale record is only checked and found stale
  }
}

/**
 * The embedded database's backups: PGlite's own copy of its data directory (dumpDataDir, a
 * gzipped tar) written to a file, and loaded back (loadDataDir) into a directory that holds
 * nothing yet, made aside and renamed into place so that a failed load leaves nothing behind.
 */
import fs from 'node:fs';
import path from 'node:path';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Driver, Session } from './db/driver.js';
import { acquireLockFile } from './db/lockfile.js';
import { FmigError } from '../core/errors.js';

/** Writes the open embedded database's data directory to `file`; `onBytes` hears how much is written. */
export async function dumpEmbedded(db: Driver, file: string, onBytes?: (n: number) => void): Promise<void> {
  if (!db.dumpDataDir) throw new FmigError('backup-failed', `${db.display} cannot be backed up as a data directory`, 1);
  const blob = await db.dumpDataDir();
  const out = fs.createWriteStream(file);
  let written = 0;
  const counter = new Writable({
    write(chunk: Buffer, _enc, done) {
      written += chunk.length;
      onBytes?.(written);
      out.write(chunk) ? done() : out.once('drain', done);
    },
    final(done) {
      out.end(done);
    },
  });
  out.on('error', (e) => counter.destroy(e));
  await pipeline(blob.stream() as unknown as NodeJS.ReadableStream, counter);
}

/** What is in `dir` already (a few names), or null when it is absent or empty. */
export function dirContents(dir: string): string[] | null {
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch (e) {
    if ((e as { code?: string }).code === 'ENOENT') return null;
    throw e;
  }
  return names.length ? names.sort() : null;
}

/**
 * Loads the data-directory copy in `file` into `dir`, which must be absent or empty (checked
 * again under the directory's lock); `label` names it in messages. `inspect` reads the loaded
 * database before it is closed; `settle` runs once it is in place, the lock still held.
 */
export async function loadEmbedded<T>(
  file: string,
  dir: string,
  label: string,
  o: { lockWaitMs: number; startParams: string[]; inspect: (s: Session) => Promise<T>; settle?: (found: T) => Promise<void> },
): Promise<T> {
  fs.mkdirSync(path.dirname(dir), { recursive: true });
  const release = await acquireLockFile(`${dir}.lock`, { timeoutMs: o.lockWaitMs });
  const tmp = `${dir}.restore-${process.pid}`;
  try {
    const there = dirContents(dir);
    if (there) throw new FmigError('restore-not-empty', `refusing to restore: ${label} is not empty (${there.slice(0, 5).join(', ')}${there.length > 5 ? ', ...' : ''})`, 1);
    fs.rmSync(tmp, { recursive: true, force: true });
    const { PGlite } = await import('@electric-sql/pglite');
    let db;
    try {
      db = await PGlite.create(tmp, { loadDataDir: await fs.openAsBlob(file), startParams: o.startParams });
      await db.query('select 1');
    } catch (e) {
      await db?.close().catch(() => {});
      throw new FmigError('restore-failed', `could not load ${file} as an embedded database: ${(e as Error).message ?? e}`, 1, 'is it a backup that `fmig backup` took of an embedded database (a .tar.gz)?');
    }
    let found: T;
    try {
      found = await o.inspect({
        query: async <R>(sql: string, params?: unknown[]) => (await db.query<R>(sql, params)).rows,
        exec: async (sql: string) => void (await db.exec(sql)),
      });
    } finally {
      await db.close();
    }
    if (fs.existsSync(dir)) fs.rmdirSync(dir); // empty (checked above)
    fs.renameSync(tmp, dir);
    await o.settle?.(found);
    return found;
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
    release();
  }
}

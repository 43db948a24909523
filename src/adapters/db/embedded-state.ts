/**
 * A small state file beside an embedded data directory (`<dir>.state`), written when fmig
 * closes the database: the ledger as it then was, and the contrib extensions the database
 * has. It answers a run that has nothing to write (a no-op `up`, `status`) without starting
 * PostgreSQL, and tells the next start which extensions to load.
 *
 * It holds only while the data directory is unchanged since it was written, and it is never
 * trusted otherwise. PostgreSQL writes the WAL (pg_wal/) at every commit and rewrites
 * global/pg_control at every start and stop, whoever opens the directory (fmig, or PGlite
 * used directly, killed or not). The file records each of those files' inode, size, mtime and
 * ctime (ctime no program can set back), and the list of pg_wal/. A stat that differs from the
 * record, or a file added or gone, makes the state unknown. As in git's index, a change made in
 * the same clock tick as the record could leave the same times: so the state file is written
 * only once the clock has moved past the newest of those times, and it is read only when its
 * own time is past them too. Any later write then lands on a later tick.
 *
 * fmig deletes the file before it opens the directory, and writes it after closing the
 * database, still holding the directory's lock: a run killed in between leaves none.
 */
import { closeSync, openSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';
import type { ContribName } from './pglite-extensions.js';
import type { LedgerRow } from './ledger.js';

/** What the state file tells. */
export interface EmbeddedState {
  /** The contrib extensions the database has installed, or its ledger's kept down SQL names. */
  extensions: ContribName[];
  /** The ledger named `schema.table` (JSON array of its names) as it was, rows in readLedger's order; absent when it was not read. */
  ledger?: { name: string; rows: LedgerRow[] };
}

interface StateFile extends Omit<EmbeddedState, 'ledger'> {
  version: 1;
  fingerprint: string[];
  ledger?: { name: string; rows: object[] };
}

export function stateFile(dataDir: string): string {
  return `${dataDir}.state`;
}

/** A ledger's key in the state file. */
export function ledgerKey(schema: string, table: string): string {
  return JSON.stringify([schema, table]);
}

/** Forgets the state: done before the data directory is opened. */
export function dropState(dataDir: string): void {
  rmSync(stateFile(dataDir), { force: true });
}

/** The state, when the file exists and the data directory is provably unchanged since it was written; else null. */
export function readState(dataDir: string): EmbeddedState | null {
  let raw: string;
  let written: bigint;
  try {
    const file = stateFile(dataDir);
    raw = readFileSync(file, 'utf8');
    written = statSync(file, { bigint: true }).mtimeNs;
  } catch {
    return null;
  }
  let state: StateFile;
  try {
    state = JSON.parse(raw) as StateFile;
  } catch {
    return null;
  }
  if (state?.version !== 1 || !Array.isArray(state.fingerprint)) return null;
  const now = fingerprint(dataDir);
  if (!now || now.newest >= written || now.lines.length !== state.fingerprint.length) return null;
  for (let i = 0; i < now.lines.length; i++) if (now.lines[i] !== state.fingerprint[i]) return null;
  const ledger = state.ledger && {
    name: state.ledger.name,
    rows: (state.ledger.rows as (Omit<LedgerRow, 'started_at' | 'finished_at'> & { started_at: string; finished_at: string | null })[]).map((r) => ({
      ...r,
      started_at: new Date(r.started_at),
      finished_at: r.finished_at === null ? null : new Date(r.finished_at),
    })),
  };
  return { extensions: state.extensions, ...(ledger ? { ledger } : {}) };
}

/**
 * Records the state of a data directory that was just closed (the caller holds its lock). Gives
 * up quietly, leaving no file, when the clock does not move past the directory's last change
 * within a moment, or the file cannot be written.
 */
export async function writeState(dataDir: string, state: EmbeddedState): Promise<void> {
  const file = stateFile(dataDir);
  const tmp = `${file}.${process.pid}`;
  try {
    const fp = fingerprint(dataDir);
    if (!fp) return;
    const body: StateFile = { version: 1, fingerprint: fp.lines, ...state };
    const text = JSON.stringify(body);
    for (let attempt = 0; attempt < 50; attempt++) {
      const fd = openSync(tmp, 'w');
      try {
        writeSync(fd, text);
      } finally {
        closeSync(fd);
      }
      if (statSync(tmp, { bigint: true }).mtimeNs > fp.newest) {
        renameSync(tmp, file);
        return;
      }
      // Written in the same clock tick as the directory's last change: wait for the next tick.
      await new Promise((r) => setTimeout(r, 2));
    }
  } catch {
    // no state file: the next run opens the database
  } finally {
    rmSync(tmp, { force: true });
  }
}

/** What is checked of the data directory: one line per file, and the newest mtime; null when it is not a data directory. */
function fingerprint(dataDir: string): { lines: string[]; newest: bigint } | null {
  const lines: string[] = [];
  let newest = 0n;
  const add = (rel: string): boolean => {
    try {
      const s = statSync(`${dataDir}/${rel}`, { bigint: true });
      lines.push(`${rel} ${s.ino} ${s.size} ${s.mtimeNs} ${s.ctimeNs}`);
      if (s.mtimeNs > newest) newest = s.mtimeNs;
      if (s.ctimeNs > newest) newest = s.ctimeNs;
      return true;
    } catch {
      lines.push(`${rel} absent`);
      return false;
    }
  };
  if (!add('global/pg_control') || !add('pg_wal')) return null;
  add('postmaster.pid');
  let wal: string[];
  try {
    wal = readdirSync(`${dataDir}/pg_wal`).sort();
  } catch {
    return null;
  }
  for (const name of wal) add(`pg_wal/${name}`);
  return { lines, newest };
}

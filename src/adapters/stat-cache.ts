/**
 * What `up` keeps between runs in `.fmig/stat-cache`, in the manner of git's index: for each
 * revision file of the folder, its size, mtime, ctime, inode and device as they were when it
 * was last read, and the summary (checksum, header, line endings) of the bytes read then. A
 * file whose stat is the same now has the same bytes, so it need not be read and hashed again;
 * its checksum is still compared with the ledger's on every run, from the summary.
 *
 * Why the same stat means the same bytes. A write sets the file's ctime to the file system's
 * current time, and no program can set a ctime back (utimes sets the mtime, and moves the
 * ctime to now). Before reading the first file it has no entry for, fmig takes the file
 * system's current time from a file it writes in `.fmig/`, and it records a file only when
 * both its times are older than that: any write after the read then leaves a later ctime than
 * the one recorded, whatever the file system's timestamp granularity. A file changed in the
 * same clock tick as that moment is not recorded, and is read again next time. As git does for
 * "racily clean" files, an entry whose times are not older than the cache file's own write
 * time is not trusted either: the file is read again.
 *
 * The body carries its own checksum: a file that does not match, is of another version or
 * another folder, or cannot be read, is ignored whole (every file is then read and hashed), and
 * rewritten. Writes go to a temporary file renamed over the old one.
 */
import * as crypto from 'node:crypto';
import { closeSync, existsSync, fstatSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, statSync, writeFileSync, type BigIntStats } from 'node:fs';
import { join, sep } from 'node:path';
import type { FileSummary } from '../core/folder.js';

export interface StatCache {
  /** The summary recorded for this file of the folder, when its stat has not changed since and it is not racily clean. */
  get(name: string): FileSummary | undefined;
  /** Records the summary of a file just read (after a `get` that found nothing), when its times are old enough to be trusted. */
  learn(summary: FileSummary): void;
  /** Writes the entries of the files seen in this run, atomically, when anything changed; never throws. */
  save(): void;
  /**
   * After save: the checksum of the cache file's entries, which are then those of this run
   * (every file it got or learned), and how many there are; null when the file could not be
   * written. unchangedFiles checks a folder against it.
   */
  saved(): { hash: string; entries: number } | null;
}

// Bump when the meaning of an entry changes.
const MAGIC = 'fmig-stat-cache 1';

/** The cache of the revision folder `dir` (absolute), kept in `<root>/.fmig/stat-cache`. */
export function openStatCache(root: string, dir: string): StatCache {
  const home = join(root, '.fmig');
  const file = join(home, 'stat-cache');
  const tmp = `${file}.${process.pid}.tmp`;
  // The file system's time before the first file is read; null when it could not be had (nothing is recorded then).
  let now: bigint | null | undefined;
  const prefix = dir.endsWith(sep) ? dir : dir + sep;
  const { lines, written, hash } = load(file, dir);
  const seen = new Map<string, string>();
  const missed = new Map<string, string>();
  let changed = false;
  let saved: { hash: string; entries: number } | null = null;
  return {
    get(name) {
      const st = statSync(prefix + name, { bigint: true, throwIfNoEntry: false });
      if (!st) return undefined;
      const key = statKey(st);
      const line = lines.get(name);
      if (line !== undefined && line.startsWith(key) && line.charCodeAt(key.length) === 9 && st.mtimeNs < written && st.ctimeNs < written) {
        const summary = decode(name, line.slice(key.length + 1));
        if (summary) {
          seen.set(name, line);
          return summary;
        }
      }
      if (line !== undefined) changed = true;
      now ??= fsNow();
      if (now !== null && st.mtimeNs < now && st.ctimeNs < now) missed.set(name, key);
      return undefined;
    },
    learn(summary) {
      const key = missed.get(summary.name);
      if (key === undefined || summary.name.includes('\t') || summary.name.includes('\n')) return;
      seen.set(summary.name, `${key}\t${encode(summary)}`);
      changed = true;
    },
    save() {
      try {
        if (!changed && seen.size === lines.size) {
          saved = { hash, entries: seen.size };
          return;
        }
        let body = '';
        for (const [name, line] of seen) body += `${name}\t${line}\n`;
        makeHome(home);
        const bodyHash = sha1(body);
        writeFileSync(tmp, `${MAGIC} ${bodyHash} ${JSON.stringify(dir)}\n${body}`);
        renameSync(tmp, file);
        saved = { hash: bodyHash, entries: seen.size };
      } catch {
        // A cache that cannot be written only costs the next run its reads.
      } finally {
        if (now) rmSync(tmp, { force: true });
      }
    },
    saved: () => saved,
  };

  function fsNow(): bigint | null {
    return fileSystemNow(home, tmp);
  }
}

/**
 * The file system's current time, as the mtime of `file` (in `home`, `.fmig/`), written now;
 * null when it cannot be had. The file is left for the caller.
 */
export function fileSystemNow(home: string, file: string): bigint | null {
  try {
    makeHome(home);
    const fd = openSync(file, 'w');
    try {
      return fstatSync(fd, { bigint: true }).mtimeNs;
    } finally {
      closeSync(fd);
    }
  } catch {
    return null;
  }
}

/** `.fmig/`, made with a .gitignore of its own when missing: git never shows it, even in a project whose .gitignore does not name it. */
export function makeHome(home: string): void {
  if (existsSync(home)) return;
  mkdirSync(home, { recursive: true });
  writeFileSync(join(home, '.gitignore'), '*\n');
}

/** The stat fields compared: size, mtime, ctime, inode, device. */
export function statKey(st: BigIntStats): string {
  return `${st.size}\t${st.mtimeNs}\t${st.ctimeNs}\t${st.ino}\t${st.dev}`;
}

/** name → the rest of its line, decoded only when used, the cache file's write time and the checksum of its entries; empty when the file is missing, damaged or for another folder. */
function load(file: string, dir: string): { lines: Map<string, string>; written: bigint; hash: string } {
  const lines = new Map<string, string>();
  const read = readBody(file, dir);
  if (!read) return { lines, written: 0n, hash: '' };
  const { body, written, hash } = read;
  eachLine(body, (name, rest) => lines.set(name, rest));
  return { lines, written, hash };
}

/** The cache file's entries (its body), its write time and its checksum; null when it is missing, damaged or for another folder. */
function readBody(file: string, dir: string): { body: string; written: bigint; hash: string } | null {
  let text: string;
  let written: bigint;
  try {
    text = readFileSync(file, 'utf8');
    written = statSync(file, { bigint: true }).mtimeNs;
  } catch {
    return null;
  }
  const nl = text.indexOf('\n');
  const body = text.slice(nl + 1);
  const hash = sha1(body);
  if (nl === -1 || text.slice(0, nl) !== `${MAGIC} ${hash} ${JSON.stringify(dir)}`) return null;
  return { body, written, hash };
}

/** Calls `fn` with the name and the rest of each line of a body. */
function eachLine(body: string, fn: (name: string, rest: string) => void): void {
  let pos = 0;
  while (pos < body.length) {
    let end = body.indexOf('\n', pos);
    if (end === -1) end = body.length;
    const tab = body.indexOf('\t', pos);
    if (tab > pos && tab < end) fn(body.slice(pos, tab), body.slice(tab + 1, end));
    pos = end + 1;
  }
}

/**
 * The files a run's `saved()` vouched for, when the cache of the folder `dir` still holds just
 * those entries (null otherwise); `unchanged()` then tells whether every file still has the
 * stat recorded for it, by the rule `get` applies (the same stat, times older than the cache
 * file's own): the files then have the bytes they had in that run. The files are stat'ed in
 * slices with a turn of the event loop between them, as readFolderInSlices reads them. Never
 * throws.
 */
export function savedFiles(root: string, dir: string, expected: { hash: string; entries: number }): { unchanged(): Promise<boolean> } | null {
  const read = readBody(join(root, '.fmig', 'stat-cache'), dir);
  if (!read || read.hash !== expected.hash) return null;
  const { body, written } = read;
  const prefix = dir.endsWith(sep) ? dir : dir + sep;
  return { unchanged };

  async function unchanged(): Promise<boolean> {
    let count = 0;
    let same = true;
    let pos = 0;
    while (same && pos < body.length) {
      if (++count % SLICE === 0) await new Promise((r) => setImmediate(r));
      let end = body.indexOf('\n', pos);
      if (end === -1) end = body.length;
      const tab = body.indexOf('\t', pos);
      same = tab > pos && tab < end && entryHolds(body.slice(pos, tab), body.slice(tab + 1, end));
      pos = end + 1;
    }
    return same && count === expected.entries;
  }

  function entryHolds(name: string, line: string): boolean {
    try {
      const st = statSync(prefix + name, { bigint: true, throwIfNoEntry: false });
      if (!st) return false;
      const key = statKey(st);
      return line.startsWith(key) && line.charCodeAt(key.length) === 9 && st.mtimeNs < written && st.ctimeNs < written;
    } catch {
      return false;
    }
  }
}

const SLICE = 256;

// After the stat fields: `<checksum>\t<0|1 (CRs)>`, then `\t<header as a JSON string>` when there is one.
function encode(s: FileSummary): string {
  return `${s.checksum}\t${s.crlf ? 1 : 0}${s.header ? `\t${JSON.stringify(s.header)}` : ''}`;
}

function decode(name: string, rest: string): FileSummary | undefined {
  // By hand rather than split and a regular expression: this runs for every file of the folder.
  const tab = rest.indexOf('\t');
  const crlf = rest.charCodeAt(tab + 1);
  if (tab !== 22 || !rest.startsWith('xxh64:') || (crlf !== 48 && crlf !== 49)) return undefined;
  const checksum = rest.slice(0, tab);
  if (rest.length === tab + 2) return { name, header: '', checksum, crlf: crlf === 49 };
  if (rest.charCodeAt(tab + 2) !== 9) return undefined;
  try {
    const h: unknown = JSON.parse(rest.slice(tab + 3));
    return typeof h === 'string' && h !== '' ? { name, header: h, checksum, crlf: crlf === 49 } : undefined;
  } catch {
    return undefined;
  }
}

function sha1(text: string): string {
  return crypto.createHash('sha1').update(text).digest('hex');
}

/** Reads and writes the revision folder. */
import { closeSync, constants, existsSync, openSync, readdirSync, readFileSync, readSync } from 'node:fs';
import { sep } from 'node:path';
import type { FileSummary, ListedFile, SourceFile } from '../core/folder.js';
import { FmigError } from '../core/errors.js';

/** The `.sql` files directly in `dir` with their bytes; throws when the folder does not exist. */
export function readFolder(dir: string, displayDir = dir): SourceFile[] {
  return readFiles(dir, listSql(dir, displayDir));
}

/**
 * The same as readFolder, in slices with a turn of the event loop between them, so that I/O
 * started before (connecting to the database) makes progress while a large folder is read.
 * The files `listOnly` picks are listed by name and not read; those `known` has a summary of
 * (a stat cache) are not read either.
 */
export async function readFolderInSlices(
  dir: string,
  displayDir = dir,
  listOnly?: (name: string) => boolean,
  known?: (name: string) => FileSummary | undefined,
): Promise<(SourceFile | ListedFile | FileSummary)[]> {
  const reader = new Reader(dir);
  const names = listSql(dir, displayDir);
  const out: (SourceFile | ListedFile | FileSummary)[] = [];
  let read = 0;
  for (let i = 0; i < names.length; i++) {
    const name = names[i];
    if (listOnly?.(name)) {
      out.push({ name });
      continue;
    }
    if (++read % SLICE === 0) await new Promise((r) => setImmediate(r));
    out.push(known?.(name) ?? { name, bytes: reader.read(name) });
  }
  return out;
}

const SLICE = 128;

/** These files of the folder, read. */
export function readFiles(dir: string, names: readonly string[]): SourceFile[] {
  const reader = new Reader(dir);
  return names.map((name) => ({ name, bytes: reader.read(name) }));
}

function listSql(dir: string, displayDir: string): string[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new FmigError('no-folder', `the revision folder ${displayDir} does not exist`, 2, 'run `fmig init`, or set `dir` in migrate.toml');
    }
    throw e;
  }
  return names.filter((n) => n.endsWith('.sql')).sort();
}

const BLOCK = 1 << 20;

/**
 * Reads whole files of one folder into shared blocks: one open, one read and one close per
 * small file, and no buffer of its own for each (a folder holds thousands of files of a few
 * hundred bytes). Each result is a view of a block; a file larger than what is left of the
 * block gets its own. Paths are the folder's path and the name joined as strings: the folder
 * is absolute and normalised, and path.join on each of thousands of names costs more than the
 * read.
 */
class Reader {
  private block = Buffer.allocUnsafe(BLOCK);
  private used = 0;
  private readonly prefix: string;

  constructor(dir: string) {
    this.prefix = dir.endsWith(sep) ? dir : dir + sep;
  }

  read(name: string): Uint8Array {
    const fd = openSync(this.prefix + name, constants.O_RDONLY);
    try {
      if (BLOCK - this.used < 64 * 1024) {
        this.block = Buffer.allocUnsafe(BLOCK);
        this.used = 0;
      }
      const room = BLOCK - this.used;
      const n = readSync(fd, this.block, this.used, room, 0);
      if (n < room) {
        const bytes = this.block.subarray(this.used, this.used + n);
        this.used += n;
        return bytes;
      }
      // As large as what was left of the block, or larger: a buffer of its own. (The read above
      // did not move the file's position, so this reads from the start.)
      return readFileSync(fd);
    } finally {
      closeSync(fd);
    }
  }
}

export function folderExists(dir: string): boolean {
  return existsSync(dir);
}

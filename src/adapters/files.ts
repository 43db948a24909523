/** Reads and writes the revision folder. */
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import type { SourceFile } from '../core/folder.js';
import { FmigError } from '../core/errors.js';

/** The `.sql` files directly in `dir` with their bytes; throws when the folder does not exist. */
export function readFolder(dir: string, displayDir = dir): SourceFile[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new FmigError('no-folder', `the revision folder ${displayDir} does not exist`, 2, 'run `fmig init`, or set `dir` in migrate.toml');
    }
    throw e;
  }
  return names.filter((n) => n.endsWith('.sql')).sort().map((name) => ({ name, bytes: readFileSync(join(dir, name)) }));
}

export function folderExists(dir: string): boolean {
  return existsSync(dir);
}

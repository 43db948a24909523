/** Reads another tool's migration folder: every file in it and one level of subfolders (diesel, Prisma). */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { UsageError } from '../core/errors.js';
import type { TheirFile } from './types.js';

/** The folder's files, sorted by path (`sub/name` for a subfolder's), as UTF-8 text. */
export function readTheirFolder(dir: string): TheirFile[] {
  let top: string[];
  try {
    if (!statSync(dir).isDirectory()) throw new UsageError(`${dir} is not a folder`);
    top = readdirSync(dir);
  } catch (e) {
    if (e instanceof UsageError) throw e;
    throw new UsageError(`cannot read the folder ${dir}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  const out: TheirFile[] = [];
  for (const name of top.sort()) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) {
      for (const inner of readdirSync(path).sort()) {
        const p = join(path, inner);
        if (statSync(p).isFile()) out.push({ path: `${name}/${inner}`, text: readFileSync(p, 'utf8') });
      }
    } else out.push({ path: name, text: readFileSync(path, 'utf8') });
  }
  return out;
}

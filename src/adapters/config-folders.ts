/**
 * `dir` as a glob (`services/*\/sql`): one independent project per folder, for monorepos. Each
 * folder keeps its own ledger table in the ledger's schema, named after what the glob's
 * wildcards matched (`fmig_ledger_billing` for services/billing/sql), so that folders never
 * see each other's revisions and the ledger's columns stay as they are.
 */
import path from 'node:path';
import { createHash } from 'node:crypto';
import type { FolderSettings } from './config-types.js';

type FastGlob = typeof import('fast-glob');

const NAMEDATALEN = 63;
/** Every glob fast-glob recognises holds one of these; a path without any is a folder, told without loading it. */
const GLOB_CHARS = /[*?![({\\]/;

/**
 * When `dir` is a glob rather than a folder's path: the folders it matches under `root`, sorted,
 * each with its ledger table (problems for clashing names); null for a folder's path.
 */
export async function globFolders(root: string, dir: string, table: string, problems: string[]): Promise<FolderSettings[] | null> {
  if (!GLOB_CHARS.test(dir)) return null;
  const { default: fg } = await import('fast-glob');
  return fg.isDynamicPattern(dir) ? matchFolders(fg, root, dir, table, problems) : null;
}

function matchFolders(fg: FastGlob, root: string, glob: string, table: string, problems: string[]): FolderSettings[] {
  const found = fg.sync(glob, { cwd: root, onlyDirectories: true, unique: true, dot: false, ignore: ['**/node_modules/**', '**/.git/**'] }).sort();
  const out = found.map((rel) => ({ dir: path.resolve(root, rel), label: rel, table: tableFor(fg, table, glob, rel), project: projectDir(fg, root, glob, rel) }));
  const seen = new Map<string, string>();
  for (const f of out) {
    const other = seen.get(f.table);
    if (other) problems.push(`dir: folders ${other} and ${f.label} would share the ledger table ${f.table}; rename one of them`);
    seen.set(f.table, f.label);
  }
  return out;
}

/** The folder whose project the working directory is in (services/billing for services/billing/sql), if any. */
export function currentFolder(folders: FolderSettings[], cwd: string): FolderSettings | undefined {
  const here = path.resolve(cwd);
  return folders.find((f) => here === f.project || here.startsWith(f.project + path.sep));
}

/** `<table>_<what the wildcards matched>`, within PostgreSQL's 63 bytes (with `_log`), a hash standing in for a long tail. */
function tableFor(fg: FastGlob, table: string, glob: string, rel: string): string {
  const pattern = glob.replace(/\/+$/, '').split('/');
  const parts = rel.split('/');
  const varying = !pattern.includes('**') && pattern.length === parts.length ? parts.filter((_, i) => fg.isDynamicPattern(pattern[i])) : parts;
  const key = varying.join('_').replace(/[^A-Za-z0-9_]+/g, '_');
  const name = `${table}_${key}`;
  if (Buffer.byteLength(name) + '_log'.length <= NAMEDATALEN) return name;
  const hash = createHash('sha256').update(rel).digest('hex').slice(0, 8);
  return `${Buffer.from(name).subarray(0, NAMEDATALEN - 4 - 9).toString('utf8').replace(/\uFFFD+$/, '')}_${hash}`;
}

/** The directory a folder's wildcards end in: services/billing for services/*\/sql. */
function projectDir(fg: FastGlob, root: string, glob: string, rel: string): string {
  const pattern = glob.split('/');
  const parts = rel.split('/');
  let last = -1;
  for (let i = 0; i < Math.min(pattern.length, parts.length); i++) if (fg.isDynamicPattern(pattern[i])) last = i;
  if (pattern.includes('**') || last === -1) return path.resolve(root, rel);
  return path.resolve(root, parts.slice(0, last + 1).join('/'));
}

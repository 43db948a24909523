/**
 * What verify keeps between runs, in `.git/fmig/header-cache`: for each git blob id, the header
 * of the revision file with that content, whether its CRs deserve a warning and whether it holds
 * a backslash (the only way into a psql meta-command, which verify then reads it for). Keyed by
 * content, an entry cannot go stale; verify consults it only for files git itself reports
 * identical to a blob, so unchanged published files need not be read at all. The body carries
 * its own checksum: a file that does not match is ignored whole, and rewritten.
 */
import * as crypto from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

export interface CachedHeader {
  header: string;
  crlf: boolean;
  /** The content holds a backslash: it may hold a psql meta-command. */
  backslash: boolean;
}

export interface HeaderCache {
  get(blob: string): CachedHeader | undefined;
  set(blob: string, entry: CachedHeader): void;
  /** Writes the entries of the blobs `live` lists, atomically, when anything was learnt or most are unused; never throws. */
  save(live: () => ReadonlySet<string>): void;
}

// Bump when the meaning of an entry changes.
const MAGIC = 'fmig-header-cache 2';
// Most revision files have no header: one shared answer per set of flags spares thousands of objects.
const PLAIN = [0, 1, 2, 3].map((flags) => Object.freeze(entry('', flags)));

/** The cache kept in `gitDir` (see findGitDir); an empty one, never saved, without one. */
export function openHeaderCache(gitDir: string | null): HeaderCache {
  const file = gitDir ? join(gitDir, 'fmig', 'header-cache') : null;
  const lines = file ? load(file) : new Map<string, string>();
  let learnt = false;
  let hits = 0;
  return {
    get(blob) {
      const line = lines.get(blob);
      if (line === undefined) return undefined;
      hits++;
      return decode(line);
    },
    set(blob, entry) {
      if (!/^[0-9a-f]{40,64}$/.test(blob)) return;
      lines.set(blob, encode(entry));
      learnt = true;
    },
    save(live) {
      if (!file || (!learnt && lines.size <= hits * 2 + 100)) return;
      try {
        const keep = live();
        let body = '';
        for (const [blob, line] of lines) if (keep.has(blob)) body += `${blob} ${line}\n`;
        mkdirSync(dirname(file), { recursive: true });
        const tmp = `${file}.${process.pid}.tmp`;
        writeFileSync(tmp, `${MAGIC} ${sha1(body)}\n${body}`);
        renameSync(tmp, file);
      } catch {
        // A cache that cannot be written only costs the next run its reads.
      }
    },
  };
}

/** blob → the rest of its line, decoded only when used; empty when the file is missing or damaged. */
function load(file: string): Map<string, string> {
  const out = new Map<string, string>();
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return out;
  }
  const nl = text.indexOf('\n');
  const body = text.slice(nl + 1);
  if (nl === -1 || text.slice(0, nl) !== `${MAGIC} ${sha1(body)}`) return out;
  let pos = 0;
  while (pos < body.length) {
    let end = body.indexOf('\n', pos);
    if (end === -1) end = body.length;
    const space = body.indexOf(' ', pos);
    if (space > pos && space < end) out.set(body.slice(pos, space), body.slice(space + 1, end));
    pos = end + 1;
  }
  return out;
}

// A line: `<blob> <flags>` for a file without header, `<blob> <flags> <header as a JSON string>`
// otherwise; flags is a digit, 1 for CRs worth a warning plus 2 for a backslash.
function encode(e: CachedHeader): string {
  return `${(e.crlf ? 1 : 0) + (e.backslash ? 2 : 0)}${e.header ? ` ${JSON.stringify(e.header)}` : ''}`;
}

function decode(line: string): CachedHeader | undefined {
  const flags = '0123'.indexOf(line[0]);
  if (flags === -1) return undefined;
  if (line.length === 1) return PLAIN[flags];
  if (line[1] !== ' ') return undefined;
  try {
    const header: unknown = JSON.parse(line.slice(2));
    return typeof header === 'string' ? entry(header, flags) : undefined;
  } catch {
    return undefined;
  }
}

function entry(header: string, flags: number): CachedHeader {
  return { header, crlf: (flags & 1) !== 0, backslash: (flags & 2) !== 0 };
}

function sha1(text: string): string {
  return crypto.createHash('sha1').update(text).digest('hex');
}

/** The repository's git directory: `$GIT_DIR`, or the nearest `.git` up from `root` (a directory, or a `gitdir:` file). */
export function findGitDir(root: string, env: NodeJS.ProcessEnv = process.env): string | null {
  if (env.GIT_DIR) return resolve(root, env.GIT_DIR);
  for (let dir = resolve(root); ; dir = dirname(dir)) {
    const dotGit = join(dir, '.git');
    try {
      if (statSync(dotGit).isDirectory()) return dotGit;
      const m = /^gitdir: (.+)$/m.exec(readFileSync(dotGit, 'utf8'));
      return m ? resolve(dir, m[1].trim()) : null;
    } catch {
      // not here: look further up
    }
    if (dirname(dir) === dir) return null;
  }
}

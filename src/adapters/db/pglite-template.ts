/**
 * An initialised PGlite data directory, packed into one file when fmig is built
 * (scripts/pglite-template.mjs), so that the first run in a project, and every throwaway
 * database (pglite://memory), copies it instead of running initdb (seconds of CPU, and a second
 * PostgreSQL in memory while it runs). The file is made for one PGlite version and used with no
 * other; without it, fmig runs initdb.
 *
 * The format is fmig's own: gzip of a 4-byte length, a JSON list of entries (path, directory
 * or file, mode, size) and the files' bytes one after the other, each without its trailing zeros.
 */
import { mkdirSync, readdirSync, readFileSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';

interface Entry {
  path: string;
  dir: boolean;
  mode: number;
  size: number;
  /** The bytes stored: the file without the zeros it ends with (most of a WAL segment), which truncating back to `size` restores. */
  stored: number;
}

interface Header {
  pglite: string;
  entries: Entry[];
}

/** The version of the PGlite package that fmig loads. */
export function pgliteVersion(): string {
  const require = createRequire(import.meta.url);
  const pkg = path.join(path.dirname(require.resolve('@electric-sql/pglite')), '..', 'package.json');
  return (JSON.parse(readFileSync(pkg, 'utf8')) as { version: string }).version;
}

/** Where a file made for this PGlite version is looked for: dist/, seen from the bundle (dist/cli/) or from the compiled module (dist/adapters/db/). */
function candidates(name: string): string[] {
  return ['../', '../../'].map((up) => new URL(up + name, import.meta.url).pathname);
}

/** The template's file name in `distDir` for this PGlite version. */
export function templateFile(distDir: string): string {
  return path.join(distDir, `pglite-template-${pgliteVersion()}.bin`);
}

/** Packs the data directory `src` into `file`. */
export function packTemplate(src: string, file: string): void {
  const entries: Entry[] = [];
  const chunks: Buffer[] = [];
  const walk = (rel: string) => {
    for (const name of readdirSync(path.join(src, rel)).sort()) {
      const p = rel ? `${rel}/${name}` : name;
      const s = statSync(path.join(src, p));
      if (s.isDirectory()) {
        entries.push({ path: p, dir: true, mode: s.mode & 0o777, size: 0, stored: 0 });
        walk(p);
      } else {
        const bytes = readFileSync(path.join(src, p));
        let stored = bytes.length;
        while (stored > 0 && bytes[stored - 1] === 0) stored--;
        entries.push({ path: p, dir: false, mode: s.mode & 0o777, size: bytes.length, stored });
        chunks.push(bytes.subarray(0, stored));
      }
    }
  };
  walk('');
  const header = Buffer.from(JSON.stringify({ pglite: pgliteVersion(), entries } satisfies Header));
  const len = Buffer.alloc(4);
  len.writeUInt32BE(header.length);
  writeFileSync(file, gzipSync(Buffer.concat([len, header, ...chunks]), { level: 9 }));
}

/**
 * Unpacks the template into `dest` (a new directory); false, writing nothing, when there is no
 * template for the PGlite version in use.
 */
export function unpackTemplate(dest: string): boolean {
  const version = pgliteVersion();
  let packed: Buffer | undefined;
  for (const file of candidates(`pglite-template-${version}.bin`)) {
    try {
      packed = readFileSync(file);
      break;
    } catch {
      // not there: the next place, or initdb
    }
  }
  if (!packed) return false;
  const raw = gunzipSync(packed);
  const len = raw.readUInt32BE(0);
  const header = JSON.parse(raw.subarray(4, 4 + len).toString('utf8')) as Header;
  if (header.pglite !== version) return false;
  mkdirSync(dest, { mode: 0o700 });
  let at = 4 + len;
  for (const e of header.entries) {
    const to = path.join(dest, e.path);
    if (e.dir) mkdirSync(to, { mode: e.mode });
    else {
      writeFileSync(to, raw.subarray(at, at + e.stored), { mode: e.mode });
      if (e.stored < e.size) truncateSync(to, e.size);
      at += e.stored;
    }
  }
  return true;
}

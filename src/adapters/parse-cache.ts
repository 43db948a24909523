/**
 * Parse trees verify keeps between runs, in `.git/fmig/parse-cache`: for each git blob id of a
 * revision file it linted, or of a text the commutation judgement parsed (commands/commute.ts),
 * the statements as PostgreSQL's parser returned them. Keyed by content, an entry cannot go
 * stale; a pre-commit hook re-running verify on the same new revisions, or a judgement of heads
 * judged before, then need not load the parser at all (its wasm costs more than the rest of verify).
 * Only the entries of the latest runs are kept. The body carries its own checksum and the fmig
 * version that wrote it: anything else is ignored whole, and rewritten.
 */
import * as crypto from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { ParsedStatement } from '../sql/parse.js';
import { version } from '../version.js';

export interface ParseCache {
  get(blob: string): ParsedStatement[] | undefined;
  set(blob: string, statements: ParsedStatement[]): void;
  /** Writes the entries used or learnt by this run (and a few older ones), atomically, when anything changed; never throws. */
  save(): void;
}

/**
 * The statements of `text`: the cache's under `key` (the text's blob id), else PostgreSQL's
 * parser's (its module and wasm load on the first call only), kept under `key`. No key: parsed.
 */
export async function parseCached(cache: ParseCache, key: string | undefined, text: string): Promise<ParsedStatement[]> {
  const known = key ? cache.get(key) : undefined;
  if (known) return known;
  const statements = await (await import('../sql/parse.js')).parseStatements(text);
  if (key) cache.set(key, statements);
  return statements;
}

const MAGIC = `fmig-parse-cache 1 ${version}`;
/** Entries kept: the new revisions of a few branches. */
const KEEP = 200;

/** The cache kept in `gitDir`; an empty one, never saved, without one. */
export function openParseCache(gitDir: string | null): ParseCache {
  const file = gitDir ? join(gitDir, 'fmig', 'parse-cache') : null;
  const old = file ? load(file) : {};
  const used = new Map<string, ParsedStatement[]>();
  let learnt = false;
  return {
    get(blob) {
      const hit = old[blob];
      if (hit) used.set(blob, hit);
      return hit;
    },
    set(blob, statements) {
      if (!/^[0-9a-f]{40,64}$/.test(blob)) return;
      used.set(blob, statements);
      learnt = true;
    },
    save() {
      if (!file || !learnt) return;
      try {
        const entries = [...used, ...Object.entries(old).filter(([b]) => !used.has(b))].slice(0, KEEP);
        const body = JSON.stringify(Object.fromEntries(entries));
        mkdirSync(dirname(file), { recursive: true });
        const tmp = `${file}.${process.pid}.tmp`;
        writeFileSync(tmp, `${MAGIC} ${sha1(body)}\n${body}`);
        renameSync(tmp, file);
      } catch {
        // A cache that cannot be written only costs the next run the parser.
      }
    },
  };
}

function load(file: string): Record<string, ParsedStatement[]> {
  try {
    const text = readFileSync(file, 'utf8');
    const nl = text.indexOf('\n');
    const body = text.slice(nl + 1);
    if (nl === -1 || text.slice(0, nl) !== `${MAGIC} ${sha1(body)}`) return {};
    const parsed: unknown = JSON.parse(body);
    return parsed && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as Record<string, ParsedStatement[]>) : {};
  } catch {
    return {};
  }
}

function sha1(text: string): string {
  return crypto.createHash('sha1').update(text).digest('hex');
}

/**
 * Which of PGlite's contrib extensions an embedded database loads. Each one loaded costs
 * start-up time and memory on every run (all of them: about half a second and 40 MB), so a
 * database loads those it may need: the ones it has installed, and the ones the revision
 * folder names. Where either is unknown, it loads them all.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { sep } from 'node:path';
import type { Extensions } from '@electric-sql/pglite';

/** The contrib extensions PGlite ships, by the name of their module (uuid-ossp is `uuid_ossp`). */
export const CONTRIB = [
  'btree_gin', 'btree_gist', 'citext', 'cube', 'earthdistance', 'fuzzystrmatch', 'hstore', 'intarray', 'isn', 'lo',
  'ltree', 'moddatetime', 'pg_trgm', 'pgcrypto', 'seg', 'tablefunc', 'tcn', 'unaccent', 'uuid_ossp',
] as const;

export type ContribName = (typeof CONTRIB)[number];

/** What an extension needs installed first (`CREATE EXTENSION ... CASCADE` installs it). */
const REQUIRES: Partial<Record<ContribName, ContribName[]>> = { earthdistance: ['cube'] };

const MENTION = new RegExp(`\\b(${CONTRIB.map((n) => n.replace('_', '[-_]')).join('|')})\\b`, 'gi');
const CREATE = /\bcreate\s+extension\b/gi;
const CREATE_NAMED = /\bcreate\s+extension\s+(?:if\s+not\s+exists\s+)?(?:"[^"]+"|[\w-]+)/gi;

/** The module name of an extension as SQL names it (`uuid-ossp` → `uuid_ossp`), or null when PGlite ships no such contrib module. */
export function contribName(sqlName: string): ContribName | null {
  const n = sqlName.toLowerCase().replace(/-/g, '_');
  return (CONTRIB as readonly string[]).includes(n) ? (n as ContribName) : null;
}

/**
 * The contrib extensions SQL text names anywhere, as a word; null when it creates an extension
 * whose name it does not spell out (built in dynamic SQL, say), which could be any of them.
 */
export function mentionedIn(text: string): Set<ContribName> | null {
  const found = new Set<ContribName>();
  for (const m of text.matchAll(MENTION)) found.add(contribName(m[1])!);
  const creates = text.match(CREATE)?.length ?? 0;
  if (creates > (text.match(CREATE_NAMED)?.length ?? 0)) return null;
  return found;
}

/** The contrib extensions the `.sql` files of a folder name; null when one of them may create any (see mentionedIn) or the folder cannot be read. */
export function mentionedInFolder(dir: string): Set<ContribName> | null {
  const found = new Set<ContribName>();
  try {
    const prefix = dir.endsWith(sep) ? dir : dir + sep;
    for (const name of readdirSync(dir)) {
      if (!name.endsWith('.sql')) continue;
      const got = mentionedIn(readFileSync(prefix + name, 'latin1'));
      if (got === null) return null;
      for (const n of got) found.add(n);
    }
  } catch {
    return null;
  }
  return found;
}

/** `names` and what they require; every contrib extension for null. */
export function withRequirements(names: Iterable<ContribName> | null): ContribName[] {
  if (names === null) return [...CONTRIB];
  const out = new Set<ContribName>();
  const add = (n: ContribName) => {
    if (out.has(n)) return;
    out.add(n);
    for (const r of REQUIRES[n] ?? []) add(r);
  };
  for (const n of names) add(n);
  return CONTRIB.filter((n) => out.has(n));
}

/** Loads PGlite's modules for these extensions. */
export async function loadContrib(names: readonly ContribName[]): Promise<Extensions> {
  const mods = await Promise.all(names.map((name) => import(`@electric-sql/pglite/contrib/${name}`).then((m) => m[name])));
  return Object.fromEntries(names.map((name, i) => [name, mods[i]])) as Extensions;
}

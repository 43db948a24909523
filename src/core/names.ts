/** Revision file names (`<revision>_<slug>.up.sql`) and the order of revision ids. */

export type Direction = 'up' | 'down';

export interface ParsedName {
  revision: string;
  slug: string;
  direction: Direction;
}

/**
 * Parses a revision file name, `<revision>_<slug>.up.sql` or `.down.sql` with `<revision>`
 * `[0-9A-Za-z]+` and the slug anything (spaces, dots, nothing); null when it is not one.
 * (Read by hand rather than with a regular expression: a folder has thousands of names, and
 * this runs on every command.)
 */
export function parseFileName(name: string): ParsedName | null {
  const direction: Direction | null = name.endsWith('.up.sql') ? 'up' : name.endsWith('.down.sql') ? 'down' : null;
  if (direction === null) return null;
  const end = name.length - (direction === 'up' ? 7 : 9);
  const sep = name.indexOf('_');
  if (sep <= 0 || sep > end) return null;
  for (let i = 0; i < sep; i++) if (!isIdChar(name.charCodeAt(i))) return null;
  return { revision: name.slice(0, sep), slug: name.slice(sep + 1, end), direction };
}

/** [0-9A-Za-z] */
function isIdChar(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
}

/** The file name of one side of a revision. */
export function fileName(revision: string, slug: string, direction: Direction): string {
  return `${revision}_${slug}.${direction}.sql`;
}

/**
 * Orders revision ids: numerically when both are all digits (any length), else by code point.
 * Numerically equal ids with different spellings ("01", "1") fall back to code point so the
 * order is total.
 */
export function compareIds(a: string, b: string): number {
  if (a === b) return 0;
  // Sorting thousands of ids calls this often: no regexes, no new strings.
  if (allDigits(a) && allDigits(b)) {
    let i = 0;
    let j = 0;
    while (i < a.length - 1 && a.charCodeAt(i) === 48) i++;
    while (j < b.length - 1 && b.charCodeAt(j) === 48) j++;
    const la = a.length - i;
    const lb = b.length - j;
    if (la !== lb) return la - lb;
    for (; i < a.length; i++, j++) {
      const d = a.charCodeAt(i) - b.charCodeAt(j);
      if (d !== 0) return d;
    }
  }
  return a < b ? -1 : 1;
}

function allDigits(s: string): boolean {
  if (s.length === 0) return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return true;
}

export function isAllDigits(id: string): boolean {
  return allDigits(id);
}

/** Revision file names (`<revision>_<slug>.up.sql`) and the order of revision ids. */

export type Direction = 'up' | 'down';

export interface ParsedName {
  revision: string;
  slug: string;
  direction: Direction;
}

const NAME = /^([0-9A-Za-z]+)_(.*)\.(up|down)\.sql$/s;
const DIGITS = /^[0-9]+$/;

/** Parses a revision file name; null when it is not one. */
export function parseFileName(name: string): ParsedName | null {
  const m = NAME.exec(name);
  if (!m) return null;
  return { revision: m[1], slug: m[2], direction: m[3] as Direction };
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
  if (DIGITS.test(a) && DIGITS.test(b)) {
    const x = a.replace(/^0+(?=.)/, '');
    const y = b.replace(/^0+(?=.)/, '');
    if (x.length !== y.length) return x.length - y.length;
    if (x !== y) return x < y ? -1 : 1;
  }
  return a < b ? -1 : 1;
}

export function isAllDigits(id: string): boolean {
  return DIGITS.test(id);
}

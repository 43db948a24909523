/** The id and slug of a new revision (SPEC section 6, `fmig new`). */
import { compareIds, isAllDigits } from './names.js';

/**
 * Sequence numbers shorter than 14 digits get the next number at the same width; otherwise
 * (an empty folder, timestamps) the UTC time YYYYMMDDHHMMSS, or the highest id plus one if that is not higher.
 */
export function nextRevisionId(existing: readonly string[], now: Date): string {
  const highest = [...existing].sort(compareIds).at(-1);
  if (highest !== undefined && existing.every(isAllDigits) && highest.length < 14) {
    const next = (BigInt(highest) + 1n).toString();
    return next.padStart(highest.length, '0');
  }
  const stamp = now.toISOString().replace(/[-:T]/g, '').slice(0, 14);
  if (highest === undefined || compareIds(stamp, highest) > 0) return stamp;
  return isAllDigits(highest) ? (BigInt(highest) + 1n).toString() : highest + '1';
}

/** A file-name-safe slug: what the user typed, with runs of other characters turned into `_`. */
export function slugify(text: string): string {
  return text
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]+/gu, '_')
    .replace(/^_+|_+$/g, '')
    .slice(0, 80);
}

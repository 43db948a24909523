/** Revision targets as users type them: an id, or the `<id>_<slug>` form fmig prints. */

/** The revision id in `000003` or `000003_add_x`; null when `s` is neither. */
export function targetRevision(s: string): string | null {
  const m = /^([0-9A-Za-z]+)(?:_.*)?$/s.exec(s);
  return m ? m[1] : null;
}

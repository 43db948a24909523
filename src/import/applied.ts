/** Which fmig revisions another tool's ledger says are applied (pure). */
import { compareIds } from '../core/names.js';
import { LedgerRefusal, type LedgerReading } from './types.js';

/** What applied() needs of the fmig folder. */
export interface FolderView {
  /** Every revision id in fmig's application order. */
  order: readonly string[];
  /** The ancestors of a revision in the folder's graph. */
  ancestors(id: string): Set<string>;
}

/**
 * The fmig ids the reading names, in application order. Throws LedgerRefusal when the ledger
 * names a version the folder lacks.
 */
export function appliedIds(reading: LedgerReading, idFor: (version: string) => string, folder: FolderView, versionOf: (id: string) => string = (id) => id): string[] {
  const known = new Set(folder.order);
  // A ledger keeps numbers (bigint) where file names may pad them: 1 is 000001.
  const numeric = new Map(folder.order.filter((id) => /^\d+$/.test(id)).map((id) => [id.replace(/^0+(?=\d)/, ''), id]));
  const find = (version: string): string => {
    let id = idFor(version);
    if (!known.has(id) && /^\d+$/.test(id)) id = numeric.get(id.replace(/^0+(?=\d)/, '')) ?? id;
    if (!known.has(id)) throw new LedgerRefusal(version, `their ledger records version ${version}, which is not in the folder (as revision ${id})`);
    return id;
  };
  const wanted = new Set<string>();
  if (reading.kind === 'exact') {
    for (const v of reading.versions) wanted.add(find(v));
    // A baseline: every version up to it counts as applied.
    const below = reading.atOrBelow;
    if (below) for (const id of folder.order) if (below.compare(versionOf(id), below.version) <= 0) wanted.add(id);
  } else if (reading.kind === 'heads') {
    for (const v of reading.versions) {
      const id = find(v);
      wanted.add(id);
      for (const a of folder.ancestors(id)) wanted.add(a);
    }
  } else if (reading.version !== null) {
    const top = find(reading.version);
    for (const id of folder.order) if (compareIds(id, top) <= 0) wanted.add(id);
  }
  return folder.order.filter((id) => wanted.has(id));
}

/**
 * How fmig opens an embedded data directory: which contrib extensions it loads, and the state
 * file (embedded-state.ts) it forgets on opening and writes on closing.
 */
import { existsSync } from 'node:fs';
import type { OpenOptions, Session } from './driver.js';
import { dropState, ledgerKey, readState, writeState, type EmbeddedState } from './embedded-state.js';
import { readLedger, tableRef } from './ledger.js';
import type { PgliteOpen } from './pglite.js';
import { contribName, mentionedIn, mentionedInFolder, withRequirements, CONTRIB, type ContribName } from './pglite-extensions.js';

/** For a data directory (`dir`), or the in-memory database (null). */
export function embeddedOpen(dir: string | null, opts: OpenOptions): PgliteOpen {
  // Without the folder, nothing says which extensions the SQL to come needs: all are loaded.
  const mentioned = () => (opts.sqlDir ? mentionedInFolder(opts.sqlDir) : null);
  if (dir === null) return { extensions: withRequirements(mentioned()) };
  return {
    onLocked() {
      // A database about to be created has no extension yet.
      const installed = existsSync(`${dir}/PG_VERSION`) ? (readState(dir)?.extensions ?? null) : [];
      dropState(dir);
      const named = installed && mentioned();
      return withRequirements(named ? [...installed, ...named] : null);
    },
    beforeClose: (s) => recordable(s, opts),
    afterClose: (state) => writeState(dir, state as EmbeddedState),
  };
}

/** What the state file keeps, read from the open database. */
export async function recordable(s: Session, opts: OpenOptions): Promise<EmbeddedState> {
  const [{ ext }] = await s.query<{ ext: string[] }>(`select coalesce(array_agg(extname::text), '{}') as ext from pg_extension`);
  let extensions: Set<ContribName> | null = new Set(ext.map(contribName).filter((n) => n !== null));
  if (!opts.ledger) return { extensions: [...extensions] };
  const { schema, table } = opts.ledger;
  const rows = await readLedger(s, opts.ledger);
  if (rows.length) {
    // A revision reverted with the SQL the ledger kept may create an extension that its up dropped.
    const [{ t }] = await s.query<{ t: string | null }>(
      `select string_agg(down_sql, E'\\n') as t from ${tableRef(opts.ledger)} where down_sql ~* 'create\\s+extension'`,
    );
    const kept = t ? mentionedIn(t) : new Set<ContribName>();
    extensions = kept && new Set([...extensions, ...kept]);
  }
  return { extensions: extensions ? [...extensions] : [...CONTRIB], ledger: { name: ledgerKey(schema, table), rows } };
}

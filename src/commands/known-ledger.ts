/**
 * The ledger of the configured embedded database as its state file recorded it, when the data
 * directory is provably unchanged since (adapters/db/embedded-state.ts): a run with nothing to
 * write answers from it without starting PostgreSQL. Null for a server, an in-memory database,
 * or whenever the state is unknown; the caller then opens the database.
 */
import { isAbsolute, resolve } from 'node:path';
import type { Config } from '../adapters/config-types.js';
import { ledgerKey, readState } from '../adapters/db/embedded-state.js';
import type { LedgerRow } from '../adapters/db/ledger.js';

export function knownLedger(config: Config): LedgerRow[] | null {
  const m = /^pglite:\/\/(.+)$/.exec(config.database.url);
  if (!m || m[1] === 'memory') return null;
  const state = readState(isAbsolute(m[1]) ? m[1] : resolve(config.root, m[1]));
  const name = ledgerKey(config.database.schema, config.database.table);
  return state?.ledger?.name === name ? state.ledger.rows : null;
}

/** What every other tool's folder and ledger become on the way into fmig. */

export const TOOLS = ['alembic', 'golang-migrate', 'goose', 'dbmate', 'flyway', 'diesel', 'prisma'] as const;
export type ToolName = (typeof TOOLS)[number];

/** One side of a migration: the SQL as the tool would run it, and whether it runs outside a transaction. */
export interface Body {
  text: string;
  noTransaction: boolean;
}

/** One migration of another tool, read from its folder. */
export interface ToolRevision {
  /** Their name for it (a file, a folder, a revision id), for the mapping and messages. */
  source: string;
  /** The version as the tool's ledger records it. */
  version: string;
  /** The fmig revision id it becomes. */
  id: string;
  slug: string;
  /** Parents as fmig ids where the tool keeps a graph (Alembic); null: it follows the migration before it in the tool's order. */
  parents: string[] | null;
  up: Body;
  /** Null where the tool has no down for it: an irreversible revision. */
  down: Body | null;
  /** Remarks for the mapping (branch labels, an empty down, ...). */
  notes: string[];
}

/** A migration of theirs that cannot become SQL, with the reason. */
export interface Skipped {
  source: string;
  reason: string;
}

/** A tool's folder: its migrations in the tool's own order, and what could not be imported. */
export interface ToolFolder {
  tool: ToolName;
  revisions: ToolRevision[];
  skipped: Skipped[];
}

/** A file as read from their folder: its path relative to that folder, and its text. */
export interface TheirFile {
  path: string;
  text: string;
}

/**
 * What the tool's ledger says is applied: an exact set of versions, every version up to one
 * (golang-migrate), or heads whose ancestors are applied too (Alembic).
 */
export type LedgerReading =
  | { kind: 'exact'; versions: string[]; atOrBelow?: { version: string; compare: (a: string, b: string) => number } }
  | { kind: 'up-to'; version: string | null }
  | { kind: 'heads'; versions: string[] };

/** The tool's ledger says something fmig must not adopt: a dirty or failed migration. */
export class LedgerRefusal extends Error {
  readonly row: string;
  constructor(row: string, message: string) {
    super(message);
    this.row = row;
  }
}

/** A tool's ledger: how to find and read it, and what its rows mean. */
export interface ToolLedger {
  /** The table the tool creates (schema-qualified only when the tool does so). */
  table: string;
  /** Reads every row; `$table` is replaced by the quoted table name. */
  query: string;
  /** What the rows say is applied; throws LedgerRefusal for a dirty or failed row. */
  interpret(rows: Record<string, unknown>[]): LedgerReading;
  /** The fmig id of a version the ledger names. */
  idFor(version: string): string;
  /** The version an fmig id stands for, where it is not the id itself. */
  versionOf?(id: string): string;
}

/**
 * What the lint rules know beyond one statement: which tables are new (created in the same
 * revision, or in a revision of this branch that is not published: locking them is harmless),
 * which NOT NULL checks have been validated, and which statements share a transaction (from
 * fmig's own rules for running a file, SPEC section 2). Pure.
 */
import { blockAt, planExecution } from '../core/transactions.js';

/** A `CHECK (column IS NOT NULL)` constraint seen so far. */
interface NotNullCheck {
  table: string;
  column: string;
  validated: boolean;
}

/** What the revisions linted so far, in application order, leave behind for the next ones. */
export class LintContext {
  /** Tables (and indexes, and enum types) created by unpublished revisions of this branch. */
  private readonly branchNew = new Set<string>();
  private readonly checks = new Map<string, NotNullCheck>();

  /** Starts a file: objects it creates are new within it, and for later files when `unpublished`. */
  file(unpublished: boolean): FileContext {
    return new FileContext(this.branchNew, this.checks, unpublished);
  }
}

/** The context while one file is linted. */
export class FileContext {
  private readonly created = new Set<string>();
  /** The file has set lock_timeout (to something other than 0) before the current statement. */
  lockTimeoutSet = false;
  /** The file already has a lock-timeout-missing finding. */
  lockTimeoutReported = false;

  constructor(
    private readonly branchNew: Set<string>,
    private readonly checks: Map<string, NotNullCheck>,
    private readonly unpublished: boolean,
  ) {}

  /** Created in this file or in an unpublished revision before it. */
  isNew(name: string): boolean {
    return this.created.has(name) || this.branchNew.has(name);
  }

  /** Records an object the file creates. */
  create(name: string): void {
    this.created.add(name);
    if (this.unpublished) this.branchNew.add(name);
  }

  /** Records a `CHECK (column IS NOT NULL)` constraint named `name` (null when unnamed: then it cannot be validated later). */
  notNullCheck(name: string | null, table: string, column: string, validated: boolean): void {
    this.checks.set(name ?? `${table}.${column} (unnamed)`, { table, column, validated });
  }

  /** `VALIDATE CONSTRAINT name` on `table`. */
  validate(table: string, name: string): void {
    const c = this.checks.get(name);
    if (c && c.table === table) c.validated = true;
  }

  /** A validated `CHECK (column IS NOT NULL)` exists on the table. */
  hasValidatedCheck(table: string, column: string): boolean {
    for (const c of this.checks.values()) if (c.table === table && c.column === column && c.validated) return true;
    return false;
  }
}

/**
 * For each statement of a file (in core/split.ts's order), the transaction it runs in: one
 * number per transaction, null for a statement that runs on its own. How fmig runs the file
 * decides it: the `-- fmig:no-transaction` directive, a statement that cannot run inside a
 * transaction, the file's own BEGIN/COMMIT.
 */
export function transactionsOf(text: string, noTransaction: boolean, count: number): (number | null)[] {
  const plan = planExecution(text, noTransaction);
  if (plan.mode === 'transaction') return Array.from({ length: count }, () => 0);
  return Array.from({ length: count }, (_, i) => {
    const block = blockAt(plan.blocks, i);
    return block ? plan.blocks.indexOf(block) : null;
  });
}

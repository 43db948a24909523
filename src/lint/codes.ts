/**
 * The lint rules of `fmig verify`: each code with its default severity, what it flags, why it
 * is risky and the safe pattern. Pure data; migrate.toml's `[lint.rules]` is checked against it.
 */
import type { Severity } from '../core/findings.js';

export interface LintRule {
  severity: Severity;
  /** What the rule flags, in a few words (the README's rules table). */
  what: string;
  /** The safe pattern to use instead. */
  safe: string;
}

/** A rule's setting in migrate.toml's `[lint.rules]`. */
export type RuleSetting = 'off' | Severity;

export const LINT_RULES = {
  'index-not-concurrent': {
    severity: 'error',
    what: 'CREATE INDEX without CONCURRENTLY on an existing table',
    safe: 'CREATE INDEX CONCURRENTLY, alone in a revision marked -- fmig:no-transaction',
  },
  'concurrently-in-transaction': {
    severity: 'error',
    what: 'CREATE/DROP INDEX CONCURRENTLY or REINDEX CONCURRENTLY inside a transaction block',
    safe: 'put it in a revision of its own, marked -- fmig:no-transaction, with no BEGIN/COMMIT around it',
  },
  'add-column-not-null': {
    severity: 'error',
    what: 'ADD COLUMN ... NOT NULL without a default on an existing table',
    safe: 'add it with a constant DEFAULT (free since PostgreSQL 11), or nullable, backfill in batches, then add the NOT NULL the safe way',
  },
  'add-column-rewrite': {
    severity: 'error',
    what: 'ADD COLUMN with a volatile default (or any default before PostgreSQL 11), a serial or a stored generated column',
    safe: 'add the column without the default (or with a constant one), set the default for new rows, backfill old rows in batches',
  },
  'alter-column-type': {
    severity: 'error',
    what: 'ALTER COLUMN ... TYPE: rewrites the table and its indexes',
    safe: 'add a column of the new type, backfill it in batches, switch readers and writers, drop the old column in a later release',
  },
  'set-not-null': {
    severity: 'error',
    what: 'SET NOT NULL without a validated CHECK (column IS NOT NULL) first',
    safe: 'ADD CONSTRAINT c CHECK (column IS NOT NULL) NOT VALID; VALIDATE CONSTRAINT c (in a later revision); then SET NOT NULL (PostgreSQL 12+ skips the scan) and drop the check',
  },
  'constraint-not-valid': {
    severity: 'error',
    what: 'ADD CONSTRAINT ... FOREIGN KEY or CHECK without NOT VALID on an existing table',
    safe: 'ADD CONSTRAINT ... NOT VALID, then VALIDATE CONSTRAINT in a later revision (it takes a SHARE UPDATE EXCLUSIVE lock only)',
  },
  'unique-without-index': {
    severity: 'error',
    what: 'ADD PRIMARY KEY / UNIQUE without a prebuilt index',
    safe: 'CREATE UNIQUE INDEX CONCURRENTLY first (its own no-transaction revision), then ADD CONSTRAINT ... PRIMARY KEY/UNIQUE USING INDEX',
  },
  'drop-column': {
    severity: 'warning',
    what: 'DROP COLUMN: the release still running may read it',
    safe: 'first ship a release that no longer reads or writes the column, then drop it in a later revision',
  },
  'drop-table': {
    severity: 'warning',
    what: 'DROP TABLE: the release still running may read it',
    safe: 'first ship a release that no longer uses the table, then drop it in a later revision',
  },
  rename: {
    severity: 'error',
    what: 'RENAME of a table or column: the release still running uses the old name',
    safe: 'add the new column (or a view under the new name), write both, move readers, then drop the old one in a later release',
  },
  'vacuum-full': {
    severity: 'error',
    what: 'VACUUM FULL: rewrites the table under an ACCESS EXCLUSIVE lock',
    safe: 'plain VACUUM, or pg_repack / pg_squeeze outside migrations',
  },
  cluster: {
    severity: 'error',
    what: 'CLUSTER: rewrites the table under an ACCESS EXCLUSIVE lock',
    safe: 'pg_repack --order-by outside migrations',
  },
  'reindex-not-concurrent': {
    severity: 'error',
    what: 'REINDEX without CONCURRENTLY',
    safe: 'REINDEX ... CONCURRENTLY (PostgreSQL 12+) alone in a revision marked -- fmig:no-transaction',
  },
  'lock-table': {
    severity: 'error',
    what: 'LOCK TABLE: holds the lock until the revision commits',
    safe: 'let each statement take the lock it needs, and keep the revision short',
  },
  'lock-timeout-missing': {
    severity: 'error',
    what: "an ACCESS EXCLUSIVE statement in a revision without SET lock_timeout, when fmig's lock_timeout is off",
    safe: "SET lock_timeout = '5s' at the top of the revision, or set lock_timeout in migrate.toml's [database]",
  },
  'enum-value-in-transaction': {
    severity: 'error',
    what: 'ALTER TYPE ... ADD VALUE used in the same transaction (or, before PostgreSQL 12, inside any transaction)',
    safe: 'add the value in a revision of its own (marked -- fmig:no-transaction before PostgreSQL 12) and use it in a later one',
  },
  'data-without-where': {
    severity: 'warning',
    what: 'UPDATE or DELETE without WHERE on an existing table',
    safe: 'update or delete in batches (WHERE id BETWEEN ...), each in its own transaction, outside the schema migration',
  },
  truncate: {
    severity: 'warning',
    what: 'TRUNCATE of an existing table',
    safe: 'make sure the data is meant to go; DELETE in batches keeps the table readable meanwhile',
  },
  'syntax-error': {
    severity: 'error',
    what: "a statement PostgreSQL's parser refuses",
    safe: 'fix the statement; fmig up would stop at it',
  },
} satisfies Record<string, LintRule>;

export type LintCode = keyof typeof LINT_RULES;

export const LINT_CODES = Object.keys(LINT_RULES) as LintCode[];

/** Findings about `-- fmig:lint-ignore` comments themselves; not configurable. */
export const IGNORE_CODES = {
  'lint-ignore-reason': 'a -- fmig:lint-ignore without a reason (or without a code)',
  'lint-ignore-unknown': 'a -- fmig:lint-ignore naming a code that is not a lint rule',
  'lint-ignore-unused': 'a -- fmig:lint-ignore whose statement has no such finding',
} as const;

/** `[lint] postgres` when unset: the oldest PostgreSQL release still supported upstream. */
export const DEFAULT_POSTGRES = 14;

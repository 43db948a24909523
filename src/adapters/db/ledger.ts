/**
 * The ledger table and its append-only log (SPEC section 4). Every name is quoted; every value
 * is a parameter, but for the two writes that go in one message with a revision's own
 * statements (appliedSql, revertedSql), whose values are quoted literals.
 */
import { ident, toDbError, type Session } from './driver.js';
import { formatTextArray } from './pg-array.js';
import type { LedgerEntry } from '../../core/drift.js';

export interface LedgerName {
  schema: string;
  table: string;
}

export interface LedgerRow {
  revision: string;
  slug: string;
  parents: string[];
  up_checksum: string;
  down_checksum: string | null;
  /** The ledger kept the down file's text (read it with readDownSql where it is needed). */
  down_kept: boolean;
  started_at: Date;
  finished_at: Date | null;
  statements_done: number | null;
  error: string | null;
  duration_ms: number | null;
  applied_by: string;
  git_commit: string | null;
  fmig_version: string;
}

export type LogAction = 'up' | 'down' | 'baseline' | 'repair' | 'failed';

/** Who and what is writing: the same for every row a command writes. */
export interface Writer {
  appliedBy: string;
  gitCommit: string | null;
  version: string;
}

export function tableRef(n: LedgerName): string {
  return `${ident(n.schema)}.${ident(n.table)}`;
}

function logRef(n: LedgerName): string {
  return `${ident(n.schema)}.${ident(n.table + '_log')}`;
}

/** Creates the schema, the ledger and its log where missing. */
export async function ensureLedger(s: Session, n: LedgerName): Promise<void> {
  const [found] = await s.query<{ schema: boolean; ledger: boolean; log: boolean }>(
    `select exists(select 1 from pg_namespace where nspname = $1) as schema,
            to_regclass($2) is not null as ledger, to_regclass($3) is not null as log`,
    [n.schema, tableRef(n), logRef(n)],
  );
  if (found.schema && found.ledger && found.log) return;
  await s.exec(ledgerDdl(n, { schema: !found.schema, ledger: !found.ledger, log: !found.log }).join(';\n'));
}

/** The statements that create the schema, the ledger and its log (each `if not exists`): those asked for, or all. */
export function ledgerDdl(n: LedgerName, want = { schema: true, ledger: true, log: true }): string[] {
  const statements: string[] = [];
  if (want.schema) statements.push(`create schema if not exists ${ident(n.schema)}`);
  if (want.ledger) {
    statements.push(`create table if not exists ${tableRef(n)} (
      revision text primary key,
      slug text not null,
      parents text[] not null default '{}',
      up_checksum text not null,
      down_checksum text,
      down_sql text,
      started_at timestamptz not null default clock_timestamp(),
      finished_at timestamptz,
      statements_done integer,
      error text,
      duration_ms integer,
      applied_by text not null,
      git_commit text,
      fmig_version text not null)`);
  }
  if (want.log) {
    statements.push(`create table if not exists ${logRef(n)} (
      id bigserial primary key,
      revision text not null,
      action text not null check (action in ('up', 'down', 'baseline', 'repair', 'failed')),
      checksum text,
      "at" timestamptz not null default clock_timestamp(),
      "by" text not null,
      git_commit text,
      duration_ms integer)`);
  }
  return statements;
}

/** The ledger's rows in the order they were applied, without the down SQL; empty when there is no ledger yet. */
export async function readLedger(s: Session, n: LedgerName): Promise<LedgerRow[]> {
  return orNoLedger(() =>
    s.query<LedgerRow>(
      `select revision, slug, parents, up_checksum, down_checksum, down_sql is not null as down_kept, started_at, finished_at,
              statements_done, error, duration_ms, applied_by, git_commit, fmig_version
         from ${tableRef(n)} order by started_at, revision`,
    ),
  );
}

/**
 * Only what comparing the ledger with the folder needs (a LedgerEntry per row), in the order
 * they were applied; empty when there is no ledger yet. This is what a deploy with nothing to do
 * reads: half of the columns, `finished_at` as text (only tested for null here), and all of it
 * in one row of JSON, which JSON.parse reads in a fraction of the time the driver takes to
 * decode a thousand rows.
 */
export async function readLedgerEntries(s: Session, n: LedgerName): Promise<LedgerEntries> {
  const [row] = await orNoLedger(() => s.query<{ entries: string | null }>(`select ${ENTRIES} as entries from ${tableRef(n)}`));
  if (!row?.entries) return [];
  type Entry = [string, string[], string, string | null, string | null, number | null, string | null];
  // e[0] ... rather than destructuring, which steps an iterator through each of a thousand arrays.
  const entries: LedgerEntries = (JSON.parse(row.entries) as Entry[]).map((e) => ({
    revision: e[0],
    parents: e[1],
    up_checksum: e[2],
    down_checksum: e[3],
    finished_at: e[4],
    statements_done: e[5],
    error: e[6],
  }));
  entries.text = row.entries;
  return entries;
}

/** readLedgerEntries' rows, and the text they were read from (ledgerDigest's input), when there was a ledger. */
export type LedgerEntries = LedgerEntry[] & { text?: string };

/** The JSON text readLedgerEntries reads: one row's text, the same for the same ledger. */
const ENTRIES = `json_agg(json_build_array(revision, parents, up_checksum, down_checksum, finished_at, statements_done, error)
                          order by started_at, revision)::text`;

/**
 * The SHA-256 (hex) of the text readLedgerEntries reads, computed by the server: what a run
 * with nothing to do compares with the digest recorded when it last read the ledger itself
 * (entriesDigest), without fetching the rows. Null when there is no ledger or it is empty.
 */
export async function ledgerDigest(s: Session, n: LedgerName): Promise<string | null> {
  const [row] = await orNoLedger(() =>
    s.query<{ digest: string | null }>(`select encode(sha256(convert_to(${ENTRIES}, 'UTF8')), 'hex') as digest from ${tableRef(n)}`),
  );
  return row?.digest ?? null;
}

/** ledgerDigest of the entries text a readLedgerEntries read. */
export async function entriesDigest(text: string): Promise<string> {
  const { createHash } = await import('node:crypto');
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

async function orNoLedger<T>(read: () => Promise<T[]>): Promise<T[]> {
  try {
    return await read();
  } catch (e) {
    // 42P01 undefined_table, 3F000 invalid_schema_name: no ledger yet.
    const code = toDbError(e)?.sqlstate;
    if (code === '42P01' || code === '3F000') return [];
    throw e;
  }
}

/** The down SQL the ledger kept for these revisions (those it kept none for are absent). */
export async function readDownSql(s: Session, n: LedgerName, revisions: string[]): Promise<Map<string, string>> {
  if (!revisions.length) return new Map();
  const rows = await s.query<{ revision: string; down_sql: string }>(
    `select revision, down_sql from ${tableRef(n)} where revision = any($1::text[]) and down_sql is not null`,
    [revisions],
  );
  return new Map(rows.map((r) => [r.revision, r.down_sql]));
}

export interface AppliedRevision {
  revision: string;
  slug: string;
  parents: string[];
  upChecksum: string;
  downChecksum: string | null;
  downSql: string | null;
}

/**
 * A value as an SQL literal. Strings are E'' literals with backslashes and quotes doubled, which
 * the server reads back unchanged whatever standard_conforming_strings says.
 */
export function literal(v: string | number | null | readonly string[]): string {
  if (v === null) return 'NULL';
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) throw new Error(`not a number for SQL: ${v}`);
    return String(v);
  }
  if (typeof v !== 'string') return `${literal(formatTextArray(v))}::text[]`;
  return `E'${v.replace(/\\/g, '\\\\').replace(/'/g, "''")}'`;
}

/**
 * How long the work took, for the ledger: `durationMs`, or with null the time since the
 * transaction began, measured by the server (the revision ran in this transaction).
 */
function duration(durationMs: number | null): { started: string; ms: string } {
  if (durationMs === null) return { started: 'now()', ms: '(extract(epoch from clock_timestamp() - now()) * 1000)::integer' };
  const ms = literal(Math.round(durationMs));
  return { started: `clock_timestamp() - make_interval(secs => ${ms}::float8 / 1000)`, ms };
}

/** The statement that records a revision that ran in full: its ledger row and its log row. */
export function appliedSql(n: LedgerName, r: AppliedRevision, w: Writer, durationMs: number | null, action: LogAction = 'up'): string {
  const d = duration(durationMs);
  return `with row as (
       insert into ${tableRef(n)} (revision, slug, parents, up_checksum, down_checksum, down_sql,
         started_at, finished_at, duration_ms, applied_by, git_commit, fmig_version)
       values (${literal(r.revision)}, ${literal(r.slug)}, ${literal(r.parents)}, ${literal(r.upChecksum)}, ${literal(r.downChecksum)}, ${literal(r.downSql)},
         ${d.started}, clock_timestamp(), ${d.ms}, ${literal(w.appliedBy)}, ${literal(w.gitCommit)}, ${literal(w.version)})
       returning revision, duration_ms)
     insert into ${logRef(n)} (revision, action, checksum, "by", git_commit, duration_ms)
     select revision, ${literal(action)}, ${literal(r.upChecksum)}, ${literal(w.appliedBy)}, ${literal(w.gitCommit)}, duration_ms from row`;
}

/** Records a revision that ran in full (inside the caller's transaction for transactional ones). */
export async function recordApplied(s: Session, n: LedgerName, r: AppliedRevision, w: Writer, durationMs: number | null, action: LogAction = 'up'): Promise<void> {
  await s.exec(appliedSql(n, r, w, durationMs, action));
}

/** Records that a statement-by-statement revision has started (committed at once, outside any transaction). */
export async function recordStarted(s: Session, n: LedgerName, r: AppliedRevision, w: Writer): Promise<void> {
  await s.query(
    `insert into ${tableRef(n)} (revision, slug, parents, up_checksum, down_checksum, down_sql, statements_done, applied_by, git_commit, fmig_version)
     values ($1, $2, $3::text[], $4, $5, $6, 0, $7, $8, $9)`,
    [r.revision, r.slug, r.parents, r.upChecksum, r.downChecksum, r.downSql, w.appliedBy, w.gitCommit, w.version],
  );
}

/** Moves a statement-by-statement revision's progress forward. */
export async function recordProgress(s: Session, n: LedgerName, revision: string, statementsDone: number): Promise<void> {
  await s.query(`update ${tableRef(n)} set statements_done = $2, error = null where revision = $1`, [revision, statementsDone]);
}

/** The statement that moves progress forward, run in the same transaction as the statement it records. */
export function progressSql(n: LedgerName, revision: string, statementsDone: number): string {
  return `update ${tableRef(n)} set statements_done = ${literal(statementsDone)}, error = null where revision = ${literal(revision)}`;
}

/** Records, before it runs, that a statement which cannot run in a transaction has started: `note` stays in `error` until it is done. */
export async function recordStepStarted(s: Session, n: LedgerName, revision: string, statementsDone: number, note: string): Promise<void> {
  await s.query(`update ${tableRef(n)} set statements_done = $2, error = $3 where revision = $1`, [revision, statementsDone, note]);
}

/** Records where and why a statement-by-statement revision stopped, and logs `failed`. */
export async function recordFailed(s: Session, n: LedgerName, revision: string, statementsDone: number, error: string, w: Writer, checksum: string): Promise<void> {
  await s.query(
    `with row as (update ${tableRef(n)} set statements_done = $2, error = $3 where revision = $1 returning revision)
     insert into ${logRef(n)} (revision, action, checksum, "by", git_commit) select revision, 'failed', $4, $5, $6 from row`,
    [revision, statementsDone, error, checksum, w.appliedBy, w.gitCommit],
  );
}

/**
 * Marks a statement-by-statement revision complete and logs `up`. `durationMs` null: the time
 * since its row was started, measured by the server (a script run by psql).
 */
export async function recordFinished(s: Session, n: LedgerName, revision: string, statementsDone: number, durationMs: number | null, upChecksum: string, w: Writer): Promise<void> {
  await s.query(
    `with row as (update ${tableRef(n)} set statements_done = $2, error = null, finished_at = clock_timestamp(),
        duration_ms = coalesce(coalesce(duration_ms, 0) + $3::integer, (extract(epoch from clock_timestamp() - started_at) * 1000)::integer), up_checksum = $4
        where revision = $1 returning revision, duration_ms)
     insert into ${logRef(n)} (revision, action, checksum, "by", git_commit, duration_ms) select revision, 'up', $4, $5, $6, coalesce($3::integer, duration_ms) from row`,
    [revision, statementsDone, durationMs === null ? null : Math.round(durationMs), upChecksum, w.appliedBy, w.gitCommit],
  );
}

/** The statement that deletes a reverted revision's row and logs `down`. */
export function revertedSql(n: LedgerName, revision: string, downChecksum: string | null, durationMs: number | null, w: Writer): string {
  return `with row as (delete from ${tableRef(n)} where revision = ${literal(revision)} returning revision)
     insert into ${logRef(n)} (revision, action, checksum, "by", git_commit, duration_ms)
     select revision, 'down', ${literal(downChecksum)}, ${literal(w.appliedBy)}, ${literal(w.gitCommit)}, ${duration(durationMs).ms} from row`;
}

/** Deletes a reverted revision's row and logs `down`. */
export async function recordReverted(s: Session, n: LedgerName, revision: string, downChecksum: string | null, durationMs: number | null, w: Writer): Promise<void> {
  await s.exec(revertedSql(n, revision, downChecksum, durationMs, w));
}

/**
 * A revert run statement by statement keeps the revision's row (it is still applied) and
 * records its own progress there: `statements_done` counts the down file's statements done,
 * `error` says that its down is under way or stopped (steps.ts, revertingNote).
 */
export function revertProgressSql(n: LedgerName, revision: string, statementsDone: number, note: string): string {
  return `update ${tableRef(n)} set statements_done = ${literal(statementsDone)}, error = ${literal(note)} where revision = ${literal(revision)}`;
}

/** Records how far a statement-by-statement revert got (see revertProgressSql). */
export async function recordRevertProgress(s: Session, n: LedgerName, revision: string, statementsDone: number, note: string): Promise<void> {
  await s.query(`update ${tableRef(n)} set statements_done = $2, error = $3 where revision = $1`, [revision, statementsDone, note]);
}

/** Records where and why a revert stopped part-way (the row stays: the revision is still applied), and logs `failed`. */
export async function recordRevertFailed(s: Session, n: LedgerName, revision: string, statementsDone: number, error: string, w: Writer, checksum: string | null): Promise<void> {
  await s.query(
    `with row as (update ${tableRef(n)} set statements_done = $2, error = $3 where revision = $1 returning revision)
     insert into ${logRef(n)} (revision, action, checksum, "by", git_commit) select revision, 'failed', $4, $5, $6 from row`,
    [revision, statementsDone, error, checksum, w.appliedBy, w.gitCommit],
  );
}

/** Sets new checksums (and down text) for a revision after a reviewed edit, and logs `repair`. */
export async function recordRepaired(s: Session, n: LedgerName, r: AppliedRevision, w: Writer): Promise<void> {
  await s.query(
    `with row as (update ${tableRef(n)} set up_checksum = $2, down_checksum = $3, down_sql = $4, parents = $5::text[], slug = $6
        where revision = $1 returning revision)
     insert into ${logRef(n)} (revision, action, checksum, "by", git_commit) select revision, 'repair', $2, $7, $8 from row`,
    [r.revision, r.upChecksum, r.downChecksum, r.downSql, r.parents, r.slug, w.appliedBy, w.gitCommit],
  );
}

/** Deletes a row (a pruned or abandoned revision) and logs `repair`. */
export async function recordRemoved(s: Session, n: LedgerName, revision: string, w: Writer): Promise<void> {
  await s.query(
    `with row as (delete from ${tableRef(n)} where revision = $1 returning revision, up_checksum)
     insert into ${logRef(n)} (revision, action, checksum, "by", git_commit) select revision, 'repair', up_checksum, $2, $3 from row`,
    [revision, w.appliedBy, w.gitCommit],
  );
}

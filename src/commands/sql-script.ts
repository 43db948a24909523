/**
 * `fmig up --sql` and `fmig down --sql`: the run written as one script for `psql -X -f`, for a
 * DBA to review and run. fmig's own runner writes it (a ScriptDriver in place of the database),
 * so the script does what the command would: each revision wrapped as fmig runs it (one
 * transaction with its ledger and log rows; statement by statement with its progress; as
 * `psql -1` runs a file with blocks of its own), COPY data included. It takes fmig's lock,
 * creates the ledger where it is missing, and first checks that the database is in the state
 * the script was written for. The state is read from the ledger, or given (`--from`), when
 * no connection is needed.
 */
import { relative } from 'node:path';
import { compare, isReverting } from '../core/drift.js';
import { StateError, UsageError } from '../core/errors.js';
import type { Folder } from '../core/folder.js';
import { parseDownTarget, parseUpTarget, planDown, planUp } from '../core/plan.js';
import { targetRevision } from '../core/target-name.js';
import { describeExecution, planExecution } from '../core/transactions.js';
import type { Config } from '../adapters/config-types.js';
import type { Session } from '../adapters/db/driver.js';
import { LOCK_KEYS, maskUrl } from '../adapters/db/driver.js';
import { ledgerDdl, literal, tableRef, type LedgerName, type LedgerRow, type Writer } from '../adapters/db/ledger.js';
import { sessionSettings } from '../adapters/db/open.js';
import { ScriptDriver } from '../adapters/db/script.js';
import { version } from '../version.js';
import { applyInOneTransaction, applyRevision, refuseMetaCommands, revertRevision, runEnv } from './apply.js';
import type { Context } from './context.js';
import { downSources, type DownOptions } from './down.js';
import { requireOneHead } from './heads.js';
import { embeddedAbsent, ledgerName, loadFolder, withDatabase } from './project.js';
import { refuseOnDrift, refuseStatementByStatement, warnOtherHeads } from './up-run.js';
import type { UpOptions } from './up.js';

export interface ScriptResult {
  /** The script, for stdout. */
  script: string;
  /** The revisions it applies (up) or reverts (down), in order. */
  revisions: string[];
  /** The applied revisions it was written for. */
  applied: string[];
}

/** Who applied a revision, in the script: the database user running it, said to be by psql. */
const BY = 'fmig:psql-script-user';
const BY_SQL = `(current_user || ${literal(' (a psql script written by fmig)')})`;

export async function upScript(ctx: Context, opts: UpOptions & { from?: string }): Promise<ScriptResult> {
  const config = await ctx.config();
  const target = parseUpTarget(opts.target);
  const folder = await loadFolder(config);
  if (target.kind === 'revision') warnOtherHeads(ctx, folder, target.id);
  else await requireOneHead(config, folder, 'up');
  const dirLabel = relative(config.root, config.dir) || '.';
  return withState(ctx, config, folder, opts.from, async (rows) => {
    refuseOnDrift(compare(folder, rows), { ...opts, resume: false });
    const todo = planUp(folder.graph, new Set(rows.map((r) => r.revision)), target).map((id) => folder.byId.get(id)!);
    if (opts.singleTransaction) await refuseStatementByStatement(todo, dirLabel);
    refuseMetaCommands(todo.map((rev) => ({ label: `${dirLabel}/${rev.up.name}`, text: rev.up.text })));
    const out = await begin(config, rows, 'up', opts.from);
    const env = await runEnv(out.db, out.ledger, config, dirLabel, out.writer);
    env.offline = true;
    if (!todo.length) out.db.raw('\n-- nothing to apply: the database is up to date');
    if (opts.singleTransaction && todo.length) {
      out.db.raw(`\n-- ${todo.length} revision(s) in one transaction`);
      await applyInOneTransaction(env, todo, () => {});
    } else {
      for (const rev of todo) {
        out.db.raw(`\n-- ${dirLabel}/${rev.up.name}: ${describeExecution(planExecution(rev.up.text, rev.up.noTransaction))}`);
        await applyRevision(env, rev);
      }
    }
    return { script: end(out), revisions: todo.map((r) => r.id), applied: rows.map((r) => r.revision) };
  });
}

export async function downScript(ctx: Context, opts: DownOptions & { from?: string }): Promise<ScriptResult> {
  const config = await ctx.config();
  const target = parseDownTarget(opts.target);
  if (opts.acceptEdited && opts.fromLedger) throw new UsageError('--accept-edited and --from-ledger choose different texts to run: give one of them');
  if (opts.fromLedger && opts.from !== undefined) throw new UsageError('--from-ledger reads the ledger: it does not go with --from');
  const folder = await loadFolder(config);
  const dirLabel = relative(config.root, config.dir) || '.';
  return withState(ctx, config, folder, opts.from, async (rows, db) => {
    const stopped = rows.filter((r) => r.finished_at === null || isReverting(r));
    if (stopped.length) {
      throw new StateError(
        'failed-revision',
        `refusing to write a script: ${stopped.map((r) => r.revision).join(', ')} stopped part-way`,
        'finish it first (`fmig up --resume`, or `fmig down --resume` for a revert), then write the script',
      );
    }
    const byId = new Map(rows.map((r) => [r.revision, r]));
    const ids = planDown(rows, target);
    const choice = opts.fromLedger ? 'ledger' : opts.acceptEdited ? 'accept-edited' : 'refuse-edited';
    const sources = await downSources(db ?? new ScriptDriver(), ledgerName(config), ids.map((id) => byId.get(id)!), folder, dirLabel, choice);
    refuseMetaCommands(sources);
    const out = await begin(config, rows, 'down', opts.from);
    const env = await runEnv(out.db, out.ledger, config, dirLabel, out.writer);
    env.offline = true;
    if (!sources.length) out.db.raw('\n-- nothing to revert');
    for (const src of sources) {
      out.db.raw(`\n-- ${src.label}: ${describeExecution(planExecution(src.text, src.noTransaction))}`);
      await revertRevision(env, src);
    }
    return { script: end(out), revisions: sources.map((s) => s.revision), applied: rows.map((r) => r.revision) };
  });
}

/**
 * The ledger's rows, read from the database (none where the embedded one does not exist yet),
 * or those `from` stands for: that revision and its ancestors applied, as the folder has them;
 * `base`, none.
 */
async function withState<T>(ctx: Context, config: Config, folder: Folder, from: string | undefined, use: (rows: LedgerRow[], db: Session | null) => Promise<T>): Promise<T> {
  if (from !== undefined) return use(assumed(folder, from), null);
  if (embeddedAbsent(config)) return use([], null);
  return withDatabase(ctx, config, 'read', ({ db, rows }) => use(rows, db));
}

function assumed(folder: Folder, from: string): LedgerRow[] {
  if (from === 'base') return [];
  const id = targetRevision(from);
  if (!id || !folder.graph.has(id)) {
    throw new UsageError(`--from ${from}: no such revision in the folder`, 'give the revision the database is at (see `fmig history`), or base for an empty one');
  }
  const wanted = folder.graph.ancestors(id).add(id);
  return folder.graph
    .order()
    .filter((r) => wanted.has(r))
    .map((r) => {
      const rev = folder.byId.get(r)!;
      return {
        revision: rev.id,
        slug: rev.slug,
        parents: rev.parents,
        up_checksum: rev.up.checksum,
        down_checksum: rev.down?.checksum ?? null,
        down_kept: rev.down !== null,
        started_at: new Date(0),
        finished_at: new Date(0),
        statements_done: null,
        error: null,
        duration_ms: null,
        applied_by: '',
        git_commit: null,
        fmig_version: version,
      };
    });
}

interface Script {
  db: ScriptDriver;
  ledger: LedgerName;
  writer: Writer;
  unlock: string;
}

/** The script's opening: psql's settings, fmig's session settings and lock, the ledger, the check of the state it was written for. */
async function begin(config: Config, rows: LedgerRow[], command: 'up' | 'down', from: string | undefined): Promise<Script> {
  const ledger = ledgerName(config);
  const db = new ScriptDriver((sql) => sql.split(literal(BY)).join(BY_SQL));
  const { headCommit } = await import('../adapters/git-head.js');
  const writer: Writer = { appliedBy: BY, gitCommit: await headCommit(config.root), version };
  const keys = LOCK_KEYS.replace('$1', literal(ledger.schema)).replace('$2', literal(ledger.table));
  const applied = rows.map((r) => r.revision);
  const state = applied.length ? `${applied.length} revision(s) applied, the last ${applied.at(-1)}` : 'no revision applied';
  const sorted = [...applied].sort();
  const ref = tableRef(ledger);
  db.raw(
    [
      `-- fmig ${command} --sql: written by fmig ${version} at ${new Date().toISOString()}`,
      `-- for a database with ${state} (${from !== undefined ? `given by --from ${from}` : `read from ${maskUrl(config.database.url)}`})`,
      `-- run it with: psql -X -f <this file> <database url>; the first error stops it`,
      '\\set ON_ERROR_STOP on',
    ].join('\n'),
  );
  await db.exec(sessionSettings(config.database));
  // fmig's lock, taken as fmig takes it (never waiting in a transaction, which would deadlock
  // with another run's CREATE INDEX CONCURRENTLY): held until psql disconnects or the end.
  await db.exec(
    `DO $fmig$ BEGIN IF NOT pg_try_advisory_lock(${keys}) THEN RAISE EXCEPTION ${literal(`another fmig run holds the lock of the ledger ${ref}: nothing was run; run this script again once it is done`)}; END IF; END $fmig$`,
  );
  for (const ddl of ledgerDdl(ledger)) await db.exec(ddl);
  await db.exec(
    `DO $fmig$ BEGIN
  IF (SELECT coalesce(array_agg(revision ORDER BY revision COLLATE "C"), '{}') FROM ${ref} WHERE finished_at IS NOT NULL AND error IS NULL) IS DISTINCT FROM ${literal(sorted)}
     OR EXISTS (SELECT 1 FROM ${ref} WHERE finished_at IS NULL OR error IS NOT NULL) THEN
    RAISE EXCEPTION ${literal(`this script was written for a database with ${state}, and the ledger ${ref} says otherwise: nothing was run`)}
      USING HINT = ${literal(`write the script again for this database (fmig ${command} --sql), and compare with \`fmig status\``)};
  END IF;
END $fmig$`,
  );
  return { db, ledger, writer, unlock: `SELECT pg_advisory_unlock(${keys}) AS fmig_lock_released` };
}

function end(s: Script): string {
  s.db.raw('');
  s.db.raw(`-- done: fmig's lock released (psql's disconnection would release it too)`);
  void s.db.exec(s.unlock);
  return s.db.text();
}

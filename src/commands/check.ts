/**
 * `fmig check`: every revision's round trip on a throwaway database. For each revision in
 * application order: snapshot, up, snapshot, down (the schema must be as before the up),
 * up again (the schema must be as after the first up). The configured database is never
 * changed: the check runs in memory (PGlite), or, when the configured database is on a
 * server, in a temporary database created there and always dropped.
 *
 * A revision without a down file is irreversible by design (SPEC section 2), not a defect:
 * it is applied, reported as irreversible, and the check goes on with the next one (exit 0).
 */
import { randomBytes } from 'node:crypto';
import { relative } from 'node:path';
import type { Config } from '../adapters/config-types.js';
import { ident, maskUrl, toDbError, type Driver, type OpenOptions } from '../adapters/db/driver.js';
import { ensureLedger } from '../adapters/db/ledger.js';
import { openDatabase, parseDatabaseUrl } from '../adapters/db/open.js';
import { readSnapshot } from '../adapters/db/snapshot.js';
import { MigrationFailed, StateError } from '../core/errors.js';
import type { Revision } from '../core/folder.js';
import { diffSnapshots } from '../core/snapshot-diff.js';
import { applyRevision, revertRevision, RevisionFailed, runEnv, type RunEnv } from './apply.js';
import type { Context } from './context.js';
import { tuneForThrowaway } from './tuning.js';
import { ledgerName, loadFolder } from './project.js';

export interface CheckedRevision {
  revision: string;
  slug: string;
  /** ok: the round trip restored the schema; irreversible: no down file, applied only; not-restored: see `step` and `diff`. */
  status: 'ok' | 'irreversible' | 'not-restored';
  /** For not-restored: `down` (the down left the schema different from before the up) or `up again` (the second up differs from the first). */
  step?: 'down' | 'up again';
  /** For not-restored: `+ ` lines only after the step, `- ` lines only before it, under their object's header. */
  diff?: string[];
}

export interface CheckResult {
  /** Where the round trips ran (the temporary database, since dropped). */
  database: string;
  revisions: CheckedRevision[];
  ok: boolean;
}

/** Runs the round trips; exit code 1 at the first revision whose down does not restore the schema. Throws MigrationFailed when an up or down fails. */
export async function check(ctx: Context): Promise<{ result: CheckResult; exitCode: number }> {
  const config = await ctx.config();
  const folder = await loadFolder(config);
  const order = folder.graph.order().map((id) => folder.byId.get(id)!);
  const dirLabel = relative(config.root, config.dir) || '.';
  const result = await withThrowaway(ctx, config, async (db, label) => {
    const ledger = ledgerName(config);
    await ensureLedger(db, ledger);
    const env = await runEnv(db, ledger, config, dirLabel);
    return roundTrips(ctx, env, order, label);
  });
  return { result, exitCode: result.ok ? 0 : 1 };
}

async function roundTrips(ctx: Context, env: RunEnv, order: Revision[], database: string): Promise<CheckResult> {
  const r = ctx.report;
  const snapshot = () => readSnapshot(env.db, env.ledger);
  const done: CheckedRevision[] = [];
  if (!order.length) r.line('nothing to check: the folder has no revisions');
  let current = await snapshot();
  for (const [i, rev] of order.entries()) {
    // The embedded database answers without going back to the event loop: a turn of it here
    // lets a signal's handler run between revisions.
    await new Promise((resolve) => setImmediate(resolve));
    const name = `${rev.id}_${rev.slug}`;
    const step = (what: string) => r.progress(`checking ${name}: ${what} (${i + 1}/${order.length})`);
    const before = current;
    step('up');
    await run(name, 'up', done, () => applyRevision(env, rev));
    const after = await snapshot();
    current = after;
    if (!rev.down) {
      done.push({ revision: rev.id, slug: rev.slug, status: 'irreversible' });
      r.line(`irreversible  ${name}: no down file; applied without a round trip`);
      continue;
    }
    const down = rev.down;
    step('down');
    await run(name, 'down', done, () =>
      revertRevision(env, { revision: rev.id, label: `${env.dirLabel}/${down.name}`, text: down.text, checksum: down.checksum, noTransaction: down.noTransaction }),
    );
    let diff = diffSnapshots(before, await snapshot());
    if (diff.length) return notRestored(ctx, database, done, rev, 'down', diff);
    step('up again');
    await run(name, 'up again', done, () => applyRevision(env, rev));
    current = await snapshot();
    diff = diffSnapshots(after, current);
    if (diff.length) return notRestored(ctx, database, done, rev, 'up again', diff);
    done.push({ revision: rev.id, slug: rev.slug, status: 'ok' });
    r.line(`ok            ${name}: up, down, up`);
  }
  const irreversible = done.filter((d) => d.status === 'irreversible').length;
  if (order.length) {
    const tripped = done.length - irreversible;
    const verdict = tripped === 0 ? 'none has a down file, so none could be round-tripped' : `every down restored the schema (${tripped} round-tripped)`;
    r.line(`${done.length} revision(s) checked on ${database}: ${verdict}${irreversible && tripped ? `; ${irreversible} irreversible (no down file) applied only` : ''}`);
  }
  return { database, revisions: done, ok: true };
}

function notRestored(ctx: Context, database: string, done: CheckedRevision[], rev: Revision, step: 'down' | 'up again', diff: string[]): CheckResult {
  done.push({ revision: rev.id, slug: rev.slug, status: 'not-restored', step, diff });
  const name = `${rev.id}_${rev.slug}`;
  ctx.report.line(
    step === 'down'
      ? `FAILED        ${name}: its down does not restore the schema (+ left over after the down, - missing after the down):`
      : `FAILED        ${name}: up after down does not give the schema the first up gave (+ only after the second up, - only after the first):`,
  );
  for (const line of diff) ctx.report.line(`    ${line}`);
  ctx.report.line(`stopped at ${name}; ${done.length - 1} revision(s) before it passed`);
  return { database, revisions: done, ok: false };
}

/** Runs one step; a failing up or down becomes MigrationFailed with the compiler-style report. */
async function run(name: string, what: string, done: CheckedRevision[], fn: () => Promise<unknown>): Promise<void> {
  try {
    await fn();
  } catch (e) {
    if (!(e instanceof RevisionFailed)) throw e;
    throw new MigrationFailed(
      `fmig check: ${what} of ${name} failed\n${e.report}\n\n${done.length} revision(s) before it passed; nothing was changed outside the throwaway database, which is dropped`,
      `fix the ${what === 'down' ? 'down' : 'up'} file and run \`fmig check\` again`,
      { revision: e.revision, ...e.fields },
    );
  }
}

/**
 * Runs `fn` on a throwaway database: PGlite in a temporary folder, or a temporary database on
 * the configured server, removed or dropped afterwards whatever happens (an interrupt included).
 */
export async function withThrowaway<T>(ctx: Context, config: Config, fn: (db: Driver, label: string) => Promise<T>): Promise<T> {
  const opts: OpenOptions = {
    baseDir: config.root,
    lockTimeoutMs: config.database.lockTimeoutMs,
    statementTimeoutMs: config.database.statementTimeoutMs,
    onProgress: (m) => ctx.report.progress(m),
    sqlDir: config.dir,
  };
  if (parseDatabaseUrl(config.database.url, config.root).kind !== 'postgres') {
    ctx.report.progress('starting an in-memory database...');
    tuneForThrowaway();
    // Its folder is removed on close, or when the process exits (pglite.ts): so a signal exits.
    const interrupted = (signal: NodeJS.Signals) => process.exit(signal === 'SIGINT' ? 130 : 143);
    process.once('SIGINT', interrupted);
    process.once('SIGTERM', interrupted);
    try {
      const db = await openDatabase('pglite://memory', opts);
      try {
        return await fn(db, db.display);
      } finally {
        await db.close();
      }
    } finally {
      process.off('SIGINT', interrupted);
      process.off('SIGTERM', interrupted);
    }
  }

  // The configured database only lends its connection to CREATE and DROP DATABASE.
  const admin = await openDatabase(config.database.url, opts);
  const name = `fmig_check_${randomBytes(6).toString('hex')}`;
  try {
    await admin.exec(`CREATE DATABASE ${ident(name)}`);
  } catch (e) {
    await admin.close().catch(() => {});
    throw new StateError(
      'check-database',
      `fmig check could not create a temporary database on ${admin.display}: ${toDbError(e)?.message ?? String(e)}`,
      'give the user CREATEDB on that server, or check on the embedded database: `fmig check --url pglite://memory`',
    );
  }
  let db: Driver | undefined;
  let dropped: Promise<void> | undefined;
  const drop = () =>
    (dropped ??= (async () => {
      await db?.close().catch(() => {});
      try {
        await admin.exec(`DROP DATABASE IF EXISTS ${ident(name)} WITH (FORCE)`);
      } finally {
        await admin.close().catch(() => {});
      }
    })());
  const interrupted = (signal: NodeJS.Signals) => {
    void drop().finally(() => process.exit(signal === 'SIGINT' ? 130 : 143));
  };
  process.once('SIGINT', interrupted);
  process.once('SIGTERM', interrupted);
  try {
    const url = new URL(config.database.url);
    url.pathname = `/${name}`;
    db = await openDatabase(url.toString(), opts);
    return await fn(db, maskUrl(url.toString()));
  } finally {
    process.off('SIGINT', interrupted);
    process.off('SIGTERM', interrupted);
    await drop();
  }
}

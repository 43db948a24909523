/**
 * The two schemas autogenerate and drift compare: what the folder produces (its revisions
 * replayed on a throwaway database, remembered under .fmig/replay/ keyed by the applied files'
 * checksums) and the wanted one ([schema] files run on a throwaway database, or a database's
 * own schema). Throwaway databases are in-memory PGlite, or temporary databases on the
 * configured server when it is one, so both sides are read by the same PostgreSQL.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { Config } from '../adapters/config-types.js';
import { maskUrl, toDbError, type Driver } from '../adapters/db/driver.js';
import { ensureLedger } from '../adapters/db/ledger.js';
import { openDatabase, parseDatabaseUrl } from '../adapters/db/open.js';
import { readSnapshot } from '../adapters/db/snapshot.js';
import { FmigError, MigrationFailed, StateError, UsageError } from '../core/errors.js';
import type { Revision } from '../core/folder.js';
import type { Snapshot } from '../core/snapshot-diff.js';
import { version } from '../version.js';
import { applyRevision, RevisionFailed, runEnv } from './apply.js';
import { withThrowaway } from './check.js';
import type { Context } from './context.js';
import { ledgerName } from './project.js';

/** Bump when the snapshot's shape changes, so old cached replays are not read. */
const CACHE_FORMAT = 2;

/** The schema `revisions` (in application order) produce; read from the cache when the same files were replayed before. */
export async function replayedSchema(ctx: Context, config: Config, revisions: Revision[]): Promise<{ snapshot: Snapshot; cached: boolean }> {
  return cachedSnapshot(config, revisions.map((r) => [r.id, r.up.checksum]), () => replay(ctx, config, revisions));
}

/**
 * The snapshot remembered under .fmig/replay/ for `inputs` (with fmig's version, the kind of
 * database and the ledger's name), or `make`'s, then remembered.
 */
async function cachedSnapshot(config: Config, inputs: unknown, make: () => Promise<Snapshot>): Promise<{ snapshot: Snapshot; cached: boolean }> {
  const made = await cached(config, inputs, make);
  return { snapshot: made.value, cached: made.cached };
}

/** A replay's result remembered under .fmig/replay/ for `inputs`, or `make`'s, then remembered. */
async function cached<T>(config: Config, inputs: unknown, make: () => Promise<T>): Promise<{ value: T; cached: boolean }> {
  // A server's host too: two servers may print the same schema differently (their versions differ).
  const target = parseDatabaseUrl(config.database.url, config.root);
  const engine = target.kind === 'postgres' ? `postgres ${new URL(target.url).host}` : 'pglite';
  const hash = createHash('sha256').update(JSON.stringify([CACHE_FORMAT, version, engine, config.database.schema, config.database.table, inputs]));
  const file = join(config.root, '.fmig', 'replay', `${hash.digest('hex').slice(0, 32)}.json`);
  try {
    return { value: JSON.parse(readFileSync(file, 'utf8')) as T, cached: true };
  } catch {
    // Not cached yet, or unreadable: build it.
  }
  const value = await make();
  try {
    mkdirSync(join(config.root, '.fmig', 'replay'), { recursive: true });
    writeFileSync(`${file}.${process.pid}.tmp`, JSON.stringify(value));
    renameSync(`${file}.${process.pid}.tmp`, file);
  } catch {
    // A read-only checkout still works, only slower next time.
  }
  return { value, cached: false };
}

/** What replaying `revisions` in this order gives: the schema, or the revision that failed with fmig's report of the failure. */
export type ReplayOutcome = { snapshot: Snapshot } | { failed: string; report: string };

/**
 * Replays `revisions` in the given order on the embedded database (in-memory PGlite, whatever
 * database is configured), remembered under .fmig/replay/ like `replayedSchema`; a failure is
 * an outcome, not an error.
 */
export async function replayOutcome(ctx: Context, config: Config, revisions: Revision[]): Promise<{ outcome: ReplayOutcome; cached: boolean }> {
  const embedded: Config = { ...config, database: { ...config.database, url: 'pglite://memory' } };
  const made = await cached(embedded, ['outcome', revisions.map((r) => [r.id, r.up.checksum])], async (): Promise<ReplayOutcome> => {
    try {
      return { snapshot: await replay(ctx, embedded, revisions) };
    } catch (e) {
      if (!(e instanceof ReplayFailed)) throw e;
      return { failed: e.revision, report: e.report };
    }
  });
  return { outcome: made.value, cached: made.cached };
}

class ReplayFailed extends MigrationFailed {
  constructor(readonly revision: string, readonly report: string) {
    super(`replaying the folder failed at ${revision}\n${report}`, 'fix the revision; `fmig check` shows the same failure');
  }
}

async function replay(ctx: Context, config: Config, revisions: Revision[]): Promise<Snapshot> {
  const dirLabel = relative(config.root, config.dir) || '.';
  return withThrowaway(ctx, config, async (db) => {
    const ledger = ledgerName(config);
    await ensureLedger(db, ledger);
    const env = await runEnv(db, ledger, config, dirLabel);
    for (const [i, rev] of revisions.entries()) {
      ctx.report.progress(`replaying ${rev.id}_${rev.slug} (${i + 1}/${revisions.length})`);
      try {
        await applyRevision(env, rev);
      } catch (e) {
        if (!(e instanceof RevisionFailed)) throw e;
        throw new ReplayFailed(`${rev.id}_${rev.slug}`, e.report);
      }
    }
    return readSnapshot(db, ledger);
  });
}

/** The schema that `[schema] files` describe, built on a throwaway database. */
export async function declaredSchema(ctx: Context, config: Config): Promise<Snapshot> {
  const pattern = config.schema.files;
  if (!pattern) {
    throw new UsageError('no wanted schema: set `[schema] files = "schema/**/*.sql"` in migrate.toml, or pass --from-db <url>', 'the files hold CREATE statements describing the schema you want');
  }
  const { default: fg } = await import('fast-glob');
  const files = (await fg(pattern, { cwd: config.root, onlyFiles: true, dot: false })).sort();
  if (!files.length) throw new UsageError(`[schema] files = "${pattern}" matches no file under ${config.root}`, 'check the glob; it is relative to migrate.toml');
  const texts = files.map((f) => readFileSync(join(config.root, f), 'utf8').replace(/^\uFEFF/, ''));
  const made = await cachedSnapshot(config, ['schema files', files, texts], () => build(ctx, config, files, texts));
  return made.snapshot;
}

async function build(ctx: Context, config: Config, files: string[], texts: string[]): Promise<Snapshot> {
  return withThrowaway(ctx, config, async (db) => {
    for (const [i, f] of files.entries()) {
      ctx.report.progress(`building the wanted schema: ${f}`);
      const text = texts[i];
      try {
        await db.exec(text);
      } catch (e) {
        const d = toDbError(e);
        if (!d) throw e;
        throw new StateError('schema-files', `${f}: ${d.message}${d.sqlstate ? ` (SQLSTATE ${d.sqlstate})` : ''}`, 'fix the schema file; it runs on an empty database, files in path order');
      }
    }
    return readSnapshot(db, ledgerName(config));
  });
}

/** The schema of the database at `url`, read only. */
export async function databaseSchema(ctx: Context, config: Config, url: string): Promise<Snapshot> {
  let db: Driver;
  try {
    db = await openDatabase(url, { baseDir: config.root, lockTimeoutMs: config.database.lockTimeoutMs, statementTimeoutMs: config.database.statementTimeoutMs, onProgress: (m) => ctx.report.progress(m) });
  } catch (e) {
    if (e instanceof FmigError) throw e;
    throw new StateError('unreachable', `could not open ${maskUrl(url)}: ${toDbError(e)?.message ?? (e as Error).message}`);
  }
  try {
    return await readSnapshot(db, ledgerName(config));
  } finally {
    await db.close();
  }
}

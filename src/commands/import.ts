/**
 * `fmig import --from <tool> [their-folder] [--url <db>]`: writes an fmig folder from another
 * tool's migrations, and adopts a database that tool migrated by recording in fmig's ledger
 * exactly what the tool's own ledger says was applied (nothing runs).
 */
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { ident, toDbError, type Driver } from '../adapters/db/driver.js';
import { ensureLedger, readLedger } from '../adapters/db/ledger.js';
import { loadHasher } from '../core/checksum.js';
import { FmigError, StateError, UsageError } from '../core/errors.js';
import { parseFolder, type Folder } from '../core/folder.js';
import { appliedIds } from '../import/applied.js';
import { describePlan, MappingError, planImport, type ImportPlan, type MappingEntry } from '../import/map.js';
import { tools, type Tool } from '../import/tools.js';
import { LedgerRefusal, TOOLS, type Skipped, type ToolFolder, type ToolName } from '../import/types.js';
import { recordBaseline } from './baseline.js';
import type { Context } from './context.js';
import { loadFolder, tableLock, withDatabase, writer } from './project.js';

export interface ImportOptions {
  from?: string;
  /** Their folder (for Alembic: the folder holding alembic.ini, or the file). */
  folder?: string;
  /** fmig's folder to write, relative to the working directory; default migrate.toml's `dir`. */
  dir?: string;
  /** Adopt the database of `--url`. */
  adopt: boolean;
  dryRun: boolean;
  /** How to run Alembic. */
  alembic?: string;
  /** Their ledger table, where it is not the tool's default name. */
  table?: string;
}

export interface ImportResult {
  tool: ToolName;
  dir: string;
  files: string[];
  mapping: MappingEntry[];
  skipped: Skipped[];
  /** Revisions recorded as applied; null when no database was adopted. */
  recorded: string[] | null;
  theirTable: string | null;
  dryRun: boolean;
}

export async function importFrom(ctx: Context, opts: ImportOptions): Promise<ImportResult> {
  const tool = pickTool(opts.from);
  const spec = tools[tool];
  if (!opts.folder && !opts.adopt) {
    throw new UsageError(`fmig import needs ${tool}'s folder, --url of a database ${tool} migrated, or both`, `e.g. \`fmig import --from ${tool} <${spec.folder}> --url "$DATABASE_URL"\``);
  }
  const config = await ctx.config();
  const dir = opts.dir ? resolve(ctx.cwd, opts.dir) : config.dir;
  const shownDir = relative(ctx.cwd, dir) || '.';

  let plan: ImportPlan | null = null;
  if (opts.folder) {
    plan = await planFolder(ctx, tool, spec, resolve(ctx.cwd, opts.folder), opts);
    for (const line of describePlan(plan)) ctx.report.line(line);
    for (const s of plan.skipped) ctx.report.warn(`${s.source} is not imported: ${s.reason}`);
    if (!opts.dryRun) refuseFilledFolder(dir, shownDir);
  }
  const result: ImportResult = {
    tool,
    dir: shownDir,
    files: plan ? plan.files.map((f) => join(shownDir, f.name)) : [],
    mapping: plan?.mapping ?? [],
    skipped: plan?.skipped ?? [],
    recorded: null,
    theirTable: null,
    dryRun: opts.dryRun,
  };
  const write = () => {
    if (!plan || opts.dryRun) return;
    mkdirSync(dir, { recursive: true });
    for (const f of plan.files) writeFileSync(join(dir, f.name), f.text, { flag: 'wx' });
    ctx.report.line(`wrote ${plan.files.length} file(s) for ${plan.mapping.length} revision(s) to ${shownDir}/`);
  };
  if (!opts.adopt) {
    write();
    if (opts.dryRun) ctx.report.line('dry run: nothing written');
    return result;
  }

  const folder = plan ? await folderOf(plan) : await loadFolder({ ...config, dir });
  const table = opts.table ?? spec.ledger.table;
  result.theirTable = table;
  return withDatabase(ctx, config, 'read', async ({ db, ledger, rows }) => {
    if (rows.length) throw notEmpty(rows.length);
    const ids = await theirApplied(db, tool, spec, table, folder);
    if (opts.dryRun) {
      ctx.report.line(`would record ${ids.length} revision(s) as applied without running them${ids.length ? `: ${ids.join(', ')}` : ''}`);
      ctx.report.line('dry run: nothing written');
      return { ...result, recorded: ids };
    }
    const release = await db.lock({
      ...ledger,
      timeoutMs: config.database.lockTimeoutMs,
      onWait: (holder) => ctx.report.warn(`waiting for the migration lock, held by ${holder}`),
      ...tableLock(ctx, config),
    });
    try {
      await ensureLedger(db, ledger);
      const again = await readLedger(db, ledger);
      if (again.length) throw notEmpty(again.length);
      write();
      const w = await writer(db, config);
      await recordBaseline(db, ledger, folder, ids, { ...w, appliedBy: `${w.appliedBy}; imported from ${tool}` });
    } finally {
      await release();
    }
    ctx.report.line(`recorded ${ids.length} revision(s) as applied without running them (imported from ${tool}'s ${table})`);
    ctx.report.line(`${tool}'s table ${table} is left in place; once every database has moved to fmig: DROP TABLE ${table};`);
    return { ...result, recorded: ids };
  });
}

function pickTool(from: string | undefined): ToolName {
  if (!from) throw new UsageError('fmig import needs --from <tool>', `one of: ${TOOLS.join(', ')}`);
  const t = TOOLS.find((x) => x === from.toLowerCase() || x.replace('-', '') === from.toLowerCase().replace(/[-_]/g, ''));
  if (!t) throw new UsageError(`unknown tool "${from}" for --from`, `one of: ${TOOLS.join(', ')}`);
  return t;
}

async function planFolder(ctx: Context, tool: ToolName, spec: Tool, theirs: string, opts: ImportOptions): Promise<ImportPlan> {
  let folder: ToolFolder;
  if (spec.read) {
    const { readTheirFolder } = await import('../import/their-files.js');
    folder = spec.read(readTheirFolder(theirs));
  } else {
    const { readAlembic } = await import('../import/alembic-run.js');
    folder = await readAlembic(theirs, opts.alembic ?? 'alembic', ctx.env);
  }
  if (!folder.revisions.length) throw new UsageError(`no ${tool} migrations found in ${theirs}`, `name ${tool}'s folder (${spec.folder})`);
  try {
    return planImport(folder, { explicitParents: spec.explicitParents });
  } catch (e) {
    if (e instanceof MappingError) {
      throw new FmigError('import-mapping', `cannot import ${theirs}:\n  ${e.problems.join('\n  ')}`, 2);
    }
    throw e;
  }
}

function refuseFilledFolder(dir: string, shownDir: string): void {
  if (!existsSync(dir)) return;
  const sql = readdirSync(dir).filter((n) => n.endsWith('.sql'));
  if (sql.length) {
    throw new StateError('import-folder-not-empty', `refusing to import into ${shownDir}/: it already holds ${sql.length} .sql file(s)`, 'import into an empty folder (--dir <folder>)');
  }
}

/** The folder fmig will read from the planned files, parsed as fmig parses it. */
async function folderOf(plan: ImportPlan): Promise<Folder> {
  const enc = new TextEncoder();
  return parseFolder(
    plan.files.map((f) => ({ name: f.name, bytes: enc.encode(f.text) })),
    await loadHasher(),
  );
}

function notEmpty(n: number): StateError {
  return new StateError('ledger-not-empty', `refusing to import: fmig's ledger already has ${n} row(s)`, 'import adopts a database fmig has never run on; see `fmig status`');
}

/** The fmig revisions their ledger says are applied; StateError (nothing changed) for a missing table or a row fmig must not adopt. */
async function theirApplied(db: Driver, tool: ToolName, spec: Tool, table: string, folder: Folder): Promise<string[]> {
  const ref = table.split('.').map(ident).join('.');
  const [found] = await db.query<{ ok: boolean }>('select to_regclass($1) is not null as ok', [ref]);
  if (!found.ok) throw new StateError('import-no-ledger', `there is no table ${table} in the database: ${tool} has not migrated it`, table === spec.ledger.table ? 'name the table with --table where it is not the default' : undefined);
  let rows: Record<string, unknown>[];
  try {
    rows = await db.query(spec.ledger.query.replace('$table', ref));
  } catch (e) {
    const dbe = toDbError(e);
    if (!dbe) throw e;
    throw new StateError('import-ledger', `cannot read ${table} as ${tool}'s ledger: ${dbe.message}`, 'is it another tool\'s table of the same name? check --from');
  }
  try {
    const view = { order: folder.graph.order(), ancestors: (id: string) => folder.graph.ancestors(id) };
    return appliedIds(spec.ledger.interpret(rows), spec.ledger.idFor, view, spec.ledger.versionOf);
  } catch (e) {
    if (e instanceof LedgerRefusal) throw new StateError('import-refused', `refusing to import: ${e.message}`, 'nothing was changed; settle it with the other tool first, then import again');
    throw e;
  }
}

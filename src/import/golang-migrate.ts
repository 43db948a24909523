/** golang-migrate: `N_name.up.sql` / `N_name.down.sql`, already fmig's names (pure). */
import { MappingError, slugOf } from './map.js';
import { LedgerRefusal, type TheirFile, type ToolFolder, type ToolLedger, type ToolRevision } from './types.js';

const NAME = /^(\d+)_(.*)\.(up|down)\.sql$/;

export function readGolangMigrate(files: readonly TheirFile[]): ToolFolder {
  const byVersion = new Map<string, { slug: string; up?: TheirFile; down?: TheirFile }>();
  const skipped = [];
  const problems: string[] = [];
  for (const f of files) {
    if (f.path.includes('/')) continue;
    const m = NAME.exec(f.path);
    if (!m) {
      if (/\.sql$/.test(f.path)) skipped.push({ source: f.path, reason: 'not a golang-migrate file name (N_name.up.sql or N_name.down.sql)' });
      continue;
    }
    const [, version, slug, dir] = m;
    const entry = byVersion.get(version) ?? { slug };
    if (entry.slug !== slug) problems.push(`version ${version} has two names: ${entry.slug} and ${slug}`);
    entry[dir as 'up' | 'down'] = f;
    byVersion.set(version, entry);
  }
  const revisions: ToolRevision[] = [];
  for (const [version, e] of [...byVersion].sort(([a], [b]) => compareVersions(a, b))) {
    if (!e.up) {
      problems.push(`${e.down!.path}: a down file without its up file`);
      continue;
    }
    revisions.push({
      source: e.up.path,
      version,
      id: version,
      slug: slugOf(e.slug),
      parents: null,
      up: { text: e.up.text, noTransaction: false },
      down: e.down ? { text: e.down.text, noTransaction: false } : null,
      notes: [],
    });
  }
  if (problems.length) throw new MappingError(problems);
  return { tool: 'golang-migrate', revisions, skipped };
}

/** golang-migrate orders versions as unsigned integers. */
function compareVersions(a: string, b: string): number {
  const x = BigInt(a);
  const y = BigInt(b);
  return x < y ? -1 : x > y ? 1 : 0;
}

/** `schema_migrations(version bigint, dirty boolean)`: one row, the highest applied; dirty when one failed part-way. */
export const golangMigrateLedger: ToolLedger = {
  table: 'schema_migrations',
  query: 'select version::text as version, dirty from $table',
  interpret(rows) {
    if (rows.length > 1) throw new LedgerRefusal(String(rows[0].version), `schema_migrations has ${rows.length} rows; golang-migrate keeps exactly one`);
    const row = rows[0];
    if (!row) return { kind: 'up-to', version: null };
    if (row.dirty === true) {
      throw new LedgerRefusal(
        String(row.version),
        `schema_migrations says version ${row.version} is dirty: it failed part-way, so what it left in the database is unknown`,
      );
    }
    return { kind: 'up-to', version: String(row.version) };
  },
  idFor: (version) => version,
};

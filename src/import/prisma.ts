/**
 * Prisma Migrate: `<timestamp>_<name>/migration.sql`, with no downs: every revision is
 * irreversible (pure). The id is the timestamp; the ledger names migrations by folder name.
 */
import { MappingError, slugOf } from './map.js';
import { LedgerRefusal, type TheirFile, type ToolFolder, type ToolLedger, type ToolRevision } from './types.js';

const DIR = /^(\d+)_(.+)$/;

export function readPrisma(files: readonly TheirFile[]): ToolFolder {
  const problems: string[] = [];
  const revisions: ToolRevision[] = [];
  for (const f of files) {
    if (!f.path.endsWith('/migration.sql') || f.path.split('/').length !== 2) continue;
    const dir = f.path.slice(0, f.path.indexOf('/'));
    const m = DIR.exec(dir);
    if (!m) {
      problems.push(`${dir}/: not a Prisma migration folder name (<timestamp>_<name>)`);
      continue;
    }
    revisions.push({ source: `${dir}/`, version: dir, id: m[1], slug: slugOf(m[2]), parents: null, up: { text: f.text, noTransaction: false }, down: null, notes: [] });
  }
  if (problems.length) throw new MappingError(problems);
  revisions.sort((a, b) => (a.version < b.version ? -1 : a.version > b.version ? 1 : 0));
  return { tool: 'prisma', revisions, skipped: [] };
}

/**
 * `_prisma_migrations`: a row per attempt. Finished and not rolled back: applied. Neither
 * finished nor rolled back: it failed, and `prisma migrate resolve` has not settled it.
 */
export const prismaLedger: ToolLedger = {
  table: '_prisma_migrations',
  query: 'select migration_name, finished_at is not null as finished, rolled_back_at is not null as rolled_back from $table order by started_at, migration_name',
  interpret(rows) {
    const applied: string[] = [];
    for (const r of rows) {
      if (r.rolled_back === true) continue;
      if (r.finished !== true) {
        throw new LedgerRefusal(String(r.migration_name), `_prisma_migrations says ${r.migration_name} failed (finished_at is null); settle it with prisma migrate resolve first`);
      }
      applied.push(String(r.migration_name));
    }
    return { kind: 'exact', versions: applied };
  },
  idFor: (name) => name.split('_')[0],
};

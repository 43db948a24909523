/**
 * diesel: `<version>_<name>/up.sql` and `down.sql`, with `metadata.toml` saying
 * `run_in_transaction = false` where it runs outside a transaction (pure). The version is the
 * folder name's first part without its dashes, as diesel's ledger writes it; diesel orders
 * versions as strings, so a mix of lengths gets parent directives.
 */
import { MappingError, slugOf } from './map.js';
import type { TheirFile, ToolFolder, ToolLedger, ToolRevision } from './types.js';

const DIR = /^([0-9-]+)_(.+)$/;

export function readDiesel(files: readonly TheirFile[]): ToolFolder {
  const dirs = new Map<string, Map<string, string>>();
  for (const f of files) {
    const at = f.path.indexOf('/');
    if (at < 0) continue;
    const dir = f.path.slice(0, at);
    if (!dirs.has(dir)) dirs.set(dir, new Map());
    dirs.get(dir)!.set(f.path.slice(at + 1), f.text);
  }
  const problems: string[] = [];
  const revisions: ToolRevision[] = [];
  for (const [dir, inside] of dirs) {
    const m = DIR.exec(dir);
    if (!m || !inside.has('up.sql')) {
      if (inside.has('up.sql')) problems.push(`${dir}/: not a diesel migration folder name (<version>_<name>)`);
      continue;
    }
    const version = m[1].replace(/-/g, '');
    const noTransaction = /^\s*run_in_transaction\s*=\s*false\s*$/m.test(inside.get('metadata.toml') ?? '');
    const down = inside.get('down.sql');
    revisions.push({
      source: `${dir}/`,
      version,
      id: version,
      slug: slugOf(m[2]),
      parents: null,
      up: { text: inside.get('up.sql')!, noTransaction },
      down: down === undefined ? null : { text: down, noTransaction },
      notes: [],
    });
  }
  if (problems.length) throw new MappingError(problems);
  revisions.sort((a, b) => (a.version < b.version ? -1 : a.version > b.version ? 1 : 0));
  return { tool: 'diesel', revisions, skipped: [] };
}

/** `__diesel_schema_migrations(version, run_on)`: a row per applied version. */
export const dieselLedger: ToolLedger = {
  table: '__diesel_schema_migrations',
  query: 'select version::text as version from $table order by version',
  interpret: (rows) => ({ kind: 'exact', versions: rows.map((r) => String(r.version)) }),
  idFor: (version) => version,
};

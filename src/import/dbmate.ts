/** dbmate: `<version>_name.sql` with `-- migrate:up` and `-- migrate:down` sections (pure). */
import { MappingError, slugOf } from './map.js';
import { cutSections } from './sections.js';
import type { TheirFile, ToolFolder, ToolLedger, ToolRevision } from './types.js';

const NAME = /^(\d+)_(.*)\.sql$/;
const MARKER = /^--\s*migrate:(up|down)\b(.*)$/;

export function readDbmate(files: readonly TheirFile[]): ToolFolder {
  const revisions: ToolRevision[] = [];
  const problems: string[] = [];
  for (const f of files) {
    if (f.path.includes('/')) continue;
    const m = NAME.exec(f.path);
    if (!m) continue;
    const { sections } = cutSections(f.text, (l) => MARKER.test(l));
    const up = sections.find((s) => MARKER.exec(s.marker)![1] === 'up');
    const down = sections.find((s) => MARKER.exec(s.marker)![1] === 'down');
    if (!up) {
      problems.push(`${f.path}: no "-- migrate:up" line`);
      continue;
    }
    const noTx = (marker: string) => /\btransaction:false\b/.test(MARKER.exec(marker)![2]);
    revisions.push({
      source: f.path,
      version: m[1],
      id: m[1],
      slug: slugOf(m[2]),
      parents: null,
      up: { text: up.text, noTransaction: noTx(up.marker) },
      down: { text: down?.text ?? '', noTransaction: down ? noTx(down.marker) : false },
      notes: down ? [] : ['no "-- migrate:down" section: an empty down, as dbmate runs it'],
    });
  }
  if (problems.length) throw new MappingError(problems);
  // dbmate applies in the order of the file names, which begin with the version.
  revisions.sort((a, b) => (a.source < b.source ? -1 : a.source > b.source ? 1 : 0));
  return { tool: 'dbmate', revisions, skipped: [] };
}

/** `schema_migrations(version varchar)`: a row per applied version. */
export const dbmateLedger: ToolLedger = {
  table: 'schema_migrations',
  query: 'select version::text as version from $table order by version',
  interpret: (rows) => ({ kind: 'exact', versions: rows.map((r) => String(r.version)) }),
  idFor: (version) => version,
};

/**
 * goose: `<version>_name.sql` with `-- +goose Up` and `-- +goose Down` sections (pure).
 * `StatementBegin`/`StatementEnd` lines are comments to fmig and stay where they are;
 * `-- +goose NO TRANSACTION` runs both sides outside a transaction. Go migrations are listed.
 */
import { compareIds } from '../core/names.js';
import { MappingError, slugOf } from './map.js';
import { cutSections } from './sections.js';
import type { Skipped, TheirFile, ToolFolder, ToolLedger, ToolRevision } from './types.js';

const NAME = /^(\d+)_(.*)\.(sql|go)$/;
const ANNOTATION = /^\s*--\s*\+goose\s+(.*?)\s*$/i;
const annotation = (line: string) => ANNOTATION.exec(line)?.[1].toUpperCase() ?? null;

export function readGoose(files: readonly TheirFile[]): ToolFolder {
  const revisions: ToolRevision[] = [];
  const skipped: Skipped[] = [];
  const problems: string[] = [];
  for (const f of files) {
    if (f.path.includes('/')) continue;
    const m = NAME.exec(f.path);
    if (!m) continue;
    if (m[3] === 'go') {
      if (!f.path.endsWith('_test.go')) skipped.push({ source: f.path, reason: 'a Go migration: its code runs inside goose and has no SQL to copy; write its fmig files by hand' });
      continue;
    }
    const { sections } = cutSections(f.text, (l) => ['UP', 'DOWN'].includes(annotation(l) ?? ''));
    const up = sections.find((s) => annotation(s.marker) === 'UP');
    const down = sections.find((s) => annotation(s.marker) === 'DOWN');
    if (!up) {
      problems.push(`${f.path}: no "-- +goose Up" line`);
      continue;
    }
    const lines = f.text.split(/\r?\n/);
    const noTransaction = lines.some((l) => annotation(l) === 'NO TRANSACTION');
    const notes: string[] = [];
    if (!down) notes.push('no "-- +goose Down" section: an empty down, as goose runs it');
    if (lines.some((l) => annotation(l) === 'ENVSUB ON')) notes.push('ENVSUB ON: fmig runs the text as written, without substituting variables');
    revisions.push({
      source: f.path,
      version: m[1],
      id: m[1],
      slug: slugOf(m[2]),
      parents: null,
      up: { text: up.text, noTransaction },
      down: { text: down?.text ?? '', noTransaction },
      notes,
    });
  }
  if (problems.length) throw new MappingError(problems);
  revisions.sort((a, b) => compareIds(a.id, b.id));
  return { tool: 'goose', revisions, skipped };
}

/**
 * `goose_db_version(id, version_id, is_applied, tstamp)`: a row each time a version went up (and,
 * in older goose, down with is_applied false); the latest row of a version says where it stands.
 * Version 0 is the row goose writes when it creates the table.
 */
export const gooseLedger: ToolLedger = {
  table: 'goose_db_version',
  query: 'select version_id::text as version, is_applied from $table order by id',
  interpret(rows) {
    const state = new Map<string, boolean>();
    for (const r of rows) {
      const v = String(r.version);
      if (v === '0') continue;
      state.set(v, r.is_applied === true);
    }
    return { kind: 'exact', versions: [...state].filter(([, on]) => on).map(([v]) => v) };
  },
  idFor: (version) => version,
};

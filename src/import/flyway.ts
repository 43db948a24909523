/**
 * Flyway: `V<version>__<description>.sql` with `U<version>__` undo scripts (pure). Versions are
 * dotted (`1.2.3`, or `1_2_3` in a file name) and ordered part by part; in fmig ids the dots
 * become `p` (`1p2p3`), and parent directives keep Flyway's order where fmig's would differ.
 * Repeatable (`R__`) and script or Java migrations are listed, not imported.
 */
import { MappingError, slugOf } from './map.js';
import { LedgerRefusal, type Skipped, type TheirFile, type ToolFolder, type ToolLedger, type ToolRevision } from './types.js';

const NAME = /^([VUR])(.*?)__(.*)\.sql$/;

/** `1_2` and `1.2` are the same version: dotted, as Flyway's ledger writes it. */
const dotted = (v: string) => v.replace(/_/g, '.');

/** The fmig id of a Flyway version. */
export const flywayId = (version: string) => dotted(version).split('.').join('p');

/** Flyway's order: part by part, numerically; `1.0` equals `1`. */
export function compareFlyway(a: string, b: string): number {
  const x = dotted(a).split('.').map((p) => BigInt(p));
  const y = dotted(b).split('.').map((p) => BigInt(p));
  for (let i = 0; i < Math.max(x.length, y.length); i++) {
    const d = (x[i] ?? 0n) - (y[i] ?? 0n);
    if (d !== 0n) return d < 0n ? -1 : 1;
  }
  return 0;
}

export function readFlyway(files: readonly TheirFile[]): ToolFolder {
  const skipped: Skipped[] = [];
  const problems: string[] = [];
  const ups = new Map<string, TheirFile & { desc: string }>();
  const undos = new Map<string, TheirFile>();
  const conf = new Map(files.filter((f) => f.path.endsWith('.sql.conf')).map((f) => [f.path.slice(0, -5), f.text]));
  for (const f of files) {
    if (f.path.includes('/') || f.path.endsWith('.sql.conf')) continue;
    const m = NAME.exec(f.path);
    if (!m) {
      if (/^[VUR].*__/.test(f.path)) skipped.push({ source: f.path, reason: 'a script migration that is not SQL: Flyway runs it as a program, fmig has no SQL to copy' });
      continue;
    }
    const [, kind, version, desc] = m;
    if (kind === 'R') {
      skipped.push({ source: f.path, reason: 'a repeatable migration: Flyway re-runs it whenever it changes, which fmig revisions do not; make it a revision or keep it beside the folder' });
      continue;
    }
    if (!/^\d+([._]\d+)*$/.test(version)) {
      problems.push(`${f.path}: "${version}" is not a Flyway version`);
      continue;
    }
    const key = dotted(version);
    if (kind === 'V') {
      if (ups.has(key)) problems.push(`${f.path} and ${ups.get(key)!.path} have the same version ${key}`);
      ups.set(key, { ...f, desc });
    } else undos.set(key, f);
  }
  for (const [key, u] of undos) if (!ups.has(key)) problems.push(`${u.path}: an undo script without V${key}`);
  if (problems.length) throw new MappingError(problems);

  const noTransaction = (f: TheirFile) =>
    /^\s*executeInTransaction\s*=\s*false\s*$/m.test(conf.get(f.path) ?? '') || /^--\s*flyway:executeInTransaction\s*=\s*false\s*$/m.test(f.text);
  const revisions: ToolRevision[] = [...ups]
    .sort(([a], [b]) => compareFlyway(a, b))
    .map(([version, f]) => {
      const undo = undos.get(version);
      const notes = /\$\{[^}]+\}/.test(f.text) ? ['has ${placeholders}: fmig runs the text as written'] : [];
      return {
        source: f.path,
        version,
        id: flywayId(version),
        slug: slugOf(f.desc),
        parents: null,
        up: { text: f.text, noTransaction: noTransaction(f) },
        down: undo ? { text: undo.text, noTransaction: noTransaction(undo) } : null,
        notes,
      };
    });
  return { tool: 'flyway', revisions, skipped };
}

/**
 * `flyway_schema_history`: a row per run, by installed_rank. A failed row (success = false)
 * stops the import; an undo takes its version back out; a BASELINE row stands for every version
 * up to its own.
 */
export const flywayLedger: ToolLedger = {
  table: 'flyway_schema_history',
  query: 'select installed_rank, version, type, script, success from $table order by installed_rank',
  interpret(rows) {
    const applied = new Set<string>();
    let baseline: string | null = null;
    for (const r of rows) {
      if (r.success !== true) {
        throw new LedgerRefusal(
          String(r.installed_rank),
          `flyway_schema_history row ${r.installed_rank} (version ${r.version ?? '-'}, ${r.script}) failed (success = false); run flyway repair or finish it first`,
        );
      }
      if (r.version === null || r.version === undefined) continue;
      const v = String(r.version);
      const type = String(r.type);
      if (type === 'SCHEMA') continue;
      if (type.startsWith('UNDO')) applied.delete(v);
      else if (type === 'DELETE') applied.delete(v);
      else if (type === 'BASELINE') baseline = v;
      else applied.add(v);
    }
    return { kind: 'exact', versions: [...applied], atOrBelow: baseline === null ? undefined : { version: baseline, compare: compareFlyway } };
  },
  idFor: flywayId,
  versionOf: (id) => id.split('p').join('.'),
};

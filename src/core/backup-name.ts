/**
 * Backups, the pure part: a backup file's name (what database, when, before which revision),
 * which older backups of a database a `--keep N` removes, the metadata written beside a backup,
 * and the rule for a pg_dump older than the server.
 */

/** What a backup file's name says: `<database>-<UTC time>-<before|at>-<revision>.<ext>`. */
export interface BackupName {
  database: string;
  /** UTC, `YYYYMMDDTHHMMSSZ`, with `-N` when two backups fell in the same second. */
  time: string;
  /** `before` a run of `up` that applies up to `revision`; `at` the applied head for a plain backup. */
  when: 'before' | 'at';
  revision: string;
}

export const EXTENSIONS = { postgres: '.dump', pglite: '.tar.gz' } as const;

/** A database name as it may stand in a file name: anything but letters, digits, `_`, `.` becomes `_`. */
export function fileSafe(name: string): string {
  return name.replace(/[^A-Za-z0-9_.]/g, '_') || 'database';
}

/** `2026-12-02T16:45:07.123Z` → `20261202T164507Z`. */
export function utcStamp(at: Date): string {
  return at.toISOString().replace(/\.\d+Z$/, 'Z').replace(/[-:]/g, '');
}

/** The default file name of a backup; `taken` lists names already in the folder, so a second in the same second gets `-2`. */
export function backupFileName(n: Omit<BackupName, 'time'> & { at: Date; kind: keyof typeof EXTENSIONS }, taken: ReadonlySet<string> = new Set()): string {
  const stamp = utcStamp(n.at);
  const ext = EXTENSIONS[n.kind];
  for (let i = 1; ; i++) {
    const name = `${fileSafe(n.database)}-${stamp}${i > 1 ? `-${i}` : ''}-${n.when}-${fileSafe(n.revision)}${ext}`;
    if (!taken.has(name)) return name;
  }
}

const NAME = /^(.+)-(\d{8}T\d{6}Z(?:-\d+)?)-(before|at)-(.+?)(\.dump|\.tar\.gz)$/;

/** Reads a name that backupFileName made; null for any other file. */
export function parseBackupName(name: string): BackupName | null {
  const m = NAME.exec(name);
  if (!m) return null;
  return { database: m[1], time: m[2], when: m[3] as BackupName['when'], revision: m[4] };
}

/** Orders two stamps (with their `-N`) oldest first. */
function byTime(a: string, b: string): number {
  const [ta, na = '1'] = a.split('-');
  const [tb, nb = '1'] = b.split('-');
  return ta < tb ? -1 : ta > tb ? 1 : Number(na) - Number(nb);
}

/**
 * The backups of `database` (by its file-safe name) to remove so that the newest `keep` stay,
 * oldest first. Files of other databases, and files fmig did not name, are never listed.
 */
export function toPrune(names: readonly string[], database: string, keep: number): string[] {
  const own = names
    .map((name) => ({ name, parsed: parseBackupName(name) }))
    .filter((x) => x.parsed?.database === fileSafe(database))
    .sort((a, b) => byTime(a.parsed!.time, b.parsed!.time));
  return own.slice(0, Math.max(0, own.length - Math.max(1, keep))).map((x) => x.name);
}

/** The URL with its password removed (not masked: the metadata file is kept and copied around), from the user part and from a `password=` parameter. */
export function withoutPassword(url: string): string {
  let out = url.replace(/([?&])password=[^&#]*&?/gi, (_, sep: string) => sep).replace(/[?&]$/, '');
  const m = /^([a-z][a-z0-9+.-]*:\/\/)([^]*)@/i.exec(out);
  if (m) {
    // Where the user part is not a plain `user:password`, all of it goes.
    const plain = /^([^:/?#@\s]*)(:[^/?#@]*)?$/.exec(m[2]);
    out = m[1] + (plain && plain[1] ? `${plain[1]}@` : '') + out.slice(m[0].length);
  }
  return out;
}

/** The major version in a `server_version_num`-style number: 150010 → 15, 90624 → 9.6. */
export function majorOf(versionNum: number): number {
  return versionNum >= 100000 ? Math.floor(versionNum / 10000) : Math.floor(versionNum / 10000) + (Math.floor(versionNum / 100) % 100) / 10;
}

/** The version in `pg_dump --version`'s output (`pg_dump (PostgreSQL) 15.10 (Debian 15.10-1)`) as a number like server_version_num; null when none is there. */
export function toolVersionNum(output: string): number | null {
  const m = /\(PostgreSQL\)\s+(\d+)(?:\.(\d+))?(?:\.(\d+))?/.exec(output) ?? /\b(\d+)\.(\d+)(?:\.(\d+))?\b/.exec(output);
  if (!m) return null;
  const [a, b = 0, c = 0] = [m[1], m[2], m[3]].map((x) => (x === undefined ? undefined : Number(x)));
  return a! >= 10 ? a! * 10000 + (b ?? 0) : a! * 10000 + (b ?? 0) * 100 + (c ?? 0);
}

/**
 * Whether a pg_dump of `dumpNum` can back up a server of `serverNum`: pg_dump reads servers of
 * its own major version and older ones, never newer. Null when it can; else why not.
 */
export function dumpVersionProblem(dumpNum: number, serverNum: number): string | null {
  const dump = majorOf(dumpNum);
  const server = majorOf(serverNum);
  return dump >= server ? null : `pg_dump is version ${dump}, the server is version ${server}: pg_dump cannot back up a server newer than itself`;
}

/** A ledger row as the metadata needs it. */
export interface LedgerSummaryRow {
  revision: string;
  parents: readonly string[];
  up_checksum: string;
  down_checksum: string | null;
  finished_at: unknown;
}

/** The applied revisions (finished) with their checksums, in ledger order, and the applied heads (no applied child). */
export function ledgerSummary(rows: readonly LedgerSummaryRow[]): { heads: string[]; applied: { revision: string; up_checksum: string; down_checksum: string | null }[]; unfinished: string[] } {
  const done = rows.filter((r) => r.finished_at !== null);
  const parents = new Set(done.flatMap((r) => r.parents));
  return {
    heads: done.filter((r) => !parents.has(r.revision)).map((r) => r.revision),
    applied: done.map((r) => ({ revision: r.revision, up_checksum: r.up_checksum, down_checksum: r.down_checksum })),
    unfinished: rows.filter((r) => r.finished_at === null).map((r) => r.revision),
  };
}

/** Bytes for people: `812 B`, `4.2 MB`. */
export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['kB', 'MB', 'GB', 'TB'];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v < 10 ? v.toFixed(1) : Math.round(v)} ${units[i]}`;
}

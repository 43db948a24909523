/** What to do after a revision failed, by what made it fail: a file to fix, or another session to wait for. */
import type { RevisionFailed } from './apply.js';

/** The hint for a failed revision; `fileHint` (fix the file and run again) when the cause is in the file. */
export function hintFor(e: RevisionFailed, fileHint: string, rerun: string): string {
  switch (e.fields?.sqlstate) {
    case '55P03':
      return (
        `another session holds a lock on a table this statement needs, and database.lock_timeout ran out waiting for it: the file is not at fault. ` +
        `Find the holder (select pid, usename, state, xact_start, query from pg_stat_activity where pid in (select pid from pg_locks where granted and relation is not null)), ` +
        `let it finish or end it, then run \`${rerun}\` again (a longer database.lock_timeout in migrate.toml waits longer, and blocks the table's users meanwhile)`
      );
    case '40P01':
      return `the statement deadlocked with another session: the file is not at fault; run \`${rerun}\` again once that session is done`;
    case '57014':
      return `the statement ran longer than database.statement_timeout allows, or was cancelled: raise statement_timeout in migrate.toml (0 = none) for a long change, then run \`${rerun}\` again`;
    case '53100':
    case '53200':
    case '53300':
      return `the server ran out of a resource (disk, memory or connections): the file may be fine; free it, then run \`${rerun}\` again`;
  }
  return fileHint;
}

/** The commit checked out in the project's repository, recorded in the ledger with each change. */
import { execFile } from 'node:child_process';

/** HEAD's commit id, or null outside a git repository (or without git). */
export function headCommit(cwd: string): Promise<string | null> {
  return new Promise((resolve) => {
    execFile('git', ['rev-parse', '--verify', '-q', 'HEAD'], { cwd, timeout: 10_000 }, (err, stdout) => {
      resolve(err ? null : stdout.trim() || null);
    });
  });
}

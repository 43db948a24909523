/** The commit checked out in the project's repository, recorded in the ledger with each change. */
import { gitRaw } from './git-run.js';

/** HEAD's commit id, or null outside a git repository (or without git). */
export async function headCommit(cwd: string): Promise<string | null> {
  try {
    const r = await gitRaw(cwd, ['rev-parse', '--verify', '-q', 'HEAD']);
    return r.code === 0 ? r.stdout.toString('utf8').trim() || null : null;
  } catch {
    return null;
  }
}

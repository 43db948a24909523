/**
 * The git that `fmig resolve` reads and writes: the published ref, the order in which
 * revision files reached it, what is tracked, and `git mv`. Paths are names inside the
 * revision folder; every call runs there, so a folder below the repository's top works.
 */
import { GitFailed, runGit } from './git-run.js';

export interface RepoState {
  /** The `git.main` ref in use, or null when it does not exist here. */
  main: string | null;
  /** The ref that was looked for: the configured one, or `origin/main` / `main`. */
  mainWanted: string;
  /** The commits being brought in: MERGE_HEAD during a merge, REBASE_HEAD or CHERRY_PICK_HEAD while replaying. */
  incoming: string[];
}

/** How a repository stands for the folder `dir`; null outside a git repository (or without git). */
export async function repoState(dir: string, configuredMain: string | null): Promise<RepoState | null> {
  try {
    await runGit(dir, ['rev-parse', '--git-dir']);
  } catch {
    return null;
  }
  let mainWanted = configuredMain ?? 'origin/main';
  let main = (await exists(dir, mainWanted)) ? mainWanted : null;
  if (!main && configuredMain === null) {
    mainWanted = 'main';
    main = (await exists(dir, 'main')) ? 'main' : null;
    if (!main) mainWanted = 'origin/main or main';
  }
  const incoming: string[] = [];
  for (const ref of ['MERGE_HEAD', 'REBASE_HEAD', 'CHERRY_PICK_HEAD']) if (await exists(dir, ref)) incoming.push(ref);
  return { main, mainWanted, incoming };
}

async function exists(dir: string, ref: string): Promise<boolean> {
  try {
    await runGit(dir, ['rev-parse', '-q', '--verify', `${ref}^{commit}`]);
    return true;
  } catch (e) {
    if (e instanceof GitFailed) return false;
    throw e;
  }
}

/** The names of the files directly in the folder as it is in `ref`'s tree. */
export async function namesAt(dir: string, ref: string): Promise<Set<string>> {
  const out = await runGit(dir, ['ls-tree', '-z', '--name-only', ref, '--', '.']);
  return new Set(out.split('\0').filter((n) => n && !n.includes('/')));
}

/**
 * For each file added in `ref`'s history, the position (0 = oldest) of the first commit that
 * added it; with `firstParent`, a file a merge brought in counts from that merge.
 */
export async function additionOrder(dir: string, ref: string, firstParent: boolean): Promise<Map<string, number>> {
  const args = ['log', '--reverse', '--no-renames', '--diff-filter=A', '--relative', '--name-only', '-z', '--format=%x01%H'];
  if (firstParent) args.push('--first-parent', '--diff-merges=first-parent');
  const out = await runGit(dir, [...args, ref, '--', '.']);
  const order = new Map<string, number>();
  let i = -1;
  for (const token of out.split('\0')) {
    const t = token.replace(/^\n+/, '');
    if (t.startsWith('\x01')) {
      i++;
      continue;
    }
    if (t && !t.includes('/') && !order.has(t)) order.set(t, i);
  }
  return order;
}

/** The files of the folder that git tracks (in the index, merged or not). */
export async function trackedNames(dir: string): Promise<Set<string>> {
  const out = await runGit(dir, ['ls-files', '-z', '--', '.']);
  return new Set(out.split('\0').filter((n) => n && !n.includes('/')));
}

/**
 * `git mv` inside the folder: the rename is staged, which is what lets a merge in progress be
 * committed. Revision file names start with a letter or digit, so none is read as an option.
 */
export async function gitMove(dir: string, from: string, to: string): Promise<void> {
  await writes(dir, (git) => git.mv(from, to));
}

/** Stages files of the folder. */
export async function gitAdd(dir: string, names: string[]): Promise<void> {
  if (names.length) await writes(dir, (git) => git.add(names));
}

/**
 * resolve's writes to the index go through simple-git, which queues them and reports a failed
 * git as one error type. It loads only here: reading commands (verify, the hook) never pay for it.
 */
async function writes(dir: string, run: (git: import('simple-git').SimpleGit) => Promise<unknown>): Promise<void> {
  const { simpleGit, GitError } = await import('simple-git');
  try {
    await run(simpleGit({ baseDir: dir }));
  } catch (e) {
    if (e instanceof GitError) throw new GitFailed(['(index write)'], null, e.message);
    throw e;
  }
}

/**
 * The names in the folder as it was in the first commit (reachable from `refs`) that added
 * `name`; null when no such commit exists (the file is not committed).
 */
export async function namesWhenAdded(dir: string, name: string, refs: string[]): Promise<Set<string> | null> {
  const out = await runGit(dir, ['log', '--reverse', '--diff-filter=A', '--format=%H', ...refs, '--', `:(literal)${name}`]).catch((e) => {
    if (e instanceof GitFailed) return '';
    throw e;
  });
  const commit = out.split('\n').find(Boolean);
  return commit ? namesAt(dir, commit) : null;
}

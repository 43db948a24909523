/**
 * Reads git: where revision files came from. Three git calls whatever the number of files: the
 * commits that added them, how each commit reached the ref (name-rev), and the merges' subjects.
 */
import { gitRaw } from './git-run.js';

export interface Origin {
  commit: string;
  author: string;
  date: string;
  /** The branch or merge that brought the commit into HEAD, when known. */
  via?: string;
}

/** For each path (relative to `root`), the commit that added it and how it reached HEAD; absent when unknown or outside git. */
export async function originOf(root: string, paths: string[]): Promise<Map<string, Origin>> {
  return originIn(root, 'HEAD', paths);
}

/**
 * For each path (relative to `cwd`), the newest commit reachable from `rev` that added it, and
 * the branch or merge that brought that commit into `rev`. Paths never added there are absent.
 */
export async function originIn(cwd: string, rev: string, paths: readonly string[]): Promise<Map<string, Origin>> {
  const found = new Map<string, Origin>();
  if (!paths.length) return found;
  const [log, refName] = await Promise.all([
    gitRaw(cwd, ['log', '--diff-filter=A', '--no-renames', '--relative', '--name-only', '--format=%x01%H%x02%an <%ae>%x02%as', rev, '--', ...paths]),
    refOf(cwd, rev),
  ]);
  if (log.code !== 0) return found;
  const wanted = new Set(paths);
  // Newest first: the first commit that added a path is the one whose file is there now.
  for (const chunk of log.stdout.toString('utf8').split('\x01')) {
    const [head, ...names] = chunk.split('\n');
    const [commit, author, date] = head.split('\x02');
    if (!date) continue;
    for (const name of names) {
      if (wanted.has(name) && !found.has(name)) found.set(name, { commit, author, date });
    }
  }
  if (refName && found.size) await addVia(cwd, refName, found);
  return found;
}

/** The full ref name behind `rev` (the current branch for HEAD), or null when detached or not a ref. */
async function refOf(cwd: string, rev: string): Promise<string | null> {
  const r = await gitRaw(cwd, ['rev-parse', '--symbolic-full-name', rev]);
  const name = r.stdout.toString('utf8').trim();
  return r.code === 0 && name.startsWith('refs/') ? name : null;
}

/**
 * name-rev describes each commit from the ref, preferring first-parent steps: `main~3` is on the
 * ref's own line; `main~3^2~1` came in through the merge `main~3`.
 */
async function addVia(cwd: string, refName: string, found: Map<string, Origin>): Promise<void> {
  const commits = [...new Set([...found.values()].map((o) => o.commit))];
  const short = refName.replace(/^refs\/(heads|remotes|tags)\//, '');
  const named = await gitRaw(cwd, ['name-rev', '--name-only', `--refs=${refName}`, ...commits]);
  if (named.code !== 0) return;
  const names = named.stdout.toString('utf8').trim().split('\n');
  const mergeOf = new Map<string, string>();
  commits.forEach((c, i) => {
    const m = /^([^~^]+(?:~\d+)?)\^\d+/.exec(names[i] ?? '');
    if (m) mergeOf.set(c, m[1]);
  });
  const merges = [...new Set(mergeOf.values())];
  const subjects = new Map<string, string>();
  if (merges.length) {
    const r = await gitRaw(cwd, ['log', '--no-walk=unsorted', '--format=%H%x02%s', ...merges]);
    r.stdout.toString('utf8').trim().split('\n').forEach((line, i) => subjects.set(merges[i], line));
  }
  for (const o of found.values()) {
    const merge = mergeOf.get(o.commit);
    if (!merge) {
      if (names[commits.indexOf(o.commit)] && names[commits.indexOf(o.commit)] !== 'undefined') o.via = `branch ${short}`;
      continue;
    }
    const [sha, subject] = (subjects.get(merge) ?? '').split('\x02');
    o.via = sha ? `merge ${sha.slice(0, 10)} "${subject}"` : `a merge into ${short}`;
  }
}

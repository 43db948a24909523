/**
 * Reads the revision folder as git sees it: on a ref, in the index, in a predicted merge. Each
 * reader is one git process whatever the number of files, so verify costs a constant number.
 */
import { gitRaw, type GitResult } from './git-run.js';
import * as crypto from 'node:crypto';

/** The first line of git's complaint, for a skipped check's reason. */
export function firstLine(stderr: string): string {
  return (stderr.trim().split('\n')[0] ?? '').replace(/^(fatal|error): /, '');
}

export type Probe = { repo: true; oids: Map<string, string | null>; folders: Map<string, Map<string, string>> } | { repo: false; reason: string };

/**
 * Resolves each name to a commit id (null when missing) and lists, on each of `listed` that
 * resolves, the `*.sql` files directly in `dirRel` (name → blob id); or says why this is not
 * a usable repository. One call: the folder's tree comes in the same stream as the commits.
 */
export async function probe(cwd: string, names: string[], listed: string[] = [], dirRel = '.'): Promise<Probe> {
  const folder = dirRel === '' || dirRel === '.' ? './' : `./${dirRel.replace(/\/$/, '')}`;
  const queries = [...names.map((n) => `${n}^{commit}`), ...listed.map((n) => `${n}:${folder}`)];
  let r: GitResult;
  try {
    r = await gitRaw(cwd, ['cat-file', '--batch'], queries.map((q) => `${q}\n`).join(''));
  } catch {
    return { repo: false, reason: 'git is not installed' };
  }
  if (r.code !== 0) return { repo: false, reason: /not a git repository/i.test(r.stderr) ? 'not a git repository' : firstLine(r.stderr) };
  // Each answer: `<oid> <type> <size>` LF <content> LF, or `<query> missing` LF (ambiguous likewise).
  const buf = r.stdout;
  const answers: { oid: string; type: string; start: number; end: number }[] = [];
  for (let pos = 0; pos < buf.length && answers.length < queries.length; ) {
    const nl = buf.indexOf(10, pos);
    if (nl === -1) break;
    const m = /^([0-9a-f]{40,64}) (\S+) (\d+)$/.exec(buf.toString('utf8', pos, nl));
    const size = m ? Number(m[3]) : 0;
    answers.push(m ? { oid: m[1], type: m[2], start: nl + 1, end: nl + 1 + size } : { oid: '', type: 'missing', start: 0, end: 0 });
    pos = m ? nl + 1 + size + 1 : nl + 1;
  }
  const oids = new Map<string, string | null>();
  names.forEach((n, i) => oids.set(n, answers[i]?.type === 'commit' ? answers[i].oid : null));
  const folders = new Map<string, Map<string, string>>();
  listed.forEach((n, i) => {
    const a = answers[names.length + i];
    if (oids.get(n)) folders.set(n, a?.type === 'tree' ? treeFiles(buf, a.start, a.end, a.oid.length / 2) : new Map());
  });
  return { repo: true, oids, folders };
}

/** The `*.sql` blobs (not symlinks, trees or submodules) of a raw tree object: `<mode> SP <name> NUL <raw oid>` each. */
function treeFiles(buf: Buffer, start: number, end: number, oidBytes: number): Map<string, string> {
  const files = new Map<string, string>();
  for (let pos = start; pos < end; ) {
    const sp = buf.indexOf(32, pos);
    const nul = buf.indexOf(0, sp);
    if (sp === -1 || nul === -1 || nul + 1 + oidBytes > end) break;
    // Regular files have modes 100644, 100755 (and the old 100664).
    const regular = nul - sp > 4 && buf[pos] === 0x31 && buf[pos + 1] === 0x30 && buf[pos + 2] === 0x30 && buf.toString('latin1', nul - 4, nul) === '.sql';
    if (regular) files.set(buf.toString('utf8', sp + 1, nul), buf.toString('hex', nul + 1, nul + 1 + oidBytes));
    pos = nul + 1 + oidBytes;
  }
  return files;
}

/** The `*.sql` files directly in `dirRel` (relative to cwd) on a tree-ish: name → blob id. One call. */
export async function lsTree(cwd: string, treeish: string, dirRel: string): Promise<Map<string, string>> {
  const r = await gitRaw(cwd, ['ls-tree', '-r', '-z', treeish, '--', pathspec(dirRel)]);
  if (r.code !== 0) throw new Error(`git ls-tree ${treeish}: ${firstLine(r.stderr)}`);
  const files = new Map<string, string>();
  const text = r.stdout.toString('utf8');
  const prefix = dirRel === '' || dirRel === '.' ? '' : `${dirRel.replace(/\/$/, '')}/`;
  // <mode> SP <type> SP <object> TAB <path> NUL, scanned in place: thousands of records, few strings.
  for (let pos = 0; pos < text.length; ) {
    let end = text.indexOf('\0', pos);
    if (end === -1) end = text.length;
    const tab = text.indexOf('\t', pos);
    const sp = text.indexOf(' ', pos);
    if (tab !== -1 && tab < end && text.startsWith(' blob ', sp) && !text.startsWith('120000', pos) && text.startsWith(prefix, tab + 1) && text.startsWith('.sql', end - 4)) {
      const name = text.slice(tab + 1 + prefix.length, end);
      if (!name.includes('/')) files.set(name, text.slice(sp + 6, tab));
    }
    pos = end + 1;
  }
  return files;
}

/** The index's `*.sql` files directly in `dirRel`: merged entries by name, and the names with unresolved conflicts. One call. */
export async function lsFiles(cwd: string, dirRel: string): Promise<{ files: Map<string, string>; unmerged: string[] }> {
  const r = await gitRaw(cwd, ['ls-files', '-s', '-z', '--', pathspec(dirRel)]);
  if (r.code !== 0) throw new Error(`git ls-files: ${firstLine(r.stderr)}`);
  const files = new Map<string, string>();
  const unmerged = new Set<string>();
  for (const rec of r.stdout.toString('utf8').split('\0')) {
    // <mode> SP <object> SP <stage> TAB <path>
    const tab = rec.indexOf('\t');
    if (tab === -1) continue;
    const [mode, oid, stage] = rec.slice(0, tab).split(' ');
    const name = inFolder(rec.slice(tab + 1), dirRel);
    if (!name || mode === '120000') continue;
    if (stage === '0') files.set(name, oid);
    else unmerged.add(name);
  }
  return { files, unmerged: [...unmerged].sort() };
}

/** The merge-base of two commits; null with git's reason when there is none (unrelated or cut-off history). */
export async function mergeBase(cwd: string, a: string, b: string): Promise<{ oid: string | null; reason: string }> {
  const r = await gitRaw(cwd, ['merge-base', a, b]);
  const oid = r.stdout.toString('utf8').trim();
  return r.code === 0 && oid ? { oid, reason: '' } : { oid: null, reason: firstLine(r.stderr) || 'no common ancestor' };
}

/** Whether the repository is a shallow clone. */
export async function isShallow(cwd: string): Promise<boolean> {
  const r = await gitRaw(cwd, ['rev-parse', '--is-shallow-repository']);
  return r.stdout.toString('utf8').trim() === 'true';
}

/** The folder at `from` given the one at `to` and the tree difference between them: one call instead of a second listing. */
export async function folderBefore(cwd: string, from: string, to: string, dirRel: string, atTo: ReadonlyMap<string, string>): Promise<Map<string, string>> {
  const r = await gitRaw(cwd, ['diff', '--raw', '-z', '--no-abbrev', '--no-renames', '--relative', from, to, '--', pathspec(dirRel)]);
  if (r.code !== 0) throw new Error(`git diff ${from} ${to}: ${firstLine(r.stderr)}`);
  const before = new Map(atTo);
  const recs = r.stdout.toString('utf8').split('\0');
  for (let i = 0; i + 1 < recs.length; i += 2) {
    // :<old mode> <new mode> <old oid> <new oid> <status> NUL <path> NUL
    const [, , oldOid, , status] = recs[i].split(' ');
    const name = inFolder(recs[i + 1], dirRel);
    if (!name) continue;
    if (status === 'A') before.delete(name);
    else before.set(name, oldOid);
  }
  return before;
}

/** The contents of the given blobs, by id. One call. */
export async function catBlobs(cwd: string, oids: readonly string[]): Promise<Map<string, Buffer>> {
  const out = new Map<string, Buffer>();
  if (!oids.length) return out;
  const r = await gitRaw(cwd, ['cat-file', '--batch', '--buffer'], [...new Set(oids)].join('\n') + '\n');
  if (r.code !== 0) throw new Error(`git cat-file: ${firstLine(r.stderr)}`);
  const buf = r.stdout;
  let pos = 0;
  while (pos < buf.length) {
    const nl = buf.indexOf(10, pos);
    const [oid, type, size] = buf.subarray(pos, nl).toString('utf8').split(' ');
    pos = nl + 1;
    if (type === 'missing' || size === undefined) continue;
    const n = Number(size);
    out.set(oid, buf.subarray(pos, pos + n));
    pos += n + 1;
  }
  return out;
}

export type MergePrediction = { tree: string; conflicts: string[] } | { tree: null; reason: string };

/**
 * Predicts the merge of `theirs` into `ours` without touching the work tree (git 2.38+): the
 * merged tree and the folder's conflicted files. merge-tree names paths from the top of the
 * repository, hence `dirFromTop`.
 */
export async function mergeTree(cwd: string, ours: string, theirs: string, dirFromTop: string): Promise<MergePrediction> {
  const r = await gitRaw(cwd, ['merge-tree', '--write-tree', '--name-only', '-z', ours, theirs]);
  if (r.code !== 0 && r.code !== 1) return { tree: null, reason: firstLine(r.stderr) || `git merge-tree exited ${r.code}` };
  // <tree> NUL <conflicted path> NUL ... NUL NUL <messages>
  const text = r.stdout.toString('utf8');
  const end = text.indexOf('\0\0');
  const [tree, ...paths] = (end === -1 ? text : text.slice(0, end)).split('\0').filter(Boolean);
  const conflicts = [...new Set(paths.map((p) => inFolder(p, dirFromTop)).filter((n): n is string => !!n))].sort();
  return { tree, conflicts };
}

/** The blob id git gives these bytes (sha1, or sha256 when `oidLength` is 64). */
export function blobId(bytes: Uint8Array, oidLength = 40): string {
  const alg = oidLength === 64 ? 'sha256' : 'sha1';
  const header = Buffer.from(`blob ${bytes.length}\0`);
  // crypto.hash (Node 20.12+) is several times faster than createHash for thousands of small files.
  if (oneShot) return oneShot(alg, Buffer.concat([header, bytes]), 'hex');
  return crypto.createHash(alg).update(header).update(bytes).digest('hex');
}

const oneShot = (crypto as unknown as { hash?: (alg: string, data: Uint8Array, enc: 'hex') => string }).hash;

/** The folder's path from the top of the repository: `--show-prefix` of the project root joined with the folder. */
export async function topPrefix(cwd: string): Promise<string> {
  const r = await gitRaw(cwd, ['rev-parse', '--show-prefix']);
  return r.stdout.toString('utf8').trim();
}

function pathspec(dirRel: string): string {
  return dirRel === '' || dirRel === '.' ? '.' : dirRel;
}

/** The name of a file directly in the folder, or null for anything else. */
function inFolder(path: string, dirRel: string): string | null {
  const prefix = dirRel === '' || dirRel === '.' ? '' : `${dirRel.replace(/\/$/, '')}/`;
  if (!path.startsWith(prefix)) return null;
  const name = path.slice(prefix.length);
  return name.endsWith('.sql') && !name.includes('/') ? name : null;
}

/** Files of the folder whose working-tree content differs from `commit` (after git's filters): name → status letter. One call. */
export async function diffWorking(cwd: string, commit: string, dirRel: string): Promise<Map<string, string>> {
  const r = await gitRaw(cwd, ['diff', '--name-status', '-z', '--no-renames', '--relative', commit, '--', pathspec(dirRel)]);
  if (r.code !== 0) throw new Error(`git diff ${commit}: ${firstLine(r.stderr)}`);
  const out = new Map<string, string>();
  const recs = r.stdout.toString('utf8').split('\0');
  for (let i = 0; i + 1 < recs.length; i += 2) {
    const name = inFolder(recs[i + 1], dirRel);
    if (name) out.set(name, recs[i]);
  }
  return out;
}

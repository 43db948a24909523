/**
 * What verify reads from git, in a constant number of calls: the main ref's folder, the fork
 * point's, and the folder here (working tree or index) with each file's blob id and its bytes,
 * or, for a file git reports identical to a blob an earlier run read, that blob's cached header.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { summarise, type FileSummary, type SourceFile } from '../core/folder.js';
import { findGitDir, openHeaderCache, type HeaderCache } from '../adapters/header-cache.js';
import type { Skipped } from '../core/findings.js';
import { publishedState, type PublishedState } from '../core/verify-rules.js';
import { blobId, catBlobs, diffWorking, folderBefore, isShallow, lsFiles, lsTree, mergeBase, probe } from '../adapters/git-tree.js';

/**
 * A file here with its blob id: its bytes, or its summary when git vouches for its content and an
 * earlier run read it (then with whether the content holds a backslash, see metaCommands in verify.ts).
 */
export type HereFile = (SourceFile | (FileSummary & { backslash: boolean })) & { blob: string };

export interface GitView {
  /** The folder as checked: working tree, or the index with `--staged`. */
  here: HereFile[];
  /** Files with CRs that git's line-ending filters store with LFs, as on main: not worth a CRLF warning. */
  normalised: string[];
  /** Index entries with unresolved conflicts (`--staged`). */
  unmerged: string[];
  mainRef: string | null;
  main: Map<string, string> | null;
  state: PublishedState | null;
  /** Main's files gained since the fork, with their bytes, for predicting the merge. */
  gained: SourceFile[];
  /** Commit ids by name: HEAD, the main candidates, the `--against` ref. */
  oids: Map<string, string | null>;
  skipped: Skipped[];
}

export interface ReadOptions {
  root: string;
  /** The folder, absolute. */
  dir: string;
  /** The folder relative to the root, `.` for the root itself. */
  dirRel: string;
  staged: boolean;
  /** `git.main`, or null for origin/main falling back to main. */
  main: string | null;
  /** Other names to resolve (the `--against` ref). */
  extra: string[];
  /** Files git reports unchanged may come as summaries from the header cache, with empty checksums. */
  summaries: boolean;
}

const NEEDS_HISTORY = ['published', 'out-of-order', 'main-moved'];

/** Reads git; a check git cannot support is listed in `skipped`, never thrown. Outside a repository, only `skipped`. */
export async function readGit(o: ReadOptions): Promise<GitView | { skipped: Skipped[] }> {
  const candidates = o.main ? [o.main] : ['origin/main', 'main'];
  const indexing = o.staged ? lsFiles(o.root, o.dirRel).catch(() => null) : null;
  const probing = probe(o.root, ['HEAD', ...candidates, ...o.extra], candidates, o.dirRel);
  // Start the comparison with main before the probe names main's ref, on a guess the probe then confirms.
  const gitDir = findGitDir(o.root);
  const guess = guessMain(gitDir, candidates);
  const early = {
    base: mergeBase(o.root, 'HEAD', guess).catch(() => null),
    changed: o.staged ? null : diffWorking(o.root, guess, o.dirRel).catch(() => null),
  };
  // While git works: the names on disk, and what earlier runs learnt of the files git will call unchanged.
  const names = o.staged ? null : sqlNames(o.dir);
  const cache = o.summaries ? openHeaderCache(gitDir) : null;
  const probed = await probing;
  if (!probed.repo) {
    await Promise.all([early.base, early.changed]);
    const skipped = NEEDS_HISTORY.map((check) => ({ check, reason: probed.reason }));
    if (o.staged) skipped.unshift({ check: 'staged', reason: `${probed.reason}: checked the folder on disk instead of the index` });
    return { skipped };
  }
  const skipped: Skipped[] = [];
  const oids = probed.oids;
  const mainRef = candidates.find((c) => oids.get(c)) ?? null;
  const mainOid = mainRef ? oids.get(mainRef)! : null;
  const head = oids.get('HEAD') ?? null;
  const oidLength = (mainOid ?? head)?.length ?? 40;
  const guessed = mainRef === guess;

  const pending = Promise.all([
    mainRef ? probed.folders.get(mainRef)! : missingMain(o.root, candidates, skipped),
    mainOid && head ? (guessed ? early.base.then((b) => b ?? mergeBase(o.root, head, mainOid)) : mergeBase(o.root, head, mainOid)) : null,
    mainOid && !o.staged ? (guessed ? early.changed!.then((c) => c ?? diffWorking(o.root, mainOid, o.dirRel)) : diffWorking(o.root, mainOid, o.dirRel)) : null,
    indexing,
  ]);
  const [main, base, changed, index] = await pending;

  // The folder here as name → blob id, each file by its bytes or, when git vouches for its content, its cached summary.
  const blobs = new Map<string, string>();
  const here: HereFile[] = [];
  const normalised: string[] = [];
  let unmerged: string[] = [];
  if (o.staged && index) {
    unmerged = index.unmerged;
    const wanted: [string, string][] = [];
    for (const [name, blob] of index.files) {
      blobs.set(name, blob);
      const hit = cache?.get(blob);
      if (hit) here.push({ name, blob, header: hit.header, checksum: '', crlf: hit.crlf, backslash: hit.backslash });
      else wanted.push([name, blob]);
    }
    const stored = await catBlobs(o.root, wanted.map(([, blob]) => blob));
    for (const [name, blob] of wanted) {
      const bytes = stored.get(blob) ?? new Uint8Array();
      here.push({ name, blob, bytes });
      learn(cache, blob, name, bytes, false);
    }
  } else {
    for (const name of names ?? sqlNames(o.dir)) {
      const same = main?.get(name);
      const unchanged = same !== undefined && !changed?.has(name);
      const hit = unchanged ? cache?.get(same) : undefined;
      if (hit) {
        blobs.set(name, same!);
        here.push({ name, blob: same!, header: hit.header, checksum: '', crlf: hit.crlf, backslash: hit.backslash });
        continue;
      }
      const bytes = readFileSync(join(o.dir, name));
      const blob = unchanged ? same! : blobId(bytes, oidLength);
      // Git calls it unchanged, yet the bytes hold a CR: a line-ending filter stores it as main has it.
      const filtered = unchanged && bytes.includes(13) && blobId(bytes, oidLength) !== same;
      if (filtered) normalised.push(name);
      blobs.set(name, blob);
      here.push({ name, blob, bytes });
      if (unchanged) learn(cache, blob, name, bytes, filtered);
    }
  }
  cache?.save(() => new Set([...blobs.values(), ...(main?.values() ?? [])]));

  const forkOid = base?.oid ?? null;
  const fork = main && forkOid ? (forkOid === mainOid ? main : await folderBefore(o.root, forkOid, mainOid!, o.dirRel, main)) : null;

  if (main && !fork) {
    const reason = (await isShallow(o.root))
      ? `no merge-base with ${mainRef} in this shallow clone (git fetch --unshallow, or --deepen=<n>)`
      : `no merge-base with ${mainRef}${base?.reason ? `: ${base.reason}` : ''}`;
    skipped.push({ check: 'main-moved', reason });
  }
  let state: PublishedState | null = null;
  let gained: SourceFile[] = [];
  if (main) {
    state = publishedState({ main, fork, here: blobs });
    if (!fork && state.missing.length) {
      skipped.push({
        check: 'published-deleted',
        reason: `${state.missing.length} file(s) on ${mainRef} are absent here; without a merge-base it cannot be told whether they were deleted here or added to ${mainRef} later`,
      });
      state.missing = [];
    }
    const bytes = await catBlobs(o.root, state.gained.map((n) => main.get(n)!));
    gained = state.gained.map((name) => ({ name, bytes: bytes.get(main.get(name)!) ?? new Uint8Array() }));
  }
  return { here, normalised, unmerged, mainRef, main, state, gained, oids, skipped };
}

/** Which candidate names the main ref, from the refs on disk; only a guess (refs may be packed elsewhere or symbolic). */
function guessMain(gitDir: string | null, candidates: string[]): string {
  if (candidates.length === 1 || !gitDir) return candidates[0];
  let packed = '';
  try {
    packed = readFileSync(join(gitDir, 'packed-refs'), 'utf8');
  } catch {
    // no packed refs
  }
  const found = candidates.find((c) =>
    [`refs/remotes/${c}`, `refs/heads/${c}`].some((ref) => existsSync(join(gitDir, ref)) || packed.includes(` ${ref}\n`)),
  );
  return found ?? candidates[candidates.length - 1];
}

/** The `.sql` names directly in the folder; none when it does not exist. */
function sqlNames(dir: string): string[] {
  try {
    return readdirSync(dir).filter((n) => n.endsWith('.sql')).sort();
  } catch {
    return [];
  }
}

/** Records the header of a blob's content; `filtered` when git's filters changed its line endings (no CRLF warning then). */
function learn(cache: HeaderCache | null, blob: string, name: string, bytes: Uint8Array, filtered: boolean): void {
  const s = cache && summarise({ name, bytes }, noChecksum);
  if (s) cache!.set(blob, { header: s.header, crlf: s.crlf && !filtered, backslash: bytes.includes(0x5c) });
}

const noChecksum = (): string => '';

async function missingMain(root: string, candidates: string[], skipped: Skipped[]): Promise<null> {
  const names = candidates.join(' or ');
  const reason = (await isShallow(root))
    ? `${names} is not in this shallow clone (fetch it: git fetch origin main)`
    : `${names} not found (set git.main in migrate.toml to the ref you deploy from)`;
  for (const check of NEEDS_HISTORY) skipped.push({ check, reason });
  return null;
}

/** The files of a tree listing: as the known file where the blob matches, the rest with bytes from git in one call. */
export async function treeFiles(root: string, tree: Map<string, string>, known: readonly HereFile[]): Promise<(SourceFile | FileSummary)[]> {
  const byBlob = new Map(known.map((f) => [f.blob, f]));
  const fetched = await catBlobs(root, [...tree.values()].filter((b) => !byBlob.has(b)));
  return [...tree].map(([name, blob]) => {
    const f = byBlob.get(blob);
    if (f && 'bytes' in f) return { name, bytes: f.bytes };
    if (f) return { name, header: f.header, checksum: f.checksum, crlf: f.crlf };
    return { name, bytes: fetched.get(blob) ?? new Uint8Array() };
  });
}

export { lsTree };

/**
 * The full text of each file (a byte-order mark dropped): from the bytes read, else its blob in
 * the index with `staged`, else the working tree's file in `dir`.
 */
export async function fileTexts(root: string, dir: string, staged: boolean, files: Iterable<{ name: string; bytes?: Uint8Array; blob?: string }>): Promise<Map<string, string>> {
  const texts = new Map<string, string>();
  const decode = (b: Uint8Array) => new TextDecoder().decode(b).replace(/^\uFEFF/, '');
  const fromBlob: [string, string][] = [];
  for (const f of files) {
    if (f.bytes) texts.set(f.name, decode(f.bytes));
    else if (staged && f.blob) fromBlob.push([f.name, f.blob]);
    else texts.set(f.name, decode(readFileSync(join(dir, f.name))));
  }
  if (fromBlob.length) {
    const blobs = await catBlobs(root, fromBlob.map(([, b]) => b));
    for (const [name, blob] of fromBlob) texts.set(name, decode(blobs.get(blob) ?? new Uint8Array()));
  }
  return texts;
}

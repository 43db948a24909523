/**
 * What verify reads from git, in a constant number of calls: the main ref's folder, the fork
 * point's, and the folder here (working tree or index) with each file's bytes and blob id.
 * Files unchanged since main are read from git in one stream rather than opened one by one.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { SourceFile } from '../core/folder.js';
import type { Skipped } from '../core/findings.js';
import { publishedState, type PublishedState } from '../core/verify-rules.js';
import { blobId, catBlobs, diffWorking, folderBefore, isShallow, lsFiles, lsTree, mergeBase, probe } from '../adapters/git-tree.js';

export interface HereFile extends SourceFile {
  blob: string;
}

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
}

const NEEDS_HISTORY = ['published', 'out-of-order', 'main-moved'];

/** Reads git; a check git cannot support is listed in `skipped`, never thrown. Outside a repository, only `skipped`. */
export async function readGit(o: ReadOptions): Promise<GitView | { skipped: Skipped[] }> {
  const candidates = o.main ? [o.main] : ['origin/main', 'main'];
  const indexing = o.staged ? lsFiles(o.root, o.dirRel).catch(() => null) : null;
  const probed = await probe(o.root, ['HEAD', ...candidates, ...o.extra]);
  if (!probed.repo) {
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

  const pending = Promise.all([
    mainOid ? lsTree(o.root, mainOid, o.dirRel) : missingMain(o.root, candidates, skipped),
    mainOid && head ? mergeBase(o.root, head, mainOid) : null,
    mainOid && !o.staged ? diffWorking(o.root, mainOid, o.dirRel) : null,
    indexing,
  ]);
  // Read the files while git works; its answers say which of them differ from main.
  const disk = readFiles(o.dir);
  const [main, base, changed, index] = await pending;

  // The folder here as name → blob id; bytes from disk, or from git for what only the index has.
  const blobs = new Map<string, string>();
  const bytesOf = new Map<string, Uint8Array>();
  const normalised: string[] = [];
  let unmerged: string[] = [];
  if (o.staged && index) {
    unmerged = index.unmerged;
    const byBlob = new Map<string, Uint8Array>();
    for (const [, bytes] of disk) byBlob.set(blobId(bytes, oidLength), bytes);
    for (const [name, blob] of index.files) {
      blobs.set(name, blob);
      const bytes = byBlob.get(blob);
      if (bytes) bytesOf.set(name, bytes);
    }
  } else {
    for (const [name, bytes] of disk) {
      const same = main?.get(name);
      blobs.set(name, same !== undefined && !changed?.has(name) ? same : blobId(bytes, oidLength));
      bytesOf.set(name, bytes);
      // Git calls it unchanged, yet the bytes hold a CR: a line-ending filter stores it as main has it.
      if (same !== undefined && !changed?.has(name) && bytes.includes(13) && blobId(bytes, oidLength) !== same) normalised.push(name);
    }
  }

  const forkOid = base?.oid ?? null;
  const [fork, stored] = await Promise.all([
    main && forkOid ? (forkOid === mainOid ? main : folderBefore(o.root, forkOid, mainOid!, o.dirRel, main)) : null,
    catBlobs(o.root, [...blobs].filter(([name]) => !bytesOf.has(name)).map(([, blob]) => blob)),
  ]);
  const here: HereFile[] = [...blobs].map(([name, blob]) => ({ name, blob, bytes: bytesOf.get(name) ?? stored.get(blob) ?? new Uint8Array() }));

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

/** The `.sql` files directly in the folder with their bytes; none when it does not exist. */
function readFiles(dir: string): Map<string, Uint8Array> {
  const out = new Map<string, Uint8Array>();
  let names: string[];
  try {
    names = readdirSync(dir).filter((n) => n.endsWith('.sql')).sort();
  } catch {
    return out;
  }
  for (const name of names) out.set(name, readFileSync(join(dir, name)));
  return out;
}

async function missingMain(root: string, candidates: string[], skipped: Skipped[]): Promise<null> {
  const names = candidates.join(' or ');
  const reason = (await isShallow(root))
    ? `${names} is not in this shallow clone (fetch it: git fetch origin main)`
    : `${names} not found (set git.main in migrate.toml to the ref you deploy from)`;
  for (const check of NEEDS_HISTORY) skipped.push({ check, reason });
  return null;
}

/** Bytes for the files of a tree listing: from the known files where the blob matches, the rest from git in one call. */
export async function treeFiles(root: string, tree: Map<string, string>, known: readonly HereFile[]): Promise<SourceFile[]> {
  const byBlob = new Map(known.map((f) => [f.blob, f.bytes]));
  const fetched = await catBlobs(root, [...tree.values()].filter((b) => !byBlob.has(b)));
  return [...tree].map(([name, blob]) => ({ name, bytes: byBlob.get(blob) ?? fetched.get(blob) ?? new Uint8Array() }));
}

export { lsTree };

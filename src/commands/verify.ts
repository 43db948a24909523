/** `fmig verify` (SPEC section 7): catches migration mistakes in git, before they reach a database. */
import { relative } from 'node:path';
import type { Config } from '../adapters/config-types.js';
import { folderExists, readFolder } from '../adapters/files.js';
import { originIn } from '../adapters/git.js';
import { catBlobs, mergeTree, topPrefix } from '../adapters/git-tree.js';
import type { Hasher } from '../core/checksum.js';
import { FmigError, FolderError, UsageError, type FileProblem } from '../core/errors.js';
import { failing, formatFinding, formatFindingWrapped, where, type Finding, type Ignored, type Skipped } from '../core/findings.js';
import { parseFolder, type FileSummary, type Folder, type SourceFile } from '../core/folder.js';
import { crlfFindings, driftFindings, folderFindings, headFindings, mainMovedFindings, outOfOrderFindings, publishedFindings } from '../core/verify-rules.js';
import type { CiFormat } from '../core/ci-annotations.js';
import type { Context } from './context.js';
import { lintRevisions } from './lint.js';
import { fileTexts, lsTree, readGit, treeFiles, type GitView, type HereFile } from './verify-git.js';

export interface VerifyOptions {
  /** Check the index instead of the working tree (the pre-commit hook). */
  staged?: boolean;
  /** Also check the merge with this ref, predicted with `git merge-tree`. */
  against?: string;
  /** Also check the ledger of the configured database. */
  db?: boolean;
  /** Warnings count as errors. */
  strict?: boolean;
  /** Lint every revision's SQL, not only the revisions new on this branch. */
  all?: boolean;
  /** How findings are printed: `text` (the default), GitHub Actions workflow commands, or GitLab Code Quality JSON. */
  format?: 'text' | CiFormat;
}

export interface VerifyResult {
  ok: boolean;
  findings: Finding[];
  skipped: Skipped[];
  /** Lint findings silenced by `-- fmig:lint-ignore`, with their reasons; present only when there are some. */
  ignored?: Ignored[];
}

/** Runs every check it can and reports each finding; exit 1 on any error (or warning with `strict`), else 0. */
export async function verify(ctx: Context, opts: VerifyOptions): Promise<{ result: VerifyResult; exitCode: number }> {
  const config = await ctx.config();
  const dirRel = relative(config.root, config.dir).split('\\').join('/') || '.';
  // Checksums matter only to the ledger check: without --db, skip computing them.
  const [hash, read] = await Promise.all([
    opts.db ? loadHasher() : noChecksum,
    readGit({ root: config.root, dir: config.dir, dirRel, staged: !!opts.staged, main: config.git.main, extra: opts.against ? [opts.against] : [], summaries: !opts.db && !opts.all }),
  ]);
  const view = 'here' in read ? read : null;
  const files = view ? view.here : readFolder(config.dir);
  if (view && !files.length && !view.main?.size && !folderExists(config.dir)) readFolder(config.dir); // "does not exist: run fmig init"

  const findings: Finding[] = [];
  const skipped: Skipped[] = [...read.skipped];
  const ignored: Ignored[] = [];
  for (const name of view?.unmerged ?? []) {
    findings.push({ code: 'unmerged', severity: 'error', file: join(dirRel, name), message: 'has unresolved merge conflicts in the index', fix: 'resolve the conflict and git add the file' });
  }
  const folder = parse(files, hash, dirRel, findings);
  if (view?.state) findings.push(...publishedFindings(view.state, dirRel, view.mainRef!, await lineEndingsOnly(config.root, view)));
  if (folder) {
    findings.push(...headFindings(folder, dirRel));
    if (view?.state) {
      findings.push(...outOfOrderFindings(folder, view.state.published, dirRel));
      findings.push(...mainMoved(view, folder, hash, dirRel));
    }
    const normalised = new Set(view?.normalised.map((n) => join(dirRel, n)));
    findings.push(...crlfFindings(folder, dirRel, dirRel === '.' ? '' : dirRel).filter((f) => !normalised.has(f.file)));
    findings.push(...(await metaCommands(config.root, files, config.dir, dirRel, !!opts.staged)));
    const lint = await lintRevisions({ config, folder, dirRel, files, published: view?.state?.published ?? null, unknownWhy: read.skipped.find((k) => k.check === 'published')?.reason, all: !!opts.all, staged: !!opts.staged });
    findings.push(...lint.findings);
    skipped.push(...lint.skipped);
    ignored.push(...lint.ignored);
  } else if (view?.state) {
    skipped.push({ check: 'out-of-order', reason: 'the folder does not parse' }, { check: 'main-moved', reason: 'the folder does not parse' });
  }
  if (opts.against) {
    if (view) findings.push(...(await against(ctx, config, dirRel, opts.against, view, hash, skipped)));
    else skipped.push({ check: 'against', reason: read.skipped[0]?.reason ?? 'not a git repository' });
  }
  if (view) await addFacts(config.root, view, findings, opts.against);
  if (opts.db) {
    if (folder) findings.push(...(await ledger(ctx, config, folder, dirRel)));
    else skipped.push({ check: 'db', reason: 'the folder does not parse' });
  }

  const ok = !failing(findings, !!opts.strict);
  if (opts.format === 'github' || opts.format === 'gitlab') {
    await printForCi(ctx, opts.format, findings, skipped);
    return { result: { ok, findings, skipped }, exitCode: ok ? 0 : 1 };
  }
  const width = ctx.report.width;
  for (const f of findings) {
    ctx.report.line(width ? formatFindingWrapped(f, width) : formatFinding(f));
    for (const d of f.detail ?? []) ctx.report.line(`    ${d}`);
  }
  for (const i of ignored) ctx.report.line(`info ignored ${i.code} ${where(i)}: \`${i.statement}\` — reason: ${i.reason}`);
  for (const s of skipped) ctx.report.line(`info skipped ${s.check}: ${s.reason}`);
  const count = (sev: string) => findings.filter((f) => f.severity === sev).length;
  ctx.report.line(
    findings.some((f) => f.severity !== 'info') ? `verify: ${count('error')} error(s), ${count('warning')} warning(s)${ok ? '' : ' — failed'}` : `verify: ok, ${folder?.revisions.length ?? 0} revision(s)${skipped.length ? ` (${skipped.length} check(s) skipped)` : ''}`,
  );
  return { result: { ok, findings, skipped, ...(ignored.length ? { ignored } : {}) }, exitCode: ok ? 0 : 1 };
}

/**
 * Files holding psql meta-commands. Only a file with a backslash can hold one: those read are
 * scanned, and of the summaries (unchanged files known from the header cache) only those the cache
 * says hold a backslash are read, from the index with `--staged`, else from the working tree.
 */
async function metaCommands(root: string, files: readonly (SourceFile | HereFile)[], dir: string, dirRel: string, staged: boolean): Promise<Finding[]> {
  const candidates = files.filter((f) => ('bytes' in f ? f.bytes.includes(0x5c) : f.backslash));
  if (!candidates.length) return [];
  const texts = await fileTexts(root, dir, staged, candidates);
  const { metaCommandFindings } = await import('../core/meta-commands.js');
  return metaCommandFindings([...texts].map(([name, text]) => ({ name, text })).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)), dirRel);
}

/** The findings as a CI system reads them (core/ci-annotations.ts), instead of text. */
async function printForCi(ctx: Context, format: CiFormat, findings: Finding[], skipped: Skipped[]): Promise<void> {
  const { githubAnnotations, gitlabCodeQuality } = await import('../core/ci-annotations.js');
  if (format === 'github') {
    for (const line of githubAnnotations(findings, skipped)) ctx.report.line(line);
    return;
  }
  const { createHash } = await import('node:crypto');
  const issues = gitlabCodeQuality(findings, (text) => createHash('sha256').update(text).digest('hex'));
  ctx.report.line(JSON.stringify(issues, null, 2));
}

const noChecksum: Hasher = () => '';

async function loadHasher(): Promise<Hasher> {
  return (await import('../core/checksum.js')).loadHasher();
}

function parse(files: readonly (SourceFile | FileSummary)[], hash: Hasher, dirRel: string, findings: Finding[], merged?: string): Folder | null {
  try {
    return parseFolder(files, hash);
  } catch (e) {
    if (!(e instanceof FolderError)) throw e;
    findings.push(...folderFindings(e.problems, dirRel, merged));
    return null;
  }
}

/** Main gained revisions since the fork: predict the folder once they are merged in. */
function mainMoved(view: GitView, folder: Folder, hash: Hasher, dirRel: string): Finding[] {
  if (!view.gained.length) return [];
  const added = folder.revisions.filter((r) => !view.main!.has(r.up.name));
  let mergedHeads: string[] | null = null;
  let mergedProblems: string[] = [];
  try {
    mergedHeads = parseFolder([...view.here, ...view.gained], hash).graph.heads();
  } catch (e) {
    if (!(e instanceof FolderError)) throw e;
    mergedProblems = e.problems.map((p: FileProblem) => p.message);
  }
  const gained = [...new Set(view.gained.map((f) => f.name.split('_')[0]))];
  return mainMovedFindings({ mainRef: view.mainRef!, gained, added, mergedHeads, mergedProblems }, dirRel);
}

/** `--against`: the folder of the merge with `ref`, predicted without touching the work tree. */
async function against(ctx: Context, config: Config, dirRel: string, ref: string, view: GitView, hash: Hasher, skipped: Skipped[]): Promise<Finding[]> {
  const root = config.root;
  const theirs = view.oids.get(ref);
  if (!theirs) throw new UsageError(`--against ${ref}: not a commit in this repository`, 'name a branch, tag or commit (git branch -a lists them)');
  const head = view.oids.get('HEAD');
  if (!head) {
    skipped.push({ check: 'against', reason: 'HEAD has no commit yet' });
    return [];
  }
  const prefix = await topPrefix(root);
  const merged = await mergeTree(root, head, theirs, prefix + (dirRel === '.' ? '' : dirRel));
  if (merged.tree === null) {
    skipped.push({ check: 'against', reason: `git merge-tree could not merge HEAD with ${ref}: ${merged.reason}` });
    return [];
  }
  const findings: Finding[] = merged.conflicts.map((name) => ({
    code: 'merge-conflict',
    severity: 'error',
    file: join(dirRel, name),
    message: `merging ${ref} conflicts in this revision file`,
    fix: `merge ${ref} and resolve the conflict; never merge two edits of a revision, write a new one`,
  }));
  const tree = await lsTree(root, merged.tree, dirRel);
  const folder = parse(await treeFiles(root, tree, view.here), hash, dirRel, findings, ref);
  if (folder) {
    findings.push(...headFindings(folder, dirRel, ref, { ours: new Set(view.here.map((f) => f.name)), published: view.state?.published ?? new Set() }));
    if (view.state) findings.push(...outOfOrderFindings(folder, new Set([...view.state.published].filter((n) => tree.has(n))), dirRel, ref));
    // Divergent heads: do their sides commute?
    if (folder.graph.heads().length > 1) {
      const judged = (await import('./commute.js')).mergeFindings(ctx, config, tree, new Set(view.here.map((f) => f.name)), (n) => join(dirRel, n));
      findings.push(...(await judged.catch((e) => (e instanceof FmigError ? (skipped.push({ check: 'commute', reason: e.message }), []) : Promise.reject(e)))));
    }
  }
  return findings;
}

/** Adds who-and-which-commit to the findings that need it: a few git calls in all, not one per file. */
async function addFacts(root: string, view: GitView, findings: Finding[], ref?: string): Promise<void> {
  const published = findings.filter((f) => f.code.startsWith('published-'));
  const local = findings.filter((f) => ['divergent-heads', 'main-moved', 'out-of-order', 'merge-divergent-heads', 'merge-out-of-order'].includes(f.code));
  const merged = findings.filter((f) => f.code.startsWith('merge-') && f.code !== 'merge-conflict');
  const paths = (fs: Finding[]) => [...new Set(fs.map((f) => f.file))];
  const [onMain, onHead, onRef] = await Promise.all([
    view.mainRef && published.length ? originIn(root, view.mainRef, paths(published)) : new Map(),
    local.length && view.oids.get('HEAD') ? originIn(root, 'HEAD', paths(local)) : new Map(),
    ref && merged.length ? originIn(root, ref, paths(merged)) : new Map(),
  ]);
  for (const f of published) f.git = onMain.get(f.file);
  for (const f of local) f.git = onHead.get(f.file) ?? onRef.get(f.file);
  for (const f of findings) if (!f.git) delete f.git;
}

/** `--db`: the ledger's disagreements with the folder. The database unreachable is exit 3. */
async function ledger(ctx: Context, config: Config, folder: Folder, dirRel: string): Promise<Finding[]> {
  const [{ withDatabase }, { compare }] = await Promise.all([import('./project.js'), import('../core/drift.js')]);
  const drift = await withDatabase(ctx, config, 'read', async ({ rows }) => compare(folder, rows).drift);
  return driftFindings(drift, dirRel);
}

function join(dir: string, name: string): string {
  return dir === '.' ? name : `${dir}/${name}`;
}

/** Published files whose only change here is their line endings (their checksum is unchanged). One git call, only when something changed. */
async function lineEndingsOnly(root: string, view: GitView): Promise<Set<string>> {
  const changed = view.state?.changed ?? [];
  const here = new Map(view.here.filter((f): f is HereFile & SourceFile => 'bytes' in f).map((f) => [f.name, f.bytes]));
  const names = changed.filter((n) => here.has(n) && view.main?.has(n));
  if (!names.length) return new Set();
  const [blobs, { normalizeBytes }] = await Promise.all([catBlobs(root, names.map((n) => view.main!.get(n)!)), import('../core/checksum.js')]);
  const same = (a: Uint8Array, b: Uint8Array) => Buffer.compare(Buffer.from(normalizeBytes(a)), Buffer.from(normalizeBytes(b))) === 0;
  return new Set(names.filter((n) => {
    const main = blobs.get(view.main!.get(n)!);
    return main !== undefined && same(main, here.get(n)!);
  }));
}


/**
 * The lint half of `fmig verify`: reads the up files of the revisions new on this branch (or
 * all, with `--all`), parses them with PostgreSQL's parser (loaded only when there is one to
 * read and no earlier run kept its parse tree, adapters/parse-cache.ts) and runs the rules in
 * application order (lint/rules.ts).
 */
import type { Config } from '../adapters/config-types.js';
import { findGitDir } from '../adapters/header-cache.js';
import { openParseCache, parseCached } from '../adapters/parse-cache.js';
import type { Finding, Ignored, Skipped } from '../core/findings.js';
import type { FileSummary, Folder, SourceFile } from '../core/folder.js';
import { fileTexts } from './verify-git.js';

export interface LintInput {
  config: Config;
  folder: Folder;
  /** The folder relative to the project root, `.` for the root itself. */
  dirRel: string;
  /** The files as verify read them; a summary's blob (`--staged`) or the working tree gives the rest. */
  files: readonly ((SourceFile | FileSummary) & { blob?: string })[];
  /** Names of the files published on the main ref; null when git cannot tell. */
  published: ReadonlySet<string> | null;
  /** Why `published` is unknown, for the skipped line. */
  unknownWhy?: string;
  /** Lint every revision, not only the new ones. */
  all: boolean;
  staged: boolean;
}

export interface LintOutput {
  findings: Finding[];
  ignored: Ignored[];
  skipped: Skipped[];
}

/** Lints the new revisions' up files (every revision with `all`); without git history and without `all`, skips and says why. */
export async function lintRevisions(o: LintInput): Promise<LintOutput> {
  if (!o.published && !o.all) {
    return { findings: [], ignored: [], skipped: [{ check: 'lint', reason: `${o.unknownWhy ?? 'no git history'}: cannot tell which revisions are new (--all lints every revision)` }] };
  }
  const published = o.published ?? new Set<string>();
  const order = o.folder.graph.order().map((id) => o.folder.byId.get(id)!);
  const chosen = order.filter((r) => o.all || !published.has(r.up.name));
  if (!chosen.length) return { findings: [], ignored: [], skipped: [] };

  // The chosen files only: the folder may hold thousands.
  const wanted = new Set(chosen.map((r) => r.up.name));
  const files = new Map(o.files.filter((f) => wanted.has(f.name)).map((f) => [f.name, f]));
  const [{ lintFile }, { LintContext }, texts] = await Promise.all([
    import('../lint/rules.js'),
    import('../lint/context.js'),
    fileTexts(o.config.root, o.config.dir, o.staged, [...wanted].map((name) => files.get(name) ?? { name })),
  ]);
  const blobs = new Map([...files].map(([name, f]) => [name, f.blob]));
  const cache = openParseCache([...blobs.values()].some(Boolean) ? findGitDir(o.config.root) : null);
  const settings = { postgres: o.config.lint.postgres, rules: o.config.lint.rules, lockTimeoutOff: o.config.database.lockTimeoutMs === 0 };
  const ctx = new LintContext();
  const out: LintOutput = { findings: [], ignored: [], skipped: [] };
  for (const r of chosen) {
    const text = texts.get(r.up.name) ?? '';
    const blob = blobs.get(r.up.name);
    const statements = await parseCached(cache, blob, text);
    const file = o.dirRel === '.' ? r.up.name : `${o.dirRel}/${r.up.name}`;
    // Published revisions (linted with --all) are on databases already: what they create is not new.
    const res = lintFile({ file, text, statements, noTransaction: r.up.noTransaction, unpublished: o.published !== null && !published.has(r.up.name) }, ctx, settings);
    out.findings.push(...res.findings);
    out.ignored.push(...res.ignored);
  }
  cache.save();
  return out;
}

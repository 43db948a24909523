/**
 * `fmig hook install|uninstall`: git hooks that run fmig, each chaining any hook already there.
 * Always a pre-commit hook (`fmig verify --staged`) and a pre-merge-commit hook (the same on the
 * merge result, which `git merge` commits without running pre-commit); with `--sync`, also
 * post-checkout and post-merge hooks running `fmig sync` for the embedded development database.
 */
import { chmod, mkdir, readFile, rename, unlink, writeFile } from 'node:fs/promises';
import { join, relative, resolve } from 'node:path';
import { gitRaw } from '../adapters/git-run.js';
import { firstLine } from '../adapters/git-tree.js';
import { FmigError, UsageError } from '../core/errors.js';
import type { Context } from './context.js';

type Action = 'installed' | 'updated' | 'unchanged' | 'uninstalled' | 'not-installed' | 'foreign';

export interface HookOutcome {
  /** The git hook's name: pre-commit, pre-merge-commit, post-checkout, post-merge. */
  name: string;
  action: Action;
  /** The hook file, relative to the working directory. */
  hook: string;
  /** The hook that was there before, kept and run first (install) or put back (uninstall). */
  chained: string | null;
}

/** The pre-commit hook's outcome (as before there were several hooks), and every hook's. */
export interface HookResult extends Omit<HookOutcome, 'name'> {
  hooks: HookOutcome[];
}

export interface HookOptions {
  /** Also the post-checkout and post-merge hooks running `fmig sync`. */
  sync?: boolean;
}

interface HookKind {
  name: string;
  /** What the hook runs: a check that can stop git, or a sync that never does. */
  run: 'verify' | 'sync';
  what: string;
}

const VERIFY_HOOKS: HookKind[] = [
  { name: 'pre-commit', run: 'verify', what: 'before each commit' },
  { name: 'pre-merge-commit', run: 'verify', what: 'before each merge commit (git merge does not run pre-commit)' },
];
const SYNC_HOOKS: HookKind[] = [
  { name: 'post-checkout', run: 'sync', what: 'after each branch checkout' },
  { name: 'post-merge', run: 'sync', what: 'after each merge and pull' },
];

const mark = (name: string) => `# fmig-${name}-hook`;
const chainedName = (name: string) => `${name}.fmig-chained`;

/** The hook's text: runs the chained hook first, then fmig from the project, the repository top, or PATH. */
export function hookScript(projectFromTop: string, kind: HookKind = VERIFY_HOOKS[0]): string {
  const cd = projectFromTop ? `cd ${shellQuote(projectFromTop)} || exit 1\n` : '';
  if (kind.run === 'verify') {
    return `#!/bin/sh
${mark(kind.name)}
# Runs \`fmig verify --staged\` ${kind.what}. Written by \`fmig hook install\`;
# \`fmig hook uninstall\` removes it and puts back the hook it chained.
chained="$(dirname "$0")/${chainedName(kind.name)}"
if [ -x "$chained" ]; then
  "$chained" "$@" || exit $?
fi
top="$(pwd)"
${cd}if [ -x node_modules/.bin/fmig ]; then
  exec node_modules/.bin/fmig verify --staged
elif [ -x "$top/node_modules/.bin/fmig" ]; then
  exec "$top/node_modules/.bin/fmig" verify --staged
elif command -v fmig >/dev/null 2>&1; then
  exec fmig verify --staged
fi
echo "fmig ${kind.name} hook: fmig is neither in node_modules/.bin nor on PATH (npm install --save-dev fmig);" >&2
echo "  to ${kind.name === 'pre-commit' ? 'commit' : 'merge'} without the check: git ${kind.name === 'pre-commit' ? 'commit' : 'merge'} --no-verify; to remove the hook: fmig hook uninstall" >&2
exit 1
`;
  }
  // git ignores what a post-* hook returns (beyond passing it on as its own exit status): the
  // checkout or merge is done. So a sync that cannot run says so and changes nothing of git's.
  const onlyBranches = kind.name === 'post-checkout' ? `[ "$3" = 1 ] || exit $status # a file checkout, not a branch switch\n` : '';
  return `#!/bin/sh
${mark(kind.name)}
# Runs \`fmig sync\` ${kind.what}, so that the embedded development database matches the
# checkout (fmig sync asks for --yes on any other database). Written by \`fmig hook install --sync\`;
# \`fmig hook uninstall\` removes it and puts back the hook it chained.
status=0
chained="$(dirname "$0")/${chainedName(kind.name)}"
if [ -x "$chained" ]; then
  "$chained" "$@"
  status=$?
fi
${onlyBranches}top="$(pwd)"
${cd}if [ -x node_modules/.bin/fmig ]; then
  fmig=node_modules/.bin/fmig
elif [ -x "$top/node_modules/.bin/fmig" ]; then
  fmig="$top/node_modules/.bin/fmig"
elif command -v fmig >/dev/null 2>&1; then
  fmig=fmig
else
  echo "fmig ${kind.name} hook: fmig is neither in node_modules/.bin nor on PATH; the database was not synced" >&2
  exit $status
fi
"$fmig" sync || echo "fmig ${kind.name} hook: fmig sync did not finish (see above); git's work is done; run fmig sync when ready" >&2
exit $status
`;
}

/** Installs or uninstalls the hooks; install is idempotent and uninstall restores the previous hooks byte for byte. */
export async function hook(ctx: Context, action: string | undefined, opts: HookOptions = {}): Promise<HookResult> {
  if (action !== 'install' && action !== 'uninstall') throw new UsageError(`fmig hook ${action ?? ''}: expected install or uninstall`.trim(), 'fmig hook install [--sync] | fmig hook uninstall');
  if (action === 'uninstall' && opts.sync) throw new UsageError('fmig hook uninstall removes every fmig hook: --sync is for install');
  const config = await ctx.config();
  const [dir, prefix] = await Promise.all([git(config.root, ['rev-parse', '--git-path', 'hooks']), git(config.root, ['rev-parse', '--show-prefix'])]);
  const hooks = resolve(config.root, dir);
  const shown = (p: string) => relative(ctx.cwd, p) || p;
  const kinds = action === 'uninstall' || opts.sync ? [...VERIFY_HOOKS, ...SYNC_HOOKS] : VERIFY_HOOKS;
  const states = await Promise.all(
    kinds.map(async (kind) => {
      const path = join(hooks, kind.name);
      const chainedPath = join(hooks, chainedName(kind.name));
      const current = await readFile(path, 'utf8').catch(() => null);
      const hasChained = (await readFile(chainedPath).catch(() => null)) !== null;
      return { kind, path, chainedPath, current, ours: current !== null && current.includes(mark(kind.name)), hasChained };
    }),
  );
  const outcome = (s: (typeof states)[number], a: Action): HookOutcome => ({
    name: s.kind.name,
    action: a,
    hook: shown(s.path),
    chained: s.hasChained || (a === 'installed' && s.current !== null) ? shown(s.chainedPath) : null,
  });

  const out: HookOutcome[] = [];
  if (action === 'uninstall') {
    for (const s of states) {
      if (s.current === null) out.push(outcome(s, 'not-installed'));
      else if (!s.ours) {
        out.push(outcome(s, 'foreign'));
        // Only the pre-commit hook is named when it is someone else's: every repository may have other hooks.
        if (s.kind.name === 'pre-commit') ctx.report.line(`${shown(s.path)} is not fmig's hook; left as it is`);
      } else {
        await unlink(s.path);
        if (s.hasChained) await rename(s.chainedPath, s.path);
        out.push(outcome(s, 'uninstalled'));
        ctx.report.line(`removed ${shown(s.path)}${s.hasChained ? `; put back the hook it chained` : ''}`);
      }
    }
    if (!out.some((o) => o.action === 'uninstalled' || o.action === 'foreign')) ctx.report.line(`no fmig hook in ${shown(hooks)}`);
    return result(out);
  }

  // Every hook that cannot be chained is refused before any is written: none or all.
  const blocked = states.filter((s) => !s.ours && s.current !== null && s.hasChained);
  if (blocked.length) {
    const s = blocked[0];
    throw new FmigError('hook-chained', `${shown(s.chainedPath)} already exists, so ${shown(s.path)} cannot be chained without losing one of them`, 1, `move one of them away, then run fmig hook install again`);
  }
  await mkdir(hooks, { recursive: true });
  for (const s of states) {
    const script = hookScript(prefix.replace(/\/$/, ''), s.kind);
    const runs = s.kind.run === 'verify' ? 'fmig verify --staged' : 'fmig sync';
    if (s.ours && s.current === script) {
      out.push(outcome(s, 'unchanged'));
      ctx.report.line(`${shown(s.path)} already runs ${runs}`);
      continue;
    }
    if (!s.ours && s.current !== null) await rename(s.path, s.chainedPath);
    await writeFile(s.path, script, { mode: 0o755 });
    await chmod(s.path, 0o755);
    out.push(outcome(s, s.ours ? 'updated' : 'installed'));
    ctx.report.line(
      s.ours
        ? `updated ${shown(s.path)}`
        : `installed ${shown(s.path)}: runs ${runs} ${s.kind.what}${s.current !== null ? `, after the hook that was there (now ${chainedName(s.kind.name)})` : ''}`,
    );
  }
  return result(out);
}

function result(hooks: HookOutcome[]): HookResult {
  const { name: _, ...preCommit } = hooks[0];
  return { ...preCommit, hooks };
}

async function git(cwd: string, args: string[]): Promise<string> {
  const r = await gitRaw(cwd, args).catch(() => ({ code: 127, stdout: Buffer.from(''), stderr: 'git is not installed' }));
  if (r.code !== 0) throw new FmigError('no-git', `fmig hook needs a git repository: ${firstLine(r.stderr)}`, 2, 'run it inside the repository (git init to make one)');
  return r.stdout.toString('utf8').trim();
}

function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/** `fmig hook install|uninstall`: a git pre-commit hook running `fmig verify --staged`, chaining any hook already there. */
import { chmod, mkdir, readFile, rename, unlink, writeFile } from 'node:fs/promises';
import { join, relative, resolve } from 'node:path';
import { gitRaw } from '../adapters/git-run.js';
import { firstLine } from '../adapters/git-tree.js';
import { FmigError, UsageError } from '../core/errors.js';
import type { Context } from './context.js';

export interface HookResult {
  action: 'installed' | 'updated' | 'unchanged' | 'uninstalled' | 'not-installed' | 'foreign';
  /** The hook file, relative to the working directory. */
  hook: string;
  /** The hook that was there before, kept and run first (install) or put back (uninstall). */
  chained: string | null;
}

const MARK = '# fmig-pre-commit-hook';
const CHAINED = 'pre-commit.fmig-chained';

/** The hook's text: runs the chained hook first, then fmig from the project, the repository top, or PATH. */
export function hookScript(projectFromTop: string): string {
  const cd = projectFromTop ? `cd ${shellQuote(projectFromTop)} || exit 1\n` : '';
  return `#!/bin/sh
${MARK}
# Runs \`fmig verify --staged\` before each commit. Written by \`fmig hook install\`;
# \`fmig hook uninstall\` removes it and puts back the hook it chained.
chained="$(dirname "$0")/${CHAINED}"
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
echo "fmig pre-commit hook: fmig is neither in node_modules/.bin nor on PATH (npm install --save-dev fmig);" >&2
echo "  to commit without the check: git commit --no-verify; to remove the hook: fmig hook uninstall" >&2
exit 1
`;
}

/** Installs or uninstalls the hook; install is idempotent and uninstall restores the previous hook byte for byte. */
export async function hook(ctx: Context, action: string | undefined): Promise<HookResult> {
  if (action !== 'install' && action !== 'uninstall') throw new UsageError(`fmig hook ${action ?? ''}: expected install or uninstall`.trim(), 'fmig hook install | fmig hook uninstall');
  const config = await ctx.config();
  const [dir, prefix] = await Promise.all([git(config.root, ['rev-parse', '--git-path', 'hooks']), git(config.root, ['rev-parse', '--show-prefix'])]);
  const hooks = resolve(config.root, dir);
  const path = join(hooks, 'pre-commit');
  const chainedPath = join(hooks, CHAINED);
  const shown = (p: string) => relative(ctx.cwd, p) || p;
  const current = await readFile(path, 'utf8').catch(() => null);
  const ours = current !== null && current.includes(MARK);
  const hasChained = (await readFile(chainedPath).catch(() => null)) !== null;
  const result = (a: HookResult['action']): HookResult => ({ action: a, hook: shown(path), chained: hasChained || (a === 'installed' && current !== null) ? shown(chainedPath) : null });

  if (action === 'uninstall') {
    if (current === null) return say(ctx, result('not-installed'), `no pre-commit hook in ${shown(hooks)}`);
    if (!ours) return say(ctx, result('foreign'), `${shown(path)} is not fmig's hook; left as it is`);
    await unlink(path);
    if (hasChained) await rename(chainedPath, path);
    return say(ctx, result('uninstalled'), `removed ${shown(path)}${hasChained ? `; put back the hook it chained` : ''}`);
  }

  const script = hookScript(prefix.replace(/\/$/, ''));
  if (ours) {
    if (current === script) return say(ctx, result('unchanged'), `${shown(path)} already runs fmig verify --staged`);
    await writeFile(path, script, { mode: 0o755 });
    await chmod(path, 0o755);
    return say(ctx, result('updated'), `updated ${shown(path)}`);
  }
  if (current !== null) {
    if (hasChained) {
      throw new FmigError('hook-chained', `${shown(chainedPath)} already exists, so ${shown(path)} cannot be chained without losing one of them`, 1, `move one of them away, then run fmig hook install again`);
    }
    await rename(path, chainedPath);
  }
  await mkdir(hooks, { recursive: true });
  await writeFile(path, script, { mode: 0o755 });
  await chmod(path, 0o755);
  return say(ctx, result('installed'), `installed ${shown(path)}: runs fmig verify --staged before each commit${current !== null ? `, after the hook that was there (now ${CHAINED})` : ''}`);
}

async function git(cwd: string, args: string[]): Promise<string> {
  const r = await gitRaw(cwd, args).catch(() => ({ code: 127, stdout: Buffer.from(''), stderr: 'git is not installed' }));
  if (r.code !== 0) throw new FmigError('no-git', `fmig hook needs a git repository: ${firstLine(r.stderr)}`, 2, 'run it inside the repository (git init to make one)');
  return r.stdout.toString('utf8').trim();
}

function say(ctx: Context, r: HookResult, text: string): HookResult {
  ctx.report.line(text);
  return r;
}

function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

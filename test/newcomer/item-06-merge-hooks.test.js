// `git merge` does not run the pre-commit hook, so `fmig hook install` also installs a
// pre-merge-commit hook: a merge whose result has divergent heads is stopped before its commit.
// With `--sync`, post-checkout and post-merge hooks run `fmig sync` on the embedded development
// database. All in real repositories, with real merges, fast-forward and not.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { access, readFile, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { cleanup, FMIG_BIN, gitEnv, gitRepo, revision, run, tempDir } from '../helpers/git.js';

test.after.each(cleanup);

const BASE = { 'migrate.toml': 'dir = "sql"\n', '.gitignore': '.fmig/\n', ...revision('0001', 'a'), ...revision('0002', 'b') };
const exists = (p) => access(p).then(() => true, () => false);

/** PATH with this package's fmig on it, as a user who installed it globally has. */
async function pathWithFmig() {
  const bin = await tempDir('fmig-bin-');
  await symlink(FMIG_BIN, path.join(bin, 'fmig'));
  return `${bin}${path.delimiter}${path.dirname(process.execPath)}${path.delimiter}/usr/bin:/bin`;
}

/** git as a user runs it (hooks and all), with fmig on PATH. */
async function userGit(repo, PATH, ...args) {
  const env = gitEnv({ GIT_AUTHOR_NAME: 'Ann', GIT_AUTHOR_EMAIL: 'ann@example.com', GIT_COMMITTER_NAME: 'Ann', GIT_COMMITTER_EMAIL: 'ann@example.com', PATH });
  return run('git', ['-c', 'commit.gpgsign=false', ...args], { cwd: repo.dir, env });
}

const applied = async (repo) => {
  const r = await repo.fmig('history', '--json');
  return r.json.revisions.filter((x) => x.applied).map((x) => x.revision).sort();
};

test('item 6: a non-fast-forward merge whose result has divergent heads is stopped by pre-merge-commit', async () => {
  const repo = await gitRepo({
    files: BASE,
    steps: [
      { branch: 'feature' },
      { commit: revision('0003', 'c', '-- fmig:parent 0002\ncreate table c();\n', 'drop table c;\n'), message: 'add c' },
      { checkout: 'main' },
      { commit: revision('0004', 'd', '-- fmig:parent 0002\ncreate table d();\n', 'drop table d;\n'), message: 'add d' },
      { checkout: 'feature' },
    ],
  });
  const PATH = await pathWithFmig();
  const r = await repo.fmig('hook', 'install', '--json');
  assert.is(r.code, 0, r.stderr);
  assert.equal(r.json.hooks.map((h) => [h.name, h.action]), [['pre-commit', 'installed'], ['pre-merge-commit', 'installed']]);
  const before = await repo.git('rev-parse', 'HEAD');

  const merge = await userGit(repo, PATH, 'merge', '--no-edit', 'main');
  assert.is.not(merge.code, 0, `the merge was committed:\n${merge.stdout}${merge.stderr}`);
  assert.match(merge.stdout + merge.stderr, /divergent|heads/i);
  assert.is(await repo.git('rev-parse', 'HEAD'), before, 'no merge commit');
  assert.ok(await exists(path.join(repo.dir, '.git/MERGE_HEAD')), 'the merge waits, as after a conflict');

  // Resolved in the merge (0004 now follows 0003), the merge commits.
  await repo.write({ 'sql/0004_d.up.sql': '-- fmig:parent 0003\ncreate table d();\n' });
  await repo.git('add', '-A');
  const done = await userGit(repo, PATH, 'commit', '--no-edit');
  // (pre-commit runs for `git commit` concluding a merge; verify may flag the edited published 0004)
  const out = done.stdout + done.stderr;
  assert.ok(done.code === 0 || /published-edited/.test(out), out);
});

test('item 6: a merge without divergence goes through, fast-forward and not', async () => {
  const repo = await gitRepo({
    files: BASE,
    steps: [
      { branch: 'feature' },
      { commit: revision('0003', 'c', '-- fmig:parent 0002\ncreate table c();\n', 'drop table c;\n'), message: 'add c' },
      { checkout: 'main' },
      { commit: { 'README.md': 'notes\n' }, message: 'docs' },
      { branch: 'ff', from: 'main' },
      { commit: { 'NOTES.md': 'more\n' }, message: 'more docs' },
      { checkout: 'feature' },
    ],
  });
  const PATH = await pathWithFmig();
  assert.is((await repo.fmig('hook', 'install')).code, 0);
  const merge = await userGit(repo, PATH, 'merge', '--no-edit', 'main');
  assert.is(merge.code, 0, merge.stderr);
  assert.is(await repo.git('log', '-1', '--format=%p').then((p) => p.split(' ').length), 2, 'a merge commit');

  await userGit(repo, PATH, 'checkout', '-q', 'main');
  const ff = await userGit(repo, PATH, 'merge', '--ff-only', 'ff');
  assert.is(ff.code, 0, ff.stderr);
  assert.is(await repo.git('log', '-1', '--format=%s'), 'more docs');
});

test('item 6: uninstall removes every fmig hook and puts back the hooks they chained', async () => {
  const repo = await gitRepo({ files: BASE });
  const mine = '#!/bin/sh\necho my own merge hook\n';
  await writeFile(path.join(repo.dir, '.git/hooks/pre-merge-commit'), mine, { mode: 0o755 });
  const r = await repo.fmig('hook', 'install', '--sync', '--json');
  assert.is(r.code, 0, r.stderr);
  assert.equal(r.json.hooks.map((h) => [h.name, h.action, h.chained]), [
    ['pre-commit', 'installed', null],
    ['pre-merge-commit', 'installed', '.git/hooks/pre-merge-commit.fmig-chained'],
    ['post-checkout', 'installed', null],
    ['post-merge', 'installed', null],
  ]);
  assert.match(await readFile(path.join(repo.dir, '.git/hooks/pre-merge-commit'), 'utf8'), 'fmig verify');
  assert.equal((await repo.fmig('hook', 'install', '--sync', '--json')).json.hooks.map((h) => h.action), ['unchanged', 'unchanged', 'unchanged', 'unchanged']);

  const un = await repo.fmig('hook', 'uninstall', '--json');
  assert.is(un.code, 0, un.stderr);
  assert.equal(un.json.hooks.map((h) => [h.name, h.action]), [['pre-commit', 'uninstalled'], ['pre-merge-commit', 'uninstalled'], ['post-checkout', 'uninstalled'], ['post-merge', 'uninstalled']]);
  assert.is(await readFile(path.join(repo.dir, '.git/hooks/pre-merge-commit'), 'utf8'), mine, 'put back byte for byte');
  for (const name of ['pre-commit', 'post-checkout', 'post-merge', 'pre-merge-commit.fmig-chained']) {
    assert.not.ok(await exists(path.join(repo.dir, '.git/hooks', name)), name);
  }
});

test('item 6: --sync: switching branches and merging keep the embedded database in step with the checkout', async () => {
  const repo = await gitRepo({
    files: BASE,
    steps: [{ branch: 'feature' }, { commit: revision('0003', 'c', '-- fmig:parent 0002\ncreate table c();\n', 'drop table c;\n'), message: 'add c' }],
  });
  const PATH = await pathWithFmig();
  assert.is((await repo.fmig('hook', 'install', '--sync')).code, 0);
  assert.is((await repo.fmig('up')).code, 0);
  assert.equal(await applied(repo), ['0001', '0002', '0003']);

  const co = await userGit(repo, PATH, 'checkout', '-q', 'main');
  assert.is(co.code, 0, co.stderr);
  assert.equal(await applied(repo), ['0001', '0002'], 'post-checkout reverted 0003, which main does not have');

  const ff = await userGit(repo, PATH, 'merge', '--ff-only', 'feature');
  assert.is(ff.code, 0, ff.stderr);
  assert.equal(await applied(repo), ['0001', '0002', '0003'], 'post-merge applied what the merge brought');
});

test.run();

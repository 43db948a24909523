// `fmig hook install|uninstall` in real repositories: the hook blocks a bad commit, lets a good
// one through, keeps the hook that was there, and uninstall puts it back byte for byte.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { chmod, mkdir, readFile, stat, symlink, writeFile, access } from 'node:fs/promises';
import path from 'node:path';
import { gitRepo, revision, cleanup, tempDir, gitEnv, run, FMIG_BIN } from '../helpers/git.js';

test.after.each(cleanup);

const TOML = { 'migrate.toml': 'dir = "sql"\n' };
const exists = (p) => access(p).then(() => true, () => false);
/** What `hook --json` says of the pre-commit hook (the others are in `hooks`). */
const preCommit = ({ hooks, ...json }) => json;

/** A directory holding only an `fmig` that is this package's bin/fmig, for PATH. */
async function globalFmig() {
  const bin = await tempDir('fmig-bin-');
  await symlink(FMIG_BIN, path.join(bin, 'fmig'));
  return bin;
}

/** `git commit` as a user runs it, with the hooks, and `PATH` as given. */
function commit(repo, message, PATH) {
  const env = gitEnv({ GIT_AUTHOR_NAME: 'Ann', GIT_AUTHOR_EMAIL: 'ann@example.com', GIT_COMMITTER_NAME: 'Ann', GIT_COMMITTER_EMAIL: 'ann@example.com', PATH });
  return run('git', ['-c', 'commit.gpgsign=false', 'commit', '-q', '-m', message], { cwd: repo.dir, env });
}

async function publishedRepo() {
  return gitRepo({ files: { ...TOML, ...revision('0001', 'a'), ...revision('0002', 'b') }, steps: [{ branch: 'feature' }] });
}

test('the installed hook (fmig on PATH) blocks a commit editing a published revision and lets a good one through', async () => {
  const repo = await publishedRepo();
  const r = await repo.fmig('hook', 'install', '--json');
  assert.is(r.code, 0, r.stderr);
  assert.equal(preCommit(r.json), { action: 'installed', hook: '.git/hooks/pre-commit', chained: null });
  const PATH = `${await globalFmig()}${path.delimiter}${path.dirname(process.execPath)}${path.delimiter}/usr/bin:/bin`;

  await repo.write({ 'sql/0001_a.up.sql': 'create table a (changed int);\n' });
  await repo.git('add', '-A');
  const blocked = await commit(repo, 'edit a published revision', PATH);
  assert.is(blocked.code, 1);
  assert.match(blocked.stdout + blocked.stderr, /error published-edited sql\/0001_a\.up\.sql/);
  assert.is(await repo.git('log', '-1', '--format=%s'), 'initial', 'nothing was committed');

  await repo.git('reset', '-q', '--hard');
  await repo.write(revision('0003', 'c', '-- fmig:parent 0002\ncreate table c();\n'));
  await repo.git('add', '-A');
  const ok = await commit(repo, 'add c', PATH);
  assert.is(ok.code, 0, ok.stderr);
  assert.is(await repo.git('log', '-1', '--format=%s'), 'add c');
});

test('the hook finds fmig in the project\'s node_modules/.bin, and says so when fmig is nowhere', async () => {
  const repo = await publishedRepo();
  await repo.fmig('hook', 'install');
  const PATH = `${path.dirname(process.execPath)}${path.delimiter}/usr/bin:/bin`;
  await repo.write({ 'sql/0002_b.down.sql': 'drop table everything;\n' });
  await repo.git('add', '-A');
  const missing = await commit(repo, 'edit', PATH);
  assert.is(missing.code, 1);
  assert.match(missing.stderr, /fmig is neither in node_modules\/\.bin nor on PATH/);

  await mkdir(path.join(repo.dir, 'node_modules/.bin'), { recursive: true });
  await symlink(FMIG_BIN, path.join(repo.dir, 'node_modules/.bin/fmig'));
  await writeFile(path.join(repo.dir, '.git/info/exclude'), 'node_modules/\n');
  const blocked = await commit(repo, 'edit', PATH);
  assert.is(blocked.code, 1);
  assert.match(blocked.stdout + blocked.stderr, /error published-edited sql\/0002_b\.down\.sql/);
});

test('an existing hook keeps running first, install is idempotent, uninstall restores it byte for byte', async () => {
  const repo = await publishedRepo();
  const hook = path.join(repo.dir, '.git/hooks/pre-commit');
  const original = '#!/bin/sh\n# team hook\necho "team hook ran" >&2\nexit 0\n';
  await writeFile(hook, original);
  await chmod(hook, 0o750);

  const first = await repo.fmig('hook', 'install', '--json');
  assert.equal(preCommit(first.json), { action: 'installed', hook: '.git/hooks/pre-commit', chained: '.git/hooks/pre-commit.fmig-chained' });
  const installed = await readFile(hook, 'utf8');
  const again = await repo.fmig('hook', 'install', '--json');
  assert.is(again.json.action, 'unchanged');
  assert.is(await readFile(hook, 'utf8'), installed);
  assert.is(await readFile(hook + '.fmig-chained', 'utf8'), original);

  const PATH = `${await globalFmig()}${path.delimiter}${path.dirname(process.execPath)}${path.delimiter}/usr/bin:/bin`;
  await repo.write(revision('0003', 'c', '-- fmig:parent 0002\nselect 1;\n'));
  await repo.git('add', '-A');
  const ok = await commit(repo, 'add c', PATH);
  assert.is(ok.code, 0, ok.stderr);
  assert.match(ok.stderr, /team hook ran/);

  // A failing chained hook blocks the commit before fmig runs.
  await writeFile(hook + '.fmig-chained', '#!/bin/sh\necho "team says no" >&2\nexit 3\n');
  await repo.write({ 'sql/0003_c.down.sql': 'select 2;\n' });
  await repo.git('add', '-A');
  const no = await commit(repo, 'x', PATH);
  assert.is(no.code, 1);
  assert.match(no.stderr, /team says no/);
  await writeFile(hook + '.fmig-chained', original);

  const un = await repo.fmig('hook', 'uninstall', '--json');
  assert.equal(preCommit(un.json), { action: 'uninstalled', hook: '.git/hooks/pre-commit', chained: '.git/hooks/pre-commit.fmig-chained' });
  assert.is(await readFile(hook, 'utf8'), original);
  assert.is((await stat(hook)).mode & 0o777, 0o750);
  assert.not.ok(await exists(hook + '.fmig-chained'));
  const twice = await repo.fmig('hook', 'uninstall', '--json');
  assert.is(twice.json.action, 'foreign');
  assert.is(await readFile(hook, 'utf8'), original, 'a hook that is not fmig\'s is left alone');
});

test('core.hooksPath is respected, and uninstall without a previous hook leaves none', async () => {
  const repo = await publishedRepo();
  await repo.git('config', 'core.hooksPath', 'githooks');
  const r = await repo.fmig('hook', 'install', '--json');
  assert.equal(preCommit(r.json), { action: 'installed', hook: 'githooks/pre-commit', chained: null });
  assert.ok((await stat(path.join(repo.dir, 'githooks/pre-commit'))).mode & 0o100);
  assert.not.ok(await exists(path.join(repo.dir, '.git/hooks/pre-commit')));
  const un = await repo.fmig('hook', 'uninstall', '--json');
  assert.is(un.json.action, 'uninstalled');
  assert.not.ok(await exists(path.join(repo.dir, 'githooks/pre-commit')));
});

test('a project in a subdirectory: the hook runs fmig there', async () => {
  const repo = await gitRepo({
    files: { 'db/migrate.toml': 'dir = "sql"\n', ...revision('0001', 'a', undefined, undefined, 'db/sql') },
    steps: [{ branch: 'feature' }],
  });
  const r = await repo.fmig('hook', 'install', '--json', { cwd: path.join(repo.dir, 'db') });
  assert.is(r.code, 0, r.stderr);
  assert.is(r.json.hook, '../.git/hooks/pre-commit');
  const PATH = `${await globalFmig()}${path.delimiter}${path.dirname(process.execPath)}${path.delimiter}/usr/bin:/bin`;
  await repo.write({ 'db/sql/0001_a.up.sql': 'changed;\n' });
  await repo.git('add', '-A');
  const blocked = await commit(repo, 'edit', PATH);
  assert.is(blocked.code, 1);
  assert.match(blocked.stdout + blocked.stderr, /error published-edited sql\/0001_a\.up\.sql/);
});

test('outside a git repository, hook is exit 2 with the reason; a bad action is a usage error', async () => {
  const dir = await tempDir();
  const r = await run(process.execPath, [FMIG_BIN, 'hook', 'install'], { cwd: dir, env: gitEnv() });
  assert.is(r.code, 2);
  assert.match(r.stderr, /fmig hook needs a git repository: not a git repository/);
  const bad = await run(process.execPath, [FMIG_BIN, 'hook', 'instal'], { cwd: dir, env: gitEnv() });
  assert.is(bad.code, 2);
  assert.match(bad.stderr, /expected install or uninstall/);
});

test.run();

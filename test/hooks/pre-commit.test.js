// The pre-commit framework's manifest (.pre-commit-hooks.yaml at the top of the repository):
// Debian's `pre-commit` validates it, and runs its hook in a real repository. Installing a
// `language: node` hook needs npm and the network, so the run uses the manifest's own entry,
// file filters and pass_filenames as a local hook on the fmig under test: what the framework
// would run once installed. A commit that edits a published revision is refused; a clean one goes.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { gitRepo, revision, cleanup, run, gitEnv, tempDir, FMIG_BIN } from '../helpers/git.js';
import { REPO_ROOT } from '../helpers/cli.js';

test.after.each(cleanup);

const MANIFEST = path.join(REPO_ROOT, '.pre-commit-hooks.yaml');

/** The manifest as data (pre-commit's own YAML reader, through python3). */
async function manifest() {
  const r = await run('python3', ['-c', 'import sys, json, yaml; print(json.dumps(yaml.safe_load(open(sys.argv[1]))))', MANIFEST]);
  assert.is(r.code, 0, r.stderr);
  return JSON.parse(r.stdout);
}

test('pre-commit validates the manifest; the hook is fmig verify --staged on every commit', async () => {
  const r = await run('pre-commit', ['validate-manifest', MANIFEST]);
  assert.is(r.code, 0, r.stdout + r.stderr);
  const [hook, ...rest] = await manifest();
  assert.is(rest.length, 0);
  assert.is(hook.id, 'fmig-verify');
  assert.is(hook.entry, 'fmig verify --staged');
  assert.is(hook.language, 'node');
  assert.is(hook.pass_filenames, false);
  assert.is(hook.always_run, true);
});

test('pre-commit runs the hook at commit time: an edited published revision is refused, a new revision is not', async () => {
  const [hook] = await manifest();
  const local = { ...hook, language: 'system' };
  const config = `repos:\n  - repo: local\n    hooks:\n      - ${JSON.stringify(local)}\n`;
  const repo = await gitRepo({
    files: { 'migrate.toml': 'dir = "sql"\n', '.pre-commit-config.yaml': config, ...revision('0001', 'users') },
    steps: [{ branch: 'feature' }],
  });
  // `fmig` on PATH is the fmig under test.
  const bin = await tempDir('fmig-bin-');
  await mkdir(bin, { recursive: true });
  await writeFile(path.join(bin, 'fmig'), `#!/bin/sh\nexec "${process.execPath}" "${FMIG_BIN}" "$@"\n`);
  await chmod(path.join(bin, 'fmig'), 0o755);
  const env = gitEnv({ PATH: `${bin}:${process.env.PATH}`, PRE_COMMIT_HOME: await tempDir('fmig-pre-commit-home-'), GIT_AUTHOR_NAME: 'Ann', GIT_AUTHOR_EMAIL: 'a@x', GIT_COMMITTER_NAME: 'Ann', GIT_COMMITTER_EMAIL: 'a@x' });
  const sh = (cmd, ...args) => run(cmd, args, { cwd: repo.dir, env });
  assert.is((await sh('pre-commit', 'install')).code, 0);

  await repo.write({ 'sql/0001_users.up.sql': 'create table users (id bigint);\n' });
  await sh('git', 'add', '-A');
  let r = await sh('git', 'commit', '-q', '-m', 'edit a published revision');
  assert.is(r.code, 1, r.stdout + r.stderr);
  assert.match(r.stdout + r.stderr, 'fmig verify');
  assert.match(r.stdout + r.stderr, 'published-edited sql/0001_users.up.sql');
  assert.is((await sh('git', 'rev-list', '--count', 'HEAD')).stdout.trim(), '1', 'nothing committed');

  await sh('git', 'checkout', 'main', '--', 'sql/0001_users.up.sql');
  await repo.write(revision('0002', 'orders', '-- fmig:parent 0001\ncreate table orders ();\n'));
  await sh('git', 'add', '-A');
  r = await sh('git', 'commit', '-q', '-m', 'a new revision');
  assert.is(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stdout + r.stderr, /fmig verify\.+Passed/);
});

test.run();

// Each hint is right for its cause: a lock timeout (another session holds the table) is not
// the file's fault; `verify --against` never tells anyone to re-parent a revision that came
// with the other side or is published (the hook would then block the edit).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import postgres from 'postgres';
import { forEachTarget, testServerUrl } from '../helpers/databases.js';
import { project, removeProjects, state } from '../helpers/cli.js';
import { gitRepo, revision, cleanup } from '../helpers/git.js';

forEachTarget('newcomer item 9: hints by cause', (t, { target, fresh }) => {
  t.after.each(removeProjects);

  t('a lock timeout says another session holds the lock, not "fix the revision file"; a real error still says fix the file', async () => {
    const { url } = await fresh();
    const p = await project({
      '1_a': { up: 'create table a (id int);\n', down: 'drop table a;\n' },
      '2_b': {
        up: "do $$ begin raise exception 'canceling statement due to lock timeout' using errcode = 'lock_not_available'; end $$;\n",
        down: 'select 1;\n',
      },
    }, { toml: 'dir = "sql"\n[database]\nlock_retries = 0\n' }); // the hint is under test, not the retries
    let r = await p.fmig('up', '--url', url);
    assert.is(r.code, 1, r.stderr);
    assert.match(r.stderr, /another session holds a lock/);
    assert.match(r.stderr, /pg_stat_activity/);
    assert.not.match(r.stderr, /fix the revision file/);
    await p.revisions({ '2_b': { up: 'select nope from a;\n', down: 'select 1;\n' } });
    r = await p.fmig('up', '--url', url);
    assert.is(r.code, 1);
    assert.match(r.stderr, /fix the revision file/);
  });

  if (target.kind === 'postgres') {
    t('on a server: a table locked by another session', async () => {
      const { url } = await fresh();
      const p = await project(
        { '1_a': { up: 'create table a (id int);\n', down: 'drop table a;\n' } },
        { toml: 'dir = "sql"\n[database]\nlock_timeout = "300ms"\n' },
      );
      assert.is((await p.fmig('up', '--url', url)).code, 0);
      await p.revisions({ '2_b': { up: 'alter table a add column b int;\n', down: 'alter table a drop column b;\n' } });
      const sql = postgres(url, { max: 1, onnotice: () => {} });
      try {
        await sql.begin(async (tx) => {
          await tx`lock table a in access exclusive mode`;
          const r = await p.fmig('up', '--url', url);
          assert.is(r.code, 1, r.stderr);
          assert.match(r.stderr, /55P03/);
          assert.match(r.stderr, /another session holds a lock/);
          assert.not.match(r.stderr, /fix the revision file/);
        });
      } finally {
        await sql.end();
      }
      assert.equal((await state(url)).rows.map((x) => x.revision), ['1']);
    });
  }
});

test.after.each(cleanup);

test('verify --against: the fix moves this branch\'s revision, never the other side\'s published one; following it passes', async () => {
  const repo = await gitRepo({
    files: { 'migrate.toml': 'dir = "sql"\n', ...revision('0001', 'users'), ...revision('0002', 'orders') },
    steps: [
      { branch: 'feature', author: 'Cy' },
      { commit: revision('0003', 'items', '-- fmig:parent 0002\ncreate table items();\n'), message: 'add items' },
      { checkout: 'main', author: 'Di' },
      { commit: revision('0004', 'tags', '-- fmig:parent 0002\ncreate table tags();\n'), message: 'add tags' },
      { checkout: 'feature' },
    ],
  });
  const r = await repo.fmig('verify', '--against', 'main', '--json');
  assert.is(r.code, 1, r.stderr);
  const byFile = Object.fromEntries(r.json.findings.filter((f) => f.code === 'merge-divergent-heads').map((f) => [f.file, f.fix]));
  const theirs = byFile['sql/0004_tags.up.sql'];
  const ours = byFile['sql/0003_items.up.sql'];
  assert.ok(theirs && ours, JSON.stringify(r.json.findings));
  assert.not.match(theirs, /give 0004|0004 the parent|fmig:parent 0003/, theirs);
  assert.match(theirs, /leave it as it is/);
  assert.match(ours, /merge main into this branch and run fmig resolve/);
  assert.match(ours, /fmig:parent 0004/);

  // Following the fix: merge main, resolve, and what is staged passes the hook's check.
  await repo.git('merge', '-q', '--no-edit', 'main');
  const resolved = await repo.fmig('resolve');
  assert.is(resolved.code, 0, resolved.stderr);
  assert.is((await repo.fmig('verify', '--staged')).code, 0);
  await repo.git('commit', '-q', '-m', 'resolve');
  const after = await repo.fmig('verify', '--against', 'main');
  assert.is(after.code, 0, after.stdout + after.stderr);
});

test.run();

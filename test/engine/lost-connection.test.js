// A lost connection in the middle of a revision (the backend terminated with
// pg_terminate_backend) ends in fmig's own message and exit 3, never a stack trace, and the
// ledger says what a resume needs. Server only: PGlite has no connection to lose.
import * as assert from 'uvu/assert';
import { forEachTarget, admin, testServerUrl } from '../helpers/databases.js';
import { project, removeProjects, state, inspect } from '../helpers/cli.js';

/** Terminates the backend of database `name` that runs pg_sleep, once it does (polled). */
async function terminateSleeper(name) {
  for (let i = 0; i < 600; i++) {
    const [row] = await admin(
      testServerUrl,
      `select pg_terminate_backend(pid) as done from pg_stat_activity where datname = $1 and query like '%pg_sleep%' and pid <> pg_backend_pid()`,
      [name],
    );
    if (row?.done) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('fmig never reached the pg_sleep statement');
}

forEachTarget('engine: a lost connection mid-revision', (test, { target, fresh }) => {
  if (target.kind !== 'postgres') return;
  test.after.each(removeProjects);

  test('in a transactional revision: exit 3, fmig own message, nothing applied', async () => {
    const { url, name } = await fresh();
    const p = await project({ '001_a': 'create table a (id int);\nselect pg_sleep(60);\n' });
    const [r] = await Promise.all([p.fmig('up', '--url', url), terminateSleeper(name)]);
    assert.is(r.code, 3, r.stderr);
    assert.match(r.stderr, 'error: lost the connection to');
    assert.match(r.stderr, 'while running sql/001_a.up.sql: nothing of it was applied');
    assert.not.match(r.stderr, /\n\s+at /);
    const s = await state(url);
    assert.equal(s.rows, []);
    assert.equal(s.tables, []);
  });

  test('in a file run as psql -1: exit 3, the committed block stays, and --resume finishes it', async () => {
    const { url, name } = await fresh();
    // The sleep stops once the table go_on exists, so the resume does not wait.
    const sleep = "select pg_sleep(60) where to_regclass('go_on') is null";
    const p = await project({ '001_a': `create table a (id int);\nCOMMIT;\n${sleep};\ncreate table b (id int);\n` });
    const [r] = await Promise.all([p.fmig('up', '--url', url), terminateSleeper(name)]);
    assert.is(r.code, 3, r.stderr);
    assert.match(r.stderr, 'while running sql/001_a.up.sql: the server rolled back the block that was open');
    assert.not.match(r.stderr, /\n\s+at /);
    let s = await state(url);
    assert.equal(s.tables, ['public.a']);
    assert.equal(s.rows.map((x) => [x.revision, x.statements_done, x.finished_at]), [['001', 2, null]]);
    await inspect(url, (db) => db.exec('create table go_on ()'));
    const again = await p.fmig('up', '--resume', '--url', url);
    assert.is(again.code, 0, again.stderr);
    s = await state(url);
    assert.equal(s.tables, ['public.a', 'public.b', 'public.go_on']);
    assert.equal(s.rows.map((x) => [x.revision, x.statements_done, x.finished_at !== null]), [['001', 4, true]]);
  });
});

// A statement that cannot run in a transaction (CREATE INDEX CONCURRENTLY) is recorded as
// started before it runs; a resume that starts at it decides from the database what is left
// to do and says so: a valid index is done, an INVALID one (a build that failed or was cut
// off) is dropped and built again. A statement that can run in a transaction commits with its
// progress row: when the row cannot be written, the statement is rolled back with it.
import * as assert from 'uvu/assert';
import { forEachTarget } from '../helpers/databases.js';
import { inspect, project, removeProjects, state } from '../helpers/cli.js';

const TABLE = { up: 'create table t (id int, code text);\ninsert into t values (1, \'a\'), (2, \'a\');\n', down: 'drop table t;' };
const INDEX_UP = '-- fmig:no-transaction\ncreate table before_idx ();\nCREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS t_code_key ON t (code);\ncreate table after_idx ();\n';

const indexes = (url) =>
  inspect(url, (db) =>
    db.query(`select c.relname as name, i.indisvalid as valid from pg_index i join pg_class c on c.oid = i.indexrelid where i.indrelid = 't'::regclass`),
  );

forEachTarget('faults: resuming a statement that cannot run in a transaction', (test, { fresh }) => {
  test.after.each(removeProjects);

  test('a failed unique CREATE INDEX CONCURRENTLY leaves an INVALID index; once the duplicates are fixed, up --resume drops it and builds it again', async () => {
    const { url } = await fresh();
    const p = await project({ '001_t': TABLE, '002_idx': { up: INDEX_UP, down: 'drop index t_code_key;' } });
    const r = await p.fmig('up', '--url', url);
    assert.is(r.code, 1, r.stderr);
    assert.match(r.stderr, '23505');
    let s = await state(url);
    assert.equal(s.rows.map((x) => [x.revision, !!x.finished_at, x.statements_done]), [['001', true, null], ['002', false, 1]]);
    assert.equal(await indexes(url), [{ name: 't_code_key', valid: false }], 'the failed build left an invalid index');

    const st = await p.fmig('status', '--url', url);
    assert.match(st.stdout, /^invalid:  index \S*t_code_key, from statement 2 of 002_idx, is INVALID \(its build failed or was cut off\); `fmig up --resume` drops it and builds it again$/m);
    const js = await p.fmig('status', '--json', '--url', url);
    assert.equal(js.json.invalidIndexes.map((x) => [x.revision, x.statement]), [['002', 2]]);
    await inspect(url, (db) => db.exec(`update t set code = 'b' where id = 2`));
    const resumed = await p.fmig('up', '--resume', '--url', url);
    assert.is(resumed.code, 0, resumed.stderr);
    assert.match(resumed.stdout, /statement 2 \(CREATE UNIQUE INDEX CONCURRENTLY\) was started by an earlier run: index \S*t_code_key exists but is INVALID \(a build that did not finish\): dropping it and building it again/);
    assert.equal(await indexes(url), [{ name: 't_code_key', valid: true }]);
    s = await state(url);
    assert.equal(s.rows.map((x) => [x.revision, !!x.finished_at, x.statements_done, x.error]), [['001', true, null, null], ['002', true, 3, null]]);
    assert.ok(s.tables.includes('public.after_idx'));
  });

  test('a build that finished but was not recorded (the process killed just after): the resume finds the valid index and goes on', async () => {
    const { url } = await fresh();
    const p = await project({ '001_t': { ...TABLE, up: TABLE.up.replace("(2, 'a')", "(2, 'b')") }, '002_idx': { up: INDEX_UP.replace(' IF NOT EXISTS', ''), down: 'drop index t_code_key;' } });
    assert.is((await p.fmig('up', '--url', url)).code, 0);
    // What a kill after the build and before its progress row leaves: the row says started, not done.
    await inspect(url, (db) =>
      db.exec(`drop table after_idx; update fmig_ledger set finished_at = null, statements_done = 1,
        error = 'interrupted: statement 2 of 3 (CREATE UNIQUE INDEX CONCURRENTLY) was started at 2026-01-01T00:00:00Z and not seen to finish' where revision = '002'`),
    );
    const st = await p.fmig('status', '--url', url);
    assert.match(st.stdout + st.stderr, 'interrupted: statement 2 of 3');
    const r = await p.fmig('up', '--resume', '--url', url);
    assert.is(r.code, 0, r.stderr);
    assert.match(r.stdout, /statement 2 \(CREATE UNIQUE INDEX CONCURRENTLY\) was started by an earlier run: index \S*t_code_key exists and is valid: done/);
    const s = await state(url);
    assert.equal(s.rows.map((x) => [x.revision, !!x.finished_at, x.statements_done, x.error]), [['001', true, null, null], ['002', true, 3, null]]);
    assert.ok(s.tables.includes('public.after_idx'));
  });

  test('a statement whose progress row cannot be written is rolled back with it', async () => {
    const { url } = await fresh();
    // The second statement would remove the ledger; its progress row cannot be written, so it does not stay done.
    const up = '-- fmig:no-transaction\ncreate table one ();\ndrop table fmig_ledger;\ncreate table three ();\n';
    const p = await project({ '001_a': { up, down: 'drop table one;' } });
    const r = await p.fmig('up', '--url', url);
    assert.is(r.code, 1, r.stderr);
    const s = await state(url);
    assert.equal(s.rows.map((x) => [x.revision, x.finished_at, x.statements_done]), [['001', null, 1]], 'the ledger is still there, one statement done');
    assert.ok(s.tables.includes('public.one') && !s.tables.includes('public.three'));
  });
});

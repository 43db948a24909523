// A down file run statement by statement records its progress in the revision's row, as an up
// does: stopped part-way (an error, a killed process), the revision stays applied with the
// row saying how far its down got; status reports it, up and a plain down refuse, and
// `fmig down --resume` runs the rest (deciding from the database about a statement that was
// started and not seen to finish).
import * as assert from 'uvu/assert';
import { forEachTarget } from '../helpers/databases.js';
import { inspect, project, removeProjects, state } from '../helpers/cli.js';

forEachTarget('faults: a down that stopped part-way', (test, { fresh }) => {
  test.after.each(removeProjects);

  test('a no-transaction down failing at its second statement keeps the row with statements_done 1; down --resume finishes it', async () => {
    const { url } = await fresh();
    const p = await project({
      '001_a': { up: 'create table a (id int);\ncreate table b (id int);\n', down: '-- fmig:no-transaction\ndrop table a;\nselect 1 / (select count(*) from b);\ndrop table b;\n' },
    });
    assert.is((await p.fmig('up', '--url', url)).code, 0);
    const r = await p.fmig('down', '--url', url);
    assert.is(r.code, 1);
    assert.match(r.stderr, '22012');
    assert.match(r.stderr, '`fmig down --resume` runs the rest');
    let s = await state(url);
    assert.equal(s.rows.map((x) => [x.revision, !!x.finished_at, x.statements_done, x.error.split('\n')[0]]), [
      ['001', true, 1, "reverting: its down file stopped after 1 of 3 statement(s); `fmig down --resume` runs the rest"],
    ]);
    assert.equal(s.tables, ['public.b'], 'the first statement of the down stays done');

    const st = await p.fmig('status', '--check', '--url', url);
    assert.is(st.code, 1);
    assert.match(st.stdout, 'reverting: 001: its down file stopped after 1 of 3 statement(s)');
    const up = await p.fmig('up', '--url', url);
    assert.is(up.code, 1);
    assert.match(up.stderr, 'refusing to run: the down of 001 stopped part-way');
    const again = await p.fmig('down', '--url', url);
    assert.is(again.code, 1);
    assert.match(again.stderr, 'refusing to revert: the down of 001 stopped part-way after 1 statement(s)');
    assert.match(again.stderr, 'fmig down --resume');
    const dry = await p.fmig('down', '--resume', '--dry-run', '--url', url);
    assert.match(dry.stdout, /^-- sql\/001_a\.down\.sql: resume at statement 2, /m);

    await inspect(url, (db) => db.exec('insert into b values (1)'));
    const resumed = await p.fmig('down', '--resume', '--url', url);
    assert.is(resumed.code, 0, resumed.stderr);
    s = await state(url);
    assert.equal(s.rows, []);
    assert.equal(s.tables, []);
    assert.equal(s.log.map((x) => x.action), ['up', 'failed', 'down']);
  });

  test('killed after a DROP INDEX CONCURRENTLY ran and before its progress was written: down --resume finds the index gone and goes on', async () => {
    const { url } = await fresh();
    const p = await project({
      '001_t': { up: '-- fmig:no-transaction\ncreate table t (id int);\nCREATE INDEX CONCURRENTLY t_id ON t (id);\n', down: '-- fmig:no-transaction\nDROP INDEX CONCURRENTLY t_id;\ndrop table t;\n' },
    });
    assert.is((await p.fmig('up', '--url', url)).code, 0);
    // What the kill leaves: the statement recorded as started, its work done, nothing after it.
    await inspect(url, (db) =>
      db.exec(`drop index t_id; update fmig_ledger set statements_done = 0,
        error = 'reverting: down statement 1 of 2 (DROP INDEX CONCURRENTLY) was started at 2026-01-01T00:00:00Z and not seen to finish' where revision = '001'`),
    );
    const r = await p.fmig('down', '--resume', '--url', url);
    assert.is(r.code, 0, r.stderr);
    assert.match(r.stdout, /statement 1 \(DROP INDEX CONCURRENTLY\) was started by an earlier run: index t_id is already gone: done/);
    const s = await state(url);
    assert.equal(s.rows, []);
    assert.equal(s.tables, []);
  });
});

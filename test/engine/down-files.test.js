// What `up` reads of the down files: those of the revisions it applies, checked before anything
// is written; not those of revisions applied before (a deploy reads what it needs). Every other
// command reads them all.
import { test as plain } from 'uvu';
import * as assert from 'uvu/assert';
import { forEachTarget } from '../helpers/databases.js';
import { inspect, project, removeProjects, snapshot, state } from '../helpers/cli.js';

const ledgerExists = (url) => inspect(url, async (db) => (await db.query(`select to_regclass('public.fmig_ledger') is not null as ok`))[0].ok);

const A = { '1_a': { up: 'create table a (id int);\n', down: 'drop table a;\n' } };

forEachTarget('engine: down files under up', (test, { fresh }) => {
  test.after.each(removeProjects);

  test('a bad down file of a revision up would apply: exit 2 naming it, and nothing is created, not even the ledger', async () => {
    const { url } = await fresh();
    const p = await project(A);
    const empty = [await state(url), await snapshot(url)];
    const bad = [
      ['-- fmig:parent 1\ndrop table b;\n', 'belongs in the up file'],
      ['-- fmig:no-transactions\ndrop table b;\n', 'unknown directive "-- fmig:no-transactions"'],
      [Buffer.from([0x64, 0x72, 0xff, 0x0a]), 'not valid UTF-8'],
    ];
    for (const [down, says] of bad) {
      await p.revisions({ '2_b': { up: 'create table b (id int);\n', down } });
      const r = await p.fmig('up', '--url', url);
      assert.is(r.code, 2, r.stderr);
      assert.match(r.stderr, '2_b.down.sql');
      assert.match(r.stderr, says);
      assert.equal([await state(url), await snapshot(url)], empty, `${says}: the database is as it was`);
      assert.not.ok(await ledgerExists(url), `${says}: no ledger was created`);
    }
    // The same with revision 1 applied: 2 is what up would apply, so its down file is read.
    await p.revisions({ '2_b': null });
    assert.is((await p.fmig('up', '--url', url)).code, 0);
    const before = [await state(url), await snapshot(url)];
    await p.revisions({ '2_b': { up: 'create table b (id int);\n', down: '-- fmig:bogus\n' } });
    const r = await p.fmig('up', '--url', url);
    assert.is(r.code, 2, r.stderr);
    assert.match(r.stderr, '2_b.down.sql: line 1: unknown directive "-- fmig:bogus"');
    assert.equal([await state(url), await snapshot(url)], before);
  });

  test('the down file of a revision applied before is not read by up; status and down still refuse it', async () => {
    const { url } = await fresh();
    const p = await project(A);
    assert.is((await p.fmig('up', '--url', url)).code, 0);
    await p.revisions({ '1_a': { up: A['1_a'].up, down: '-- fmig:bogus\ndrop table a;\n' }, '2_b': { up: 'create table b (id int);\n', down: 'drop table b;\n' } });

    const r = await p.fmig('up', '--url', url);
    assert.is(r.code, 0, r.stderr);
    assert.match(r.stdout, 'applied 2_b');
    const { rows } = await state(url);
    assert.equal(rows.map((x) => [x.revision, x.down_sql]), [['1', 'drop table a;\n'], ['2', 'drop table b;\n']], 'the ledger keeps what each revision was applied with');

    const d = await p.fmig('down', '--url', url);
    assert.is(d.code, 2, d.stderr);
    assert.match(d.stderr, '1_a.down.sql: line 1: unknown directive "-- fmig:bogus"');
    // status reports it as a problem of the files, exit 0 (1 with --check).
    const s = await p.fmig('status', '--url', url);
    assert.is(s.code, 0, s.stderr);
    assert.match(s.stdout, '1_a.down.sql: line 1: unknown directive "-- fmig:bogus"');
    assert.is((await p.fmig('status', '--check', '--url', url)).code, 1);
    assert.is((await state(url)).rows.length, 2, 'down changed nothing');
  });
});

plain.after.each(removeProjects);

plain('a bad down file and a server that cannot be reached: the bad input is reported, exit 2', async () => {
  const p = await project({ ...A, '2_b': { up: 'create table b (id int);\n', down: '-- fmig:bogus\n' } });
  const r = await p.fmig('up', '--url', 'postgres://u@127.0.0.1:1/x');
  assert.is(r.code, 2, r.stderr);
  assert.match(r.stderr, '2_b.down.sql: line 1: unknown directive "-- fmig:bogus"');
});

plain.run();

// Adopting an existing database (baseline) and accepting a reviewed edit or a failed attempt (repair).
import * as assert from 'uvu/assert';
import { forEachTarget } from '../helpers/databases.js';
import { project, removeProjects, state, inspect } from '../helpers/cli.js';

forEachTarget('engine: baseline and repair', (test, { fresh }) => {
  test.after.each(removeProjects);

  test('baseline records a revision and its ancestors without running them; refuses a non-empty ledger', async () => {
    const { url } = await fresh();
    await inspect(url, (db) => db.exec('create table a (id int); create table b (id int)'));
    const p = await project({
      '1_a': { up: 'create table a (id int);\n', down: 'drop table a;\n' },
      '2_b': { up: 'create table b (id int);\n', down: 'drop table b;\n' },
      '3_c': { up: 'create table c (id int);\n', down: 'drop table c;\n' },
    });
    let r = await p.fmig('baseline', '2', '--url', url);
    assert.is(r.code, 0, r.stderr);
    let s = await state(url);
    assert.equal(s.rows.map((x) => x.revision), ['1', '2']);
    assert.equal(s.log.map((l) => [l.revision, l.action]), [['1', 'baseline'], ['2', 'baseline']]);
    assert.equal(s.tables, ['public.a', 'public.b'], 'nothing ran');

    r = await p.fmig('baseline', '3', '--url', url);
    assert.is(r.code, 1);
    assert.match(r.stderr, 'refusing to baseline: the ledger already has 2 row(s)');

    r = await p.fmig('baseline', '9', '--url', url);
    assert.is(r.code, 2);
    assert.match(r.stderr, 'revision 9 is not in the folder');

    r = await p.fmig('up', '--url', url);
    assert.is(r.code, 0, r.stderr);
    s = await state(url);
    assert.equal(s.tables, ['public.a', 'public.b', 'public.c']);
  });

  test('repair shows its plan, then with --yes takes the new checksum, forgets a failed attempt, and --prune drops rows without files', async () => {
    const { url } = await fresh();
    const p = await project({
      '1_a': { up: 'create table a (id int);\n', down: 'drop table a;\n' },
      '2_b': { up: 'create table b (id int);\n', down: 'drop table b;\n' },
      '3_idx': { up: '-- fmig:no-transaction\ncreate table c (id int);\ncreate index concurrently c_missing on missing (id);\n', down: 'drop table c;\n' },
    });
    let r = await p.fmig('up', '--url', url);
    assert.is(r.code, 1, 'the no-transaction revision stops part-way');
    await p.revisions({ '1_a': { up: 'create table a (id int); -- reviewed\n', down: 'drop table a;\n' } });
    const before = await state(url);

    r = await p.fmig('repair', '--url', url);
    assert.is(r.code, 1, 'without --yes nothing changes');
    assert.match(r.stdout, 'would update 1');
    assert.match(r.stdout, 'would forget the failed attempt of 3');
    assert.equal(await state(url), before);

    r = await p.fmig('repair', '--yes', '--url', url);
    assert.is(r.code, 0, r.stderr);
    let s = await state(url);
    assert.equal(s.rows.map((x) => x.revision), ['1', '2']);
    assert.is.not(s.rows[0].up_checksum, before.rows[0].up_checksum);
    assert.equal(s.log.slice(-2).map((l) => [l.revision, l.action]), [['1', 'repair'], ['3', 'repair']]);

    // The cleaned-up revision now runs from its first statement.
    await inspect(url, (db) => db.exec('drop table c; create table missing (id int)'));
    r = await p.fmig('up', '--url', url);
    assert.is(r.code, 0, r.stderr);

    await p.revisions({ '2_b': null });
    // Without 2, revision 3 (no parent directive) now follows 1: repair records that; 2's row stays.
    r = await p.fmig('repair', '--yes', '--url', url);
    assert.is(r.code, 0, r.stderr);
    assert.match(r.stdout, 'update 3: 3 was applied with parents [2] and now has [1]');
    assert.equal((await state(url)).rows.map((x) => x.revision), ['1', '2', '3']);
    r = await p.fmig('repair', '--yes', '--prune', '--url', url);
    assert.is(r.code, 0, r.stderr);
    s = await state(url);
    assert.equal(s.rows.map((x) => x.revision), ['1', '3']);
  });
});

// An old checkout deployed against a newer database: `up` must not say "up to date" when applied
// revisions have no files in the folder. It exits 1 naming them, before changing anything;
// `--ignore-missing` accepts it (rolling deploys, where old code may start after a newer migration).
import * as assert from 'uvu/assert';
import { forEachTarget } from '../helpers/databases.js';
import { project, removeProjects, state } from '../helpers/cli.js';

const R = {
  '1_a': { up: 'create table a (id int);\n', down: 'drop table a;\n' },
  '2_b': { up: 'create table b (id int);\n', down: 'drop table b;\n' },
  '3_c': { up: 'create table c (id int);\n', down: 'drop table c;\n' },
};

forEachTarget('item 5: up with applied revisions whose files are gone', (test, { fresh }) => {
  test.after.each(removeProjects);

  test('nothing pending: exit 1 naming the missing revisions, not "up to date"; --ignore-missing exits 0', async () => {
    const { url } = await fresh();
    const p = await project(R);
    assert.is((await p.fmig('up', '--url', url)).code, 0);
    // The older checkout: revisions 2 and 3 are not in it.
    await p.revisions({ '2_b': null, '3_c': null });
    const before = await state(url);

    for (const args of [['up'], ['up', '--dry-run'], ['up', '--json']]) {
      const r = await p.fmig(...args, '--url', url);
      assert.is(r.code, 1, `${args}: ${r.stdout}${r.stderr}`);
      assert.match(r.stderr, 'revisions 2, 3 are applied to the database but not in the folder');
      assert.match(r.stderr, '--ignore-missing');
      assert.not.match(r.stdout, 'up to date');
    }
    assert.equal(await state(url), before, 'nothing changed');

    const ok = await p.fmig('up', '--ignore-missing', '--url', url);
    assert.is(ok.code, 0, ok.stderr);
    assert.match(ok.stdout, 'nothing to apply');
  });

  test('something pending too: refused before applying it; --ignore-missing applies it', async () => {
    const { url } = await fresh();
    const p = await project({ '1_a': R['1_a'], '3_c': R['3_c'] });
    assert.is((await p.fmig('up', '--url', url)).code, 0);
    // A checkout that lacks 3 and has a revision 2 that the database has not seen.
    await p.revisions({ '3_c': null, '2_b': { up: '-- fmig:parent 1\ncreate table b (id int);\n', down: 'drop table b;\n' } });
    const before = await state(url);
    const r = await p.fmig('up', '--url', url);
    assert.is(r.code, 1, r.stderr);
    assert.match(r.stderr, 'revision 3 is applied to the database but not in the folder');
    assert.equal(await state(url), before, 'revision 2 was not applied');

    const ok = await p.fmig('up', '--ignore-missing', '--url', url);
    assert.is(ok.code, 0, ok.stderr);
    assert.match(ok.stdout, 'applied 2_b');
    assert.equal((await state(url)).rows.map((x) => x.revision).sort(), ['1', '2', '3']);
  });
});

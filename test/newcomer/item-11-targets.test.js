// Targets in the form fmig prints (`000003_add_x`) are accepted by up and down; a revision that
// is not in the folder is bad input (exit 2) for both, and changes nothing.
import * as assert from 'uvu/assert';
import { forEachTarget } from '../helpers/databases.js';
import { project, removeProjects, state } from '../helpers/cli.js';

const rev = (n) => ({ up: `create table t${n} (id int);\n`, down: `drop table t${n};\n` });
const revs = { '000001_add_a': rev(1), '000003_add_x': rev(3), '000004_add_y': rev(4) };

forEachTarget('newcomer item 11: targets', (test, { fresh }) => {
  test.after.each(removeProjects);

  test('up and down accept <id>_<slug>, as status and history print it', async () => {
    const { url } = await fresh();
    const p = await project(revs);
    let r = await p.fmig('up', '000003_add_x', '--url', url);
    assert.is(r.code, 0, r.stderr);
    assert.equal((await state(url)).rows.map((x) => x.revision), ['000001', '000003']);
    r = await p.fmig('up', '--url', url);
    assert.is(r.code, 0, r.stderr);
    r = await p.fmig('down', '000003_add_x', '--url', url);
    assert.is(r.code, 0, r.stderr);
    assert.equal((await state(url)).rows.map((x) => x.revision), ['000001', '000003'], 'down to 000003 leaves it applied');
  });

  test('`down 2` and `up 999` (not in the folder) both exit 2 and change nothing', async () => {
    const { url } = await fresh();
    const p = await project(revs);
    assert.is((await p.fmig('up', '--url', url)).code, 0);
    const before = await state(url);
    const d = await p.fmig('down', '2', '--url', url);
    assert.is(d.code, 2, d.stderr);
    assert.match(d.stderr, /revision 2 is not in the folder/);
    const u = await p.fmig('up', '999', '--url', url);
    assert.is(u.code, 2, u.stderr);
    assert.match(u.stderr, /revision 999 is not in the folder/);
    assert.equal((await state(url)).rows, before.rows);
  });
});

// `down` does not run a down file edited since its revision was applied without a word: it
// refuses (exit 1, naming the file) before reverting anything, unless the user says which text
// to run: `--accept-edited` (the file as it is now) or `--from-ledger` (what the ledger kept).
import * as assert from 'uvu/assert';
import { forEachTarget } from '../helpers/databases.js';
import { project, removeProjects, state } from '../helpers/cli.js';

const R = {
  '1_a': { up: 'create table a (id int);\n', down: 'drop table a;\n' },
  '2_b': { up: 'create table b (id int);\n', down: 'drop table b;\n' },
  '3_c': { up: 'create table c (id int);\n', down: 'drop table c;\n' },
};
const tables = async (url) => (await state(url)).tables;

forEachTarget('item 7: down and an edited down file', (test, { fresh }) => {
  test.after.each(removeProjects);

  test('refused before anything is reverted, naming the file, also when it is not the first to revert', async () => {
    const { url } = await fresh();
    const p = await project(R);
    assert.is((await p.fmig('up', '--url', url)).code, 0);
    await p.write({ 'sql/2_b.down.sql': 'drop table b;\ncreate table b_was_here (id int);\n' });
    const before = await state(url);
    for (const args of [['down', '-2'], ['down', 'base'], ['down', '-2', '--dry-run'], ['down', '-2', '--json']]) {
      const r = await p.fmig(...args, '--url', url);
      assert.is(r.code, 1, `${args}: ${r.stdout}${r.stderr}`);
      assert.match(r.stderr, 'sql/2_b.down.sql', args.join(' '));
      assert.match(r.stderr, 'edited since');
      assert.match(r.stderr, '--accept-edited');
      assert.match(r.stderr, '--from-ledger');
    }
    assert.equal(await state(url), before, 'nothing was reverted, not even 3');
    // Reverting only what has an unchanged down file is fine.
    const r = await p.fmig('down', '--url', url);
    assert.is(r.code, 0, r.stderr);
    assert.match(r.stdout, 'reverted 3_c');
  });

  test('--accept-edited runs the file as it is now', async () => {
    const { url } = await fresh();
    const p = await project(R);
    assert.is((await p.fmig('up', '--url', url)).code, 0);
    await p.write({ 'sql/2_b.down.sql': 'drop table b;\ncreate table b_was_here (id int);\n' });
    const r = await p.fmig('down', '-2', '--accept-edited', '--url', url);
    assert.is(r.code, 0, r.stderr);
    assert.equal(await tables(url), ['public.a', 'public.b_was_here']);
    assert.equal((await state(url)).rows.map((x) => x.revision), ['1']);
  });

  test('--from-ledger runs the down SQL kept when the revision was applied, not the file', async () => {
    const { url } = await fresh();
    const p = await project(R);
    assert.is((await p.fmig('up', '--url', url)).code, 0);
    await p.write({ 'sql/2_b.down.sql': 'drop table b;\ncreate table b_was_here (id int);\n' });
    const dry = await p.fmig('down', '-2', '--from-ledger', '--dry-run', '--url', url);
    assert.is(dry.code, 0, dry.stderr);
    assert.match(dry.stdout, 'as kept in the ledger');
    assert.not.match(dry.stdout, 'b_was_here');
    const r = await p.fmig('down', '-2', '--from-ledger', '--url', url);
    assert.is(r.code, 0, r.stderr);
    assert.equal(await tables(url), ['public.a']);
    assert.equal((await state(url)).rows.map((x) => x.revision), ['1']);
  });

  test('both options at once: exit 2; a down file added after an irreversible revision was applied runs', async () => {
    const { url } = await fresh();
    const p = await project({ '1_a': 'create table a (id int);\n' });
    assert.is((await p.fmig('up', '--url', url)).code, 0);
    const both = await p.fmig('down', '--accept-edited', '--from-ledger', '--url', url);
    assert.is(both.code, 2, both.stderr);
    await p.write({ 'sql/1_a.down.sql': 'drop table a;\n' });
    const ledger = await p.fmig('down', '--from-ledger', '--url', url);
    assert.is(ledger.code, 1, ledger.stderr);
    assert.match(ledger.stderr, 'the ledger kept no down SQL');
    const r = await p.fmig('down', '--url', url);
    assert.is(r.code, 0, r.stderr);
    assert.equal(await tables(url), []);
  });
});

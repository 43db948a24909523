// `--json` errors carry their data as fields, not only a message: a failed statement's file,
// line, column, SQLSTATE, revision and statement; a folder problem's files; divergent heads.
import * as assert from 'uvu/assert';
import { forEachTarget } from '../helpers/databases.js';
import { project, removeProjects } from '../helpers/cli.js';

forEachTarget('newcomer item 12: --json error fields', (test, { fresh }) => {
  test.after.each(removeProjects);

  test('a failed statement: file, line, column, sqlstate, revision, statement (transactional and statement by statement)', async () => {
    const { url } = await fresh();
    const p = await project({
      '1_a': { up: 'create table a (id int);\n\nselect 1;\nselect nope\n  from a;\n', down: 'drop table a;\n' },
    });
    let r = await p.fmig('up', '--url', url, '--json');
    assert.is(r.code, 1, r.stderr);
    const e = r.json.error;
    assert.is(e.code, 'migration-failed');
    assert.is(e.revision, '1');
    assert.is(e.file, 'sql/1_a.up.sql');
    assert.is(e.line, 4);
    assert.is(e.column, 8);
    assert.is(e.sqlstate, '42703');
    assert.is(e.statement, 'select nope\n  from a');
    assert.match(e.server.message, /column "nope" does not exist/);
    assert.match(e.message, /1_a failed/);

    await p.revisions({ '1_a': { up: '-- fmig:no-transaction\ncreate table a (id int);\ninsert into a values (1/0);\n', down: 'drop table a;\n' } });
    r = await p.fmig('up', '--url', url, '--json');
    assert.is(r.code, 1, r.stderr);
    assert.is(r.json.error.revision, '1');
    assert.is(r.json.error.line, 3);
    assert.is(r.json.error.sqlstate, '22012');
    assert.is(r.json.error.statement, 'insert into a values (1/0)');
  });

  test('a failed down file, and a folder that does not parse, and divergent heads', async () => {
    const { url } = await fresh();
    const p = await project({ '1_a': { up: 'create table a (id int);\n', down: 'drop table nope;\n' } });
    assert.is((await p.fmig('up', '--url', url)).code, 0);
    let r = await p.fmig('down', '--url', url, '--json');
    assert.is(r.code, 1);
    assert.equal([r.json.error.revision, r.json.error.file, r.json.error.line, r.json.error.sqlstate], ['1', 'sql/1_a.down.sql', 1, '42P01']);

    await p.write({ 'sql/2_b.down.sql': 'select 1;\n' });
    r = await p.fmig('up', '--url', url, '--json');
    assert.is(r.code, 2);
    assert.is(r.json.error.file, '2_b.down.sql');
    assert.equal(r.json.error.problems.map((x) => x.code), ['down-without-up']);

    await p.write({ 'sql/2_b.down.sql': null });
    await p.revisions({ '2_b': { up: '-- fmig:parent 1\nselect 1;\n', down: '' }, '3_c': { up: '-- fmig:parent 1\nselect 1;\n', down: '' } });
    r = await p.fmig('up', '--url', url, '--json');
    assert.is(r.code, 1);
    assert.equal(r.json.error.heads.map((h) => h.revision), ['2', '3']);
  });
});
